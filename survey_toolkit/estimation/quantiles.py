"""Weighted quantiles for every domain at once (statistics.md §10.1).

Within each domain, sort the values with non-zero weight; C_k is the cumulative weight, W the total,
and pos the last index with C_pos <= p W, or the first index when there is none (so, as in R, a p below
the first value's share of the weight gives the *second* value under ``math`` and ``school``).

Rules (R ``svyquantile(qrule=)`` of survey 4.1-1, each a function of the sorted values x, their
weights w, C and W; ``hfN`` mirror Hyndman and Fan's types with weights):

- ``math`` = ``hf1`` (R ``qrule="math"``): x_pos if C_pos/W == p exactly, else x_{pos+1}; i.e. the
  smallest x with F(x) >= p.
- ``school`` = ``hf2`` (R ``qrule="school"``; default here): (x_pos + x_{pos+1})/2 at an exact tie,
  else x_{pos+1}; the usual median for equal weights.
- ``hf3``: the same search over the distinct values (tied weights summed); x_pos when exact and pos
  is even, else x_{pos+1}.
- ``hf4``: x_pos (1 - g) + x_{pos+1} g with g = (p - C_pos/W) / (C_{pos+1}/W - C_pos/W).
- ``hf5`` .. ``hf9``: linear interpolation of x on the points p_k (constant beyond the ends):
  hf5 (C_k - w_k/2)/C_n; hf6 C_k/(C_n + w_n); hf7 C_{k-1}/C_{n-1} (C_0 = 0; with equal weights R
  ``quantile(type=7)`` and pandas); hf8 (C_{k-1}/3 + 2 C_k/3)/(C_n + w_n/3); hf9
  (3 C_{k-1}/8 + 5 C_k/8)/(C_n + w_n/4).
- ``shahvaish`` (Shah and Vaish): step function (the value at the last p_k <= p) on
  p_k = (S_k + 1/2 - w_k/2)/(n + 1), S_k the cumulative sum of w/mean(w) — with R's own w_k/2 on the
  raw weight scale kept for parity, so the p_k are re-sorted and ties averaged as R's ``approx`` does.

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

QUANTILE_RULES = (
    "school", "math", "shahvaish", "hf1", "hf2", "hf3", "hf4", "hf5", "hf6", "hf7", "hf8", "hf9",
)

#: rules that are another rule under a second name
_ALIASES = {"hf1": "math", "hf2": "school"}


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
        if not self.x.size:
            return np.full(D, np.nan)
        rule = _ALIASES.get(rule, rule)
        pz = np.where(ok, p, 0.0)
        if rule in _GRIDS:
            val = self._interpolate(_GRIDS[rule](self), pz)
        elif rule == "shahvaish":
            val = self._shahvaish(pz)
        elif rule == "hf3":
            val = self._distinct()._qs_rule(pz, "hf3")
        elif rule in ("math", "school", "hf4"):
            val = self._qs_rule(pz, rule)
        else:
            raise ValueError(f"unknown quantile rule {rule!r}; use one of {', '.join(QUANTILE_RULES)}")
        return np.where(ok, val, np.nan)

    # -- helpers -------------------------------------------------------------------------------

    def _last(self) -> np.ndarray:
        """Index of each domain's last value (kept in range for empty domains, whose result is NaN)."""
        return np.minimum(self.start + np.maximum(self.count, 1) - 1, self.x.size - 1)

    def _position(self, grid: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Per domain, how many grid points are <= p (the grid increases within each domain)."""
        le = grid <= p[self.dom]
        return np.bincount(self.dom, weights=le, minlength=self.total.size).astype(np.int64)

    def _qs_rule(self, p: np.ndarray, rule: str) -> np.ndarray:
        """R's ``qs``: pos = last C_k <= pW (or the first), then the rule's choice (math, school, hf3, hf4)."""
        cnt = self._position(self.cum, p * self.total)
        last = self._last()
        pos = np.clip(self.start + np.maximum(cnt, 1) - 1, 0, self.x.size - 1)
        nxt = np.minimum(pos + 1, last)
        with np.errstate(divide="ignore", invalid="ignore"):
            wlow = p - self.cum[pos] / self.total
            wup = self.cum[nxt] / self.total - p
        low, up = self.x[pos], self.x[nxt]
        exact = wlow == 0
        if rule == "math":
            return np.where(exact, low, up)
        if rule == "school":
            return np.where(exact, (low + up) / 2, up)
        if rule == "hf3":
            even = (pos - self.start + 1) % 2 == 0
            return np.where(exact & even, low, up)
        with np.errstate(divide="ignore", invalid="ignore"):  # hf4
            gamma = wlow / (wup + wlow)
        return low * (1 - gamma) + up * gamma

    def _interpolate(self, grid: np.ndarray, p: np.ndarray) -> np.ndarray:
        """R ``approx(grid, x, p, rule=2)`` (linear; the grid increases within each domain)."""
        cnt = self._position(grid, p)
        last = self._last()
        pos = np.clip(self.start + np.maximum(cnt, 1) - 1, 0, self.x.size - 1)
        nxt = np.minimum(pos + 1, last)
        below = cnt == 0  # p before the first point: the first value (rule = 2)
        g0, g1 = grid[pos], grid[nxt]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where((g1 > g0) & ~below, (p - g0) / (g1 - g0), 0.0)
        x0, x1 = self.x[pos], self.x[nxt]
        return np.where(self.count == 1, x0, x0 + (x1 - x0) * frac)

    def _excl(self) -> np.ndarray:
        """C_{k-1} per element (0 for each domain's first)."""
        return self.cum - self.w

    def _at_last(self, values: np.ndarray) -> np.ndarray:
        """Per element, ``values`` at its domain's last element."""
        return values[np.clip(self._last(), 0, self.x.size - 1)][self.dom]

    def _shahvaish(self, p: np.ndarray) -> np.ndarray:
        """R ``approx(p_k, x, p, "constant", f = 0, rule = 2)``: as R, the points are sorted by p_k
        (which need not increase, R's w_k/2 being on the raw weight scale) and tied p_k share the
        mean of their x."""
        n = np.maximum(self.count, 1).astype(float)
        wbar = self.w / (self.total / n)[self.dom]
        S = pd.Series(wbar).groupby(self.dom, sort=False).cumsum().to_numpy()
        grid = (S + 0.5 - self.w / 2) / (n + 1)[self.dom]
        order = np.lexsort((grid, self.dom))
        g, xs, dom = grid[order], self.x[order], self.dom[order]
        new = np.ones(g.size, dtype=bool)
        new[1:] = (dom[1:] != dom[:-1]) | (g[1:] != g[:-1])
        gid = np.cumsum(new) - 1
        xm = np.bincount(gid, weights=xs) / np.bincount(gid)
        gu, du = g[new], dom[new]
        count = np.bincount(du, minlength=self.total.size)
        start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
        cnt = np.bincount(du, weights=gu <= p[du], minlength=self.total.size).astype(np.int64)
        return xm[np.clip(start + np.maximum(cnt, 1) - 1, 0, xm.size - 1)]

    def _distinct(self) -> QuantilePoints:
        """The same domains with tied values merged (weights summed), for hf3."""
        last_of_tie = np.ones(self.x.size, dtype=bool)
        last_of_tie[:-1] = (self.dom[1:] != self.dom[:-1]) | (self.x[1:] != self.x[:-1])
        dom = self.dom[last_of_tie]
        cum = self.cum[last_of_tie]
        count = np.bincount(dom, minlength=self.total.size)
        start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
        first = np.zeros(dom.size, dtype=bool)
        first[start[count > 0]] = True
        w = np.where(first, cum, cum - np.concatenate([[0.0], cum[:-1]]))
        return QuantilePoints(self.x[last_of_tie], w, dom, cum, self.total, start, count)


def _grid_hf(a: float, b: float, extra: float):
    """Points (a C_{k-1} + b C_k) / (C_n + extra w_n) of the hf5/hf6/hf8/hf9 families."""

    def grid(pts: QuantilePoints) -> np.ndarray:
        num = a * pts._excl() + b * pts.cum
        return num / (pts._at_last(pts.cum) + extra * pts._at_last(pts.w))

    return grid


def _grid_hf7(pts: QuantilePoints) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return pts._excl() / pts._at_last(pts._excl())


def _grid_hf5(pts: QuantilePoints) -> np.ndarray:
    return (pts.cum - pts.w / 2) / pts._at_last(pts.cum)


_GRIDS = {
    "hf5": _grid_hf5,
    "hf6": _grid_hf(0.0, 1.0, 1.0),
    "hf7": _grid_hf7,
    "hf8": _grid_hf(1 / 3, 2 / 3, 1 / 3),
    "hf9": _grid_hf(3 / 8, 5 / 8, 1 / 4),
}


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
