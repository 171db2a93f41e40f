"""``crosstab_test`` against R ``svychisq``.

R 4.2.2, survey 4.1-1, options(digits=15), designs of ``tests/estimation/conftest.py``; for each
statistic s in "F", "Chisq", "Wald", "adjWald":

    svychisq(~sch.wide+stype, dclus1, statistic=s)
    svychisq(~stype+awards, dstrat, statistic=s)
    svychisq(~HI_CHOL+race, dn, statistic=s)                          # HI_CHOL has missing values
    svychisq(~agecat+race, subset(dn, RIAGENDR==2), statistic=s)      # a domain
    svychisq(~comp.imp+yr.rnd, subset(dclus1, stype=="E"), statistic=s)

Each value: (statistic as R prints it, ndf, ddf, p-value); for Chisq, (X-squared, df, p).
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

CASES = {
    "F": [("5.19336954147488", "1.49463977770746", "20.9249568879044", "0.0217474623707969"),
          ("14.1694081180078", "1.88513588503461", "371.371769351819", "2.08210867642843e-06"),
          ("3.15133862171228", "1.92297667944367", "30.7676268710987", "0.0586747436854519"),
          ("11.8058613597776", "4.20347240167953", "67.2555584268724", "1.63656935275465e-07"),
          ("10.4419527046423", "1", "14", "0.00603179855278486")],
    "Chisq": [("11.9408920807453", "2", None, "0.00555326330311322"),
              ("19.4796564209589", "2", None, "7.01946871079347e-07"),
              ("18.5844690790532", "3", None, "0.0238256199287605"),
              ("144.480813818446", "9", None, "8.50071075515431e-19"),
              ("0.685714285714285", "1", None, "0.00123184969437936")],
    "Wald": [("2.40105860060268", "2", "14", "0.126896300602351"),
             ("14.9443701737184", "2", "197", "9.06459269589552e-07"),
             ("5.86018579824913", "3", "16", "0.00672737712681041"),
             ("35.9840095679903", "9", "16", "6.06351794248145e-09"),
             ("1.67023459455734", "1", "14", "0.217151725370386")],
    "adjWald": [("2.22955441484534", "2", "13", "0.147057886901249"),
                ("14.8685104266437", "2", "196", "9.72795724989517e-07"),
                ("5.12766257346799", "3", "14", "0.013362672843579"),
                ("17.9920047839951", "9", "8", "0.000215975856010812"),
                ("1.67023459455734", "1", "14", "0.217151725370386")],
}


def _rows(statistic, apiclus1, apistrat, nhanes):
    yield st.crosstab_test(apiclus1, DCLUS1, "sch.wide", "stype", statistic).iloc[0]
    yield st.crosstab_test(apistrat, DSTRAT, "stype", "awards", statistic).iloc[0]
    yield st.crosstab_test(nhanes, DN, "HI_CHOL", "race", statistic).iloc[0]
    by_sex = st.crosstab_test(nhanes, DN, "agecat", "race", statistic, by="RIAGENDR")
    yield by_sex.set_index("RIAGENDR").loc[2]
    yield st.crosstab_test(apiclus1, DCLUS1, "comp.imp", "yr.rnd", statistic, by="stype").set_index("stype").loc["E"]


@pytest.mark.parametrize("statistic", sorted(CASES))
def test_against_r(statistic, apiclus1, apistrat, nhanes):
    for got, (value, ndf, ddf, p) in zip(_rows(statistic, apiclus1, apistrat, nhanes), CASES[statistic],
                                         strict=True):
        r_close(got.value, value, extra=1e-12)
        r_close(got.ndf, ndf, extra=1e-12)
        if ddf is None:
            assert np.isnan(got.ddf)
        else:
            r_close(got.ddf, ddf, extra=1e-12)
        assert got.p_value == pytest.approx(float(p), rel=1e-9)
        assert got.statistic == statistic and got.flag == ""


def test_f_does_not_depend_on_the_weight_scale(apiclus1):
    a = st.crosstab_test(apiclus1, DCLUS1, "sch.wide", "stype").iloc[0]
    b = st.crosstab_test(apiclus1.assign(pw=apiclus1.pw / 50), DCLUS1, "sch.wide", "stype").iloc[0]
    assert a.value == pytest.approx(b.value, rel=1e-12) and a.ndf == pytest.approx(b.ndf, rel=1e-12)


def test_degenerate_domains_are_flagged():
    f = pd.DataFrame({"a": ["x", "y", "x", "y", "x", "x"], "b": ["p", "q", "q", "p", "p", "p"],
                      "g": ["1", "1", "1", "1", "2", "2"], "w": 1.0})
    out = st.crosstab_test(f, Design(weights="w"), "a", "b", by="g").set_index("g")
    assert out.loc["2", "flag"] == "single_level" and np.isnan(out.loc["2", "p_value"])
    assert out.loc["1", "levels"] == "2x2"


def test_bad_arguments():
    f = pd.DataFrame({"a": ["x", "y"], "b": ["p", "q"], "w": 1.0})
    with pytest.raises(EstimationError, match="not a test of association"):
        st.crosstab_test(f, Design(weights="w"), "a", "b", "lincom")
    with pytest.raises(EstimationError, match="not in the data"):
        st.crosstab_test(f, Design(weights="w"), "a", "nope")
    with pytest.raises(EstimationError, match="same variable"):
        st.crosstab_test(f, Design(weights="w"), "a", "a")
