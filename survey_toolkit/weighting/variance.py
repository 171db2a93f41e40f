"""Variance after calibration: the residual projection that the estimation engine applies.

After post-stratification, raking or linear (GREG) calibration, the linearised variable ``u_k`` of any
estimate (computed with the calibrated weights) is replaced by a **calibration residual** before the PSU
totals of statistics.md §2.1 are formed (§2.6, §8). With ``w`` the calibrated weights of a step and
``d`` the weights it started from:

- **linear calibration and post-stratification** (GREG residual): ``r = u / w``; ``B`` is the
  ``d``-weighted least-squares fit of ``r`` on the calibration model matrix ``X``;
  residual ``= (r - X B) · w``. For post-stratification ``X`` holds the cell indicators, so ``X B`` is the
  ``d``-weighted cell mean of ``r`` and the residual is ``w (y - ȳ_c)`` scaled as ``u`` is.
- **raking**, ``rake_variance="r"`` (default, R parity): for each margin m in turn, ``r = u / s_m`` is
  centred on the **unweighted** mean of ``r`` within each category of m and multiplied back by ``s_m``,
  for a fixed number of sweeps (10). ``s_m`` are the weights right after margin m was matched in the
  last raking iteration (the final weights once raking has converged). This approximates the projection
  onto the margins and reproduces R ``rake()`` SEs to machine precision, also for R's loose default
  tolerance.
- **raking**, ``rake_variance="projection"``: the exact ``d``-weighted least-squares projection onto all
  the margins' indicators (the GREG residual of the raking's linear approximation).

Rows with a zero calibrated weight keep a residual of 0. Steps apply in order (a rake after a
post-stratification applies the post-stratification residual first). The rule was identified from the
formulas and checked numerically against R 4.2.2 / survey 4.1-1 on ``apistrat`` (post-stratified by
``sch.wide``: SE mean api00 9.2725438999078; raked by ``sch.wide`` and ``awards``: 9.29132659349579;
GREG on ``sch.wide + api99``: 1.55669497320899; see ``tests/weighting/test_r_parity.py``).

The arrays are aligned with the **rows of the weighted frame** (by position): estimate domains by zero
``u``, never by dropping rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import sparse

__all__ = ["CalibrationStep", "Calibration", "calibration_residuals"]

RakeVariance = Literal["r", "projection"]


@dataclass(frozen=True, eq=False)
class CalibrationStep:
    """What the variance needs to know about one calibration step.

    ``kind`` is ``"poststratify"``, ``"rake"`` or ``"linear"``; ``weights`` the weights after the step and
    ``input_weights`` before it (both ``(n,)``); ``groups`` the per-row category index of each margin
    (``-1`` for rows outside, which all have a zero weight); ``model`` the ``(n, p)`` model matrix of a
    linear calibration; ``scales`` (raking) the weights right after each margin was matched in the last
    sweep (R's residuals use them; they equal ``weights`` once raking has converged).
    """

    kind: Literal["poststratify", "rake", "linear"]
    weights: np.ndarray = field(repr=False)
    input_weights: np.ndarray = field(repr=False)
    groups: tuple[np.ndarray, ...] = field(default=(), repr=False)
    model: np.ndarray | None = field(default=None, repr=False)
    rake_variance: RakeVariance = "r"
    sweeps: int = 10
    scales: tuple[np.ndarray, ...] = field(default=(), repr=False)
    variables: tuple[str, ...] = ()

    def residuals(self, u: np.ndarray) -> np.ndarray:
        """The calibration residual of ``u`` (``(n,)`` or ``(n, q)``); the input is not changed."""
        u = np.asarray(u, dtype=float)
        flat = u.ndim == 1
        x = u[:, None] if flat else u
        if x.shape[0] != len(self.weights):
            raise ValueError(f"u has {x.shape[0]} rows but the calibrated design has {len(self.weights)}")
        w = self.weights
        live = w != 0
        if self.kind == "rake" and self.rake_variance == "r":
            out = self._sweep(x, live)
        else:
            r = np.zeros_like(x)
            r[live] = x[live] / w[live, None]
            if self.kind == "poststratify" and len(self.groups) == 1:
                r = r - _cell_means(r, self.groups[0], self.input_weights, live)
            else:
                r = r - self._fitted(r, live)
            out = r * w[:, None]
        out[~live] = 0.0
        return out[:, 0] if flat else out

    def _sweep(self, x: np.ndarray, live: np.ndarray) -> np.ndarray:
        """R-style raking residual: per margin, centre ``x / s_m`` on its unweighted category means, times ``s_m``.

        ``s_m`` are the weights right after margin m was matched in the last raking sweep (``scales``), which
        equal the final weights once raking has converged. The sweeps run on category-level matrices: the
        result is ``x - Σ_m s_m A_m[code_m]`` where ``A_m`` (categories x columns) accumulates the means
        removed at each step, and a step's means follow from the starting means ``B_m`` and the small
        cross matrices ``C_{m,m'}[c, c'] = mean over rows of c of 1[code_m' = c'] s_m' / s_m``. So the rows
        are read once per margin, whatever the number of sweeps.
        """
        scales = self.scales or tuple(self.weights for _ in self.groups)
        safe = [np.where(live, scale, 1.0) for scale in scales]
        codes = [np.where(live, c, 0) for c in self.groups]
        sizes = [int(c.max()) + 1 if len(c) else 1 for c in codes]
        counts = [np.bincount(c[live], minlength=k).astype(float) for c, k in zip(codes, sizes, strict=True)]
        x = x if live.all() else np.where(live[:, None], x, 0.0)
        n = len(live)
        cols = np.arange(n)
        starts, cross = [], []
        for m, (cm, km, sm) in enumerate(zip(codes, sizes, safe, strict=True)):
            inv = np.where(live, 1.0 / sm, 0.0)
            S = sparse.csr_matrix((inv, (cm, cols)), shape=(km, n))
            starts.append(_safe_divide(np.asarray(S @ x), counts[m]))
            row = []
            for cm2, km2, sm2 in zip(codes, sizes, safe, strict=True):
                pair = np.bincount(cm * km2 + cm2, weights=sm2 * inv, minlength=km * km2).reshape(km, km2)
                row.append(_safe_divide(pair, counts[m]))
            cross.append(row)
        acc = [np.zeros((k, x.shape[1])) for k in sizes]
        for _ in range(self.sweeps):
            for m in range(len(codes)):
                step = starts[m] - sum(cross[m][j] @ acc[j] for j in range(len(codes)))
                acc[m] = acc[m] + step
        out = np.array(x, dtype=float, copy=True)
        for cm, sm, a in zip(codes, safe, acc, strict=True):
            correction = np.take(a, cm, axis=0)
            correction *= sm[:, None]
            out -= correction
        if not live.all():
            out[~live] = 0.0
        return out

    def _fitted(self, r: np.ndarray, live: np.ndarray) -> np.ndarray:
        X = self.model if self.model is not None else _indicators(self.groups, len(r))
        d = np.where(live, self.input_weights, 0.0)
        sw = np.sqrt(d)[:, None]
        coef, *_ = np.linalg.lstsq(X * sw, r * sw, rcond=None)
        return X @ coef


def _safe_divide(num: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Rows of ``num`` divided by ``counts`` (0 where a count is 0)."""
    c = counts[:, None]
    return np.divide(num, c, out=np.zeros_like(num, dtype=float), where=c > 0)


def _cell_means(r: np.ndarray, codes: np.ndarray, weights: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Per-row weighted mean of every column of ``r`` over the row's category (rows outside get 0)."""
    return _CellMeans(codes, weights, live)(r)


class _CellMeans:
    """Weighted category means as one sparse (categories x rows) product for all columns at once."""

    def __init__(self, codes: np.ndarray, weights: np.ndarray, live: np.ndarray) -> None:
        inside = live & (codes >= 0)
        self.rows = np.flatnonzero(inside)
        self.codes = codes[self.rows]
        k = int(codes.max()) + 1 if len(codes) and codes.max() >= 0 else 1
        self.S = sparse.csr_matrix((weights[self.rows], (self.codes, self.rows)), shape=(k, len(codes)))
        self.denom = np.asarray(self.S.sum(axis=1)).ravel()[:, None]

    def __call__(self, r: np.ndarray) -> np.ndarray:
        num = np.asarray(self.S @ r)
        means = np.divide(num, self.denom, out=np.zeros_like(num), where=self.denom > 0)
        out = np.zeros_like(r)
        out[self.rows] = means[self.codes]
        return out


def _indicators(groups: Sequence[np.ndarray], n: int) -> np.ndarray:
    cols = []
    for codes in groups:
        k = int(codes.max()) + 1 if len(codes) else 0
        block = np.zeros((n, k))
        inside = codes >= 0
        block[np.flatnonzero(inside), codes[inside]] = 1.0
        cols.append(block)
    return np.hstack(cols) if cols else np.zeros((n, 0))


@dataclass(frozen=True, eq=False)
class Calibration:
    """The ordered calibration steps of a weighted design; :meth:`residualize` is the variance hook.

    ``index`` is the row index of the weighted frame: the arrays are positional, so an estimator can check
    that it was given the same rows in the same order (``calibration.index.equals(frame.index)``).
    """

    steps: tuple[CalibrationStep, ...] = field(default_factory=tuple)
    index: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        inner = ", ".join(f"{s.kind}({', '.join(s.variables)})" for s in self.steps)
        n = len(self.steps[-1].weights) if self.steps else 0
        return f"Calibration([{inner}], rows={n})"

    def then(self, step: CalibrationStep, index: Any = None) -> Calibration:
        return Calibration(self.steps + (step,), self.index if index is None else index)

    @property
    def weights(self) -> np.ndarray:
        """The final calibrated weights (those of the last step)."""
        return self.steps[-1].weights

    def residualize(self, u: np.ndarray) -> np.ndarray:
        """Replace linearised values ``u`` (rows x statistics) by their calibration residuals."""
        for step in self.steps:
            u = step.residuals(u)
        return u


def calibration_residuals(u: np.ndarray, calibration: Calibration | CalibrationStep | None) -> np.ndarray:
    """``u`` after the calibration's residual projection (``u`` itself when there is no calibration)."""
    if calibration is None:
        return np.asarray(u, dtype=float)
    if isinstance(calibration, CalibrationStep):
        return calibration.residuals(u)
    return calibration.residualize(u)
