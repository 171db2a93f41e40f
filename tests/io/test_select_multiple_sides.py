"""select_multiple exports with both the summary column and the 0/1 choice columns: reconciled per row,
disagreements reported with their record ids, the authoritative side chosen by the project (issue 9,
silent wrong results item 3)."""

from __future__ import annotations

import functools
import warnings

import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit.errors import LoadError
from tests.conftest import shared_path

ROOT = ("real", "reach_humind_msna2024_tool")
Q = "aap_priority_challenge"


@functools.cache
def _form():
    return st.read_instrument(shared_path(*ROOT, "REACH_2024_MSNA-kobo-tool_draft_v11.xlsx"))


@functools.cache
def _raw() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.read_excel(shared_path(*ROOT, "dummy_raw_data.xlsx"), sheet_name=0, dtype=str)


def _edited(tmp_path):
    """The real MSNA export after a 'cleaning step' edited one side of three answers."""
    raw = _raw().copy()
    answered = raw.index[
        raw[Q].fillna("").str.contains("food") & ~raw[Q].fillna("").str.contains("shelter_housing")
    ]
    a, b, c = answered[:3]
    raw.loc[a, f"{Q}/shelter_housing"] = "1"  # cleaning ticked a choice, summary not updated
    raw.loc[b, Q] = None  # summary blanked, 0/1 columns still filled
    for col in [h for h in raw.columns if h.startswith(f"{Q}/")]:
        raw.loc[c, col] = "0"  # cleaning removed every choice
    path = tmp_path / "cleaned.xlsx"
    raw.to_excel(path, index=False)
    return path, raw, (a, b, c)


def _row(data: st.SurveyData, raw: pd.DataFrame, i: int) -> pd.Series:
    rid = str(raw.loc[i, "uuid"])
    return data.frame.loc[data.frame["_record_id"].str.endswith(rid)].iloc[0]


def test_the_real_export_agrees_with_itself(tmp_path):
    path = tmp_path / "as_exported.xlsx"
    _raw().to_excel(path, index=False)
    data = st.load(path, instrument=_form())
    assert not [p for p in data.problems if p.code == "select-multiple-disagree"]
    expected = _raw()[Q].fillna("").str.split().map(lambda t: "food" in t).sum()
    assert int(data.frame[f"{Q}/food"].fillna(False).sum()) == expected


def test_choices_win_by_default_and_disagreements_are_listed(tmp_path):
    path, raw, (a, b, c) = _edited(tmp_path)
    data = st.load(path, instrument=_form())
    problem = next(p for p in data.problems if p.code == "select-multiple-disagree")
    assert problem.count == 2 and problem.location.field == Q
    assert str(raw.loc[a, "uuid"]) in problem.message and str(raw.loc[c, "uuid"]) in problem.message
    assert "select_multiple_source: summary" in problem.hint
    assert bool(_row(data, raw, a)[f"{Q}/shelter_housing"]) is True
    assert bool(_row(data, raw, b)[f"{Q}/food"]) is True  # a blank summary is not "no answer"
    assert pd.isna(_row(data, raw, c)[f"{Q}/food"])  # every choice removed: unanswered
    assert "shelter_housing" in _row(data, raw, a)[Q]


def test_the_summary_can_be_made_authoritative(tmp_path):
    path, raw, (a, b, c) = _edited(tmp_path)
    data = st.load(path, instrument=_form(), select_multiple_source="summary")
    assert next(p for p in data.problems if p.code == "select-multiple-disagree").count == 2
    assert bool(_row(data, raw, a)[f"{Q}/shelter_housing"]) is False
    assert bool(_row(data, raw, b)[f"{Q}/food"]) is True  # still: the summary is blank there
    assert bool(_row(data, raw, c)[f"{Q}/food"]) is True


def test_a_wrong_source_is_a_located_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        st.load(path, select_multiple_source="dummies")
    assert err.value.problems[0].code == "bad-option" and "summary" in err.value.problems[0].hint


def test_project_key(tmp_path):
    from survey_toolkit.project import check_project, load_project
    from tests.conftest import ROOT as REPO

    head = (
        f"instrument: {REPO / 'instruments' / 'cssp_core.xlsx'}\n"
        f"indicators: {REPO / 'indicators.yaml'}\n"
        "select_multiple_source: summary\n"
        "rounds:\n"
        "  - id: R1\n"
        f"    files: [{REPO / 'examples' / 'demo' / 'round1_kobo.xlsx'}]\n"
    )
    path = tmp_path / "survey.yaml"
    path.write_text(head, encoding="utf-8")
    assert load_project(path).round("R1").load_options["select_multiple_source"] == "summary"
    path.write_text(head.replace("summary", "both"), encoding="utf-8")
    _, report = check_project(path)
    problem = next(p for p in report if p.code == "bad-value")
    assert "select_multiple_source" in problem.message and problem.location.line == 3
