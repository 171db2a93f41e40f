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



# ----------------------------------------------------------------------- the same export in two rounds (item 2)


def _two_rounds(tmp_path, second: str):
    path = reduced_project(tmp_path)
    _replace(path, "design:\n", f"  - id: R2\n    date: 2026-05-15\n    files: [{second}]\ndesign:\n")
    return path


def test_the_same_export_file_in_two_rounds_is_located_in_survey_yaml(tmp_path):
    path = _two_rounds(tmp_path, DEMO / "round1_kobo.xlsx")
    _, report = check_project(path)
    (problem,) = report.errors
    assert problem.code == "same-file-in-rounds" and "'R2'" in problem.message and "'R1'" in problem.message
    assert problem.location.line == _line_of(path, "files: [" + str(DEMO / "round1_kobo.xlsx")) + 3
    result = _invoke("run", path)
    assert result.exit_code == 1 and "error[same-file-in-rounds]" in result.stderr, result.output


def test_a_copy_of_a_round_under_another_name_is_an_error_naming_both_rounds_and_files(tmp_path):
    copy = tmp_path / "round2_export.xlsx"
    copy.write_bytes((DEMO / "round1_kobo.xlsx").read_bytes())
    path = _two_rounds(tmp_path, copy.name)
    for command in ("validate", "compare"):
        result = _invoke(command, path)
        assert result.exit_code == 1, result.output
        assert "error[same-submissions-in-rounds] rounds 'R1' and 'R2' share" in result.stderr
        assert "round1_kobo.xlsx and round2_export.xlsx" in result.stderr
    assert not (tmp_path / "out").exists()


def test_exports_without_ids_are_matched_by_their_answers(tmp_path):
    raw = pd.read_excel(DEMO / "round1_kobo.xlsx", dtype=str, engine="calamine")
    ids = [c for c in raw.columns if c in ("_uuid", "_id", "meta/instanceID", "meta/rootUuid", "_index")]
    raw.drop(columns=ids).head(80).to_csv(tmp_path / "a.csv", index=False)
    raw.drop(columns=ids).head(80).to_csv(tmp_path / "b.csv", index=False)
    from survey_toolkit import load, read_instrument
    from survey_toolkit.pipeline.rounds import shared_submissions

    form = read_instrument(ROOT / "instruments" / "cssp_core.xlsx")
    data = {r: load(tmp_path / f, instrument=form) for r, f in (("R1", "a.csv"), ("R2", "b.csv"))}
    assert data["R1"].frame["_record_id"].str.startswith("row-").all()  # no ids in these exports
    path = _two_rounds(tmp_path, "b.csv")
    _replace(path, str(DEMO / "round1_kobo.xlsx"), "a.csv")
    from survey_toolkit.project import load_project

    (problem,) = shared_submissions(load_project(path), data)
    assert problem.code == "same-submissions-in-rounds" and "(identical answers)" in problem.message
    assert problem.count == 80
    different = {"R1": data["R1"], "R2": load(DEMO / "round3_spss.sav", instrument=form)}
    assert shared_submissions(load_project(path), different) == []


# ----------------------------------------------------------------------- rows of an export (items 1, 5, 7, 8)


def _demo_raw() -> pd.DataFrame:
    return pd.read_excel(DEMO / "round1_kobo.xlsx", dtype=str, engine="calamine")


def _form():
    from survey_toolkit import read_instrument

    return read_instrument(ROOT / "instruments" / "cssp_core.xlsx")


def _problem(data, code: str):
    found = [p for p in data.problems if p.code == code]
    assert len(found) == 1, [p.code for p in data.problems]
    return found[0]


def test_blank_and_whitespace_record_ids_are_listed_kept_apart_and_excludable(tmp_path):
    from survey_toolkit import check_quality, load

    raw = _demo_raw()
    for column in ("_uuid", "_id", "meta/rootUuid"):
        raw.loc[[1, 5], column] = None
        raw.loc[8, column] = "   "
    raw.to_csv(tmp_path / "blank.csv", index=False)
    data = load(tmp_path / "blank.csv", instrument=_form())
    problem = _problem(data, "blank-record-id")
    assert problem.count == 3 and "rows 3, 7, 10" in problem.message and problem.location.row == 3
    assert "quality.exclude" in problem.hint
    ids = data.frame["_record_id"]
    blank = ids[ids.str.startswith("blank-id:")]
    assert blank.tolist() == [f"blank-id:blank.csv:row-{r}" for r in (3, 7, 10)]  # never one respondent
    issues = check_quality(data).issues
    listed = issues[issues["check"] == "blank-record-id"]
    assert listed["source_row"].tolist() == [3, 7, 10] and set(listed["action"]) == {"flagged"}
    excluded = check_quality(data, exclude={"blank-record-id"}).issues
    assert set(excluded.loc[excluded["check"] == "blank-record-id", "action"]) == {"excluded"}


