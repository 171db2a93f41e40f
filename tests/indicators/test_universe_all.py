"""``all``: the universe of a survey without a consent question."""

from __future__ import annotations

import pandas as pd
import pytest

from survey_toolkit.indicators.conditions import ConditionSyntaxError, Everyone, evaluate, parse_condition
from survey_toolkit.indicators.loader import check_indicators
from survey_toolkit.instrument import instrument_from_sheets


def test_all_is_true_for_every_row_and_combines():
    frame = pd.DataFrame({"q": pd.Categorical(["1", "2", None])})
    assert evaluate("all", frame).tolist() == [True, True, True]
    assert evaluate("all and q = 1", frame).tolist() == [True, False, pd.NA]
    assert isinstance(parse_condition("all").ast, Everyone) and parse_condition("all").questions() == set()


def test_a_question_named_all_is_still_compared():
    frame = pd.DataFrame({"all": pd.Categorical(["1", "2"])})
    assert evaluate("all = 1", frame).tolist() == [True, False]
    with pytest.raises(ConditionSyntaxError):
        parse_condition("all all")


def _form():
    survey = [{"type": "select_one yn", "name": "consent", "label": "Consent?"},
              {"type": "select_one yn", "name": "q", "label": "Q?"}]  # fmt: skip
    choices = [{"list_name": "yn", "name": "yes", "label": "Yes"}, {"list_name": "yn", "name": "no", "label": "No"}]
    return instrument_from_sheets(survey, choices)


SPEC = """\
spec_version: 1
version: t
title: {{en: t}}
languages: [en]
{defaults}indicators:
  - id: yes_share
    type: proportion
    label: {{en: Share answering yes}}
    numerator: q = 'yes'
"""


def test_the_default_consent_universe_on_a_yes_no_form_names_universe_all(tmp_path):
    path = tmp_path / "ind.yaml"
    path.write_text(SPEC.format(defaults=""), encoding="utf-8")
    checked = check_indicators(path, _form())
    errors = [p for p in checked.report if p.is_error]
    assert errors and all("universe: all" in (p.hint or "") for p in errors)


def test_universe_all_checks_clean_and_computes_on_everyone(tmp_path):
    from survey_toolkit import compute
    from survey_toolkit.design import Design

    path = tmp_path / "ind.yaml"
    path.write_text(SPEC.format(defaults="defaults:\n  universe: all\n"), encoding="utf-8")
    checked = check_indicators(path, _form())
    assert checked.report.ok, list(checked.report)
    frame = pd.DataFrame({"consent": pd.Categorical(["no", "no", "yes", "no"]),
                          "q": pd.Categorical(["yes", "no", "yes", "yes"]), "w": [1.0, 1.0, 1.0, 1.0]})  # fmt: skip
    out = compute(frame, checked.spec, Design(weights="w"))
    assert out.loc[out["indicator_id"] == "yes_share", "estimate"].iloc[0] == pytest.approx(75.0)
