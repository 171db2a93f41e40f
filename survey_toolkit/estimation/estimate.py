"""``estimate()``: design-based means, proportions, totals, ratios and quantiles by domain.

One call computes every variable x category x domain from a few grouped sums (see ``_engine``).
Returns a tidy DataFrame; the columns are documented in :data:`COLUMNS` and ``docs/methodology.md``.

Example:
    >>> import pandas as pd
    >>> f = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 1.0, 2.0, 2.0],
    ...                   "st": ["a", "a", "b", "b"], "g": ["x", "y", "x", "y"]})
    >>> from survey_toolkit.design import Design
    >>> out = estimate(f, Design(weights="w", strata="st"), "y", by="g")
    >>> out[["g", "estimate", "n"]].to_dict("list")
    {'g': ['x', 'y'], 'estimate': [2.3333333333333335, 3.3333333333333335], 'n': [2, 2]}
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from ..design import Design, PreparedDesign
from ..errors import EstimationError, Location, Problem, did_you_mean
from . import _engine
from ._engine import Linear, Partition
from .domains import make_partition
from .intervals import canonical_method, p01_interval, proportion_ci, t_quantile, wald_ci
from .likelihood_ci import intercept_fits, likelihood_limits
from .quantile_ci import canonical_interval, replicate_quantiles, score_roots, woodruff_probabilities
from .quantiles import QUANTILE_RULES, quantile_points
from .variables import (
    _category_indicators,
    _check_columns,
    _is_categorical,
    _levels,
    _numeric,
    _require_numeric,
)
from .variance_est import variance_result

__all__ = ["estimate", "STATISTICS", "COLUMNS", "prepare_design", "Result"]

STATISTICS = ("mean", "proportion", "total", "ratio", "quantile", "variance")

#: output columns (the by columns come after ``category``)
COLUMNS = {
    "variable": "analysis variable (for ratios 'numerator/denominator')",
    "category": "category of a categorical variable (proportions, counts), the quantile probability, or NA",
    "statistic": "mean, proportion, total, ratio, quantile or variance",
    "estimate": "point estimate (NaN for an empty domain)",
    "se": "Taylor-linearised standard error (quantiles: Woodruff half-width / t)",
    "ci_low": "lower confidence limit",
    "ci_high": "upper confidence limit",
    "level": "confidence level",
    "ci_method": "how the interval was made (wald-t, wald-normal, xlogit, korn-graubard, wilson, asin, ...)",
    "df": "degrees of freedom of the interval: PSUs minus strata with domain members, or the df given",
    "deff_wor": "design effect against SRS without replacement; only with population-scale weights",
    "deff_wr": "design effect against SRS with replacement",
    "cv": "coefficient of variation se/|estimate|",
    "n": "rows used: in the domain, non-zero weight, non-missing value",
    "n_weighted": "sum of weights of those rows (estimated domain size when weights are population-scale)",
    "n_missing": "rows in the domain with non-zero weight and a missing value",
    "n_eff": "effective sample size p(1-p)/var (proportions)",
    "domain_lonely_strata": "strata with 2+ PSUs in the design but only one with domain members",
    "flag": "';'-separated notes: empty_domain, p01_fallback, df_nonpositive, missing_values, "
    "se_undefined (e.g. lonely_psu='average' with only lonely strata in a domain), ...",
}


@dataclass(frozen=True)
class Result:
    """Per-domain arrays of one variable x category (internal, before the DataFrame)."""

    estimate: np.ndarray
    var: np.ndarray
    df: np.ndarray
    n: np.ndarray
    n_weighted: np.ndarray
    n_missing: np.ndarray
    vsrs: np.ndarray
    dom_lonely: np.ndarray


def prepare_design(frame: pd.DataFrame, design: Design | PreparedDesign) -> PreparedDesign:
    """A prepared design for ``frame`` (prepares a :class:`Design`, checks a prepared one)."""
    if isinstance(design, PreparedDesign):
        if design.n_rows != len(frame):
            raise EstimationError(
                Problem(
                    "design-frame-mismatch",
                    f"the prepared design has {design.n_rows} rows but the frame has {len(frame)}",
                    expected=f"{design.n_rows} rows",
                    got=f"{len(frame)} rows",
                    hint="prepare the design on this frame: design.prepare(frame)",
                )
            )
        return design
    if isinstance(design, Design):
        return design.prepare(frame)
    raise TypeError("design must be a survey_toolkit.Design or a PreparedDesign")


class _Ctx:
    """What every variable of one call shares: the design, the partition and cached cells."""

    def __init__(self, prep: PreparedDesign, part: Partition) -> None:
        self.prep = prep
        self.part = part
        self.cache = _engine.make_cache(prep, part)
        self.w = prep.weights
        self.cells0 = self.cache.cells(0)
        self.D = part.n
        self.eligible = (self.w > 0) & part.inside
        self.n_all = np.bincount(part.dom[self.eligible], minlength=self.D)

    def dom_sum(self, cell_values: np.ndarray) -> np.ndarray:
        """Per-domain sums from stage-1 cell sums."""
        return np.bincount(self.cells0.cell_dom, weights=cell_values, minlength=self.D)


@dataclass
class _Base:
    """Per validity pattern: weights of valid rows and the domain counts."""

    wv: np.ndarray
    active: np.ndarray
    members0: np.ndarray
    n: np.ndarray
    nw: np.ndarray
    df: np.ndarray
    wv_cells: np.ndarray


def _base(ctx: _Ctx, valid: np.ndarray) -> _Base:
    wv = np.where(valid, ctx.w, 0.0)
    active = valid & ctx.eligible
    members0 = ctx.cells0.sum(active)
    wv_cells = ctx.cells0.sum(wv)
    n = ctx.dom_sum(members0)
    nw = ctx.dom_sum(wv_cells)
    df, _ = _engine.domain_df(ctx.cache, active, members0)
    return _Base(wv, active, members0, np.rint(n).astype(np.int64), nw, df, wv_cells)


def _ratio_result(
    ctx: _Ctx, base: _Base, y: np.ndarray, x: np.ndarray | None, total: bool, binary: bool = False
) -> Result:
    """Mean (x None), ratio (x given) or total (total=True) of y over each domain.

    ``binary``: y is 0/1, so sum w y^2 = sum w y and no extra pass is needed for the design effect.
    """
    a = base.wv * y
    a_cells = ctx.cells0.sum(a)
    Y = ctx.dom_sum(a_cells)
    if x is None:
        b, b_cells, X = None, base.wv_cells, base.nw
    else:
        b = base.wv * x
        b_cells = ctx.cells0.sum(b)
        X = ctx.dom_sum(b_cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        if total:
            est = Y
            lin = Linear(a, None, np.ones(ctx.D), None)
        else:
            est = Y / X
            c1 = np.where(X != 0, 1.0 / X, 0.0)
            lin = Linear(a, base.wv if b is None else b, c1, np.where(X != 0, -est / X, 0.0))
    var, dl = _engine.linear_variance(ctx.cache, lin, base.active, (a_cells, b_cells, base.members0))
    n, nw = base.n.astype(float), base.nw
    with np.errstate(divide="ignore", invalid="ignore"):
        if x is None:
            mean = Y / nw
            if binary:
                s2 = mean * (1 - mean)
            else:  # centred at each domain's own mean (two-pass, no cancellation)
                centre = np.where(np.isfinite(mean), mean, 0.0)[np.maximum(ctx.part.dom, 0)]
                dev = np.where(base.wv > 0, y - centre, 0.0)
                s2 = ctx.dom_sum(ctx.cells0.sum(base.wv * dev * dev)) / nw
                s2 = np.where(s2 <= (1e-12 * np.abs(mean)) ** 2, 0.0, s2)  # constant y: rounding noise only
            s2w = n / (n - 1) * np.maximum(s2, 0.0)
            vsrs = s2w / n * (nw * nw if total else 1.0)
        else:
            r = np.where(np.isfinite(est), est, 0.0)[np.maximum(ctx.part.dom, 0)]
            e = np.where(base.wv > 0, y - r * x, 0.0)
            s2 = ctx.dom_sum(ctx.cells0.sum(base.wv * e * e)) / nw
            xbar = X / nw
            vsrs = n / (n - 1) * s2 / n / (xbar * xbar)
    vsrs = np.where((n >= 2) & (vsrs > 0), vsrs, np.nan)  # no SRS variance from < 2 rows or constant y
    return Result(est, var, base.df, base.n, nw, ctx.n_all - base.n, vsrs, dl)


def estimate(
    frame: pd.DataFrame,
    design: Design | PreparedDesign,
    variables: str | Sequence[str],
    statistic: str = "mean",
    *,
    by: str | Sequence[str] | None = None,
    denominator: str | None = None,
    ci_method: str | None = None,
    level: float = 0.95,
    df: float | None = None,
    na_rm: bool = True,
    by_na: str = "group",
    complete: bool = True,
    categories: Sequence | Mapping[str, Sequence] | None = None,
    category: Any = None,
    quantiles: float | Sequence[float] = 0.5,
    quantile_rule: str = "school",
    p01: str = "fallback",
    nchs_truncation: bool = False,
) -> pd.DataFrame:
    """Design-based estimates with SE, CI, df, design effects and counts, by domain.

    Args:
        frame: one row per respondent (rows are never dropped: domains are zero-weighted).
        design: a :class:`~survey_toolkit.Design` or a prepared design for this frame.
        variables: column name(s). Non-numeric columns give one row per category.
        statistic: ``mean``, ``proportion`` (every category, or ``category=``), ``total``, ``ratio``
            (``variables`` over ``denominator``), ``quantile`` (``quantiles=``, ``quantile_rule=``) or
            ``variance`` (the population variance, R ``svyvar``; see :mod:`.variance_est`).
        by: domain column(s); every combination is a domain (see ``complete`` and ``by_na``).
        ci_method: proportions: ``xlogit`` (default), ``logit``, ``korn-graubard`` (``beta``),
            ``wilson``, ``wald``, ``asin``, ``likelihood`` (R ``svyciprop(method="likelihood")``,
            see :mod:`.likelihood_ci`). Quantiles (R ``interval.type``): ``mean`` (default, alias
            ``wald``: Woodruff), ``xlogit``, ``asin``, ``beta``, ``score``, and on replicate designs
            ``quantile`` (the replicates' quantiles; see :mod:`.quantile_ci`).
            Other statistics: Wald with t (``wald``).
        level: confidence level.
        df: override the per-domain design df (e.g. ``float('inf')`` for R ``confint`` parity).
        na_rm: item missingness as a domain (rows with a missing value are out of the domain); with
            ``False`` a domain with missing values gets NaN and the flag ``missing_values``.
        by_na: ``"group"`` (missing by-values form their own NaN group) or ``"drop"``.
        complete: keep every combination of by levels, with zero rows for empty ones.
        categories: the levels of categorical variables (a list, or a dict per variable); default
            the categorical dtype's categories or the sorted observed values.
        category: report only this category (or list of categories) of a proportion.
        quantiles, quantile_rule: probabilities and rule (``school`` default, ``math``, ``shahvaish``,
            ``hf1`` .. ``hf9``: R ``qrule``; see :mod:`.quantiles`).
        p01: ``"fallback"``: p = 0 or 1 gets the NCHS Korn-Graubard interval and a flag;
            ``"nan"``: NaN limits like R.
        nchs_truncation: cap Korn-Graubard's effective n at n (NCHS rule).

    Returns:
        A DataFrame with one row per variable x category x domain and the columns of
        :data:`COLUMNS` (by columns after ``category``).
    """
    if statistic not in STATISTICS:
        raise EstimationError(
            Problem(
                "unknown-statistic",
                f"statistic '{statistic}' is not known",
                expected=", ".join(STATISTICS),
                got=str(statistic),
                hint=did_you_mean(str(statistic), STATISTICS),
            )
        )
    if p01 not in ("fallback", "nan"):
        raise ValueError("p01 must be 'fallback' or 'nan'")
    variables = [variables] if isinstance(variables, str) else list(variables)
    _check_columns(frame, variables + ([denominator] if denominator else []))
    if statistic == "ratio" and denominator is None:
        raise EstimationError(
            Problem(
                "missing-denominator",
                "statistic 'ratio' needs denominator=<column>",
                hint="estimate(frame, design, 'api.stu', 'ratio', denominator='enroll')",
            )
        )
    prep = prepare_design(frame, design)
    part, table = make_partition(frame, by, by_na=by_na, complete=complete)
    ctx = _Ctx(prep, part)
    if prep.replicates is not None and ci_method is not None and ci_method.lower() == "likelihood":
        raise EstimationError(
            Problem("not-on-replicates", "the likelihood interval is not offered on replicate-weight designs "
                    "(R survey 4.1-1 gives NA limits there)", Location(field=", ".join(variables)),
                    expected="a Taylor design, or another ci_method", got="ci_method 'likelihood'",
                    hint="use ci_method 'xlogit' (default), 'logit', 'korn-graubard' or 'wilson'")
        )
    chunks: list[pd.DataFrame] = []
    pending: list[tuple[str, Any, Result]] = []  # consecutive results of one kind, finished together
    pending_kind: tuple[str, str] | None = None

    def flush() -> None:
        if pending:
            chunks.append(_finish(ctx, pending, *pending_kind, ci_method, level, df, na_rm, p01, nchs_truncation))
            pending.clear()

    for var in variables:
        if statistic == "quantile":
            chunks += _quantile_chunks(ctx, frame, var, quantiles, quantile_rule, level, df, na_rm, ci_method)
            continue
        likelihood = ci_method is not None and ci_method.lower() == "likelihood"
        name = var if statistic != "ratio" else f"{var}/{denominator}"
        for label, res, kind, stat, y, base in _variable_results(
            ctx, frame, var, statistic, denominator, categories, category
        ):
            if likelihood and kind == "proportion" and stat == "proportion":
                flush()
                chunk = _finish(ctx, [(name, label, res)], kind, stat, "logit", level, df, na_rm, p01,
                                nchs_truncation)  # fmt: skip
                chunks.append(_with_likelihood(ctx, chunk, base, y, level))
                continue
            if pending_kind != (kind, stat):
                flush()
                pending_kind = (kind, stat)
            pending.append((name, label, res))
    flush()
    return _assemble(chunks, table, by, ctx.D)


def _variable_results(ctx, frame, var, statistic, denominator, categories, category):
    s = frame[var]
    if statistic == "variance":
        _require_numeric(s, var)
        y, valid = _numeric(frame, var)
        base = _base(ctx, valid)
        yield None, variance_result(ctx, base, y), "continuous", "variance", y, base
        return
    if statistic == "ratio":
        y, vy = _numeric(frame, var)
        x, vx = _numeric(frame, denominator)
        _require_numeric(s, var)
        base = _base(ctx, vy & vx)
        yield None, _ratio_result(ctx, base, y, x, total=False), "continuous", "ratio", y, base
        return
    categorical = statistic == "proportion" or _is_categorical(s)
    if not categorical:
        y, valid = _numeric(frame, var)
        base = _base(ctx, valid)
        yield None, _ratio_result(ctx, base, y, None, total=statistic == "total"), "continuous", statistic, y, base
        return
    cats = categories.get(var) if isinstance(categories, Mapping) else categories
    if category is not None:
        levels = list(category) if isinstance(category, (list, tuple)) else [category]
    else:
        levels = _levels(s, cats)
    indicators, valid = _category_indicators(s, levels)
    base = _base(ctx, valid)
    stat = "total" if statistic == "total" else "proportion"
    for lv, y in zip(levels, indicators, strict=True):
        res = _ratio_result(ctx, base, y, None, total=stat == "total", binary=True)
        yield lv, res, "proportion", stat, y, base


def _with_likelihood(ctx: _Ctx, chunk: pd.DataFrame, base: _Base, y: np.ndarray, level: float) -> pd.DataFrame:
    """Replace the (logit) limits by the likelihood interval (R ``svyciprop(method="likelihood")``).

    The intercept-only quasibinomial fit is R's (``intercept_fits``), its SE the engine's variance of
    R's estimating functions; see :mod:`.likelihood_ci`.
    """
    y = np.asarray(y, dtype=float)
    dom, D = np.maximum(ctx.part.dom, 0), ctx.D
    inside = ctx.part.inside
    rows = np.bincount(ctx.part.dom[inside], minlength=D)
    wsum = np.bincount(ctx.part.dom[inside], weights=ctx.w[inside], minlength=D)
    used = base.active
    n = base.n.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_all = wsum / rows  # svyglm scales the weights to mean 1 over the domain's rows
        mean_used = base.nw / n  # R's Pearson residuals rescale to the rows of the model
        pw = base.wv / np.where(mean_all > 0, mean_all, 1.0)[dom]
    beta, dev0, w_sum, estfun = intercept_fits(dom, D, y, pw, used)
    with np.errstate(divide="ignore", invalid="ignore"):
        lin = Linear(estfun, None, 1.0 / w_sum, None)
    var_b, _ = _engine.linear_variance(ctx.cache, lin, used)
    pw_sum = ctx.dom_sum(ctx.cells0.sum(pw))
    pw_y = ctx.dom_sum(ctx.cells0.sum(pw * y))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mu = (1 - 1 / (1 + np.exp(beta)))[dom]
        r = np.where(used, (y - mu) * np.sqrt(mean_used / mean_all)[dom] / np.sqrt(mu * (1 - mu)), 0.0)
        rbar = ctx.dom_sum(ctx.cells0.sum(base.wv * r)) / base.nw
        dev = np.where(used, r - np.where(np.isfinite(rbar), rbar, 0.0)[dom], 0.0)
        disp = ctx.dom_sum(ctx.cells0.sum(base.wv * dev * dev)) / base.nw * n / (n - 1)  # R svyvar
    lo, hi = likelihood_limits(beta, np.sqrt(np.maximum(var_b, 0.0)), var_b * w_sum,
                               chunk["df"].to_numpy(dtype=float), n, pw_sum, pw_y, dev0, disp, level)
    edge = chunk["flag"].str.contains("p01_fallback").to_numpy()
    out = chunk.copy()
    out["ci_low"] = np.where(edge, out["ci_low"], lo)
    out["ci_high"] = np.where(edge, out["ci_high"], hi)
    out["ci_method"] = np.where(edge, out["ci_method"], "likelihood")
    return out


def _stacked(items: list[tuple[str, Any, Result]]) -> Result:
    """The results of several variables x categories end to end (each over all domains)."""
    if len(items) == 1:
        return items[0][2]
    return Result(*(np.concatenate([getattr(r, f.name) for _, _, r in items]) for f in fields(Result)))


def _labels(items: list[tuple[str, Any, Result]], D: int) -> list | pd.Series:
    """The category column of stacked items, typed as a concatenation of one column per item would be."""
    labels = [label for _, label, _ in items]
    if len({type(label) for label in labels}) <= 1:
        return [label for label in labels for _ in range(D)]
    return pd.concat([pd.Series([label] * D) for label in labels], ignore_index=True)


def _finish(ctx, items, kind, stat, ci_method, level, df_override, na_rm, p01, nchs):
    """Interval, design effects and flags for variables x categories (``items``: name, category,
    result) over all domains: every operation is elementwise, so the items are finished at once."""
    res = _stacked(items)
    D = len(res.estimate)
    est = res.estimate.astype(float).copy()
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.maximum(res.var, 0.0))
    dfv = res.df.copy() if df_override is None else np.full(D, float(df_override))
    flags = [np.full(D, "", dtype=object)]
    empty = res.n == 0
    if not na_rm:
        miss = res.n_missing > 0
        est[miss] = np.nan
        se[miss] = np.nan
        flags.append(np.where(miss, "missing_values", ""))
    deff_wor, deff_wr = _design_effects(res, ctx.prep.design.population_scale)
    est[empty] = np.nan
    se[empty] = np.nan
    flags.append(np.where(empty, "empty_domain", ""))
    flags.append(np.where(~empty & ~(dfv > 0), "df_nonpositive", ""))
    n_eff = np.full(D, np.nan)
    if kind == "proportion" and stat == "proportion":
        lo, hi, methods, n_eff, edge = _proportion_interval(est, se, dfv, res.n, ci_method, level, nchs, p01)
        if edge.any():
            deff_wr = np.where(edge, np.nan, deff_wr)
            deff_wor = np.where(edge, np.nan, deff_wor)
            flags.append(np.where(edge, "p01_fallback", ""))
            if p01 == "fallback":
                for (var, _, _), count in zip(items, edge.reshape(len(items), -1).sum(axis=1), strict=True):
                    if count:
                        warnings.warn(
                            f"{int(count)} proportion(s) of exactly 0 or 1 in '{var}': NCHS Korn-Graubard "
                            "interval used (flag p01_fallback)",
                            stacklevel=3,
                        )
    else:
        if ci_method not in (None, "wald", "mean"):
            raise ValueError(f"ci_method {ci_method!r} applies to proportions only; means, totals, ratios and "
                             "quantiles use 'wald' (t on the domain df)")
        lo, hi = wald_ci(est, se, dfv, level)
        methods = np.where(np.isinf(dfv), "wald-normal", "wald-t")
    bad_df = ~(dfv > 0)
    lo, hi = np.where(bad_df, np.nan, lo), np.where(bad_df, np.nan, hi)
    flags.append(np.where(res.dom_lonely > 0, "domain_lonely_psu", ""))
    flags.append(np.where(np.isfinite(est) & np.isnan(se), "se_undefined", ""))
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = se / np.abs(est)
    per_item = D // len(items)
    return pd.DataFrame(
        {
            "variable": items[0][0] if len(items) == 1 else [v for v, _, _ in items for _ in range(per_item)],
            "category": _labels(items, per_item),
            "statistic": stat,
            "estimate": est,
            "se": se,
            "ci_low": lo,
            "ci_high": hi,
            "level": level,
            "ci_method": methods,
            "df": dfv,
            "deff_wor": deff_wor,
            "deff_wr": deff_wr,
            "cv": cv,
            "n": res.n,
            "n_weighted": res.n_weighted,
            "n_missing": res.n_missing,
            "n_eff": n_eff,
            "domain_lonely_strata": res.dom_lonely,
            "flag": _join_flags(flags),
        }
    )


def _design_effects(res: Result, population_scale: bool) -> tuple[np.ndarray, np.ndarray]:
    """deff_wor (NaN unless the weights are population-scale and n < N) and deff_wr (statistics.md §7)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        deff_wr = res.var / res.vsrs
        frac = res.n / res.n_weighted
        deff_wor = np.where(frac < 1, res.var / ((1 - frac) * res.vsrs), np.nan)
    if not population_scale:
        deff_wor = np.full(deff_wr.shape, np.nan)
    return deff_wor, deff_wr


def _proportion_interval(est, se, dfv, n, ci_method, level, nchs, p01):
    """Interval, method labels, n_eff and the p = 0/1 cells (which get the NCHS fallback or NaN)."""
    method = canonical_method(ci_method or "xlogit")
    lo, hi = proportion_ci(est, se, dfv, n, method, level, nchs)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = est * (1 - est) / se**2
    edge = np.isfinite(est) & ((est <= 0) | (est >= 1) | (se == 0))
    n_eff = np.where(edge, np.nan, n_eff)
    if p01 == "fallback":
        flo, fhi = p01_interval(est, dfv, n, level)
        lo, hi = np.where(edge, flo, lo), np.where(edge, fhi, hi)
    else:
        lo, hi = np.where(edge, np.nan, lo), np.where(edge, np.nan, hi)
    methods = np.where(edge & (p01 == "fallback"), "korn-graubard-nchs (p=0/1 fallback)", method)
    return lo, hi, methods, n_eff, edge


def _join_flags(flags: list[np.ndarray]) -> np.ndarray:
    out = flags[0].astype(object)
    for f in flags[1:]:
        f = np.asarray(f, dtype=object)
        out = np.where(f == "", out, np.where(out == "", f, out + ";" + f))
    return out


def _assemble(chunks: list[pd.DataFrame], table: pd.DataFrame, by, D: int) -> pd.DataFrame:
    """The chunks (each a whole number of blocks of ``D`` domains) stacked, with the by columns."""
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    if not chunks:
        return pd.DataFrame(columns=list(COLUMNS))
    out = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0].reset_index(drop=True)
    blocks = len(out) // D if D else 0
    for col in by_cols:
        out.insert(out.columns.get_loc("statistic"), col, np.tile(table[col].to_numpy(), blocks))
    for col in by_cols:
        if isinstance(table[col].dtype, pd.CategoricalDtype):
            out[col] = pd.Categorical(
                out[col], categories=table[col].cat.categories, ordered=table[col].cat.ordered
            )
    return out


