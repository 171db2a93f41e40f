"""Small-area estimation: the area-level Fay-Herriot model, fitted by REML, with EBLUP and MSE.

For ``m`` areas with direct estimates ``y_i`` (the survey's own estimates, e.g. a district's
percentage), their sampling variances ``D_i`` (the squared design-based standard errors, taken as
known) and area covariates ``x_i`` (census or administrative data), the model is

    y_i = x_i' beta + u_i + e_i,   u_i ~ N(0, A),   e_i ~ N(0, D_i).

``A`` (the variance of the area effects) is estimated by restricted maximum likelihood with Fisher
scoring (as R ``sae::eblupFH(method = "REML")``, started at the median of ``D``, truncated at 0); then
``beta`` by generalised least squares and, per area,

- EBLUP: ``theta_i = gamma_i * y_i + (1 - gamma_i) * x_i' beta`` with the shrinkage ``gamma_i = A / (A + D_i)``;
- MSE (Prasad-Rao, with the REML correction of Datta and Lahiri 2000, as ``sae::mseFH``):
  ``g1 + g2 + 2 g3`` with ``g1 = gamma_i D_i``, ``g2 = (1 - gamma_i)^2 x_i' (X' V^-1 X)^-1 x_i`` and
  ``g3 = D_i^2 / (A + D_i)^3 * 2 / sum_j (A + D_j)^-2``.

Areas without a direct estimate (no respondents), or whose direct estimate has a standard error of 0
(0 % or 100 % in a small location), get the synthetic ``x_i' beta`` with MSE
``A + x_i' (X' V^-1 X)^-1 x_i``. Every output says the figure is model-based. The formulas are in
``docs/methodology.md`` ("Small-area estimates").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import EstimationError, Location, Problem

__all__ = ["FayHerriot", "fay_herriot", "SAE_COLUMNS"]

SAE_COLUMNS = (
    "area",
    "direct",
    "direct_se",
    "eblup",
    "mse",
    "rmse",
    "gamma",
    "synthetic",
    "in_sample",
    "method",
)


@dataclass(frozen=True)
class FayHerriot:
    """A fitted Fay-Herriot model: the area table and the model's parameters."""

    areas: pd.DataFrame
    """One row per area: :data:`SAE_COLUMNS`."""
    beta: pd.Series
    beta_se: pd.Series
    variance: float
    """``A``, the REML estimate of the variance of the area effects."""
    iterations: int
    converged: bool

    def shrinkage(self) -> pd.DataFrame:
        """Diagnostic: per area, the weight of the direct estimate (``gamma``) and the gain in precision
        (``rmse / direct_se``: below 1 when the model helps)."""
        out = self.areas[["area", "direct_se", "rmse", "gamma"]].copy()
        out["precision_ratio"] = out["rmse"] / out["direct_se"]
        return out


def _fail(message: str, hint: str, **kw) -> EstimationError:
    return EstimationError(Problem("small-area-model", message, Location(), hint=hint, **kw))


def _reml(y: np.ndarray, D: np.ndarray, X: np.ndarray, *, tol: float, max_iter: int) -> tuple[float, int, bool]:
    """REML estimate of A by Fisher scoring on the restricted likelihood (``sae::eblupFH``'s iteration:
    start at the median of ``D``, step ``score / information``, truncate at 0 at the end)."""
    A = float(np.median(D))
    floor = -float(np.min(D)) * (1 - 1e-9)  # keeps V positive definite while iterating
    for k in range(1, max_iter + 1):
        vinv = 1.0 / (A + D)
        XtVinv = X.T * vinv
        Q = np.linalg.inv(XtVinv @ X)
        P = np.diag(vinv) - XtVinv.T @ Q @ XtVinv  # m x m, m = number of areas (small)
        Py = P @ y
        score = -0.5 * np.trace(P) + 0.5 * float(Py @ Py)
        info = 0.5 * float(np.sum(P * P.T))
        A_new = max(A + score / info, floor)
        if not np.isfinite(A_new):
            return max(A, 0.0), k, False
        if abs(A_new - A) <= tol * max(1.0, abs(A)):
            return max(A_new, 0.0), k, True
        A = A_new
    return max(A, 0.0), max_iter, False


def _restricted_loglik(A: float, y: np.ndarray, D: np.ndarray, X: np.ndarray) -> float:
    v = A + D
    XtVinv = X.T / v
    XVX = XtVinv @ X
    P_y = y / v - XtVinv.T @ np.linalg.solve(XVX, XtVinv @ y)
    return -0.5 * (np.sum(np.log(v)) + np.linalg.slogdet(XVX)[1] + float(y @ P_y))


