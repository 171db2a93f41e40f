"""Confidence intervals for quantiles, as R ``svyquantile`` (survey 4.1-1) makes them on Taylor designs.

``interval`` (``estimate(..., "quantile", ci_method=...)``, R ``interval.type``):

- ``mean`` (alias ``wald``; default; Woodruff): F̂ = design-based mean of 1[x <= q̂] in the domain
  and its SE; the Wald interval F̂ -/+ t_df SE is mapped back through the quantile rule; an endpoint
  outside [0, 1] is NaN.
- ``xlogit``, ``asin``, ``beta`` (Korn-Graubard): the same, with the interval for F̂ made on the logit
  or arcsine-root scale, or the Korn-Graubard beta interval (its effective n uses the design df and
  the row count, whatever ``df=`` says, as R's ``woodruffCI`` does).
- ``score`` (Francisco and Fuller): the limits solve
  mean(1[x > θ] - (1 - p)) / SE = -/+ t_df over θ in [min x + IQR/100, max x - IQR/100] with R's
  Brent root finder (``uniroot``, tolerance 1/(100 √n)), run for every domain at once; each root θ is
  turned into the unweighted share of the domain's values <= θ and then into a quantile through the
  rule (R's ``ffullerCI``). Where the score has no sign change in that range R stops with an error;
  the engine gives NaN limits and the flag ``score_no_root``.
- ``quantile`` (R ``interval.type="quantile"``, replicate designs only; refused on Taylor designs):
  the quantile of every replicate with the same rule (zero-weight rows left out, as R's ``qrule_*``),
  SE² = the replicate variance of those quantiles, interval q̂ -/+ t_df SE (R ``repCI``). All domains
  and replicates are sorted and accumulated at once, as (domain, replicate) groups.

On replicate-weight designs only ``mean`` and ``quantile`` are offered: the SE of F̂ is its replicate SE and the df the
replicate df (R ``svyquantile.svyrep.design``); R 4.1-1 silently gives the ``mean`` interval for
``beta``, ``xlogit`` and ``asin`` there, so the engine refuses them rather than label one interval
with another's name.

The reported SE is (upper - lower) / (2 t_df), as R reports it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .intervals import proportion_ci, t_quantile

__all__ = ["QUANTILE_INTERVALS", "canonical_interval", "woodruff_probabilities", "score_roots",
           "replicate_quantiles"]

#: accepted names -> canonical interval type
QUANTILE_INTERVALS = {
    "mean": "mean",
    "wald": "mean",
    "woodruff": "mean",
    "xlogit": "xlogit",
    "asin": "asin",
    "beta": "beta",
    "korn-graubard": "beta",
    "score": "score",
    "quantile": "quantile",
}


def canonical_interval(name: str | None, replicate: bool = False) -> str:
    """The canonical quantile interval type; ValueError for an unknown or unavailable one
    (``replicate``: the design has replicate weights)."""
    if name is None:
        return "mean"
    try:
        kind = QUANTILE_INTERVALS[str(name).lower()]
    except KeyError:
        raise ValueError(
            f"unknown quantile ci_method {name!r}; use one of mean (wald), xlogit, asin, beta, score"
        ) from None
    if kind in ("score", "xlogit", "asin", "beta") and replicate:
        raise ValueError(
            f"ci_method {name!r} is not offered for quantiles on replicate-weight designs (R survey 4.1-1 "
            "has no score interval there and gives the 'mean' interval whatever interval.type says); "
            "use 'mean' (default: Woodruff with the replicate variance) or 'quantile' (the replicates' quantiles)"
        )
    if kind == "quantile" and not replicate:
        raise ValueError(
            "ci_method 'quantile' (R interval.type='quantile') needs a replicate-weight design; "
            "on a Taylor design use 'mean', 'xlogit', 'asin', 'beta' or 'score'"
        )
    return kind


def woodruff_probabilities(
    f_hat: np.ndarray, se: np.ndarray, df: np.ndarray, design_df: np.ndarray, n: np.ndarray,
    kind: str, level: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The interval for F(q̂) on the probability scale (R ``woodruffCI``), NaN outside [0, 1]."""
    if kind == "mean":
        t = t_quantile(df, level)
        lo, hi = f_hat - t * se, f_hat + t * se
    elif kind == "beta":
        lo, hi = proportion_ci(f_hat, se, design_df, n, "korn-graubard", level)
    else:
        lo, hi = proportion_ci(f_hat, se, df, n, kind, level)
    lo = np.where((lo < 0) | ~np.isfinite(lo), np.nan, lo)
    hi = np.where((hi > 1) | ~np.isfinite(hi), np.nan, hi)
    return lo, hi


