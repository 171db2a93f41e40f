"""Rounds collected with another version of the form: recodes applied, changes found, no false change.

The fixture plants, in a copy of the demo's round 1, a form change of the kind programmes make between
rounds: round 2's form calls the after-dark question ``b1_safe_night`` and codes its answers on a
reversed scale (very safe = 4 ... very unsafe = 1) with "never goes out" as 7. Round 2's export is
round 1's answers with a true change planted (40 "very unsafe" answers become "very safe"), written in
round 2's names and codes. The reference run reads the same answers written in the project's codes.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import pipeline
from survey_toolkit.errors import Severity, SpecError
from survey_toolkit.formdiff import FORM_CHANGED, form_changes
from survey_toolkit.instrument import read_instrument
from survey_toolkit.io.base import SurveyData, VariableMeta
from survey_toolkit.project import Round, load_project
from tests.conftest import ROOT, shared_path

DEMO = ROOT / "examples" / "demo"
OLD_CODE = {"1": "4", "2": "3", "3": "2", "4": "1", "5": "7"}  # project code -> round 2's code
RECODE = "{'4': '1', '3': '2', '2': '3', '1': '4', '7': '5'}"  # round 2's code -> project code
PLANTED = 40  # "very unsafe" (4) answers turned into "very safe" (1) in round 2
COLUMN = "b_safety/b1_safe_dark"


def _build():
    spec = importlib.util.spec_from_file_location("cssp_build", ROOT / "instruments" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _old_form(path: Path) -> None:
    build = _build()
    source = copy.deepcopy(build.load_source())
    for row in source["choices"]["safe_dark"]:
        row["name"] = OLD_CODE.get(row["name"], row["name"])
    for row in source["survey"]:
        if row.get("name") == "b1_safe_dark":
            row["name"] = "b1_safe_night"
        for key in ("relevant", "constraint"):
            if isinstance(row.get(key), str):
                row[key] = row[key].replace("${b1_safe_dark}", "${b1_safe_night}")
    path.write_bytes(build.build_bytes(source))


def _project(folder: Path, round2: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = f"""\
version: 1
instrument: {ROOT / "instruments" / "cssp_core.xlsx"}
indicators: {ROOT / "indicators.yaml"}
rounds:
  - id: R1
    date: 2025-11-15
    files: [{DEMO / "round1_kobo.xlsx"}]
  - id: R2
    date: 2026-05-15
{round2}design:
  strata: stratum
  strata_from: [admin2, area_type]
  psu: cluster_id
  lonely_psu: adjust
  base_weights:
    sample_frame: {DEMO / "sample_frame.csv"}
    eligible: hh_adults
    fpc: psu_total
weighting:
  margins: {DEMO / "census_margins.csv"}
  trim: {{upper: 5, relative_to: median}}
report:
  languages: [en]
  indicators: [sdg_16_1_4]
  disaggregate: false
  output: out
"""
    path = folder / "survey.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The two forms and the two versions of round 2's export (project codes, round 2's codes)."""
    folder = tmp_path_factory.mktemp("planted")
    _old_form(folder / "form_v0.xlsx")
    frame = pd.read_excel(DEMO / "round1_kobo.xlsx", dtype=str, engine="openpyxl")
    changed = frame.index[frame[COLUMN] == "4"][:PLANTED]
    frame.loc[changed, COLUMN] = "1"
    for column in ("_uuid", "meta/rootUuid"):  # round 2's own submissions: never round 1's ids
        frame[column] = "r2-" + frame[column].str.removeprefix("uuid:")
    frame["_id"] = (frame["_id"].astype(int) + 10**6).astype(str)
    frame.to_excel(folder / "round2_project_codes.xlsx", index=False)
    old = frame.rename(columns={COLUMN: "b_safety/b1_safe_night"})
    old["b_safety/b1_safe_night"] = old["b_safety/b1_safe_night"].map(lambda v: OLD_CODE.get(v, v))
    old.to_excel(folder / "round2_old_codes.xlsx", index=False)
    return folder


