"""The workflow steps: validation collects everything, renames, design columns, weights, a reduced run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from survey_toolkit import pipeline
from survey_toolkit.errors import SpecError, SurveyToolkitError
from survey_toolkit.io.base import SurveyData, VariableMeta
from survey_toolkit.project import Round, check_project, load_project
from tests.conftest import ROOT

DEMO = ROOT / "examples" / "demo"
MARGINS_TOTAL = 706_580.0


def reduced_project(
    folder: Path,
    *,
    rounds: tuple[str, ...] = ("R1",),
    indicators: tuple[str, ...] = ("sdg_16_1_4_valid", "trust_police"),
    extra: str = "",
) -> Path:
    """A small copy of the demo project (few rounds and indicators, English only) written in ``folder``."""
    files = {"R1": "round1_kobo.xlsx", "R2": "round2_central.zip", "R3": "round3_spss.sav"}
    dates = {"R1": "2025-11-15", "R2": "2026-05-15", "R3": "2026-11-15"}
    round_lines = "".join(
        f"  - id: {r}\n    date: {dates[r]}\n    files: [{DEMO / files[r]}]\n" for r in rounds
    )
    text = f"""\
version: 1
title: {{en: Reduced demo}}
instrument: {ROOT / "instruments" / "cssp_core.xlsx"}
indicators: {ROOT / "indicators.yaml"}
rounds:
{round_lines}design:
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
locations:
  levels: [admin1, admin2]
  names: {{R01: Northern Region}}
