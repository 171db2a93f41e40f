"""Lonely PSUs inside domains: ``average`` rescales by the strata present in the domain (R survey 4.x).

Every value below comes from ``tests/data/estimation/lonely_domains.R`` (R 4.2.2, survey 4.1-1), run as
``Rscript lonely_domains.R <shared>/fixtures/r-datasets``; the R call is given beside each value.
Designs:

    ds <- svydesign(id=~1, weights=~pw, strata=~dnum, data=apiclus1)     # district 413: one school
    dc <- svydesign(id=~snum, strata=~dnum, weights=~pw, data=apiclus2)  # 10 one-school districts
    d2 <- svydesign(id=~dnum+snum, strata=~one+s2, fpc=~fpc1+fpc2x, data=apiclus2)  # see the script
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, estimate
from survey_toolkit.weighting import post_stratify

from .conftest import r_close

DS = Design(weights="pw", strata="dnum")
DC = Design(weights="pw", strata="dnum", psu="snum", lonely_psu="average")


def by_stype(frame, design, var="api00", stat="mean", by="stype"):
    return estimate(frame, design, var, stat, by=by).set_index(by)


# options(survey.lonely.psu="average"); svyby(~api00, ~stype, ds, svymean) and
# svyby(~enroll, ~stype, ds, svytotal). Only E contains the lone district 413: H and M have no lonely
# stratum and R does not rescale them (the whole-design 15/14 would inflate their SE by 3.5 %).
AVERAGE = {
    "E": ("7.97030145051616", "96930.3569985801"),
    "H": ("23.41905779813011", "172635.5686147501"),
    "M": ("20.81707981199160", "153763.8704031415"),
}
# the same with options(survey.adjust.domain.lonely=TRUE): strata with one school inside the domain
# are dropped and rescaled too (H: 8 strata present, 5 with one H school -> 8/3)
AVERAGE_ADL = {
    "E": ("8.19009839806687", "99964.1271317156"),
    "H": ("27.45761229515569", "234706.0876240416"),
    "M": ("22.86012460029141", "198127.5212092172"),
}
# options(survey.lonely.psu="adjust", survey.adjust.domain.lonely=TRUE)
ADJUST_ADL = {
    "E": ("7.80443521802023", "94677.422619650"),
    "H": ("25.06152501851859", "175524.203228064"),
    "M": ("22.96228799877809", "154868.808597738"),
}
# options(survey.lonely.psu="adjust") (domain option FALSE) and "remove" (either option)
ADJUST = {"E": ("7.72997850848649", "94101.7339797597")}
REMOVE = {"E": ("7.70004274000866", "93643.6214272709")}


@pytest.mark.parametrize(
    ("policy", "adl", "expected"),
    [
        ("average", False, AVERAGE),
        ("average", True, AVERAGE_ADL),
        ("adjust", True, ADJUST_ADL),
        ("adjust", False, ADJUST),
        ("remove", False, REMOVE),
        ("remove", True, REMOVE),
    ],
)
def test_lonely_policies_by_domain(apiclus1, policy, adl, expected):
    design = DS.replace(lonely_psu=policy, adjust_domain_lonely=adl)
    means = by_stype(apiclus1, design)
    totals = by_stype(apiclus1, design, "enroll", "total")
    r_close(means.loc["E", "estimate"], "648.868055555556")
    r_close(totals.loc["E", "estimate"], "2109717.126834866")
    for stype, (mean_se, total_se) in expected.items():
        r_close(means.loc[stype, "se"], mean_se)
        r_close(totals.loc[stype, "se"], total_se)


def test_average_domain_without_lonely_stratum_equals_remove(apiclus1):
    avg = by_stype(apiclus1, DS.replace(lonely_psu="average"))
    rem = by_stype(apiclus1, DS.replace(lonely_psu="remove"))
    assert avg.loc["H", "se"] == rem.loc["H", "se"]
    assert avg.loc["M", "se"] == rem.loc["M", "se"]
    # E holds all 15 districts, one of them lonely: remove x sqrt(15/14)
    assert avg.loc["E", "se"] == pytest.approx(rem.loc["E", "se"] * np.sqrt(15 / 14), rel=1e-13)


def test_average_clustered_domains(apiclus2):
    # options(survey.lonely.psu="average")
    # svyby(~api00, ~stype, dc, svymean); svyby(~api00, ~awards, dc, svymean); svymean(~api00, dc)
    out = by_stype(apiclus2, DC)
    r_close(out.loc["E", "estimate"], "692.810400866739")
    r_close(out.loc["E", "se"], "26.7911228186552")
    r_close(out.loc["H", "se"], "35.9393335771515")
    r_close(out.loc["M", "se"], "44.2991419572300")
    aw = by_stype(apiclus2, DC, by="awards")
    r_close(aw.loc["No", "se"], "18.8842651857185")
    r_close(aw.loc["Yes", "se"], "22.0792407488687")
    r_close(estimate(apiclus2, DC, "api00").se[0], "18.6640342320332")


def _two_stage(apiclus2: pd.DataFrame) -> pd.DataFrame:
    """d2 of lonely_domains.R: stage-2 strata a (first two schools of a district) and b (the rest)."""
    f = apiclus2.sort_values(["dnum", "snum"]).reset_index(drop=True)
    rank = f.groupby("dnum").cumcount()
    k = f.groupby("dnum")["snum"].transform("size")
    return f.assign(s2=np.where(rank < 2, "a", "b"), fpc2x=np.where(k > 1, f["fpc2"] + 10, f["fpc2"]))


D2 = Design(psu=["dnum", "snum"], strata=[None, "s2"], fpc=["fpc1", "fpc2x"], lonely_psu="average")


def test_average_rescales_per_parent_cluster_at_stage_2(apiclus2):
    # svymean(~api00, d2): districts with 3 schools have a lone stratum b at stage 2; each district's
    # stage-2 variance is rescaled by its own strata (2/1), not by the count over all districts
    data = _two_stage(apiclus2)
    whole = estimate(data, D2, "api00").iloc[0]
    r_close(whole.estimate, "685.48012086514")
    r_close(whole.se, "25.9772823097722")
    # svyby(~api00, ~awards, d2, svymean) and svyby(~api00, ~stype, d2, svymean): in a domain where a
    # district's only present stage-2 stratum is the lone one, R's variance is 0 * 1/0 = NaN
    aw = by_stype(data, D2, by="awards")
    r_close(aw.loc["No", "se"], "18.0368477923282")
    assert np.isnan(aw.loc["Yes", "se"]) and np.isfinite(aw.loc["Yes", "estimate"])
    st = by_stype(data, D2)
    r_close(st.loc["E", "se"], "28.3354534627150")
    r_close(st.loc["H", "se"], "22.0002951672058")
    assert np.isnan(st.loc["M", "se"])
    assert "se_undefined" in st.loc["M", "flag"] and "se_undefined" not in st.loc["E", "flag"]


def test_calibrated_design_keeps_the_whole_design_strata(apiclus1):
    # R keeps every row of a calibrated design in a domain, so "average" rescales by all strata:
    # options(survey.lonely.psu="average")
    # svyby(~api00, ~awards, postStratify(ds, ~stype, pop), svymean), pop = E 4421, H 755, M 1018
    pop = {"stype": {"E": 4421, "H": 755, "M": 1018}}
    weighted = post_stratify(apiclus1, pop, DS.replace(lonely_psu="average"))
    out = estimate(weighted.frame, weighted.design, "api00", by="awards").set_index("awards")
    r_close(out.loc["No", "estimate"], "624.524847002596")
    r_close(out.loc["No", "se"], "12.5982123666684")
    r_close(out.loc["Yes", "se"], "8.3965910385051")
