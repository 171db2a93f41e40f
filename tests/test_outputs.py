"""Outputs never overwrite an input nor leave the output folder, in every command that writes (issue #10, item 7)."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from typer.testing import CliRunner

from survey_toolkit import cli, pipeline
from survey_toolkit.errors import SpecError
from survey_toolkit.outputs import is_language_tag, safe_name, safe_output_path
from survey_toolkit.project import check_project
from survey_toolkit.report import render
from tests.conftest import ROOT

runner = CliRunner()
FORM = ROOT / "instruments" / "cssp_core.xlsx"
INDICATORS = ROOT / "indicators.yaml"


@pytest.fixture(autouse=True)
def _commands():
    cli._register_commands()


@pytest.mark.parametrize("tag", ["en", "fr", "pt-BR", "zh-Hans", "es-419", "ful"])
def test_language_tags_are_accepted(tag):
    assert is_language_tag(tag)


@pytest.mark.parametrize("tag", ["../../../x", "en/../../x", "", ".", "e", "en_US/..", "fr\x1b[31m", "en\n", 3])
def test_anything_else_is_not_a_language_tag(tag):
    assert not is_language_tag(tag)


def test_safe_name_keeps_one_plain_component():
    assert safe_name("a/b\\c:d") == "a_b_c_d"
    assert safe_name("..") == "file" and safe_name("") == "file"
    assert "/" not in safe_name("../../etc/passwd")


def test_a_path_leaving_the_folder_is_refused(tmp_path):
    with pytest.raises(SpecError) as err:
        safe_output_path(tmp_path / "out" / ".." / ".." / "x.html", inside=tmp_path / "out")
    assert err.value.problems[0].code == "output-outside-folder"
    assert safe_output_path(tmp_path / "out" / "a.html", inside=tmp_path / "out") == tmp_path / "out" / "a.html"


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "out" / "charts")
    with pytest.raises(SpecError):
        safe_output_path(tmp_path / "out" / "charts" / "a.svg", inside=tmp_path / "out")


def test_an_input_under_another_name_is_refused(tmp_path):
    source = tmp_path / "export.csv"
    source.write_text("a\n1\n")
    os.link(source, tmp_path / "alias.csv")
    for target in (source, tmp_path / "." / "export.csv", tmp_path / "alias.csv"):
        with pytest.raises(SpecError) as err:
            safe_output_path(target, inputs={"the export": source})
        assert err.value.problems[0].code == "output-is-input"
        assert "--output" in err.value.problems[0].hint


def _copy(tmp_path, source):
    target = tmp_path / source.name
    target.write_bytes(source.read_bytes())
    return target


@pytest.mark.parametrize("which", ["export", "form"])
def test_inspect_output_over_its_export_or_form_is_refused(tmp_path, which):
    export = tmp_path / "round1.csv"
    export.write_text("a,b\n1,2\n")
    form = _copy(tmp_path, FORM)
    target = export if which == "export" else form
    before = target.read_bytes()
    result = runner.invoke(cli.app, ["inspect", str(export), "-i", str(form), "-f", "csv", "-o", str(target)])
    assert result.exit_code == 1, result.output
    assert "output-is-input" in result.output and "Traceback" not in result.output
    assert target.read_bytes() == before


@pytest.mark.parametrize("which", ["indicators", "form"])
def test_indicators_docs_output_over_an_input_is_refused(tmp_path, which):
    indicators, form = _copy(tmp_path, INDICATORS), _copy(tmp_path, FORM)
    target = indicators if which == "indicators" else form
    before = target.read_bytes()
    result = runner.invoke(cli.app, ["indicators", "docs", str(indicators), "-i", str(form), "-o", str(target)])
    assert result.exit_code == 1, result.output
    assert "output-is-input" in result.output
    assert target.read_bytes() == before


def test_a_report_language_that_is_a_path_is_a_located_project_error(tmp_path):
    text = (ROOT / "examples" / "demo" / "survey.yaml").read_text(encoding="utf-8")
    text = text.replace("languages: [en, fr]", 'languages: [en, "../../../x"]')
    text = text.replace("../../instruments", str(ROOT / "instruments")).replace("../../indicators.yaml", str(INDICATORS))
    (tmp_path / "survey.yaml").write_text(text, encoding="utf-8")
    _, report = check_project(tmp_path)
    bad = [p for p in report.errors if p.code == "bad-language"]
    assert len(bad) == 1 and bad[0].location.line is not None
    result = runner.invoke(cli.app, ["run", str(tmp_path)])
    assert result.exit_code == 1 and "bad-language" in result.output
    assert not (tmp_path.parent.parent / "x").exists()


def test_render_report_refuses_a_language_that_is_a_path(tmp_path):
    table = pd.DataFrame({"indicator_id": ["a"], "round": ["R1"], "estimate": [50.0], "n": [400]})
    out = tmp_path / "deep" / "out"
    with pytest.raises(SpecError) as err:
        render(table, out, languages=("en", "../../x"))
    assert [p.code for p in err.value.problems] == ["bad-language"]
    assert not out.exists() and not (tmp_path / "x").exists()


def test_init_never_overwrites_the_standard_files_it_copies():
    source = pipeline.standard_files()["indicators"]
    folder, before = source.parent, source.read_bytes()
    with pytest.raises(SpecError) as err:
        pipeline.scaffold(folder, overwrite=True)
    assert "output-is-input" in [p.code for p in err.value.problems]
    assert source.read_bytes() == before and not (folder / "survey.yaml").exists()


def test_init_refuses_a_file_in_the_way_that_is_a_folder(tmp_path):
    (tmp_path / "survey.yaml").mkdir()
    result = runner.invoke(cli.app, ["init", str(tmp_path), "--force"])
    assert result.exit_code == 1 and "output-is-a-folder" in result.output


# ------------------------------------------------------------------ a failed run leaves no mixed folder


def _snapshot(folder):
    """The output files (RUN_STATUS.txt, which says what the last run did, aside)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "RUN_STATUS.txt"}  # fmt: skip


