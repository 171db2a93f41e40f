"""``regression`` / ``wald_test`` against R ``svyglm`` / ``regTermTest``.

R 4.2.2, survey 4.1-1, options(digits=15), designs of ``tests/estimation/conftest.py``; values are
summary(m)$coefficients (estimate, SE, t, p) and m$df.residual:

    m1 <- svyglm(api00 ~ ell + meals + mobility, design=dstrat)                       # df 194
    m2 <- svyglm(api00 ~ stype + ell, design=dclus1)                                  # df 11
    regTermTest(m2, ~stype)                       # F 14.4077835389555 on (2, 11), p 0.000845996931048086
    m3 <- svyglm(I(sch.wide=="Yes") ~ ell + stype, design=dclus1, family=quasibinomial)   # df 11
    regTermTest(m3, ~ell+stype)                   # F 1.98518798591109 on (3, 11), p 0.174713985056257
    m4 <- svyglm(HI_CHOL ~ factor(race) + agecat + RIAGENDR, design=dn, family=quasibinomial)  # df 9
    m5 <- svyglm(api00 ~ ell + acs.k3, design=dclus1, subset = stype=="E")            # df 12
    confint(m2)

Iterative fits (quasibinomial) are compared to 1e-6 relative: R stops IRLS at a relative deviance
change of 1e-8, the engine at machine precision.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit import Design
from survey_toolkit.errors import EstimationError

from .conftest import DCLUS1, DN, DSTRAT, r_close

pytestmark = pytest.mark.shared

M1 = [("(Intercept)", "820.887315905623", "10.0777359498854", "81.4555292962363", "5.5947498145457e-152"),
      ("ell", "-0.480586612171949", "0.391973403222528", "-1.22606944303084", "0.221658715155487"),
      ("meals", "-3.14153530998456", "0.283946506416501", "-11.0638280063093", "2.25413465184605e-22"),
      ("mobility", "0.225713210229636", "0.393218362022529", "0.57401492918254", "0.566622613162202")]
M2 = [("(Intercept)", "771.869682183451", "26.220537548439", "29.4375994678799", "8.19042796825106e-12"),
      ("stypeH", "-91.1645975043861", "19.7911115969207", "-4.60634043004287", "0.000757051930156415"),
      ("stypeM", "-46.4835941487046", "13.5992418270553", "-3.41810188684393", "0.0057424549808378"),
      ("ell", "-4.14224374050912", "0.454121482942299", "-9.12144414237156", "1.83816956064391e-06")]
M3 = [("(Intercept)", "2.05593963395454", "0.335233990105761", "6.13284957562308", "7.38466452520186e-05"),
      ("ell", "0.0120817534103644", "0.0121671814755922", "0.992978812274713", "0.342061201852008"),
      ("stypeH", "-0.929592454927515", "0.626494182058476", "-1.4838006186636", "0.165940348683202"),
      ("stypeM", "-1.5706812598626", "0.643700504167983", "-2.44008082903832", "0.032818012904679")]
M4 = [("(Intercept)", "-4.95074371834659", "0.287894381027903", "-17.1963888307593", "3.42498644630778e-08"),
      ("race2", "-0.0848865065907772", "0.0798833710609805", "-1.06263050073309", "0.315629731784753"),
      ("race3", "-0.433218643807483", "0.151193093209026", "-2.86533355864712", "0.0186177861368508"),
      ("race4", "-0.146212347165669", "0.336415707921749", "-0.434618074372668", "0.674073991575992"),
      ("agecat(19,39]", "2.27973442052297", "0.32702298027004", "6.97117498788761", "6.52953723462128e-05"),
      ("agecat(39,59]", "3.21236043181244", "0.355867946370403", "9.02683274674273", "8.3325772145284e-06"),
      ("agecat(59,Inf]", "3.02996938083594", "0.350568813951911", "8.64300890509781", "1.18745298603796e-05"),
      ("RIAGENDR", "0.212760495203168", "0.0846127754802368", "2.5145197518413", "0.033064635442056")]
M5 = [("(Intercept)", "540.269639848114", "117.106448203116", "4.6134918114077", "0.000596858069813431"),
      ("ell", "-4.10121283091949", "0.446484517456035", "-9.18556561442992", "8.89567435857499e-07"),
      ("acs.k3", "11.4991188654708", "5.01563290591656", "2.29265559923776", "0.0407353843447808")]


def _check(fit, expected, df, rel=0.0):
    assert fit.df == df
    got = fit.coefficients.set_index("term")
    assert list(got.index) == [e[0] for e in expected]
    for term, est, se, t, p in expected:
        row = got.loc[term]
        if rel:
            for g, e in ((row.estimate, est), (row.se, se), (row.t, t), (row.p_value, p)):
                assert g == pytest.approx(float(e), rel=rel)
        else:
            r_close(row.estimate, est, extra=1e-11)
            r_close(row.se, se, extra=1e-11)
            r_close(row.t, t, extra=1e-11)
            assert row.p_value == pytest.approx(float(p), rel=1e-9)


def test_linear(apistrat, apiclus1):
    _check(st.regression(apistrat, DSTRAT, "api00", ["ell", "meals", "mobility"]), M1, 194)
    m2 = st.regression(apiclus1, DCLUS1, "api00", ["stype", "ell"])
    _check(m2, M2, 11)
    ci = m2.coefficients.set_index("term")
    r_close(ci.loc["stypeH", "ci_low"], "-134.72454043092606", extra=1e-12)
    r_close(ci.loc["ell", "ci_high"], "-3.14272909567431", extra=1e-12)
    test = st.wald_test(m2, "stype")
    r_close(test["F"], "14.4077835389555", extra=1e-12)
    assert (test.ndf, test.ddf) == (2, 11)
    assert test.p_value == pytest.approx(0.000845996931048086, rel=1e-9)


def test_logistic(apiclus1, nhanes):
    f = apiclus1.assign(yes=(apiclus1["sch.wide"] == "Yes").astype(float))
    m3 = st.regression(f, DCLUS1, "yes", ["ell", "stype"], "quasibinomial")
    _check(m3, M3, 11, rel=1e-9)
    test = st.wald_test(m3, ["ell", "stype"])
    assert test["F"] == pytest.approx(1.98518798591109, rel=1e-9) and test.ddf == 11
    assert test.p_value == pytest.approx(0.174713985056257, rel=1e-9)
    m4 = st.regression(nhanes, DN, "HI_CHOL", ["race", "agecat", "RIAGENDR"], "quasibinomial", factors=["race"])
    _check(m4, M4, 9, rel=1e-9)
    assert m4.n == int(nhanes["HI_CHOL"].notna().sum())


def test_subset_is_a_domain(apiclus1):
    _check(st.regression(apiclus1, DCLUS1, "api00", ["ell", "acs.k3"], subset=apiclus1.stype == "E"), M5, 12)


def test_wald_test_on_coefficient_names_and_chisq(apiclus1):
    m2 = st.regression(apiclus1, DCLUS1, "api00", ["stype", "ell"])
    a = st.wald_test(m2, ["stypeH", "stypeM"])
    assert a["F"] == pytest.approx(st.wald_test(m2, "stype")["F"], rel=1e-14)
    chi = st.wald_test(m2, "ell", df=float("inf"))
    assert chi.chisq == pytest.approx(float(m2.coefficients.t.iloc[3]) ** 2, rel=1e-12)


def test_equal_weights_srs_matches_ols_point_estimates():
    rng = np.random.default_rng(1)
    f = pd.DataFrame({"x": rng.normal(size=50)})
    f["y"] = 2 + 3 * f.x + rng.normal(size=50)
    fit = st.regression(f.assign(w=1.0), Design(weights="w"), "y", "x")
    ols = np.linalg.lstsq(np.column_stack([np.ones(50), f.x]), f.y, rcond=None)[0]
    assert np.allclose(fit.coefficients.estimate, ols, rtol=1e-12)


def test_errors(apiclus1):
    with pytest.raises(EstimationError, match="not offered"):
        st.regression(apiclus1, DCLUS1, "api00", "ell", "poisson")
    with pytest.raises(EstimationError, match="outside"):
        st.regression(apiclus1, DCLUS1, "api00", "ell", "quasibinomial")
    with pytest.raises(EstimationError, match="collinear"):
        st.regression(apiclus1.assign(ell2=apiclus1.ell * 2), DCLUS1, "api00", ["ell", "ell2"])
    with pytest.raises(EstimationError, match="not in the data"):
        st.regression(apiclus1, DCLUS1, "api00", "nope")
    with pytest.raises(EstimationError, match="not numeric"):
        st.regression(apiclus1, DCLUS1, "stype", "ell")
    m = st.regression(apiclus1, DCLUS1, "api00", "ell")
    with pytest.raises(EstimationError, match="not a term"):
        st.wald_test(m, "meals")
    sep = pd.DataFrame({"y": [0.0, 0.0, 1.0, 1.0], "x": [1.0, 2.0, 3.0, 4.0], "w": 1.0})
    with pytest.raises(EstimationError, match="perfectly predicted"):
        st.regression(sep, Design(weights="w"), "y", "x", "quasibinomial")
