"""The project file: the demo loads; every mistake is located at file:line:column with a hint."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from survey_toolkit.errors import SpecError
from survey_toolkit.project import Project, check_project, load_project, project_path
from tests.conftest import ROOT

DEMO = ROOT / "examples" / "demo"
BROKEN = ROOT / "tests" / "data" / "project"


def _write(tmp_path: Path, text: str) -> Path:
    """A project file in tmp_path whose instrument/indicators/exports point at the repository's files."""
    head = (
        f"instrument: {ROOT / 'instruments' / 'cssp_core.xlsx'}\n"
        f"indicators: {ROOT / 'indicators.yaml'}\n"
        "rounds:\n"
        "  - id: R1\n"
        f"    files: [{DEMO / 'round1_kobo.xlsx'}]\n"
    )
    path = tmp_path / "survey.yaml"
    path.write_text(head + text, encoding="utf-8")
    return path


def _problems(path: Path) -> list:
    project, report = check_project(path)
    assert project is None
    return list(report)


def test_demo_project_loads_with_absolute_paths_and_overrides():
    project = load_project(DEMO)
    assert isinstance(project, Project)
    assert project.path == (DEMO / "survey.yaml").resolve()
    assert project.round_ids == ("R1", "R2", "R3")
    r1 = project.round("R1")
    assert r1.files == ((DEMO / "round1_kobo.xlsx").resolve(),)
    assert r1.date == dt.date(2025, 11, 15)
    assert r1.label_in("fr") == "Vague 1 (nov. 2025)"
    assert project.instrument.is_file() and project.indicators.is_file()
    assert project.design.strata_from == ("admin2", "area_type")
    assert project.design.base_weights is not None
    assert project.design.base_weights.sample == ("psu_sampled", "households_per_psu")
    assert project.weighting.method == "rake" and project.weighting.trim_upper == 5.0
    assert project.locations.levels == ("admin1", "admin2")
    assert project.report.output == DEMO.resolve() / "output"
    assert project.report.compare == ("R1", "R2", "R3")
    assert project.report.rules.min_n == 30 and project.report.rules.caution_n == 50


def test_folder_or_file_and_frozen():
    assert project_path(DEMO) == DEMO / "survey.yaml"
    assert project_path(DEMO / "survey.yaml") == DEMO / "survey.yaml"
    project = load_project(DEMO / "survey.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        project.rounds = ()  # type: ignore[misc]
    assert project.with_rounds(["R3"]).round_ids == ("R3",)


def test_defaults_when_sections_are_left_out(tmp_path):
    project = load_project(_write(tmp_path, ""))
    assert project.weighting.method == "none"
    assert project.report.languages is None and project.report.alpha is None  # library defaults
    assert project.report.rules == type(project.report.rules)()
    assert project.report.output == tmp_path.resolve() / "output"
    assert project.round("R1").label == {"en": "R1"}


def test_suppression_thresholds_override_reporting_rules(tmp_path):
    path = _write(tmp_path, "report:\n  suppression:\n    min_n: 25\n    max_ci_width: 40\n    sensitive_admin2: true\n")
    rules = load_project(path).report.rules
    assert (rules.min_n, rules.max_ci_width, rules.sensitive_admin2) == (25, 40.0, True)
    assert rules.caution_n == 50  # untouched


def test_unknown_keys_are_located_with_did_you_mean():
    problems = _problems(BROKEN / "unknown_key.yaml")
    assert [(p.code, p.location.line, p.location.column) for p in problems] == [
        ("unknown-key", 7, 1),
        ("unknown-key", 10, 3),
    ]
    assert problems[0].hint == "did you mean 'design'?"
    assert problems[1].hint == "did you mean 'strata'?"
    assert problems[0].location.file.endswith("unknown_key.yaml")


def test_missing_files_are_located_with_close_names():
    problems = _problems(BROKEN / "missing_file.yaml")
    assert [(p.code, p.location.line) for p in problems] == [("missing-file", 2), ("missing-file", 6)]
    assert "cssp_cor.xlsx" in problems[0].message and problems[0].hint == "did you mean 'cssp_core.xlsx'?"
    assert problems[1].location.column == 54  # the second file of the list
    assert "round1_kobo.xlsx" in problems[1].hint


def test_bad_rounds_are_all_reported():
    problems = _problems(BROKEN / "bad_round.yaml")
    codes = [(p.code, p.location.line) for p in problems]
    assert ("missing-key", 5) in codes  # no id
    assert ("wrong-type", 8) in codes  # date
    assert ("duplicate-round", 10) in codes
    assert ("unknown-round", 13) in codes  # compare: R1 (has no id) and R3
    date = next(p for p in problems if p.location.line == 8)
    assert date.got == "the text '15 May 2026'" and "YYYY-MM-DD" in date.expected


def test_wrong_types_and_values(tmp_path):
    problems = _problems(BROKEN / "wrong_types.yaml")
    by_line = {p.location.line: p for p in problems}
    assert by_line[9].code == "bad-value" and by_line[9].hint == "did you mean 'rake'?"
    assert by_line[11].code == "wrong-type" and "number" in by_line[11].message
    assert by_line[12].code == "wrong-type" and "languages" in by_line[12].message
    assert by_line[14].code == "unknown-key" and by_line[14].hint == "did you mean 'min_n'?"
    lines = [p.location.line for p in problems]
    assert lines == sorted(lines)


def test_syntax_error_is_located():
    (problem,) = _problems(BROKEN / "syntax_error.yaml")
    assert problem.code == "yaml-syntax" and problem.location.line == 7


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("report:\n  significance: 1.5\n", "bad-value", 7),
        ("report:\n  compare: [R1, R9]\n", "unknown-round", 7),
        ("weighting:\n  method: rake\n", "missing-key", 6),
        ("design:\n  lonely_psu: ajust\n", "bad-value", 7),
        ("design:\n  base_weights:\n    stratum: s\n", "missing-key", 7),
        ("quality:\n  min_age: eighteen\n", "wrong-type", 7),
        ("version: 2\n", "bad-value", 6),
        ("report:\n  charts: [gif]\n", "bad-value", 7),
        ("rounds_extra: 1\n", "unknown-key", 6),
    ],
)
def test_each_mistake_gives_one_located_problem(tmp_path, text, code, line):
    problems = _problems(_write(tmp_path, text))
    assert [(p.code, p.location.line) for p in problems] == [(code, line)]
    assert all(p.location.file == str(tmp_path / "survey.yaml") for p in problems)


