"""No form at hand: a project without ``instrument:`` runs on an SPSS/Stata export's own labels.

Real files: the 1948 ANES portable file (memisc's copy, with its codebook as the oracle) and
pyreadstat's test files (dates before 1678, multiple-response sets). A CSV without a form is a
located error naming what to add.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from survey_toolkit import cli
from survey_toolkit.pipeline import validate_inputs
from survey_toolkit.project import check_project

from .conftest import shared_path

runner = CliRunner()
EDGE = ("real", "spss_edgecases_pyreadstat_haven")

_VOTE = """spec_version: 1
defaults:
  universe: all
indicators:
  - id: voted_truman
    type: proportion
    label: Voted for Truman
    numerator: V480018 = 1
  - id: vote
    type: distribution
    label: Vote in 1948
    question: V480018
    disaggregations: [V480045]
"""


@pytest.fixture(autouse=True)
def _commands():
    cli._register_commands()


def _project(folder: Path, export: Path, indicators: str, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "indicators.yaml").write_text(indicators, encoding="utf-8")
    (folder / "survey.yaml").write_text(
        f"version: 1\nindicators: indicators.yaml\nrounds:\n  - id: R1\n    files: ['{export.as_posix()}']\n{extra}",
        encoding="utf-8",
    )
    return folder


def _results(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "output" / "results.csv")


def test_spss_portable_file_without_a_form_validates_runs_and_matches_the_codebook(tmp_path):
    export = shared_path("real", "anes1948_spss_por", "NES1948", "NES1948.POR")
    folder = _project(tmp_path / "nes", export, _VOTE)
    project, report = check_project(folder)
    assert project is not None and project.instrument is None, report
    form = validate_inputs(project).instrument
    assert form.question("V480018").type == "select_one"
    assert form.choice_lists["V480018"].labels()["1"] == "VOTED - FOR TRUMAN"  # value labels are the choices
    assert form.question("V480018").labels == {"default": "DID R VOTE/FOR WHOM"}  # the variable label
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli.app, ["run", str(folder)])
    assert result.exit_code == 0, result.output
    out = _results(folder)
    overall = out[out["V480045"].isna()]  # the whole sample (not by sex)
    truman = overall[overall.indicator_id == "voted_truman"].iloc[0]
    # memisc's codebook (oracle/anes48_vignette.html): Truman 212, valid 32.1%; 662 cases of which 2 are
    # the declared-missing code 9, which pyreadstat's read_por returns as system-missing: 212 / 660
    assert truman.estimate == pytest.approx(100 * 212 / 660, abs=1e-9)
    assert truman.n == 660
    dewey = overall[overall.indicator_id == "vote[2]"].iloc[0]
    assert dewey.estimate == pytest.approx(100 * 178 / 660, abs=1e-9)
    assert (folder / "output" / "report.en.html").is_file()
    result = runner.invoke(cli.app, ["report", str(folder)])
    assert result.exit_code == 0, result.output


def test_the_same_figures_as_with_the_form_init_from_writes(tmp_path):
    export = shared_path("real", "anes1948_spss_por", "NES1948", "NES1948.POR")
    bare = _project(tmp_path / "bare", export, _VOTE)
    written = tmp_path / "written"
    assert runner.invoke(cli.app, ["init", "--from", str(export), str(written)]).exit_code == 0
    (written / "indicators.yaml").write_text(_VOTE, encoding="utf-8")
    for folder in (bare, written):
        result = runner.invoke(cli.app, ["run", str(folder)])
        assert result.exit_code == 0, result.output
    columns = ["indicator_id", "estimate", "se", "n"]
    a, b = _results(bare)[columns], _results(written)[columns]
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("name", ["pyreadstat__sample.sav", "pyreadstat__sample_missing.sav"])
def test_edge_files_without_a_form_run_and_report_their_far_dates(tmp_path, name):
    export = shared_path(*EDGE, name)
    indicators = """spec_version: 1
defaults:
  universe: all
indicators:
  - id: labelled
    type: distribution
    label: labelled
    question: mylabl
"""
    folder = _project(tmp_path / "p", export, indicators)
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert "date-out-of-range" in result.output and "'mydate'" in result.output
    result = runner.invoke(cli.app, ["run", str(folder)])
    assert result.exit_code == 0, result.output


def test_multiple_response_sets_of_a_file_without_a_form_are_select_multiple(tmp_path):
    export = shared_path(*EDGE, "pyreadstat__simple_alltypes.sav")
    indicators = """spec_version: 1
defaults:
  universe: all
indicators:
  - id: mr
    type: shares
    label: dichotomy set
    question: mymrset