report:
  languages: [en]
  indicators: [{", ".join(indicators)}]
  disaggregate: false
  charts: [png]
  output: out
{extra}"""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "survey.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def weighted_r1(tmp_path_factory):
    """Round 1 of the demo, loaded, checked and weighted (shared by the tests of this module)."""
    path = reduced_project(tmp_path_factory.mktemp("reduced"))
    return pipeline.run(path, until="weight", write=False)


# ------------------------------------------------------------------------------------------- validation


def test_validate_inputs_collects_problems_of_every_input(tmp_path):
    broken_indicators = ROOT / "tests" / "data" / "spec" / "unknown_question.yaml"
    path = reduced_project(
        tmp_path,
        extra="",
    )
    text = path.read_text(encoding="utf-8")
    text = text.replace(str(ROOT / "indicators.yaml"), str(broken_indicators))
    text = text.replace("psu: cluster_id", "psu: cluster")
    text = text.replace("eligible: hh_adults", "eligible: hh_adults\n    population: household")
    text = text.replace("levels: [admin1, admin2]", "levels: [admin1, admin_2]")
    text = text.replace("indicators: [sdg_16_1_4_valid, trust_police]", "indicators: [trust_polise]")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        pipeline.validate_inputs(load_project(path))
    problems = err.value.problems
    codes = {p.code for p in problems}
    assert {"unknown-question", "unknown-column", "unknown-indicator"} <= codes
    by_got = {p.got: p for p in problems if p.got}
    assert by_got["cluster"].severity.value == "warning"  # may still be an export column: checked on load
    assert by_got["cluster"].hint == "did you mean 'cluster_id'?"
    assert by_got["cluster"].location.file == str(path) and by_got["cluster"].location.line is not None
    assert by_got["admin_2"].hint == "did you mean 'admin2'?"
    assert by_got["household"].hint == "did you mean 'households'?"
    assert any(p.location.file == str(broken_indicators) for p in problems)  # the indicators' own problems
    assert by_got["trust_polise"].code == "unknown-indicator"
    # the same, without raising
    project, report = pipeline.validate_project(path)
    assert project is not None and not report.ok and len(report.errors) >= 3


def test_design_column_missing_from_the_data_is_located_in_the_project_file(tmp_path):
    path = reduced_project(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("psu: cluster_id", "psu: cluster"), encoding="utf-8")
    project = load_project(path)
    with pytest.raises(SurveyToolkitError) as err:
        pipeline.run(project, until="load", write=False)
    (problem,) = err.value.problems
    assert problem.code == "column-not-in-data" and problem.hint == "did you mean 'cluster_id'?"
    assert problem.location.file == str(path) and problem.location.line == 12


def test_design_columns_kept_aside_by_the_loader_are_used(weighted_r1):
    data = weighted_r1.data["R1"]
    extra = pd.DataFrame({"my_weight": [2.0] * len(data.frame)})
    data = dataclasses.replace(data, frame=data.frame.drop(columns=["cluster_id"]),
                               extra=extra.assign(cluster_id=data.frame["cluster_id"].to_numpy()))  # fmt: skip
    project = weighted_r1.project
    project = dataclasses.replace(project, design=dataclasses.replace(project.design, weights="my_weight",
                                                                       base_weights=None))  # fmt: skip
    out, problems = pipeline._with_data_columns(data, project, project.rounds[0])
    assert problems == [] and {"cluster_id", "my_weight"} <= set(out.frame.columns)
    (weighted,) = pipeline.weight_rounds({"R1": out}, dataclasses.replace(
        project, weighting=dataclasses.replace(project.weighting, method="none", trim_upper=None))
        , weighted_r1.inputs).values()  # fmt: skip
    assert weighted.frame[pipeline.WEIGHT_COLUMN].tolist() == [2.0] * len(out.frame)


def test_validate_project_with_data_reports_quality_without_writing(tmp_path):
    path = reduced_project(tmp_path)
    project, report = pipeline.validate_project(path, data=True)
    assert report.ok
    codes = {p.code for p in report}
    assert {"no-consent", "under-age", "duplicate-record-id"} <= codes  # the planted problems of round 1
    assert not (tmp_path / "out").exists()


def test_broken_project_file_and_broken_indicators_are_reported_together(tmp_path):
    (tmp_path / "ind.yaml").write_bytes((ROOT / "tests" / "data" / "spec" / "unknown_question.yaml").read_bytes())
    (tmp_path / "survey.yaml").write_text(
        f"instrument: {ROOT / 'instruments' / 'cssp_core.xlsx'}\nindicators: ind.yaml\nrounds: []\n", encoding="utf-8"
    )
    project, report = pipeline.validate_project(tmp_path)
    assert project is None
    files = {Path(p.location.file).name: p.code for p in report}
    assert files == {"survey.yaml": "no-rounds", "ind.yaml": "unknown-question"}


def test_broken_project_file_is_reported_by_validate_project():
    project, report = pipeline.validate_project(ROOT / "tests" / "data" / "project" / "bad_round.yaml")
    assert project is None and {p.code for p in report} >= {"duplicate-round", "missing-key"}


# ---------------------------------------------------------------------------------------------- renames


def _round_data() -> SurveyData:
    frame = pd.DataFrame(
        {
            "b1_safe_night": pd.Categorical(["1", "2", "5"], categories=["1", "2", "3", "4", "5"]),
            "trust": pd.Categorical(["5", "1", None], categories=["1", "2", "5"]),
            "services": pd.array(["1 5", "5", None], dtype="string"),
            "services/1": pd.array([True, False, None], dtype="boolean"),
            "services/5": pd.array([True, True, None], dtype="boolean"),
            "_record_id": ["a", "b", "c"],
        }
    )
    variables = {
        "services": VariableMeta("services", "select_multiple", question="services"),
        "trust": VariableMeta("trust", "select_one", question="trust"),
    }
    extra = pd.DataFrame({"old_text": ["x", "y", "z"]})
    return SurveyData(frame=frame, variables=variables, extra=extra)


def test_apply_renames_questions_and_choice_codes():
    r = Round(
        id="R0",
        label={"en": "R0"},
        files=(),
        rename_questions={"b1_safe_night": "b1_safe_dark", "old_text": "new_text"},
        rename_choices={"trust": {"5": "4"}, "services": {"5": "6"}},
    )
    out = pipeline.apply_renames(_round_data(), r).frame
    assert "b1_safe_dark" in out.columns and "b1_safe_night" not in out.columns
    assert out["b1_safe_dark"].astype(str).tolist() == ["1", "2", "5"]
    assert out["trust"].astype("string").tolist() == ["4", "1", pd.NA]
    assert "5" not in list(out["trust"].cat.categories)
    assert out["services"].tolist() == ["1 6", "6", pd.NA]
    assert "services/6" in out.columns and "services/5" not in out.columns
    assert out["new_text"].tolist() == ["x", "y", "z"]  # moved from the columns that were not questions


def test_apply_renames_without_renames_changes_nothing():
    data = _round_data()
    out = pipeline.apply_renames(data, Round(id="R0", label={"en": "R0"}, files=()))
    pd.testing.assert_frame_equal(out.frame, data.frame)


# ------------------------------------------------------------------------------------- weights and design


def test_rounds_are_loaded_with_round_and_exclusions_logged(weighted_r1):
    data = weighted_r1.data["R1"]
    assert (data.frame[pipeline.ROUND_COLUMN] == "R1").all()
    checked = weighted_r1.checked
    kept = checked.data["R1"].frame
    assert len(kept) == len(data.frame) - len(checked.exclusions)
    reasons = checked.exclusions["reasons"].tolist()
    assert reasons.count("no-consent") == 17 and "under-age" in reasons and "duplicate-record-id" in reasons
    summary = checked.summary()
    assert set(summary.columns) == {"round", "check", "severity", "action", "count"}


def test_weights_build_strata_fpc_and_match_the_margins(weighted_r1):
    w = weighted_r1.weighted["R1"]
    frame = w.frame
    assert frame["stratum"].iloc[0] == f"{frame['admin2'].iloc[0]}-{frame['area_type'].iloc[0]}"
    assert frame["psu_total"].notna().all()
    assert frame[pipeline.WEIGHT_COLUMN].sum() == pytest.approx(MARGINS_TOTAL)
    by_region = frame.groupby(frame["admin1"].astype(str))[pipeline.WEIGHT_COLUMN].sum()
    assert by_region["R01"] == pytest.approx(339_990)
    assert w.design.weights == pipeline.WEIGHT_COLUMN and w.design.psu == ("cluster_id",)
    assert w.design.calibration is not None  # standard errors use the raking residuals
    # base weight = households / (psu_sampled x households_per_psu) x hh_adults
    frame_plan = pd.read_csv(DEMO / "sample_frame.csv").set_index("stratum")
    row = frame.iloc[0]
    plan = frame_plan.loc[row["stratum"]]
    expected = plan["households"] / (plan["psu_sampled"] * plan["households_per_psu"]) * row["hh_adults"]
    assert row["base_weight"] == pytest.approx(expected)
    summary = pipeline.weight_summary(weighted_r1.weighted)
    assert summary["step"].tolist() == ["base_weights", "rake"]
    table = pipeline.weights_table(weighted_r1.weighted)
    assert {"round", "_record_id", "base_weight", "final_weight"} <= set(table.columns)


def test_weighting_problems_name_the_round(weighted_r1, tmp_path):
    project = weighted_r1.project
    bad = project.design.base_weights
    assert bad is not None
    frame = weighted_r1.inputs.sample_frame
    inputs = dataclasses.replace(weighted_r1.inputs, sample_frame=frame[frame["stratum"] != "R01D01-1"])
    with pytest.raises(SurveyToolkitError) as err:
        pipeline.weight_rounds(weighted_r1.checked.data, project, inputs)
    assert all(p.message.startswith("round R1: ") for p in err.value.problems)
    assert any("R01D01-1" in p.message for p in err.value.problems)


# ---------------------------------------------------------------------------------------------- compute


@pytest.mark.slow
def test_compute_and_compare_on_a_reduced_project(tmp_path):
    path = reduced_project(tmp_path, rounds=("R1", "R3"), indicators=("trust_police",))
    calls = []
    result = pipeline.run(path, until="compare", progress=lambda *a: calls.append(a))
    table = result.table
    assert set(table["round"]) == {"R1", "R3"}
    assert set(table["location_level"]) == {"national", "admin1", "admin2"}
    assert {"suppressed", "suppression_reason", "caution_reasons", "label_en", "round_date"} <= set(table.columns)
    assert table.loc[table["suppressed"], "estimate"].isna().all()  # no output can leak a suppressed value
    comps = result.comparisons
    assert set(comps["round_from"]) == {"R1"} and set(comps["round_to"]) == {"R3"}
    assert {"change", "p_value", "q_value", "significant_fdr", "fdr_family"} <= set(comps.columns)
    assert set(comps["fdr_family"]) <= {f"previous:{k}:{lv}" for k in ("headline", "category", "breakdown")
                                        for lv in ("national", "admin1", "admin2")}  # fmt: skip
    names = sorted(p.name for p in result.files)
    assert names == ["comparisons.csv", "exclusions.csv", "off_list.csv", "quality.csv", "results.csv",
                     "weight_diagnostics.csv", "weights.csv"]  # fmt: skip  # the demo has 1 off-list answer (R1)
    assert ("compute", 2, 2) in calls and calls[0][0] == "load"  # one step per round (all its groupings)


def test_smoke_run_writes_the_report_workbook_and_tidy_table(tmp_path):
    path = reduced_project(tmp_path, indicators=("sdg_16_1_4_valid",))
    text = path.read_text(encoding="utf-8").replace(
        "names: {R01: Northern Region}", "names: {R01: Northern Region, R02: '<b>South</b>', R02D01: '=1+1'}"
    )
    path.write_text(text, encoding="utf-8")
    result = pipeline.run(path)
    out = tmp_path / "out"
    names = {p.relative_to(out).as_posix() for p in result.files}
    assert {"report.en.html", "results.en.xlsx", "results.csv", "comparisons.csv", "weights.csv"} <= names
    assert all(p.is_file() for p in result.files)
    html = (out / "report.en.html").read_text(encoding="utf-8")
    assert "Northern Region" in html and "Reduced demo" in html  # project names and title
    assert "<b>South</b>" not in html and "&lt;b&gt;South&lt;/b&gt;" in html  # names are inert text
    import openpyxl

    workbook = openpyxl.load_workbook(out / "results.en.xlsx")
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]  # no formula, even from '=1+1'
    assert any("Northern Region" in str(c.value) for c in cells)
    assert not list(out.glob("**/*.tmp")) and not list(out.glob("**/.*"))  # atomic writes left nothing


def test_report_meta_names_breakdown_codes_per_language(weighted_r1):
    meta = pipeline.report_meta(weighted_r1.project, weighted_r1.inputs)
    assert meta.group_labels["a1_sex:en"]["2"] == "Female" and meta.group_labels["area_type:en"]["1"] == "Urban"
    assert {key.split(":")[1] for key in meta.group_labels} == {"en"}  # the project's languages only
    both = dataclasses.replace(weighted_r1.project, report=dataclasses.replace(weighted_r1.project.report,
                                                                              languages=("en", "fr")))  # fmt: skip
    meta = pipeline.report_meta(both, weighted_r1.inputs)
    assert meta.group_labels["a1_sex:fr"]["2"] == "Femme" and meta.group_labels["area_type:fr"]["1"] == "Urbain"


def test_run_rejects_an_unknown_step(tmp_path):
    with pytest.raises(ValueError, match="until"):
        pipeline.run(reduced_project(tmp_path), until="everything")


@pytest.mark.slow
def test_two_runs_give_identical_tidy_tables_and_workbooks(tmp_path):
    outputs = []
    for name in ("a", "b"):
        path = reduced_project(tmp_path / name, rounds=("R1", "R2"), indicators=("sdg_16_1_4_valid", "trust_police"))
        pipeline.run(path)
        outputs.append(tmp_path / name / "out")
    for file in ("results.csv", "comparisons.csv", "results.en.xlsx", "weights.csv", "results.parquet"):
        a, b = (o / file for o in outputs)
        assert a.read_bytes() == b.read_bytes(), file


# ------------------------------------------------------------------------------------------------- init


def test_scaffold_writes_a_project_that_only_lacks_its_data(tmp_path):
    written = pipeline.scaffold(tmp_path / "new")
    assert sorted(p.name for p in written) == ["cssp_core.xlsx", "indicators.yaml", "survey.yaml"]
    project, report = check_project(tmp_path / "new")
    assert project is None
    assert {p.code for p in report} == {"missing-file"}  # the exports, sample frame and margins to add
    missing = sorted(Path(p.got).name for p in report)
    assert missing == ["census_margins.csv", "round1.xlsx", "sample_frame.csv"]
    with pytest.raises(SpecError) as err:
        pipeline.scaffold(tmp_path / "new")
    assert {p.code for p in err.value.problems} == {"file-exists"}
    assert len(pipeline.scaffold(tmp_path / "new", overwrite=True)) == 3


def test_scaffolded_project_runs_once_the_data_is_in_place(tmp_path):
    folder = tmp_path / "new"
    pipeline.scaffold(folder)
    for name in ("sample_frame.csv", "census_margins.csv"):
        (folder / name).write_bytes((DEMO / name).read_bytes())
    (folder / "round1.xlsx").write_bytes((DEMO / "round1_kobo.xlsx").read_bytes())
    project, report = pipeline.validate_project(folder)
    assert report.ok, str(report)
    assert project is not None and project.round_ids == ("R1",)
