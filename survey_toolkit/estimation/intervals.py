"""Confidence intervals: Wald with t on the design df, and the proportion intervals of statistics.md §6.

All functions are vectorised over numpy arrays and pure. ``df`` may be ``inf`` (Normal) and is NaN or
<= 0 when no interval exists (the CI is then NaN).

Example (R ``svyciprop(~I(ell==0), dclus1, method="xlogit")``, survey 4.1-1):
    >>> lo, hi = proportion_ci(np.array([0.021857923497]), np.array([0.022622450861]),
    ...                        np.array([14.0]), np.array([183.0]), "xlogit")
    >>> round(float(lo[0]), 9), round(float(hi[0]), 9)
    (0.002304691, 0.177747767)
"""

from __future__ import annotations

import numpy as np

from .distributions import logistic_cdf, norm_ppf, t_ppf

__all__ = [
    "PROPORTION_METHODS",
    "t_quantile",
    "wald_ci",
    "proportion_ci",
    "p01_interval",
    "canonical_method",
]

#: accepted names -> canonical method name
PROPORTION_METHODS = {
    "xlogit": "xlogit",
    "logit": "logit",
    "korn-graubard": "korn-graubard",
    "beta": "korn-graubard",
    "kg": "korn-graubard",
    "wilson": "wilson",
    "wald": "wald",
    "mean": "wald",
    "asin": "asin",
}


def canonical_method(name: str) -> str:
    """The canonical name of a proportion CI method; ValueError for an unknown one."""
    if name.lower() == "likelihood":
        raise ValueError(
            "ci_method 'likelihood' profiles the fit on the data: use estimate(..., ci_method='likelihood')"
        )
    try:
        return PROPORTION_METHODS[name.lower()]
    except KeyError:
        raise ValueError(
            f"unknown ci_method {name!r}; use one of {', '.join(sorted(set(PROPORTION_METHODS.values())))}"
        ) from None


def t_quantile(df: np.ndarray, level: float) -> np.ndarray:
    """Two-sided t quantile for ``level``; Normal when df is inf; NaN when df <= 0 or NaN."""
    df = np.asarray(df, dtype=float)
    q = 1.0 - (1.0 - level) / 2.0
    out = np.full(df.shape, np.nan)
    inf = np.isinf(df) & (df > 0)
    fin = np.isfinite(df) & (df > 0)
    out[inf] = norm_ppf(q)
    out[fin] = t_ppf(q, df[fin])
    return out


def wald_ci(est: np.ndarray, se: np.ndarray, df: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """est -/+ t_df * se."""
    t = t_quantile(df, level)
    return est - t * se, est + t * se


def proportion_ci(
    p: np.ndarray,
    se: np.ndarray,
    df: np.ndarray,
    n: np.ndarray,
    method: str = "xlogit",
    level: float = 0.95,
    nchs_truncation: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for a proportion with design-based SE (statistics.md §6.2).

    ``n`` (rows in the domain with non-zero weight and a value) is used by Korn-Graubard only. For
    0 < p < 1 with se > 0; other cells give NaN (see :func:`p01_interval`).
    """
    method = canonical_method(method)
    p, se, df, n = (np.asarray(v, dtype=float) for v in (p, se, df, n))
    t = t_quantile(df, level)
    alpha = 1.0 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "wald":
            return p - t * se, p + t * se
        if method in ("xlogit", "logit"):
            eta = np.log(p / (1 - p))
            se_eta = se / (p * (1 - p))
            return logistic_cdf(eta - t * se_eta), logistic_cdf(eta + t * se_eta)
        if method == "asin":
            centre = np.arcsin(np.sqrt(p))
            half = t * se / (2 * np.sqrt(p * (1 - p)))
            return np.sin(centre - half) ** 2, np.sin(centre + half) ** 2
        n_eff = p * (1 - p) / se**2
        if method == "wilson":
            den = 1 + t**2 / n_eff
            centre = (p + t**2 / (2 * n_eff)) / den
            half = (t / (2 * n_eff)) * np.sqrt(4 * n_eff * p * (1 - p) + t**2) / den
            return centre - half, centre + half
        # Korn-Graubard
        from scipy import stats  # the beta quantile: Korn-Graubard only (scipy.stats is slow to import)

        ratio = np.where(n > 1, t_ppf(alpha / 2, np.maximum(n - 1, 1)), np.nan) / t_ppf(alpha / 2, df)
        ratio = np.where(
            np.isinf(df),
            np.where(n > 1, t_ppf(alpha / 2, np.maximum(n - 1, 1)), np.nan) / norm_ppf(alpha / 2),
            ratio,
        )
        n_star = n_eff * ratio**2
        if nchs_truncation:
            n_star = np.minimum(n_star, n)
        lo = stats.beta.ppf(alpha / 2, n_star * p, n_star * (1 - p) + 1)
        hi = stats.beta.ppf(1 - alpha / 2, n_star * p + 1, n_star * (1 - p))
        return lo, hi


def p01_interval(p: np.ndarray, df: np.ndarray, n: np.ndarray, level: float = 0.95):
    """NCHS Korn-Graubard interval for p = 0 or 1 (statistics.md §6.3).

    n* = min(n, n (t_{n-1} / t_df)^2); p = 0: [0, 1 - (alpha/2)^(1/n*)]; p = 1: [(alpha/2)^(1/n*), 1].

    >>> lo, hi = p01_interval(np.array([0.0]), np.array([49.0]), np.array([50.0]))
    >>> round(float(hi[0]), 11)
    0.07112173646
    """
    p, df, n = (np.asarray(v, dtype=float) for v in (p, df, n))
    alpha = 1.0 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        tn = np.where(n > 1, t_ppf(1 - alpha / 2, np.maximum(n - 1, 1)), np.nan)
        tdf = t_quantile(df, level)
        n_star = np.minimum(n, n * (tn / tdf) ** 2)
        bound = (alpha / 2) ** (1.0 / n_star)
    lo = np.where(p >= 1, bound, 0.0)
    hi = np.where(p >= 1, 1.0, 1.0 - bound)
    bad = ~np.isfinite(n_star) | (n_star <= 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)