"""
    folder = _project(tmp_path / "p", export, indicators)
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert "questions-missing-from-export" not in result.output
    from survey_toolkit.pipeline import load_rounds

    project, _ = check_project(folder)
    data = load_rounds(project, validate_inputs(project))["R1"]
    # bool1..bool3 counted value 1: rows (bool1 bool2), (bool1), (bool2), (none), (bool2), (bool1 bool2)
    assert data.frame["mymrset/bool1"].tolist()[:3] == [True, True, False]
    assert data.frame["mymrset"].isna().sum() == 1


def test_a_csv_without_a_form_is_a_located_error_naming_the_fix(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("id,q1\n1,a\n2,b\n", encoding="utf-8")
    folder = _project(tmp_path / "p", export, _VOTE)
    project, report = check_project(folder)
    assert project is None
    (problem,) = report.errors
    assert problem.code == "missing-key" and problem.location.line == 5
    assert "instrument:" in problem.hint and "init --from export.csv" in problem.hint
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 1 and "instrument" in result.output


def test_an_unreadable_export_without_a_form_is_reported_not_raised(tmp_path):
    export = tmp_path / "broken.sav"
    export.write_bytes(b"not an spss file at all")
    folder = _project(tmp_path / "p", export, _VOTE)
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output and "broken.sav" in result.output


def _barometer(path: Path, labels: dict[float, str], safe: list[int]) -> Path:
    import pyreadstat

    n = len(safe)
    frame = pd.DataFrame({"region": [1.0, 2.0] * (n // 2), "safe": [float(v) for v in safe],
                          "age": [float(20 + i % 50) for i in range(n)]})  # fmt: skip
    pyreadstat.write_sav(
        frame, str(path),
        column_labels={"region": "Region", "safe": "Do you feel safe walking alone at night?", "age": "Age"},
        variable_value_labels={"region": {1.0: "North", 2.0: "South"}, "safe": labels},
    )  # fmt: skip
    return path


def test_later_rounds_without_a_form_are_compared_with_the_first(tmp_path):
    """Each round's SPSS labels are its form: a code relabelled between rounds (1 'Yes' -> 1 'No') is a
    form-changed error at validate, located in the round's export, until accepted in survey.yaml."""
    yes_no = {1.0: "Yes", 2.0: "No"}
    r1 = _barometer(tmp_path / "r1.sav", yes_no, [1, 2] * 20 + [1] * 20)
    r2 = _barometer(tmp_path / "r2.sav", {1.0: "No", 2.0: "Yes"}, [2, 1] * 20 + [2] * 20)
    indicators = "spec_version: 1\ndefaults: {universe: all}\nindicators:\n" \
                 "  - {id: safe, type: proportion, label: Feels safe, numerator: safe = 1}\n"
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "indicators.yaml").write_text(indicators, encoding="utf-8")
    text = (f"version: 1\nindicators: indicators.yaml\nrounds:\n  - id: R1\n    files: ['{r1.as_posix()}']\n"
            f"  - id: R2\n    files: ['{r2.as_posix()}']\n")  # fmt: skip
    (folder / "survey.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 1 and "form-changed" in result.output and "r2.sav" in result.output
    _barometer(tmp_path / "r2b.sav", yes_no, [2, 1] * 20 + [2] * 20)
    (folder / "survey.yaml").write_text(text.replace("r2.sav", "r2b.sav"), encoding="utf-8")
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli.app, ["run", str(folder)])
    assert result.exit_code == 0, result.output
    out = _results(folder).set_index("round")
    assert out.loc["R1", "estimate"] == pytest.approx(100 * 40 / 60)
    assert out.loc["R2", "estimate"] == pytest.approx(100 * 20 / 60)


@pytest.mark.parametrize(
    "parts",
    [
        (*EDGE, "haven__labelled-str.sav"),  # string codes with labels
        (*EDGE, "pyreadstat__missing_char.sav"),  # string user-missing
        (*EDGE, "pyreadstat__sample.zsav"),
        (*EDGE, "pyreadstat__sample.por"),
        ("real", "ipa_surveycto_backcheck_dta", "household_backcheck.dta"),  # a SurveyCTO Stata export
    ],
)
def test_other_labelled_exports_run_without_a_form(tmp_path, parts):
    export = shared_path(*parts)
    starter = tmp_path / "starter"
    assert runner.invoke(cli.app, ["init", "--from", str(export), str(starter)]).exit_code == 0
    folder = _project(tmp_path / "p", export, (starter / "indicators.yaml").read_text(encoding="utf-8"))
    result = runner.invoke(cli.app, ["run", str(folder)])
    assert result.exit_code == 0, result.output
    assert len(_results(folder)) > 0


def test_init_from_says_the_form_line_may_go_for_labelled_exports_only(tmp_path):
    export = shared_path(*EDGE, "haven__umlauts.sav")
    assert runner.invoke(cli.app, ["init", "--from", str(export), str(tmp_path / "a")]).exit_code == 0
    text = (tmp_path / "a" / "survey.yaml").read_text(encoding="utf-8")
    assert "instrument: form.xlsx       # or delete this line" in text
    folder = tmp_path / "a"
    (folder / "survey.yaml").write_text(text.replace("instrument: form.xlsx", "# instrument: form.xlsx"),
                                        encoding="utf-8")  # fmt: skip
    assert runner.invoke(cli.app, ["validate", str(folder)]).exit_code == 0
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n1,x\n2,y\n", encoding="utf-8")
    assert runner.invoke(cli.app, ["init", "--from", str(csv), str(tmp_path / "b")]).exit_code == 0
    assert "delete this line" not in (tmp_path / "b" / "survey.yaml").read_text(encoding="utf-8")


def test_project_keys_naming_questions_are_checked_against_the_built_form(tmp_path):
    """off_list_questions names a select question of the form: with no form file, of the built one."""
    export = shared_path("real", "anes1948_spss_por", "NES1948", "NES1948.POR")
    folder = _project(tmp_path / "nes", export, _VOTE, "off_list_questions: {V480081: missing}\n")
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 1, result.output
    assert "off_list_questions: 'V480081'" in result.output and "NES1948.POR" in result.output
    assert "internal error" not in result.output
    _project(folder, export, _VOTE, "off_list_questions: {V480018: missing}\n")
    assert runner.invoke(cli.app, ["validate", str(folder)]).exit_code == 0
