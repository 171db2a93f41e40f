"""Form fields without answers in exports: note columns (ODK Central) and ``meta/audit`` in every spelling."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit.instrument import Group, Instrument, Question
from survey_toolkit.io.headers import match_headers
from survey_toolkit.io.tidy import tidy_frame

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo"
FORM = ROOT / "instruments" / "cssp_core.xlsx"


def _instrument() -> Instrument:
    qs = (
        Question("start", "start", (), {}),
        Question("intro", "note", (), {"en": "Welcome"}),
        Question("age", "integer", ("resp",), {"en": "Age"}),
        Question("note_wg", "note", ("resp",), {"en": "The next questions..."}),
        Question("town", "text", ("resp",), {"en": "Town"}),
        Question("audit", "audit", ("meta",), {}),
        Question("instanceID", "calculate", ("meta",), {}),
    )
    groups = (Group("resp", ("resp",), {"en": "Respondent"}), Group("meta", ("meta",), {}))
    return Instrument("T", "t", "1", "en", ("en",), qs, {}, groups)


def _tidy(raw: pd.DataFrame, platform: str = "generic"):
    return tidy_frame(raw, _instrument(), source_file="mem.csv", source_format="csv", platform=platform)


def _codes(data) -> list[str]:
    return [p.code for p in data.problems]


@pytest.mark.parametrize("header", ["audit", "meta/audit", "meta-audit", "meta.audit"])
def test_audit_header_spellings_are_form_fields_not_unknown_columns(header):
    match = match_headers(["resp/age", header], _instrument())
    assert match.mapping[header].role == "system"
    data = _tidy(pd.DataFrame({"resp/age": ["34"], "resp/town": ["x"], header: ["audit.csv"]}))
    assert "columns-not-in-instrument" not in _codes(data)
    assert "audit" not in data.frame.columns  # a file name, not an answer: kept aside in extra
    assert data.extra[header].tolist() == ["audit.csv"]


@pytest.mark.parametrize(
    "headers", [("intro", "resp-note_wg"), ("intro", "note_wg"), ("intro", "resp/note_wg")]
)
def test_empty_note_columns_are_matched_and_dropped_without_a_warning(headers):
    raw = pd.DataFrame({"resp-age": ["34", "51"], "resp-town": ["a", "b"], **{h: ["", ""] for h in headers}})
    data = _tidy(raw, platform="odk")
    assert "columns-not-in-instrument" not in _codes(data)
    assert not set(headers) & set(data.frame.columns)
    assert not set(headers) & set(data.extra.columns)
    assert data.frame["age"].tolist() == [34, 51]
    assert "intro" not in [c for p in data.problems for c in (p.got or "").split(", ")]


def test_a_note_column_holding_values_is_kept_in_extra():
    raw = pd.DataFrame({"resp/age": ["34"], "resp/town": ["a"], "intro": ["typed by mistake"]})
    data = _tidy(raw)
    assert data.extra["intro"].tolist() == ["typed by mistake"]
    assert "columns-not-in-instrument" not in _codes(data)


def test_a_question_wins_over_a_note_with_the_same_header():
    ins = _instrument()
    clash = Instrument(
        "T", "t", "1", "en", ("en",),
        (*ins.questions, Question("town", "note", ("other",), {"en": "n"})),
        {}, ins.groups,
    )  # fmt: skip
    match = match_headers(["town"], clash)
    assert match.mapping["town"].role == "value"


def test_unknown_columns_are_still_reported():
    raw = pd.DataFrame({"resp/age": ["34"], "resp/town": ["a"], "interviewer_remark": ["x"]})
    data = _tidy(raw)
    (problem,) = [p for p in data.problems if p.code == "columns-not-in-instrument"]
    assert problem.got == "interviewer_remark"


@pytest.fixture(scope="module")
def cssp():
    if not FORM.exists():
        pytest.skip("instruments/cssp_core.xlsx is not built")
    return st.read_instrument(FORM)


def test_demo_kobo_round_reports_no_unknown_column_for_audit(cssp):
    data = st.load(DEMO / "round1_kobo.xlsx", instrument=cssp)
    assert "columns-not-in-instrument" not in _codes(data)
    assert "audit" in data.extra.columns


def test_demo_central_round_drops_note_columns_and_knows_meta_audit(cssp):
    data = st.load(DEMO / "round2_central.zip", instrument=cssp)
    assert "columns-not-in-instrument" not in _codes(data)
    for column in ("note_selection", "a_respondent-note_wg", "c_crime-note_c_intro"):
        assert column not in data.extra.columns and column not in data.frame.columns
    assert "meta-audit" in data.extra.columns
