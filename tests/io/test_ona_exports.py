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


_REPEAT_SPEC = """spec_version: 1
defaults:
  universe: all
indicators:
  - id: child_age
    type: mean
    label: Child age
    repeat: children
    question: childs_age
  - id: mean_age
    type: mean
    label: Age
    question: age
"""


def test_a_repeat_flattened_into_numbered_columns_becomes_the_repeat_table():
    # Ona writes the repeat 'children' as children[1]/childs_name, children[2]/...: the columns were left
    # as "not questions of the instrument" and every indicator of the repeat read nothing
    form = st.read_instrument(ONA / "tutorial_w_repeats.xlsx")
    data = st.load(ONA / "tutorial_w_repeats.csv", instrument=form)
    kids = data.children["children"]
    assert kids["childs_name"].tolist() == ["Tom", "Dick"]
    assert kids["childs_age"].tolist() == [12, 5]
    assert set(kids["_record_id"]) == {"uuid:b31c6ac2-b8ca-4180-914f-c844fa10ed3b"}
    assert kids["_source_row"].tolist() == [2, 2]
    assert not any(c.startswith("children[") for c in data.frame.columns)
    codes = {p.code for p in data.problems}
    assert "columns-not-in-instrument" not in codes  # Ona's _version, _total_media... are metadata
    assert "repeats-not-in-export" not in codes
    assert data.frame["_form_version"].tolist() == ["2014111"]


def test_estimates_over_a_flattened_repeat_agree_with_r():
    from survey_toolkit.indicators import parse_indicators

    form = st.read_instrument(ONA / "tutorial_w_repeats.xlsx")
    data = st.load(ONA / "tutorial_w_repeats_8.csv", instrument=form)
    kids = data.children["children"]
    assert len(kids) == 12  # instances 1-3 of 8 submissions; 'n/a' cells are no child
    assert kids.groupby("_record_id").size().sort_values().tolist() == [1, 1, 2, 2, 3, 3]
    spec = parse_indicators(_REPEAT_SPEC, "ona.yaml").spec
    out = st.compute(data, spec, st.Design()).set_index("indicator_id")
    # hh <- data.frame(id=1:8, sumage=c(17,0,3,25,0,11,11,16), nkid=c(2,0,1,3,0,2,1,3))
    # svyratio(~sumage, ~nkid, svydesign(ids=~id, weights=~rep(1,8), data=hh))   R 4.2.2, survey 4.1-1
    # (the households are the PSUs; the 2 without children stay in the design)
    assert out.loc["child_age", "estimate"] == pytest.approx(6.916666666667, abs=1e-9)
    assert out.loc["child_age", "se"] == pytest.approx(0.848408615073, abs=1e-9)
    # svymean(~age, svydesign(ids=~1, data=data.frame(age=c(25,31,22,40,19,35,28,44))))
    assert out.loc["mean_age", "estimate"] == pytest.approx(30.5)
    assert out.loc["mean_age", "se"] == pytest.approx(3.087995, abs=1e-6)


def test_reading_a_form_saved_by_gnumeric_prints_no_openpyxl_notes():
    # 'Unknown type for gsf:last-printed', 'Workbook contains no default style': printed on every
    # validate/run, they read like problems of the user's form
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        form = st.read_instrument(ONA / "transportation.xlsx")
    assert form.form_id == "transportation_2011_07_25"


def test_six_numbered_children_in_any_column_order():
    data = st.load(ONA / "tutorial_w_repeats_import.csv", instrument=ONA / "tutorial_w_repeats.xlsx")
    kids = data.children["children"]
    assert kids["childs_name"].tolist() == ["Tom", "Dick", "Tommy", "pi", "sire", "tim"]
    assert kids["childs_age"].tolist() == [12, 5, 13, 15, 15, 53]