def score_roots(
    score: Callable[[np.ndarray], np.ndarray],
    lower: np.ndarray,
    upper: np.ndarray,
    tol: np.ndarray,
    maxit: int = 1000,
) -> tuple[np.ndarray, np.ndarray]:
    """R ``uniroot`` (Brent's ``R_zeroin2``) for every domain at once.

    ``score(theta)`` evaluates the function for all domains at the per-domain points ``theta``.
    Returns the roots and a mask of the domains where the end values have the same sign (R's error;
    their root is NaN).
    """
    eps = np.finfo(float).eps
    a, b = lower.astype(float).copy(), upper.astype(float).copy()
    fa, fb = score(a), score(b)
    with np.errstate(invalid="ignore"):
        no_root = ~(fa * fb <= 0)
    root = np.full(a.shape, np.nan)
    root = np.where(~no_root & (fa == 0), a, root)
    root = np.where(~no_root & (fa != 0) & (fb == 0), b, root)
    active = ~no_root & (fa != 0) & (fb != 0)
    c, fc = a.copy(), fa.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(maxit + 1):
            if not active.any():
                break
            prev_step = b - a
            swap = active & (np.abs(fc) < np.abs(fb))
            a, b, c = np.where(swap, b, a), np.where(swap, c, b), np.where(swap, b, c)
            fa, fb, fc = np.where(swap, fb, fa), np.where(swap, fc, fb), np.where(swap, fb, fc)
            tol_act = 2 * eps * np.abs(b) + tol / 2
            new_step = (c - b) / 2
            done = active & ((np.abs(new_step) <= tol_act) | (fb == 0))
            root = np.where(done, b, root)
            active = active & ~done
            if not active.any():
                break
            cb = c - b
            t1 = fb / fa
            p_lin, q_lin = cb * t1, 1.0 - t1
            qq, t1q, t2 = fa / fc, fb / fc, fb / fa
            p_quad = t2 * (cb * qq * (qq - t1q) - (b - a) * (t1q - 1.0))
            q_quad = (qq - 1.0) * (t1q - 1.0) * (t2 - 1.0)
            p = np.where(a == c, p_lin, p_quad)
            q = np.where(a == c, q_lin, q_quad)
            q = np.where(p > 0, -q, q)
            p = np.abs(p)
            try_interp = (np.abs(prev_step) >= tol_act) & (np.abs(fa) > np.abs(fb))
            accept = try_interp & (p < 0.75 * cb * q - np.abs(tol_act * q) / 2) & (p < np.abs(prev_step * q / 2))
            new_step = np.where(accept, p / q, new_step)
            small = np.abs(new_step) < tol_act
            new_step = np.where(small, np.where(new_step > 0, tol_act, -tol_act), new_step)
            a, fa = np.where(active, b, a), np.where(active, fb, fa)
            b = np.where(active, b + new_step, b)
            fb = np.where(active, score(b), fb)
            same = active & (((fb > 0) & (fc > 0)) | ((fb < 0) & (fc < 0)))
            c, fc = np.where(same, a, c), np.where(same, fa, fc)
    root = np.where(active, b, root)  # not converged in maxit: R returns the last point with a warning
    return root, no_root


def replicate_quantiles(x, weights, factors, part, active, p: float, rule: str) -> np.ndarray:
    """(D, R) p-quantile of every domain under every replicate's weights (R ``repCI``'s
    ``qrule(x, w_r, p)``): the (domain, replicate) pairs are the groups of one sort, no replicate loop."""
    from ._engine import Partition
    from .quantiles import quantile_points

    rows = np.flatnonzero(active)
    m, R = rows.size, factors.shape[1]
    D = part.n
    ws = (factors[rows] * weights[rows, None]).T.ravel()  # replicate-major
    xs = np.tile(x[rows], R)
    groups = np.tile(part.dom[rows], R) * R + np.repeat(np.arange(R), m)
    points = quantile_points(xs, ws, Partition(groups, D * R), ws > 0)
    return points.quantile(np.full(D * R, p), rule).reshape(D, R)
