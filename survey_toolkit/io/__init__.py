"""Loading survey exports into the tidy :class:`SurveyData`.

``load(path, instrument=...)`` detects the format (KoBoToolbox XLSX/CSV, ODK Central CSV/zip, SPSS,
Stata, plain CSV, Parquet) and returns one tidy dataset; ``tidy_frame`` is the shared typing step
that every reader ends with. See ``docs/data-model.md`` for the column conventions.
"""

from __future__ import annotations

from .base import RawExport, RawTable, SurveyData, VariableMeta
from .load import detect_format, load, read_export, tidy_export
from .tidy import tidy_frame

__all__ = [
    "load",
    "detect_format",
    "read_export",
    "tidy_export",
    "tidy_frame",
    "SurveyData",
    "VariableMeta",
    "RawExport",
    "RawTable",
]
