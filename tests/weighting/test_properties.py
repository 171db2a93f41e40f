"""Properties (hypothesis): raked margins hit targets, scale invariance, inputs never changed, trimming."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey_toolkit.errors import WeightError
from survey_toolkit.weighting import calibrate, post_stratify, rake, trim

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def samples(draw):
    """A sample with every cell of sex x age x region present, positive weights, and consistent margins."""
    k = (2, draw(st.integers(2, 5)), draw(st.integers(2, 6)))
    grid = np.array(np.meshgrid(*[np.arange(1, j + 1) for j in k], indexing="ij")).reshape(3, -1).T
    extra = draw(st.integers(0, 60))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    rows = np.vstack([grid, np.column_stack([rng.integers(1, j + 1, extra) for j in k])])
    df = pd.DataFrame(rows, columns=["sex", "age", "region"])
    df["w"] = rng.uniform(0.2, 5.0, len(df))
    total = 10_000.0
    margins = {}
    for column, j in zip(["sex", "age", "region"], k, strict=True):
        share = rng.uniform(0.2, 1.0, j)
        margins[column] = {c + 1: total * s / share.sum() for c, s in enumerate(share)}
    return df, margins


@FAST
@given(samples())
def test_raked_margins_hit_their_targets(case):
    df, margins = case
    out = rake(df, margins, weights="w", maxit=1000)
    assert out.report.convergence.converged
    table = out.report.margins
    np.testing.assert_allclose(table["achieved"], table["target"], rtol=1e-7)
    assert (out.weights > 0).all()


@FAST
@given(samples(), st.floats(0.01, 100))
def test_raking_does_not_depend_on_the_scale_of_the_design_weights(case, scale):
    df, margins = case
    a = rake(df, margins, weights="w", maxit=1000).weights
    b = rake(df.assign(w=df["w"] * scale), margins, weights="w", maxit=1000).weights
    np.testing.assert_allclose(a, b, rtol=1e-7)


@FAST
@given(samples())
def test_row_order_does_not_matter(case):
    df, margins = case
    order = np.random.default_rng(len(df)).permutation(len(df))
    a = rake(df, margins, weights="w", maxit=1000).weights
    b = rake(df.iloc[order], margins, weights="w", maxit=1000).weights
    np.testing.assert_allclose(a[order], b, rtol=1e-9)


@FAST
@given(samples())
def test_inputs_are_never_changed(case):
    df, margins = case
    before = df.copy()
    rake(df, margins, weights="w", maxit=1000)
    post_stratify(df, {"age": margins["age"]}, weights="w")
    calibrate(df, {"sex": margins["sex"]}, weights="w")
    trim(df, weights="w", upper=2.0, relative_to="median")
    pd.testing.assert_frame_equal(df, before)
    assert "rake_weight" not in df.columns


@FAST
@given(samples())
def test_post_stratification_is_linear_calibration_to_one_margin(case):
    df, margins = case
    ps = post_stratify(df, {"region": margins["region"]}, weights="w")
    greg = calibrate(df, {"region": margins["region"]}, weights="w")
    np.testing.assert_allclose(ps.weights, greg.weights, rtol=1e-9)
    u = np.random.default_rng(1).normal(size=len(df))
    np.testing.assert_allclose(ps.calibration.residualize(u), greg.calibration.residualize(u), atol=1e-9)


@FAST
@given(samples(), st.floats(1.05, 3.0), st.sampled_from(["additive", "proportional"]))
def test_trimming_keeps_the_total_and_the_bound(case, factor, redistribute):
    df, _ = case
    bound = factor * np.median(df["w"])
    if len(df) * bound < df["w"].sum():
        with pytest.raises(WeightError):
            trim(df, weights="w", upper=factor, relative_to="median", redistribute=redistribute)
        return
    out = trim(df, weights="w", upper=factor, relative_to="median", redistribute=redistribute)
    np.testing.assert_allclose(out.weights.sum(), df["w"].sum(), rtol=1e-12)
    assert out.weights.max() <= bound * (1 + 1e-9)
    assert out.report.trimming.max_violation <= 1e-9 * bound
    untouched = out.weights < bound * (1 - 1e-6)  # never clipped: only scaled by the redistributions
    if redistribute == "proportional" and untouched.sum() > 1:
        ratio = out.weights[untouched] / df["w"].to_numpy()[untouched]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)


@FAST
@given(samples())
def test_calibration_residuals_are_orthogonal_to_the_margins(case):
    # the residual of any u sums to 0 within every category of a post-stratified margin
    df, margins = case
    out = post_stratify(df, {"age": margins["age"]}, weights="w")
    u = np.random.default_rng(2).normal(size=len(df))
    resid = out.calibration.residualize(u)
    sums = pd.Series(resid / out.weights * df["w"]).groupby(df["age"].to_numpy()).sum()
    np.testing.assert_allclose(sums.to_numpy(), 0, atol=1e-9)


@FAST
@given(samples(), st.floats(0.8, 1.25))
def test_calibration_hits_categorical_and_numeric_totals(case, shift):
    df, margins = case
    df = df.assign(x=np.linspace(1.0, 2.0, len(df)))
    total_x = float((df["w"] * df["x"]).sum()) * shift
    sex_share = {k: v / sum(margins["sex"].values()) for k, v in margins["sex"].items()}
    out = calibrate(df, {"sex": sex_share}, weights="w", totals={"x": total_x})
    table = out.report.margins
    np.testing.assert_allclose(table["achieved"], table["target"], rtol=1e-9)
    assert table.set_index("variable").loc["x", "target"] == total_x


def test_large_sample_is_raked_vectorised():
    rng = np.random.default_rng(5)
    n = 200_000
    df = pd.DataFrame(
        {
            "sex": rng.integers(1, 3, n),
            "age": rng.integers(1, 6, n),
            "region": rng.integers(1, 21, n),
            "w": rng.uniform(0.5, 2, n),
        }
    )
    margins = {
        "sex": {1: 0.48, 2: 0.52},
        "age": {a: 0.2 for a in range(1, 6)},
        "region": {r: 0.05 for r in range(1, 21)},
    }
    out = rake(df, margins, weights="w")
    table = out.report.margins
    np.testing.assert_allclose(table["achieved"], table["target"], rtol=1e-9)
