"""Weights, means, totals and SEs after weighting agree with R to 1e-8 relative.

Oracle: R 4.2.2 with survey 4.1-1. The R calls are in ``weighting_oracles.R`` beside this file, its
output in ``weighting_oracles.txt`` (full weight vectors are read from there); the scalar values are
also pinned below, each with its call. Designs::

    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    pop.types   <- data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018))
    pop.schwide <- data.frame(sch.wide=c("No","Yes"), Freq=c(1072,5122))
    pop.awards  <- data.frame(awards=c("No","Yes"), Freq=c(2300,3894))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from survey_toolkit.weighting import calibrate, kish_deff, post_stratify, rake, trim

RTOL = 1e-8
HERE = Path(__file__).parent
TYPES = {"stype": {"E": 4421, "H": 755, "M": 1018}}
SCHWIDE = {"sch.wide": {"No": 1072, "Yes": 5122}}
AWARDS = {"awards": {"No": 2300, "Yes": 3894}}


def oracle(label: str) -> np.ndarray:
    """The numbers R printed after ``label`` in weighting_oracles.txt."""
    for line in (HERE / "weighting_oracles.txt").read_text().splitlines():
        if line.startswith(label + " "):
            return np.array([float(x) for x in line[len(label) + 1 :].split()])
    raise KeyError(label)


def clus1_estimates(df, out, taylor):
    args = (np.zeros(len(df)), df["dnum"].to_numpy(), df["fpc"].to_numpy())
    return (
        taylor.mean_and_se(df["api00"], out.weights, *args, calibration=out.calibration),
        taylor.total_and_se(df["enroll"], out.weights, *args, calibration=out.calibration),
    )


def strat_estimates(df, out, taylor):
    args = (df["stype"].to_numpy(), np.arange(len(df)), df["fpc"].to_numpy())
    return (
        taylor.mean_and_se(df["api00"], out.weights, *args, calibration=out.calibration),
        taylor.total_and_se(df["enroll"], out.weights, *args, calibration=out.calibration),
    )


def check(label, estimates):
    (mean, se_mean), (total, se_total) = estimates
    np.testing.assert_allclose([mean, se_mean], oracle(f"{label} mean_api00"), rtol=RTOL)
    np.testing.assert_allclose([total, se_total], oracle(f"{label} total_enroll"), rtol=RTOL)


def test_post_stratify_dclus1(api, taylor):
    # postStratify(dclus1, ~stype, pop.types): mean api00 642.31079 (SE 23.92049),
    # total enroll 3680892.9 (SE 406292.64) (statistics.md §13 row 19)
    df = api("apiclus1")
    out = post_stratify(df, TYPES, weights="pw")
    check("ps_dclus1", clus1_estimates(df, out, taylor))
    (mean, se), (total, se_t) = clus1_estimates(df, out, taylor)
    np.testing.assert_allclose(
        [mean, se, total, se_t],
        [642.310788211582, 23.9204864450904, 3680892.94511905, 406292.636294802],
        rtol=RTOL,
    )
    by_type = out.frame.groupby("stype")["ps_weight"].first().to_numpy()
    np.testing.assert_allclose(by_type, oracle("ps_dclus1 weights_by_stype_E_H_M"), rtol=RTOL)


def test_rake_dclus1_tight(api, taylor):
    # rake(dclus1, list(~stype,~sch.wide), list(pop.types, pop.schwide), control=list(maxit=100, epsilon=1e-10))
    # mean api00 641.2303209268 (SE 23.703616887929); total enroll 3647280.14807054 (SE 400603.256861826)
    df = api("apiclus1")
    out = rake(df, {**TYPES, **SCHWIDE}, weights="pw", epsilon=1e-10, maxit=100)
    np.testing.assert_allclose(out.weights, oracle("rk1_dclus1 weights"), rtol=RTOL)
    check("rk1_dclus1", clus1_estimates(df, out, taylor))
    assert out.report.convergence.converged
    assert out.weights.min() == pytest.approx(29.87067549, rel=1e-9)
    assert out.weights.max() == pytest.approx(67.12552924, rel=1e-9)
    # Kish deff / ESS of the raked weights (weighting_ci_oracles.txt): 1.051656696 / 174.011158551
    assert kish_deff(out.weights) == pytest.approx(1.051656696, rel=1e-9)
    margins = out.report.margins.set_index(["variable", "category"])["achieved"]
    assert margins[("stype", "E")] == pytest.approx(4421, rel=1e-11)


def test_rake_dclus1_default_r_control_reproduces_the_loose_row(api, taylor):
    # R's default control=list(maxit=10, epsilon=1) (epsilon >= 1 is in weight units) stops early:
    # stype E 4420.9633441; mean api00 641.230246862209 (SE 23.7036412402377); weights 29.87046387-67.12578263
    df = api("apiclus1")
    out = rake(df, {**TYPES, **SCHWIDE}, weights="pw", epsilon=1, maxit=10)
    np.testing.assert_allclose(out.weights, oracle("rk0_dclus1 weights"), rtol=RTOL)
    check("rk0_dclus1", clus1_estimates(df, out, taylor))
    margins = out.report.margins.set_index(["variable", "category"])["achieved"]
    assert margins[("stype", "E")] == pytest.approx(4420.9633441, abs=1e-6)


def test_calibrate_greg_dclus1(api, taylor):
    # calibrate(dclus1, ~stype+api99, c(`(Intercept)`=6194, stypeH=755, stypeM=1018, api99=3914069))
    # mean api00 665.30907116578 (SE 3.44175311640481) (statistics.md §13 row 22)
    df = api("apiclus1")
    out = calibrate(df, TYPES, weights="pw", totals={"api99": 3914069})
    np.testing.assert_allclose(out.weights, oracle("gc_dclus1 weights"), rtol=RTOL)
    check("gc_dclus1", clus1_estimates(df, out, taylor))
    (mean, se), _ = clus1_estimates(df, out, taylor)
    np.testing.assert_allclose([mean, se], [665.30907116578, 3.44175311640481], rtol=RTOL)


def test_trim_dstrat_upper_40(api, taylor):
    # trimWeights(dstrat, upper=40): E 40 / H 19.31 / M 24.57, sum 6194, mean api00 659.349743500561
    # (SE 8.92786102192754) (statistics.md §13 row 23)
    df = api("apistrat")
    out = trim(df, weights="pw", upper=40)
    by_type = out.frame.groupby("stype")["trim_weight"].first().to_numpy()
    np.testing.assert_allclose(by_type, oracle("tw40_dstrat weights_by_stype_E_H_M"), rtol=RTOL)
    assert out.weights.sum() == pytest.approx(df["pw"].sum(), rel=1e-14)
    check("tw40_dstrat", strat_estimates(df, out, taylor))
    assert out.report.trimming.n_trimmed_upper == 100


def test_trim_dstrat_strict_two_bounds(api, taylor):
    # trimWeights(dstrat, upper=35, lower=18, strict=TRUE): E 35 / H 18.88 / M 35
    df = api("apistrat")
    out = trim(df, weights="pw", upper=35, lower=18)
    by_type = out.frame.groupby("stype")["trim_weight"].first().to_numpy()
    np.testing.assert_allclose(by_type, oracle("tw35_18_strict_dstrat weights_by_stype_E_H_M"), rtol=RTOL)
    check("tw35_18_strict_dstrat", strat_estimates(df, out, taylor))


@pytest.mark.parametrize(
    ("kwargs", "label"),
    [
        ({"upper": 9, "strict": False}, "toy upper9 strict=FALSE"),
        ({"upper": 9}, "toy upper9 strict=TRUE"),
        ({"upper": 9, "lower": 2.5}, "toy upper9 lower2.5 strict=TRUE"),
    ],
)
def test_trim_toy_matches_trimweights(kwargs, label):
    # trimWeights(svydesign(id=~1, weights=~w, data=data.frame(w=c(1,2,3,4,10,12,30), y=1:7)), ...)
    import pandas as pd

    df = pd.DataFrame({"w": [1.0, 2, 3, 4, 10, 12, 30]})
    out = trim(df, weights="w", **kwargs)
    np.testing.assert_allclose(out.weights, oracle(label), rtol=1e-10)


def test_post_stratify_dstrat_varying_weights(api, taylor):
    # postStratify(dstrat, ~sch.wide, pop.schwide): SE mean api00 9.2725438999078
    df = api("apistrat")
    check("ps_dstrat_schwide", strat_estimates(df, post_stratify(df, SCHWIDE, weights="pw"), taylor))


def test_rake_dstrat_varying_weights(api, taylor):
    # rake(dstrat, list(~sch.wide,~awards), list(pop.schwide, pop.awards), control=list(maxit=100, epsilon=1e-12))
    # SE mean api00 9.29132659349579: R's residuals (10 sweeps of unweighted centring), not the exact projection
    df = api("apistrat")
    out = rake(df, {**SCHWIDE, **AWARDS}, weights="pw", epsilon=1e-12)
    np.testing.assert_allclose(out.weights, oracle("rk_dstrat_schwide_awards weights"), rtol=RTOL)
    check("rk_dstrat_schwide_awards", strat_estimates(df, out, taylor))


def test_rake_projection_variance_is_the_exact_weighted_residual(api, taylor):
    # rake_variance="projection": the d-weighted GREG residual on the margins' indicators differs from R's
    df = api("apistrat")
    exact = rake(df, {**SCHWIDE, **AWARDS}, weights="pw", epsilon=1e-12, rake_variance="projection")
    greg = calibrate(df, {**SCHWIDE, **AWARDS}, weights="pw")
    (_, se_exact), _ = strat_estimates(df, exact, taylor)
    (_, se_r), _ = strat_estimates(df, rake(df, {**SCHWIDE, **AWARDS}, weights="pw", epsilon=1e-12), taylor)
    (_, se_greg), _ = strat_estimates(df, greg, taylor)
    assert se_exact != pytest.approx(se_r, rel=1e-4)
    assert se_exact == pytest.approx(se_greg, rel=1e-3)  # raking ~ GREG on the same margins


def test_calibrate_dstrat_varying_weights(api, taylor):
    # calibrate(dstrat, ~sch.wide+api99, c(`(Intercept)`=6194, sch.wideYes=5122, api99=3914069))
    # SE mean api00 1.55669497320899, SE total enroll 121987.077586081
    df = api("apistrat")
    out = calibrate(df, SCHWIDE, weights="pw", totals={"api99": 3914069})
    np.testing.assert_allclose(out.weights, oracle("gc_dstrat_schwide_api99 weights"), rtol=RTOL)
    check("gc_dstrat_schwide_api99", strat_estimates(df, out, taylor))


@pytest.mark.parametrize(
    ("label", "second"), [("chain_ps_ps_dstrat", post_stratify), ("chain_ps_gc_dstrat", calibrate)]
)
def test_chained_calibrations(api, taylor, label, second):
    # ps1 <- postStratify(dstrat, ~sch.wide, pop.schwide); postStratify(ps1, ~awards, pop.awards) or
    # calibrate(ps1, ~awards, c(`(Intercept)`=6194, awardsYes=3894)): mean api00 661.778237708845 (SE 9.26766076618781)
    df = api("apistrat")
    out = second(post_stratify(df, SCHWIDE, weights="pw"), AWARDS)
    assert len(out.calibration.steps) == 2
    check(label, strat_estimates(df, out, taylor))


def test_raking_ratio_calibration_dstrat(api, taylor):
    # calibrate(dstrat, ~sch.wide+awards, c(`(Intercept)`=6194, sch.wideYes=5122, awardsYes=3894),
    #           calfun="raking", epsilon=1e-12, maxit=200): SE mean api00 9.28380180135523 (GREG residuals)
    df = api("apistrat")
    out = calibrate(df, {**SCHWIDE, **AWARDS}, weights="pw", calfun="raking")
    check("gr_dstrat_schwide_awards", strat_estimates(df, out, taylor))
    np.testing.assert_allclose(
        out.weights, rake(df, {**SCHWIDE, **AWARDS}, weights="pw", epsilon=1e-13).weights, rtol=1e-9
    )


def test_raking_ratio_calibration_with_a_numeric_total(api, taylor):
    # calibrate(dclus1, ~stype+api99, c(`(Intercept)`=6194, stypeH=755, stypeM=1018, api99=3914069),
    #           calfun="raking", epsilon=1e-12, maxit=200)
    df = api("apiclus1")
    out = calibrate(df, TYPES, weights="pw", totals={"api99": 3914069}, calfun="raking")
    np.testing.assert_allclose(out.weights, oracle("gr_dclus1_stype_api99 weights"), rtol=RTOL)
    check("gr_dclus1_stype_api99", clus1_estimates(df, out, taylor))
