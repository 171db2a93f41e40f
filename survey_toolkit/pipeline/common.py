"""What the workflow's steps share: step names, the round and weight columns, the checked inputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..errors import ValidationReport
from ..indicators.model import IndicatorSpec
from ..instrument import Instrument
from ..project import Project, load_project
from ..weighting import Margins

STEPS = ("validate", "load", "quality", "weight", "compute", "compare", "report")
"""The steps of :func:`run`, in order (``until=`` takes one of them)."""

ROUND_COLUMN = "round"
"""The column holding the project's round id in every loaded round."""

WEIGHT_COLUMN = "final_weight"

Progress = Callable[[str, int, int], None]
"""``progress(step, done, total)``: called before and after each unit of work of a long step."""


def _noop(step: str, done: int, total: int) -> None:
    return None


def counting(progress: Progress, step: str, total: int) -> Callable[[int], None]:
    """Report ``step`` at 0 of ``total`` now; the function returned reports one more finished each
    time it is called (the ``done`` of :func:`survey_toolkit.parallel.forked_map`, in finishing order)."""
    progress(step, 0, total)
    finished = iter(range(1, total + 1))
    return lambda _job: progress(step, next(finished), total)


def _as_project(project: Project | str | Path) -> Project:
    return project if isinstance(project, Project) else load_project(project)


@dataclass(frozen=True, eq=False)
class Inputs:
    """The checked inputs of a project: the form(s), the indicators, the margins and the sample frame."""

    instrument: Instrument
    indicators: IndicatorSpec
    margins: Margins | None = None
    sample_frame: pd.DataFrame | None = None
    round_instruments: Mapping[str, Instrument] = field(default_factory=lambda: MappingProxyType({}))
    problems: ValidationReport = field(default_factory=ValidationReport)
    analysis: Instrument | None = None
    """The form plus the project's derived variables and extra columns (``survey_toolkit.derive``)."""


def shared_objects(project: Project, inputs: Inputs) -> list[Any]:
    """What the per-round jobs of a run share with this process (the project, its forms, indicators,
    margins and sample frame): results from forked processes refer to these very objects
    (:func:`survey_toolkit.parallel.forked_map`), never to copies."""
    return [project, inputs, inputs.instrument, inputs.analysis, inputs.indicators, inputs.margins,
            inputs.sample_frame, *inputs.round_instruments.values()]  # fmt: skip