def test_required_keys_and_empty_rounds(tmp_path):
    path = tmp_path / "survey.yaml"
    path.write_text("version: 1\nrounds: []\n", encoding="utf-8")
    codes = sorted(p.code for p in _problems(path))
    # indicators; rounds empty (instrument is optional: built from an SPSS/Stata round's labels)
    assert codes == ["missing-key", "no-rounds"]


def test_no_project_file(tmp_path):
    problems = _problems(tmp_path)
    assert problems[0].code == "missing-file" and "init" in problems[0].hint
    with pytest.raises(SpecError) as err:
        load_project(tmp_path / "nothing.yaml")
    assert err.value.problems[0].code == "missing-file"


def test_renames_are_read(tmp_path):
    path = _write(
        tmp_path,
        "    rename:\n      questions: {b1_safe_night: b1_safe_dark}\n      choices: {d1_trust_police: {5: 4}}\n",
    )
    r1 = load_project(path).round("R1")
    assert dict(r1.rename_questions) == {"b1_safe_night": "b1_safe_dark"}
    assert dict(r1.rename_choices["d1_trust_police"]) == {"5": "4"}


# ---------------------------------------------------------------------------------------------------
# review findings: outputs over inputs, options a CLI user can set, no misleading follow-on errors


def _frame_project(tmp_path: Path, frame_name: str, output: str) -> tuple[Path, Path]:
    """A project whose sample frame is copied to ``tmp_path/frame_name``, writing into ``output``."""
    frame = tmp_path / frame_name
    frame.write_bytes((DEMO / "sample_frame.csv").read_bytes())
    path = _write(
        tmp_path,
        f"design:\n  strata: stratum\n  base_weights:\n    sample_frame: {frame_name}\nreport:\n  output: {output}\n",
    )
    return path, frame


@pytest.mark.parametrize("name", ["weights.csv", "quality.csv", "report.en.html", "results.fr.xlsx"])
def test_an_output_file_named_like_an_input_is_a_located_error(tmp_path, name):
    path, frame = _frame_project(tmp_path, name, ".")
    (problem,) = _problems(path)
    assert problem.code == "output-overwrites-input"
    assert (problem.location.line, problem.location.column) == (9, 19)  # the sample_frame value
    assert name in problem.message and "report.output" in problem.hint
    assert problem.got == str(frame.resolve())


def test_an_input_elsewhere_with_an_output_name_is_fine(tmp_path):
    path, _ = _frame_project(tmp_path, "weights.csv", "output")
    assert load_project(path).design.base_weights.sample_frame.name == "weights.csv"


def test_output_folder_that_is_an_existing_file_is_located(tmp_path):
    (tmp_path / "outfile").write_text("x", encoding="utf-8")
    (problem,) = _problems(_write(tmp_path, "report:\n  output: outfile\n"))
    assert problem.code == "output-not-a-folder"
    assert (problem.location.line, problem.location.column) == (7, 11)
    assert "outfile" in problem.message and "folder" in problem.hint


