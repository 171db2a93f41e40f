"""Design-based tests of association for two-way tables (R ``svychisq``), by domain.

For a table of ``row`` by ``column`` (complete cases, within each domain), with cell proportions p̂
(rows varying fastest, as R) and the engine's covariance of the cell totals:

- ``F`` (second-order Rao-Scott, R's default): Pearson's X² of the weighted table scaled to the
  domain's row count (R's N: every row, those missing a value included; F does not depend on it),
  divided by tr(Δ), on F(d, d·ν) with d = tr(Δ)²/tr(Δ²); Δ = (C'D⁻¹C/n)⁻¹ (C'D⁻¹ V D⁻¹ C) with D =
  diag(p̂), V the covariance of p̂ and C the interaction columns of the saturated model made
  orthogonal to the main effects; ν the design df.
- ``Chisq`` (first-order Rao-Scott): reports X² and refers X²/mean(diag Δ) to χ² on (r-1)(c-1) df.
- ``Wald``: Y_ij = N̂_ij - N̂_i· N̂_·j / N̂ over the cells outside the first row and column;
  W = Y'V_Y⁻¹Y / ((r-1)(c-1)) on F((r-1)(c-1), ν).
- ``adjWald``: W · (ν - m + 1)/ν on F(m, ν - m + 1), m = (r-1)(c-1).

R's ``lincom`` and ``saddlepoint`` p-values are not offered. See ``docs/methodology.md``.

Example:
    >>> # crosstab_test(apiclus1, Design(weights="pw", psu="dnum", fpc="fpc"), "sch.wide", "stype")
    >>> # -> F 5.19336954147488 on (1.4946, 20.925) df, p 0.0217474623707969 (R svychisq)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..design import Design, PreparedDesign
from ..errors import EstimationError, Location, Problem, did_you_mean
from . import _engine
from ._vcov import total_covariance
from .domains import make_partition
from .estimate import prepare_design
from .variables import _check_columns, _factorize, _levels

__all__ = ["crosstab_test", "TEST_STATISTICS"]

TEST_STATISTICS = ("F", "Chisq", "Wald", "adjWald")

_METHODS = {
    "F": "Pearson X2: Rao-Scott second-order F",
    "Chisq": "Pearson X2: Rao-Scott first-order chi-squared",
    "Wald": "design-based Wald test of association",
    "adjWald": "design-based adjusted Wald test of association",
}


def _codes(s: pd.Series) -> tuple[np.ndarray, list]:
    """Codes into the sorted levels (R's ``factor``), -1 for missing."""
    levels = _levels(s, None)
    codes, uniq = _factorize(s)
    lookup = np.full(len(uniq) + 1, -1, dtype=np.int64)
    position = {v: i for i, v in enumerate(levels)}
    for j, v in enumerate(uniq):
        lookup[j] = position[v]
    return lookup[codes], levels


def crosstab_test(
    frame: pd.DataFrame,
    design: Design | PreparedDesign,
    row: str,
    column: str,
    statistic: str = "F",
    *,
    by: str | Sequence[str] | None = None,
    by_na: str = "group",
    complete: bool = True,
) -> pd.DataFrame:
    """Rao-Scott or Wald test that ``row`` and ``column`` are independent, in each domain of ``by``.

    Args:
        frame, design: the data and its design (a domain is estimated by zero weights, as everywhere).
        row, column: the two categorical variables; rows missing either are left out (complete cases).
        statistic: ``F`` (default), ``Chisq``, ``Wald`` or ``adjWald`` (R ``svychisq`` names).
        by, by_na, complete: domains, as in :func:`~survey_toolkit.estimate`.

    Returns:
        One row per domain: the by columns, ``statistic``, ``value`` (the test statistic as R prints
        it), ``ndf``, ``ddf`` (``ddf`` NaN for ``Chisq``), ``p_value``, ``pearson`` (X² of the table
        scaled to the domain's row count, as R), ``mean_deff`` (mean generalised design effect, tr(Δ)/m; NaN for the Wald tests),
        ``levels`` (rows x columns present), ``df`` (design df ν), ``n`` (complete rows), ``method``,
        ``flag``.
    """
    if statistic not in TEST_STATISTICS:
        raise EstimationError(
            Problem(
                "unknown-test-statistic",
                f"statistic '{statistic}' is not a test of association",
                expected=", ".join(TEST_STATISTICS),
                got=str(statistic),
                hint=did_you_mean(str(statistic), TEST_STATISTICS),
            )
        )
    _check_columns(frame, [row, column])
    if row == column:
        raise EstimationError(
            Problem("same-variable", "row and column are the same variable", Location(field=row),
                    hint="pass two different columns")
        )
    prep = prepare_design(frame, design)
    part, table = make_partition(frame, by, by_na=by_na, complete=complete)
    r_code, r_levels = _codes(frame[row])
    c_code, c_levels = _codes(frame[column])
    nr, nc = len(r_levels), len(c_levels)
    valid = (r_code >= 0) & (c_code >= 0)
    w = prep.weights
    active = valid & (w > 0) & part.inside
    cell = np.where(valid, r_code + nr * c_code, -1)
    K, D = nr * nc, part.n
    cache = _engine.make_cache(prep, part)

    def col(k: int) -> np.ndarray:
        return np.where(cell == k, w, 0.0)

    VT = total_covariance(cache, col, K, active) if K else np.zeros((D, 0, 0))
    key = np.where(active, part.dom * K + cell, D * K)
    T = np.bincount(key, weights=w, minlength=D * K + 1)[: D * K].reshape(D, K)
    VP = _replicate_proportions(cache, col, T, K) if prep.replicates is not None and K else None
    n = np.bincount(part.dom[active], minlength=D)
    n_rows = np.bincount(part.dom[part.inside], minlength=D)  # R's N: every row of the domain
    nu, _ = _engine.domain_df(cache, part.inside)
    # levels present in each domain (R: the values seen in the domain, whatever the other variable)
    seen_r = _presence(part, r_code, nr)
    seen_c = _presence(part, c_code, nc)
    rows = [_domain_test(T[d], VT[d], seen_r[d], seen_c[d], nr, int(n[d]), int(n_rows[d]), float(nu[d]), statistic,
                         None if VP is None else VP[d])
            for d in range(D)]  # small (cells x cells) algebra per domain; the data work is above
    out = pd.DataFrame(rows)
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    for i, c in enumerate(by_cols):
        out.insert(i, c, table[c].to_numpy())
    out.insert(len(by_cols), "row", row)
    out.insert(len(by_cols) + 1, "column", column)
    return out


def _presence(part, code: np.ndarray, size: int) -> np.ndarray:
    ok = part.inside & (code >= 0)
    hits = np.bincount(part.dom[ok] * size + code[ok], minlength=part.n * size)
    return hits.reshape(part.n, size) > 0


def _replicate_proportions(cache, col, T: np.ndarray, K: int) -> np.ndarray:
    """(D, K, K) replicate covariance of the cell proportions (R ``svychisq`` on a replicate design
    takes V from ``svymean`` of the cells: each replicate's own proportions), one product per cell."""
    F = cache.prep.replicates.factors
    T_r = np.stack([_engine._domain_sums(cache, col(k), F) for k in range(K)], axis=1)  # (D, K, R)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = T / T.sum(axis=1, keepdims=True)
        p_r = T_r / T_r.sum(axis=1, keepdims=True)
    return _engine.replicate_covariance(cache.prep.replicates, p, p_r)


def _domain_test(T, VT, seen_r, seen_c, nr, n, n_rows, nu, statistic, VP=None) -> dict:
    from scipy import stats  # imported here: scipy.stats takes half a second to import

    ri, ci = np.flatnonzero(seen_r), np.flatnonzero(seen_c)
    r, c = ri.size, ci.size
    m = (r - 1) * (c - 1)
    result = {"statistic": statistic, "value": np.nan, "ndf": np.nan, "ddf": np.nan, "p_value": np.nan,
              "pearson": np.nan, "mean_deff": np.nan, "levels": f"{r}x{c}", "df": nu, "n": n,
              "method": _METHODS[statistic], "flag": ""}
    if n == 0:
        result["flag"] = "empty_domain"
        return result
    if m < 1:
        result["flag"] = "single_level"
        return result
    idx = (ri[:, None] + nr * ci[None, :]).ravel(order="F")  # rows fastest
    t = T[idx]
    V = VT[np.ix_(idx, idx)]
    N = t.sum()
    tab = (t / N * n_rows).reshape(r, c, order="F")
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / n_rows
        pearson = float(np.sum((tab - expected) ** 2 / expected))
    result["pearson"] = pearson
    try:
        if statistic in ("Wald", "adjWald"):
            value, ndf, ddf = _wald(t, V, r, c, nu, statistic)
            p = stats.f.sf(value, ndf, ddf)
        else:
            delta = _delta(t, V, r, c, n_rows, None if VP is None else VP[np.ix_(idx, idx)])
            tr, tr2 = np.trace(delta), np.trace(delta @ delta)
            result["mean_deff"] = tr / m
            if statistic == "F":
                d0 = tr * tr / tr2
                value, ndf, ddf = pearson / tr, d0, d0 * nu
                p = stats.f.sf(value, ndf, ddf)
            else:
                value, ndf, ddf = pearson, float(m), np.nan
                p = stats.chi2.sf(pearson / (tr / m), m)
    except np.linalg.LinAlgError:
        result["flag"] = "singular_covariance"
        return result
    if not nu > 0 or (ddf == ddf and not ddf > 0):
        result["flag"] = "df_nonpositive"
        p = np.nan
    result.update(value=float(value), ndf=float(ndf), ddf=float(ddf), p_value=float(p))
    return result


def _delta(t, V, r, c, n, Vp=None) -> np.ndarray:
    """Rao-Scott's generalised design-effect matrix Δ (R ``svychisq``); ``Vp`` the covariance of the
    proportions when given (replicate designs), else the linearisation of ``V`` (of the totals)."""
    N = t.sum()
    p = t / N
    if Vp is None:
        J = (np.eye(t.size) - np.outer(p, np.ones(t.size))) / N
        Vp = J @ V @ J.T
    rows = np.tile(np.arange(r), c)
    cols = np.repeat(np.arange(c), r)
    X1 = np.column_stack([np.ones(t.size)] + [rows == i for i in range(1, r)] + [cols == j for j in range(1, c)])
    inter = np.column_stack([(rows == i) & (cols == j) for j in range(1, c) for i in range(1, r)]).astype(float)
    C = inter - X1 @ np.linalg.lstsq(X1.astype(float), inter, rcond=None)[0]
    iD = np.where(p == 0, 0.0, 1.0 / np.where(p == 0, 1.0, p))
    denom = C.T @ (iD[:, None] / n * C)
    numr = C.T @ (iD[:, None] * Vp * iD[None, :]) @ C
    return np.linalg.solve(denom, numr)


def _wald(t, V, r, c, nu, statistic) -> tuple[float, float, float]:
    """Wald statistic on Y_ij = N_ij - N_i. N_.j / N over the cells outside the first row and column."""
    tab = t.reshape(r, c, order="F")
    N = t.sum()
    R, Cc = tab.sum(axis=1), tab.sum(axis=0)
    rows = np.tile(np.arange(r), c)
    cols = np.repeat(np.arange(c), r)
    Y = t - R[rows] * Cc[cols] / N
    # dY_k/dt_l = [k = l] - [row_l = row_k] C_col_k/N - [col_l = col_k] R_row_k/N + R C/N^2
    J = (np.eye(t.size) - (rows[:, None] == rows[None, :]) * (Cc[cols] / N)[:, None]
         - (cols[:, None] == cols[None, :]) * (R[rows] / N)[:, None]
         + (R[rows] * Cc[cols] / N**2)[:, None])
    VY = J @ V @ J.T
    use = (rows > 0) & (cols > 0)
    W = float(Y[use] @ np.linalg.solve(VY[np.ix_(use, use)], Y[use]))
    m = (r - 1) * (c - 1)
    if statistic == "Wald":
        return W / m, float(m), nu
    ddf = nu - m + 1
    return W * ddf / (m * nu), float(m), ddf
