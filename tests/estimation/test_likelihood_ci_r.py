"""``ci_method="likelihood"`` for proportions against R ``svyciprop(method="likelihood")``.

R 4.2.2, survey 4.1-1 (MASS 7.3-58.2), options(digits=15), designs of ``tests/estimation/conftest.py``;
values are coef, then attr(, "ci"):

    svyciprop(~I(ell==0), dclus1, method="likelihood")                   # 0.0218579235416175 [0.000663921180934204, 0.107778408381593]
    svyciprop(~I(sch.wide=="Yes"), dclus1, method="likelihood")          # 0.87431693988704 [0.826288241963576, 0.913694491892495]
    svyciprop(~I(sch.wide=="Yes"), dclus1, method="likelihood", level=0.9)   # [0.835482719005011, 0.90730667247529]
    svyciprop(~HI_CHOL, dn, method="likelihood")                         # 0.112142956349929 [0.100884661332559, 0.124100002607562]
    svyby(~I(sch.wide=="Yes"), ~stype, dclus1, svyciprop, method="likelihood", vartype="ci")
    svyciprop(~I(stype=="H"), dstrat, method="likelihood")               # R: error (SE 0: a stratum variable)

R's limits come from a spline through the profile, so they are matched by replaying R's steps; the
agreement is ~1e-12.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from survey_toolkit import estimate
from survey_toolkit.estimation.intervals import proportion_ci

from .conftest import DCLUS1, DN, DSTRAT

pytestmark = pytest.mark.shared


def _limits(frame, design, var, **kw):
    out = estimate(frame, design, var, "proportion", category=1.0, ci_method="likelihood", **kw)
    return out


def _close(got, want):
    assert got == pytest.approx(float(want), rel=1e-10)


def test_overall(apiclus1, nhanes):
    f = apiclus1.assign(ell0=(apiclus1.ell == 0).astype(float), yes=(apiclus1["sch.wide"] == "Yes").astype(float))
    for var, level, lo, hi in [("ell0", 0.95, "0.000663921180934204", "0.107778408381593"),
                               ("yes", 0.95, "0.826288241963576", "0.913694491892495"),
                               ("yes", 0.9, "0.835482719005011", "0.90730667247529")]:
        row = _limits(f, DCLUS1, var, level=level).iloc[0]
        _close(row.ci_low, lo)
        _close(row.ci_high, hi)
        assert row.ci_method == "likelihood"
    row = _limits(nhanes, DN, "HI_CHOL").iloc[0]  # missing values: R's weight scalings reproduced
    _close(row.ci_low, "0.100884661332559")
    _close(row.ci_high, "0.124100002607562")


def test_domains(apiclus1):
    f = apiclus1.assign(yes=(apiclus1["sch.wide"] == "Yes").astype(float))
    out = _limits(f, DCLUS1, "yes", by="stype").set_index("stype")
    for s, lo, hi in [("E", "0.864166961033090", "0.954498930060419"),
                      ("H", "0.521811799231884", "0.946044254053561"),
                      ("M", "0.418418588604886", "0.880286370513798")]:
        _close(out.loc[s, "ci_low"], lo)
        _close(out.loc[s, "ci_high"], hi)


def test_zero_se_uses_the_documented_fallback(apistrat):
    # R stops with an error; the engine gives the p = 0/1-style NCHS interval and says so
    f = apistrat.assign(isH=(apistrat.stype == "H").astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = _limits(f, DSTRAT, "isH").iloc[0]
    assert "p01_fallback" in row.flag and row.ci_method != "likelihood"


def test_needs_the_data():
    with pytest.raises(ValueError, match="likelihood"):
        proportion_ci(np.array([0.5]), np.array([0.1]), np.array([10.0]), np.array([20.0]), "likelihood")
