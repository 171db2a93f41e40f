"""Post-stratification, raking and linear (GREG) calibration to population margins.

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
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._compat import renamed_keywords
from ..errors import Location, Problem, Severity, ValidationReport, WeightError, did_you_mean
from ._common import (
    add_weight_column,
    as_warning,
    describe_codes,
    frame_of,
    row_location,
    weight_array,
    with_column,
)
from ._trimcore import TrimBounds, bound_problems, trim_weights
from .diagnostics import matched_margin_table, weight_table
from .margins import Margins, MatchedMargin, match_margins
from .result import ConvergenceReport, TrimReport, Weighted, WeightingReport
from .variance import Calibration, CalibrationStep, RakeVariance

__all__ = ["post_stratify", "rake", "calibrate", "CALFUNS", "DEFAULT_EPSILON", "DEFAULT_MAXIT"]

#: calibration distances of :func:`calibrate` (R ``calfun``)
CALFUNS = ("linear", "raking", "logit")

#: Default raking tolerance: a fraction of Σw (R's ``epsilon < 1`` convention); statistics.md §8.2.
DEFAULT_EPSILON = 1e-10
#: Default maximum number of raking sweeps.
DEFAULT_MAXIT = 100


@dataclass(frozen=True, eq=False)
class _Start:
    """The validated starting point of a step."""

    data: Any
    frame: pd.DataFrame
    weight: str | None
    weights: np.ndarray
    previous: Weighted | None
    design: Any


def _design_weight_column(design: Any) -> str | None:
    for attr in ("weight", "weights", "wgt", "weight_column"):
        value = getattr(design, attr, None)
        if isinstance(value, str):
            return value
    return None


def _design_strata(design: Any, frame: pd.DataFrame) -> tuple[str, ...]:
    """The design's first-stage stratum column, for per-stratum diagnostics by default."""
    strata = getattr(design, "strata", None)
    first = strata[0] if isinstance(strata, tuple) and strata else strata
    return (first,) if isinstance(first, str) and first in frame.columns else ()


def start(
    data: Any, weight: str | None, design: Any = None, source: str | None = None, replicates_ok: bool = False
) -> _Start:
    """Resolve the data, the starting weight column and its values; raise WeightError on bad weights.
    A replicate-weight design is refused unless ``replicates_ok`` (the step adjusts every replicate)."""
    previous = data if isinstance(data, Weighted) else None
    if previous is not None:
        data = previous.data
        weight = weight or previous.weight
        design = design if design is not None else previous.design
    if getattr(design, "replicates", None) is not None and not replicates_ok:
        from .replicate_weights import refuse

        raise refuse(design, "this weighting step", source)
    if weight is None and design is not None:
        weight = _design_weight_column(design)
    frame = frame_of(data)
    if weight is None and design is not None and hasattr(design, "prepare"):
        # a design without a weight column (probabilities, or weights from the fpc): its prepared weights
        weights = np.asarray(design.prepare(frame).weights, dtype=float)
        return _Start(data, frame, "(design weights)", weights, previous, design)
    if weight is None:
        raise WeightError(
            Problem(
                "no-design-weight",
                "no starting weight: weighting starts from the design weights",
                Location(file=source),
                expected="weights='<column>' or design=...",
                hint="for an equal-probability sample add a column of 1s (or of N/n) and name it",
            )
        )
    w, problems = weight_array(frame, weight, "starting weight", source)
    if w is None:
        raise WeightError(problems)
    if not (w > 0).any():
        raise WeightError(
            Problem(
                "no-positive-weight",
                f"every value of '{weight}' is 0",
                Location(file=source, field=weight),
                expected="some weights > 0",
            )
        )
    return _Start(data, frame, weight, w, previous, design)


