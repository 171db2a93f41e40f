"""Every in-scope value of statistics.md §13 against R (R 4.2.2, survey 4.1-1).

Sources: ../shared/fixtures/r-datasets/{api_oracles,compare_rounds,pitfalls,weighting_ci_oracles}.txt,
produced by the .R scripts of the same names (R 4.2.2, survey 4.1-1, regenerated 2026). R values are
kept as printed strings: :func:`r_close` checks them to the digits R printed (about 1e-10 relative
for the 10-digit values, 1e-6 for the 6-digit ones). Tolerance constants:
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, compare, compare_independent, estimate
from survey_toolkit.errors import DesignError
from survey_toolkit.estimation import p01_interval, proportion_ci

from .conftest import DCLUS1, DCLUS1WR, DCLUS2, DN, DSTRAT, r_close

#: R's "logit" CI comes from an iterated glm fit; it agrees with xlogit to about 1e-8 relative
GLM_ITERATION = 1e-7

pytestmark = pytest.mark.shared


def one(frame, design, var, stat="mean", **kw) -> pd.Series:
    out = estimate(frame, design, var, stat, **kw)
    assert len(out) == 1
    return out.iloc[0]


# --- #1 degrees of freedom: degf(dstrat), degf(dclus1), degf(dclus2), degf(dn) = 197 / 14 / 39 / 16
def test_design_df(apistrat, apiclus1, apiclus2, nhanes):
    assert DSTRAT.prepare(apistrat).df == 197
    assert DCLUS1.prepare(apiclus1).df == 14
    assert DCLUS2.prepare(apiclus2).df == 39
    assert DN.prepare(nhanes).df == 16


# --- #2 svymean(~api00, dstrat, deff=TRUE); deff="replace"; #3 confint(m), confint(m, df=degf(dstrat))
def test_mean_stratified(apistrat):
    r = one(apistrat, DSTRAT, "api00")
    r_close(r.estimate, "662.2873632")
    r_close(r.se, "9.4089408")
    r_close(r.deff_wor, "1.20446")
    r_close(r.deff_wr, "1.16557")
    assert r.df == 197
    r_close(r.ci_low, "643.7321883")
    r_close(r.ci_high, "680.842538")
    n = one(apistrat, DSTRAT, "api00", df=math.inf)
    r_close(n.ci_low, "643.8461781")
    r_close(n.ci_high, "680.7285483")
    assert n.ci_method == "wald-normal" and r.ci_method == "wald-t"


# --- #4 svytotal(~enroll, dstrat, deff=TRUE)
def test_total_stratified(apistrat):
    r = one(apistrat, DSTRAT, "enroll", "total")
    r_close(r.estimate, "3687177.53")
    r_close(r.se, "114641.72")
    r_close(r.deff_wor, "0.36202")


# --- #5 svymean(~api00, dclus1, deff=TRUE) and on dclus1wr (no fpc)
def test_mean_cluster_with_and_without_fpc(apiclus1):
    r = one(apiclus1, DCLUS1, "api00")
    r_close(r.estimate, "644.169399")
    r_close(r.se, "23.542241")
    r_close(r.deff_wor, "9.34587")
    wr = one(apiclus1, DCLUS1WR, "api00")
    r_close(wr.se, "23.779011")
    r_close(wr.deff_wor, "9.5348")
    # §2.3: the variance ratio is exactly 1 - 15/757
    assert r.se**2 / wr.se**2 == pytest.approx(1 - 15 / 757, rel=1e-12)


# --- #6 svytotal(~enroll, dclus1, deff=TRUE)
def test_total_cluster(apiclus1):
    r = one(apiclus1, DCLUS1, "enroll", "total")
    r_close(r.estimate, "3404940.13")
    r_close(r.se, "932235.03")
    r_close(r.deff_wor, "31.31066")


# --- #7 dclus2: svymean(~api00); svymean(~enroll, na.rm=TRUE); svytotal(~enroll, na.rm=TRUE)
def test_two_stage_fpc(apiclus2):
    r = one(apiclus2, DCLUS2, "api00")
    r_close(r.estimate, "670.81181")
    r_close(r.se, "30.09903")
    e = one(apiclus2, DCLUS2, "enroll")
    r_close(e.estimate, "526.26264")
    r_close(e.se, "80.34098")
    assert e.n_missing == 6 and e.n == 120
    t = one(apiclus2, DCLUS2, "enroll", "total")
    r_close(t.estimate, "2639272.9")
    r_close(t.se, "799637.77")


# --- #8 svymean(~stype, dclus1)
def test_factor_proportions(apiclus1):
    out = estimate(apiclus1, DCLUS1, "stype").set_index("category")
    for cat, est, se in [("E", "0.786885246", "0.04634"), ("H", "0.076502732", "0.02681"),
                         ("M", "0.136612022", "0.02965")]:
        r_close(out.loc[cat, "estimate"], est)
        r_close(out.loc[cat, "se"], se)
    assert out["statistic"].eq("proportion").all()


# --- #9 svyratio(~api.stu, ~enroll, dclus1) / (..., dstrat)
def test_ratio(apiclus1, apistrat):
    r = one(apiclus1, DCLUS1, "api.stu", "ratio", denominator="enroll")
    r_close(r.estimate, "0.8497087417")
    r_close(r.se, "0.008386297169")
    s = one(apistrat, DSTRAT, "api.stu", "ratio", denominator="enroll")
    r_close(s.estimate, "0.8369568869")
    r_close(s.se, "0.007757103167")
    assert r.variable == "api.stu/enroll"


# --- #10 svyby(~api00, ~stype, dclus1, svymean, deff=TRUE); #11 degf(subset(dclus1, stype==.));
#     weighting_ci_oracles.txt §6: confint(svymean(~api00, subset(dclus1, stype==s)), df=degf(sub));
#     api_oracles.txt: confint(svyby(...), df=degf(dclus1))
def test_domain_means_df_and_ci(apiclus1):
    out = estimate(apiclus1, DCLUS1, "api00", by="stype").set_index("stype")
    expected = {
        "E": ("648.8680556", "22.36240889", "6.583673525", 14, "600.90545865", "696.83065246"),
        "H": ("618.5714286", "38.02024936", "2.228259317", 7, "528.66782488", "708.47503226"),
        "M": ("631.44", "31.60946523", "2.163899720", 11, "561.86803612", "701.01196388"),
    }
    for s, (est, se, deff, df, lo, hi) in expected.items():
        r = out.loc[s]
        r_close(r.estimate, est)
        r_close(r.se, se)
        r_close(r.deff_wor, deff)
        assert r.df == df
        r_close(r.ci_low, lo)
        r_close(r.ci_high, hi)
    full = estimate(apiclus1, DCLUS1, "api00", by="stype", df=14).set_index("stype")
    for s, lo, hi in [("E", "600.9054587", "696.8306525"), ("H", "537.0261039", "700.1167533"),
                      ("M", "563.6444398", "699.2355602")]:
        r_close(full.loc[s, "ci_low"], lo)
        r_close(full.loc[s, "ci_high"], hi)


# --- #11 degf(subset(dstrat, stype=="H")) = 49
def test_domain_df_stratified(apistrat):
    out = estimate(apistrat, DSTRAT, "api00", by="stype").set_index("stype")
    assert out.loc["H", "df"] == 49 and out.loc["E", "df"] == 99


# --- #12 svyby(~sch.wide, ~stype, dstrat, svymean)
def test_domain_proportions(apistrat):
    out = estimate(apistrat, DSTRAT, "sch.wide", by="stype", category="No").set_index("stype")
    for s, est, se in [("E", "0.09", "0.02843519621"), ("H", "0.48", "0.06896763492"),
                       ("M", "0.30", "0.06383743035")]:
        r_close(out.loc[s, "estimate"], est)
        r_close(out.loc[s, "se"], se)


# --- #13 svyby(~api.stu, by=~stype, denominator=~enroll, design=dclus1, FUN=svyratio)
def test_domain_ratio(apiclus1):
    out = estimate(apiclus1, DCLUS1, "api.stu", "ratio", denominator="enroll", by="stype").set_index("stype")
    for s, est, se in [("E", "0.8532672346", "0.01253360860"), ("H", "0.8300682508", "0.01472607324"),
                       ("M", "0.8536737513", "0.01114202867")]:
        r_close(out.loc[s, "estimate"], est)
        r_close(out.loc[s, "se"], se)


# --- #14 svyciprop(~I(ell==0), dclus1, method=.) and the formula checks of weighting_ci_oracles.txt §4
@pytest.mark.parametrize(
    ("method", "lo", "hi", "extra"),
    [
        ("xlogit", "0.002304691284", "0.177747766823", 0.0),
        ("logit", "0.002304691299", "0.177747766514", GLM_ITERATION),
        ("korn-graubard", "0.0002161468327", "0.1375077639150", 0.0),
        ("beta", "0.0002161468327", "0.1375077639150", 0.0),
        ("wald", "-0.02666240796", "0.07037825495", 0.0),
        ("asin", "0.0003071927089", "0.0955767363668", 0.0),
        ("wilson", "0.0031787772378", "0.13539128515", 0.0),  # survey 4.5 formula, computed in R 4.2.2
    ],
)
def test_proportion_ci_methods(apiclus1, method, lo, hi, extra):
    frame = apiclus1.assign(ell0=(apiclus1["ell"] == 0).astype(int))
    r = one(frame, DCLUS1, "ell0", "proportion", category=1, ci_method=method)
    r_close(r.estimate, "0.021857923497")
    r_close(r.se, "0.022622450861")
    assert r.df == 14
    r_close(r.ci_low, lo, extra)
    r_close(r.ci_high, hi, extra)


# --- #14 svyciprop(~I(ell==0), dclus1, method="mean", df=Inf); n_eff of weighting_ci_oracles.txt
def test_proportion_wald_normal_and_neff(apiclus1):
    frame = apiclus1.assign(ell0=(apiclus1["ell"] == 0).astype(int))
    r = one(frame, DCLUS1, "ell0", "proportion", category=1, ci_method="wald", df=math.inf)
    r_close(r.ci_low, "-0.02248126543")
    r_close(r.ci_high, "0.06619711243")
    r_close(r.n_eff, "41.7764503080579")


# --- #15 svyciprop(~I(sch.wide=="Yes"), dstrat, method="beta")
def test_korn_graubard_stratified(apistrat):
    r = one(apistrat, DSTRAT, "sch.wide", "proportion", category="Yes", ci_method="beta")
    r_close(r.estimate, "0.8279480114")
    r_close(r.ci_low, "0.7741713286")
    r_close(r.ci_high, "0.8734315926")


# --- #16 svyquantile(~api00, dclus1, c(.25,.5,.75), ci=TRUE) (qrule math; school identical here)
@pytest.mark.parametrize("rule", ["math", "school"])
def test_quantiles_woodruff(apiclus1, rule):
    out = estimate(apiclus1, DCLUS1, "api00", "quantile", quantiles=[0.25, 0.5, 0.75], quantile_rule=rule)
    expected = [("552", "492", "627", "31.47166121"), ("652", "561", "714", "35.66788270"),
                ("719", "696", "777", "18.88299672")]
    for (_, r), (est, lo, hi, se) in zip(out.iterrows(), expected, strict=True):
        r_close(r.estimate, est)
        r_close(r.ci_low, lo)
        r_close(r.ci_high, hi)
        r_close(r.se, se)
    assert list(out.category) == ["0.25", "0.5", "0.75"]


# --- #17 svyquantile(~api00, dstrat, .5, ci=TRUE, qrule="hf7")
def test_quantile_hf7(apistrat):
    r = one(apistrat, DSTRAT, "api00", "quantile", quantiles=0.5, quantile_rule="hf7")
    r_close(r.estimate, "667.6085725")
    r_close(r.ci_low, "637.0329849")
    r_close(r.ci_high, "680.8195917")
    r_close(r.se, "11.10163589")


# --- #24 svyttest(api00~sch.wide, dclus1)
def test_two_group_ttest(apiclus1):
    r = compare(apiclus1, DCLUS1, "api00", by="sch.wide", a="Yes", b="No").iloc[0]
    r_close(r.estimate, "41.31902174")
    r_close(r.t, "2.1089898")
    assert r.df == 13
    r_close(r.p_value, "0.05490882")
    r_close(r.ci_low, "-1.006606132")
    r_close(r.ci_high, "83.644649610")


# --- #26 / #27 lonely PSU on ds <- svydesign(id=~1, weights=~pw, strata=~dnum, data=apiclus1)
@pytest.mark.parametrize(
    ("policy", "centre", "mean_se", "total_se"),
    [
        ("remove", "zero", "5.80578", "161732.9024"),
        ("certainty", "zero", "5.80578", "161732.9024"),
        ("adjust", "zero", "5.82806", "161998.58"),  # survey 4.1-1 centres the lone PSU at 0
        ("adjust", "mean", "5.82806", "162001.9161"),  # survey 4.5 rule, computed by hand in R
        ("average", "zero", "6.00955", "167409.46"),
    ],
)
def test_lonely_psu_policies(apiclus1, policy, centre, mean_se, total_se):
    ds = Design(weights="pw", strata="dnum", lonely_psu=policy, lonely_centre=centre)
    m = one(apiclus1, ds, "api00")
    r_close(m.estimate, "644.1694")
    r_close(m.se, mean_se)
    t = one(apiclus1, ds, "enroll", "total")
    r_close(t.estimate, "3404940.1")
    r_close(t.se, total_se)


def test_lonely_average_is_remove_times_sqrt(apiclus1):
    rm = one(apiclus1, Design(weights="pw", strata="dnum", lonely_psu="remove"), "api00").se
    av = one(apiclus1, Design(weights="pw", strata="dnum", lonely_psu="average"), "api00").se
    assert av == pytest.approx(rm * math.sqrt(15 / 14), rel=1e-12)


# --- #28 svymean(~HI_CHOL, dn, na.rm=TRUE, deff=TRUE); #29 svyciprop(~HI_CHOL, dn, method=., na.rm=TRUE)
def test_nhanes_mean(nhanes):
    r = one(nhanes, DN, "HI_CHOL")
    r_close(r.estimate, "0.1121429563")
    r_close(r.se, "0.0054458397")
    r_close(r.deff_wor, "2.3368")
    assert (r.n, r.n_missing, r.df) == (7846, 745, 16)


@pytest.mark.parametrize(
    ("method", "lo", "hi"),
    [
        ("xlogit", "0.1011069593", "0.1242170892"),
        ("logit", "0.1011069593", "0.1242170892"),
        ("asin", "0.1008604292", "0.1239446072"),
        ("wilson", "0.1011128536", "0.1242100342"),  # survey 4.5 formula (statistics.md §6.2)
        # R uses nrow(design) = 8591 (gives 0.1008254661, 0.1242576972); the engine uses the 7846
        # answering rows, which statistics.md §6.2 gives as (0.1008256144, 0.1242575273)
        ("korn-graubard", "0.1008256144", "0.1242575273"),
    ],
)
def test_nhanes_proportion_ci(nhanes, method, lo, hi):
    r = one(nhanes, DN, "HI_CHOL", "proportion", category=1, ci_method=method)
    r_close(r.ci_low, lo)
    r_close(r.ci_high, hi)


# --- #30 svyby(~HI_CHOL, ~race, dn, svymean, na.rm=TRUE); #31 subset(dn, race==3): SE 0.01038, degf 15
def test_nhanes_by_race(nhanes):
    out = estimate(nhanes, DN, "HI_CHOL", by="race").set_index("race")
    for race, est, se in [(1, "0.10149166545", "0.006245843309"), (2, "0.12164920536", "0.006604133624"),
                          (3, "0.07864006040", "0.010384645001"), (4, "0.09967860948", "0.024666226872")]:
        r_close(out.loc[race, "estimate"], est)
        r_close(out.loc[race, "se"], se)
    assert out.loc[3, "df"] == 15
    assert out.loc[3, "domain_lonely_strata"] > 0 and "domain_lonely_psu" in out.loc[3, "flag"]


# --- #31 / P-1: the design rebuilt from race==3 rows fails under "fail" and gives SE 0.01035 under remove
def test_rebuilt_domain_design_differs(nhanes):
    rows = nhanes[nhanes["race"] == 3]
    with pytest.raises(DesignError) as err:
        DN.prepare(rows)
    assert err.value.problems[0].message == "Stratum (75) has only one PSU at stage 1"
    rebuilt = one(rows, DN.replace(lonely_psu="remove"), "HI_CHOL")
    r_close(rebuilt.se, "0.01035")


# --- #32 pitfalls.txt: svymean(~api00, subset(dstrat, awards=="Yes" & stype=="E")) vs rebuilt
def test_awards_domain_vs_rebuilt(apistrat):
    frame = apistrat.assign(dom=(apistrat["awards"] == "Yes") & (apistrat["stype"] == "E"))
    r = estimate(frame, DSTRAT, "api00", by="dom").set_index("dom").loc[True]
    r_close(r.estimate, "679.836")
    r_close(r.se, "13.9797")
    rebuilt = one(frame[frame["dom"]], DSTRAT, "api00")
    r_close(rebuilt.se, "14.0496")


# --- #33 pitfalls.txt: normalised weights pw/mean(pw), dstrat without fpc
def test_normalised_weights(apistrat):
    frame = apistrat.assign(pwn=apistrat["pw"] / apistrat["pw"].mean())
    d1 = Design(weights="pw", strata="stype", population_scale=True)
    d2 = Design(weights="pwn", strata="stype", population_scale=True)
    a, b = one(frame, d1, "api00"), one(frame, d2, "api00")
    for r in (a, b):
        r_close(r.estimate, "662.28736")
        r_close(r.se, "9.53613")
        r_close(r.deff_wr, "1.19729")
    r_close(a.deff_wor, "1.23724")
    assert math.isnan(b.deff_wor)  # R: Inf (sum of weights = n)
    ta, tb = one(frame, d1, "enroll", "total"), one(frame, d2, "enroll", "total")
    r_close(ta.estimate, "3687178")
    r_close(ta.se, "117319")
    r_close(tb.estimate, "119056")
    r_close(tb.se, "3788.15")


def test_deff_wor_only_for_population_scale(apistrat):
    r = one(apistrat, DSTRAT.replace(population_scale=False), "api00")
    assert math.isnan(r.deff_wor)
    r_close(r.deff_wr, "1.16557")


# --- #34 pitfalls.txt: I(api00<400) in subset(dstrat, stype=="H"): svymean 0, SE 0; R beta gives NaN.
#     weighting_ci_oracles.txt §7: n 50, df 49, n* 50, upper 1-(0.025)^(1/n*) = 0.07112173646
def test_p_zero_fallback(apistrat):
    frame = apistrat.assign(low=(apistrat["api00"] < 400).astype(int))
    with pytest.warns(UserWarning, match="exactly 0 or 1"):
        out = estimate(frame, DSTRAT, "low", "proportion", by="stype", category=1, ci_method="beta")
    h = out.set_index("stype").loc["H"]
    assert (h.estimate, h.se, h.n, h.df) == (0.0, 0.0, 50, 49)
    assert h.ci_low == 0.0
    r_close(h.ci_high, "0.07112173646")
    assert h.flag == "p01_fallback" and h.ci_method == "korn-graubard-nchs (p=0/1 fallback)"
    assert math.isnan(h.deff_wr)
    nan = estimate(frame, DSTRAT, "low", "proportion", by="stype", category=1, p01="nan")  # R-like, no warning
    assert nan.set_index("stype").loc["H", ["ci_low", "ci_high"]].isna().all()


# Stata 18 kg_nchs, n = 100, df = 5 (svy test_proportions.py): upper bound 0.06003496
def test_p01_interval_stata_check():
    lo, hi = p01_interval(np.array([0.0, 1.0]), np.array([5.0, 5.0]), np.array([100.0, 100.0]))
    assert lo[0] == 0.0 and hi[1] == 1.0
    r_close(hi[0], "0.06003496")
    r_close(1 - lo[1], "0.06003496")


# --- #35 compare_rounds.txt
def test_paired_contrast(apiclus1):
    # svycontrast(svymean(~api00+api99, dclus1), c(api00=1, api99=-1))
    r = compare(apiclus1, DCLUS1, ("api00", "api99")).iloc[0]
    r_close(r.estimate, "37.1913")
    r_close(r.se, "3.0852")
    r_close(r.se_naive, "33.780019")
    assert r.df == 14


def test_domain_contrast(apiclus1):
    # svycontrast(svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE), c(E=1, H=-1))
    r = compare(apiclus1, DCLUS1, "api00", by="stype", a="E", b="H").iloc[0]
    r_close(r.estimate, "30.2966")
    r_close(r.se, "30.0276")
    r_close(r.se_naive, "44.109145")


@pytest.fixture()
def stacked(apistrat):
    r1 = apistrat.assign(round=1, y=apistrat["api99"])
    r2 = apistrat.assign(round=2, y=apistrat["api00"])
    st = pd.concat([r1, r2], ignore_index=True)
    return st.assign(stratum=st["round"].astype(str) + " " + st["stype"]), r1, r2


def test_stacked_rounds(stacked):
    # ds <- svydesign(id=~1, strata=~stratum, weights=~pw, data=st); svyby(~y, ~round, ds, svymean,
    # covmat=TRUE); svycontrast(bb, c(-1, 1)); svyttest(y~factor(round), ds)
    st, _, _ = stacked
    ds = Design(weights="pw", strata="stratum")
    by = estimate(st, ds, "y", by="round").set_index("round")
    r_close(by.loc[1, "estimate"], "629.39484")
    r_close(by.loc[1, "se"], "10.0969867")
    r_close(by.loc[2, "estimate"], "662.28736")
    r_close(by.loc[2, "se"], "9.5361323")
    r = compare(st, ds, "y", by="round", a=2, b=1).iloc[0]
    r_close(r.estimate, "32.892518")
    r_close(r.se, "13.8884")
    r_close(r.t, "2.36835")
    assert r.df == 393
    r_close(r.p_value, "0.018351")
    r_close(r.ci_low, "5.5877147")
    r_close(r.ci_high, "60.1973221")


def test_independent_rounds_formula_equals_stacking(stacked):
    _, r1, r2 = stacked
    d = Design(weights="pw", strata="stype")
    out = compare_independent(estimate(r2, d, "y"), estimate(r1, d, "y")).iloc[0]
    r_close(out.estimate, "32.8925")
    r_close(out.se, "13.8884")
    r_close(out.t, "2.36835")
    assert out.df == pytest.approx((10.0969867**2 + 9.5361323**2) ** 2
                                   / (10.0969867**4 / 197 + 9.5361323**4 / 197), rel=1e-6)
    assert compare_independent(estimate(r2, d, "y"), estimate(r1, d, "y"), df_method="min").df[0] == 197


# --- pitfalls.txt skip-logic item: svymean(~q, d3, na.rm=TRUE); degf(subset(d3, !is.na(q))) = 110
def test_skip_logic_item_as_domain(apistrat):
    q = np.where(apistrat["awards"] == "Yes", apistrat["yr.rnd"], None)
    frame = apistrat.assign(q=pd.Series(q, dtype=object))
    out = estimate(frame, DSTRAT, "q").set_index("category")
    r_close(out.loc["No", "estimate"], "0.82729")
    r_close(out.loc["No", "se"], "0.0388")
    assert out.loc["No", "df"] == 110 and out.loc["No", "n_missing"] == 87
    rebuilt = estimate(frame[frame["q"].notna()], DSTRAT, "q").set_index("category")
    r_close(rebuilt.loc["No", "se"], "0.03884")


# --- #19 postStratify(dclus1, ~stype, pop.types): both calibration hooks
def _poststratified(apiclus1):
    codes = pd.Categorical(apiclus1["stype"]).codes.astype(np.int64)
    w0 = apiclus1["pw"].to_numpy()
    g = np.array([4421.0, 755.0, 1018.0]) / np.bincount(codes, weights=w0)
    return codes, w0, w0 * g[codes]


def test_post_stratified_grouped_projection(apiclus1):
    from survey_toolkit.design import CalibrationModel

    codes, _, w = _poststratified(apiclus1)
    X = np.eye(3)[codes]
    prep = DCLUS1.prepare(apiclus1).calibrated(w, CalibrationModel(X))
    m = one(apiclus1, prep, "api00")
    r_close(m.estimate, "642.31079")
    r_close(m.se, "23.92049")
    t = one(apiclus1, prep, "enroll", "total")
    r_close(t.estimate, "3680892.9")
    r_close(t.se, "406292.64")


def test_post_stratified_residualize_hook(apiclus1):
    """The generic hook: Design(calibration=obj) with obj.residualize(u) (weighting's Calibration)."""
    codes, _, w = _poststratified(apiclus1)

    class PostStrat:  # within-cell centring of u/w, the post-stratification residual (§8.1)
        weights = w

        def residualize(self, u):
            r = u / w[:, None]
            out = np.empty_like(r)
            for j in range(r.shape[1]):
                means = np.bincount(codes, weights=w * r[:, j]) / np.bincount(codes, weights=w)
                out[:, j] = (r[:, j] - means[codes]) * w
            return out

    frame = apiclus1.assign(wps=w)
    d = DCLUS1.replace(weights="wps", calibration=PostStrat())
    m = one(frame, d, "api00")
    r_close(m.estimate, "642.31079")
    r_close(m.se, "23.92049")
    t = one(frame, d, "enroll", "total")
    r_close(t.se, "406292.64")
    # domains work through the hook too (one residualize call per block of domains)
    assert estimate(frame, d, "api00", by="stype")["se"].notna().all()


def test_proportion_ci_function_matches_r():
    lo, hi = proportion_ci(np.array([0.021857923497]), np.array([0.022622450861]), np.array([14.0]),
                           np.array([183.0]), "korn-graubard")
    # inputs are R's printed (12-digit) p and SE, so allow 1e-10 relative
    r_close(lo[0], "0.0002161468327", 1e-10)
    r_close(hi[0], "0.1375077639150", 1e-10)


# R 4.2.2, survey 4.1-1 (run for this project):
#   b <- svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE); svycontrast(b, quote(E/H))
#   m <- svymean(~api00+api99, dclus1); svycontrast(m, quote(api00/api99))
def test_ratio_contrasts(apiclus1):
    r = compare(apiclus1, DCLUS1, "api00", by="stype", a="E", b="H", kind="ratio").iloc[0]
    r_close(r.estimate, "1.0489783808057")
    r_close(r.se, "0.0510095177119")
    p = compare(apiclus1, DCLUS1, ("api00", "api99"), kind="ratio").iloc[0]
    r_close(p.estimate, "1.06127281075290")
    r_close(p.se, "0.00623083121661")
    assert p.variable == "api00/api99"


# --- end to end with survey_toolkit.weighting (its Design(calibration=...) hook), R 4.2.2, survey 4.1-1:
#   #19 postStratify(dclus1, ~stype, pop.types): mean api00 642.31079 (SE 23.92049)
#   #21 rake(dclus1, list(~stype, ~sch.wide), ..., control=list(maxit=100, epsilon=1e-10)):
#       mean api00 641.23032 (SE 23.70362); total enroll 3647280.1 (SE 400603.26)
#   #22 calibrate(dclus1, ~stype+api99, c(`(Intercept)`=6194, stypeH=755, stypeM=1018, api99=3914069)):
#       mean api00 665.30907 (SE 3.44175)
def test_weighting_engine_through_the_hook(apiclus1):
    weighting = pytest.importorskip("survey_toolkit.weighting")
    d = DCLUS1.replace(population_scale=False)
    stype = {"E": 4421, "H": 755, "M": 1018}
    ps = weighting.post_stratify(apiclus1, {"stype": stype}, d)
    m = one(ps.frame, ps.design, "api00")
    r_close(m.estimate, "642.31079")
    r_close(m.se, "23.92049")
    rk = weighting.rake(apiclus1, {"stype": stype, "sch.wide": {"No": 1072, "Yes": 5122}}, d, maxit=100)
    m = one(rk.frame, rk.design, "api00")
    r_close(m.estimate, "641.23032")
    r_close(m.se, "23.70362")
    t = one(rk.frame, rk.design, "enroll", "total")
    r_close(t.estimate, "3647280.1")
    r_close(t.se, "400603.26")
    gc = weighting.calibrate(apiclus1, {"stype": stype}, d, totals={"api99": 3914069})
    m = one(gc.frame, gc.design, "api00")
    r_close(m.estimate, "665.30907")
    r_close(m.se, "3.44175")
