"""Regression, tests of association, quantiles, svyvar, domains and comparisons on replicate designs.

Reference values: ``tests/data/estimation/replicates/methods.R`` (R 4.2.2, survey 4.1-1), the R call
beside each value. ``b <- as.svrepdesign(svydesign(id=~psu, strata=~stratum, weights=~w, data=pairs),
type="BRR")`` (28 half-samples; ``pairs.csv`` from ``built.R``); ``jkn <- as.svrepdesign(dstrat,
type="JKn")``. The replicate weights here are built by :func:`as_replicates`, which reproduces R's
(``test_replicates_brr.py``, ``test_replicates_built.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, estimate
from survey_toolkit.errors import EstimationError
from survey_toolkit.estimation import as_replicates, compare, crosstab_test, regression, wald_test

from .conftest import DSTRAT, r_close

HERE = Path(__file__).resolve().parents[1] / "data" / "estimation" / "replicates"


@pytest.fixture(scope="module")
def brr():
    pairs = pd.read_csv(HERE / "pairs.csv")
    return as_replicates(pairs, Design(weights="w", strata="stratum", psu="psu"), "BRR")


def check(coefs: pd.DataFrame, expected: dict) -> None:
    got = coefs.set_index("term")
    for term, (est, se) in expected.items():
        r_close(got.loc[term, "estimate"], est)
        r_close(got.loc[term, "se"], se)


def test_linear_regression(brr):
    fit = regression(*brr, "y", ["x", "grp"])
    # coef(summary(svyglm(y ~ x + grp, b))); m$df.residual 23
    check(fit.coefficients, {"(Intercept)": ("6.739711928894670", "0.6628012630531565"),
                             "x": ("0.459954188976280", "0.0138832199211137"),
                             "grpb": ("-0.332279504030489", "0.6615820767678792")})
    assert fit.df == 23
    r_close(fit.coefficients.set_index("term").loc["x", "p_value"], "6.48085830627792e-21")


def test_logistic_regression_and_wald(brr):
    fit = regression(*brr, "bin", ["x", "k"], "quasibinomial")
    # coef(summary(svyglm(bin ~ x + k, b, family=quasibinomial()))); df.residual 22
    check(fit.coefficients, {"(Intercept)": ("-0.8749456759792825", "0.3309671411233543"),
                             "x": ("0.0403351548200243", "0.0112005631108576"),
                             "klow": ("-0.0137172406740746", "0.4385458228898858"),
                             "kmid": ("-0.4883879344404375", "0.3894995356179758")})
    assert fit.df == 22
    test = wald_test(fit, "k")  # regTermTest(l, ~k): F = 1.13726022100521 on 2 and 22 df, p = 0.3388381024967
    r_close(test["F"], "1.13726022100521")
    assert test["ddf"] == 22
    r_close(test["p_value"], "0.3388381024967")


def test_regression_in_a_domain(brr):
    data, design = brr
    fit = regression(data, design, "y", "x", subset=data["grp"] == "a")
    # svyglm(y ~ x, b, subset = grp == "a"); df.residual 24
    check(fit.coefficients, {"(Intercept)": ("6.763229824174411", "0.813487269314866"),
                             "x": ("0.458840022116369", "0.021867488437788")})
    assert fit.df == 24


def test_regression_jkn_rscales(apistrat):
    data, design = as_replicates(apistrat, DSTRAT, "JKn")
    fit = regression(data, design, "api00", ["ell", "meals"])
    # coef(summary(svyglm(api00 ~ ell + meals, jkn))); df.residual 195
    check(fit.coefficients, {"(Intercept)": ("823.857925625164967", "8.875323585903853"),
                             "ell": ("-0.505725551902662", "0.400661883393728"),
                             "meals": ("-3.110628994409318", "0.283575909371454")})
    assert fit.df == 195


@pytest.mark.parametrize(
    ("statistic", "value", "ndf", "ddf", "p"),
    [
        # svychisq(~grp + k, b, statistic=<statistic>)
        ("F", "3.132162204462", "1.750355431507", "43.758885787680", "0.0598622853847"),
        ("Chisq", "6.466335879743", "2", None, "0.043623372556"),
        ("Wald", "4.429197931056", "2", "25", "0.0225642228025"),
        ("adjWald", "4.252030013813", "2", "24", "0.0262593253567"),
    ],
)
def test_crosstab(brr, statistic, value, ndf, ddf, p):
    row = crosstab_test(*brr, "grp", "k", statistic).iloc[0]
    r_close(row["value"], value)
    r_close(row["ndf"], ndf)
    if ddf is not None:
        r_close(row["ddf"], ddf)
    r_close(row["p_value"], p)


def test_crosstab_in_domains(brr):
    # svychisq(~k + bin, subset(b, grp == "a"), statistic=<F | adjWald>); degf(subset(b, grp == "a")) 25
    out = crosstab_test(*brr, "k", "bin", "F", by="grp").set_index("grp")
    r_close(out.loc["a", "value"], "1.201042532589")
    r_close(out.loc["a", "ndf"], "1.744649701931")
    r_close(out.loc["a", "ddf"], "43.616242548264")
    r_close(out.loc["a", "p_value"], "0.305852277241")
    assert out.loc["a", "df"] == 25
    adj = crosstab_test(*brr, "k", "bin", "adjWald", by="grp").set_index("grp")
    r_close(adj.loc["a", "value"], "1.837037835575")
    r_close(adj.loc["a", "p_value"], "0.180991179804")


def test_quantiles(brr):
    q = estimate(*brr, "y", "quantile", quantiles=(0.25, 0.9), quantile_rule="hf7").set_index("category")
    # svyquantile(~y, b, c(0.25, 0.9), ci=TRUE, qrule="hf7")
    for p, (est, lo, hi, se) in {
        "0.25": ("9.31696310312204", "7.97643027350342", "10.3028851478636", "0.564800030387898"),
        "0.9": ("27.70644943820224", "24.98924693197737", "30.6337604131641", "1.370334503726784"),
    }.items():
        r_close(q.loc[p, "estimate"], est)
        r_close(q.loc[p, "ci_low"], lo)
        r_close(q.loc[p, "ci_high"], hi)
        r_close(q.loc[p, "se"], se)
    by = estimate(*brr, "y", "quantile", by="grp", quantile_rule="hf7").set_index("grp")
    # svyby(~y, ~grp, b, svyquantile, quantiles=0.5, ci=TRUE, vartype="ci", qrule="hf7")
    r_close(by.loc["a", "estimate"], "14.1646670247046")
    r_close(by.loc["a", "ci_low"], "12.6694960709233")
    r_close(by.loc["b", "ci_high"], "13.1932643228629")


def test_quantile_interval_from_replicates(brr):
    # svyquantile(~y, b, c(0.25, 0.9), ci=TRUE, qrule="hf7", interval.type="quantile")
    q = estimate(*brr, "y", "quantile", quantiles=(0.25, 0.9), quantile_rule="hf7",
                 ci_method="quantile").set_index("category")
    for p, (lo, hi, se) in {
        "0.25": ("8.11688193651808", "10.5170442697260", "0.582694198659029"),
        "0.9": ("25.43520661452091", "29.9776922618836", "1.102792089346917"),
    }.items():
        r_close(q.loc[p, "ci_low"], lo)
        r_close(q.loc[p, "ci_high"], hi)
        r_close(q.loc[p, "se"], se)
    assert q.loc["0.25", "ci_method"] == "replicate-quantile (hf7)"
    # svyquantile(~y, b, 0.5, ci=TRUE, interval.type="quantile") (qrule "math"): 13.18 [11.8085143867628,
    # 14.5514856132372], SE 0.665918883336156
    m = estimate(*brr, "y", "quantile", quantile_rule="math", ci_method="quantile").iloc[0]
    assert m.estimate == 13.18
    r_close(m.ci_low, "11.8085143867628")
    r_close(m.se, "0.665918883336156")
    # svyby(~y, ~grp, b, svyquantile, quantiles=0.5, ci=TRUE, vartype=c("se", "ci"), qrule="hf7",
    #       interval.type="quantile")
    by = estimate(*brr, "y", "quantile", by="grp", quantile_rule="hf7", ci_method="quantile").set_index("grp")
    r_close(by.loc["a", "se"], "0.748517586427595")
    r_close(by.loc["a", "ci_low"], "12.6230661980431")
    r_close(by.loc["b", "se"], "0.636220282719181")
    r_close(by.loc["b", "ci_high"], "13.4283795223377")


def test_variance(brr):
    v = estimate(*brr, "y", "variance").iloc[0]
    r_close(v.estimate, "93.6470559376938")  # svyvar(~y, b)
    r_close(v.se, "10.929098184587")
    by = estimate(*brr, "y", "variance", by="grp").set_index("grp")  # svyby(~y, ~grp, b, svyvar)
    r_close(by.loc["a", "estimate"], "105.5567712365635")
    r_close(by.loc["a", "se"], "18.3369760442027")
    r_close(by.loc["b", "se"], "10.1719472685626")


def test_domain_contrast(brr):
    # svycontrast(svyby(~y, ~grp, b, svymean, covmat=TRUE), c(a=1, b=-1))
    out = compare(*brr, "y", by="grp", a="a", b="b").iloc[0]
    r_close(out.estimate, "1.89504860291833")
    r_close(out.se, "1.18610228247731")


def test_refused_on_replicates(brr):
    # svyciprop(~bin, b, method="likelihood") gives NA limits in R 4.1-1: refused here
    with pytest.raises(EstimationError) as err:
        estimate(*brr, "bin", "proportion", ci_method="likelihood")
    assert err.value.problems[0].code == "not-on-replicates"
    for method in ("score", "xlogit", "beta", "asin"):  # R: no score; the others silently 'mean'
        with pytest.raises(ValueError, match="not offered for quantiles on replicate-weight designs"):
            estimate(*brr, "y", "quantile", ci_method=method)


def test_regression_singular_in_a_replicate(apiclus1):
    # a predictor level found in a single PSU: the JK1 replicate that drops that PSU cannot estimate it
    from .conftest import DCLUS1

    data, design = as_replicates(apiclus1.assign(rare=(apiclus1["dnum"] == apiclus1["dnum"].iloc[0])
                                                 .map({True: "r", False: "c"})), DCLUS1, "JK1")
    with pytest.raises(EstimationError) as err:
        regression(data, design, "api00", ["ell", "rare"])
    assert err.value.problems[0].code == "replicate-collinear"


def test_replicate_df_rank_is_r_qr_rank():
    """The replicate df's rank is R's ``qr(x, tol = 1e-5)$rank`` (LINPACK dqrdc2: a column counts when its
    part orthogonal to the columns before it is at least 1e-5 of its own norm), not a tolerance on the
    largest singular value. R 4.2.2: X <- cbind(c(1e6,0,0,0), c(0,1,0,0), c(1,1,1e-6,0), c(0,0,0,3));
    qr(X, tol=1e-5)$rank 3; qr(X[, c(3, 1, 2)], tol=1e-5)$rank 2; qr(X[, c(1, 2, 4)], tol=1e-5)$rank 3."""
    from survey_toolkit.estimation._engine import qr_rank

    X = np.array([[1e6, 0, 1, 0], [0, 1, 1, 0], [0, 0, 1e-6, 0], [0, 0, 0, 3.0]])
    gram = lambda cols: (X[:, cols].T @ X[:, cols])[None]  # noqa: E731
    assert qr_rank(gram([0, 1, 2, 3]))[0] == 3
    assert qr_rank(gram([2, 0, 1]))[0] == 2
    assert qr_rank(np.concatenate([gram([0, 1, 3]), gram([0, 1, 3]) * 0]))[0:2].tolist() == [3, 0]
