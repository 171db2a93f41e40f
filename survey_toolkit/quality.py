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
``duplicate-row``             flagged    every answer identical to an earlier row
``no-consent``                excluded   consent not "yes" (2 / no) or missing
``under-age``                 excluded   age below ``min_age`` (18)
``too-short``                 flagged    consenting interview shorter than ``min_duration`` min
``bad-duration``              flagged    interview ends before it starts
``value-not-in-choices``      flagged    a select answer that is not a code of its choice list
``constraint-violated``       flagged    an answer that breaks the question's constraint
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

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .codes import canonical_code, display_value, looks_like_code
from .errors import Location, Problem, Severity, ValidationReport
from .expressions import (
    Columns,
    Condition,
    ConditionSyntaxError,
    UnsupportedExpression,
    evaluate_on,
    parse_xlsform,
    unsupported,
)
from .instrument import Instrument, Question
from .io.base import SurveyData

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
#: Age questions looked for, in order, when ``age_question`` is not given.
AGE_QUESTIONS: tuple[str, ...] = ("a2_age", "resp_age", "respondent_age", "age")

#: Columns of :attr:`QualityReport.issues`.
ISSUE_COLUMNS: tuple[str, ...] = (
    "check", "severity", "action", "record_id", "source_file", "source_row", "frame_index",
    "column", "value", "message", "table",
)  # fmt: skip

_SAFE_VALUE_TYPES = frozenset(
    {
        "select_one",
        "select_multiple",
        "rank",
        "integer",
        "decimal",
        "range",
        "date",
        "dateTime",
        "time",
        "start",
        "end",
        "today",
    }
)
_NOT_EXPORTED = frozenset({"note", "audit", "background-audio", "xml-external", "csv-external"})
_PLATFORM_METADATA = frozenset(
    {
        "KEY", "PARENT_KEY", "SubmissionDate", "SubmitterID", "SubmitterName", "AttachmentsPresent",
        "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion",
        "instanceID", "instanceName", "meta-instanceID", "meta/instanceID", "meta-instanceName",
        "meta/instanceName", "meta/rootUuid", "meta-rootUuid", "meta/deprecatedID", "meta-deprecatedID",
        "formhub/uuid", "__version__", "uuid", "index", "interview__id", "interview__key",
    }
)  # fmt: skip
_PLATFORM_METADATA_LOWER = frozenset(
    {c.lower() for c in _PLATFORM_METADATA}
    | {"sssys_irnd", "has__errors", "interview__status", "assignment__id", "meta_instanceid", "meta_rootuuid",
       "rootuuid"}
)  # fmt: skip
_YES_CODES = ("1", "yes", "y", "oui", "si", "sí")


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


# --------------------------------------------------------------------------- issue construction


def _empty_issues() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ISSUE_COLUMNS})


_META = ("_record_id", "_source_file", "_source_row")


def _fill(template: str, shown: pd.Series | None) -> pd.Series | str:
    """``template`` with ``{value}`` replaced by each shown value (only the affected rows)."""
    if shown is None or "{value}" not in template:
        return template
    head, tail = template.split("{value}", 1)
    return (head + shown.fillna("missing") + tail).astype("object")