def _round2(folder: Path, *, form: bool = True, questions: bool = True, choices: str | None = RECODE,
            key: str = "b1_safe_dark", accept: str = "") -> str:  # fmt: skip
    lines = f"    files: [{folder / 'round2_old_codes.xlsx'}]\n"
    if form:
        lines += f"    instrument: {folder / 'form_v0.xlsx'}\n"
    if questions or choices:
        lines += "    rename:\n"
    if questions:
        lines += "      questions: {b1_safe_night: b1_safe_dark}\n"
    if choices:
        lines += f"      choices: {{{key}: {choices}}}\n"
    return lines + accept


def _change(path: Path) -> tuple[float, float]:
    result = pipeline.run(path, until="compare", write=False)
    c = result.comparisons
    row = c[(c["indicator_id"] == "sdg_16_1_4") & (c["location"] == "All") & (c["comparison"] == "previous")]
    assert len(row) == 1
    return float(row["change"].iloc[0]), float(row["estimate_to"].iloc[0])


@pytest.fixture(scope="module")
def reference(planted, tmp_path_factory):
    """The change published when round 2 is written in the project's codes."""
    path = _project(tmp_path_factory.mktemp("truth"), f"    files: [{planted / 'round2_project_codes.xlsx'}]\n")
    return _change(path)


def test_the_planted_change_is_a_rise(reference):
    change, _ = reference
    assert 3 < change < 10  # 40 of 578 answers moved into the numerator, weighted: about +6 points


def test_recoded_round_publishes_the_true_change(planted, reference, tmp_path):
    change, estimate = _change(_project(tmp_path, _round2(planted)))
    assert change == pytest.approx(reference[0], abs=1e-9)
    assert estimate == pytest.approx(reference[1], abs=1e-9)


def test_recode_without_a_form_of_its_own_reads_the_old_codes(planted, reference, tmp_path):
    """The round's form is the project's with the renames undone: the old codes are read, then recoded."""
    change, _ = _change(_project(tmp_path, _round2(planted, form=False)))
    assert change == pytest.approx(reference[0], abs=1e-9)


def test_unmapped_form_change_is_an_error_naming_both_forms(planted, tmp_path):
    path = _project(tmp_path, _round2(planted, choices=None))
    _, report = pipeline.validate_project(path)
    changed = [p for p in report if p.code == FORM_CHANGED]
    assert len(changed) == 1 and changed[0].is_error
    problem = changed[0]
    assert problem.location.file.endswith("form_v0.xlsx") and problem.location.sheet == "choices"
    assert problem.location.row is not None
    assert "cssp_core.xlsx" in problem.message and "sheet 'choices', row" in problem.message
    assert "'Very safe' in this round and 'Very unsafe'" in problem.message
    assert "rename.choices.b1_safe_dark" in problem.hint and "accept_changes" in problem.hint
    with pytest.raises(SpecError):
        pipeline.run(path, until="compare", write=False)


def test_accepted_change_is_reported_and_does_not_stop_validation(planted, tmp_path):
    path = _project(tmp_path, _round2(planted, choices=None, accept="    accept_changes: [b1_safe_dark]\n"))
    inputs = pipeline.validate_inputs(load_project(path))
    accepted = [p for p in inputs.problems if p.code == FORM_CHANGED]
    assert len(accepted) == 1 and accepted[0].severity is Severity.INFO
    assert "accepted in survey.yaml" in accepted[0].message


def test_choice_recodes_may_name_the_question_by_its_old_name(planted, tmp_path):
    project = load_project(_project(tmp_path, _round2(planted, key="b1_safe_night")))
    assert dict(project.round("R2").rename_choices["b1_safe_dark"]) == {"4": "1", "3": "2", "2": "3", "1": "4",
                                                                       "7": "5"}  # fmt: skip
    pipeline.validate_inputs(project)  # no error: the old name reaches the project's question


