"""Data-quality checks on a loaded round: what looks wrong, per record, and what to exclude.

:func:`check_quality` runs every check on a :class:`~survey_toolkit.io.base.SurveyData` and returns
a :class:`QualityReport`: a tidy table with one row per check x affected record (check code,
severity, action, record id, source file and row, column, value where it is safe to show, message)
and a summary per check. :func:`apply_exclusions` removes the records whose check is ``excluded``
and returns the new data plus the exclusion log, so no row is ever dropped silently.

Checks (codes are stable, see ``docs/data-quality.md``):

============================ ========== =====================================================
code                          default    what
============================ ========== =====================================================
``duplicate-record-id``       excluded   same stable id (rootUuid / KEY); the first row is kept
``duplicate-submission-id``   excluded   same submission id (uuid / instanceID); first kept
``blank-record-id``           flagged    no id in an export that has ids (kept as its own record)
``duplicate-row``             flagged    every answer identical to an earlier row
``no-consent``                excluded   consent not "yes" (2 / no) or missing
``under-age``                 excluded   age below ``min_age`` (18)
``too-short``                 flagged    consenting interview shorter than ``min_duration`` min
``bad-duration``              flagged    interview ends before it starts
``value-not-in-choices``      flagged    a select answer that is not a code of its choice list
``constraint-violated``       flagged    an answer that breaks the question's constraint
``answered-when-skipped``     flagged    an answer where the form's relevant skips the question
``several-form-versions``     flagged    the row was collected with another form version
``question-not-in-export``    flagged    a form question with no column in the export
``column-not-in-form``        flagged    an export column that is not a form question
``not-checked``               not checked a check that could not run (no age column, a
                                           constraint outside the supported subset...)
============================ ========== =====================================================

Values are shown only for codes, numbers, dates and durations; never for free text, names or GPS.
Constraints are parsed and evaluated by :mod:`survey_toolkit.expressions` (the one condition language,
never ``eval``); the XLSForm functions it evaluates are listed in ``docs/formats.md``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..errors import Location, Problem, Severity, ValidationReport
from ..expressions import UnsupportedExpression
from ..instrument import Instrument
from ..io.base import SurveyData
from .checks import AGE_QUESTIONS as AGE_QUESTIONS
from .checks import (
    ISSUE_COLUMNS,
    _age,
    _by_source,
    _choices,
    _consent,
    _constraints,
    _Context,
    _coverage,
    _duplicates,
    _duration,
    _empty_issues,
    _no_consent,
    _skip_logic,
    _versions,
    _without_missing_codes,
)
from .constraints import evaluate_constraint, parse_constraint

__all__ = [
    "DEFAULT_EXCLUDED",
    "DEFAULT_MIN_DURATION",
    "DEFAULT_MIN_AGE",
    "ISSUE_COLUMNS",
    "QualityReport",
    "check_quality",
    "apply_exclusions",
    "parse_constraint",
    "evaluate_constraint",
    "UnsupportedExpression",
]

#: Checks whose records :func:`apply_exclusions` removes unless told otherwise.
DEFAULT_EXCLUDED: frozenset[str] = frozenset(
    {"duplicate-record-id", "duplicate-submission-id", "no-consent", "under-age"}
)
#: Interviews shorter than this many minutes are flagged.
DEFAULT_MIN_DURATION: float = 10.0
#: Respondents younger than this are under-age.
DEFAULT_MIN_AGE: int = 18


# ----------------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class QualityReport:
    """The result of :func:`check_quality`.

    ``issues`` has one row per check x affected record (dataset-level findings have no record) with
    the columns :data:`ISSUE_COLUMNS`; ``rows`` the number of records checked; ``by_source`` the
    records per source file (and ``round``, when the data has that column; a form's own
    ``survey_round`` question stands in for it when there is no ``round``).
    """

    issues: pd.DataFrame
    rows: int
    by_source: pd.DataFrame = field(default_factory=pd.DataFrame)
    source: str | None = None

    @property
    def summary(self) -> pd.DataFrame:
        """One row per check: ``check``, ``severity``, ``action``, ``count`` (records or items)."""
        if self.issues.empty:
            return pd.DataFrame(columns=["check", "severity", "action", "count"])
        out = self.issues.groupby(["check", "severity", "action"], sort=False, dropna=False).size()
        return out.rename("count").reset_index()

    @property
    def excluded(self) -> pd.DataFrame:
        """The issue rows whose action is ``excluded`` (one or more per excluded record)."""
        return self.issues[self.issues["action"] == "excluded"]

    @property
    def n_excluded(self) -> int:
        """How many distinct rows of the frame would be excluded."""
        return int(self.excluded["frame_index"].nunique())

    def to_frame(self) -> pd.DataFrame:
        """The issues table (a copy)."""
        return self.issues.copy()

    @property
    def problems(self) -> ValidationReport:
        """One summarised warning (or info) per check, with its count, for the report layers."""
        rows = self.summary.itertuples(index=False)  # one per check: a handful, not per record
        return ValidationReport(tuple(_summary_problem(r, self.source) for r in rows))

    def _repr_html_(self) -> str:
        return self.summary._repr_html_()


def _summary_problem(row: Any, source: str | None) -> Problem:
    severity = Severity(row.severity)
    return Problem(
        row.check,
        f"{row.count} finding(s) of check '{row.check}' ({row.action})",
        Location(file=source),
        severity=severity,
        count=int(row.count),
    )


# ------------------------------------------------------------------------------ the checks (checks.py)


def check_quality(
    data: SurveyData,
    *,
    min_duration: float | None = DEFAULT_MIN_DURATION,
    min_age: float = DEFAULT_MIN_AGE,
    age_question: str | None = None,
    consent_question: str | None = "consent",
    id_columns: Sequence[str] = ("_record_id", "_submission_id"),
    exclude: Collection[str] = DEFAULT_EXCLUDED,
    instrument: Instrument | None = None,
) -> QualityReport:
    """Run every data-quality check on ``data`` and return the findings as a :class:`QualityReport`.

    Args:
        data: the loaded round (``survey_toolkit.load``); its ``instrument`` is used unless
            ``instrument`` is given. Checks that need the form are skipped without one.
        min_duration: interviews shorter than this many minutes (``end - start``) are flagged;
            None turns the check off. Rows without consent are not checked (a refusal is short by
            nature and ``no-consent`` already lists them).
        min_age: respondents younger than this are ``under-age``.
        age_question: the age question; default the first of :data:`AGE_QUESTIONS` in the form.
        consent_question: the consent question (checked only when the form has it); None: off.
        id_columns: id columns checked for duplicates (frame columns, or raw export columns kept
            in ``data.extra`` such as ``KEY`` or ``_uuid``).
        exclude: the check codes whose records :func:`apply_exclusions` removes; every other
            finding is only flagged.

    Example:
        >>> report = check_quality(data, min_duration=15)          # doctest: +SKIP
        >>> report.summary                                        # doctest: +SKIP
        >>> clean, log = apply_exclusions(data, report)           # doctest: +SKIP
    """
    form = instrument or data.instrument
    ctx = _Context(data, _without_missing_codes(data), form, frozenset(exclude))
    parts = [
        *_duplicates(ctx, id_columns),
        *_consent(ctx, consent_question),
        *_age(ctx, age_question, min_age),
        *_duration(ctx, min_duration, _no_consent(ctx, consent_question)),
        *_choices(ctx),
        *_constraints(ctx),
        *_skip_logic(ctx, _no_consent(ctx, consent_question)),
        *_versions(ctx),
        *_coverage(ctx),
    ]
    parts = [p for p in parts if p is not None]
    issues = pd.concat(parts, ignore_index=True) if parts else _empty_issues()
    return QualityReport(
        issues=issues, rows=len(data.frame), by_source=_by_source(data.frame, issues), source=data.source
    )


def apply_exclusions(data: SurveyData, report: QualityReport) -> tuple[SurveyData, pd.DataFrame]:
    """Remove the records the report marks ``excluded``; return the new data and the exclusion log.

    The log has one row per excluded record: ``record_id``, ``source_file``, ``source_row``,
    ``frame_index`` and ``reasons`` (the check codes, ``;``-joined). Child (repeat) rows go with
    their parent when no kept row shares its ``_record_id``. A warning per check, with its count,
    is added to ``data.problems``, so the exclusions travel with the data.
    """
    excluded = report.excluded
    log = (
        excluded.groupby("frame_index", sort=True)
        .agg(
            record_id=("record_id", "first"),
            source_file=("source_file", "first"),
            source_row=("source_row", "first"),
            reasons=("check", lambda s: ";".join(dict.fromkeys(s))),
        )
        .reset_index()
    )
    log = log[["record_id", "source_file", "source_row", "frame_index", "reasons"]]
    drop = data.frame.index.isin(log["frame_index"])
    frame = data.frame.loc[~drop]
    children = _filter_children(data.children, data.frame.loc[drop], frame)
    counts = excluded.groupby("check").size()
    notes = tuple(
        Problem("rows-excluded", f"{n} row(s) excluded by the check '{check}'", Location(file=data.source),
                severity=Severity.WARNING, count=int(n))
        for check, n in counts.items()
    )  # fmt: skip
    return replace(data, frame=frame, children=children, problems=data.problems + notes), log


def _filter_children(
    children: Mapping[str, pd.DataFrame], dropped: pd.DataFrame, kept: pd.DataFrame
) -> Mapping[str, pd.DataFrame]:
    if not children or "_record_id" not in dropped.columns:
        return children
    gone = set(dropped["_record_id"].dropna()) - set(kept["_record_id"].dropna())
    out = {
        name: t[~t["_record_id"].isin(gone)] if "_record_id" in t.columns else t
        for name, t in children.items()
    }
    return MappingProxyType(out)
