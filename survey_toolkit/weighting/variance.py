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

__all__ = ["CalibrationStep", "Calibration", "DomainProjector", "calibration_residuals", "domain_projector"]

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

    # -- the residual as a low-rank correction: residual(x) = x - F @ coefficients(x) on live rows --------
    # F (n x p) depends on the step only; the coefficients (p x q) come from grouped sums of x. For a
    # domain-sparse x (one non-zero domain column per row) the coefficients of every domain are a few
    # bincounts, so all domains are residualised at once without forming an (n x domains) matrix.

    def _rake_parts(self):
        """Per margin: codes (0 off live rows), safe scales, 1/scale on live rows, sizes, counts; and the
        cross matrices of the sweep (cached: they do not depend on x)."""
        cached = self.__dict__.get("_rake_cache")
        if cached is not None:
            return cached
        live = self.weights != 0
        scales = self.scales or tuple(self.weights for _ in self.groups)
        safe = [np.where(live, scale, 1.0) for scale in scales]
        codes = [np.where(live, c, 0) for c in self.groups]
        sizes = [int(c.max()) + 1 if len(c) else 1 for c in codes]
        counts = [np.bincount(c[live], minlength=k).astype(float) for c, k in zip(codes, sizes, strict=True)]
        invs = [np.where(live, 1.0 / sm, 0.0) for sm in safe]
        cross = [
            [
                _safe_divide(
                    np.bincount(cm * km2 + cm2, weights=sm2 * inv, minlength=km * km2).reshape(km, km2), cnt
                )
                for cm2, km2, sm2 in zip(codes, sizes, safe, strict=True)
            ]
            for cm, km, inv, cnt in zip(codes, sizes, invs, counts, strict=True)
        ]
        parts = (live, codes, safe, invs, sizes, counts, cross)
        object.__setattr__(self, "_rake_cache", parts)
        return parts

    def _sweep_matrix(self) -> np.ndarray:
        """T with stacked accumulated means = T @ stacked starting means: the sweeps are linear in the
        starts, so they are run once on the identity (cached) instead of once per statistic."""
        cached = self.__dict__.get("_sweep_cache")
        if cached is not None:
            return cached
        sizes, cross = self._rake_parts()[4], self._rake_parts()[6]
        p = sum(sizes)
        offsets = np.cumsum([0, *sizes])
        eye = np.eye(p)
        starts = [eye[offsets[m]:offsets[m + 1]] for m in range(len(sizes))]
        acc = [np.zeros((k, p)) for k in sizes]
        for _ in range(self.sweeps):
            for m in range(len(sizes)):
                acc[m] = acc[m] + starts[m] - sum(cross[m][j] @ acc[j] for j in range(len(sizes)))
        T = np.vstack(acc)
        object.__setattr__(self, "_sweep_cache", T)
        return T

    def _linear_parts(self):
        """Model matrix X, the live mask and a generalised inverse of X'DX (cached)."""
        cached = self.__dict__.get("_linear_cache")
        if cached is not None:
            return cached
        live = self.weights != 0
        X = self.model if self.model is not None else _indicators(self.groups, len(self.weights))
        d = np.where(live, self.input_weights, 0.0)
        A = X.T @ (X * d[:, None])
        scale = np.sqrt(np.diag(A))
        scale = np.where(scale > 0, 1.0 / np.where(scale > 0, scale, 1.0), 0.0)
        A_inv = scale[:, None] * np.linalg.pinv(A * scale[:, None] * scale[None, :], rcond=1e-13,
                                               hermitian=True) * scale[None, :]
        parts = (X, live, A_inv)
        object.__setattr__(self, "_linear_cache", parts)
        return parts

    def _is_cells(self) -> bool:
        return self.kind == "poststratify" and len(self.groups) == 1

    @property
    def n_factors(self) -> int:
        if self.kind == "rake" and self.rake_variance == "r":
            return sum(self._rake_parts()[4])
        if self._is_cells():
            return int(self.groups[0].max()) + 1 if len(self.groups[0]) and self.groups[0].max() >= 0 else 1
        return self._linear_parts()[0].shape[1]

    def bind_domains(self, rows: np.ndarray | None, dom: np.ndarray, D: int):
        """A function ``x -> coefficients (n_factors, D)`` of the residual of the domain-sparse matrix
        whose column ``dom[i]`` holds ``x[i]`` on row ``rows[i]`` (all rows when ``rows`` is None) and 0
        elsewhere. Everything that does not depend on ``x`` is computed here, once per partition."""
        sel = slice(None) if rows is None else rows
        w = self.weights
        live = w != 0
        if self.kind == "rake" and self.rake_variance == "r":
            _, codes, _, invs, sizes, counts, _ = self._rake_parts()
            keys = [cm[sel] * D + dom for cm in codes]
            scales = [inv[sel] for inv in invs]  # 1/s_m, 0 on rows with a zero weight
            T = self._sweep_matrix()

            def rake_coefficients(x: np.ndarray) -> np.ndarray:
                starts = [
                    _safe_divide(np.bincount(key, weights=f * x, minlength=k * D).reshape(k, D), cnt)
                    for key, f, k, cnt in zip(keys, scales, sizes, counts, strict=True)
                ]
                return T @ np.vstack(starts)

            return rake_coefficients
        ratio = np.divide(self.input_weights, w, out=np.zeros_like(w), where=live)  # d / w on live rows
        if self._is_cells():
            codes = self.groups[0]
            k = self.n_factors
            inside = live & (codes >= 0)
            factor = np.where(inside, ratio, 0.0)[sel]
            key = np.where(inside, codes, 0)[sel] * D + dom
            denom = np.bincount(codes[inside], weights=self.input_weights[inside], minlength=k)

            def cell_coefficients(x: np.ndarray) -> np.ndarray:
                return _safe_divide(np.bincount(key, weights=factor * x, minlength=k * D).reshape(k, D), denom)

            return cell_coefficients
        X, _, A_inv = self._linear_parts()
        XD = X[sel] * ratio[sel][:, None]

        def linear_coefficients(x: np.ndarray) -> np.ndarray:
            return A_inv @ np.vstack([np.bincount(dom, weights=XD[:, j] * x, minlength=D) for j in range(XD.shape[1])])

        return linear_coefficients

    def factor_columns(self, lo: int, hi: int) -> np.ndarray:
        """Columns ``lo:hi`` of F as a dense ``(n, hi - lo)`` array (0 on rows with a zero weight)."""
        n = len(self.weights)
        live = self.weights != 0
        if self.kind == "rake" and self.rake_variance == "r":
            _, codes, safe, _, sizes, _, _ = self._rake_parts()
            pairs = [(cm, sm) for cm, sm in zip(codes, safe, strict=True)]
            offsets = np.cumsum([0, *sizes])
        elif self._is_cells():
            pairs = [(self.groups[0], self.weights)]
            offsets = np.array([0, self.n_factors])
        else:
            X = self._linear_parts()[0]
            return np.where(live[:, None], X[:, lo:hi] * self.weights[:, None], 0.0)
        out = np.zeros((n, hi - lo))
        for (cm, sm), start in zip(pairs, offsets[:-1], strict=True):
            col = cm + start - lo
            hit = live & (cm >= 0) & (col >= 0) & (col < hi - lo)
            out[np.flatnonzero(hit), col[hit]] = sm[hit]
        return out

    def factor_sums(self, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
        """Cluster totals of F, ``(n_clusters, n_factors)``, without forming F."""
        live = self.weights != 0
        if self.kind == "rake" and self.rake_variance == "r":
            _, codes, safe, _, sizes, _, _ = self._rake_parts()
            pairs = list(zip(codes, safe, sizes, strict=True))
        elif self._is_cells():
            pairs = [(self.groups[0], self.weights, self.n_factors)]
        else:
            X = self._linear_parts()[0]
            wl = np.where(live, self.weights, 0.0)
            return np.column_stack(
                [np.bincount(cluster, weights=X[:, j] * wl, minlength=n_clusters) for j in range(X.shape[1])]
            )
        blocks = []
        for cm, sm, k in pairs:
            hit = live & (cm >= 0)
            blocks.append(
                np.bincount(cluster[hit] * k + cm[hit], weights=sm[hit], minlength=n_clusters * k).reshape(
                    n_clusters, k
                )
            )
        return np.hstack(blocks)

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

    def domain_projector(self, clusters: Sequence[np.ndarray], n_clusters: Sequence[int]) -> DomainProjector:
        """Residuals of domain-sparse values from grouped sums (the estimation engine's fast route)."""
        return domain_projector(self, clusters, n_clusters)

    def residualize(self, u: np.ndarray) -> np.ndarray:
        """Replace linearised values ``u`` (rows x statistics) by their calibration residuals."""
        for step in self.steps:
            u = step.residuals(u)
        return u


@dataclass(frozen=True, eq=False)
class DomainProjector:
    """Calibration residuals of domain-sparse linearised values, for all domains at once.

    The residual of the steps applied in order is ``x - sum_j F_j' C_j(x)``, where ``C_j`` are step j's
    coefficients of the (sparse) input and ``F_j'`` its factors passed through the later steps. Only
    cluster totals of the residuals are needed, so ``sums[s]`` holds the cluster totals of
    ``[F_1', ..., F_J']`` for stage s, and a domain's residual totals are
    ``cluster totals of x - sums[s] @ coefficients(x)``.
    """

    steps: tuple[CalibrationStep, ...]
    sums: tuple[np.ndarray, ...]

    def bind(self, rows: np.ndarray | None, dom: np.ndarray, D: int):
        """``x -> stacked coefficients`` for one partition (see :meth:`CalibrationStep.bind_domains`)."""
        bound = [step.bind_domains(rows, dom, D) for step in self.steps]
        return lambda x: np.vstack([f(x) for f in bound])


#: at most this many float64 values per dense block of factor columns
_FACTOR_BLOCK = 1 << 23


def domain_projector(
    calibration: Calibration, clusters: Sequence[np.ndarray], n_clusters: Sequence[int]
) -> DomainProjector:
    """The :class:`DomainProjector` of ``calibration`` for the given cluster codes of each stage."""
    steps = calibration.steps
    per_stage: list[list[np.ndarray]] = [[] for _ in clusters]
    for j, step in enumerate(steps):
        later = steps[j + 1:]
        if not later:
            for s, (cl, nc) in enumerate(zip(clusters, n_clusters, strict=True)):
                per_stage[s].append(step.factor_sums(cl, nc))
            continue
        p = step.n_factors
        block = max(1, _FACTOR_BLOCK // max(len(step.weights), 1))
        parts: list[list[np.ndarray]] = [[] for _ in clusters]
        for lo in range(0, p, block):
            F = step.factor_columns(lo, min(p, lo + block))
            for nxt in later:
                F = nxt.residuals(F)
            for s, (cl, nc) in enumerate(zip(clusters, n_clusters, strict=True)):
                parts[s].append(np.column_stack(
                    [np.bincount(cl, weights=F[:, c], minlength=nc) for c in range(F.shape[1])]
                ))
        for s in range(len(clusters)):
            per_stage[s].append(np.hstack(parts[s]))
    return DomainProjector(steps, tuple(np.hstack(b) for b in per_stage))


def calibration_residuals(u: np.ndarray, calibration: Calibration | CalibrationStep | None) -> np.ndarray:
    """``u`` after the calibration's residual projection (``u`` itself when there is no calibration)."""
    if calibration is None:
        return np.asarray(u, dtype=float)
    if isinstance(calibration, CalibrationStep):
        return calibration.residuals(u)
    return calibration.residualize(u)
