"""Quantile rules (``qrule``) and interval types (``interval.type``) against R ``svyquantile``.

R 4.2.2, survey 4.1-1, options(digits=15), designs of ``tests/estimation/conftest.py``:

    for (r in c("math","school","shahvaish","hf1",...,"hf9"))
        svyquantile(~api00, dstrat, c(0.1, 0.5, 0.9), qrule=r, ci=FALSE)
        svyquantile(~enroll, dclus1, c(0.25, 0.5), qrule=r, ci=FALSE)
    for (it in c("mean","beta","xlogit","asin","score"))
        svyquantile(~api00, dclus1, c(0.25, 0.5, 0.75), interval.type=it, qrule="school")
    svyby(~api00, ~stype, dstrat, svyquantile, quantiles=0.5, interval.type=it, qrule="hf7",
          ci=TRUE, vartype="ci")                                   # it = "xlogit", "score"
    svyquantile(~api00, dclus1, 0.5, interval.type="score", qrule="math", alpha=0.1)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, estimate

from .conftest import DCLUS1, DSTRAT, r_close

pytestmark = pytest.mark.shared

API00_DSTRAT = {  # p = 0.1, 0.5, 0.9
    "math": ("501", "668", "836"),
    "school": ("501", "668", "836"),
    "shahvaish": ("542", "705", "893"),
    "hf1": ("501", "668", "836"),
    "hf2": ("501", "668", "836"),
    "hf3": ("501", "668", "836"),
    "hf4": ("500.395837967602", "667.235755965804", "836"),
    "hf5": ("500.857363996323", "667.833358874928", "836.850938263684"),
    "hf6": ("500.495837967602", "668", "838.450938263684"),
    "hf7": ("501.591675935205", "667.608572533523", "836"),
    "hf8": ("500.710433810829", "667.950370577648", "837.384271597017"),
    "hf9": ("500.744061153277", "667.918141572832", "837.250938263684"),
}

ENROLL_DCLUS1 = {r: ("352", "462") for r in API00_DSTRAT} | {"shahvaish": ("375", "500"), "hf4": ("350.25", "455")}


@pytest.mark.parametrize("rule", sorted(API00_DSTRAT))
def test_rules(apistrat, apiclus1, rule):
    out = estimate(apistrat, DSTRAT, "api00", "quantile", quantiles=[0.1, 0.5, 0.9], quantile_rule=rule)
    for got, want in zip(out["estimate"], API00_DSTRAT[rule], strict=True):
        r_close(got, want)
    out = estimate(apiclus1, DCLUS1, "enroll", "quantile", quantiles=[0.25, 0.5], quantile_rule=rule)
    for got, want in zip(out["estimate"], ENROLL_DCLUS1[rule], strict=True):
        r_close(got, want)


INTERVALS = {  # p = 0.25, 0.5, 0.75: (quantile, lower, upper, se)
    "mean": [("552", "492", "627", "31.4716612053995"), ("652", "561", "714", "35.6678826994527"),
             ("719", "696", "777", "18.8829967232397")],
    "beta": [("552", "502", "637", "31.4716612053995"), ("652", "555", "717", "37.7659934464794"),
             ("719", "689", "762", "17.0180093925494")],
    "xlogit": [("552", "505", "631", "29.3735504583729"), ("652", "564", "714", "34.9685124504439"),
               ("719", "689", "759", "16.3186391435405")],
    "asin": [("552", "502", "629", "29.6066738747091"), ("652", "561", "714", "35.6678826994527"),
             ("719", "691", "762", "16.5517625598768")],
    "score": [("552", "513.5", "638.5", "29.1404270420366"), ("652", "565.0", "702.0", "31.9379080380721"),
              ("719", "664.0", "751.5", "20.3982989294256")],
}


@pytest.mark.parametrize("kind", sorted(INTERVALS))
def test_interval_types(apiclus1, kind):
    out = estimate(apiclus1, DCLUS1, "api00", "quantile", quantiles=[0.25, 0.5, 0.75], ci_method=kind)
    for (_, row), (q, lo, hi, se) in zip(out.iterrows(), INTERVALS[kind], strict=True):
        r_close(row.estimate, q)
        r_close(row.ci_low, lo)
        r_close(row.ci_high, hi)
        r_close(row.se, se)
        assert kind in row.ci_method


def test_wald_is_the_woodruff_default(apiclus1):
    a = estimate(apiclus1, DCLUS1, "api00", "quantile", ci_method="wald")
    b = estimate(apiclus1, DCLUS1, "api00", "quantile")
    assert a[["ci_low", "ci_high", "se"]].equals(b[["ci_low", "ci_high", "se"]])


def test_domains_xlogit_and_score(apistrat):
    xl = estimate(apistrat, DSTRAT, "api00", "quantile", by="stype", quantile_rule="hf7", ci_method="xlogit")
    xl = xl.set_index("stype")
    for s, q, lo, hi in [("E", "673.5", "637.192597415703", "720.000000000000"),
                         ("H", "638.0", "598.235123297805", "678.254958900732"),
                         ("M", "649.0", "597.302241573248", "676.369775842675")]:
        r_close(xl.loc[s, "estimate"], q)
        r_close(xl.loc[s, "ci_low"], lo)
        r_close(xl.loc[s, "ci_high"], hi)
    sc = estimate(apistrat, DSTRAT, "api00", "quantile", by="stype", quantile_rule="hf7", ci_method="score")
    sc = sc.set_index("stype")
    for s, lo, hi in [("E", "635.60", "719.41"), ("H", "596.84", "678.72"), ("M", "593.80", "676.72")]:
        r_close(sc.loc[s, "ci_low"], lo)
        r_close(sc.loc[s, "ci_high"], hi)


def test_score_level(apiclus1):
    row = estimate(apiclus1, DCLUS1, "api00", "quantile", quantile_rule="math", ci_method="score", level=0.9).iloc[0]
    for got, want in zip([row.estimate, row.ci_low, row.ci_high, row.se], ["652", "587", "699", "31.7945141304502"],
                         strict=True):
        r_close(got, want)


def test_score_without_sign_change_is_flagged():
    # two values per domain: the score has no sign change inside [min + IQR/100, max - IQR/100]
    f = pd.DataFrame({"y": [1.0, 2.0, 1.0, 5.0, 7.0], "g": ["a", "a", "b", "b", "b"], "w": 1.0})
    out = estimate(f, Design(weights="w"), "y", "quantile", by="g", ci_method="score").set_index("g")
    assert np.isnan(out.loc["a", "ci_low"]) and "score_no_root" in out.loc["a", "flag"]


def test_unknown_or_unavailable_choices(apiclus1):
    with pytest.raises(ValueError, match="replicate-weight design"):
        estimate(apiclus1, DCLUS1, "api00", "quantile", ci_method="quantile")
    with pytest.raises(ValueError, match="unknown quantile ci_method"):
        estimate(apiclus1, DCLUS1, "api00", "quantile", ci_method="bogus")
    with pytest.raises(ValueError, match="quantile_rule"):
        estimate(apiclus1, DCLUS1, "api00", "quantile", quantile_rule="hf10")
