"""The Student t and Normal distribution functions of the run path, from :mod:`scipy.special`.

``scipy.stats`` takes about half a second to import; every survey-toolkit run needs only these few
functions, which ``scipy.stats`` itself computes with the same ``scipy.special`` calls
(``t.ppf`` is ``stdtrit``, ``t.sf`` is ``stdtr(df, -x)``, ``norm.ppf`` is ``ndtri``, ``logistic.cdf``
is ``expit``). Outside their domain (df <= 0, a probability outside [0, 1], NaN) they return NaN, as
``scipy.stats`` does. Functions used rarely (F, chi-squared, beta) import ``scipy.stats`` where they
are called.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def t_ppf(q, df):
    """Quantile ``q`` of Student's t with ``df`` degrees of freedom (Normal when df is infinite)."""
    q, df = np.asarray(q, dtype=float), np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        ok = (df > 0) & (q >= 0) & (q <= 1)
        out = np.where(ok, special.stdtrit(np.where(ok, df, 1.0), np.where(ok, q, 0.5)), np.nan)
        out = np.where(ok & (q == 0), -np.inf, np.where(ok & (q == 1), np.inf, out))  # stdtrit(inf, 0) is +inf
        return _scalar(out)


def t_sf(x, df):
    """P(T > x) for Student's t with ``df`` degrees of freedom (Normal when df is infinite)."""
    x, df = np.asarray(x, dtype=float), np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        ok = df > 0
        return _scalar(np.where(ok, special.stdtr(np.where(ok, df, 1.0), -x), np.nan))


def norm_ppf(q):
    """Quantile ``q`` of the standard Normal."""
    return _scalar(special.ndtri(np.asarray(q, dtype=float)))


def norm_sf(x):
    """P(Z > x) for the standard Normal."""
    return _scalar(special.ndtr(-np.asarray(x, dtype=float)))


def norm_cdf(x):
    """P(Z <= x) for the standard Normal."""
    return _scalar(special.ndtr(np.asarray(x, dtype=float)))


def logistic_cdf(x):
    """1 / (1 + exp(-x))."""
    return _scalar(special.expit(np.asarray(x, dtype=float)))


def _scalar(values: np.ndarray):
    """A 0-d result as a float (as ``scipy.stats`` returns for scalar arguments)."""
    return float(values) if values.ndim == 0 else values
