"""Bounded and logit calibration against R ``calibrate(bounds=, bounds.const=, calfun=)``.

R 4.2.2, survey 4.1-1 (MASS 7.3-58.2 for ``grake``'s ``ginv``), options(digits=15):

    dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    pop <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018, api99=3914069)
    d <- calibrate(dclus1, ~stype+api99, pop, <options below>)
    weights(d)[c(1, 50)]; min/max(weights(d)); svymean(~api00, d); svytotal(~enroll, d)

    logit       calfun="logit", bounds=c(0.7, 1.7)
    linb        bounds=c(0.7, 1.7)                     (linear, truncated)
    rakb        calfun="raking", bounds=c(0.7, 1.7)
    logitconst  calfun="logit", bounds=c(25, 55), bounds.const=TRUE
    tight       bounds=c(0.95, 1.2)                    -> R: "Calibration failed"

R stops at |misfit|/(1 + |T|) < 1e-7; with ``epsilon=1e-7`` the same Newton path is followed and the
weights agree to ~1e-13; with the tighter default the weights are the exact solution, within 1e-6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit import Design, estimate
from survey_toolkit.errors import WeightError
from tests.conftest import shared_path

pytestmark = pytest.mark.shared

DCLUS1 = Design(weights="pw", psu="dnum", fpc="fpc")
STYPE = {"stype": {"E": 4421, "H": 755, "M": 1018}}
TOTALS = {"api99": 3914069}

R = {  # w[1], w[50], min w, max w, mean api00, SE, total enroll, SE
    "logit": (dict(calfun="logit", bounds=(0.7, 1.7)),
              ("55.6624091431979", "29.3027544809433", "23.7225246131749", "57.4343354361172",
               "665.460969427492", "3.41998372156953", "3657885.06503333", "378603.949483545")),
    "linb": (dict(bounds=(0.7, 1.7)),
             ("56.9668149843427", "31.2454456855402", "23.6928974151611", "57.5398937225341",
              "665.487796206537", "3.41753888674692", "3655490.64016674", "376312.092671714")),
    "rakb": (dict(calfun="raking", bounds=(0.7, 1.7)),
             ("57.5398937225341", "31.0170436327362", "23.6928974151611", "57.5398937225341",
              "665.518854218441", "3.41939926824084", "3659025.47235017", "376648.374523824")),
    "logitconst": (dict(calfun="logit", bounds=(25, 55), bounds_const=True),
                   ("54.9877456980801", "25.8289883972398", "25.0000010002169", "54.9999923764579",
                    "665.381028928484", "3.43505411084678", "3668744.76006215", "381320.124974141")),
}


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    return pd.read_csv(shared_path("r-datasets", "apiclus1.csv"))


def _figures(apiclus1, **options):
    w = st.calibrate(apiclus1, STYPE, DCLUS1, totals=TOTALS, weights="pw", **options)
    ww = w.frame["cal_weight"].to_numpy()
    m = estimate(w.frame, w.design, "api00").iloc[0]
    t = estimate(w.frame, w.design, "enroll", "total").iloc[0]
    return [ww[0], ww[49], ww.min(), ww.max(), m.estimate, m.se, t.estimate, t.se], w


@pytest.mark.parametrize("case", sorted(R))
def test_r_path_with_r_tolerance(apiclus1, case):
    options, expected = R[case]
    got, _ = _figures(apiclus1, epsilon=1e-7, **options)
    for g, e in zip(got, expected, strict=True):
        assert g == pytest.approx(float(e), rel=1e-11), case


@pytest.mark.parametrize("case", sorted(R))
def test_exact_solution_within_r_tolerance(apiclus1, case):
    options, expected = R[case]
    got, w = _figures(apiclus1, **options)
    for g, e in zip(got, expected, strict=True):
        assert g == pytest.approx(float(e), rel=1e-6), case
    lo, hi = options["bounds"]
    ratio = w.frame["cal_weight"].to_numpy() / (1.0 if options.get("bounds_const") else apiclus1["pw"].to_numpy())
    assert np.all(ratio >= lo * (1 - 1e-12)) and np.all(ratio <= hi * (1 + 1e-12))
    achieved = w.report.margins.set_index(["variable", "category"])["achieved"]
    assert achieved[("api99", "(total)")] == pytest.approx(3914069, rel=1e-12)


def test_unreachable_totals_fail_like_r(apiclus1):
    with pytest.raises(WeightError, match="did not converge") as err:
        st.calibrate(apiclus1, STYPE, DCLUS1, totals=TOTALS, weights="pw", bounds=(0.95, 1.2))
    assert "widen the bounds" in err.value.problems[0].hint


@pytest.mark.parametrize(
    ("options", "code"),
    [
        (dict(calfun="logit"), "logit-needs-bounds"),
        (dict(calfun="logit", bounds=(0.5, float("inf"))), "logit-needs-bounds"),
        (dict(calfun="logit", bounds=(1.2, 3)), "logit-bounds-exclude-1"),
        (dict(bounds=(2, 1)), "bad-bounds"),
        (dict(bounds="wide"), "bad-bounds"),
        (dict(calfun="cubic"), "bad-calfun"),
    ],
)
def test_bad_options(apiclus1, options, code):
    with pytest.raises(WeightError) as err:
        st.calibrate(apiclus1, STYPE, DCLUS1, totals=TOTALS, weights="pw", **options)
    assert code in [p.code for p in err.value.problems]


def test_r_rescaling_of_small_weights(apiclus1):
    """R rescales weights whose totals are all over 20 times short, then applies the bounds.

    apiclus1$pwn <- apiclus1$pw / mean(apiclus1$pw)
    dn1 <- svydesign(id=~dnum, weights=~pwn, data=apiclus1, fpc=~fpc)
    d <- calibrate(dn1, ~stype+api99, pop, calfun="logit", bounds=c(0.2, 5))
    # warning: Bounds were set but will be interpreted after rescaling by 40.9
    weights(d)[1] 49.2938595827872, range 18.6876611652906 67.4703411913243,
    svymean(~api00, d) 665.406110647168, SE 3.43660826081433
    """
    f = apiclus1.assign(pwn=apiclus1.pw / apiclus1.pw.mean())
    w = st.calibrate(f, STYPE, Design(weights="pwn", psu="dnum", fpc="fpc"), totals=TOTALS, weights="pwn",
                     calfun="logit", bounds=(0.2, 5), epsilon=1e-7)
    ww = w.frame["cal_weight"].to_numpy()
    m = estimate(w.frame, w.design, "api00").iloc[0]
    for g, e in zip([ww[0], ww.min(), ww.max(), m.estimate, m.se],
                    ["49.2938595827872", "18.6876611652906", "67.4703411913243", "665.406110647168",
                     "3.43660826081433"], strict=True):
        assert g == pytest.approx(float(e), rel=1e-11)
    assert [p.code for p in w.report.problems] == ["bounds-after-rescaling"]
