"""survey_toolkit: community safety perception surveys, from export to comparable indicators.

The public API is listed in ``__all__``; everything else is reached through its module. Names are
imported on first use (PEP 562), so ``import survey_toolkit`` and ``survey-toolkit --help`` stay fast
(no pandas or scipy until something needs them).
"""

from __future__ import annotations

import importlib
import logging
import sys
import types
from typing import Any

from .errors import (
    DataError,
    DesignError,
    EstimationError,
    InstrumentError,
    LoadError,
    Location,
    Problem,
    Severity,
    SpecError,
    SurveyToolkitError,
    ValidationReport,
    WeightError,
)

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

#: Public name -> the module that defines it (imported on first access).
_LAZY: dict[str, str] = {
    "Design": "design", "Replicates": "design",
    "estimate": "estimation", "compare": "estimation", "compare_independent": "estimation",
    "crosstab_test": "estimation", "regression": "estimation", "wald_test": "estimation", "Regression": "estimation",
    "as_replicates": "estimation",
    "read_instrument": "instrument", "Instrument": "instrument", "Question": "instrument", "Choice": "instrument",
    "ChoiceList": "instrument", "Group": "instrument",
    "load": "io.load", "SurveyData": "io.base", "VariableMeta": "io.base",
    # indicators defined in YAML
    "load_indicators": "indicators", "validate_indicators": "indicators", "IndicatorSpec": "indicators",
    # data-quality checks
    "check_quality": "quality", "apply_exclusions": "quality", "QualityReport": "quality",
    # weighting
    "base_weights": "weighting", "adjust_nonresponse": "weighting", "post_stratify": "weighting",
    "rake": "weighting", "calibrate": "weighting", "trim": "weighting", "read_margins": "weighting",
    "weight_diagnostics": "weighting", "Margins": "weighting", "Weighted": "weighting",
    "WeightingReport": "weighting",
    # reporting rules and round comparisons; the writers live in survey_toolkit.report
    "reporting_table": "results", "compare_rounds": "comparison", "apply_rules": "disclosure",
    "ReportingRules": "disclosure",
    # the project file; the workflow itself is survey_toolkit.pipeline
    "load_project": "project", "Project": "project",
}  # fmt: skip

__all__ = [
    "__version__",
    "Problem",
    "Location",
    "Severity",
    "ValidationReport",
    "SurveyToolkitError",
    "InstrumentError",
    "LoadError",
    "DataError",
    "SpecError",
    "DesignError",
    "EstimationError",
    "WeightError",
    *_LAZY,
    "compute",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:  # a submodule (``survey_toolkit.quality``), imported on first use too
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """``survey_toolkit.compute`` stays the function when the ``survey_toolkit.compute`` module is imported
    (the import system binds a submodule on its package; the function of the same name wins)."""

    @property
    def compute(self) -> Any:
        return importlib.import_module(".compute", __name__).compute

    @compute.setter
    def compute(self, value: Any) -> None:  # the submodule being bound: keep the function
        pass


sys.modules[__name__].__class__ = _Package