def finish(
    st: _Start,
    step: str,
    name: str,
    new_weights: np.ndarray,
    *,
    by: Sequence[str] = (),
    margins: pd.DataFrame | None = None,
    convergence: ConvergenceReport | None = None,
    trimming: Any = None,
    classes: pd.DataFrame | None = None,
    problems: Sequence[Problem] = (),
    settings: Mapping[str, Any] | None = None,
    calibration_step: CalibrationStep | None = None,
    keep_calibration: bool = False,
    replicates: np.ndarray | None = None,
) -> Weighted:
    """Build the :class:`Weighted` result: new column, report, calibration chain, design. ``replicates``:
    the adjusted replicate analysis weights of a replicate design (then no calibration chain)."""
    rep_design = None
    if replicates is not None:
        from .replicate_weights import replicate_result

        base, rep_design = replicate_result(st.frame, st.design, name, replicates)
        frame = add_weight_column(base, name, new_weights)
        calibration_step, keep_calibration = None, False
    else:
        frame = add_weight_column(st.frame, name, new_weights)
    by = tuple(by) or _design_strata(st.design, frame)
    report = WeightingReport(
        step=step,
        weight=name,
        source_weight=st.weight,
        before=weight_table(st.weights, st.frame, by) if st.weight is not None else None,
        after=weight_table(new_weights, frame, by),
        margins=margins,
        convergence=convergence,
        trimming=trimming,
        classes=classes,
        problems=ValidationReport(tuple(problems)),
        settings=MappingProxyType(dict(settings or {})),
    )
    previous_cal = st.previous.calibration if st.previous is not None else None
    if calibration_step is not None:
        calibration = (previous_cal or Calibration()).then(calibration_step, st.frame.index)
    else:
        calibration = previous_cal if keep_calibration else None
    history = (st.previous.history if st.previous is not None else ()) + (report,)
    design = rep_design if rep_design is not None else _attach_design(st.design, name, calibration)
    return Weighted(with_column(st.data, frame), name, report, calibration, history, design)


def _attach_design(design: Any, weight: str, calibration: Calibration | None) -> Any:
    """The design with the new weight column and the calibration (the estimation engine's hook)."""
    if design is None:
        return None
    from .hooks import attach_calibration

    return attach_calibration(design, weight, calibration)


def _has_replicates(st: _Start) -> bool:
    return getattr(st.design, "replicates", None) is not None


def _check(problems: list[Problem]) -> list[Problem]:
    """Raise WeightError when any problem is an error; return the warnings."""
    report = ValidationReport(tuple(problems))
    report.raise_if_errors(WeightError)
    return list(report.problems)


def _is_design(obj: Any) -> bool:
    return (
        obj is not None
        and callable(getattr(obj, "prepare", None))
        and not isinstance(obj, (Margins, Mapping))
    )


def _ordered(margins: Any, design: Any) -> tuple[Any, Any]:
    """Accept ``(margins, design)`` or ``(design, margins)`` after the data, as both orders read naturally."""
    if _is_design(margins) and not _is_design(design):
        return design, margins
    return margins, design


def _as_margins(margins: Margins | Mapping[str, Mapping[Any, float]] | str | Any) -> Margins:
    if margins is None:
        raise WeightError(
            Problem(
                "no-margins",
                "no margins were given",
                hint="pass margins=read_margins('margins.csv') or a mapping",
            )
        )
    if isinstance(margins, Margins):
        return margins
    if isinstance(margins, pd.DataFrame):
        return Margins.from_frame(margins)
    if isinstance(margins, Mapping):
        return Margins.from_mapping(margins)
    from pathlib import Path

    if isinstance(margins, (str, Path)):
        from .margins import read_margins

        return read_margins(margins)
    raise TypeError(
        f"margins must be Margins, a mapping, a DataFrame or a CSV path, not {type(margins).__name__}"
    )


def _max_gap(weights: np.ndarray, matched: Sequence[MatchedMargin]) -> tuple[float, str]:
    worst, where = 0.0, ""
    for m in matched:
        valid = m.codes >= 0
        achieved = np.bincount(m.codes[valid], weights=weights[valid], minlength=len(m.categories))
        gaps = np.abs(achieved - m.targets)
        j = int(np.argmax(gaps)) if len(gaps) else 0
        if len(gaps) and gaps[j] > worst:
            worst, where = float(gaps[j]), f"'{m.variable}' category '{m.categories[j]}'"
    return worst, where


# ----------------------------------------------------------------------------- post-stratification


