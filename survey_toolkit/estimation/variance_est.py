"""The population variance of a variable and its SE, by domain (R ``svyvar``).

Within domain d with weighted mean x̄_d, the estimate is the design-based mean of

    z_k = (x_k - x̄_d)^2 * n_d / (n_d - 1)

where n_d counts the rows of the domain with non-zero weight (as R ``svyvar`` counts
``weights(design) != 0`` of the domain's design, rows with a missing value included). Its SE is the
Taylor SE of that mean with x̄_d held fixed, as in R (the derivative of the mean squared deviation
with respect to x̄_d is zero at x̄_d, so holding it fixed loses nothing to first order).

On a replicate-weight design (R ``svyvar.svyrep.design``) every replicate recomputes the variance
with its own weighted mean, n/(n - 1) with n the domain's rows with a value and non-zero weight, and
the SE is the replicate variance of those; all replicates and domains in three sparse products.

``estimate(frame, design, "api00", "variance", by="stype")`` uses this; the result has the columns of
:data:`survey_toolkit.estimation.COLUMNS` with ``statistic = "variance"`` and no design effect.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

__all__ = ["variance_result"]


def variance_result(ctx, base, y: np.ndarray):
    """Per-domain variance of ``y`` (a :class:`~survey_toolkit.estimation.estimate.Result`)."""
    from .estimate import _ratio_result  # the engine's mean (estimate.py dispatches here)

    dom = np.maximum(ctx.part.dom, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        xbar = ctx.dom_sum(ctx.cells0.sum(base.wv * y)) / base.nw
        n = ctx.n_all.astype(float)
        factor = np.where(n >= 2, n / (n - 1), np.nan)
    centre = np.where(np.isfinite(xbar), xbar, 0.0)[dom]
    dev = np.where(base.wv > 0, y - centre, 0.0)
    if ctx.prep.replicates is not None:
        return _replicate_result(ctx, base, dev)
    z = dev * dev * np.where(np.isfinite(factor), factor, 0.0)[dom]
    res = _ratio_result(ctx, base, z, None, total=False)
    single = n < 2  # one row: R gives NaN (n/(n-1) is infinite)
    est = np.where(single, np.nan, res.estimate)
    var = np.where(single, np.nan, res.var)
    return replace(res, estimate=est, var=var, vsrs=np.full(ctx.D, np.nan))


def _replicate_result(ctx, base, dev: np.ndarray):
    """The variance and its replicate SE: each replicate's variance about its own mean (``dev`` are the
    deviations from the full-sample mean, so no sum of squares loses precision)."""
    from . import _engine
    from .estimate import _ratio_result

    reps = ctx.prep.replicates
    n = base.n.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n >= 2, n / (n - 1), np.nan)
        sums = [_engine._domain_sums(ctx.cache, base.wv * dev**k, reps.factors) for k in range(3)]
        full = [ctx.dom_sum(ctx.cells0.sum(base.wv * dev**k)) for k in range(3)]
        est = (full[2] / full[0] - (full[1] / full[0]) ** 2) * factor
        thetas = (sums[2] / sums[0] - (sums[1] / sums[0]) ** 2) * factor[:, None]
    var = _engine.replicate_variance(reps, est, thetas)
    res = _ratio_result(ctx, base, dev * dev, None, total=False)  # counts, df and flags of the domain
    return replace(res, estimate=est, var=np.where(n >= 2, var, np.nan), vsrs=np.full(ctx.D, np.nan))
