"""Weighted quantiles for every domain at once (statistics.md §10.1).

Within each domain, sort the values with non-zero weight; C_k is the cumulative weight, W the total,
and pos the last index with C_pos <= p W, or the first index when there is none (so, as in R, a p below
the first value's share of the weight gives the *second* value under ``math`` and ``school``).

- ``math`` (R ``qrule="math"``/hf1): x_pos if C_pos == p W exactly, else x_{pos+1}; i.e. the smallest
  x with F(x) >= p.
- ``school`` (R ``qrule="school"``/hf2, default): (x_pos + x_{pos+1})/2 at an exact tie, else x_{pos+1};
  the usual median for equal weights.
- ``hf7`` (R ``qrule="hf7"``): linear interpolation of x on the points C_{k-1}/C_{n-1} (C_0 = 0);
  with equal weights this is R ``quantile(type=7)`` and the pandas default.

Example:
    >>> import numpy as np
    >>> from survey_toolkit.estimation._engine import Partition
    >>> pts = quantile_points(np.array([3.0, 1.0, 2.0, 4.0]), np.ones(4), Partition(np.zeros(4, int), 1),
    ...                       np.ones(4, bool))
    >>> [float(pts.quantile(np.array([0.5]), r)[0]) for r in ("math", "school", "hf7")]
    [2.0, 2.5, 2.5]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._engine import Partition

__all__ = ["QUANTILE_RULES", "QuantilePoints", "quantile_points"]

QUANTILE_RULES = ("school", "math", "hf7")


@dataclass(frozen=True, eq=False)
class QuantilePoints:
    """Sorted values per domain (domain-major), their cumulative weights and domain offsets."""

    x: np.ndarray
    w: np.ndarray
    dom: np.ndarray
    cum: np.ndarray
    total: np.ndarray
    start: np.ndarray
    count: np.ndarray

    def quantile(self, p: np.ndarray, rule: str) -> np.ndarray:
        """The p[d]-quantile of each domain d (NaN for empty domains or p outside [0, 1])."""
        p = np.asarray(p, dtype=float)
        D = self.total.size
        ok = (self.count > 0) & np.isfinite(p) & (p >= 0) & (p <= 1)
        out = np.full(D, np.nan)
        if not self.x.size:
            return out
        last = self.start + np.maximum(self.count, 1) - 1
        if rule == "hf7":
            excl = self.cum - self.w
            denom = self.total - self.w[np.minimum(last, self.x.size - 1)]
            with np.errstate(divide="ignore", invalid="ignore"):
                grid = excl / denom[self.dom]
            le = grid <= p[self.dom]
            cnt = np.bincount(self.dom, weights=le, minlength=D).astype(np.int64)
            pos = np.clip(self.start + np.maximum(cnt, 1) - 1, 0, self.x.size - 1)
            nxt = np.minimum(pos + 1, last)
            g0, g1 = grid[pos], grid[nxt]
            with np.errstate(divide="ignore", invalid="ignore"):
                frac = np.where(g1 > g0, (p - g0) / (g1 - g0), 0.0)
            val = self.x[pos] + frac * (self.x[nxt] - self.x[pos])
            val = np.where(self.count == 1, self.x[pos], val)
            return np.where(ok, val, np.nan)
        target = p * self.total
        le = self.cum <= target[self.dom]
        cnt = np.bincount(self.dom, weights=le, minlength=D).astype(np.int64)
        pos = np.clip(self.start + np.maximum(cnt, 1) - 1, 0, self.x.size - 1)
        nxt = np.minimum(pos + 1, last)  # as R: with no C_k <= pW, pos is the first value and x_pos+1 is used
        exact = (cnt > 0) & (self.cum[pos] == target)
        low, up = self.x[pos], self.x[nxt]
        if rule == "math":
            val = np.where(exact, low, up)
        elif rule == "school":
            val = np.where(exact, (low + up) / 2, up)
        else:
            raise ValueError(f"unknown quantile rule {rule!r}")
        return np.where(ok, val, np.nan)


def quantile_points(x: np.ndarray, w: np.ndarray, part: Partition, active: np.ndarray) -> QuantilePoints:
    """Sort the active rows by (domain, value) and accumulate weights within each domain."""
    idx = np.flatnonzero(active)
    dom = part.dom[idx]
    order = np.lexsort((x[idx], dom))
    idx, dom = idx[order], dom[order]
    xs, ws = x[idx], w[idx]
    cum = pd.Series(ws).groupby(dom, sort=False).cumsum().to_numpy() if idx.size else np.zeros(0)
    D = part.n
    total = np.bincount(dom, weights=ws, minlength=D)
    count = np.bincount(dom, minlength=D)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    # the total as the last cumulative sum, so that p = 1 hits it exactly
    has = count > 0
    total[has] = cum[start[has] + count[has] - 1]
    return QuantilePoints(xs, ws, dom, cum, total, start, count)
