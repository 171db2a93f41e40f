"""Weighting a replicate-weight design: every replicate is adjusted like the full sample.

R's ``postStratify``, ``rake`` and ``calibrate`` on a ``svyrep.design`` adjust each replicate's analysis
weights with the replicate's own estimated totals, so that the replicate variance carries the
weighting. The same here, for all replicates at once (the replicates are the columns of one
(rows x R) matrix; no loop over replicates):

- post-stratification: A*_kr = A_kr N_c / Σ_{j∈c} A_jr;
- raking: the same, margin after margin, on the (cells x R) table of the margins' cross-classification,
  until every replicate meets every margin (the full sample's tolerance, in weight units);
- linear calibration (GREG): A*_kr = A_kr (1 + x_k'λ_r), λ_r = (X'A_r X)⁻¹(T − X'A_r), batched;
- raking calibration (``calfun="raking"``): A*_kr = A_kr exp(x_k'λ_r), by Newton steps on all λ_r at
  once until every replicate meets every total (the full sample's ``epsilon``).

The result is a replicate design on the new columns ``<name>_rep1..R`` (replicate analysis weights),
with the input design's type, scale, rscales, rho, mse and df; it has no Taylor calibration term.
Other weighting steps on a replicate design (base weights, non-response, trimming, bounded or logit
calibration, raking with trimming) are refused.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import Location, Problem, WeightError

__all__ = ["replicate_analysis", "poststratify_replicates", "rake_replicates", "calibrate_replicates",
           "replicate_result", "refuse"]


def refuse(design, what: str, source: str | None = None) -> WeightError:
    """The error for a weighting step that cannot adjust the replicates."""
    return WeightError(
        Problem(
            "replicate-weighting",
            f"{what} on a replicate-weight design would leave its replicate weights unadjusted (R adjusts "
            "every replicate); it is not supported",
            Location(file=source),
            expected="post_stratify, rake (without trim) or calibrate (linear or raking, without bounds) "
            "on a replicate design; any step on a Taylor design",
            got=f"{len(design.replicates.columns)} replicate weight columns",
            hint="weight the Taylor design and then build replicates with as_replicates(), or use the "
            "calibrated full-sample and replicate weights as delivered (project file: 'method: none')",
        )
    )


def replicate_analysis(frame: pd.DataFrame, design, weights: np.ndarray) -> np.ndarray:
    """(rows x R) replicate analysis weights of ``design`` on ``frame`` (checked by ``prepare``)."""
    prep = design.prepare(frame)
    return prep.replicates.factors * np.asarray(weights, dtype=float)[:, None]


def _indicator(codes: np.ndarray, k: int) -> sparse.csr_matrix:
    rows = np.flatnonzero(codes >= 0)
    return sparse.csr_matrix((np.ones(rows.size), (codes[rows], rows)), shape=(k, codes.size))


def _scale(sums: np.ndarray, targets: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sums > 0, targets[:, None] / np.where(sums > 0, sums, 1.0), 0.0)


def poststratify_replicates(A: np.ndarray, codes: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Every replicate post-stratified to ``targets`` (rows with code -1 get 0, as the full sample)."""
    k = len(targets)
    factor = _scale(np.asarray(_indicator(codes, k) @ A), np.asarray(targets, float))  # (k, R)
    return np.where((codes >= 0)[:, None], A * factor[np.maximum(codes, 0)], 0.0)


