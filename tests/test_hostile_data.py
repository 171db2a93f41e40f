"""Issue 10, data- and project-level hostile inputs: each a deliberately broken fixture that used to
give a silent wrong result, now a located message (and exit 1 where it is an error)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from survey_toolkit import cli
from survey_toolkit.errors import WeightError
from survey_toolkit.indicators.loader import parse_indicators
from survey_toolkit.project import check_project
from survey_toolkit.weighting.margins import read_margins
from tests.conftest import ROOT
from tests.test_pipeline import reduced_project

runner = CliRunner()
DEMO = ROOT / "examples" / "demo"


@pytest.fixture(autouse=True)
def _commands():
    cli._register_commands()


def _invoke(*args):
    return runner.invoke(cli.app, [str(a) for a in args])


def _replace(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


# ----------------------------------------------------------------------- margins (item 3)


def _with_margins(tmp_path, frame: pd.DataFrame, extra: str = "", encoding: str = "utf-8"):
    path = reduced_project(tmp_path, extra=extra)
    margins = tmp_path / "margins.csv"
    margins.write_bytes(frame.to_csv(index=False).encode(encoding))
    _replace(path, str(DEMO / "census_margins.csv"), "margins.csv")
    return path, margins


def _shares(total: float) -> pd.DataFrame:
    frame = pd.read_csv(DEMO / "census_margins.csv", dtype={"category": str})
    frame["population"] = frame.groupby("variable")["population"].transform(lambda s: (s / s.sum() * total).round(6))
    return frame


def test_margins_given_as_shares_summing_to_09_are_an_error_not_09_persons(tmp_path):
    path, margins = _with_margins(tmp_path, _shares(0.9))
    result = _invoke("weight", path)
    assert result.exit_code == 1, result.output
    assert "error[margins-look-like-shares]" in result.stderr
    assert f"{margins}:2" in result.stderr  # the file and line of the first margin
    assert "population of 0.9, fewer than the" in result.stderr and "margins_are: shares" in result.stderr


def test_margins_given_as_percentages_are_an_error_then_read_with_margins_are_shares(tmp_path):
    path, _ = _with_margins(tmp_path, _shares(100))
    result = _invoke("weight", path)
    assert result.exit_code == 1 and "look like percentages" in result.stderr, result.output
    _replace(path, "weighting:\n", "weighting:\n  margins_are: shares\n")
    result = _invoke("weight", path)
    assert result.exit_code == 0, result.output
    weights = pd.read_csv(tmp_path / "out" / "weights.csv")
    # shares are scaled to the starting weights' total: never 100 persons
    assert weights["final_weight"].sum() > 10_000


def test_shares_that_do_not_sum_to_one_are_located(tmp_path):
    path, margins = _with_margins(tmp_path, _shares(0.9), extra="")
    _replace(path, "weighting:\n", "weighting:\n  margins_are: shares\n")
    result = _invoke("validate", path)
    assert result.exit_code == 1, result.output
    assert "error[margins-shares-sum]" in result.stderr and "sum to 0.9, not 1" in result.stderr
    assert f"{margins}:2" in result.stderr


def test_margin_totals_that_disagree_between_raking_variables_are_an_error(tmp_path):
    frame = pd.read_csv(DEMO / "census_margins.csv", dtype={"category": str})
    frame["population"] = frame["population"].astype(float)
    frame.loc[frame["variable"] == "a1_sex", "population"] *= 1.1
    path, _ = _with_margins(tmp_path, frame)
    result = _invoke("weight", path)
    assert result.exit_code == 1 and "error[margin-totals-differ]" in result.stderr, result.output


def test_cp1252_margins_load_with_margins_encoding_or_give_a_located_encoding_error(tmp_path):
    frame = pd.read_csv(DEMO / "census_margins.csv", dtype={"category": str})
    text = "# Données du recensement (Région)\n" + frame.to_csv(index=False)  # saved by Excel on Windows
    margins = tmp_path / "m.csv"
    margins.write_bytes(text.encode("cp1252"))
    with pytest.raises(WeightError) as err:
        read_margins(margins)
    (problem,) = err.value.problems
    assert problem.code == "wrong-encoding" and problem.location.line == 1
    assert "margins_encoding: cp1252" in problem.hint
    assert len(read_margins(margins, encoding="cp1252")) == len(read_margins(DEMO / "census_margins.csv"))
    path, _ = _with_margins(tmp_path, frame)
    (tmp_path / "margins.csv").write_bytes(text.encode("cp1252"))
    result = _invoke("validate", path, "--no-data")
    assert result.exit_code == 1 and "margins_encoding: cp1252" in result.stderr, result.output
    _replace(path, "weighting:\n", "weighting:\n  margins_encoding: cp1252\n")
    assert _invoke("validate", path, "--no-data").exit_code == 0


def test_read_margins_kinds():
    with pytest.raises(ValueError):
        read_margins(DEMO / "census_margins.csv", kind="percent")  # type: ignore[arg-type]
    counts = read_margins(DEMO / "census_margins.csv", kind="counts")
    assert {m.kind for m in counts} == {"count"}


# ----------------------------------------------------------------------- sample frame (item 4)


def test_duplicate_strata_in_the_sample_frame_name_both_rows(tmp_path):
    path = reduced_project(tmp_path)
    frame = tmp_path / "frame.csv"
    lines = (DEMO / "sample_frame.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    copy = lines[1].replace(",30000,", ",31000,")  # same stratum, other sizes: one would win silently
    frame.write_text("".join([*lines, copy]), encoding="utf-8")
    _replace(path, str(DEMO / "sample_frame.csv"), "frame.csv")
    for command in ("validate", "weight"):
        result = _invoke(command, path)
        assert result.exit_code == 1, result.output
        assert "error[duplicate-stratum]" in result.stderr
        assert f"lines 2, {len(lines) + 1}" in result.stderr and f"{frame}: row {len(lines) + 1}" in result.stderr


# ----------------------------------------------------------------------- indicators (item 6)


@pytest.mark.parametrize(
    ("line", "where", "code"),
    [
        ("    scale: [0, .inf]\n", "6:12", "wrong-type"),
        ("    scale: [0, 0]\n", "6:12", "wrong-type"),
        ("    scale: [-.inf, 10]\n", "6:12", "wrong-type"),
        ("    scale: [0, .nan]\n", "6:12", "wrong-type"),
    ],
)
def test_an_infinite_or_zero_index_scale_is_located(line, where, code):
    text = ("spec_version: 1\nindicators:\n  - id: safety_index\n    type: index\n    label: {en: Safety}\n"
            f"{line}    items:\n      - question: b1_safe_dark\n        range: [1, 4]\n")  # fmt: skip
    checked = parse_indicators(text, "ind.yaml")
    errors = list(checked.report.errors)
    assert len(errors) == 1 and not checked.spec.indicators
    assert errors[0].code == code and f"{errors[0].location.line}:{errors[0].location.column}" == where


def test_an_infinite_item_weight_or_range_is_located():
    text = ("spec_version: 1\nindicators:\n  - id: safety_index\n    type: index\n    label: {en: Safety}\n"
            "    items:\n      - question: b1_safe_dark\n        range: [1, .inf]\n        weight: .inf\n")  # fmt: skip
    errors = parse_indicators(text, "ind.yaml").report.errors
    where = sorted(f"{p.location.file}:{p.location.line}:{p.location.column}" for p in errors)
    assert where == ["ind.yaml:8:16", "ind.yaml:9:17"]
    assert all("finite" in p.hint for p in errors)


# ----------------------------------------------------------------------- survey.yaml (items 9, 12)


@pytest.mark.parametrize("bound", ["upper: .inf", "upper: .nan", "lower: -.inf, upper: 5", "upper: .Inf"])
def test_non_finite_trim_bounds_are_located_in_survey_yaml(tmp_path, bound):
    path = reduced_project(tmp_path)
    _replace(path, "trim: {upper: 5, relative_to: median}", f"trim: {{{bound}, relative_to: median}}")
    _, report = check_project(path)
    (problem,) = report.errors
    line = _line_of(path, "trim:")
    assert problem.location.file == str(path) and problem.location.line == line
    assert problem.location.column > 1 and "finite" in problem.message
    result = _invoke("validate", path, "--no-data")
    assert result.exit_code == 1 and f"{path}:{line}:" in result.stderr


@pytest.mark.parametrize(("lang", "code"), [("xx", "unknown-language"), ("../x", "bad-language")])
def test_an_unknown_report_language_is_located(tmp_path, lang, code):
    path = reduced_project(tmp_path)
    _replace(path, "languages: [en]", f"languages: [en, '{lang}']")
    _, report = check_project(path)
    (problem,) = report.errors
    assert problem.code == code and problem.location.line == _line_of(path, "languages:")
    for command in ("validate", "run"):
        result = _invoke(command, path)
        assert result.exit_code == 1 and f"error[{code}]" in result.stderr, result.output
    assert not (tmp_path / "out").exists()

