"""Hostile values (issue 10): infinite and huge numbers, impossible dates, bad trim bounds, files
without rows and CR-only line ends end in a located problem or a correct result, never a crash."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit.io.values import MAX_ABS_NUMBER, to_datetime, to_number
from survey_toolkit.project import check_project
from survey_toolkit.weighting import TrimBounds, rake, trim
from tests.conftest import ROOT

DEMO = ROOT / "examples" / "demo"


@pytest.mark.parametrize("integer", [True, False])
def test_infinite_and_huge_numbers_are_flagged_not_kept(integer):
    values, bad = to_number(pd.Series(["inf", "-inf", "1e400", "1e300", "12", ""]), integer)
    assert values.isna().tolist() == [True, True, True, True, False, True]
    assert bad.tolist() == [True, True, True, True, False, False]
    values, bad = to_number(pd.Series([np.inf, 2.0, -1e20, MAX_ABS_NUMBER]), integer)
    assert bad.tolist() == [True, False, True, False]


def test_impossible_and_out_of_range_dates_are_flagged():
    text = pd.Series(["2026-02-30", "0001-01-01", "99999-01-01", "2026-02-01", ""])
    out, _, bad = to_datetime(text, "dateTime")
    assert bad.tolist() == [True, True, True, False, False]
    assert out[3] == pd.Timestamp("2026-02-01")
    serials = pd.Series([np.inf, 1e300, -5.0, 45000.0])
    out, _, bad = to_datetime(serials, "dateTime")
    assert bad.tolist() == [True, True, True, False]
    cells = pd.Series([dt.datetime(1, 1, 1), dt.datetime(2020, 1, 1)], dtype=object)
    assert to_datetime(cells, "date")[2].tolist() == [True, False]


def _demo_csv(tmp_path: Path, column: str, value: str) -> Path:
    raw = pd.read_excel(DEMO / "round1_kobo.xlsx", dtype=str, keep_default_na=False, engine="calamine")
    raw.loc[3, column] = value
    path = tmp_path / "round.csv"
    raw.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "1e300"])
def test_an_infinite_age_in_an_export_is_a_located_warning(tmp_path, value):
    path = _demo_csv(tmp_path, "a_respondent/a2_age", value)
    data = st.load(path, instrument=ROOT / "instruments" / "cssp_core.xlsx")
    assert data.frame["a2_age"].isna().sum() >= 1
    assert np.isfinite(data.frame["a2_age"].dropna().astype(float)).all()
    [problem] = [p for p in data.problems if p.code == "bad-number" and "a2_age" in str(p.location.field)]
    assert problem.location.file == str(path)


def test_impossible_date_in_the_project_file_is_located(tmp_path):
    path = tmp_path / "survey.yaml"
    path.write_text(
        f"instrument: {ROOT / 'instruments' / 'cssp_core.xlsx'}\nindicators: {ROOT / 'indicators.yaml'}\n"
        f"rounds:\n  - id: R1\n    date: 2026-02-30\n    files: [{DEMO / 'round1_kobo.xlsx'}]\n",
        encoding="utf-8",
    )
    project, report = check_project(path)
    assert project is None
    [problem] = report.errors
    assert problem.code == "yaml-bad-value"
    assert (problem.location.line, problem.location.column) == (5, 11)


@pytest.mark.parametrize(
    ("bounds", "key"), [("{upper: 0}", "upper"), ("{upper: -3}", "upper"), ("{upper: 5, lower: -1}", "lower"),
                        ("{upper: 2, lower: 3}", "upper")],
)  # fmt: skip
def test_trim_bounds_of_zero_or_below_are_located_in_the_project_file(tmp_path, bounds, key):
    path = tmp_path / "survey.yaml"
    path.write_text(
        f"instrument: {ROOT / 'instruments' / 'cssp_core.xlsx'}\nindicators: {ROOT / 'indicators.yaml'}\n"
        f"rounds:\n  - id: R1\n    files: [{DEMO / 'round1_kobo.xlsx'}]\n"
        f"weighting:\n  method: none\n  trim: {bounds}\n",
        encoding="utf-8",
    )
    project, report = check_project(path)
    assert project is None and report.errors
    problem = report.errors[0]
    assert problem.location.line == 8


@pytest.mark.parametrize(("upper", "lower"), [(0, None), (-2, None), (3, -1), (2, 5), (np.inf, None)])
def test_trim_and_rake_refuse_bad_bounds(upper, lower):
    frame = pd.DataFrame({"sex": ["m", "f", "f", "m"], "w": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(st.WeightError) as info:
        trim(frame, weights="w", upper=upper, lower=lower)
    assert info.value.problems[0].code == "bad-trim-bounds"
    margins = st.Margins.from_mapping({"sex": {"m": 50, "f": 50}})
    with pytest.raises(st.WeightError) as info:
        rake(frame, margins, weights="w", trim=TrimBounds(upper=upper, lower=lower))
    assert "bad-trim-bounds" in [p.code for p in info.value.problems]


def test_an_export_without_rows_is_an_error_from_load(tmp_path):
    path = tmp_path / "head.csv"
    path.write_text("a,b,c\n", encoding="utf-8")
    with pytest.raises(st.LoadError) as info:
        st.load(path)
    [problem] = info.value.problems
    assert problem.code == "no-rows" and problem.location.file == str(path) and problem.hint


def test_cr_only_line_ends_keep_every_row(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b"a,b\r1,2\r3,4\r")
    data = st.load(path)
    assert len(data.frame) == 2
    assert data.frame["a"].tolist() == [1, 3]
