"""No suppressed cell of the demo can be recovered from what a run publishes (issue #10, item 5).

The attacker here is written independently of :mod:`survey_toolkit.disclosure`: from the published
tidy table alone it rebuilds every "total = sum of its parts" relation a reader can see (the
levels of each breakdown under the overall row, the regions under the national row, the districts
under their region and under the national row, the categories of a distribution, which sum to
100%) and solves every relation that has a single unknown cell. It also looks for the true value of
every suppressed cell, at full precision, in every published table: results and comparisons (CSV,
Parquet) and the workbooks.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from survey_toolkit import pipeline
from survey_toolkit.disclosure import ReportingRules, apply_rules
from survey_toolkit.project import load_project
from survey_toolkit.report._common import published_groups
from tests.conftest import ROOT

DEMO = ROOT / "examples" / "demo"
BREAKDOWNS = ("a1_sex", "age_group", "disability", "area_type", "a4_displacement", "youth_18_29")
VALUES = ("estimate", "se", "ci_low", "ci_high")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The whole demo run into a temporary folder, and the same table before any suppression."""
    out = tmp_path_factory.mktemp("demo_out")
    project = load_project(DEMO)
    project = dataclasses.replace(project, report=dataclasses.replace(project.report, output=out,
                                                                      chart_formats=("svg",)))  # fmt: skip
    result = pipeline.run(project, until="report")
    no_rules = ReportingRules(min_n=0, caution_n=0, min_n_eff=0, max_ci_width=math.inf,
                              max_relative_ci_width=math.inf, small_cell_k=0, secondary_suppression=False,
                              sensitive_admin2=True)  # fmt: skip
    raw_project = dataclasses.replace(project, report=dataclasses.replace(project.report, rules=no_rules))
    raw = pipeline.reporting_table(result.results, raw_project, result.inputs)
    return out, result.table, raw


def _relations(table: pd.DataFrame) -> pd.DataFrame:
    """Every visible total = sum-of-parts relation: one row per (relation, member, is_total)."""
    pos = pd.Series(np.arange(len(table)), index=table.index)
    no_breakdown = table[list(BREAKDOWNS)].isna().all(axis=1)
    ident = table["indicator_id"].astype("string").astype(str) + "|" + table["round"].astype("string").astype(str)
    national = no_breakdown & (table["location_level"] == "national")
    rows = []

    def add(keys: pd.Series, is_total: bool) -> None:
        rows.append(pd.DataFrame({"relation": keys.to_numpy(), "pos": pos[keys.index].to_numpy(), "total": is_total}))

    for col in BREAKDOWNS:
        part = table[col].notna()
        add(ident[part] + "|" + col, False)
        add(ident[national] + "|" + col, True)
    admin1 = no_breakdown & (table["location_level"] == "admin1")
    admin2 = no_breakdown & (table["location_level"] == "admin2")
    add(ident[admin1] + "|regions", False)
    add(ident[national] + "|regions", True)
    add(ident[admin2] + "|districts", False)
    add(ident[national] + "|districts", True)
    region_of = table["location"].astype(str).str[:3]  # the demo's district codes start with their region's
    add(ident[admin2] + "|in|" + region_of[admin2], False)
    add(ident[admin1] + "|in|" + table["location"].astype(str)[admin1], True)
    dist = table["type"].eq("distribution")
    where = pd.Series("", index=table.index)
    for col in ("location", *BREAKDOWNS):
        where = where + "|" + table[col].astype("string").fillna("<NA>").astype(str)
    add("dist|" + table["base_indicator_id"].astype(str)[dist] + "|" + table["round"].astype(str)[dist]
        + "|" + where[dist], False)  # fmt: skip
    members = pd.concat(rows, ignore_index=True)
    has_parts = members.loc[~members["total"], "relation"].unique()
    return members[members["relation"].isin(has_parts)]


def _solvable(published: pd.DataFrame) -> pd.DataFrame:
    """The suppressed, non-empty cells that are the only unknown of some relation."""
    unknown = (published["suppressed"] & published["n"].gt(0)).to_numpy()
    members = _relations(published).assign(unknown=lambda m: unknown[m["pos"].to_numpy()])
    counts = members.groupby("relation")["unknown"].transform("sum")
    return published.iloc[members.loc[(counts == 1) & members["unknown"], "pos"].unique()]


