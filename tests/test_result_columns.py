"""Every public result table uses exactly the column names documented in docs/data-model.md ("Result tables").

Each table is built from the demo's round 1 (loaded once) and a small made-up frame; its columns are
compared with the ``<!-- columns: NAME -->`` table of the doc. Columns named by the caller or the
data (``by`` keys, breakdowns, label languages) are the doc's rows in italics and are left out of the
comparison here by name.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit.planning import plan_next_round
from survey_toolkit.results import reporting_table
from survey_toolkit.small_areas import small_area_table

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "data-model.md"
MARKER = re.compile(r"<!--\s*columns:\s*(\w+)\s*-->")
REFERENCE = re.compile(r"^the `(\w+)` columns")


def documented() -> dict[str, list[str]]:
    """Table name -> its documented column names, in order (italic rows left out)."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    tables: dict[str, list[str]] = {}
    for i, line in enumerate(lines):
        if not (m := MARKER.search(line)):
            continue
        names: list[str] = []
        for row in lines[i + 3:]:  # the header and its rule come first
            if not row.startswith("|"):
                break
            cell = row.split("|")[1].strip()
            if ref := REFERENCE.match(cell):
                names += [c for c in tables[ref.group(1)] if c not in ("group", "level")]
            elif not cell.startswith("*"):
                names += re.findall(r"`([^`]+)`", cell)
        tables[m.group(1)] = names
    return tables


DOCUMENTED = documented()


def check(name: str, table: pd.DataFrame, named_by_caller: set[str] = frozenset()) -> None:
    want = DOCUMENTED[name]
    got = [c for c in table.columns if c not in named_by_caller]
    assert len(want) == len(set(want)), f"{name}: a column is documented twice"
    assert sorted(got) == sorted(want), (
        f"{name}: undocumented {sorted(set(got) - set(want))}, documented but absent {sorted(set(want) - set(got))}")


@pytest.fixture(scope="module")
def demo():
    form = st.read_instrument(ROOT / "instruments" / "cssp_core.xlsx")
    data = st.load(ROOT / "examples" / "demo" / "round1_kobo.xlsx", instrument=form)
    return form, data


@pytest.fixture(scope="module")
def indicator_tables(demo):
    form, data = demo
    spec = st.load_indicators(ROOT / "survey_toolkit" / "data" / "indicators.yaml", form)
    frame = pd.concat([data.frame.assign(round=r, w=1.0) for r in ("R1", "R2")], ignore_index=True)
    design = st.Design(weights="w", strata="admin2", psu="cluster_id")
    ids = ["sdg_16_1_4", "trust_police"]
    results = pd.concat([st.compute(frame, spec, design, by=["round"], ids=ids, instrument=form),  # as the workflow
                         st.compute(frame, spec, design, by=["round", "admin2"], ids=ids, instrument=form,
                                    disaggregate=False)], ignore_index=True)
    table = reporting_table(results, indicators=spec, instrument=form)
    return results, table, st.apply_rules(table)


def test_every_documented_table_is_checked():
    assert set(DOCUMENTED) == {
        "compute", "estimate", "compare", "compare_independent", "reporting", "rules", "compare_rounds",
        "quality_issues", "quality_summary", "quality_by_source", "exclusions", "weight_diagnostics", "plan",
        "small_areas", "small_area_models"}


def test_indicator_results_reporting_table_rules_and_comparisons(indicator_tables):
    results, table, ruled = indicator_tables
    check("compute", results, {"round", "admin2"})
    breakdowns = set(table.attrs["group_columns"]) - {"location"}
    languages = {c for c in table.columns if re.fullmatch(r"(label|definition)_\w+", c)}
    check("reporting", table, {"admin2"} | breakdowns | languages)
    check("rules", ruled[[c for c in ruled.columns if c not in table.columns]])
    changes = st.compare_rounds(ruled)
    check("compare_rounds", changes, set(ruled.columns) - set(DOCUMENTED["compare_rounds"]))
    assert "flags" not in ruled.columns and "survey_round" not in results.columns


def test_planning_and_small_areas(indicator_tables):
    _, table, ruled = indicator_tables
    check("plan", plan_next_round(ruled))
    areas = sorted(table.loc[table["location_level"] == "admin2", "location"].unique())
    covariates = pd.DataFrame({"urban": np.linspace(0, 1, len(areas))}, index=pd.Index(areas, name="location"))
    estimates, models = small_area_table(table, ruled, covariates, level="admin2")
    check("small_areas", estimates)
    check("small_area_models", models, {c for c in models.columns if re.fullmatch(r"(beta|se)\[.+\]", c)})


def test_quality_tables(demo):
    _, data = demo
    report = st.check_quality(data)
    check("quality_issues", report.issues)
    check("quality_summary", report.summary)
    check("quality_by_source", report.by_source)
    check("exclusions", st.apply_exclusions(data, report)[1])


def test_estimates_comparisons_and_weights():
    frame = pd.DataFrame({
        "region": ["north"] * 4 + ["south"] * 4,
        "cluster": ["n1", "n1", "n2", "n2", "s1", "s1", "s2", "s2"],
        "safe": [1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0],
        "w": [10.0, 12.0, 9.0, 10.0, 11.0, 10.0, 8.0, 10.0],
    })
    design = st.Design(weights="w", strata="region", psu="cluster")
    by_region = st.estimate(frame, design, "safe", "mean", by="region")
    check("estimate", by_region, {"region"})
    check("compare", st.compare(frame, design, "safe", "mean", by="region", a="north", b="south"))
    overall = st.estimate(frame, design, "safe", "mean")
    check("compare_independent", st.compare_independent(overall, overall.assign(estimate=0.4)))
    check("weight_diagnostics", st.weight_diagnostics(frame, "w", by="region"))


def test_old_names_still_work_for_one_release_with_a_warning():
    frame = pd.DataFrame({"sex": ["1", "2", "1", "2"], "w": [1.0, 1.0, 2.0, 2.0]})
    with pytest.warns(DeprecationWarning, match=r"rake\(weight=...\) is deprecated.*weights="):
        old = st.rake(frame, {"sex": {"1": 10, "2": 10}}, weight="w")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = st.rake(frame, {"sex": {"1": 10, "2": 10}}, weights="w")
    pd.testing.assert_frame_equal(old.frame, new.frame)
    with pytest.raises(TypeError, match="both weights= and its old name weight="):
        st.rake(frame, {"sex": {"1": 10, "2": 10}}, weight="w", weights="w")
    with pytest.warns(DeprecationWarning, match="weight_diagnostics"):
        st.weight_diagnostics(frame, weight="w")

    a = pd.DataFrame({"variable": ["y"], "category": [pd.NA], "statistic": ["mean"], "estimate": [2.0],
                      "se": [0.5], "df": [10.0]})
    with pytest.warns(DeprecationWarning, match=r"compare_independent\(df_rule=...\).*df_method="):
        old = st.compare_independent(a, a.assign(estimate=1.0), df_rule="min")
    pd.testing.assert_frame_equal(old, st.compare_independent(a, a.assign(estimate=1.0), df_method="min"))

    results = pd.DataFrame({"indicator_id": ["safe"], "survey_round": ["R1"], "estimate": [40.0], "n": [100]})
    with pytest.warns(DeprecationWarning, match="survey_round"):
        table = reporting_table(results)
    assert table["round"].tolist() == ["R1"] and "survey_round" not in table.columns
