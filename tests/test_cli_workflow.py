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


@pytest.mark.slow
def test_run_on_the_demo_project_writes_the_report_workbook_and_tidy_table(tmp_path):
    out = tmp_path / "output"
    result = _invoke("run", DEMO, "--output", out)
    assert result.exit_code == 0, result.output
    for name in ("report.en.html", "report.fr.html", "results.en.xlsx", "results.fr.xlsx", "results.csv",
                 "comparisons.csv", "weights.csv", "exclusions.csv"):  # fmt: skip
        assert (out / name).is_file(), name
        assert str(out / name) in result.stderr
    assert list((out / "charts" / "en").glob("*.png"))
    assert not (DEMO / "output" / "never").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_help_texts_end_with_an_example(command):
    text = _docs.help_text([command])
    assert "Example:" in text and "survey-toolkit " + command in text.split("Example:")[-1]
