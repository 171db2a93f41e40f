"""Property tests: row order, weight scale, zero-weight rows, domain = ratio estimator."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_toolkit import Design, compare, estimate

DESIGN = Design(weights="w", strata="st", psu="cl", lonely_psu="adjust")
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COLS = ["estimate", "se", "df", "n", "deff_wr"]


@st.composite
def surveys(draw):
    """A stratified cluster sample: 2-3 strata, 2-4 PSUs each, 1-4 rows per PSU."""
    rows = []
    cl = 0
    for h in range(draw(st.integers(2, 3))):
        for _ in range(draw(st.integers(2, 4))):
            cl += 1
            for _ in range(draw(st.integers(1, 4))):
                rows.append({
                    "st": f"s{h}", "cl": cl,
                    "w": draw(st.floats(0.5, 20.0)),
                    # values with 2 decimals, like survey answers (avoids SEs that are pure rounding noise)
                    "y": draw(st.one_of(st.none(), st.floats(-50, 50).map(lambda v: round(v, 2)))),
                    "b": draw(st.sampled_from(["p", "q", "r"])),
                    "d": draw(st.booleans()),
                })
    frame = pd.DataFrame(rows)
    frame["y"] = frame["y"].astype(float)
    return frame


def _est(frame, var, stat="mean", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimate(frame, DESIGN, var, stat, **kw)


def _same(a: pd.DataFrame, b: pd.DataFrame, cols=COLS, rtol=1e-9):
    for c in cols:
        np.testing.assert_allclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=rtol, atol=1e-12,
                                   equal_nan=True, err_msg=c)


@SETTINGS
@given(surveys(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(frame, rnd):
    perm = frame.sample(frac=1.0, random_state=rnd.randint(0, 2**31)).reset_index(drop=True)
    for stat, var in [("mean", "y"), ("total", "y"), ("proportion", "b")]:
        _same(_est(frame, var, stat, by="d"), _est(perm, var, stat, by="d"))
    _same(_est(frame, "y", "quantile", by="d"), _est(perm, "y", "quantile", by="d"), ["estimate", "se"])


@SETTINGS
@given(surveys(), st.floats(0.01, 100.0))
def test_means_and_proportions_ignore_weight_scale(frame, scale):
    scaled = frame.assign(w=frame["w"] * scale)
    _same(_est(frame, "y", by="d"), _est(scaled, "y", by="d"))
    _same(_est(frame, "b", "proportion"), _est(scaled, "b", "proportion"))
    t0, t1 = _est(frame, "y", "total"), _est(scaled, "y", "total")
    np.testing.assert_allclose(t1["estimate"], t0["estimate"] * scale, rtol=1e-9, atol=1e-9)


@SETTINGS
@given(surveys())
def test_zero_weight_rows_change_nothing(frame):
    extra = frame.sample(n=min(3, len(frame)), random_state=0).assign(w=0.0, y=1e6, b="zzz")
    padded = pd.concat([frame, extra], ignore_index=True)
    _same(_est(frame, "y", by="d"), _est(padded, "y", by="d"))
    _same(_est(frame, "y", "total", by="d"), _est(padded, "y", "total", by="d"))
    a = _est(frame, "b", categories=["p", "q", "r"])
    b = _est(padded, "b", categories=["p", "q", "r"])
    _same(a, b)


@SETTINGS
@given(surveys())
def test_domain_mean_is_the_ratio_estimator(frame):
    data = frame.assign(dy=np.where(frame["d"], frame["y"], 0.0), dx=frame["d"].astype(float))
    dom = _est(data, "y", by="d", na_rm=True).set_index("d")
    if True not in dom.index or dom.loc[True, "n"] == 0:
        return
    # rows with missing y are out of the domain in both
    data.loc[data["y"].isna(), ["dy", "dx"]] = np.nan
    ratio = _est(data, "dy", "ratio", denominator="dx").iloc[0]
    np.testing.assert_allclose(dom.loc[True, "estimate"], ratio.estimate, rtol=1e-9)
    np.testing.assert_allclose(dom.loc[True, "se"], ratio.se, rtol=1e-7, atol=1e-12)


@SETTINGS
@given(surveys())
def test_contrast_of_a_domain_with_itself_is_zero(frame):
    data = frame.assign(y=frame["y"].fillna(0.0))
    r = compare(data, DESIGN, "y", by="b", a="p", b="p")
    if np.isfinite(r["estimate"][0]):
        assert abs(r["estimate"][0]) < 1e-9 and r["se"][0] < 1e-9