def _quantile_chunks(ctx: _Ctx, frame, var, quantiles, rule, level, df_override, na_rm, ci_method=None):
    """Quantiles with their intervals (statistics.md §10.2; :mod:`.quantile_ci` for the types).

    F-hat = design-based mean of 1[x <= q-hat] in the domain, with its SE; an interval for F(q) is
    mapped back through the same quantile rule (Woodruff), or the score limits are found (``score``);
    SE = (upper - lower) / (2 t_df).
    """
    if rule not in QUANTILE_RULES:
        raise ValueError(f"quantile_rule {rule!r} is not one of {QUANTILE_RULES}")
    kind = canonical_interval(ci_method, replicate=ctx.prep.replicates is not None)
    _require_numeric(frame[var], var)
    probs = [quantiles] if np.isscalar(quantiles) else list(quantiles)
    x, valid = _numeric(frame, var)
    base = _base(ctx, valid)
    points = quantile_points(x, ctx.w, ctx.part, base.active)
    dfv = base.df if df_override is None else np.full(ctx.D, float(df_override))
    t = t_quantile(dfv, level)
    chunks = []
    for p in probs:
        q = points.quantile(np.full(ctx.D, float(p)), rule)
        qd = np.where(np.isfinite(q), q, np.inf)[np.maximum(ctx.part.dom, 0)]
        res = _ratio_result(ctx, base, (x <= qd).astype(float), None, total=False, binary=True)
        no_root = np.zeros(ctx.D, dtype=bool)
        if kind == "score":
            lo, hi, no_root = _score_limits(ctx, base, x, points, float(p), rule, t)
        elif kind == "quantile":  # the replicates' own quantiles (R repCI): q -/+ t SE
            q_r = replicate_quantiles(x, ctx.w, ctx.prep.replicates.factors, ctx.part, base.active, float(p), rule)
            se_q = np.sqrt(np.maximum(_engine.replicate_variance(ctx.prep.replicates, q, q_r), 0.0))
            lo, hi = q - t * se_q, q + t * se_q
        else:
            se_f = np.sqrt(np.maximum(res.var, 0.0))
            lo_p, hi_p = woodruff_probabilities(res.estimate, se_f, dfv, base.df, base.n, kind, level)
            lo, hi = points.quantile(lo_p, rule), points.quantile(hi_p, rule)
        se = (hi - lo) / (2 * t)
        res_q = Result(
            q, se**2, dfv, base.n, base.nw, ctx.n_all - base.n, np.full(ctx.D, np.nan), res.dom_lonely
        )
        chunk = _finish(
            ctx, [(var, f"{p:g}", res_q)], "continuous", "quantile", None, level, df_override, na_rm, "nan", False
        )
        chunk["ci_low"], chunk["ci_high"] = np.where(base.n > 0, lo, np.nan), np.where(base.n > 0, hi, np.nan)
        label = {"score": "score", "quantile": "replicate-quantile"}.get(kind, "woodruff-" + kind)
        chunk["ci_method"] = f"{label} ({rule})"
        if no_root.any():
            chunk["flag"] = _join_flags([chunk["flag"].to_numpy(), np.where(no_root, "score_no_root", "")])
        chunks.append(chunk)
    return chunks