def test_output_problems_with_another_folder_and_the_write_guard(tmp_path):
    from survey_toolkit import pipeline
    from survey_toolkit.project import output_problems

    path, frame = _frame_project(tmp_path, "weights.csv", "output")
    project = load_project(path)
    assert output_problems(project) == []
    (problem,) = output_problems(project, tmp_path)  # as with --output <the project folder>
    assert problem.code == "output-overwrites-input"
    before = frame.read_bytes()
    moved = dataclasses.replace(project, report=dataclasses.replace(project.report, output=tmp_path))
    with pytest.raises(SpecError) as err:  # the library refuses before reading or writing anything
        pipeline.run(moved, until="weight")
    assert err.value.problems[0].code == "output-overwrites-input"
    assert frame.read_bytes() == before
    assert pipeline.run(moved, until="validate", write=False).inputs is not None  # nothing written: allowed


def test_missing_round_file_gives_no_follow_on_unknown_round():
    problems = _problems(BROKEN / "missing_round_file.yaml")
    assert [(p.code, p.location.line) for p in problems] == [("missing-file", 8)]
    assert problems[0].hint == "did you mean 'round2_central.zip'?"


def test_a_folder_instead_of_a_file_says_so_without_did_you_mean_itself(tmp_path):
    folder = tmp_path / "round1.xlsx"
    folder.mkdir()
    (folder / "export.xlsx").write_bytes(b"")
    path = _write(tmp_path, "  - id: R2\n    files: [round1.xlsx]\n")
    (problem,) = _problems(path)
    assert problem.code == "not-a-file" and "is a folder" in problem.message
    assert "did you mean" not in (problem.hint or "")
    assert "round1.xlsx/export.xlsx" in problem.hint


def test_round_encoding_delimiter_design_nest_and_partial_are_read(tmp_path):
    path = _write(
        tmp_path,
        "    encoding: cp1252\n    delimiter: ';'\n"
        "design:\n  nest: true\n"
        f"weighting:\n  margins: {DEMO / 'census_margins.csv'}\n  method: post_stratify\n  partial: true\n",
    )
    project = load_project(path)
    assert project.round("R1").load_options == {"encoding": "cp1252", "delimiter": ";"}
    assert project.design.nest is True and project.weighting.partial is True
    defaults = load_project(_write(tmp_path, ""))
    assert defaults.round("R1").load_options == {}
    assert defaults.design.nest is False and defaults.weighting.partial is False


@pytest.mark.parametrize(
    ("text", "code", "line", "hint"),
    [
        ("    encoding: cp1525\n", "bad-value", 6, "did you mean 'cp1256'?"),
        ("    delimiter: ';;'\n", "bad-value", 6, "delimiter: ';'"),
        ("design:\n  nest: yes please\n", "wrong-type", 7, None),
        (f"weighting:\n  margins: {DEMO / 'census_margins.csv'}\n  partial: true\n", "bad-value", 8,
         "method: post_stratify"),
    ],
)
def test_bad_load_and_design_options_are_located(tmp_path, text, code, line, hint):
    (problem,) = _problems(_write(tmp_path, text))
    assert (problem.code, problem.location.line) == (code, line)
    if hint is not None:
        assert hint in problem.hint


