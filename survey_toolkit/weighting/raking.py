"""Raking: iterative proportional fitting to several margins on the cell totals, with trimming inside (R rake)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._compat import renamed_keywords
from ..errors import Problem, WeightError
from ._common import as_warning
from ._step import _as_margins, _check, _has_replicates, _ordered, _zero_target_warnings, finish, start
from ._trimcore import TrimBounds, bound_problems, trim_weights
from .diagnostics import matched_margin_table
from .margins import Margins, MatchedMargin, match_margins
from .result import ConvergenceReport, TrimReport, Weighted
from .variance import CalibrationStep, RakeVariance

#: Default raking tolerance: a fraction of Σw (R's ``epsilon < 1`` convention); statistics.md §8.2.
DEFAULT_EPSILON = 1e-10
#: Default maximum number of raking sweeps.
DEFAULT_MAXIT = 100


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
