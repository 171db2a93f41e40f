"""Calibrated designs by domain: the all-domains projection equals the per-column residual route.

The engine residualises every domain's linearised values at once from grouped sums
(``Calibration.domain_projector``); a calibration object that only offers ``residualize(u)`` (the
generic hook) goes through dense blocks of domain columns. Both must give the same SEs, for every kind
of calibration step, chains of steps, two-stage designs and both ways of summing (dense cluster x
domain grid, or quadratic forms per stratum when that grid would be large). R agreement of the fast
route itself is pinned in ``tests/weighting`` and ``test_lonely_domains.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, estimate
from survey_toolkit.estimation import _engine
from survey_toolkit.weighting import calibrate, post_stratify, rake

TYPES = {"stype": {"E": 4421, "H": 755, "M": 1018}}
SCHWIDE = {"sch.wide": {"No": 1072, "Yes": 5122}}
AWARDS = {"awards": {"No": 2300, "Yes": 3894}}
DSTRAT = Design(weights="pw", strata="stype", fpc="fpc")
DCLUS2 = Design(psu=["dnum", "snum"], fpc=["fpc1", "fpc2"])


class GenericHook:
    """The same calibration seen through the generic ``residualize`` hook only."""

    def __init__(self, calibration) -> None:
        self.calibration = calibration

    def residualize(self, u: np.ndarray) -> np.ndarray:
        return self.calibration.residualize(u)


def _weighted(kind: str, frame: pd.DataFrame, design: Design):
    if kind == "poststratify":
        return post_stratify(frame, SCHWIDE, design)
    if kind == "rake":
        return rake(frame, {**SCHWIDE, **AWARDS}, design)
    if kind == "rake-projection":
        return rake(frame, {**SCHWIDE, **AWARDS}, design, rake_variance="projection")
    if kind == "greg":
        return calibrate(frame, SCHWIDE, design, totals={"api99": 3914069.0})
    if kind == "chain":
        return rake(post_stratify(frame, AWARDS, design).data, SCHWIDE,
                    post_stratify(frame, AWARDS, design).design)
    raise ValueError(kind)


def _both(weighted, frame, var, stat, by):
    frame = weighted.frame
    assert hasattr(weighted.design.calibration, "domain_projector")
    fast = estimate(frame, weighted.design, var, stat, by=by)
    slow_design = weighted.design.replace(calibration=GenericHook(weighted.design.calibration))
    slow = estimate(frame, slow_design, var, stat, by=by)
    return fast, slow


@pytest.mark.filterwarnings("ignore:.*proportion.*of exactly 0 or 1")
@pytest.mark.parametrize("kind", ["poststratify", "rake", "rake-projection", "greg", "chain"])
@pytest.mark.parametrize("dense", [True, False])
def test_projection_equals_generic_route(apistrat, kind, dense, monkeypatch):
    if not dense:
        monkeypatch.setattr(_engine, "_DENSE_RESID", 0)
    weighted = _weighted(kind, apistrat, DSTRAT)
    for var, stat in (("api00", "mean"), ("enroll", "total"), ("awards", "proportion")):
        fast, slow = _both(weighted, apistrat, var, stat, ["stype", "yr.rnd"])
        np.testing.assert_allclose(fast["estimate"], slow["estimate"], rtol=1e-13)
        np.testing.assert_allclose(fast["se"], slow["se"], rtol=1e-9, atol=1e-12)
        assert np.isfinite(fast["se"]).all()


@pytest.mark.parametrize("dense", [True, False])
def test_projection_two_stage(apiclus2, dense, monkeypatch):
    if not dense:
        monkeypatch.setattr(_engine, "_DENSE_RESID", 0)
    frame = apiclus2
    weighted = rake(frame, {"stype": {"E": 4421, "H": 755, "M": 1018}, **SCHWIDE}, DCLUS2)
    fast, slow = _both(weighted, frame, "api00", "mean", "awards")
    np.testing.assert_allclose(fast["se"], slow["se"], rtol=1e-9)