def test_project_settings_reach_the_library_calls(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from survey_toolkit import pipeline

    path = _write(
        tmp_path,
        "design:\n  nest: true\n"
        f"weighting:\n  margins: {DEMO / 'census_margins.csv'}\n  method: post_stratify\n  partial: true\n",
    )
    project = load_project(path)
    assert pipeline._design(project, "w").nest is True
    seen = {}
    monkeypatch.setattr(pipeline.weights, "post_stratify", lambda *a, **kw: seen.update(kw) or "done")
    assert pipeline._calibrate(SimpleNamespace(weight_column="w"), project, object()) == "done"
    assert seen == {"partial": True}


@pytest.fixture(scope="module")
def cp1252_export(tmp_path_factory) -> Path:
    """40 demo respondents as a KoBo CSV saved in cp1252, with an accented enumerator name."""
    import pandas as pd

    frame = pd.read_excel(DEMO / "round1_kobo.xlsx", engine="calamine", dtype=str, nrows=40)
    frame["enumerator_id"] = "Agnès"
    path = tmp_path_factory.mktemp("cp1252") / "round1.csv"
    frame.to_csv(path, index=False, encoding="cp1252")
    return path


def test_a_cp1252_round_loads_with_the_encoding_key(tmp_path, cp1252_export):
    from survey_toolkit import pipeline
    from survey_toolkit.errors import LoadError

    plain = tmp_path / "plain"
    plain.mkdir()
    project = load_project(_write(plain, "").parent)
    project = dataclasses.replace(project, rounds=(dataclasses.replace(project.rounds[0], files=(cp1252_export,)),))
    with pytest.raises(LoadError) as err:
        pipeline.run(project, until="load", write=False)
    hint = err.value.problems[0].hint
    assert "encoding: cp1252" in hint and "--encoding cp1252" in hint
    path = _write(tmp_path, "    encoding: cp1252\n").read_text(encoding="utf-8")
    path = path.replace(str(DEMO / "round1_kobo.xlsx"), str(cp1252_export))
    (tmp_path / "survey.yaml").write_text(path, encoding="utf-8")
    result = pipeline.run(tmp_path, until="load", write=False)
    assert len(result.data["R1"].frame) == 40


def test_output_folder_inside_a_file_is_located(tmp_path):
    from survey_toolkit.project import output_problems

    (tmp_path / "outfile").write_text("x", encoding="utf-8")
    (problem,) = _problems(_write(tmp_path, "report:\n  output: outfile/tables\n"))
    assert problem.code == "output-not-a-folder" and "inside 'outfile'" in problem.message
    project = load_project(_write(tmp_path, ""))
    (problem,) = output_problems(project, tmp_path / "outfile" / "x")  # --output under a file
    assert problem.location.file == str((tmp_path / "outfile" / "x").resolve())


def test_a_round_export_named_like_an_output_is_located_at_its_file(tmp_path):
    export = tmp_path / "results.csv"
    export.write_bytes(b"x")
    path = _write(tmp_path, "  - id: R2\n    files: [results.csv]\nreport:\n  output: .\n")
    (problem,) = _problems(path)
    assert problem.code == "output-overwrites-input" and "round R2" in problem.message
    assert (problem.location.line, problem.location.column) == (7, 13)


def test_replicate_weights_are_read_and_reach_the_design(tmp_path):
    from survey_toolkit import pipeline

    path = _write(
        tmp_path,
        "design:\n  weights: pw\n  replicates:\n    columns: [rw1, rw2, rw3]\n    type: Fay\n    rho: 0.5\n"
        "    mse: true\nweighting:\n  method: none\n",
    )
    project = load_project(path)
    reps = project.design.replicates
    assert (reps.columns, reps.type, reps.rho, reps.mse) == (("rw1", "rw2", "rw3"), "Fay", 0.5, True)
    design = pipeline._design(project, "pw")
    assert design.replicates == reps and design.strata == (None,) and design.psu == ()


@pytest.mark.parametrize(
    ("text", "code", "line", "hint"),
    [
        ("design:\n  replicates:\n    columns: [a, b]\n    type: JK3\nweighting:\n  method: none\n", "bad-value", 9,
         "did you mean 'JK"),
        ("design:\n  replicates:\n    columns: [a, b]\n    type: Fay\nweighting:\n  method: none\n", "bad-value", 8,
         "docs/project-file.md"),
        ("design:\n  replicates:\n    columns: [a, b]\n    type: JKn\n    rscales: [1, x]\nweighting:\n"
         "  method: none\n", "wrong-type", 10, None),
        ("design:\n  psu: cl\n  replicates:\n    columns: [a]\n    type: JK1\nweighting:\n  method: none\n",
         "bad-value", 7, "remove 'psu'"),
        (f"design:\n  replicates:\n    columns: [a]\n    type: JK1\nweighting:\n  margins: {DEMO / 'census_margins.csv'}\n"
         "  trim: {upper: 3}\n", "bad-value", 12, "remove 'trim'"),
        (f"design:\n  replicates:\n    columns: [a]\n    type: JK1\nweighting:\n  margins: {DEMO / 'census_margins.csv'}\n"
         "  method: calibrate\n  calfun: logit\n  bounds: [0.5, 2]\n", "bad-value", 13, "calfun: linear"),
    ],
)
def test_bad_replicate_settings_are_located(tmp_path, text, code, line, hint):
    (problem,) = _problems(_write(tmp_path, text))
    assert (problem.code, problem.location.line) == (code, line)
    if hint is not None:
        assert hint in problem.hint


def test_replicate_weights_can_be_raked(tmp_path):
    """Post-stratifying, raking and linear calibration adjust every replicate (docs/weighting.md), so a
    project may combine them with replicate weights."""
    for method in ("rake", "post_stratify", "calibrate"):
        path = _write(
            tmp_path,
            "design:\n  weights: pw\n  replicates:\n    columns: [rw1, rw2]\n    type: JK1\n"
            f"weighting:\n  method: {method}\n  margins: {DEMO / 'census_margins.csv'}\n",
        )
        project, report = check_project(path)
        assert project is not None, [p.message for p in report]
        assert project.weighting.method == method and project.design.replicates.columns == ("rw1", "rw2")