@renamed_keywords(weight="weights")
def post_stratify(
    data: Any,
    margins: Margins | Mapping[str, Mapping[Any, float]] | str,
    design: Any = None,
    *,
    weights: str | None = None,
    name: str = "ps_weight",
    variable: str | None = None,
    partial: bool = False,
    population_total: float | None = None,
    total_tolerance: float = 1e-6,
    by: Sequence[str] = (),
) -> Weighted:
    """Post-stratify the weights to the population counts of one variable (or an ``"a:b"`` cell variable).

    ``w*_k = w_k N_c / N̂_c``. Errors (WeightError, all at once): sample cells absent from the margins,
    population cells absent from the sample (dropped with a warning when ``partial=True``, as R
    ``postStratify(partial=TRUE)``), missing values, bad weights. R parity:
    ``postStratify(dclus1, ~stype, pop.types)`` gives mean api00 642.31079 (SE 23.92049). ``margins`` and
    ``design`` may come in either order.
    """
    margins, design = _ordered(margins, design)
    margins = _as_margins(margins)
    if variable is not None:
        chosen = margins.get(variable)
        if chosen is None:
            raise WeightError(
                Problem(
                    "unknown-margin-variable",
                    f"'{variable}' is not in the margins",
                    hint=did_you_mean(variable, margins.variables),
                )
            )
        margins = Margins((chosen,))
    if len(margins) != 1:
        raise WeightError(
            Problem(
                "several-post-strata-variables",
                f"post-stratification uses one variable but the margins have {describe_codes(margins.variables)}",
                expected="one variable (cells of several variables: name it 'a:b' with categories '1:2')",
                hint="use rake() for several margins, or pass variable='...'",
            )
        )
    st = start(data, weights, design, margins.margins[0].file, replicates_ok=True)
    matched, problems = match_margins(
        st.frame,
        margins,
        st.weights,
        population_total=population_total,
        total_tolerance=total_tolerance,
        partial=partial,
    )
    warnings = _check(problems)
    m = matched[0]
    k = len(m.categories)
    valid = m.codes >= 0
    sums = np.bincount(m.codes[valid], weights=st.weights[valid], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(sums > 0, m.targets / np.where(sums > 0, sums, 1.0), 0.0)
    new = np.where(valid, st.weights * factor[np.where(valid, m.codes, 0)], 0.0)
    warnings += _zero_target_warnings(matched, st.weights)
    table = matched_margin_table(new, matched)
    if partial:
        table = table[table["n"] > 0].reset_index(drop=True)
    cal = CalibrationStep("poststratify", new, st.weights, groups=(m.codes,), variables=(m.variable,))
    reps = None
    if _has_replicates(st):
        from .replicate_weights import poststratify_replicates, replicate_analysis

        reps = poststratify_replicates(replicate_analysis(st.frame, st.design, st.weights), m.codes, m.targets)
    return finish(
        st,
        "post_stratify",
        name,
        new,
        by=by,
        margins=table,
        problems=warnings,
        settings={"variable": m.variable, "partial": partial},
        calibration_step=cal,
        replicates=reps,
    )


def _zero_target_warnings(matched: Sequence[MatchedMargin], weights: np.ndarray) -> list[Problem]:
    out = []
    for m in matched:
        valid = m.codes >= 0
        sums = np.bincount(m.codes[valid], weights=weights[valid], minlength=len(m.categories))
        zero = [c for c, t, s in zip(m.categories, m.targets, sums, strict=False) if t == 0 and s > 0]
        if zero:
            out.append(
                Problem(
                    "zero-target",
                    f"'{m.variable}' categories {describe_codes(zero)} have a "
                    "population of 0: their respondents get weight 0",
                    m.margin.location(zero[0]),
                    severity=Severity.WARNING,
                    hint="check the margins; drop these respondents",
                )
            )
    return out


# ----------------------------------------------------------------------------------------- raking


def _cells(matched: Sequence[MatchedMargin], live: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Cell id per row (-1 for zero-weight rows) of the cross-table of the margins, and each margin's code per cell."""
    key = np.zeros(len(live), dtype=np.int64)
    for m in matched:
        key = key * (len(m.categories) + 1) + (m.codes + 1)
        key, _ = pd.factorize(key)  # compact after each margin: no overflow however many margins
        key = key.astype(np.int64)
    size = int(key.max()) + 1 if len(key) else 1
    present = np.bincount(key[live], minlength=size) > 0  # O(n): no sort
    remap = np.where(present, np.cumsum(present) - 1, -1)
    cell = np.where(live, remap[key], -1)
    n_cells = int(present.sum())
    per_cell = []
    for m in matched:
        codes = np.zeros(n_cells, dtype=np.int64)
        codes[cell[live]] = m.codes[live]  # every row of a cell has the same code
        per_cell.append(codes)
    return cell, per_cell


def _ipf(
    cell_w: np.ndarray,
    cell_codes: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    epsilon: float,
    maxit: int,
) -> tuple[np.ndarray, list[np.ndarray], int, bool, float]:
    """Iterative proportional fitting on cell totals.

    Returns the cell factors, the cell factors right after each margin of the last sweep, the number of
    sweeps, whether it converged, and the last change of the cross-table.
    """
    g = np.ones_like(cell_w)
    table = cell_w.copy()
    change = np.inf
    after_margin: list[np.ndarray] = []
    for iteration in range(1, maxit + 1):
        old = table
        after_margin = []
        for codes, target in zip(cell_codes, targets, strict=True):
            sums = np.bincount(codes, weights=table, minlength=len(target))
            factor = np.where(sums > 0, target / np.where(sums > 0, sums, 1.0), 1.0)
            g = g * factor[codes]
            table = cell_w * g
            after_margin.append(g)
        change = float(np.max(np.abs(table - old))) if len(table) else 0.0
        if change < epsilon:
            # R stops here; a stable table can still miss a margin when raking cycles (structural zeros,
            # conflicting margins), so the margins themselves must be hit too: never a silent result
            gap = max(
                (
                    float(np.max(np.abs(np.bincount(codes, weights=table, minlength=len(target)) - target)))
                    for codes, target in zip(cell_codes, targets, strict=True)
                ),
                default=0.0,
            )
            if gap < epsilon:
                return g, after_margin, iteration, True, change
    return g, after_margin, maxit, False, change


def _rake_rows(
    weights: np.ndarray, matched: Sequence[MatchedMargin], eps_units: float, maxit: int
) -> tuple[np.ndarray, tuple[np.ndarray, ...], int, bool, float]:
    """Raked row weights, the per-margin scales of the last sweep, iterations, convergence, last change."""
    live = weights > 0
    cell, cell_codes = _cells(matched, live)
    cell_w = np.bincount(cell[live], weights=weights[live])
    g, after_margin, iterations, converged, change = _ipf(
        cell_w, cell_codes, [m.targets for m in matched], eps_units, maxit
    )
    rows = np.where(live, cell, 0)
    new = np.where(live, weights * g[rows], 0.0)
    scales = tuple(np.where(live, weights * gm[rows], 0.0) for gm in after_margin)
    return new, scales, iterations, converged, change


@renamed_keywords(weight="weights")
def rake(
    data: Any,
    margins: Margins | Mapping[str, Mapping[Any, float]] | str,
    design: Any = None,
    *,
    weights: str | None = None,
    name: str = "rake_weight",
    epsilon: float = DEFAULT_EPSILON,
    maxit: int = DEFAULT_MAXIT,
    on_nonconvergence: Literal["error", "warn"] = "error",
    population_total: float | None = None,
    total_tolerance: float = 1e-6,
    rake_variance: RakeVariance = "r",
    trim: TrimBounds | None = None,
    trim_rounds: int = 50,
    by: Sequence[str] = (),
) -> Weighted:
    """Rake the weights to several margins by iterative proportional fitting, from the design weights.

    ``epsilon`` < 1 is a fraction of Σw (default 1e-10), >= 1 is in weight units (R ``rake``'s
    ``control$epsilon``); ``maxit`` sweeps at most. Not converging raises WeightError naming the worst
    margin (``on_nonconvergence="warn"`` returns the weights with ``report.convergence.converged`` False and a
    warning). Errors also for categories absent from the sample or the margins, totals that differ and
    missing values. ``rake_variance`` picks the variance residual (see :mod:`.variance`).

    ``trim=TrimBounds(...)`` trims inside raking: rake, trim (strict), rake again, ... until the raked
    weights are within the bounds (at most ``trim_rounds`` rounds; not reaching it is a non-convergence).
    The variance then treats the last trimmed weights as the design weights of the final raking.

    R parity (``rake(dclus1, list(~stype,~sch.wide), ..., control=list(maxit=100, epsilon=1e-10))``):
    mean api00 641.23032 (SE 23.70362), weights 29.87067549-67.12552924.
    ``margins`` and ``design`` may come in either order.
    """
    margins, design = _ordered(margins, design)
    margins = _as_margins(margins)
    source = margins.margins[0].file if len(margins) else None
    st = start(data, weights, design, source, replicates_ok=trim is None)
    if maxit < 1 or epsilon <= 0 or trim_rounds < 1:
        raise WeightError(
            Problem(
                "bad-raking-control",
                f"maxit={maxit}, epsilon={epsilon}, trim_rounds={trim_rounds}",
                expected="maxit >= 1, epsilon > 0 and trim_rounds >= 1",
            )
        )
    if trim is not None and trim.upper is None and trim.lower is None:
        raise WeightError(
            Problem(
                "no-trim-bounds",
                "trim=TrimBounds() has no bound",
                hint="e.g. trim=TrimBounds(upper=3.5, relative_to='median')",
            )
        )
    if trim is not None and (bad := bound_problems(trim.upper, trim.lower)):
        raise WeightError(bad)
    matched, problems = match_margins(
        st.frame,
        margins,
        st.weights,
        population_total=population_total,
        total_tolerance=total_tolerance,
        partial=False,
    )
    warnings = _check(problems)
    eps_units = epsilon if epsilon >= 1 else epsilon * float(st.weights.sum())
    start_w = st.weights
    new, scales, iterations, converged, change = _rake_rows(start_w, matched, eps_units, maxit)
    trim_report = None
    if trim is not None and converged:
        lo, hi = trim.absolute(new)
        first = new
        rounds, within = 0, _within(new, lo, hi)
        while not within and rounds < trim_rounds and converged:
            rounds += 1
            start_w, _, _ = trim_weights(new, lo, hi, redistribute=trim.redistribute)
            new, scales, iterations, converged, change = _rake_rows(start_w, matched, eps_units, maxit)
            within = _within(new, lo, hi)
        live = st.weights > 0
        violation = float(
            max(
                np.max(new[live] - (hi if hi is not None else np.inf), initial=0.0),
                np.max((lo if lo is not None else -np.inf) - new[live], initial=0.0),
            )
        )
        n_lower = int(np.sum(first[live] < lo)) if lo is not None else 0
        n_upper = int(np.sum(first[live] > hi)) if hi is not None else 0
        trim_report = TrimReport(
            lo,
            hi,
            n_lower,
            n_upper,
            float(0.5 * np.abs(start_w - st.weights).sum()),
            rounds,
            trim.redistribute,
            violation,
        )
        if not within:
            converged = False
            change = max(change, eps_units)
    gap, where = _max_gap(new, matched)
    convergence = ConvergenceReport(
        "rake" if trim is None else "rake+trim", converged, iterations, change, gap, eps_units, maxit
    )
    if not converged:
        if trim_report is not None and trim_report.max_violation > 0:
            why = (
                f"after {trim_report.passes} rounds of trimming the raked weights still break the bounds by "
                f"{trim_report.max_violation:.3g}: the margins and the bounds cannot both hold"
            )
        elif change >= eps_units:
            why = f"the cross-table still changes by {change:.3g} (tolerance {eps_units:.3g})"
        else:
            why = "the weights cycle without meeting every margin (structural zeros or conflicting margins)"
        problem = Problem(
            "raking-not-converged",
            f"raking did not converge after {iterations} iterations: {why}; the largest margin gap is "
            f"{gap:.6g} at {where}",
            margins.margins[0].location(),
            expected=f"a change below {eps_units:.3g}",
            got=f"{change:.6g}",
            hint="sparse or conflicting margins: collapse small categories, check that "
            "the margins come from the same population, widen trimming bounds, or raise maxit",
        )
        if on_nonconvergence == "error":
            raise WeightError(problem)
        warnings.append(as_warning(problem))
    warnings += _zero_target_warnings(matched, st.weights)
    cal = CalibrationStep(
        "rake",
        new,
        start_w,
        groups=tuple(m.codes for m in matched),
        rake_variance=rake_variance,
        scales=scales,
        variables=tuple(m.variable for m in matched),
    )
    reps = None
    if _has_replicates(st) and converged:
        from .replicate_weights import rake_replicates, replicate_analysis

        reps = rake_replicates(replicate_analysis(st.frame, st.design, st.weights),
                               [(m.codes, m.targets) for m in matched], eps_units, maxit)
    return finish(
        st,
        "rake",
        name,
        new,
        by=by,
        margins=matched_margin_table(new, matched),
        convergence=convergence,
        trimming=trim_report,
        problems=warnings,
        calibration_step=cal,
        replicates=reps,
        settings={
            "variables": tuple(m.variable for m in matched),
            "epsilon": epsilon,
            "maxit": maxit,
            "rake_variance": rake_variance,
            "trim": trim,
        },
    )


def _within(weights: np.ndarray, lower: float | None, upper: float | None, tol: float = 1e-9) -> bool:
    live = weights[weights > 0]
    ok_hi = upper is None or bool(np.all(live <= upper * (1 + tol)))
    ok_lo = lower is None or bool(np.all(live >= lower * (1 - tol)))
    return ok_hi and ok_lo


# ------------------------------------------------------------------------------ linear calibration


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
