"""survey_toolkit: community safety perception surveys, from export to comparable indicators.

The public API is listed in ``__all__``; everything else is reached through its module.
"""

from __future__ import annotations

import logging

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
from .instrument import Choice, ChoiceList, Group, Instrument, Question, read_instrument
from .io.base import SurveyData, VariableMeta

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "__version__",
    # instrument
    "read_instrument",
    "Instrument",
    "Question",
    "Choice",
    "ChoiceList",
    "Group",
    # data
    "SurveyData",
    "VariableMeta",
    # problems and errors
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
]
