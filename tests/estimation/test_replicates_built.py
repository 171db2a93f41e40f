"""Jackknife replicates built from a Taylor design, against R ``as.svrepdesign`` (R 4.2.2, survey 4.1-1).

R calls beside each value; the designs are those of ``conftest.py`` and
``ds <- svydesign(id=~1, weights=~pw, strata=~dnum, data=apiclus1)`` (district 413 has one school).
"""

from __future__ import annotations

import pandas as pd
import pytest

from survey_toolkit import Design, estimate
from survey_toolkit.errors import DesignError
from survey_toolkit.estimation import as_replicates

from .conftest import DCLUS1, DSTRAT, r_close


def test_jk1_dclus1(apiclus1):
    # svymean(~api00, as.svrepdesign(dclus1, type="JK1")): SE 26.3293605895276; svytotal(~enroll, ...)
    data, design = as_replicates(apiclus1, DCLUS1, "JK1")
    r_close(design.replicates.scale, "0.914839277851167")  # jk1$scale
    r_close(estimate(data, design, "api00").se[0], "26.3293605895276")
    r_close(estimate(data, design, "enroll", "total").se[0], "932235.027041213")
    assert apiclus1.shape[1] + 15 == data.shape[1]


def test_jkn_dstrat(apistrat):
    # svymean(~api00, as.svrepdesign(dstrat, type="JKn")): SE 9.4089408027845, degf 197;
    # svyby(~api00, ~stype, ..., svymean): E 12.3824797939073; degf(subset(., stype=="H")) 49
    data, design = as_replicates(apistrat, DSTRAT)  # auto: stratified -> JKn
    assert design.replicates.type == "JKn"
    m = estimate(data, design, "api00").iloc[0]
    r_close(m.se, "9.4089408027845")
    assert m.df == 197
    by = estimate(data, design, "api00", by="stype").set_index("stype")
    r_close(by.loc["E", "se"], "12.3824797939073")
    assert by.loc["H", "df"] == 49


@pytest.mark.parametrize(
    ("policy", "mean_se", "total_se"),
    [
        # options(survey.lonely.psu=<policy>); r <- as.svrepdesign(ds, type="JKn");
        # SE(svymean(~api00, r)), SE(svytotal(~enroll, r))
        ("average", "5.82170566740643", "162176.614947358"),
        ("adjust", "5.82668801145681", "276885.754721228"),
        ("remove", "5.80577757827626", "161732.902447056"),
    ],
)
def test_jkn_lonely_strata(apiclus1, policy, mean_se, total_se):
    data, design = as_replicates(apiclus1, Design(weights="pw", strata="dnum", lonely_psu=policy), "JKn")
    r_close(estimate(data, design, "api00").se[0], mean_se)
    r_close(estimate(data, design, "enroll", "total").se[0], total_se)


def test_as_replicates_errors(apiclus1):
    with pytest.raises(DesignError) as err:
        as_replicates(apiclus1, Design(weights="pw", strata="dnum"), "JKn")
    assert err.value.problems[0].message == "Stratum (413) has only one PSU at stage 1"
    with pytest.raises(ValueError, match="not one of"):
        as_replicates(apiclus1, DCLUS1, "BRR2")
    with pytest.raises(ValueError, match="already exist"):
        as_replicates(apiclus1.assign(rep1=1.0), DCLUS1, "JK1")
    frame = pd.DataFrame({"w": [1.0, 1.0, 1.0, 1.0], "st": ["a", "a", "b", "b"], "cl": [1, 2, 3, 4],
                          "N": [2, 2, 2, 2]})
    with pytest.raises(ValueError, match="exhaustively"):
        as_replicates(frame, Design(weights="w", strata="st", psu="cl", fpc="N"), "JKn")
