"""The decisions inside ``run``'s outputs: the plan of the next round (report section, workbook sheet)
and model-based figures standing in for withheld locations (``small_areas.substitute``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import openpyxl
import pandas as pd
import pytest

from survey_toolkit import pipeline
from survey_toolkit.disclosure import ReportingRules
from survey_toolkit.errors import SpecError
from survey_toolkit.project import PlanSettings, load_project
from survey_toolkit.report.plan import plan_summary
from survey_toolkit.small_areas import small_area_table, substitute_model_based
from tests.conftest import ROOT

DEMO = ROOT / "examples" / "demo"


# ------------------------------------------------------------------------------ substitution rules


def _published() -> pd.DataFrame:
    rows = [
        # location, suppressed, reason, sensitive, sex
        ("D1", True, "small-base;low-n-eff", False, None),  # statistical: substituted
        ("D2", True, "wide-ci", False, None),  # statistical: substituted
        ("D3", True, "small-cell", False, None),  # protects respondents: never
        ("D4", True, "wide-relative-ci;secondary", False, None),  # secondary: never
        ("D5", False, "", False, None),  # published: untouched
        ("D6", True, "small-base", True, None),  # sensitive: never
        ("D1", True, "small-base", False, "1"),  # a breakdown by sex: never
        ("D7", True, "small-base", False, None),  # model interval too wide: stays withheld
    ]
    frame = pd.DataFrame(
        {
            "indicator_id": "safe",
            "round": "R1",
            "location_level": "admin2",
            "location": [r[0] for r in rows],
            "a1_sex": [r[4] for r in rows],
            "unit": "percent",
            "estimate": [np.nan, np.nan, np.nan, np.nan, 55.0, np.nan, np.nan, np.nan],
            "se": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "n": [12, 40, 90, 60, 200, 15, 6, 9],
            "suppressed": [r[1] for r in rows],
            "suppression_reason": [r[2] for r in rows],
            "caution_reasons": "",
            "caution": False,
            "sensitive": [r[3] for r in rows],
        }
    )
    frame.attrs["group_columns"] = ["location", "a1_sex"]
    return frame


def _model() -> pd.DataFrame:
    locs = ["D1", "D2", "D3", "D4", "D5", "D6", "D7"]
    eblup = [40.0, 61.0, 20.0, 33.0, 54.0, 10.0, 50.0]
    rmse = [5.0, 4.0, 3.0, 3.0, 2.0, 2.0, 9.0]  # D7: 95% interval 35 points wide
    z = 1.959963984540054
    return pd.DataFrame({"indicator_id": "safe", "round": "R1", "location": locs, "eblup": eblup, "rmse": rmse,
                         "ci_low": np.subtract(eblup, np.multiply(z, rmse)),
                         "ci_high": np.add(eblup, np.multiply(z, rmse))})  # fmt: skip


def test_only_statistically_withheld_whole_locations_get_the_model_figure():
    out = substitute_model_based(_published(), _model(), level="admin2", rules=ReportingRules())
    model = out[out["estimate_type"] == "model-based"]
    assert list(model["location"]) == ["D1", "D2"]
    assert model["a1_sex"].isna().all()
    assert model["estimate"].tolist() == [40.0, 61.0]
    assert model["se"].tolist() == [5.0, 4.0], "the standard error of a model-based figure is its root MSE"
    assert (~model["suppressed"]).all() and model["caution"].all()
    assert set(model["caution_reasons"]) == {"model-based"} and set(model["suppression_reason"]) == {""}
    rest = out[out["estimate_type"] == "direct"]
    assert rest["suppressed"].tolist() == [True, True, False, True, True, True]
    assert rest.loc[rest["location"] == "D5", "estimate"].tolist() == [55.0], "a published estimate is kept"
    assert rest.loc[rest["location"] != "D5", "estimate"].isna().all(), "nothing else is revealed"


def test_a_model_interval_wider_than_the_rule_stays_withheld():
    out = substitute_model_based(_published(), _model(), level="admin2", rules=ReportingRules(max_ci_width=50))
    assert "D7" in set(out.loc[out["estimate_type"] == "model-based", "location"])
    strict = substitute_model_based(_published(), _model(), level="admin2", rules=ReportingRules(max_ci_width=17))
    assert list(strict.loc[strict["estimate_type"] == "model-based", "location"]) == ["D2"]


def test_nothing_to_substitute_leaves_the_table_as_it_was():
    table = _published()
    out = substitute_model_based(table, _model().iloc[0:0], level="admin2")
    pd.testing.assert_frame_equal(out.drop(columns="estimate_type"), table)
    assert (out["estimate_type"] == "direct").all()
    other_level = substitute_model_based(table, _model(), level="admin1")
    assert (other_level["estimate_type"] == "direct").all()


# ------------------------------------------------------------------------------------ project keys


def _project(tmp_path, extra: str):
    text = (DEMO / "survey.yaml").read_text(encoding="utf-8")
    text = text.split("\nplan:")[0] + "\n" + extra + "\nreport:" + text.split("\nreport:")[1]
    for name in ("round1_kobo.xlsx", "round2_central.zip", "round3_spss.sav", "sample_frame.csv",
                 "census_margins.csv", "district_covariates.csv"):  # fmt: skip
        (tmp_path / name).symlink_to(DEMO / name)
    text = text.replace("instrument: ../../instruments/", f"instrument: {ROOT / 'instruments'}/")
    text = text.replace("indicators: ../../indicators.yaml", f"indicators: {ROOT / 'indicators.yaml'}")
    path = tmp_path / "survey.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_plan_settings_are_read_and_checked(tmp_path):
    project = load_project(_project(tmp_path, "plan:\n  target_change: 5\n  overlap: 0.5\n  correlation: 0.3\n"))
    assert project.plan == PlanSettings(target_change=5.0, overlap=0.5, correlation=0.3)
    assert project.plan.options()["target_change"] == 5.0
    assert load_project(DEMO).small_areas.substitute is True


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("plan:\n  target_change: 0\n", "plan.target_change"),
        ("plan:\n  power: 1.5\n", "plan.power"),
        ("plan:\n  in_report: maybe\n", "in_report"),
        ("plan:\n  tagret_change: 5\n", "tagret_change"),
    ],
)
def test_bad_plan_settings_are_located(tmp_path, extra, key):
    path = _project(tmp_path, extra)
    with pytest.raises(SpecError) as err:
        load_project(path)
    problem = next(p for p in err.value.problems if key in p.message or key in str(p))
    assert problem.location.file == str(path)
    line = path.read_text(encoding="utf-8").splitlines()[problem.location.line - 1]
    assert key.split(".")[-1] in line


# --------------------------------------------------------------------------------- the demo's run


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("decisions")
    project = load_project(DEMO)
    project = dataclasses.replace(project, report=dataclasses.replace(project.report, output=out, chart_formats=("svg",)))
    result = pipeline.run(project, until="report")
    return project, result, out


@pytest.mark.slow
def test_the_report_plans_the_next_round_as_the_plan_command_does(demo):
    from survey_toolkit.planning import plan_project

    project, _, out = demo
    plan, _ = plan_project(project, write=False)
    summary = plan_summary(plan)
    html = (out / "report.en.html").read_text(encoding="utf-8")
    section = html[html.index('<section class="plan" id="plan">'):]
    section = section[: section.index("</section>")]
    assert '<a href="#plan">Planning the next round</a>' in html
    assert section.count("<tr") == len(summary) + 1, "one row per location, and the header"
    overall = summary[summary["location_level"] == "national"].iloc[0]
    assert overall["mdc"] == pytest.approx(np.median(plan.loc[(plan.location_level == "national") & plan.mdc.notna()
                                                             & (plan.unit == "percent")
                                                             & ~plan.indicator_id.str.contains("[", regex=False), "mdc"]
                                                    .astype(float)))  # fmt: skip
    assert f'<td class="{"ok" if overall["mdc"] <= 10 else "short"}">{overall["mdc"]:.1f}</td>' in section
    assert "Préparer la prochaine vague" in (out / "report.fr.html").read_text(encoding="utf-8")
    book = openpyxl.load_workbook(out / "results.en.xlsx", read_only=True)
    sheet = book["Plan"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == len(plan) + 1
    first = plan.iloc[0]
    assert rows[1][1] == first["indicator_id"] and rows[1][7] == pytest.approx(first["mdc"])


@pytest.mark.slow
def test_withheld_districts_show_the_labelled_model_figure_and_no_change(demo):
    from survey_toolkit.small_areas import read_covariates

    project, result, out = demo
    tidy = pd.read_csv(out / "results.csv", dtype={"location": str})
    model = tidy[tidy["estimate_type"] == "model-based"]
    assert len(model) > 50
    assert set(model["location_level"]) == {"admin2"} and set(model["caution_reasons"]) == {"model-based"}
    direct = result.table.set_index(["indicator_id", "round", "location"])
    key = list(zip(model["indicator_id"], model["round"], model["location"], strict=True))
    assert direct.loc[key, "suppressed"].all(), "only withheld figures are replaced"
    raw = pipeline.reporting_table(result.results, project, result.inputs, rules=False)
    settings = project.small_areas
    cov = read_covariates(settings.covariates, settings.level, settings.use)
    est, _ = small_area_table(raw, result.table, cov, level="admin2")
    eblup = est.set_index(["indicator_id", "round", "location"])["eblup"]
    np.testing.assert_allclose(model["estimate"].to_numpy(), eblup.loc[key].to_numpy(), rtol=1e-12)
    comparisons = pd.read_csv(out / "comparisons.csv", dtype={"location": str})
    latest = model[model["round"] == "R3"]
    changes = comparisons.merge(latest[["indicator_id", "location"]], on=["indicator_id", "location"])
    assert len(changes) and changes["suppressed"].all(), "no change is computed from a model-based figure"
    html = (out / "report.en.html").read_text(encoding="utf-8")
    assert "model-based estimate (Fay-Herriot small-area model" in html
