"""Columns the project declares in ``extra_columns`` are wanted: the load warning
``columns-not-in-instrument`` no longer lists them (it named them and hinted at the wrong form)."""

from __future__ import annotations

import pandas as pd

from survey_toolkit.errors import Location, Problem, Severity, ValidationReport
from survey_toolkit.io.base import SurveyData
from survey_toolkit.pipeline.rounds import _without_declared_columns


def _data(columns: list[str]) -> SurveyData:
    warning = Problem("columns-not-in-instrument", "…", Location(file="r1.csv", field=columns[0]),
                      severity=Severity.WARNING, got=", ".join(columns), count=len(columns))  # fmt: skip
    other = Problem("bad-date", "…", Location(file="r1.csv"), severity=Severity.WARNING)
    return SurveyData(frame=pd.DataFrame(), problems=ValidationReport((warning, other)))


def test_declared_columns_leave_the_warning():
    out = _without_declared_columns(_data(["stratum", "weight", "enum_note"]), {"stratum", "weight"})
    warning = next(p for p in out.problems if p.code == "columns-not-in-instrument")
    assert warning.got == "enum_note" and warning.count == 1 and warning.location.field == "enum_note"
    assert "'enum_note'" in warning.message and "stratum" not in warning.message
    assert any(p.code == "bad-date" for p in out.problems), "other problems are kept"


def test_the_warning_goes_when_every_column_is_declared_and_stays_when_none_is():
    gone = _without_declared_columns(_data(["stratum", "weight"]), {"stratum", "weight"})
    assert [p.code for p in gone.problems] == ["bad-date"]
    kept = _without_declared_columns(_data(["a", "b"]), {"stratum"})
    assert [p.got for p in kept.problems if p.code == "columns-not-in-instrument"] == ["a, b"]


def test_a_bare_question_hint_names_selected_for_select_multiple():
    import pytest

    from survey_toolkit.expressions import ConditionSyntaxError, parse_condition

    with pytest.raises(ConditionSyntaxError) as err:
        parse_condition("farm1crops has 1")
    assert "farm1crops = 1" in err.value.hint and "selected(farm1crops, 1)" in err.value.hint
