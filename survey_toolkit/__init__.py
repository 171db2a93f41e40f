"""survey_toolkit: community safety perception surveys, from export to comparable indicators.

The public API is listed in ``__all__``; everything else is reached through its module.
"""

from __future__ import annotations

import logging

from .design import Design
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
from .estimation import (
    Regression,
    compare,
    compare_independent,
    crosstab_test,
    estimate,
    regression,
    wald_test,
)
from .instrument import Choice, ChoiceList, Group, Instrument, Question, read_instrument
from .io.base import SurveyData, VariableMeta
from .io.load import load

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "__version__",
    # design-based estimation
    "Design",
    "estimate",
    "compare",
    "compare_independent",
    "crosstab_test",
    "regression",
    "wald_test",
    "Regression",
    # instrument
    "read_instrument",
    "Instrument",
    "Question",
    "Choice",
    "ChoiceList",
    "Group",
    # data
    "load",
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

# indicators defined in YAML (issue 5)
from .compute import compute  # noqa: E402
from .spec import IndicatorSpec, load_indicators, validate_indicators  # noqa: E402

__all__ += ["load_indicators", "validate_indicators", "IndicatorSpec", "compute"]

# data-quality checks (issue 2, deliverable 6)
from .quality import QualityReport, apply_exclusions, check_quality  # noqa: E402

__all__ += ["check_quality", "apply_exclusions", "QualityReport"]

# weighting (issue 4)
from .weighting import (  # noqa: E402
    Margins,
    Weighted,
    WeightingReport,
    adjust_nonresponse,
    base_weights,
    calibrate,
    post_stratify,
    rake,
    read_margins,
    trim,
    weight_diagnostics,
)

__all__ += [
    "base_weights",
    "adjust_nonresponse",
    "post_stratify",
    "rake",
    "calibrate",
    "trim",
    "read_margins",
    "weight_diagnostics",
    "Margins",
    "Weighted",
    "WeightingReport",
]

# reporting rules and round comparisons (issue 6); the writers live in survey_toolkit.report
from .comparison import compare_rounds  # noqa: E402
from .disclosure import ReportingRules, apply_rules  # noqa: E402

__all__ += ["apply_rules", "ReportingRules", "compare_rounds"]

# the project file (issue 6); the workflow itself is survey_toolkit.pipeline
from .project import Project, load_project  # noqa: E402

__all__ += ["load_project", "Project"]
