"""The tidy dataset every loader produces.

A :class:`SurveyData` holds one row per respondent in ``.frame`` (columns named by question name),
repeat groups as linked child tables in ``.children``, per-variable metadata in ``.variables`` and
the problems found while loading in ``.problems``. Column conventions (documented in
``docs/data-model.md``):

- question ``q`` -> column ``q``; select_one as a pandas Categorical of canonical string codes
  (``"1"``, ``"98"``) whose categories are the form's choice codes in form order;
- select_multiple ``q`` -> ``q`` (the raw space-separated codes, string) plus one nullable boolean
  column ``q/<code>`` per choice of the list (``<NA>`` when the question was not answered);
- geopoint ``g`` -> ``g`` (raw) plus ``g/latitude``, ``g/longitude``, ``g/altitude``, ``g/precision``;
- integers and decimals numeric (``Int64`` / ``Float64``-compatible), dates and date-times parsed;
- metadata columns start with ``_``: ``_record_id`` (stable submission id), ``_submission_id``,
  ``_source_file``, ``_source_format``, ``_source_row`` (spreadsheet-style row in the source, header =
  row 1), ``_form_version``, ``_submission_time``;
- don't know / refused stay as their codes (98, 99): the indicator layer decides what they mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from ..errors import ValidationReport
from ..instrument import Instrument

__all__ = ["VariableMeta", "SurveyData"]


@dataclass(frozen=True)
class VariableMeta:
    """What is known about one column: its question, labels and codes."""

    name: str
    type: str
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    value_labels: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    missing_codes: tuple[str, ...] = ()
    question: str | None = None


@dataclass(frozen=True)
class SurveyData:
    """One loaded round (or several concatenated): the tidy frame plus metadata."""

    frame: pd.DataFrame
    instrument: Instrument | None = None
    children: Mapping[str, pd.DataFrame] = field(default_factory=lambda: MappingProxyType({}))
    variables: Mapping[str, VariableMeta] = field(default_factory=lambda: MappingProxyType({}))
    extra: pd.DataFrame | None = None
    problems: ValidationReport = field(default_factory=ValidationReport)
    source: str | None = None
    format: str | None = None
