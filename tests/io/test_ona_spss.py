"""Ona's SPSS export (main .sav + one .sav per repeat) read as an M&E officer would: tests/data/real_ona/SOURCE.md."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import survey_toolkit as st
from survey_toolkit.indicators import parse_indicators, validate_indicators

SPSS = Path(__file__).resolve().parents[1] / "data" / "real_ona" / "spss"
FORM = SPSS / "childrens_survey.xlsx"

SPEC = """spec_version: 1
defaults:
  universe: all
indicators:
  - id: mean_age
    type: mean
    label: Age of the respondent
    question: age
  - id: child_age
    type: mean
    label: Age of the children
    repeat: children
    question: age
"""


def test_the_roster_sav_beside_the_main_file_is_linked_by_ona_at_parent_index():
    # children.sav has no Survey Solutions key, only @_parent_index -> @_index: its 3 rows were attached
    # with no submission (and no warning), so every indicator of the repeat read nothing
    data = st.load(SPSS / "childrens_survey.sav", instrument=FORM)
    kids = data.children["children"]
    first = data.frame["_record_id"].iloc[0]
    assert kids["_record_id"].tolist() == [first] * 3
    assert kids["_key"].tolist() == [f"{first}/children[{n}]" for n in (1, 2, 3)]
    assert kids["name"].tolist() == ["Mike", "John", "Imora"]
    assert "unlinked-repeat-rows" not in {p.code for p in data.problems}
    # Ona's @_ columns are platform metadata, not unknown questions
    assert "columns-not-in-instrument" not in {p.code for p in data.problems}
    assert "@_index" in data.extra.columns


def test_roster_rows_whose_parent_is_not_in_the_main_file_stay_unlinked_with_a_warning():
    # SPSS writers refuse '@' and '_' first characters, so the rows are built here, as Ona's reader sees them
    import pandas as pd

    from survey_toolkit.io.spss import _link_by_index, _unlinked_roster_rows

    child = pd.DataFrame({"_record_id": [pd.NA] * 3, "_parent_key": [pd.NA] * 3, "_key": [pd.NA] * 3,
                          "name": ["Mike", "John", "Imora"]}, dtype="string")  # fmt: skip
    child_raw = pd.DataFrame({"name": ["Mike", "John", "Imora"], "@_parent_index": [1.0, 7.0, 7.0]})
    main_raw = pd.DataFrame({"@_index": [1.0, 2.0]})
    linked = _link_by_index(child, child_raw, main_raw, pd.Series(["uuid:a", "uuid:b"]), "children")
    assert linked["_record_id"].tolist() == ["uuid:a", pd.NA, pd.NA]
    assert linked["_key"].iloc[0] == "uuid:a/children[1]"
    warning = _unlinked_roster_rows(SPSS / "children.sav", "children", 2, 3)
    assert (warning.code, warning.severity.name, warning.count) == ("unlinked-repeat-rows", "WARNING", 2)
    assert "2 of the 3 row(s) of roster file 'children.sav' (repeat 'children')" in warning.message


def _check(text: str, folder: Path):
    path = folder / "indicators.yaml"
    path.write_text(text, encoding="utf-8")
    return validate_indicators(path, FORM).problems


def test_a_name_used_by_the_respondent_and_by_a_repeat_is_read_at_each_level(tmp_path):
    # 'age' is the respondent's age and, in the repeat 'children', each child's age: the indicators
    # check kept only the last one and refused the respondent-level mean (repeat-question)
    assert not _check(SPEC, tmp_path)
    data = st.load(SPSS / "childrens_survey.sav", instrument=FORM)
    out = st.compute(data, parse_indicators(SPEC, "ona.yaml").spec, st.Design()).set_index("indicator_id")
    assert out.loc["mean_age", "estimate"] == pytest.approx(35.0)  # Abe, 35; the blank row is missing
    assert out.loc["child_age", "estimate"] == pytest.approx(10 / 3)  # Mike 5, John 2, Imora 3
    # a question that exists only in the repeat is still refused at the respondent level
    wrong = SPEC.replace("question: age\n  - id: child_age", "question: fav_colors\n  - id: child_age")
    wrong = wrong.replace("type: mean\n    label: Age of the respondent", "type: shares\n    label: Colours")
    [problem] = _check(wrong, tmp_path)
    assert (
        problem.code == "repeat-question"
        and "'fav_colors', a question of repeat 'children'" in problem.message
    )


def test_a_repeat_file_that_is_not_csv_is_a_located_error_not_an_encoding_error(tmp_path):
    from survey_toolkit.pipeline.workflow import validate_project

    for name in ("childrens_survey.xlsx", "childrens_survey.sav", "children.sav"):
        shutil.copy(SPSS / name, tmp_path / name)
    (tmp_path / "indicators.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "survey.yaml").write_text(
        "version: 1\ninstrument: childrens_survey.xlsx\nindicators: indicators.yaml\nrounds:\n"
        "  - id: R1\n    files: [childrens_survey.sav]\n    repeats: {children: children.sav}\n",
        encoding="utf-8",
    )
    problems = [p for p in validate_project(tmp_path)[1].problems if p.severity.name == "ERROR"]
    assert [p.code for p in problems] == ["repeat-file-not-csv"]
    assert problems[0].location.file == str(tmp_path / "survey.yaml") and problems[0].location.line == 7
    assert "is an SPSS .sav file" in problems[0].message and "as CSV" in problems[0].hint


def test_a_repeat_given_as_its_own_csv_is_not_reported_missing(tmp_path):
    # 'the export has no table for the form's repeat group(s) children, ...' while children.csv was read
    from survey_toolkit.pipeline.workflow import validate_project

    for name in ("childrens_survey.xlsx", "childrens_survey.csv", "children.csv"):
        shutil.copy(SPSS / name, tmp_path / name)
    (tmp_path / "indicators.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "survey.yaml").write_text(
        "version: 1\ninstrument: childrens_survey.xlsx\nindicators: indicators.yaml\nrounds:\n"
        "  - id: R1\n    files: [childrens_survey.csv]\n    repeats: {children: children.csv}\n",
        encoding="utf-8",
    )
    _, report = validate_project(tmp_path, data=True)
    assert not [p for p in report.problems if p.is_error]
    [info] = [p for p in report.problems if p.code == "repeats-not-in-export"]
    assert info.message.endswith("repeat group(s) cartoons, characters")  # the nested ones: not delivered
