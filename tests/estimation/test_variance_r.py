"""``estimate(..., "variance")`` against R ``svyvar``.

R 4.2.2, survey 4.1-1, options(digits=15), designs of ``tests/estimation/conftest.py``:

    svyvar(~api00, dclus1)                                   # 11182.82279469165, SE 1386.41394291426
    svyvar(~api00, dstrat)                                   # 15190.58620582734, SE 1255.73997868098
    svyby(~api00, ~stype, dclus1, svyvar)
    svyvar(~acs.k3, dclus1, na.rm=TRUE)                      # 3.62275752314815, SE 1.07169464978598
    svyby(~acs.k3, ~stype, dstrat, svyvar, na.rm=TRUE)       # E 1.49287540083586, SE 0.313124954928317;
                                                             # H, M: all values missing, R prints 0 (SE 0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, estimate
from survey_toolkit.errors import EstimationError

from .conftest import DCLUS1, DSTRAT, r_close

pytestmark = pytest.mark.shared


def test_overall(apiclus1, apistrat):
    m = estimate(apiclus1, DCLUS1, "api00", "variance").iloc[0]
    r_close(m.estimate, "11182.82279469165")
    r_close(m.se, "1386.41394291426")
    assert m.statistic == "variance" and np.isnan(m.deff_wr)
    s = estimate(apistrat, DSTRAT, "api00", "variance").iloc[0]
    r_close(s.estimate, "15190.58620582734")
    r_close(s.se, "1255.73997868098")


def test_domains(apiclus1):
    out = estimate(apiclus1, DCLUS1, "api00", "variance", by="stype").set_index("stype")
    for s, est, se in [("E", "11270.82862276612", "1154.92965362371"),
                       ("H", "9358.72527472528", "2269.84015786002"),
                       ("M", "11894.92333333333", "3180.80860774133")]:
        r_close(out.loc[s, "estimate"], est)
        r_close(out.loc[s, "se"], se)


def test_missing_values_counted_as_r_does(apiclus1, apistrat):
    # n/(n-1) uses every row with non-zero weight, missing values included (R's n)
    m = estimate(apiclus1, DCLUS1, "acs.k3", "variance").iloc[0]
    r_close(m.estimate, "3.62275752314815")
    r_close(m.se, "1.07169464978598")
    out = estimate(apistrat, DSTRAT, "acs.k3", "variance", by="stype").set_index("stype")
    r_close(out.loc["E", "estimate"], "1.49287540083586")
    r_close(out.loc["E", "se"], "0.313124954928317")
    # R prints 0 (SE 0) for the domains without values; the engine gives NaN and says why
    for s in ("H", "M"):
        assert np.isnan(out.loc[s, "estimate"]) and "empty_domain" in out.loc[s, "flag"]


def test_single_row_domain_is_nan():
    f = pd.DataFrame({"y": [1.0, 2.0, 4.0], "g": ["a", "a", "b"], "w": [1.0, 2.0, 3.0]})
    out = estimate(f, Design(weights="w"), "y", "variance", by="g").set_index("g")
    assert np.isnan(out.loc["b", "estimate"]) and np.isnan(out.loc["b", "se"])
    # equal weights, SRS: the usual sample variance
    srs = estimate(f.assign(w=1.0), Design(weights="w"), "y", "variance").iloc[0]
    assert srs.estimate == pytest.approx(np.var([1.0, 2.0, 4.0], ddof=1), rel=1e-14)


def test_not_numeric_is_an_error():
    f = pd.DataFrame({"y": ["a", "b"], "w": [1.0, 1.0]})
    with pytest.raises(EstimationError, match="not numeric"):
        estimate(f, Design(weights="w"), "y", "variance")
