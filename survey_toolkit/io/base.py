"""The tidy dataset every loader produces, and the raw tables format readers hand to the tidy step.

A :class:`SurveyData` holds one row per respondent in ``.frame`` (columns named by question name),
repeat groups as linked child tables in ``.children``, per-variable metadata in ``.variables``, the
export columns that are not form questions in ``.extra`` and the problems found while loading in
``.problems``. Column conventions (full reference: ``docs/data-model.md``):

- question ``q`` -> column ``q``; select_one as a pandas Categorical of canonical string codes
  (``"1"``, ``"98"``, ``"yes"``) whose categories are the form's choice codes in form order (codes
  found in the data but not in the form are appended after them and reported);
- select_multiple ``q`` -> ``q`` (the space-separated codes, ``string`` dtype) plus one nullable
  boolean column ``q/<code>`` per choice of the form's list, in form order (``<NA>`` when the question
  was not answered or skipped);
- geopoint ``g`` -> ``g`` (``"lat lon [alt [acc]]"``) plus ``Float64`` columns ``g/latitude``,
  ``g/longitude``, ``g/altitude``, ``g/precision``;
- integer -> ``Int64``; decimal/range -> ``Float64``; date -> ``datetime64[ns]`` (midnight);
  dateTime/start/end -> ``datetime64[ns]`` local wall-clock time plus ``q/utc_offset`` (``Int64``
  minutes east of UTC, ``<NA>`` when the export did not carry it); everything else ``string``;
- metadata columns start with ``_``: ``_record_id`` (stable submission id), ``_submission_id``
  (id of this version of the submission), ``_submission_time`` (UTC), ``_form_version``,
  ``_review_status``, ``_submitted_by``, ``_source_file``, ``_source_format``, ``_source_row``
  (spreadsheet-style row in the source, header = row 1);
- child tables (repeats) carry ``_record_id`` (the parent submission's id: the link),
  ``_parent_key`` (the enclosing repeat row's ``_key`` for nested repeats, else the record id),
  ``_key`` (``<parent key>/<repeat>[n]``, Central's KEY) and ``_source_row``;
- don't know / refused stay as their codes (98, 99): the indicator layer decides what they mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from ..errors import Problem, ValidationReport
from ..instrument import Instrument

__all__ = [
    "VariableMeta",
    "SurveyData",
    "RawTable",
    "RawExport",
    "METADATA_COLUMNS",
    "CHILD_METADATA_COLUMNS",
]

#: Metadata columns of every root frame, in this order, after the question columns.
METADATA_COLUMNS: tuple[str, ...] = (
    "_record_id",
    "_submission_id",
    "_submission_time",
    "_form_version",
    "_review_status",
    "_submitted_by",
    "_source_file",
    "_source_format",
    "_source_row",
)

#: ``_record_id`` of a row whose id cells are blank in an export that has ids: ``blank-id:<file>:row-<row>``
#: (its own respondent, never merged with another; listed by ``check_quality`` as ``blank-record-id``).
BLANK_ID_PREFIX = "blank-id:"

#: Metadata columns of every child (repeat) table, before its question columns.
CHILD_METADATA_COLUMNS: tuple[str, ...] = ("_record_id", "_parent_key", "_key", "_source_row")

#: Metadata columns that describe where a row came from (dropped when comparing layouts).
SOURCE_COLUMNS: tuple[str, ...] = ("_source_file", "_source_format", "_source_row")


@dataclass(frozen=True)
class VariableMeta:
    """What is known about one column: its question, labels per language and codes.

    ``labels`` is language -> question label; ``value_labels`` language -> {code: label};
    ``missing_codes`` codes that the source declared as missing (SPSS user-missing);
    ``special_codes`` code -> ``dk`` / ``refused`` / ``not_applicable`` for codes whose value or choice
    label (in any language of the file or form) declares a non-answer (``999 "Decline to answer"``);
    ``question`` the question name the column belongs to (``services`` for ``services/water``).
    """

    name: str
    type: str
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    value_labels: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    missing_codes: tuple[str, ...] = ()
    question: str | None = None
    special_codes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


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

    def labels(self, column: str, language: str | None = None) -> dict[str, str]:
        """code -> label for a select column (or its ``q/<code>`` dummies) in ``language``.

        Falls back to the first language with labels, then to the codes themselves; an unknown
        column gives an empty dict.
        """
        meta = self.variables.get(column)
        if meta is None or not meta.value_labels:
            return {}
        if language and language in meta.value_labels:
            return dict(meta.value_labels[language])
        return dict(next(iter(meta.value_labels.values())))

    def question_label(self, column: str, language: str | None = None) -> str:
        """The question label of ``column`` in ``language`` (falls back to the column name)."""
        meta = self.variables.get(column)
        if meta is None or not meta.labels:
            return column
        if language and language in meta.labels:
            return meta.labels[language]
        return next(iter(meta.labels.values()))

    @property
    def metadata_columns(self) -> list[str]:
        """The ``_``-prefixed metadata columns of ``frame``."""
        return [c for c in self.frame.columns if str(c).startswith("_")]

    @property
    def question_columns(self) -> list[str]:
        """The columns of ``frame`` that hold answers (everything but metadata)."""
        return [c for c in self.frame.columns if not str(c).startswith("_")]

    @property
    def select_multiple_columns(self) -> dict[str, list[str]]:
        """select_multiple question -> its ``q/<code>`` boolean columns, in form order."""
        out: dict[str, list[str]] = {}
        for name, meta in self.variables.items():
            if meta.type == "select_multiple" and meta.question and name != meta.question:
                out.setdefault(meta.question, []).append(name)
        return out

    @property
    def record_ids(self) -> pd.Series:
        """The stable submission ids (``_record_id``)."""
        return self.frame["_record_id"]


@dataclass(frozen=True)
class RawTable:
    """One table as a format reader found it, before any mapping to the instrument.

    ``frame`` holds the cells (strings, numbers, datetimes, ``None``/``""`` for empty) under the
    header strings exactly as written in the file (they must be unique: readers report duplicates).
    ``name`` is None for the main table, else the repeat's name as the file spells it (sheet name,
    zip member suffix). ``source_rows`` are the spreadsheet-style row numbers (header = row 1) of
    each frame row; None means ``2..n+1``.
    """

    frame: pd.DataFrame
    name: str | None = None
    source_rows: pd.Series | None = None
    sheet: str | None = None
    member: str | None = None


@dataclass(frozen=True)
class RawExport:
    """What a format reader returns: the main table, child tables and the facts it established."""

    main: RawTable
    platform: str
    source_format: str
    source_file: str
    children: tuple[RawTable, ...] = ()
    problems: tuple[Problem, ...] = ()
