"""Don't know / refused / not applicable declared only by labels (SPSS/Stata value labels, XLSForm
choice labels in any language) are detected and reported per variable (issue 9, item 5)."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit.codes import special_code_kind


@pytest.mark.parametrize(
    "label, kind",
    [
        ("Decline to answer", "refused"), ("-99 Refused", "refused"), ("Not applicable", "not_applicable"),
        ("Don't know", "dk"), ("Ne sait pas", "dk"), ("Refus de répondre", "refused"), ("Sans objet", "not_applicable"),
        ("No sabe", "dk"), ("No aplica", "not_applicable"), ("Não sabe", "dk"), ("Prefiro não responder", "refused"),
        ("لا أعرف", "dk"), ("رفض الإجابة", "refused"), ("لا ينطبق", "not_applicable"),
        ("Yes", None), ("None", None), ("SURPRISED -- DON'T KNOW WHY", None), ("NAME NOT KNOWN", None),
    ],
)  # fmt: skip
def test_label_kinds(label, kind):
    assert special_code_kind(label) == kind


def test_real_anes_value_labels(shared):
    # ANES 1948 (SPSS portable): DK at 8/9/98 and REFUSED at 3, declared only by value labels
    data = st.load(shared("real", "anes1948_spss_por", "NES1948", "NES1948.POR"))
    assert data.variables["V480005"].special_codes == {"9": "dk"}
    assert data.variables["V480008"].special_codes == {"3": "refused"}
    problem = next(p for p in data.problems if p.code == "dk-refused-codes")
    assert "V480005: 9 (dk)" in problem.message and "dk_codes" in problem.hint


def test_numeric_variable_with_labelled_codes_warns(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    frame = pd.DataFrame({"age": [34.0, 999.0, 51.0, -99.0, 97.0], "sex": [1.0, 2.0, 1.0, 98.0, 2.0]})
    path = tmp_path / "barometer.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        variable_value_labels={
            "age": {999: "Decline to answer", -99: "Refused", 97: "Not applicable"},
            "sex": {1: "Male", 2: "Female", 98: "Don't know"},
        },
    )
    data = st.load(path)
    assert data.variables["age"].special_codes == {"999": "refused", "-99": "refused", "97": "not_applicable"}
    assert data.variables["sex"].special_codes == {"98": "dk"}
    problem = next(p for p in data.problems if p.code == "dk-refused-codes")
    assert problem.severity == st.Severity.WARNING and "age" in problem.hint


def test_xlsform_choice_labels_in_french(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label::English (en)", "label::Français (fr)"])
    ws.append(["select_one safe", "safe", "Safe?", "En sécurité ?"])
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label::English (en)", "label::Français (fr)"])
    ch.append(["safe", "1", "Yes", "Oui"])
    ch.append(["safe", "2", "No", "Non"])
    ch.append(["safe", "8", "DK", "Ne sait pas"])
    ch.append(["safe", "9", "Refused", "Refus"])
    wb.save(tmp_path / "form.xlsx")
    path = tmp_path / "data.csv"
    path.write_text("safe\n1\n8\n9\n", encoding="utf-8")
    data = st.load(path, instrument=tmp_path / "form.xlsx")
    assert data.variables["safe"].special_codes == {"8": "dk", "9": "refused"}
    assert next(p for p in data.problems if p.code == "dk-refused-codes").severity == st.Severity.INFO
