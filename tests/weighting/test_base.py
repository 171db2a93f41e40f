"""Base weights (probabilities, sample plan, eligible adults) and the non-response adjustment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey_toolkit.errors import Severity
from survey_toolkit.weighting import adjust_nonresponse, base_weights, rake

HERE = Path(__file__).parent


def oracle(label: str) -> np.ndarray:
    for line in (HERE / "weighting_oracles.txt").read_text().splitlines():
        if line.startswith(label + " "):
            return np.array([float(x) for x in line[len(label) + 1 :].split()])
    raise KeyError(label)


def test_two_stage_plan_matches_r_dclus2(api):
    # weights(svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)) = N/n x M_i/m_i (R 4.2.2, survey 4.1-1)
    df = api("apiclus2")
    out = base_weights(df, stratum_population="fpc1", psu="dnum", psu_population="fpc2")
    np.testing.assert_allclose(out.weights, oracle("dclus2 weights"), rtol=1e-12)
    np.testing.assert_allclose(
        out.weights, df["pw"], rtol=1e-6
    )  # the data's own pw, stored in single precision
    assert out.report.before is None and out.report.step == "base_weights"
    assert [p.code for p in out.report.problems] == ["sample-size-counted"]


def test_stratified_plan_matches_r_dstrat(api):
    # weights(svydesign(id=~1, strata=~stype, fpc=~fpc, data=apistrat)): N_h / n_h
    df = api("apistrat")
    out = base_weights(df, stratum="stype", stratum_population={"E": 4421, "H": 755, "M": 1018})
    np.testing.assert_allclose(out.weights, oracle("dstrat weights"), rtol=1e-12)
    table = out.report.classes.set_index("stratum")
    assert table.loc["E", "n_h"] == 100 and table.loc["H", "first_stage"] == pytest.approx(15.1)
    same = base_weights(
        df, stratum="stype", stratum_population="fpc", stratum_sample={"E": 100, "H": 50, "M": 50}
    )
    np.testing.assert_allclose(same.weights, out.weights, rtol=1e-15)


def test_probabilities_and_eligible_adults():
    df = pd.DataFrame({"pi": [0.1, 0.25, 0.5], "adults": [1, 3, 8]})
    out = base_weights(df, probability="pi", eligible="adults")
    assert out.weights.tolist() == pytest.approx([10.0, 12.0, 16.0])
    capped = base_weights(df, probability="pi", eligible="adults", eligible_cap=4)
    assert capped.weights.tolist() == pytest.approx([10.0, 12.0, 8.0])


def test_planned_psu_sample_sizes_as_mappings():
    df = pd.DataFrame({"h": ["a"] * 4 + ["b"] * 2, "psu": [1, 1, 2, 2, 3, 3], "M": [10, 10, 20, 20, 5, 5]})
    out = base_weights(
        df,
        stratum="h",
        stratum_population={"a": 20, "b": 10},
        psu="psu",
        psu_population="M",
        psu_sample={1: 4, 2: 2, 3: 2},
    )
    # a: 20/2 x 10/4 and 20/2 x 20/2; b: 10/1 x 5/2
    assert out.weights.tolist() == pytest.approx([25, 25, 100, 100, 25, 25])


def test_nonresponse_adjustment_within_classes():
    df = pd.DataFrame(
        {"cls": ["a", "a", "a", "b", "b"], "resp": [1, 1, 0, "yes", "no"], "w": [10.0, 20.0, 30.0, 5.0, 15.0]}
    )
    df["resp"] = df["resp"].astype(object)
    out = adjust_nonresponse(df, weights="w", respondent="resp", classes="cls")
    # class a: 60 / 30 = 2; class b: 20 / 5 = 4; non-respondents 0; totals per class kept
    assert out.weights.tolist() == pytest.approx([20.0, 40.0, 0.0, 20.0, 0.0])
    table = out.report.classes.set_index("class")
    assert table.loc["b", "factor"] == pytest.approx(4) and table.loc[
        "a", "response_rate_w"
    ] == pytest.approx(0.5)
    (warning,) = out.report.problems
    assert warning.code == "large-nonresponse-factor" and warning.severity is Severity.WARNING
    assert "'b'" in warning.message


def test_a_pipeline_of_steps_keeps_history_and_never_changes_the_input(api):
    df = api("apistrat")
    before = df.copy()
    base = base_weights(df, stratum="stype", stratum_population="fpc")
    raked = rake(base, {"sch.wide": {"No": 1072, "Yes": 5122}, "awards": {"No": 2300, "Yes": 3894}})
    assert [r.step for r in raked.history] == ["base_weights", "rake"]
    assert raked.report.source_weight == "base_weight"
    assert {"base_weight", "rake_weight"} <= set(raked.frame.columns)
    assert raked.summary()["step"].tolist() == ["base_weights", "rake"]
    assert set(raked.diagnostics()["stage"]) == {"before", "after"}
    pd.testing.assert_frame_equal(df, before)