def _issues(
    frame: pd.DataFrame,
    mask: pd.Series,
    check: str,
    action: str,
    message: str,
    column: str | None = None,
    value: pd.Series | None = None,
    *,
    show_value: bool = True,
    severity: Severity = Severity.WARNING,
    metadata_value: bool = False,
) -> pd.DataFrame | None:
    """The issue rows for the records of ``frame`` where ``mask`` is True (None when there are none).

    ``message`` may hold ``{value}``, filled with the record's value; ``show_value=False`` keeps the
    value out of the ``value`` column (it is still used in the message only when it is safe).
    Answers are shown only when they look like a choice code or a plausible number (else
    ``<text, N characters>``); ``metadata_value=True`` shows platform metadata (form version) as is.
    """
    keep = np.asarray(pd.Series(mask).fillna(False), dtype=bool)
    if not keep.any():
        return None
    meta = frame[[c for c in _META if c in frame.columns]][keep]
    picked = None if value is None else pd.Series(value).loc[keep]
    if picked is None:
        shown = None
    elif metadata_value:
        shown = picked.astype("string")
    else:
        shown = _per_distinct(picked, _display).astype("string")
    out = pd.DataFrame(
        {
            "check": check,
            "severity": severity.value,
            "action": action,
            "record_id": meta["_record_id"].astype("object") if "_record_id" in meta else None,
            "source_file": _base_names(meta["_source_file"]) if "_source_file" in meta else None,
            "source_row": meta["_source_row"].astype("object") if "_source_row" in meta else None,
            "frame_index": meta.index.to_numpy(),
            "column": column,
            "value": shown.astype("object").where(shown.notna(), None)
            if shown is not None and show_value
            else None,
            "message": _fill(message, shown),
            "table": None,
        },
        index=meta.index,
    )
    return out.reset_index(drop=True)[list(ISSUE_COLUMNS)]


def _dataset_issue(
    check: str, severity: Severity, action: str, message: str, column: str | None = None
) -> pd.DataFrame:
    row = dict.fromkeys(ISSUE_COLUMNS)
    row.update(check=check, severity=severity.value, action=action, column=column, message=message)
    return pd.DataFrame([row], columns=list(ISSUE_COLUMNS))


def _not_checked(what: str, why: str, column: str | None = None) -> pd.DataFrame:
    return _dataset_issue("not-checked", Severity.INFO, "not checked", f"{what} not checked: {why}", column)


def _action(check: str, exclude: Collection[str]) -> str:
    return "excluded" if check in exclude else "flagged"


# ---------------------------------------------------------------------------------- the checks


@dataclass(frozen=True)
class _Context:
    data: SurveyData
    frame: pd.DataFrame
    instrument: Instrument | None
    exclude: frozenset[str]

    def question(self, name: str) -> Question | None:
        if self.instrument is None:
            return None
        return self.instrument.by_name.get(name)

    def issues(
        self,
        mask: pd.Series,
        check: str,
        message: str,
        column: str | None = None,
        value: pd.Series | None = None,
        *,
        table: str | None = None,
        frame: pd.DataFrame | None = None,
        **kw: Any,
    ) -> pd.DataFrame | None:
        """Findings for the main frame, or for a repeat table (always flagged: exclusions act on records)."""
        action = _action(check, self.exclude) if table is None else "flagged"
        found = _issues(
            self.frame if frame is None else frame, mask, check, action, message, column, value, **kw
        )
        if found is not None and table is not None:
            found["table"] = table
            found["source_file"] = _base_names(found["source_file"].fillna(self.data.source))
        return found


_SUBMISSION_ID_COLUMNS = frozenset(
    {"_submission_id", "_uuid", "instanceID", "meta/instanceID", "meta-instanceID"}
)


def _duplicates(ctx: _Context, id_columns: Sequence[str]) -> list[pd.DataFrame | None]:
    out = []
    seen: list[pd.Series] = []
    for column in id_columns:
        ids = _id_series(ctx, column)
        if ids is None or any(ids.astype("string").equals(s) for s in seen):
            continue  # absent, or the same ids as a column already checked (no double report)
        seen.append(ids.astype("string"))
        dup = ids.notna() & ids.duplicated(keep="first")
        check = "duplicate-submission-id" if column in _SUBMISSION_ID_COLUMNS else "duplicate-record-id"
        first = _first_row(ctx.frame, ids.astype("string"), dup)
        msg = f"same id in '{column}' as row {{value}}, which is kept; this copy is a duplicate submission"
        out.append(ctx.issues(dup, check, msg, column, first, show_value=False, metadata_value=True))
    answers = [c for c in ctx.frame.columns if not str(c).startswith("_")]
    if answers:
        # one 64-bit hash per row (collisions ~2**-64), then duplicated(): 3x faster than frame.duplicated
        hashes = pd.util.hash_pandas_object(ctx.frame[answers], index=False)
        same = hashes.duplicated(keep="first")
        first = _first_row(ctx.frame, pd.Series(hashes.to_numpy(), index=ctx.frame.index), same)
        msg = (
            "every answer is identical to row {value} (possibly the same interview submitted twice): "
            "check with the field team"
        )
        out.append(ctx.issues(same, "duplicate-row", msg, value=first, show_value=False, metadata_value=True))
    return out


