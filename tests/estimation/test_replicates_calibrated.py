"""Post-stratified, raked and calibrated replicate designs: every replicate is adjusted, as R does.

Reference values: ``tests/data/estimation/replicates/calibrated.R`` (R 4.2.2, survey 4.1-1), with
``jk <- as.svrepdesign(dclus1, type="JK1")`` (the replicates :func:`as_replicates` builds, checked in
``test_replicates_built.py``), ``pop.types`` E 4421 / H 755 / M 1018 and ``pop.schwide`` No 1072 / Yes
5122; the R call is beside each value.
"""

from __future__ import annotations

import pandas as pd
import pytest

from survey_toolkit import estimate
from survey_toolkit.errors import WeightError
from survey_toolkit.estimation import as_replicates
from survey_toolkit.weighting import TrimBounds, calibrate, post_stratify, rake, trim

from .conftest import DCLUS1, r_close

TYPES = {"stype": {"E": 4421.0, "H": 755.0, "M": 1018.0}}
SCHWIDE = {"sch.wide": {"No": 1072.0, "Yes": 5122.0}}


@pytest.fixture(scope="module")
def jk(apiclus1):
    return as_replicates(apiclus1, DCLUS1, "JK1")


def test_post_stratified_replicates(jk):
    w = post_stratify(jk[0], TYPES, jk[1])
    assert w.design.replicates.type == "JK1" and w.design.calibration is None
    assert w.design.replicates.columns[0] == "ps_weight_rep1"
    m = estimate(w.frame, w.design, "api00").iloc[0]
    r_close(m.estimate, "642.310788211582")  # svymean(~api00, postStratify(jk, ~stype, pop.types))
    r_close(m.se, "26.934535367426")
    assert m.df == 14  # degf(ps)
    r_close(estimate(w.frame, w.design, "enroll", "total").se[0], "473431.356779778")  # svytotal(~enroll, ps)
    by = estimate(w.frame, w.design, "api00", by="sch.wide").set_index("sch.wide")  # svyby(~api00, ~sch.wide, ps)
    r_close(by.loc["No", "se"], "30.8817027260569")
    r_close(by.loc["Yes", "se"], "27.4196655479233")
    # every replicate meets the population counts, as the full sample
    reps = w.frame[list(w.design.replicates.columns)].groupby(w.frame["stype"]).sum()
    assert (abs(reps.T - pd.Series(TYPES["stype"])) < 1e-6).all().all()


def test_raked_replicates(jk):
    # rake(jk, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control=list(maxit=100, epsilon=1e-10)):
    # R stops on the full sample's change; the replicates here are raked to the same tolerance, so the
    # SEs agree to ~3e-9 relative
    w = rake(jk[0], {**TYPES, **SCHWIDE}, jk[1])
    m = estimate(w.frame, w.design, "api00").iloc[0]
    r_close(m.estimate, "641.2303209268", 1e-9)  # svymean(~api00, rk)
    r_close(m.se, "26.8739804273628", 1e-8)
    r_close(estimate(w.frame, w.design, "enroll", "total").se[0], "463582.184943512", 1e-8)
    by = estimate(w.frame, w.design, "api00", by="stype").set_index("stype")  # svyby(~api00, ~stype, rk)
    r_close(by.loc["E", "se"], "26.2243095680491", 1e-8)
    r_close(by.loc["H", "se"], "44.1814388250133", 1e-8)
    r_close(by.loc["M", "se"], "31.9570661331215", 1e-8)


def test_calibrated_replicates(jk):
    # calibrate(jk, ~stype + api99, c(`(Intercept)`=6194, stypeH=755, stypeM=1018, api99=3914069))
    w = calibrate(jk[0], TYPES, jk[1], totals={"api99": 3914069.0})
    m = estimate(w.frame, w.design, "api00").iloc[0]
    r_close(m.estimate, "665.30907116578")
    r_close(m.se, "3.94285448376761")
    r_close(estimate(w.frame, w.design, "enroll", "total").se[0], "478748.863925818")


def test_raking_calibrated_replicates(jk):
    # calibrate(jk, ~stype + api99, <pop>, calfun="raking", epsilon=1e-12)
    w = calibrate(jk[0], TYPES, jk[1], totals={"api99": 3914069.0}, calfun="raking")
    m = estimate(w.frame, w.design, "api00").iloc[0]
    r_close(m.estimate, "665.39379600015")
    r_close(m.se, "3.87928366225709")
    by = estimate(w.frame, w.design, "api00", by="sch.wide").set_index("sch.wide")  # svyby(~api00, ~sch.wide)
    r_close(by.loc["No", "se"], "19.71358497317127")
    r_close(by.loc["Yes", "se"], "5.07953554880474")


def test_other_steps_refused_on_replicates(jk):
    data, design = jk
    for step in (lambda: trim(data, design=design, upper=50),
                 lambda: rake(data, {**TYPES, **SCHWIDE}, design, trim=TrimBounds(upper=60)),
                 lambda: calibrate(data, TYPES, design, calfun="logit", bounds=(0.5, 2.0)),
                 lambda: calibrate(data, TYPES, design, bounds=(0.5, 2.0))):
        with pytest.raises(WeightError) as err:
            step()
        assert err.value.problems[0].code == "replicate-weighting"
        assert "as_replicates" in err.value.problems[0].hint
