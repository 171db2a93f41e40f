"""Covariance matrices of several linearised totals, from the engine's one variance entry point.

``_engine.linear_variance`` gives the variance of one linearised statistic per domain; the variance
is a quadratic form in the linearised values (every lonely-PSU rule, the fpc, the stages and the
calibration residuals included), so covariances follow by polarisation:

    cov(u_k, u_l) = (V(u_k/s_k + u_l/s_l) - 2) s_k s_l / 2,   s_k = sqrt(V(u_k))

(scaling by s_k keeps the difference well conditioned). Whatever design the engine supports —
replicate weights included, when they land — the matrices here follow it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _engine
from ._engine import Linear

__all__ = ["total_covariance"]


def total_covariance(
    cache, column: Callable[[int], np.ndarray], K: int, active: np.ndarray
) -> np.ndarray:
    """``(D, K, K)`` covariance of the per-domain totals of K per-row columns.

    ``column(k)`` returns column k (a per-row array; each row's value for its own domain); columns are
    made on demand so no ``(n_rows, K)`` matrix is held.
    """
    D = cache.part.n
    ones = np.ones(D)
    dom = np.maximum(cache.part.dom, 0)

    def var(a: np.ndarray) -> np.ndarray:
        return _engine.linear_variance(cache, Linear(a, None, ones, None), active)[0]

    out = np.zeros((D, K, K))
    scale = np.zeros((K, D))
    for k in range(K):
        v = var(column(k))
        out[:, k, k] = v
        scale[k] = np.where(v > 0, np.sqrt(np.maximum(v, 0.0)), 0.0)
    inv = np.where(scale > 0, 1.0 / np.where(scale > 0, scale, 1.0), 0.0)
    for k in range(K):
        ck = column(k) * inv[k][dom]
        for m in range(k + 1, K):
            both = var(ck + column(m) * inv[m][dom])
            nk, nm = (scale[k] > 0).astype(float), (scale[m] > 0).astype(float)
            cov = (both - nk - nm) / 2 * scale[k] * scale[m]
            out[:, k, m] = out[:, m, k] = cov
    return out