def test_renames_naming_unknown_codes_or_questions_are_located_errors(planted, tmp_path):
    text = _round2(planted, choices="{'4': '1', '9': '2', '3': '12'}") + "    accept_changes: [b1_safe_nite]\n"
    path = _project(tmp_path, text)
    _, report = pipeline.validate_project(path)
    problems = [p for p in report if p.code == "unknown-rename"]
    got = sorted(p.got for p in problems)
    assert got == ["12", "9", "b1_safe_nite"]
    assert all(p.location.line is not None and p.location.file.endswith("survey.yaml") for p in problems)
    assert any(p.hint == "did you mean 'b1_safe_night'?" or "b1_safe_dark" in (p.hint or "") for p in problems)


def test_recoded_select_multiple_gets_one_column_per_project_code():
    form = read_instrument(ROOT / "instruments" / "cssp_core.xlsx")
    frame = pd.DataFrame({"reasons": pd.array(["1 20", "20", None, "3"], dtype="string"),
                          "reasons/1": [True, False, pd.NA, False], "reasons/20": [True, True, pd.NA, False],
                          "reasons/3": [False, False, pd.NA, True]})  # fmt: skip
    meta = {"reasons": VariableMeta(name="reasons", type="select_multiple", question="reasons")}
    data = SurveyData(frame=frame, variables=meta)
    r = Round(id="R0", label={"en": "R0"}, files=(), rename_questions={"reasons": "b3_unsafe_reason"},
              rename_choices={"b3_unsafe_reason": {"20": "2"}})  # fmt: skip
    out = pipeline.apply_renames(data, r, form).frame
    codes = form.choices_for("b3_unsafe_reason").codes
    assert [c for c in out.columns if c.startswith("b3_unsafe_reason/")] == [f"b3_unsafe_reason/{c}" for c in codes]
    assert out["b3_unsafe_reason"].tolist()[:2] == ["1 2", "2"]
    assert out["b3_unsafe_reason/2"].tolist() == [True, True, pd.NA, False]
    assert out["b3_unsafe_reason/5"].tolist() == [False, False, pd.NA, False]


def test_changes_between_two_versions_of_a_real_form(tmp_path):
    """REACH's MSNA 2024 tool, and a copy with the edits of a later version: a code changed, a label changed."""
    import openpyxl

    original = shared_path("real", "reach_humind_msna2024_tool", "REACH_2024_MSNA-kobo-tool_draft_v11.xlsx")
    book = openpyxl.load_workbook(original)
    sheet = book["choices"]
    header = [str(c.value or "").strip() for c in sheet[1]]
    lists = {}
    for row in sheet.iter_rows(min_row=2):
        lists.setdefault(str(row[header.index("list_name")].value), []).append(row)
    form = read_instrument(original)
    used = {q.list_name: q.name for q in form.leaves if q.type == "select_one" and q.list_name}
    name_list, label_list = [n for n in lists if n in used and len(lists[n]) >= 3][:2]
    code_row = lists[name_list][1]
    code_row[header.index("name")].value = "changed_code"
    label_col = next(i for i, h in enumerate(header) if h.startswith("label"))
    label_row = lists[label_list][0]
    label_row[label_col].value = "A different answer"
    edited = tmp_path / "msna_next_round.xlsx"
    book.save(edited)
    project = load_project(DEMO)
    problems = form_changes(form, read_instrument(edited), Round(id="R2", label={"en": "R2"}, files=()), project)
    by_question = {p.location.field: p for p in problems}
    assert set(by_question) >= {used[name_list], used[label_list]}
    code_problem = by_question[used[name_list]]
    assert code_problem.location.row == code_row[0].row and code_problem.location.sheet == "choices"
    assert "'changed_code'" in code_problem.message and f"row {code_row[0].row}" in code_problem.message
    label_problem = by_question[used[label_list]]
    assert label_problem.location.row == label_row[0].row
    assert "A different answer" in label_problem.message
    assert all(p.is_error for p in problems)
    assert np.all([p.location.file == str(edited) for p in problems])