def _first_row(frame: pd.DataFrame, keys: pd.Series, dup: pd.Series) -> pd.Series | None:
    """Per row, the source row of the first row sharing its key (``_source_row``, else the frame index)."""
    if not bool(np.asarray(dup.fillna(False), dtype=bool).any()):
        return None
    rows = (
        frame["_source_row"] if "_source_row" in frame.columns else pd.Series(frame.index, index=frame.index)
    )
    return rows.groupby(keys.to_numpy(), sort=False, dropna=False).transform("first")


def _id_series(ctx: _Context, column: str) -> pd.Series | None:
    if column in ctx.frame.columns:
        return ctx.frame[column]
    extra = ctx.data.extra
    if extra is not None and column in extra.columns and len(extra) == len(ctx.frame):
        return pd.Series(extra[column].to_numpy(), index=ctx.frame.index)
    return None


def _consent(ctx: _Context, consent_question: str | None) -> list[pd.DataFrame | None]:
    q = ctx.question(consent_question) if consent_question else None
    if q is None:
        return []
    if q.name not in ctx.frame.columns:
        return [_not_checked("consent", f"the question '{q.name}' is not in the export", q.name)]
    choices = ctx.instrument.choices_for(q)
    codes = choices.codes if choices else ()
    yes = next((c for c in _YES_CODES if c in codes), "1")
    answer = _canonical(ctx.frame[q.name])
    bad = _no_consent(ctx, consent_question)
    msg = f"consent is '{{value}}' (only '{yes}' = yes is consent)"
    return [ctx.issues(bad, "no-consent", msg, q.name, answer)]


def _no_consent(ctx: _Context, consent_question: str | None) -> pd.Series:
    """True for the rows without consent (False everywhere when the form has no consent question)."""
    q = ctx.question(consent_question) if consent_question else None
    if q is None or q.name not in ctx.frame.columns:
        return pd.Series(False, index=ctx.frame.index)
    choices = ctx.instrument.choices_for(q)
    codes = choices.codes if choices else ()
    yes = next((c for c in _YES_CODES if c in codes), "1")
    answer = _canonical(ctx.frame[q.name])
    return (answer.isna() | (answer != yes)).astype(bool)


def _age(ctx: _Context, age_question: str | None, min_age: float) -> list[pd.DataFrame | None]:
    name = age_question or next((n for n in AGE_QUESTIONS if ctx.question(n) is not None), None)
    if name is None or name not in ctx.frame.columns:
        why = "no age question found" if name is None else f"the column '{name}' is not in the export"
        return [_not_checked("respondent age", why + " (set age_question=)", name)]
    age = pd.to_numeric(ctx.frame[name], errors="coerce")
    msg = f"'{name}' is {{value}}, below the minimum age {min_age:g}"
    return [ctx.issues(age < min_age, "under-age", msg, name, age)]


def _utc(frame: pd.DataFrame, column: str) -> pd.Series:
    """``column`` as naive UTC when it is time-zone aware or a ``<column>/utc_offset`` sits beside it."""
    t = pd.to_datetime(frame[column], errors="coerce")
    if getattr(t.dt, "tz", None) is not None:
        return t.dt.tz_convert("UTC").dt.tz_localize(None)
    offset = f"{column}/utc_offset"
    if offset in frame.columns:
        minutes = pd.to_numeric(frame[offset], errors="coerce").fillna(0).astype("float64")
        t = t - pd.to_timedelta(minutes, unit="m")
    return t


