"""Calibration to population margins (linear GREG and R calibrate's distances); post_stratify and rake live in their own modules.

Every step **starts from the design weights** (the ``weights`` column, the design's weights, or the
weights of a previous :class:`~survey_toolkit.weighting.Weighted` step), returns a new
:class:`~survey_toolkit.weighting.Weighted` (the input frame is never changed) and records a
:class:`~survey_toolkit.weighting.variance.CalibrationStep` so that standard errors use calibration
residuals (statistics.md §2.6, §8).

Formulas (statistics.md §8):

- post-stratification: ``w*_k = w_k N_c / N̂_c`` with ``N̂_c = Σ_{k∈c} w_k``;
- raking (iterative proportional fitting): for each margin in turn, ``w_k ← w_k T_{m,c} / Σ_{l∈c} w_l``;
  after each full sweep the change of the full cross-table of the margin variables is compared with
  ``epsilon`` (weight units when ``epsilon >= 1``, else a fraction of Σw, as R ``rake``). Because every
  update multiplies all rows of a cell of that cross-table by the same factor, the iterations run on
  the cell totals, and the rows are updated once at the end (exact, and fast for 10⁶ rows);
- linear calibration (GREG): ``w*_k = w_k (1 + x_k'λ)`` with ``λ`` solving ``Σ w*_k x_k = T``;
- generalised calibration (R ``calibrate(calfun=, bounds=)``): ``w*_k = w_k g_k`` with
  ``g_k = 1 + F(x_k'λ)`` for the distance's ``F`` (linear, raking, logit), the ratios ``g`` kept within
  ``bounds`` (``bounds_const``: bounds on the weights themselves), solved by R's Newton iterations
  (``grake``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._compat import renamed_keywords
from ..errors import Location, Problem, Severity, WeightError, did_you_mean
from ._common import row_location
from ._step import _as_margins, _check, _has_replicates, _ordered, finish, start
from .diagnostics import matched_margin_table
from .margins import Margins, MatchedMargin, match_margins
from .poststratify import post_stratify
from .raking import DEFAULT_EPSILON, DEFAULT_MAXIT, rake
from .result import Weighted
from .variance import CalibrationStep

__all__ = ["post_stratify", "rake", "calibrate", "CALFUNS", "DEFAULT_EPSILON", "DEFAULT_MAXIT"]

#: calibration distances of :func:`calibrate` (R ``calfun``)
CALFUNS = ("linear", "raking", "logit")


@renamed_keywords(weight="weights")
def calibrate(
    data: Any,
    margins: Margins | Mapping[str, Mapping[Any, float]] | str | None = None,
    design: Any = None,
    *,
    totals: Mapping[str, float] | None = None,
    population_total: float | None = None,
    weights: str | None = None,
    name: str = "cal_weight",
    total_tolerance: float = 1e-6,
    calfun: Literal["linear", "raking", "logit"] = "linear",
    bounds: tuple[float, float] | None = None,
    bounds_const: bool = False,
    epsilon: float = 1e-12,
    maxit: int = 100,
    by: Sequence[str] = (),
) -> Weighted:
    """Linear (GREG), raking-ratio or logit calibration to categorical margins and numeric totals.

    ``bounds=(L, U)`` (R ``bounds=c(L, U)``) keeps every ratio g = w*/w within [L, U]; with
    ``bounds_const=True`` (R ``bounds.const=TRUE``) L and U bound the calibrated weights themselves.
    ``calfun="logit"`` (R ``calfun="logit"``) needs finite bounds with L < 1 < U:
    ``g = (L(U-1) + U(1-L) e^{Au}) / (U-1 + (1-L) e^{Au})``, ``A = (U-L)/((U-1)(1-L))``, ``u = x'λ``;
    ``linear`` and ``raking`` with bounds truncate ``1 + u`` or ``e^u`` at the bounds. These are solved
    by R's ``grake`` Newton iterations (generalised inverse, step halving, R's rescaling when every
    total is over 20 times its estimate), until every ``|T - X'w*| / (1 + |T|)`` is below ``epsilon``;
    not converging in ``maxit`` steps is a WeightError (R: "Calibration failed"). The variance uses the
    same GREG residual as R (regression of ``u/g`` on the model with the input weights, times ``g``).

    ``calfun="raking"`` (R ``calibrate(calfun="raking")``): ``w*_k = w_k exp(x_k'λ)``, solved by Newton
    steps until the largest relative gap to a total is below ``epsilon`` (at most ``maxit`` steps; not
    converging is a WeightError). With categorical margins only, the weights are those of :func:`rake`;
    the variance uses the GREG residual (as R's ``calibrate``), not ``rake()``'s sweeps.

    ``w*_k = w_k (1 + x_k'λ)``. The model has one indicator per category of the first margin (the
    intercept), one per category but the first of the other margins, a column of 1s when there is no
    margin but a ``population_total``, and one column per numeric ``totals`` entry (matched **by name**).
    Linear calibration to one margin is post-stratification. Negative calibrated weights are reported as
    a warning. R parity: ``calibrate(dclus1, ~stype+api99, c(`(Intercept)`=6194, stypeH=755,
    stypeM=1018, api99=3914069))`` gives mean api00 665.30907 (SE 3.44175). ``margins`` and ``design`` may
    come in either order.
    """
    margins, design = _ordered(margins, design)
    margins = _as_margins(margins) if margins is not None else Margins()
    totals = dict(totals or {})
    source = margins.margins[0].file if len(margins) else None
    st = start(data, weights, design, source, replicates_ok=calfun in ("linear", "raking") and bounds is None)
    problems: list[Problem] = []
    matched: list[MatchedMargin] = []
    if len(margins):
        matched, problems = match_margins(
            st.frame, margins, st.weights, population_total=population_total, total_tolerance=total_tolerance
        )
    elif not totals:
        problems.append(
            Problem(
                "no-margins",
                "calibration needs margins or totals",
                hint="pass margins=... and/or totals={'column': total}",
            )
        )
    live = st.weights > 0
    columns, targets, labels = [], [], []
    for i, m in enumerate(matched):
        for j, cat in enumerate(m.categories):
            if i > 0 and j == 0:
                continue
            columns.append((m.codes == j).astype(float))
            targets.append(float(m.targets[j]))
            labels.append((m.variable, cat))
    if not matched and population_total is not None:
        columns.append(np.ones(len(st.weights)))
        targets.append(float(population_total))
        labels.append(("(intercept)", "(total)"))
    for column, total in totals.items():
        if column not in st.frame.columns:
            problems.append(
                Problem(
                    "unknown-total-variable",
                    f"the total's variable '{column}' is not in the data",
                    Location(field=column),
                    hint=did_you_mean(column, st.frame.columns),
                )
            )
            continue
        values = pd.to_numeric(st.frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(np.isnan(values) & live)
        if len(bad):
            problems.append(
                Problem(
                    "missing-total-value",
                    f"'{column}' is missing or not numeric for {len(bad)} weighted respondent(s)",
                    row_location(st.frame, bad, column),
                    count=len(bad),
                    hint="impute it or set these weights to 0",
                )
            )
            continue
        columns.append(np.where(live, values, 0.0))
        targets.append(float(total))
        labels.append((column, "(total)"))
    warnings = _check(problems)
    X = np.column_stack(columns)
    T = np.asarray(targets)
    d = np.where(live, st.weights, 0.0)
    M = X.T @ (X * d[:, None])
    rank = np.linalg.matrix_rank(M)
    if rank < M.shape[0]:
        raise WeightError(
            Problem(
                "collinear-calibration",
                f"the calibration variables are collinear (rank {rank} of {M.shape[0]})",
                expected="linearly independent margins and totals",
                got=", ".join(f"{v}={c}" for v, c in labels),
                hint="drop a total that is implied by the others (for example a constant column)",
            )
        )
    if calfun not in CALFUNS:
        raise WeightError(
            Problem(
                "bad-calfun",
                f"calfun={calfun!r} is not supported",
                expected=", ".join(CALFUNS),
                hint="calibrate(..., calfun='logit', bounds=(0.5, 3))",
            )
        )
    lower, upper = _bounds(bounds, calfun, bounds_const, d, live)
    if calfun == "linear" and bounds is None:
        lam = np.linalg.solve(M, T - X.T @ d)
        new = d * (1.0 + X @ lam)
    elif calfun == "raking" and bounds is None:
        new = _raking_calfun(X, T, d, epsilon, maxit)
    else:
        k0 = len(matched[0].categories) if matched else 0
        g, scale = _grake(X, T, d, calfun, lower, upper, epsilon, maxit, _r_ratios(X, T, d, k0))
        new = d * g
        if scale is not None and bounds is not None:
            warnings.append(
                Problem(
                    "bounds-after-rescaling",
                    f"every total is over 20 times its estimate from the input weights: as R, the weights were "
                    f"first multiplied by {scale:.4g} and the bounds apply to the ratio to those rescaled weights",
                    severity=Severity.WARNING,
                    hint="start from weights on the population scale (base weights) for bounds on the ratio "
                         "to them, or use bounds_const=True for limits on the weights themselves",
                )
            )
    negative = np.flatnonzero((new < 0) & live)
    if len(negative):
        warnings.append(
            Problem(
                "negative-calibrated-weight",
                f"linear calibration made {len(negative)} weight(s) negative",
                row_location(st.frame, negative),
                severity=Severity.WARNING,
                count=len(negative),
                hint="use rake() (always positive) or fewer totals",
            )
        )
    achieved = X.T @ new
    table = pd.DataFrame(
        {
            "variable": [v for v, _ in labels],
            "category": [c for _, c in labels],
            "target": T,
            "achieved": achieved,
            "n": [int(((x != 0) & live).sum()) for x in columns],
        }
    )
    if matched:
        table = pd.concat(
            [matched_margin_table(new, matched), table[table["category"] == "(total)"]], ignore_index=True
        )
    table["gap"] = table["achieved"] - table["target"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["rel_gap"] = table["gap"] / table["target"]
    table = table[["variable", "category", "target", "achieved", "gap", "rel_gap", "n"]]
    cal = CalibrationStep(
        "linear", new, st.weights, model=X, variables=tuple(dict.fromkeys(v for v, _ in labels))
    )
    reps = None
    if _has_replicates(st):
        from .replicate_weights import calibrate_replicates, rake_calibrate_replicates, replicate_analysis

        A = replicate_analysis(st.frame, st.design, st.weights)
        reps = (calibrate_replicates(A, X, T) if calfun == "linear"
                else rake_calibrate_replicates(A, X, T, epsilon, maxit))
    return finish(
        st,
        "calibrate",
        name,
        new,
        by=by,
        margins=table,
        problems=warnings,
        calibration_step=cal,
        settings={"model": tuple(f"{v}={c}" for v, c in labels), "calfun": calfun,
                  "bounds": bounds, "bounds_const": bounds_const},
        replicates=reps,
    )


def _raking_calfun(X: np.ndarray, T: np.ndarray, d: np.ndarray, epsilon: float, maxit: int) -> np.ndarray:
    """Weights ``d exp(Xλ)`` with ``X'w = T``, by Newton steps on λ."""
    lam = np.zeros(X.shape[1])
    scale = np.maximum(np.abs(T), 1.0)
    gap = T - X.T @ d
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(maxit):
            w = d * np.exp(X @ lam)
            gap = T - X.T @ w
            if not np.all(np.isfinite(gap)):
                break
            if np.max(np.abs(gap) / scale) < epsilon:
                return w
            try:
                lam = lam + np.linalg.solve(X.T @ (X * w[:, None]), gap)
            except np.linalg.LinAlgError:
                break
    raise WeightError(
        Problem(
            "calibration-not-converged",
            f"raking-ratio calibration did not converge in {maxit} steps",
            expected=f"relative gaps below {epsilon:g}",
            got=f"largest relative gap {np.max(np.abs(gap) / scale):.3g}",
            hint="the totals may be out of reach of positive weights: check them, or use calfun='linear'",
        )
    )


# ------------------------------------------------------------------------- generalised calibration


def _bounds(bounds, calfun: str, bounds_const: bool, d: np.ndarray, live: np.ndarray):
    """Per-row lower and upper bounds on g (R ``bounds``, ``bounds.const``), checked."""
    if bounds is None:
        if calfun == "logit":
            raise WeightError(
                Problem("logit-needs-bounds", "logit calibration needs finite bounds",
                        expected="bounds=(L, U) with L < 1 < U", got="no bounds",
                        hint="calibrate(..., calfun='logit', bounds=(0.5, 3))")
            )
        return np.full(d.shape, -np.inf), np.full(d.shape, np.inf)
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise WeightError(
            Problem("bad-bounds", f"bounds={bounds!r} is not a pair of numbers", expected="(lower, upper)",
                    hint="bounds=(0.5, 3)")
        ) from None
    problems = []
    if not lo < hi:
        problems.append(Problem("bad-bounds", f"lower bound {lo:g} is not below upper bound {hi:g}",
                                expected="lower < upper", got=f"({lo:g}, {hi:g})", hint="bounds=(0.5, 3)"))
    if calfun == "logit" and not (np.isfinite(lo) and np.isfinite(hi)):
        problems.append(Problem("logit-needs-bounds", "logit calibration needs finite bounds",
                                expected="finite L < 1 < U", got=f"({lo:g}, {hi:g})", hint="bounds=(0.5, 3)"))
    if problems:
        raise WeightError(problems)
    safe = np.where(live, d, 1.0)
    lower = np.where(live, lo / safe, lo) if bounds_const else np.full(d.shape, lo)  # R: bounds / w
    upper = np.where(live, hi / safe, hi) if bounds_const else np.full(d.shape, hi)
    if calfun == "logit" and not np.all((lower[live] < 1) & (upper[live] > 1)):
        bad = int(np.sum(live & ~((lower < 1) & (upper > 1))))
        raise WeightError(
            Problem("logit-bounds-exclude-1", f"for {bad} weighted row(s) the bounds on g do not contain 1",
                    expected="L < 1 < U (with bounds_const: L < w < U for every design weight w)",
                    got=f"({lo:g}, {hi:g})", hint="widen the bounds around the design weights")
        )
    return lower, upper


def _calfun(calfun: str, u: np.ndarray, lower: np.ndarray, upper: np.ndarray):
    """R's ``calfun$Fm1`` (g - 1) and ``calfun$dF`` for linear, raking and logit."""
    with np.errstate(over="ignore", invalid="ignore"):
        if calfun == "linear":
            inside = (u < upper - 1) & (u > lower - 1)
            return np.minimum(np.maximum(u + 1, lower), upper) - 1, inside.astype(float)
        if calfun == "raking":
            e = np.exp(u)
            inside = (u < upper - 1) & (u > lower - 1)  # R compares u (not e^u) with the bounds
            return np.minimum(np.maximum(e, lower), upper) - 1, np.where(inside, e, 0.0)
        L, U = lower, upper
        A = (U - L) / ((U - 1) * (1 - L))
        e = np.exp(A * u)
        num = L * (U - 1) + U * (1 - L) * e
        den = U - 1 + (1 - L) * e
        dF = U * (1 - L) * e * A / den - num * ((1 - L) * e * A) / (den * den)
        return num / den - 1, dF


def _r_ratios(X: np.ndarray, T: np.ndarray, d: np.ndarray, k0: int) -> np.ndarray:
    """Population / sample totals of R's model columns, which decide R's rescaling: R's intercept
    replaces the first category column of the first margin (the sum of its k0 columns); the other
    columns are the same."""
    sample = X.T @ d
    with np.errstate(divide="ignore", invalid="ignore"):
        if k0 > 0:
            return np.concatenate([[T[:k0].sum() / sample[:k0].sum()], T[1:] / sample[1:]])
        return T / sample


def _grake(X, T, d, calfun, lower, upper, epsilon, maxit, ratios) -> tuple[np.ndarray, float | None]:
    """R ``grake``: g-weights with ``X'(d g) = T`` by Newton steps on λ (``MASS::ginv``, step halving),
    and R's initial rescaling factor (None when the weights were not rescaled)."""
    ww = d.copy()
    sample_total = X.T @ ww
    scale = None
    scales = ratios
    if np.min(scales) > 20:  # R rescales the weights first; bounds then apply to the rescaled weights
        scale = float(np.mean(scales))
        ww = ww * scale
        sample_total = sample_total * scale
    eta = np.zeros(X.shape[1])
    xeta = X @ eta
    fm1, deriv = _calfun(calfun, xeta, lower, upper)
    it = 1
    misfit = T - sample_total - X.T @ (ww * fm1)
    while True:
        Tmat = (X * (ww * deriv)[:, None]).T @ X
        misfit = T - sample_total - X.T @ (ww * fm1)
        deta = np.linalg.pinv(Tmat, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + deta
        xeta = X @ eta
        fm1, deriv = _calfun(calfun, xeta, lower, upper)
        while it < maxit and not (np.all(np.isfinite(fm1)) and np.all(np.isfinite(deriv))):
            it += 1
            deta = deta / 2
            eta = eta - deta
            xeta = X @ eta
            fm1, deriv = _calfun(calfun, xeta, lower, upper)
        misfit = T - sample_total - X.T @ (ww * fm1)
        gap = np.abs(misfit) / (1 + np.abs(T))
        if np.all(gap < epsilon):
            break
        it += 1
        if it > maxit:
            raise WeightError(
                Problem(
                    "calibration-not-converged",
                    f"{calfun} calibration did not converge in {maxit} steps",
                    expected=f"|T - achieved| / (1 + |T|) below {epsilon:g}",
                    got=f"largest {np.nanmax(gap):.3g}",
                    hint="widen the bounds (they may make the totals unreachable), check the totals, or "
                         "raise maxit",
                )
            )
    g = 1 + fm1
    return (g * scale if scale is not None else g), scale
