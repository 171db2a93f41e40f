"""Moved to :mod:`survey_toolkit.results` (``from_compute`` is now ``reporting_table``); kept for one release."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._compat import deprecated
from ..results import MISSING_LEVEL, group_labels_from_instrument, labels_from_indicators, reporting_table

__all__ = ["from_compute", "labels_from_indicators", "group_labels_from_instrument", "MISSING_LEVEL"]

deprecated("survey_toolkit.report.adapt", "survey_toolkit.results (or compare_rounds/report.render on compute() output)")


def from_compute(results: pd.DataFrame, **options: Any) -> pd.DataFrame:
    """The old name of :func:`survey_toolkit.results.reporting_table`."""
    deprecated("survey_toolkit.report.adapt.from_compute", "survey_toolkit.reporting_table")
    return reporting_table(results, **options)
