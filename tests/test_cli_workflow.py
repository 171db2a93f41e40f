"""The workflow commands: init, validate, weight, compute, compare, report, run (exit codes, messages, files)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from survey_toolkit import cli
from survey_toolkit.cli import _docs
from tests.conftest import ROOT
from tests.test_pipeline import reduced_project

runner = CliRunner()
BROKEN = ROOT / "tests" / "data" / "project"
DEMO = ROOT / "examples" / "demo"
COMMANDS = ("init", "validate", "weight", "compute", "compare", "report", "run")


@pytest.fixture(autouse=True)
def _commands():
    cli._register_commands()


def _invoke(*args: str):
    return runner.invoke(cli.app, [str(a) for a in args])


@pytest.mark.parametrize(
    ("fixture", "where"),
    [
        ("unknown_key.yaml", "unknown_key.yaml:7:1"),
        ("missing_file.yaml", "missing_file.yaml:2:13"),
        ("bad_round.yaml", "bad_round.yaml:10:9"),
        ("wrong_types.yaml", "wrong_types.yaml:9:11"),
        ("syntax_error.yaml", "syntax_error.yaml:7:7"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "run", "weight"])
def test_broken_project_files_exit_1_with_located_messages(command, fixture, where):
    result = _invoke(command, BROKEN / fixture)
    assert result.exit_code == 1, result.output
    assert where in result.stderr
    assert "hint:" in result.stderr or fixture == "bad_round.yaml"
    assert "Traceback" not in result.output and "internal error" not in result.output


def test_unknown_key_message_has_snippet_and_did_you_mean():
    result = _invoke("validate", BROKEN / "unknown_key.yaml")
    assert "unknown key 'desing'" in result.stderr and "did you mean 'design'?" in result.stderr
    assert "    desing:" in result.stderr and "    ^" in result.stderr  # the line, and a caret under it


def test_missing_project_is_a_usage_error(tmp_path):
    result = _invoke("run", tmp_path / "nowhere")
    assert result.exit_code == 2


def test_folder_without_project_file_exits_1(tmp_path):
    result = _invoke("validate", tmp_path)
    assert result.exit_code == 1 and "survey-toolkit init" in result.stderr


def test_validate_demo_without_data():
    result = _invoke("validate", DEMO, "--no-data")
    assert result.exit_code == 0, result.output
    assert "OK" in result.stderr and "3 round(s)" in result.stderr


def test_validate_with_data_lists_quality_warnings_and_strict_fails(tmp_path):
    path = reduced_project(tmp_path)
    result = _invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert "no-consent" in result.stderr and "0 error(s)" in result.stderr
    assert _invoke("validate", path, "--strict").exit_code == 1
    assert not (tmp_path / "out").exists()  # validate writes nothing


def test_init_scaffolds_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "my-survey"
    result = _invoke("init", target)
    assert result.exit_code == 0, result.output
    for name in ("survey.yaml", "cssp_core.xlsx", "indicators.yaml"):
        assert (target / name).is_file() and name in result.stderr
    text = (target / "survey.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Project file") and "rename:" in text  # commented template
    again = _invoke("init", target)
    assert again.exit_code == 1 and "--force" in again.stderr
    assert _invoke("init", target, "--force").exit_code == 0


def test_weight_writes_weights_and_names_every_file(tmp_path):
    path = reduced_project(tmp_path)
    result = _invoke("weight", path)
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    for name in ("weights.csv", "weight_diagnostics.csv", "quality.csv", "exclusions.csv"):
        assert (out / name).is_file() and str(out / name) in result.stderr
    assert "warning(s)" in result.stderr and not (out / "results.csv").exists()


def test_run_smoke_on_a_reduced_project_with_output_option(tmp_path):
    path = reduced_project(tmp_path, indicators=("sdg_16_1_4_valid",))
    out = tmp_path / "elsewhere"
    result = _invoke("run", path, "--output", out)
    assert result.exit_code == 0, result.output
    for name in ("report.en.html", "results.en.xlsx", "results.csv", "comparisons.csv"):
        assert (out / name).is_file() and str(out / name) in result.stderr
    assert "Files written" in result.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("command", "expected"), [("compute", "results.csv"), ("compare", "comparisons.csv")])
def test_compute_and_compare_write_their_tables(tmp_path, command, expected):
    path = reduced_project(tmp_path, indicators=("trust_police",))
    result = _invoke(command, path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / expected).is_file() and not (tmp_path / "out" / "report.en.html").exists()


def test_compute_writes_the_same_labelled_results_csv_as_run(tmp_path):
    path = reduced_project(tmp_path, indicators=("trust_police",))
    for command, out in (("compute", tmp_path / "computed"), ("run", tmp_path / "ran")):
        result = _invoke(command, path, "--output", out)
        assert result.exit_code == 0, result.output
    computed = (tmp_path / "computed" / "results.csv").read_bytes()
    assert computed == (tmp_path / "ran" / "results.csv").read_bytes()
    header = computed.decode("utf-8").splitlines()[0].split(",")
    assert {"round_label", "location_name", "label_en"} <= set(header)  # human labels beside the codes
    assert header.index("location_name") == header.index("location") + 1


@pytest.mark.slow
def test_run_on_the_demo_project_writes_the_report_workbook_and_tidy_table(tmp_path):
    out = tmp_path / "output"
    result = _invoke("run", DEMO, "--output", out)
    assert result.exit_code == 0, result.output
    for name in ("report.en.html", "report.fr.html", "results.en.xlsx", "results.fr.xlsx", "results.csv",
                 "comparisons.csv", "weights.csv", "exclusions.csv"):  # fmt: skip
        assert (out / name).is_file(), name
        assert str(out / name) in result.stderr
    assert list((out / "charts" / "en").glob("*.svg"))
    assert not (DEMO / "output" / "never").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_help_texts_end_with_an_example(command):
    text = _docs.help_text([command])
    assert "Example:" in text and "survey-toolkit " + command in text.split("Example:")[-1]


# ---------------------------------------------------------------------------------------------------
# review findings: outputs never overwrite inputs, file-system errors, errors that name the right file


def _with_frame_named(tmp_path, name: str, output: str):
    """The reduced project with its sample frame copied to ``tmp_path/name`` and ``report.output``."""
    path = reduced_project(tmp_path)
    frame = tmp_path / name
    frame.write_bytes((DEMO / "sample_frame.csv").read_bytes())
    text = path.read_text(encoding="utf-8").replace(str(DEMO / "sample_frame.csv"), name)
    path.write_text(text.replace("  output: out\n", f"  output: {output}\n"), encoding="utf-8")
    return path, frame


@pytest.mark.parametrize("command", ["validate", "weight", "run"])
def test_an_output_over_an_input_is_refused_and_the_input_kept(tmp_path, command):
    path, frame = _with_frame_named(tmp_path, "weights.csv", ".")
    before = frame.read_bytes()
    result = _invoke(command, path)
    assert result.exit_code == 1, result.output
    assert "error[output-overwrites-input]" in result.stderr and "sample_frame: weights.csv" in result.stderr
    assert frame.read_bytes() == before and not (tmp_path / "quality.csv").exists()


def test_output_option_over_an_input_is_refused(tmp_path):
    path, frame = _with_frame_named(tmp_path, "weights.csv", "out")
    before = frame.read_bytes()
    result = _invoke("weight", path, "--output", tmp_path)
    assert result.exit_code == 1, result.output
    assert "error[output-overwrites-input]" in result.stderr and "internal error" not in result.output
    assert frame.read_bytes() == before and not (tmp_path / "quality.csv").exists()


def test_output_folder_that_is_a_file_is_a_located_problem(tmp_path):
    path = reduced_project(tmp_path)
    (tmp_path / "out").write_text("not a folder", encoding="utf-8")
    result = _invoke("weight", path)
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert "survey.yaml:" in result.stderr and "error[output-not-a-folder]" in result.stderr


def test_a_write_refused_by_the_file_system_names_the_file(tmp_path, monkeypatch):
    from survey_toolkit.cli import run as run_cmd

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "out" / "weights.csv"))

    monkeypatch.setattr(run_cmd, "run_pipeline", refuse)
    result = _invoke("weight", reduced_project(tmp_path))
    assert result.exit_code == 1 and "internal error" not in result.output
    assert "error[permission-denied]" in result.stderr and "weights.csv" in result.stderr


def test_missing_round_file_is_one_error_without_follow_on(tmp_path):
    result = _invoke("validate", BROKEN / "missing_round_file.yaml", "--no-data")
    assert result.exit_code == 1
    assert "round2_centrl.zip" in result.stderr and "unknown-round" not in result.stderr
    assert "1 error(s)" in result.stderr


def test_a_stratum_missing_from_the_sample_frame_names_the_file_and_what_to_add(tmp_path):
    path, frame = _with_frame_named(tmp_path, "plan.csv", "out")
    lines = frame.read_text(encoding="utf-8").splitlines(keepends=True)
    frame.write_text("".join(line for line in lines if not line.startswith("R01D01-1,")), encoding="utf-8")
    result = _invoke("validate", path)
    assert result.exit_code == 1, result.output
    assert "error[stratum-not-in-sample-frame]" in result.stderr and "'R01D01-1'" in result.stderr
    assert str(frame) in result.stderr and "add a row" in result.stderr
    assert "did you mean" not in result.stderr and "1 error(s)" in result.stderr


def test_margin_problems_name_the_export_of_the_row(tmp_path):
    path = reduced_project(tmp_path)
    margins = tmp_path / "margins.csv"
    margins.write_text((DEMO / "census_margins.csv").read_text(encoding="utf-8").replace("admin1,R02,", "admin1,R9,"),
                       encoding="utf-8")  # fmt: skip
    text = path.read_text(encoding="utf-8").replace(str(DEMO / "census_margins.csv"), "margins.csv")
    path.write_text(text, encoding="utf-8")
    result = _invoke("validate", path)
    assert result.exit_code == 1, result.output
    line = next(x for x in result.stderr.splitlines() if "error[category-not-in-margins]" in x)
    assert line.startswith(str(DEMO / "round1_kobo.xlsx") + ": row ")
    assert "partial: true" in result.stderr and "partial=True" in result.stderr


def test_inspect_reads_a_cp1252_csv_with_the_encoding_option(tmp_path):
    import pandas as pd

    export = tmp_path / "round1.csv"
    frame = pd.read_excel(DEMO / "round1_kobo.xlsx", engine="calamine", dtype=str, nrows=30)
    frame.assign(enumerator_id="Agnès").to_csv(export, index=False, encoding="cp1252")
    form = ROOT / "instruments" / "cssp_core.xlsx"
    failed = _invoke("inspect", export, "-i", form, "-f", "csv")
    assert failed.exit_code == 1 and "--encoding cp1252" in failed.stderr and "encoding: cp1252" in failed.stderr
    ok = _invoke("inspect", export, "-i", form, "-f", "csv", "--encoding", "cp1252")
    assert ok.exit_code == 0, ok.output