def test_the_attacker_recovers_a_lone_suppressed_cell_without_secondary_suppression(demo):
    _, table, raw = demo
    unprotected = apply_rules(raw, ReportingRules(min_n=30, caution_n=50, secondary_suppression=False))
    solvable = _solvable(unprotected)
    assert len(solvable) > 0  # the attack works: it finds what the rules alone leave open
    # a men's cell of a sensitive indicator (a small cell) is among them, recovered exactly
    sensitive = solvable[solvable["sensitive"] & solvable["a1_sex"].notna()]
    assert len(sensitive) > 0
    cell = sensitive.iloc[0]
    same = unprotected[(unprotected["indicator_id"] == cell["indicator_id"]) & (unprotected["round"] == cell["round"])]
    total = same[same[list(BREAKDOWNS)].isna().all(axis=1) & same["location_level"].eq("national")].iloc[0]
    others = same[same["a1_sex"].notna() & ~same["suppressed"]]
    recovered = total["n_numerator"] - others["n_numerator"].sum()
    assert recovered == raw.loc[cell.name, "n_numerator"]


def test_no_suppressed_cell_of_the_demo_is_solvable_from_the_published_table(demo):
    out, table, _ = demo
    published = pd.read_csv(out / "results.csv")
    # a model-based figure (small_areas.substitute) stands in for a direct estimate that stays withheld:
    # for the attack it is a suppressed cell like any other (its counts are never published)
    model = published["estimate_type"].eq("model-based")
    assert model.any() and published.loc[model, "n_numerator"].isna().all()
    published.loc[model, "suppressed"] = True
    # don't know / refused groups of breakdowns are not published as groups (survey_toolkit.report)
    assert published["suppressed"].sum() == published_groups(table)["suppressed"].sum() > 0
    assert published["suppression_reason"].fillna("").str.contains("secondary").any()
    solvable = _solvable(published)
    assert solvable.empty, solvable[["indicator_id", "round", "location", *BREAKDOWNS, "suppression_reason"]]


def test_an_empty_category_never_protects_a_suppressed_cell(demo):
    _, table, _ = demo
    sex = table[table["a1_sex"].notna() & table["sensitive"]]
    for _, cells in sex.groupby(["indicator_id", "round"]):
        hidden = cells["suppressed"] & cells["n"].gt(0)
        assert hidden.sum() != 1, cells[["a1_sex", "n", "suppression_reason"]]


def _suppressed_values(table: pd.DataFrame, raw: pd.DataFrame) -> set[float]:
    """The true values of suppressed cells that only that cell holds (full precision, not whole numbers).

    A value two cells share (a variant equal to its indicator in some domain, the CI of a zero
    share on the same base) can be published by the other cell, so only values unique in the
    whole unsuppressed table are secrets. Weighted bases are not: a domain's base is published
    with every other indicator of the domain.
    """
    every = pd.Series(raw[list(VALUES)].to_numpy(dtype=float).ravel())
    unique = set(every[~every.duplicated(keep=False)])
    hidden = raw.loc[table["suppressed"].to_numpy(), list(VALUES)].to_numpy(dtype=float).ravel()
    return {float(v) for v in hidden if np.isfinite(v) and not float(v).is_integer() and v in unique}


def test_no_suppressed_value_appears_in_any_published_table(demo):
    out, table, raw = demo
    secret = _suppressed_values(table, raw)
    assert len(secret) > 1000
    frames = [pd.read_csv(out / name) for name in ("results.csv", "comparisons.csv")]
    frames += [pd.read_parquet(p) for p in sorted(out.glob("*.parquet"))]
    published: set[float] = set()
    for frame in frames:
        numbers = frame.select_dtypes("number").to_numpy(dtype=float).ravel()
        published |= {float(v) for v in numbers if np.isfinite(v)}
    for path in sorted(out.glob("*.xlsx")):
        book = openpyxl.load_workbook(path, read_only=True)
        for sheet in book.worksheets:
            for values in sheet.iter_rows(values_only=True):
                published |= {float(v) for v in values if isinstance(v, float)}
    leaked = secret & published
    assert not leaked, sorted(leaked)[:10]


def test_comparisons_never_use_a_suppressed_estimate(demo):
    out, table, _ = demo
    comparisons = pd.read_csv(out / "comparisons.csv")
    assert comparisons["suppressed"].any()
    hidden = comparisons["suppressed"]
    for col in ("change", "se", "ci_low", "ci_high", "p_value", "q_value"):
        assert comparisons.loc[hidden, col].isna().all(), col
