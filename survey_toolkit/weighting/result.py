"""What a weighting step returns: the weighted data, the report, and the calibration for the variance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .._compat import deprecated
from ..errors import ValidationReport
from ._common import frame_of
from .variance import Calibration

__all__ = ["ConvergenceReport", "TrimReport", "WeightingReport", "Weighted"]


@dataclass(frozen=True)
class ConvergenceReport:
    """How an iterative step ended.

    ``max_change`` is the largest change of a cell of the full cross-table of the margin variables in the
    last iteration (R ``rake``'s criterion); ``max_margin_gap`` the largest |achieved - target| over every
    margin category, in weight units; ``epsilon`` the stopping threshold in weight units.
    """

    method: str
    converged: bool
    iterations: int
    max_change: float
    max_margin_gap: float
    epsilon: float
    maxit: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class TrimReport:
    """What trimming did: bounds in weight units, weights moved, passes of redistribution."""

    lower: float | None
    upper: float | None
    n_trimmed_lower: int
    n_trimmed_upper: int
    amount_moved: float
    passes: int
    redistribute: str
    max_violation: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True, eq=False)
class WeightingReport:
    """One weighting step, reported: settings, diagnostics before/after, margins, convergence, warnings.

    ``before``/``after`` are :func:`~survey_toolkit.weighting.weight_diagnostics` tables (overall and per
    ``by`` group); ``margins`` the achieved-vs-target table (calibration steps); ``classes`` the
    per-class table of a non-response adjustment or of base weights (stratum, PSU).
    """

    step: str
    weight: str
    source_weight: str | None
    before: pd.DataFrame | None
    after: pd.DataFrame
    margins: pd.DataFrame | None = None
    convergence: ConvergenceReport | None = None
    trimming: TrimReport | None = None
    classes: pd.DataFrame | None = None
    problems: ValidationReport = field(default_factory=ValidationReport)
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def diagnostics(self) -> pd.DataFrame:
        """Before and after diagnostics stacked, with a ``stage`` column."""
        parts = []
        if self.before is not None:
            parts.append(self.before.assign(stage="before"))
        parts.append(self.after.assign(stage="after"))
        table = pd.concat(parts, ignore_index=True)
        return table[["stage"] + [c for c in table.columns if c != "stage"]].assign(step=self.step)

    def summary(self) -> dict[str, Any]:
        """One flat dict: step, weights, Kish deff/ESS before and after, convergence, trimming."""
        after = self.after.iloc[0]
        out: dict[str, Any] = {
            "step": self.step,
            "weight": self.weight,
            "source_weight": self.source_weight,
            "n": int(after["n"]),
            "sum_w": float(after["sum_w"]),
            "deff_kish": float(after["deff_kish"]),
            "ess": float(after["ess"]),
            "min": float(after["min"]),
            "max": float(after["max"]),
        }
        if self.before is not None:
            out["deff_kish_before"] = float(self.before.iloc[0]["deff_kish"])
            out["ess_before"] = float(self.before.iloc[0]["ess"])
        if self.convergence is not None:
            out.update({f"convergence_{k}": v for k, v in self.convergence.to_dict().items()})
        if self.trimming is not None:
            out.update({f"trim_{k}": v for k, v in self.trimming.to_dict().items()})
        out["warnings"] = len(self.problems.warnings)
        return out


@dataclass(frozen=True, eq=False)
class Weighted:
    """The result of a weighting step: new data with a weight column, never the input changed.

    ``data`` has the type that was passed in (DataFrame or SurveyData); ``weight_column`` names the new
    column and ``weights`` gives its values;
    ``calibration`` carries the information the variance needs after post-stratification, raking or
    calibration (None for base weights, non-response adjustment and trimming, whose weights are used as
    design weights); ``history`` the reports of every step so far, the last one being ``report``.
    ``design`` is the estimation design carrying the new weights and the calibration, when one was given.
    """

    data: Any
    weight_column: str
    report: WeightingReport
    calibration: Calibration | None = None
    history: tuple[WeightingReport, ...] = ()
    design: Any = None

    @property
    def frame(self) -> pd.DataFrame:
        return frame_of(self.data)

    @property
    def weights(self) -> np.ndarray:
        return self.frame[self.weight_column].to_numpy(dtype=float)

    @property
    def weight(self) -> str:
        """Deprecated for one release: the name of the weight column is :attr:`weight_column`."""
        deprecated("Weighted.weight", "Weighted.weight_column")
        return self.weight_column

    def diagnostics(self) -> pd.DataFrame:
        """Before/after diagnostics of every step so far, stacked."""
        return pd.concat([r.diagnostics() for r in self.history], ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """One row per step (see :meth:`WeightingReport.summary`)."""
        return pd.DataFrame([r.summary() for r in self.history])