def _score_limits(ctx: _Ctx, base: _Base, x, points, p: float, rule: str, t: np.ndarray):
    """Francisco-Fuller score limits for every domain (R ``ffullerCI``; see :mod:`.quantile_ci`)."""
    dom = np.maximum(ctx.part.dom, 0)
    plain = quantile_points(x, np.ones_like(x), ctx.part, base.active)  # unweighted: range, IQR, shares
    has = plain.count > 0
    first = np.clip(plain.start, 0, max(plain.x.size - 1, 0))
    last = np.clip(plain.start + plain.count - 1, 0, max(plain.x.size - 1, 0))
    xmin = np.where(has, plain.x[first] if plain.x.size else np.nan, np.nan)
    xmax = np.where(has, plain.x[last] if plain.x.size else np.nan, np.nan)
    iqr = plain.quantile(np.full(ctx.D, 0.75), "hf7") - plain.quantile(np.full(ctx.D, 0.25), "hf7")
    n = plain.count.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        tol = 1.0 / (100 * np.sqrt(n))

    def score(theta: np.ndarray, limit: np.ndarray) -> np.ndarray:
        th = np.where(np.isfinite(theta), theta, np.inf)[dom]
        r = _ratio_result(ctx, base, (x > th).astype(float), None, total=False, binary=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (r.estimate - (1 - p)) / np.sqrt(np.maximum(r.var, 0.0)) - limit

    out, bad = [], np.zeros(ctx.D, dtype=bool)
    for limit in (t, -t):
        root, no_root = score_roots(lambda th, lim=limit: score(th, lim), xmin + iqr / 100, xmax - iqr / 100, tol)
        bad |= no_root & has
        rd = np.where(np.isfinite(root), root, -np.inf)[dom]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.bincount(ctx.part.dom[base.active], weights=(x <= rd)[base.active], minlength=ctx.D) / n
        out.append(np.where(np.isfinite(root), points.quantile(share, rule), np.nan))
    return out[0], out[1], bad
