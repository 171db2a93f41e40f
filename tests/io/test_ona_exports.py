"""Ona (onadata) exports of its own test form, read as an M&E officer would: tests/data/real_ona/SOURCE.md."""

from __future__ import annotations

from pathlib import Path

import pytest

import survey_toolkit as st
from survey_toolkit.io.sheetscan import scan_workbook

from .test_hostile_archives import write_xlsx

ONA = Path(__file__).resolve().parents[1] / "data" / "real_ona"


def test_libreoffice_formula_booleans_without_values_are_an_error_not_missing_answers():
    # cells <f>TRUE()</f><v></v>: every reader sees them empty, which turned 3 of the 4 answers of the
    # select_multiple into missing answers (the proportions were computed on 1 respondent)
    form = st.read_instrument(ONA / "transportation.xlsx")
    with pytest.raises(st.LoadError) as info:
        st.load(ONA / "transportation_export.xlsx", instrument=form)
    [problem] = info.value.problems
    assert problem.code == "formula-without-value"
    assert problem.location.sheet == "transportation"
    assert "B3" in problem.message and "C3" not in problem.message  # C3 is a real boolean FALSE
    assert "save it again" in problem.hint


@pytest.mark.parametrize(
    "cell, flagged",
    [
        ('<c r="B2"><f>TRUE()</f><v></v></c>', True),
        ('<c r="B2"><f>TRUE()</f><v/></c>', True),
        ('<c r="B2" t="str"><f>IF(A2=1,"","x")</f><v></v></c>', False),  # a formula whose result is ""
        ('<c r="B2" t="b"><f>TRUE()</f><v>1</v></c>', False),
    ],
)
def test_an_empty_cached_value_counts_as_no_value_except_in_a_text_cell(tmp_path, cell, flagged):
    path = write_xlsx(tmp_path / "f.xlsx", f'<row r="2"><c r="A2"><v>1</v></c>{cell}</row>')
    [scan] = scan_workbook(path, "f.xlsx")
    assert scan.formulas_without_value == (("B2",) if flagged else ())


_INDICATORS = """spec_version: 1
defaults:
  universe: all
indicators:
  - id: ambulance
    type: proportion
    label: Ambulance available
    numerator: {numerator}
"""


def test_the_hint_for_a_select_multiple_compared_with_a_text_code_is_a_valid_condition(tmp_path):
    # the hint used to say selected(q, ambulance): copying it gave bad-condition "quote text codes"
    from survey_toolkit.indicators import validate_indicators

    form = ONA / "transportation.xlsx"
    q = "available_transportation_types_to_referral_facility"
    path = tmp_path / "indicators.yaml"
    path.write_text(_INDICATORS.format(numerator=f"{q} = 'ambulance'"), encoding="utf-8")
    [problem] = validate_indicators(path, form).problems
    assert problem.code == "select-multiple-compared"
    suggested = problem.hint.split("write ", 1)[1].split(" (or", 1)[0]
    assert suggested == f"selected({q}, 'ambulance')"
    path.write_text(_INDICATORS.format(numerator=suggested), encoding="utf-8")
    assert not validate_indicators(path, form).problems