def test_a_flattened_export_with_one_row_per_child_is_one_submission_and_its_children():
    # two rows 'Bob, 25' (one per child) were two respondents and children/childs_* unknown columns
    data = st.load(ONA / "tutorial_w_repeats_flattened.csv", instrument=ONA / "tutorial_w_repeats.xlsx")
    assert data.frame["name"].tolist() == ["Bob"] and data.frame["age"].tolist() == [25]
    kids = data.children["children"]
    assert kids["childs_name"].tolist() == ["Tom", "Dick"] and kids["_source_row"].tolist() == [2, 3]
    assert set(kids["_record_id"]) == set(data.frame["_record_id"])
    codes = {p.code: p for p in data.problems}
    assert codes["repeat-rows-in-main-table"].severity.name == "INFO"
    assert "2 rows read as 1 submission(s)" in codes["repeat-rows-in-main-table"].message
    assert "columns-not-in-instrument" not in codes


def test_rows_of_one_submission_that_differ_outside_the_repeat_are_not_merged(tmp_path):
    text = (ONA / "tutorial_w_repeats_flattened.csv").read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace("Bob,25", "Bob,26", 1)  # a real duplicate with an edit, not a flattened export
    path = tmp_path / "edited.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    data = st.load(path, instrument=ONA / "tutorial_w_repeats.xlsx")
    assert data.frame["age"].tolist() == [25, 26] and not data.children


def test_a_flattened_repeat_nested_in_a_flattened_repeat_is_linked_to_its_parent_row():
    data = st.load(ONA / "nested_repeats.csv", instrument=ONA / "nested_repeats.xlsx")
    kids = data.children["kids_details"].set_index("_key")
    shots = data.children["kids_immunization"]
    owner = shots["_parent_key"].map(kids["kids_name"])
    got = (
        shots.assign(owner=owner.to_numpy())
        .groupby("owner", sort=False)["immunization_info"]
        .agg(list)
        .to_dict()
    )
    assert got == {
        "Hansel": ["Polio", "Measles", "Malaria"],
        "Gretel": ["TB", "Rickets"],
        "Tom": ["Berry Berry", "Scurvy"],
        "Dick": ["Measles", "Flu", "Anemia"],
        "Harry": ["Polio 2"],
    }
    assert set(shots["_record_id"]) == set(data.frame["_record_id"])
    assert "columns-not-in-instrument" not in {p.code for p in data.problems}


def test_a_loop_over_a_choice_list_is_one_question_per_choice():
    # 'begin loop over transport_types': the export has transport/loop_over_.../ambulance/frequency_...
    # per choice; the form held one question 'frequency_to_referral_facility', so the 9 columns were
    # "not questions of the instrument" (with a did-you-mean naming a select_multiple column) and the
    # question itself "missing from the export"
    form = st.read_instrument(ONA / "transportation.xlsx")
    loop = [q for q in form.questions if q.name == "frequency_to_referral_facility"]
    assert [q.path[-1] for q in loop] == ["ambulance", "bicycle", "boat_canoe", "bus", "donkey_mule_cart",
                                          "keke_pepe", "lorry", "motorbike", "taxi", "other"]  # fmt: skip
    assert loop[2].labels["default"] == "Is boat/canoe available daily or weekly?"  # %(label)s
    assert loop[0].relevant == "selected(${available_transportation_types_to_referral_facility}, 'ambulance')"
    assert {q.row for q in loop} == {6}  # every copy at the loop's row of the survey sheet
    assert "duplicate-question-name" not in {p.code for p in form.problems}  # nothing the user can rename
    data = st.load(ONA / "transportation.csv", instrument=form)
    column = "transport/loop_over_transport_types_frequency/{}/frequency_to_referral_facility"
    assert data.frame[column.format("ambulance")].tolist()[1:3] == ["daily", "weekly"]
    assert data.frame[column.format("taxi")].tolist()[3] == "daily"
    codes = {p.code: p for p in data.problems}
    assert "columns-not-in-instrument" not in codes
    # the export was made before the choice 'other' got its loop question
    assert codes["questions-missing-from-export"].message.endswith(
        "are not in the export: " + column.format("other") + ", image1"
    )