def _reml_bounded(y: np.ndarray, D: np.ndarray, X: np.ndarray) -> tuple[float, bool]:
    from scipy.optimize import minimize_scalar

    upper = 100.0 * max(float(np.var(y)), float(np.max(D)), 1e-12)
    res = minimize_scalar(lambda a: -_restricted_loglik(a, y, D, X), bounds=(0.0, upper), method="bounded",
                          options={"xatol": 1e-10 * upper})  # fmt: skip
    return float(res.x), bool(res.success)


def fay_herriot(
    direct: Sequence[float],
    direct_se: Sequence[float],
    covariates: pd.DataFrame | np.ndarray,
    *,
    areas: Sequence[str] | None = None,
    intercept: bool = True,
    tol: float = 1e-12,
    max_iter: int = 200,
) -> FayHerriot:
    """Fit the Fay-Herriot model by REML and return EBLUPs and MSEs per area.

    ``direct`` and ``direct_se`` are the direct estimates and their design-based standard errors (NaN
    for an area without respondents: it gets the synthetic estimate); ``covariates`` one row per area
    (a DataFrame's column names name the coefficients); ``intercept`` adds a constant.

    Raises:
        EstimationError: fewer areas with a direct estimate than coefficients + 1, a covariate that is
            missing or constant, or zero/negative sampling variances.
    """
    y_all = np.asarray(direct, dtype=float)
    se_all = np.asarray(direct_se, dtype=float)
    names = list(covariates.columns) if isinstance(covariates, pd.DataFrame) else [f"x{j + 1}" for j in range(np.asarray(covariates).shape[1])]
    X_all = np.asarray(covariates, dtype=float).reshape(len(y_all), -1)
    if intercept:
        X_all = np.column_stack([np.ones(len(y_all)), X_all])
        names = ["(intercept)", *names]
    labels = [str(a) for a in (areas if areas is not None else range(1, len(y_all) + 1))]
    if not np.isfinite(X_all).all():
        bad = [labels[i] for i in np.flatnonzero(~np.isfinite(X_all).all(axis=1))]
        raise _fail(f"covariates are missing for {len(bad)} area(s)", "give every covariate for every area in the covariates file",
                    got=", ".join(bad[:5]))  # fmt: skip
    # a direct estimate with no variance (0 % or 100 % in a small location) carries no usable precision:
    # the area is predicted like one without respondents (synthetic) and says so
    zero_se = np.isfinite(y_all) & np.isfinite(se_all) & (se_all <= 0)
    sample = np.isfinite(y_all) & np.isfinite(se_all) & ~zero_se
    y, D, X = y_all[sample], se_all[sample] ** 2, X_all[sample]
    p = X.shape[1]
    if sample.sum() < p + 2:
        raise _fail(f"{int(sample.sum())} areas with a direct estimate cannot fit {p} coefficients and a variance",
                    "use fewer covariates or more areas", expected=f"at least {p + 2} areas")  # fmt: skip
    if np.linalg.matrix_rank(X) < p:
        raise _fail("the covariates are collinear (or one is constant across the areas)",
                    "drop the covariate that repeats another one")  # fmt: skip
    A, iterations, converged = _reml(y, D, X, tol=tol, max_iter=max_iter)
    if not converged:  # Fisher scoring oscillated: maximise the restricted likelihood directly
        A, converged = _reml_bounded(y, D, X)
    vinv = 1.0 / (A + D)
    Q = np.linalg.inv((X.T * vinv) @ X)
    beta = Q @ (X.T * vinv) @ y
    synthetic_all = X_all @ beta
    lever_all = np.einsum("ij,jk,ik->i", X_all, Q, X_all)
    D_all = np.where(sample, se_all**2, np.nan)
    gamma = np.where(sample, A / (A + D_all), 0.0)
    eblup = np.where(sample, gamma * y_all + (1 - gamma) * synthetic_all, synthetic_all)
    var_A = 2.0 / np.sum(vinv**2)
    g1 = gamma * D_all
    g2 = (1 - gamma) ** 2 * lever_all
    g3 = D_all**2 / (A + D_all) ** 3 * var_A
    mse = np.where(sample, g1 + g2 + 2 * g3, A + lever_all)
    table = pd.DataFrame(
        {
            "area": labels,
            "direct": np.where(sample, y_all, np.nan),
            "direct_se": np.where(sample, se_all, np.nan),
            "eblup": eblup,
            "mse": mse,
            "rmse": np.sqrt(mse),
            "gamma": gamma,
            "synthetic": synthetic_all,
            "in_sample": sample,
            "method": np.where(sample, "model-based: Fay-Herriot EBLUP",
                               np.where(zero_se, "model-based: synthetic (direct standard error is 0)",
                                        "model-based: synthetic (no direct estimate)")),
        }
    )
    return FayHerriot(
        areas=table,
        beta=pd.Series(beta, index=names, name="beta"),
        beta_se=pd.Series(np.sqrt(np.diag(Q)), index=names, name="se"),
        variance=float(A),
        iterations=iterations,
        converged=converged,
    )
