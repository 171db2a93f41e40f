"""Files that are not exports, or exports in unusual shapes, found among real fixtures: each one loads
or fails with a located error naming the fix (issue 9; the fixture sweep found them)."""

from __future__ import annotations

import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit.errors import LoadError
from survey_toolkit.io.values import to_datetime

ODKMETA = ("real", "odkmeta_odk_csv", "src", "cscript", "tests")


def test_a_note_saved_as_txt_is_no_export(shared):
    # KoBo's own test folders keep a one-line description beside each export
    path = shared(
        "real",
        "kobo_transfer_exports",
        "xls_transfer",
        "tests",
        "aAwrrTRtfhqDVU9GDSHRMq",
        "test_description.txt",
    )
    with pytest.raises(LoadError) as err:
        st.load(path)
    problem = err.value.problems[0]
    assert problem.code == "no-rows" and problem.location.file == str(path)
    assert "no data rows" in problem.message and "export" in problem.hint


def test_header_only_export_is_an_error(shared, tmp_path):
    # odkmeta test 54: an ODK CSV with its header and no submission
    with pytest.raises(LoadError) as err:
        st.load(shared(*ODKMETA, "54", "odkmetatest2.csv"))
    assert err.value.problems[0].code == "no-rows"
    assert "header line" in err.value.problems[0].message
    path = tmp_path / "head.csv"
    path.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        st.load(path)
    assert err.value.problems[0].code == "no-rows" and err.value.problems[0].location.line == 2


@pytest.mark.parametrize(
    "parts, sheet",
    [
        (("101", "survey.csv"), "survey"),
        (("9", "choices.csv"), "choices"),
        (("10", "odk choices.csv"), "choices"),
    ],
)
def test_form_sheets_saved_as_csv_are_not_data(shared, parts, sheet):
    path = shared(*ODKMETA, *parts)
    with pytest.raises(LoadError) as err:
        st.load(path)
    problem = err.value.problems[0]
    assert problem.code == "form-not-data" and f"'{sheet}' sheet" in problem.message
    assert "instrument" in problem.hint


def test_bare_carriage_return_line_ends(shared, tmp_path):
    # odkmeta test 4: an ODK CSV written with classic-Mac line ends (\r only)
    data = st.load(shared(*ODKMETA, "4", "odkmetatest3.csv"))
    assert len(data.frame) >= 2 and data.frame["_record_id"].str.startswith("uuid:").all()
    path = tmp_path / "cr.csv"
    path.write_bytes(b"a,b\r1,x\r2,y\r")
    frame = st.load(path).frame
    assert frame["a"].tolist() == [1, 2] and frame["b"].tolist() == ["x", "y"]


def test_stata_datetime_with_a_custom_display_mask(shared):
    # odkmeta writes SubmissionDate as %tcMon_dd,_CCYY_hh:MM:SS_AM, which pyreadstat leaves as ms since 1960
    data = st.load(shared(*ODKMETA, "94", "expected", "data.dta"))
    first = data.frame["_submission_time"].iloc[0]
    assert first == pd.Timestamp("2013-08-30 12:33:32", tz="UTC")


def test_numbers_beyond_the_excel_date_range_are_bad_dates_not_a_crash():
    values = pd.Series([45000.5, 1693485212000.0, None])
    out, _offset, bad = to_datetime(values, "datetime")
    assert out.iloc[0] == pd.Timestamp("2023-03-15 12:00")
    assert pd.isna(out.iloc[1]) and bad.tolist() == [False, True, False]
    text, _o, bad_text = to_datetime(pd.Series(["1693485212000", "2024-01-02"]), "date")
    assert pd.isna(text.iloc[0]) and bad_text.tolist() == [True, False]
