"""Weighted designs through the estimation engine's calibration hook agree with R (1e-8 relative).

R 4.2.2 / survey 4.1-1; calls in ``weighting_oracles.R`` (sections 1-4 and 7), output in
``weighting_oracles.txt``. ``dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from survey_toolkit import Design, estimate
from survey_toolkit.weighting import calibrate, post_stratify, rake, trim

from .test_r_parity import AWARDS, SCHWIDE, TYPES, oracle

RTOL = 1e-8
DCLUS1 = Design(weights="pw", psu="dnum", fpc="fpc")
DSTRAT = Design(weights="pw", strata="stype", fpc="fpc")


def mean_total(out):
    m = estimate(out.frame, out.design, "api00", "mean").iloc[0]
    t = estimate(out.frame, out.design, "enroll", "total").iloc[0]
    return [m["estimate"], m["se"]], [t["estimate"], t["se"]]


@pytest.mark.parametrize(
    ("label", "make"),
    [
        ("ps_dclus1", lambda df: post_stratify(df, TYPES, DCLUS1)),
        ("rk1_dclus1", lambda df: rake(df, {**TYPES, **SCHWIDE}, DCLUS1)),
        ("rk0_dclus1", lambda df: rake(df, {**TYPES, **SCHWIDE}, DCLUS1, epsilon=1, maxit=10)),
        ("gc_dclus1", lambda df: calibrate(df, TYPES, DCLUS1, totals={"api99": 3914069})),
    ],
)
def test_mean_and_total_after_calibration(api, label, make):
    out = make(api("apiclus1"))
    assert out.design.weights == out.weight_column and out.design.calibration is out.calibration
    mean, total = mean_total(out)
    np.testing.assert_allclose(mean, oracle(f"{label} mean_api00"), rtol=RTOL)
    np.testing.assert_allclose(total, oracle(f"{label} total_enroll"), rtol=RTOL)


@pytest.mark.parametrize(
    ("label", "make"),
    [
        ("ps_dstrat_schwide", lambda df: post_stratify(df, SCHWIDE, DSTRAT)),
        ("rk_dstrat_schwide_awards", lambda df: rake(df, {**SCHWIDE, **AWARDS}, DSTRAT, epsilon=1e-12)),
        ("gc_dstrat_schwide_api99", lambda df: calibrate(df, SCHWIDE, DSTRAT, totals={"api99": 3914069})),
        ("tw40_dstrat", lambda df: trim(df, DSTRAT, upper=40)),
    ],
)
def test_stratified_design(api, label, make):
    out = make(api("apistrat"))
    mean, total = mean_total(out)
    np.testing.assert_allclose(mean, oracle(f"{label} mean_api00"), rtol=RTOL)
    np.testing.assert_allclose(total, oracle(f"{label} total_enroll"), rtol=RTOL)


def test_domains_after_raking(api):
    # svyby(~api00, ~stype, rk1, svymean)
    out = rake(api("apiclus1"), {**TYPES, **SCHWIDE}, DCLUS1)
    table = estimate(out.frame, out.design, "api00", "mean", by="stype")
    np.testing.assert_allclose(table["estimate"], oracle("rk1_dclus1 svyby_stype_mean"), rtol=RTOL)
    np.testing.assert_allclose(table["se"], oracle("rk1_dclus1 svyby_stype_se"), rtol=RTOL)


def test_domains_after_greg(api):
    # svyby(~api00, ~awards, gc, svymean)
    out = calibrate(api("apiclus1"), TYPES, DCLUS1, totals={"api99": 3914069})
    table = estimate(out.frame, out.design, "api00", "mean", by="awards")
    np.testing.assert_allclose(table["estimate"], oracle("gc_dclus1 svyby_awards_mean"), rtol=RTOL)
    np.testing.assert_allclose(table["se"], oracle("gc_dclus1 svyby_awards_se"), rtol=RTOL)


def test_proportions_after_post_stratification(api):
    # svymean(~sch.wide, ps)
    out = post_stratify(api("apiclus1"), TYPES, DCLUS1)
    table = estimate(out.frame, out.design, "sch.wide", "proportion")
    np.testing.assert_allclose(table["estimate"], oracle("ps_dclus1 schwide_prop"), rtol=RTOL)
    np.testing.assert_allclose(table["se"], oracle("ps_dclus1 schwide_prop_se"), rtol=RTOL)


def test_trimming_drops_a_previous_calibration_with_a_warning(api):
    raked = rake(api("apiclus1"), {**TYPES, **SCHWIDE}, DCLUS1)
    trimmed = trim(raked, upper=60)
    assert trimmed.calibration is None and trimmed.design.calibration is None
    assert [p.code for p in trimmed.report.problems] == ["trim-after-calibration"]
    assert trimmed.design.weights == "trim_weight"


def test_the_input_design_is_unchanged(api):
    rake(api("apiclus1"), {**TYPES, **SCHWIDE}, DCLUS1)
    assert DCLUS1.weights == "pw" and DCLUS1.calibration is None


def test_design_without_a_weight_column_starts_from_its_prepared_weights(api):
    df = api("apiclus2")
    design = Design(psu=["dnum", "snum"], fpc=["fpc1", "fpc2"])  # weights from the fpc, as R dclus2
    out = post_stratify(df, {"stype": {"E": 4421, "H": 755, "M": 1018}}, design)
    assert out.report.source_weight == "(design weights)"
    np.testing.assert_allclose(out.report.before.iloc[0]["sum_w"], oracle("dclus2 weights").sum(), rtol=1e-12)
    assert out.design.weights == "ps_weight"