def test_a_run_that_fails_midway_leaves_the_output_folder_as_it_was(tmp_path, monkeypatch):
    from survey_toolkit.errors import EstimationError
    from tests.test_pipeline import reduced_project

    project = reduced_project(tmp_path / "p")
    first = pipeline.run(project, until="weight")
    out = tmp_path / "p" / "out"
    assert {p.parent for p in first.files} == {out} and all(p.exists() for p in first.files)
    (out / "results.csv").write_text("previous run\n", encoding="utf-8")  # a previous run's result
    before = _snapshot(out)

    def fail(*args, **kwargs):
        raise EstimationError("the estimation failed")

    monkeypatch.setattr(pipeline.workflow, "compute_results", fail)
    with pytest.raises(EstimationError):
        pipeline.run(project, until="compute")  # quality and weight files are written before it fails
    assert _snapshot(out) == before
    assert [p.name for p in (tmp_path / "p").iterdir() if ".partial-" in p.name] == []
    status = (out / "RUN_STATUS.txt").read_text(encoding="utf-8")  # the earlier files are marked as such
    assert status.startswith("THE LAST RUN FAILED (steps up to 'compute')") and "  results.csv\n" in status
    assert "  weights.csv\n" in status
    result = CliRunner().invoke(cli.app, ["compute", str(project)])
    assert result.exit_code == 1 and _snapshot(out) == before


def test_files_an_earlier_run_left_are_listed_as_not_updated(tmp_path):
    from tests.test_pipeline import reduced_project

    project = reduced_project(tmp_path / "p")
    pipeline.run(project, until="compute")
    out = tmp_path / "p" / "out"
    status = (out / "RUN_STATUS.txt").read_text(encoding="utf-8")
    assert status.startswith("The last run succeeded (steps up to 'compute')") and "Left from" not in status
    result = pipeline.run(project, until="weight")  # results.csv is now older than weights.csv
    status = (out / "RUN_STATUS.txt").read_text(encoding="utf-8")
    written, left = status.split("Left from an earlier run")
    assert "  weights.csv\n" in written and "results.csv" not in written and left.strip().endswith("results.csv")
    (problem,) = [p for p in result.problems if p.code == "stale-outputs"]
    assert "results.csv" in problem.message and problem.location.file == str(out / "RUN_STATUS.txt")
    cli_result = CliRunner().invoke(cli.app, ["weight", str(project)])
    assert cli_result.exit_code == 0 and "stale-outputs" in cli_result.stderr
    pipeline.run(project, until="compute")
    assert "Left from" not in (out / "RUN_STATUS.txt").read_text(encoding="utf-8")


def test_a_failed_first_run_creates_no_output_folder(tmp_path, monkeypatch):
    from survey_toolkit.errors import WeightError
    from tests.test_pipeline import reduced_project

    project = reduced_project(tmp_path / "p")
    monkeypatch.setattr(pipeline.workflow, "weight_rounds", lambda *a, **k: (_ for _ in ()).throw(WeightError("no")))
    with pytest.raises(WeightError):
        pipeline.run(project, until="weight")
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["survey.yaml"]  # and no RUN_STATUS.txt