def _duration(
    ctx: _Context, min_duration: float | None, no_consent: pd.Series | None = None
) -> list[pd.DataFrame | None]:
    """Too-short and negative interviews; rows without consent are not checked for being short
    (a refusal takes two minutes by nature, and ``no-consent`` already lists them)."""
    if min_duration is None:
        return []
    if not {"start", "end"} <= set(ctx.frame.columns):
        return [_not_checked("interview duration", "the export has no 'start' and 'end' columns")]
    empty = [c for c in ("start", "end") if ctx.frame[c].isna().all()]
    if empty:
        return [_not_checked("interview duration", f"the column '{empty[0]}' is empty in the export")]
    minutes = ((_utc(ctx.frame, "end") - _utc(ctx.frame, "start")).dt.total_seconds() / 60.0).round(1)
    short = (minutes >= 0) & (minutes < min_duration)
    if no_consent is not None:
        short &= ~no_consent
    return [
        ctx.issues(
            short,
            "too-short",
            f"interview lasted {{value}} min, less than {min_duration:g} min: check it with the field team",
            "start",
            minutes,
            metadata_value=True,  # a computed duration, not an answer
        ),
        ctx.issues(
            minutes < 0,
            "bad-duration",
            "interview ends before it starts ({value} min)",
            "start",
            minutes,
            metadata_value=True,
        ),
    ]


