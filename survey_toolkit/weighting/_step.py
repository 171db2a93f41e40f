"""What every weighting step shares: the starting weights it reads, the margins it takes, the Weighted result it builds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Location, Problem, Severity, ValidationReport, WeightError
from ._common import add_weight_column, describe_codes, frame_of, weight_array, with_column
from .diagnostics import weight_table
from .hooks import WEIGHT_FIELDS
from .margins import Margins, MatchedMargin
from .result import ConvergenceReport, Weighted, WeightingReport
from .variance import Calibration, CalibrationStep


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
    for attr in WEIGHT_FIELDS:
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
        weight = weight or previous.weight_column
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