def test_blank_record_ids_through_the_project_exclude_setting(tmp_path):
    raw = _demo_raw()
    raw.loc[[1, 5], ["_uuid", "_id", "meta/rootUuid"]] = None
    raw.to_excel(tmp_path / "r1.xlsx", index=False)
    path = reduced_project(tmp_path, extra="quality:\n  exclude: [blank-record-id, duplicate-record-id, no-consent]\n")
    _replace(path, str(DEMO / "round1_kobo.xlsx"), "r1.xlsx")
    result = _invoke("weight", path)
    assert result.exit_code == 0, result.output
    assert "warning(s): blank-record-id" in result.stderr  # the weight summary; validate lists the rows
    exclusions = pd.read_csv(tmp_path / "out" / "exclusions.csv")
    assert exclusions["record_id"].str.startswith("blank-id:").sum() == 2


def test_fractional_ages_in_an_integer_question_are_located_by_validate(tmp_path):
    raw = _demo_raw()
    age = next(c for c in raw.columns if c.endswith("a2_age"))
    raw.loc[[2, 4], age] = ["34.5", "40.25"]
    raw.to_excel(tmp_path / "r1.xlsx", index=False)
    path = reduced_project(tmp_path)
    _replace(path, str(DEMO / "round1_kobo.xlsx"), "r1.xlsx")
    result = _invoke("validate", path)
    line = next(x for x in result.stderr.splitlines() if "warning[not-whole-number]" in x)
    assert line.startswith(f"{tmp_path / 'r1.xlsx'}: ") and "row 4" in line and f"column '{age}'" in line
    assert "2 value(s)" in line and "rows 4, 6" in line
    assert "40.25" not in result.stderr  # rows, not values
    assert _invoke("validate", path, "--strict").exit_code == 1


def test_unparseable_and_impossible_dates_are_counted_per_column_with_rows(tmp_path):
    from survey_toolkit import load

    raw = _demo_raw()
    raw.loc[[3, 6, 11], "start"] = ["2026-02-30T10:00:00.000+03:00", "15/05/2026 10:00", "yesterday"]
    raw.loc[[5, 9], "_submission_time"] = ["garbage", "2026-13-45T00:00:00"]
    raw.to_csv(tmp_path / "dates.csv", index=False)
    data = load(tmp_path / "dates.csv", instrument=_form())
    start = _problem(data, "bad-date")
    assert start.count == 3 and start.location.field == "start" and "rows 5, 8, 13" in start.message
    assert "15/05/2026 (day and month order is never guessed)" in start.hint and "yesterday" not in start.message
    submitted = _problem(data, "bad-submission-date")
    assert submitted.count == 2 and "rows 7, 11" in submitted.message and "garbage" not in submitted.message
    assert data.frame["start"].isna().sum() == 3 and data.frame["_submission_time"].isna().sum() == 2


def test_spss_inf_values_written_by_pyreadstat_are_missing_and_located(tmp_path, shared):
    import numpy as np
    import pyreadstat

    from survey_toolkit import load

    real = shared("real", "spss_edgecases_pyreadstat_haven", "pyreadstat__sample.sav")
    frame, meta = pyreadstat.read_sav(real)
    frame.loc[0, "mynum"], frame.loc[1, "mynum"], frame.loc[2, "mynum"] = np.inf, -np.inf, 1e300
    pyreadstat.write_sav(frame, tmp_path / "inf.sav", variable_value_labels=meta.variable_value_labels)
    data = load(tmp_path / "inf.sav")  # without a form: typed from the file's own metadata
    assert data.frame["mynum"].isna().tolist() == [True, True, True, False, False]
    problem = _problem(data, "bad-number")
    assert problem.count == 3 and problem.location.row == 1 and "rows 1, 2, 3" in problem.message
    demo, dmeta = pyreadstat.read_sav(DEMO / "round3_spss.sav", user_missing=True)
    demo.loc[0, "a2_age"], demo.loc[3, "a2_age"] = np.inf, -np.inf
    pyreadstat.write_sav(demo, tmp_path / "r3.sav", variable_value_labels=dmeta.variable_value_labels,
                         missing_ranges=dmeta.missing_ranges)  # fmt: skip
    data = load(tmp_path / "r3.sav", instrument=_form())  # with the form
    assert data.frame["a2_age"].iloc[[0, 3]].isna().all() and np.isfinite(data.frame["a2_age"].dropna()).all()
    problem = _problem(data, "bad-number")
    assert problem.location.field == "a2_age" and "rows 1, 4" in problem.message