def _unique_rows(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct rows of ``frame[columns]`` and, per row of ``frame``, the position of its distinct row.

    Checks run on the distinct values only (few: codes, ages) and are spread back with one take.
    """
    keys = frame[list(columns)]
    hashes = pd.util.hash_pandas_object(keys, index=False).to_numpy()
    codes, _ = pd.factorize(hashes)
    first = np.unique(codes, return_index=True)[1]
    return keys.iloc[first], codes


def _per_distinct(values: pd.Series, func: Callable[[Any], str | None]) -> pd.Series:
    """``func`` applied once per distinct value of ``values`` and spread back (string dtype, NA kept)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = pd.array([func(u) for u in uniques] + [None], dtype="string")  # distinct values only
    return pd.Series(mapped[codes], index=values.index)


def _display(value: Any) -> str | None:
    """A finding's value as it may be shown: code-like tokens as they are, anything else hidden.

    Space-separated codes (select_multiple) are shown when every token looks like a code; names,
    phone numbers, dates and other text become ``<text, N characters>`` (never the text itself).
    """
    if canonical_code(value) is None:
        return None
    tokens = str(value).split() if isinstance(value, str) else []
    if len(tokens) > 1 and all(looks_like_code(t) for t in tokens):
        return " ".join(tokens)
    return display_value(value)


def _canonical(values: pd.Series) -> pd.Series:
    """``values`` as canonical code strings (``1.0`` -> ``"1"``)."""
    return _per_distinct(values, canonical_code)


def _bad_codes(raw: pd.Series, codes: Collection[str], multiple: bool = True) -> pd.Series:
    """Per row, the codes of an answer that are not in ``codes`` (space-joined), or NA when all are."""
    allowed = set(codes)

    def bad(value: Any) -> str | None:
        text = canonical_code(value)
        parts = (text.split() if multiple else [text]) if text else []
        return " ".join(p for p in parts if canonical_code(p) not in allowed) or None

    return _per_distinct(raw, bad)


def _tables_for(ctx: _Context, q: Question) -> tuple[str | None, pd.DataFrame] | None:
    """The table holding ``q``'s answers: (None, main frame) or (repeat name, child table); None if absent."""
    if q.repeat is None:
        return (None, ctx.frame) if q.name in ctx.frame.columns else None
    child = ctx.data.children.get(q.repeat)
    return (q.repeat, child) if child is not None and q.name in child.columns else None


def _choices(ctx: _Context) -> list[pd.DataFrame | None]:
    out = []
    for q in ctx.instrument.leaves if ctx.instrument else ():  # per question, never per row
        cl = ctx.instrument.choices_for(q)
        found = _tables_for(ctx, q) if cl is not None else None
        if found is None:
            continue
        table, frame = found
        answer = frame[q.name]
        if q.is_select_multiple:
            value = _bad_codes(answer, cl.codes)
            bad = value.notna()
        elif isinstance(answer.dtype, pd.CategoricalDtype):
            unknown = [c for c in answer.cat.categories if canonical_code(c) not in cl.codes]
            bad, value = answer.isin(unknown), answer
        else:
            value = _bad_codes(answer, cl.codes, multiple=False)
            bad = value.notna()
        msg = f"'{q.name}' has code(s) '{{value}}' that are not in the list '{cl.name}'"
        out.append(ctx.issues(bad, "value-not-in-choices", msg, q.name, value, table=table, frame=frame))
    return out


def _constraints(ctx: _Context) -> list[pd.DataFrame | None]:
    out = []
    for q in ctx.instrument.leaves if ctx.instrument else ():  # per question, never per row
        found = _tables_for(ctx, q) if q.constraint else None
        if found is None:
            continue
        table, frame = found
        try:
            ok = evaluate_constraint(parse_constraint(q.constraint), frame, q.name, ctx.instrument)
        except UnsupportedExpression as exc:
            row = f" (form survey sheet, row {q.row})" if q.row else ""
            out.append(_not_checked(f"constraint of '{q.name}'{row}", exc.message, q.name))
            continue
        current = frame[q.name]
        broken = ok.eq(False).fillna(False) & current.notna()
        where = {"table": table, "frame": frame}
        says = _constraint_message(q)
        if q.type in _SAFE_VALUE_TYPES:
            msg = f"'{q.name}' = '{{value}}' breaks the constraint '{q.constraint}'{says}"
            out.append(ctx.issues(broken, "constraint-violated", msg, q.name, current, **where))
        else:  # free text: never shown
            msg = f"the answer to '{q.name}' breaks the constraint '{q.constraint}'{says}"
            out.append(ctx.issues(broken, "constraint-violated", msg, q.name, **where))
    return out


def _constraint_message(q: Question) -> str:
    """`` (the form says: ...)`` from the question's constraint message, in its first language."""
    messages = [str(m).strip() for m in (q.constraint_message or {}).values() if m and str(m).strip()]
    return f" (the form says: {messages[0]})" if messages else ""


def _versions(ctx: _Context) -> list[pd.DataFrame | None]:
    if "_form_version" not in ctx.frame.columns:
        return []
    version = ctx.frame["_form_version"].astype("string")
    counts = version.value_counts()
    if len(counts) < 2:
        return []
    form_version = ctx.instrument.version if ctx.instrument else None
    reference = form_version if form_version in counts.index else counts.index[0]
    listing = ", ".join(f"'{v}' ({n})" for v, n in counts.items())
    msg = f"collected with form version '{{value}}', not '{reference}' (versions: {listing})"
    other = version.notna() & (version != reference)
    return [ctx.issues(other, "several-form-versions", msg, "_form_version", version, metadata_value=True)]


def _coverage(ctx: _Context) -> list[pd.DataFrame | None]:
    out = []
    if ctx.instrument is not None:
        expected = [
            q.name for q in ctx.instrument.leaves
            if q.repeat is None and q.type not in _NOT_EXPORTED and not (q.path and q.path[0] == "meta")
        ]  # fmt: skip
        present = set(ctx.frame.columns) - _reported_missing(ctx.data)
        out += [
            _dataset_issue("question-not-in-export", Severity.WARNING, "flagged",
                           f"form question '{n}' has no column in the export", n)
            for n in dict.fromkeys(expected) if n not in present
        ]  # fmt: skip
    extra = ctx.data.extra
    if extra is not None:
        known = _spellings(ctx.instrument) if ctx.instrument is not None else set()
        cols = [str(c) for c in extra.columns if not _is_metadata_column(str(c)) and str(c) not in known]
        out += [
            _dataset_issue("column-not-in-form", Severity.WARNING, "flagged",
                           f"export column '{c}' is not a question of the form (kept in SurveyData.extra)", c)
            for c in cols if not c.endswith("_URL")
        ]  # fmt: skip
    return out


def _spellings(instrument: Instrument) -> set[str]:
    """Header spellings of every form element (notes and audit included: exports may carry them)."""
    names: set[str] = set()
    for q in instrument.questions:
        names.add(q.name)
        names.update(sep.join(q.full_path) for sep in ("/", "-", ".", ":"))
    return names


#: The loaders' code (every reader) for form questions absent from the export.
_MISSING_CODE = "questions-missing-from-export"


def _reported_missing(data: SurveyData) -> set[str]:
    """Questions the loader found missing from the export (it keeps them as empty columns)."""
    found: set[str] = set()
    for p in data.problems:
        if p.code == _MISSING_CODE and p.got:
            found.update(n.strip() for n in p.got.split(","))
    return found


def _is_metadata_column(name: str) -> bool:
    lower = name.lower()
    return name.startswith(("_", "X_")) or lower in _PLATFORM_METADATA_LOWER or name.endswith("_URL")


def _base_names(paths: pd.Series) -> pd.Series:
    """File base names (no folders): outputs never carry machine paths. NA stays missing."""
    text = paths.astype("string").str.replace(r"^.*[\\/]", "", regex=True)
    return text.astype("object").where(text.notna(), None)


def _by_source(frame: pd.DataFrame, issues: pd.DataFrame) -> pd.DataFrame:
    round_key = next((c for c in ("round", "survey_round") if c in frame.columns), None)
    keys = [c for c in ("_source_file", round_key) if c is not None and c in frame.columns]
    if not keys:
        return pd.DataFrame({"rows": [len(frame)]})
    groups = frame[keys].astype("string").fillna("(none)")
    if "_source_file" in groups:
        groups["_source_file"] = _base_names(groups["_source_file"]).astype("string")
    rows = groups.value_counts(sort=False).rename("rows")
    main = issues[issues["table"].isna()]  # findings in repeat tables index the child rows
    flagged_idx = main.loc[main["action"] == "flagged", "frame_index"].dropna().unique()
    excluded_idx = main.loc[main["action"] == "excluded", "frame_index"].dropna().unique()
    flagged = groups[frame.index.isin(flagged_idx)].value_counts(sort=False).rename("flagged")
    excluded = groups[frame.index.isin(excluded_idx)].value_counts(sort=False).rename("excluded")
    out = pd.concat([rows, flagged, excluded], axis=1).fillna(0).astype(int).reset_index()
    return out.rename(columns={"_source_file": "source_file", "survey_round": "round"})


def _without_missing_codes(data: SurveyData) -> pd.DataFrame:
    """The frame with declared missing codes (SPSS user-missing such as -99) set to NA for the checks."""
    declared = {
        n: v.missing_codes for n, v in data.variables.items() if v.missing_codes and n in data.frame.columns
    }
    if not declared:
        return data.frame
    frame = data.frame.copy(deep=False)
    for name, codes in declared.items():  # per declared column, not per row
        column = frame[name]
        frame[name] = column.mask(_canonical(column).isin(codes))
    return frame


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


# ------------------------------------------------------------------------- constraint language
# The parser and evaluator are survey_toolkit.expressions (one implementation for forms and
# indicators); these wrappers keep the names this module exported (deprecated for one release).


class _Legacy(tuple):
    """:func:`parse_constraint`'s result: the old tuple form, carrying the parsed expression."""

    condition: Condition


def parse_constraint(text: str) -> tuple:
    """Parse an XLSForm constraint (or relevant) expression (deprecated: use
    :func:`survey_toolkit.expressions.parse_xlsform`).

    Returns the expression as nested tuples (``("bin", op, left, right)``, ``("lit", value)``,
    ``("dot",)``, ``("ref", name)``, ``("call", name, args)``, ``("neg", x)``). A syntax error or a
    function the checks do not evaluate raises :class:`UnsupportedExpression`.

    >>> parse_constraint(". >= 18 and . <= 110")
    ('bin', 'and', ('bin', '>=', ('dot',), ('lit', 18.0)), ('bin', '<=', ('dot',), ('lit', 110.0)))
    """
    condition = _parse_checked(text)
    out = _Legacy(_as_tuple(condition.ast))
    out.condition = condition
    return out


def _parse_checked(text: str) -> Condition:
    """The parsed expression, or :class:`UnsupportedExpression` saying why it cannot be evaluated."""
    try:
        condition = parse_xlsform(text)
    except ConditionSyntaxError as exc:
        raise UnsupportedExpression(
            f"{exc.message} (at character {exc.offset + 1})", exc.offset, exc.hint
        ) from None
    problem = unsupported(condition)
    if problem is not None:
        raise problem
    return condition


def _as_tuple(node) -> tuple:
    """The old nested-tuple form of an expression node (chains become left-nested binary tuples)."""
    from .expressions import syntax as x

    if isinstance(node, x.Literal):
        return ("lit", node.value)
    if isinstance(node, x.Current):
        return ("dot",)
    if isinstance(node, x.Ref):
        return ("ref", node.name)
    if isinstance(node, x.Neg):
        return ("neg", _as_tuple(node.operand))
    if isinstance(node, x.Call):
        return ("call", node.func, tuple(_as_tuple(a) for a in node.args))
    if isinstance(node, x.Compare):
        return ("bin", node.op, _as_tuple(node.left), _as_tuple(node.right))
    if isinstance(node, x.IsMissing):
        return ("bin", "!=" if node.negated else "=", _as_tuple(node.question), ("lit", ""))
    if isinstance(node, (x.BoolOp, x.Arith)):
        ops = (node.op,) * (len(node.operands) - 1) if isinstance(node, x.BoolOp) else node.ops
        out = _as_tuple(node.operands[0])
        for op, operand in zip(ops, node.operands[1:], strict=True):
            out = ("bin", op, out, _as_tuple(operand))
        return out
    raise UnsupportedExpression(f"'{node}' is not supported")  # pragma: no cover


def evaluate_constraint(
    tree: tuple | Condition | str, frame: pd.DataFrame, current: str, instrument: Instrument | None = None
) -> pd.Series:
    """Evaluate an XLSForm expression on every row of ``frame`` with ``.`` = the column ``current``.

    ``tree`` is an expression (text), a parsed :class:`~survey_toolkit.expressions.Condition` or
    :func:`parse_constraint`'s result. Returns a nullable boolean Series: True (satisfied), False
    (broken) or <NA> (cannot tell, for example when a referenced answer is missing). Vectorised:
    evaluated once per distinct combination of the columns it reads.
    """
    condition = _condition_of(tree)
    columns = list(dict.fromkeys([current, *(r.name for r in condition.references())]))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UnsupportedExpression(f"it refers to '{missing[0]}', which is not a column of the main table")
    distinct, where = _unique_rows(frame, columns)
    distinct = distinct.reset_index(drop=True)
    kinds = _kinds(instrument, columns)
    result = evaluate_on(condition, Columns(distinct, kinds), current=current)
    return pd.Series(result.array[where], index=frame.index)


def _condition_of(tree: tuple | Condition | str) -> Condition:
    if isinstance(tree, Condition):
        return tree
    if isinstance(tree, str):
        return _parse_checked(tree)
    condition = getattr(tree, "condition", None)
    if condition is None:
        raise UnsupportedExpression("pass the expression text or parse_constraint()'s result")
    return condition


def _kinds(instrument: Instrument | None, columns: Sequence[str]) -> dict[str, str]:
    """Question kinds from the form (numeric, select_one, select_multiple, text) for ``columns``."""
    if instrument is None:
        return {}
    from .indicators.semantics import instrument_kinds

    kinds = instrument_kinds(instrument)
    return {c: kinds[c] for c in columns if c in kinds}
