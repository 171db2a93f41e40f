"""The public API: inputs of every kind, cell variables, package exports, docstring examples."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

import survey_toolkit
from survey_toolkit.io.base import SurveyData
from survey_toolkit.weighting import Margins, Weighted, post_stratify, rake, read_margins


def test_surveydata_in_surveydata_out(api):
    df = api("apiclus1")
    data = SurveyData(frame=df, source="apiclus1.csv")
    out = rake(data, {"stype": {"E": 4421, "H": 755, "M": 1018}}, weights="pw")
    assert isinstance(out.data, SurveyData) and out.data.source == "apiclus1.csv"
    assert "rake_weight" in out.frame.columns and "rake_weight" not in data.frame.columns


def test_cells_of_two_columns(tmp_path):
    df = pd.DataFrame({"region": ["n", "n", "s", "s", "s"], "sex": [1, 2, 1, 2, 2.0], "w": [1.0] * 5})
    path = tmp_path / "cells.csv"
    path.write_text(
        "variable,category,population\nregion:sex,n:1,10\nregion:sex,n:2,20\n"
        "region:sex,s:1.0,30\nregion:sex,s:2,40\n",
        encoding="utf-8",
    )
    out = post_stratify(df, read_margins(path), weights="w")
    assert out.weights.tolist() == pytest.approx([10, 20, 30, 20, 20])


def test_package_exports():
    for name in (
        "rake",
        "post_stratify",
        "calibrate",
        "trim",
        "base_weights",
        "adjust_nonresponse",
        "read_margins",
        "Weighted",
        "WeightingReport",
        "Margins",
        "weight_diagnostics",
    ):
        assert name in survey_toolkit.__all__ and hasattr(survey_toolkit, name)
    assert survey_toolkit.Weighted is Weighted and survey_toolkit.Margins is Margins


@pytest.mark.parametrize(
    "module",
    ["survey_toolkit.weighting", "survey_toolkit.weighting._common", "survey_toolkit.weighting.diagnostics"],
)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_weighted_result_accessors(api):
    df = api("apiclus1")
    out = rake(df, {"stype": {"E": 4421, "H": 755, "M": 1018}}, weights="pw")
    np.testing.assert_array_equal(out.weights, out.frame["rake_weight"].to_numpy())
    assert "Calibration([rake(stype)], rows=183)" == repr(out.calibration)
    assert out.report.settings["variables"] == ("stype",)


def test_design_and_margins_in_either_order(api):
    from survey_toolkit import Design

    df = api("apiclus1")
    design = Design(weights="pw", psu="dnum", fpc="fpc")
    margins = {"stype": {"E": 4421, "H": 755, "M": 1018}}
    a = post_stratify(df, margins, design)
    b = post_stratify(df, design, margins)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert b.design.weights == "ps_weight"
    c = rake(df, design, {**margins, "sch.wide": {"No": 1072, "Yes": 5122}})
    assert c.design.calibration is c.calibration


def test_codes_of_every_dtype(api):
    df = api("apiclus1")
    margins = {"stype": {"E": 4421, "H": 755, "M": 1018}}
    expected = post_stratify(df, margins, weights="pw").weights
    for column in (df["stype"].astype("category"), df["stype"].astype("string")):
        out = post_stratify(df.assign(stype=column), margins, weights="pw")
        np.testing.assert_allclose(out.weights, expected, rtol=1e-15)
    codes = df["stype"].map({"E": 1, "H": 2, "M": 3})
    numeric = {"stype": {1: 4421, 2: 755, 3: 1018}}
    for column in (
        codes.astype("Int64"),
        codes.astype(float),
        codes.astype(str),
        codes.astype(str).astype("category"),
    ):
        out = post_stratify(df.assign(stype=column, pw=df["pw"].astype("Float64")), numeric, weights="pw")
        np.testing.assert_allclose(out.weights, expected, rtol=1e-15)


def test_the_round_in_docs_weighting_md():
    """The 'complete round' of docs/weighting.md on a synthetic frame: plan, non-response, rake + trim, SEs."""
    from survey_toolkit import Design, estimate
    from survey_toolkit.weighting import TrimBounds, adjust_nonresponse, base_weights

    rng = np.random.default_rng(11)
    n = 400
    cluster = np.repeat(np.arange(20), n // 20)
    frame = pd.DataFrame(
        {
            "region": np.where(cluster < 12, "north", "south"),
            "cluster": cluster,
            "households_listed": 100 + 10 * (cluster % 4),
            "n_adults": rng.integers(1, 9, n),
            "urban": rng.integers(0, 2, n),
            "interview_done": (rng.random(n) < 0.85).astype(int),
            "sex": rng.integers(1, 3, n),
            "b1_safe_dark": rng.integers(0, 2, n),
        }
    )
    w = base_weights(
        frame,
        stratum="region",
        stratum_population={"north": 120, "south": 80},
        psu="cluster",
        psu_population="households_listed",
        eligible="n_adults",
        eligible_cap=6,
    )
    w = adjust_nonresponse(w, respondent="interview_done", classes=["region", "urban"])
    total = w.weights.sum()
    margins = Margins.from_mapping({"sex": {1: 0.49, 2: 0.51}, "region": {"north": 0.6, "south": 0.4}})
    design = Design(weights="nr_weight", strata="region", psu="cluster")
    w = rake(w, margins, design, trim=TrimBounds(upper=4, relative_to="median"))
    assert [r.step for r in w.history] == ["base_weights", "adjust_nonresponse", "rake"]
    assert w.weights.sum() == pytest.approx(total)  # shares take the total of the starting weights
    assert w.report.convergence.converged
    assert (w.weights[frame["interview_done"].to_numpy() == 0] == 0).all()
    table = estimate(w.frame, w.design, "b1_safe_dark", "proportion", by="region")
    assert table["se"].notna().all() and (table["se"] > 0).all()


def test_calibration_remembers_the_rows_it_was_made_on(api):
    df = api("apiclus1")
    out = rake(df, {"stype": {"E": 4421, "H": 755, "M": 1018}}, weights="pw")
    assert out.calibration.index.equals(out.frame.index)
    assert not out.calibration.index.equals(out.frame.sort_values("api00").index)
