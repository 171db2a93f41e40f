"""The data-quality checks, one function each: duplicates, consent, age, duration, answers, form, coverage."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..codes import canonical_code, display_value, looks_like_code
from ..errors import Severity
from ..expressions import Columns, UnsupportedExpression
from ..expressions.nodes import Current, walk
from ..instrument import Instrument, Question
from ..io.base import BLANK_ID_PREFIX, SurveyData
from .constraints import evaluate_constraint, parse_constraint

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


def _blank_ids(ctx: _Context) -> pd.DataFrame | None:
    """Rows whose id cells were blank (the loader's ``blank-id:`` record ids): listed, never merged."""
    if "_record_id" not in ctx.frame.columns:
        return None
    blank = ctx.frame["_record_id"].astype("string").str.startswith(BLANK_ID_PREFIX).fillna(False)
    msg = ("the record id is blank in the export: the row is kept as its own respondent; fill the id (download "
           "the export again) or exclude such rows (quality.exclude: [blank-record-id])")  # fmt: skip
    return ctx.issues(blank, "blank-record-id", msg, "_record_id")


def _duplicates(ctx: _Context, id_columns: Sequence[str]) -> list[pd.DataFrame | None]:
    out = [_blank_ids(ctx)]
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


_NOT_ANSWERS = frozenset({"note", "calculate", "start", "end", "today", "deviceid", "username", "audit"})


def _skip_logic(ctx: _Context, no_consent: pd.Series) -> list[pd.DataFrame | None]:
    """Answers where the form's ``relevant`` (with its groups') is false: ODK clears them, so a value
    there means an edited export, another form version or a broken skip. Definite only: a relevant
    that cannot be told (a missing referenced answer) flags nothing, and rows without consent are
    left to ``no-consent``. One ``not-checked`` line lists the questions whose relevant the checks
    cannot evaluate."""
    out: list[pd.DataFrame | None] = []
    skipped: list[str] = []
    cache: dict[str, Any] = {}
    form = ctx.instrument
    for q in form.leaves if form else ():  # per question, never per row
        relevant = form.effective_relevant(q) if q.repeat is None and q.type not in _NOT_ANSWERS else None
        if not relevant or q.name not in ctx.frame.columns:
            continue
        try:
            asked = _asked(relevant, ctx.frame, q.name, form, cache)
        except UnsupportedExpression as exc:
            skipped.append(f"'{q.name}' ({exc.message})")
            continue
        answered = Columns(ctx.frame[[q.name]]).answered(q.name).fillna(False).astype(bool)
        broken = asked.eq(False).fillna(False).astype(bool) & answered & ~no_consent
        msg = f"'{q.name}' is answered although the form skips it here (relevant: {relevant})"
        out.append(ctx.issues(broken, "answered-when-skipped", msg, q.name))
    if skipped:
        listing = "; ".join(skipped[:5]) + (f"; and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        out.append(_not_checked(f"skip logic of {len(skipped)} question(s)", listing))
    return out


def _asked(relevant: str, frame: pd.DataFrame, name: str, form: Instrument, cache: dict[str, Any]) -> pd.Series:
    """``relevant`` evaluated on ``frame`` (``.`` = ``name``), once per distinct expression: the questions
    of a group share their group's relevant, so most are the same text. An expression that reads
    ``.`` is evaluated per question."""
    hit = cache.get(relevant)
    if hit is None:
        try:
            condition = parse_constraint(relevant).condition
        except UnsupportedExpression as exc:
            hit = exc
        else:
            hit = (condition, any(isinstance(n, Current) for n in walk(condition.ast)), {})
        cache[relevant] = hit
    if isinstance(hit, UnsupportedExpression):
        raise hit
    condition, reads_current, results = hit
    key = name if reads_current else ""
    if key not in results:
        results[key] = evaluate_constraint(condition, frame, name, form)
    return results[key]


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
        known |= {str(c) for c in ctx.frame.columns}  # design, location and extra_columns brought into the frame
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
    return name.startswith(("_", "X_", "@_")) or lower in _PLATFORM_METADATA_LOWER or name.endswith("_URL")


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
