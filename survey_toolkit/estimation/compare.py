"""Differences and ratios between estimates, with their covariance (statistics.md §9).

- :func:`compare`: two domains of one survey (location A vs B, women vs men, round 1 vs round 2 of a
  stacked file), or two variables on the same rows (paired change). The contrast is linearised
  (u_A - u_B, or (u_A - r u_B)/theta_B for a ratio r = theta_A/theta_B) and its variance computed over
  the full design, so the covariance through shared PSUs and strata is included.
- :func:`compare_independent`: two independently sampled surveys (rounds) estimated separately:
  SE = sqrt(se_A^2 + se_B^2), df by Satterthwaite (or the smaller df).

Degrees of freedom: for two different domains, the design df of the rows in A or B minus 1 (the
two-group regression df of R ``svyttest``: 13 for ``api00 ~ sch.wide`` on ``dclus1``, 393 for two
stacked ``apistrat`` rounds); for two variables on the same domain, that domain's df.

Example (R ``svycontrast(svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE), c(E=1, H=-1))``):
    >>> # compare(apiclus1, dclus1, "api00", by="stype", a="E", b="H")  -> estimate 30.2966, se 30.0276
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._compat import renamed_keywords
from ..design import Design, PreparedDesign
from ..errors import EstimationError, Location, Problem, did_you_mean
from . import _engine
from ._engine import Linear, Partition
from .distributions import norm_sf, t_sf
from .estimate import COLUMNS, prepare_design
from .intervals import t_quantile
from .variables import _check_columns, _numeric

__all__ = ["compare", "compare_independent", "KINDS"]

KINDS = ("difference", "ratio")


def _domain_mask(frame: pd.DataFrame, by: str | Sequence[str] | None, value: Any, side: str) -> np.ndarray:
    """Rows of one side: all rows (value None), or rows whose by column(s) equal ``value``."""
    if value is None:
        return np.ones(len(frame), dtype=bool)
    if by is None and not isinstance(value, Mapping):
        raise EstimationError(
            Problem(
                "missing-by",
                f"{side}={value!r} needs by=<column>",
                hint="compare(frame, design, 'y', by='round', a=1, b=2)",
            )
        )
    if isinstance(value, Mapping):
        pairs = dict(value)
    else:
        cols = [by] if isinstance(by, str) else list(by)
        vals = [value] if isinstance(by, str) else list(value)
        if len(cols) != len(vals):
            raise EstimationError(
                Problem(
                    "bad-domain",
                    f"{side}={value!r} does not give one value per by column",
                    expected=f"{len(cols)} values",
                    got=f"{len(vals)}",
                )
            )
        pairs = dict(zip(cols, vals, strict=False))
    _check_columns(frame, list(pairs))
    mask = np.ones(len(frame), dtype=bool)
    for col, val in pairs.items():
        s = frame[col]
        mask &= (
            s.isna() if (val is None or (isinstance(val, float) and np.isnan(val))) else (s == val)
        ).to_numpy(dtype=bool, na_value=False)
    return mask


def _side(frame, prep, variable, statistic, denominator, category, mask):
    """Estimate and per-row linearised values of one side."""
    w = prep.weights
    s = frame[variable]
    if statistic == "proportion" or not pd.api.types.is_numeric_dtype(s.dtype):
        if category is None:
            raise EstimationError(
                Problem(
                    "missing-category",
                    f"comparing proportions of '{variable}' needs category=",
                    Location(field=variable),
                    hint="compare(..., category='Yes')",
                )
            )
        y = (s == category).to_numpy(dtype=float, na_value=0.0)
        valid = s.notna().to_numpy()
        statistic = "mean"
    else:
        y, valid = _numeric(frame, variable)
    x = np.ones(len(frame))
    if statistic == "ratio":
        x, vx = _numeric(frame, denominator)
        valid = valid & vx
    wv = np.where(valid & mask, w, 0.0)
    active = valid & mask & (w > 0)
    if statistic == "total":
        return float(np.sum(wv * y)), wv * y, active, Linear(wv * y, None, np.ones(1), None)
    X = float(np.sum(wv * x))
    theta = float(np.sum(wv * y)) / X if X else np.nan
    u = wv * (y - theta * x) / X if X else np.zeros(len(frame))
    return theta, u, active, Linear(wv * y, wv * x, np.ones(1), np.ones(1))


def _replicate_variances(cache, lin_a: Linear, lin_b: Linear, kind: str) -> tuple[float, float, float]:
    """Replicate-design variances of the contrast and of each side: the contrast of the replicate
    estimates (R ``svycontrast`` on replicate designs), not of linearised values."""
    reps = cache.prep.replicates
    th_a, r_a = _engine.replicate_estimates(cache, lin_a)
    th_b, r_b = _engine.replicate_estimates(cache, lin_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        th, r = (th_a - th_b, r_a - r_b) if kind == "difference" else (th_a / th_b, r_a / r_b)
    return tuple(float(_engine.replicate_variance(reps, t, rr)[0]) for t, rr in ((th, r), (th_a, r_a), (th_b, r_b)))


def compare(
    frame: pd.DataFrame,
    design: Design | PreparedDesign,
    variable: str | tuple[str, str],
    statistic: str = "mean",
    *,
    by: str | Sequence[str] | None = None,
    a: Any = None,
    b: Any = None,
    denominator: str | None = None,
    category: Any = None,
    kind: str = "difference",
    level: float = 0.95,
    df: float | None = None,
) -> pd.DataFrame:
    """Difference (or ratio) of two estimates of one survey, with the covariance between them.

    Args:
        variable: a column (domains ``a`` vs ``b`` of ``by``), or a pair of columns compared on the
            same rows (paired change, e.g. ``("api00", "api99")``; ``a`` then restricts both to a domain).
        statistic: ``mean``, ``proportion`` (with ``category=``), ``total`` or ``ratio``.
        by, a, b: the domains: values of the ``by`` column(s) (a tuple for several columns) or dicts
            ``{column: value}``.
        kind: ``difference`` (A - B, tested against 0) or ``ratio`` (A / B, tested against 1).

    Returns:
        One row: ``estimate_a, estimate_b, estimate, se, ci_low, ci_high, df, t, p_value``, plus
        ``se_naive`` (sqrt(se_a^2 + se_b^2), which ignores the covariance) for reference.
    """
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not one of {KINDS}")
    if statistic not in ("mean", "proportion", "total", "ratio"):
        raise ValueError("compare() supports mean, proportion, total and ratio")
    paired = isinstance(variable, tuple)
    var_a, var_b = variable if paired else (variable, variable)
    _check_columns(frame, [var_a, var_b] + ([denominator] if denominator else []))
    prep = prepare_design(frame, design)
    mask_a = _domain_mask(frame, by, a, "a")
    mask_b = mask_a if paired and b is None else _domain_mask(frame, by, b, "b")
    th_a, u_a, act_a, lin_a = _side(frame, prep, var_a, statistic, denominator, category, mask_a)
    th_b, u_b, act_b, lin_b = _side(frame, prep, var_b, statistic, denominator, category, mask_b)
    if kind == "difference":
        est, u, null = th_a - th_b, u_a - u_b, 0.0
    else:
        est, u, null = th_a / th_b, (u_a - (th_a / th_b) * u_b) / th_b, 1.0
    part = Partition(np.zeros(len(frame), dtype=np.int64), 1)
    cache = _engine.make_cache(prep, part)
    active = act_a | act_b
    one = np.ones(1)
    if prep.replicates is not None:
        v, va, vb = _replicate_variances(cache, lin_a, lin_b, kind)
    else:
        v = _engine.linear_variance(cache, Linear(u, None, one, None), active)[0][0]
        va = _engine.linear_variance(cache, Linear(u_a, None, one, None), act_a)[0][0]
        vb = _engine.linear_variance(cache, Linear(u_b, None, one, None), act_b)[0][0]
    if df is None:
        ddf, _ = _engine.domain_df(cache, active)
        dfv = float(ddf[0]) - (0.0 if paired and np.array_equal(mask_a, mask_b) else 1.0)
    else:
        dfv = float(df)
    se = float(np.sqrt(max(v, 0.0)))
    tq = float(t_quantile(np.array([dfv]), level)[0])
    tstat = (est - null) / se if se > 0 else np.nan
    p = (
        2 * (t_sf(abs(tstat), dfv) if np.isfinite(dfv) else norm_sf(abs(tstat)))
        if dfv > 0
        else np.nan
    )
    return pd.DataFrame(
        [
            {
                "variable": var_a
                if not paired
                else f"{var_a}-{var_b}"
                if kind == "difference"
                else f"{var_a}/{var_b}",
                "statistic": statistic,
                "a": _label(a),
                "b": _label(b),
                "kind": kind,
                "estimate_a": th_a,
                "estimate_b": th_b,
                "se_a": float(np.sqrt(va)),
                "se_b": float(np.sqrt(vb)),
                "estimate": est,
                "se": se,
                "ci_low": est - tq * se,
                "ci_high": est + tq * se,
                "level": level,
                "df": dfv,
                "t": tstat,
                "p_value": p,
                "se_naive": float(np.sqrt(va + vb)) if kind == "difference" else np.nan,
            }
        ]
    )


def _label(v: Any) -> Any:
    return v if not isinstance(v, Mapping) else ", ".join(f"{k}={x}" for k, x in v.items())


@renamed_keywords(df_rule="df_method")
def compare_independent(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    on: Sequence[str] | None = None,
    kind: str = "difference",
    df_method: str = "satterthwaite",
    level: float = 0.95,
) -> pd.DataFrame:
    """Compare two tables from :func:`estimate` of independently sampled surveys, row by row.

    Rows are matched on ``on`` (default: ``variable``, ``category``, ``statistic`` and the by columns
    present in both). Difference: SE = sqrt(se_a^2 + se_b^2); ratio: delta method,
    SE = r sqrt((se_a/est_a)^2 + (se_b/est_b)^2). df: Satterthwaite (v_a + v_b)^2/(v_a^2/df_a + v_b^2/df_b)
    or ``df_method="min"``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not one of {KINDS}")
    if df_method not in ("satterthwaite", "min"):
        raise ValueError("df_method must be 'satterthwaite' or 'min'")
    identity = ["variable", "category", "statistic"]
    # the by columns are every column that is not an output column of estimate()
    default_on = identity + [c for c in a.columns if c in b.columns and c not in COLUMNS]
    keys = list(on) if on is not None else [c for c in default_on if c in a.columns and c in b.columns]
    missing = [k for k in keys if k not in a.columns or k not in b.columns]
    if missing:
        raise EstimationError(
            [
                Problem(
                    "unknown-column",
                    f"column '{k}' is not in both tables",
                    Location(field=k),
                    hint=did_you_mean(k, list(a.columns)),
                )
                for k in missing
            ]
        )
    keep = ["estimate", "se", "df"]
    m = a[keys + keep].merge(b[keys + keep], on=keys, how="inner", suffixes=("_a", "_b"))
    va, vb = m["se_a"] ** 2, m["se_b"] ** 2
    if kind == "difference":
        est = m["estimate_a"] - m["estimate_b"]
        se = np.sqrt(va + vb)
        null = 0.0
    else:
        est = m["estimate_a"] / m["estimate_b"]
        se = np.abs(est) * np.sqrt(va / m["estimate_a"] ** 2 + vb / m["estimate_b"] ** 2)
        null = 1.0
    if df_method == "min":
        dfv = np.minimum(m["df_a"], m["df_b"])
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            dfv = (va + vb) ** 2 / (va**2 / m["df_a"] + vb**2 / m["df_b"])
    dfv = np.asarray(dfv, dtype=float)
    tq = t_quantile(dfv, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        tstat = (est - null) / se
    p = 2 * t_sf(np.abs(tstat), dfv)
    out = m[keys].copy()
    out["kind"] = kind
    out["estimate_a"], out["estimate_b"] = m["estimate_a"], m["estimate_b"]
    out["estimate"], out["se"] = est, se
    out["ci_low"], out["ci_high"] = est - tq * se, est + tq * se
    out["level"], out["df"], out["t"], out["p_value"] = level, dfv, tstat, p
    return out