def rake_replicates(
    A: np.ndarray, margins: Sequence[tuple[np.ndarray, np.ndarray]], eps_units: float, maxit: int
) -> np.ndarray:
    """Every replicate raked (iterative proportional fitting on the cells of the margins' cross-table)."""
    live = A.any(axis=1)
    key = np.zeros(A.shape[0], dtype=np.int64)
    for codes, targets in margins:
        key, _ = pd.factorize(key * (len(targets) + 1) + (codes + 1))
    cell = np.where(live, key, -1)
    n_cells = int(key.max()) + 1 if key.size else 0
    table = np.asarray(_indicator(cell, n_cells) @ A)  # (cells x R)
    cell_codes = []
    for codes, _ in margins:
        per = np.full(n_cells, -1, dtype=np.int64)
        per[cell[live]] = codes[live]
        cell_codes.append(per)
    g = np.ones_like(table)
    for _ in range(maxit):
        for per, (_, targets) in zip(cell_codes, margins, strict=True):
            sums = np.asarray(_indicator(per, len(targets)) @ (table * g))
            g = g * _scale(sums, np.asarray(targets, float))[np.maximum(per, 0)]
        gap = max(float(np.max(np.abs(np.asarray(_indicator(per, len(t)) @ (table * g)) - np.asarray(t)[:, None])))
                  for per, (_, t) in zip(cell_codes, margins, strict=True))
        if gap <= eps_units:
            return np.where(live[:, None], A * g[np.maximum(cell, 0)], 0.0)
    raise WeightError(
        Problem("raking-not-converged", f"raking the replicate weights did not meet the margins in {maxit} sweeps "
                f"(largest gap {gap:.3g})", hint="a replicate may have no respondent in a category: collapse "
                "sparse categories, or raise maxit")
    )


def calibrate_replicates(A: np.ndarray, X: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Every replicate calibrated linearly (GREG) to the totals ``T`` of the model columns ``X``."""
    p = X.shape[1]
    M = np.stack([(X * X[:, [j]]).T @ A for j in range(p)], axis=1)  # (p, p, R)
    rhs = (T[:, None] - X.T @ A).T[:, :, None]  # (R, p, 1)
    lam = np.linalg.solve(np.moveaxis(M, 2, 0), rhs)[:, :, 0].T  # (p, R)
    return A * (1.0 + X @ lam)


def _gram(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """(R, p, p) X' diag(W_r) X of every column r of W: one product per model column."""
    return np.moveaxis(np.stack([(X * X[:, [j]]).T @ W for j in range(X.shape[1])], axis=1), 2, 0)


def rake_calibrate_replicates(A: np.ndarray, X: np.ndarray, T: np.ndarray, epsilon: float, maxit: int) -> np.ndarray:
    """Every replicate calibrated with the raking distance (R ``calibrate(calfun="raking")`` per replicate)."""
    lam = np.zeros((X.shape[1], A.shape[1]))
    for _ in range(maxit):
        W = A * np.exp(X @ lam)
        gap = T[:, None] - X.T @ W
        if float(np.max(np.abs(gap) / (1.0 + np.abs(T))[:, None])) < epsilon:
            return W
        lam = lam + np.linalg.solve(_gram(X, W), gap.T[:, :, None])[:, :, 0].T
    raise WeightError(
        Problem("calibration-not-converged", f"calibrating the replicate weights did not meet the totals in {maxit} "
                "steps", hint="a replicate may have no respondent with some calibration variable: collapse "
                "sparse categories, or raise maxit")
    )


def replicate_result(frame: pd.DataFrame, design, name: str, analysis: np.ndarray):
    """The frame with the adjusted replicate columns ``<name>_rep1..R`` and the replicate design on them
    (the input's type, scale, rscales, rho, mse and df; combined weights)."""
    from ..design import Design, Replicates

    spec = design.replicates
    cols = [f"{name}_rep{r + 1}" for r in range(analysis.shape[1])]
    clash = [c for c in cols if c in frame.columns]
    if clash:
        raise WeightError(Problem("replicate-column-exists", f"columns {clash[:3]} already exist",
                                  Location(field=clash[0]), hint="choose another name= for the weight"))
    out = pd.concat([frame, pd.DataFrame(analysis, columns=cols, index=frame.index)], axis=1)
    reps = Replicates(tuple(cols), spec.type, scale=spec.scale, rscales=spec.rscales, rho=spec.rho, mse=spec.mse,
                      combined_weights=True, df=spec.df)
    new = Design(weights=name, record_id=design.record_id, population_scale=design.population_scale, replicates=reps)
    return out, new
