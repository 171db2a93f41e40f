"""Forms kept as CSV sheets (survey / choices / settings), named as users name them and in another
encoding, load (issue 9, crashes and refusals on valid inputs)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit.errors import InstrumentError

ODKMETA = ("real", "odkmeta_odk_csv", "src", "cscript", "tests")


def _copy_sheets(shared, tmp_path, survey_name: str, choices_name: str) -> None:
    # odkmeta test 103: a real XLSForm kept as survey.csv + choices.csv (list 'fruit')
    folder = shared(*ODKMETA, "103")
    shutil.copy(folder / "survey.csv", tmp_path / survey_name)
    shutil.copy(folder / "choices.csv", tmp_path / choices_name)


def test_real_form_given_as_csv_sheets(shared):
    form = st.read_instrument(shared(*ODKMETA, "103", "survey.csv"))
    assert len(form.choice_lists["fruit"].codes) == 6
    data = st.load(shared(*ODKMETA, "103", "data.csv"), instrument=form)
    assert len(data.frame) > 0


@pytest.mark.parametrize(
    "survey_name, choices_name",
    [
        ("kobo questions.csv", "kobo choices.csv"),
        ("form.csv", "choices - Sheet1.csv"),
        ("Q.csv", "lists.csv"),
    ],
)
def test_sheet_files_named_as_users_name_them(shared, tmp_path, survey_name, choices_name):
    _copy_sheets(shared, tmp_path, survey_name, choices_name)
    reference = st.read_instrument(shared(*ODKMETA, "103", "survey.csv"))
    form = st.read_instrument(tmp_path / survey_name)
    assert {n: cl.codes for n, cl in form.choice_lists.items()} == {
        n: cl.codes for n, cl in reference.choice_lists.items()
    }


def test_two_candidate_choices_sheets_are_an_error_not_a_guess(shared, tmp_path):
    _copy_sheets(shared, tmp_path, "questions.csv", "lists A.csv")
    shutil.copy(tmp_path / "lists A.csv", tmp_path / "lists B.csv")
    with pytest.raises(InstrumentError) as err:
        st.read_instrument(tmp_path / "questions.csv")
    assert err.value.problems[0].code == "missing-choices-sheet"
    assert "list_name" in err.value.problems[0].expected


def test_csv_sheets_in_cp1252(tmp_path):
    pd.DataFrame({"type": ["select_one zone"], "name": ["zone"], "label": ["Zone de résidence"]}).to_csv(
        tmp_path / "survey.csv", index=False, encoding="cp1252"
    )
    pd.DataFrame(
        {"list_name": ["zone", "zone"], "name": ["ville", "village"], "label": ["Ville", "Village é"]}
    ).to_csv(tmp_path / "choices.csv", index=False, encoding="cp1252")
    with pytest.raises(InstrumentError) as err:
        st.read_instrument(tmp_path / "survey.csv")
    assert "encoding='cp1252'" in err.value.problems[0].hint
    form = st.read_instrument(tmp_path / "survey.csv", encoding="cp1252")
    assert form.question("zone").label() == "Zone de résidence"
    assert form.choice_lists["zone"].codes == ("ville", "village")
