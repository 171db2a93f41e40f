"""The one shared step every loader ends with: a raw export table -> the tidy :class:`SurveyData`.

Format readers (KoBo, ODK Central, SPSS/Stata, plain CSV/Parquet) only read cells and establish
facts about the file; :func:`tidy_frame` then

1. matches the raw headers to the instrument's questions by generating the headers each platform
   writes (:mod:`survey_toolkit.io.headers`; never by splitting header strings),
2. types each question's columns from the instrument (:mod:`survey_toolkit.io.values`):
   select_one -> Categorical of canonical codes; select_multiple -> raw codes + ``q/<code>`` nullable
   booleans rebuilt from the summary (authoritative) or the dummies; numbers numeric; dates parsed
   from ISO 8601 (offset kept in ``q/utc_offset``) or Excel serials; geopoints split;
3. adds the source metadata columns (``_record_id``, ``_submission_id``, ``_submission_time``...),
4. keeps the export columns that are not questions in ``SurveyData.extra`` and reports, as
   problems, unknown columns, questions missing from the export, unreadable values and codes
   outside the choice lists.

Usage from another reader (e.g. SPSS, after value labels were mapped to choice codes)::

    from survey_toolkit.io.tidy import tidy_frame
    data = tidy_frame(raw_df, instrument, source_file="round3.sav", source_format="spss-sav")

Errors (export does not match the instrument, ambiguous headers) raise :class:`LoadError` carrying
every problem; everything else is a warning in ``data.problems``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..codes import display_value
from ..errors import LoadError, Location, Problem, Severity, ValidationReport, did_you_mean
from ..instrument import Instrument, Question
from .base import BLANK_ID_PREFIX, CHILD_METADATA_COLUMNS, METADATA_COLUMNS, SurveyData, VariableMeta
from .headers import (
    SILENT_ROLES,
    HeaderMatch,
    column_names,
    is_core_question,
    match_headers,
    question_kind,
    table_questions,
)
from .values import (
    apply_na_values,
    blank_mask,
    dates_outside_range,
    reconcile_select_multiple,
    resolve_na_values,
    to_datetime,
    to_geopoint,
    to_number,
    to_select_multiple,
    to_select_one,
    to_text,
)

__all__ = [
    "tidy_frame",
    "tidy_table",
    "TidyTable",
    "platform_columns",
    "PLATFORM_COLUMNS",
    "build_metadata",
    "canonical_uuid",
]

#: Export columns written by the platforms themselves (never matched to questions, never "unknown").
PLATFORM_COLUMNS: dict[str, frozenset[str]] = {
    "kobo": frozenset(
        {
            "_id",
            "_uuid",
            "_submission_time",
            "_validation_status",
            "_notes",
            "_status",
            "_submitted_by",
            "__version__",
            "_version_",
            "_tags",
            "meta/rootUuid",
            "meta/instanceID",
            "meta/deprecatedID",
            "_index",
            "_parent_table_name",
            "_parent_index",
            "formhub/uuid",
            "_xform_id_string",
            "_attachments",
            "_geolocation",
            "_duration",
            "_xform_id",
            "meta/instanceName",
        }
    ),
    "odk": frozenset(
        {
            "SubmissionDate",
            "KEY",
            "PARENT_KEY",
            "SubmitterID",
            "SubmitterName",
            "AttachmentsPresent",
            "AttachmentsExpected",
            "Status",
            "ReviewState",
            "DeviceID",
            "Edits",
            "FormVersion",
            "meta-instanceID",
            "instanceID",
            "meta-instanceName",
            "instanceName",
            "meta-deprecatedID",
            "deprecatedID",
        }
    ),
    "survey_solutions": frozenset(
        {
            "interview__id",
            "interview__key",
            "sssys_irnd",
            "has__errors",
            "interview__status",
            "assignment__id",
        }
    ),
}


def platform_columns(platform: str) -> frozenset[str]:
    """Metadata column names of ``platform`` (every platform's for ``generic``)."""
    if platform in PLATFORM_COLUMNS:
        return PLATFORM_COLUMNS[platform]
    return frozenset().union(*PLATFORM_COLUMNS.values())


def _is_platform_column(header: str, platform: str) -> bool:
    known = platform_columns(platform)
    if header in known or header.startswith("_submission_"):
        return True
    return header.startswith("X_") and header[1:] in known  # R's make.names: _uuid -> X_uuid


#: Where each metadata column comes from, per platform: (export column, prefix to add when absent).
_META_SOURCES: dict[str, dict[str, tuple[tuple[str, str | None], ...]]] = {
    "kobo": {
        "_record_id": (("meta/rootUuid", None), ("_uuid", "uuid:"), ("_id", None)),
        "_submission_id": (("meta/instanceID", None), ("_uuid", "uuid:"), ("_id", None)),
        "_submission_time": (("_submission_time", None),),
        "_form_version": (("__version__", None), ("_version_", None)),
        "_review_status": (("_validation_status", None),),
        "_submitted_by": (("_submitted_by", None),),
    },
    "odk": {
        "_record_id": (("KEY", None), ("meta-instanceID", None), ("instanceID", None)),
        "_submission_id": (("meta-instanceID", None), ("instanceID", None), ("KEY", None)),
        "_submission_time": (("SubmissionDate", None),),
        "_form_version": (("FormVersion", None),),
        "_review_status": (("ReviewState", None),),
        "_submitted_by": (("SubmitterName", None),),
    },
}
_META_SOURCES["generic"] = {
    "_record_id": (
        ("meta/rootUuid", None),
        ("KEY", None),
        ("_uuid", "uuid:"),
        ("interview__id", None),
        ("uuid", None),
        ("meta/instanceID", None),
        ("meta-instanceID", None),
        ("instanceID", None),
        ("_id", None),
    ),
    "_submission_id": (
        ("meta/instanceID", None),
        ("meta-instanceID", None),
        ("instanceID", None),
        ("_uuid", "uuid:"),
        ("KEY", None),
        ("interview__id", None),
        ("uuid", None),
    ),
    "_submission_time": (("_submission_time", None), ("SubmissionDate", None)),
    "_form_version": (("__version__", None), ("FormVersion", None)),
    "_review_status": (("_validation_status", None), ("ReviewState", None), ("interview__status", None)),
    "_submitted_by": (("_submitted_by", None), ("SubmitterName", None)),
}
_META_SOURCES["survey_solutions"] = _META_SOURCES["generic"]

_KOBO_REVIEW = {
    "validation_status_approved": "approved",
    "approved": "approved",
    "validation_status_not_approved": "not_approved",
    "not approved": "not_approved",
    "validation_status_on_hold": "on_hold",
    "on hold": "on_hold",
}


def _review_status(val: pd.Series) -> pd.Series:
    """KoBo's validation statuses spelled the standard way, computed on the distinct values only."""
    codes, uniques = pd.factorize(val, use_na_sentinel=True)
    if not len(uniques):  # all missing: nothing to translate (the usual case)
        return val.astype("string")
    named = [_KOBO_REVIEW.get(str(u).lower(), u) for u in uniques]  # a handful of statuses
    lookup = pd.array([*named, None], dtype="string")
    return pd.Series(lookup[codes], index=val.index, dtype="string")


def canonical_uuid(s: pd.Series) -> pd.Series:
    """Prefix bare uuids with ``uuid:`` (KoBo ``_uuid`` -> the instanceID / rootUuid spelling)."""
    return _uuid_prefixed(to_text(s)[0])


def _uuid_prefixed(text: pd.Series) -> pd.Series:
    bare = text.notna() & ~text.str.startswith("uuid:", na=False)
    if not bare.any():
        return text
    return text.where(~bare, "uuid:" + text)


def _first_present(
    raw: pd.DataFrame, sources: Sequence[tuple[str, str | None]], id_like: bool
) -> tuple[pd.Series | None, list[str]]:
    out: pd.Series | None = None
    used = []
    for column, prefix in sources:
        if column not in raw.columns:
            continue
        values, _ = to_text(raw[column])
        if prefix is not None:
            values = _uuid_prefixed(values)
        used.append(column)
        out = values if out is None else out.fillna(values)
        if not id_like or out.notna().all():
            break
    return out, used


def build_metadata(
    raw: pd.DataFrame,
    *,
    platform: str,
    source_file: str,
    source_format: str,
    source_rows: pd.Series | None = None,
    id_column: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The root metadata columns (:data:`METADATA_COLUMNS`) for ``raw`` and the export columns used."""
    sources = _META_SOURCES.get(platform, _META_SOURCES["generic"])
    index = raw.index
    rows = (
        pd.Series(np.arange(2, len(raw) + 2), index=index)
        if source_rows is None
        else pd.Series(np.asarray(source_rows), index=index)
    ).astype("Int64")
    meta = {}
    used: list[str] = []
    rid_sources = ((id_column, None),) if id_column else sources["_record_id"]
    rid, u = _first_present(raw, rid_sources, id_like=True)
    used += u
    if rid is None:  # an export without ids: each row its own record
        rid = pd.Series("row-", index=index, dtype="string") + rows.astype("string")
    else:  # blank ids in an export with ids: still one record per row, and marked (blank-record-id)
        name = source_file.replace("\\", "/").rsplit("/", 1)[-1]
        rid = rid.fillna(f"{BLANK_ID_PREFIX}{name}:row-" + rows.astype("string"))
    meta["_record_id"] = rid.astype("string")
    sid, u = _first_present(raw, sources["_submission_id"], id_like=True)
    used += u
    meta["_submission_id"] = (sid if sid is not None else meta["_record_id"]).astype("string")
    stime = pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")
    for column, _ in sources["_submission_time"]:
        if column in raw.columns:
            local, offset, _bad = to_datetime(raw[column], "datetime")
            utc = local - pd.to_timedelta(offset.fillna(0).astype("int64"), unit="m")
            stime = utc.dt.tz_localize("UTC")
            used.append(column)
            break
    meta["_submission_time"] = stime
    for key in ("_form_version", "_review_status", "_submitted_by"):
        val, u = _first_present(raw, sources[key], id_like=False)
        used += u
        val = pd.Series(pd.NA, index=index, dtype="string") if val is None else val
        if key == "_review_status":
            val = _review_status(val)
        meta[key] = val.astype("string")
    meta["_source_file"] = pd.Series(source_file, index=index, dtype="string")
    meta["_source_format"] = pd.Series(source_format, index=index, dtype="string")
    meta["_source_row"] = rows
    return pd.DataFrame(meta, index=index)[list(METADATA_COLUMNS)], used


def _rows_text(rows: pd.Series, limit: int = 5) -> str:
    shown = ", ".join(str(int(r)) for r in rows.iloc[:limit])
    return shown + (f" ... ({len(rows)} rows)" if len(rows) > limit else "")


def metadata_problems(
    raw: pd.DataFrame, meta: pd.DataFrame, platform: str, source_file: str, sheet: str | None,
    id_column: str | None = None,
) -> list[Problem]:  # fmt: skip
    """Warnings about the metadata of :func:`build_metadata`: rows whose id cells are all blank (kept,
    one record each, listed by row) and submission dates that are not dates (counted, with rows)."""
    sources = _META_SOURCES.get(platform, _META_SOURCES["generic"])
    problems = []
    id_columns = [c for c, _ in (((id_column, None),) if id_column else sources["_record_id"]) if c in raw.columns]
    blank = meta["_record_id"].str.startswith(BLANK_ID_PREFIX).fillna(False)
    if blank.any():
        rows = meta["_source_row"][blank]
        problems.append(
            Problem("blank-record-id", f"{int(blank.sum())} row(s) have no record id (blank {', '.join(id_columns)}): "
                    f"rows {_rows_text(rows)}; each is kept as its own respondent, with the id "
                    f"'{BLANK_ID_PREFIX}<file>:row-<row>'", Location(file=source_file, sheet=sheet, row=int(rows.iloc[0]),
                    field=id_columns[0] if id_columns else None), severity=Severity.WARNING, count=int(blank.sum()),
                    expected="an id in every row", got=f"{int(blank.sum())} blank",
                    hint="download the export again from the server (ids are never blank there), or leave these rows "
                         "out of the analysis: add 'blank-record-id' to quality.exclude in survey.yaml")  # fmt: skip
        )
    column = next((c for c, _ in sources["_submission_time"] if c in raw.columns), None)
    if column is not None:
        bad = meta["_submission_time"].isna().to_numpy() & ~blank_mask(raw[column]).to_numpy()
        if bad.any():
            rows = meta["_source_row"][bad]
            problems.append(
                Problem("bad-submission-date", f"{int(bad.sum())} value(s) of '{column}' are not dates (rows "
                        f"{_rows_text(rows)}); their submission time is missing", Location(file=source_file, sheet=sheet,
                        row=int(rows.iloc[0]), field=column), severity=Severity.WARNING, count=int(bad.sum()),
                        expected="ISO 8601 date-times (2026-05-15T10:30:00Z) or Excel dates",
                        got=f"{int(bad.sum())} other value(s)",
                        hint="download the export again, or correct the column in a copy of the file")  # fmt: skip
            )
    return problems


@dataclass(frozen=True)
class TidyTable:
    """One typed table before assembly: question columns, variables, extra columns and problems."""

    frame: pd.DataFrame
    variables: Mapping[str, VariableMeta]
    extra: pd.DataFrame
    problems: tuple[Problem, ...]
    match: HeaderMatch | None


def _value_labels(instrument: Instrument, question: Question) -> dict[str, dict[str, str]]:
    if not question.list_name or question.list_name not in instrument.choice_lists:
        return {}
    cl = instrument.choice_lists[question.list_name]
    langs = list(instrument.languages) or ["default"]
    return {lang: cl.labels(lang) for lang in langs}


def _codes(instrument: Instrument, question: Question) -> list[str]:
    if question.list_name and question.list_name in instrument.choice_lists:
        return list(instrument.choice_lists[question.list_name].codes)
    return []


def _bad_problem(
    code: str, what: str, header: str, bad: pd.Series, rows: pd.Series, ctx: dict,
    hint: str = "check the column in the export (first bad cell at the row given)",
) -> Problem:  # fmt: skip
    where = rows[bad.to_numpy()]
    first = int(where.iloc[0])
    return Problem(
        code,
        f"{int(bad.sum())} value(s) of column '{header}' are not {what} (rows {_rows_text(where)}); they were set "
        "to missing",
        Location(file=ctx["file"], sheet=ctx.get("sheet"), row=first, field=header),
        severity=Severity.WARNING,
        expected=what,
        got=f"{int(bad.sum())} other value(s), first at row {first}",
        count=int(bad.sum()),
        hint=hint,
    )


def _far_dates_problem(header: str, far: pd.Series, rows: pd.Series, ctx: dict) -> Problem:
    """Dates the column holds but pandas cannot (before 1678 or after 2261): read as missing, never shifted."""
    first = int(rows[far.to_numpy()].iloc[0])
    n = int(far.sum())
    return Problem(
        "date-out-of-range",
        f"{n} date(s) of column '{header}' are outside the years 1678-2261 that can be analysed; "
        "they were read as missing",
        Location(file=ctx["file"], sheet=ctx.get("sheet"), row=first, field=header),
        severity=Severity.WARNING,
        expected="dates between 1678 and 2261",
        got=f"{n} date(s) outside that range, first at row {first}",
        count=n,
        hint="such dates are usually typing mistakes or placeholder dates (SPSS's 1582 epoch): correct them "
        "in the export, or leave them missing",
    )


def _fraction_problem(header: str, fraction: pd.Series, rows: pd.Series, ctx: dict) -> Problem:
    where = rows[fraction.to_numpy()]
    return Problem(
        "not-whole-number",
        f"{int(fraction.sum())} value(s) of column '{header}' are not whole numbers (rows {_rows_text(where)}), "
        "but the form's question is an integer; they are kept as they are",
        Location(file=ctx["file"], sheet=ctx.get("sheet"), row=int(where.iloc[0]), field=header),
        severity=Severity.WARNING,
        expected="whole numbers (the question's type is integer)",
        got=f"{int(fraction.sum())} value(s) with a fraction",
        count=int(fraction.sum()),
        hint="correct them with the field team (an age of 34.5 is 34), or make the question 'decimal' in the form "
        "if fractions are valid answers",
    )


def _disagree_problem(column: str, disagree: pd.Series, rows: pd.Series, ctx: dict, source: str) -> Problem:
    """Rows whose select_multiple summary and 0/1 choice columns name different choices."""
    mask = disagree.to_numpy(dtype=bool)
    n = int(mask.sum())
    ids = ctx.get("record_ids")
    where = (
        [str(v) for v in ids[mask].head(10)]
        if ids is not None
        else [f"row {int(r)}" for r in rows[mask].head(10)]
    )
    other = "summary" if source == "choices" else "choices"
    return Problem(
        "select-multiple-disagree",
        f"select_multiple '{column}': in {n} row(s) the summary column and the 0/1 choice columns name "
        f"different choices; the {source} were used: " + ", ".join(where) + (" ..." if n > 10 else ""),
        Location(file=ctx["file"], sheet=ctx.get("sheet"), row=int(rows[mask].iloc[0]), field=column),
        severity=Severity.WARNING,
        expected="the same choices in the summary and in the 0/1 columns",
        got=f"{n} disagreeing row(s)",
        hint=f"a cleaning step probably edited one side only; to use the {other} instead set "
        f"'select_multiple_source: {other}' in survey.yaml or load(..., select_multiple_source='{other}')",
        count=n,
    )


def _unknown_codes_problem(
    header: str,
    list_name: str | None,
    codes: Sequence[str],
    unknown: Sequence[str],
    bad: pd.Series,
    rows: pd.Series,
    ctx: dict,
    multiple: bool = False,
) -> Problem:
    """Codes outside the choice list: which codes, how many rows, the first row, and what to do."""
    mask = bad.fillna(False).to_numpy(dtype=bool)
    n_rows = int(mask.sum())
    first = int(rows[mask].iloc[0]) if n_rows else None
    safe = [display_value(u) for u in unknown[:5]]  # a few distinct values; free text is never shown
    shown = ", ".join(f"'{u}'" for u in safe) + (" ..." if len(unknown) > 5 else "")
    where = f" ({n_rows} row(s), first at row {first})" if n_rows else ""
    kept = (
        "the answers are kept in the raw column, with no true/false column for those codes"
        if multiple
        else "the values are kept in the column but are never a listed answer (indicators count them as missing, "
        "or as 'other' with 'off_list: other' in survey.yaml)"
    )
    return Problem(
        "value-not-in-choices",
        f"column '{header}' has code(s) {shown} that are not in the choice list '{list_name}'{where}",
        Location(file=ctx["file"], sheet=ctx.get("sheet"), row=first, field=header),
        severity=Severity.WARNING,
        expected="one of " + ", ".join(codes[:12]) + (" ..." if len(codes) > 12 else ""),
        got=", ".join(safe),
        hint=f"{kept}; correct the value(s) with the field team (survey-toolkit inspect lists every row), or "
        f"add the code to the list '{list_name}' if it is a valid answer",
        count=n_rows or len(unknown),
    )


def _type_question(
    q: Question,
    column: str,
    raw: pd.DataFrame,
    cols: Mapping[tuple[str, str | None], str],
    instrument: Instrument,
    match: HeaderMatch,
    rows: pd.Series,
    ctx: dict,
) -> tuple[dict[str, pd.Series], dict[str, VariableMeta], list[Problem]]:
    kind = question_kind(q)
    index = raw.index
    out: dict[str, pd.Series] = {}
    variables: dict[str, VariableMeta] = {}
    problems: list[Problem] = []
    value_header = cols.get(("value", None))
    value = raw[value_header] if value_header is not None else None
    labels = MappingProxyType(dict(q.labels))
    vlabels = _value_labels(instrument, q)
    frozen_vl = MappingProxyType({k: MappingProxyType(v) for k, v in vlabels.items()})

    def meta(name: str, vtype: str, with_values: bool = False) -> None:
        variables[name] = VariableMeta(
            name=name,
            type=vtype,
            labels=labels,
            value_labels=frozen_vl if with_values else MappingProxyType({}),
            question=column,
        )

    if kind == "select_one":
        codes = _codes(instrument, q)
        lab = {}
        if match.mode == "label" and match.language:
            lab = {v: k for k, v in vlabels.get(match.language, {}).items()}
        if value is None:
            s = pd.Series(
                pd.Categorical([None] * len(index), categories=pd.Index(codes, dtype=object)), index=index
            )
        else:
            s, unknown = to_select_one(value, codes, lab)
            external = (
                q.list_name not in instrument.choice_lists
            )  # select_one_from_file: codes live elsewhere
            if unknown and not external:
                problems.append(
                    _unknown_codes_problem(
                        value_header, q.list_name, codes, unknown, s.isin(unknown), rows, ctx
                    )
                )
        out[column] = s
        meta(column, "select_one", True)
    elif kind == "select_multiple":
        codes = _codes(instrument, q)
        dummies = {t_part: raw[h] for (role, t_part), h in cols.items() if role == "choice" and t_part}
        label_pairs = None
        if match.mode == "label" and match.language:
            pairs = [(lbl, code) for code, lbl in vlabels.get(match.language, {}).items()]
            label_pairs = sorted(pairs, key=lambda p: -len(p[0]))
        summary = value
        if summary is not None and label_pairs and dummies:
            summary = None  # label summaries cannot always be split back: trust the dummies
            answered = ~blank_mask(value)
        else:
            answered = None
        if summary is not None and dummies and not label_pairs:
            source = ctx.get("select_multiple_source") or "choices"
            raw_s, flags, unknown, bad, disagree = reconcile_select_multiple(
                summary, dummies, codes, index, source
            )
            if disagree.any():
                problems.append(_disagree_problem(column, disagree, rows, ctx, source))
        else:
            raw_s, flags, unknown, bad = to_select_multiple(
                summary, dummies, codes, index, label_pairs=label_pairs
            )
        if answered is not None:  # an answered label summary keeps its row answered
            for code in codes:
                f = flags[code].copy()
                f[answered & f.isna()] = False
                f[~answered] = pd.NA
                flags[code] = f
        if value is None and not dummies:
            raw_s = pd.Series(pd.NA, index=index, dtype="string")
        out[column] = raw_s
        meta(column, "select_multiple", True)
        for code in codes:
            out[f"{column}/{code}"] = flags[code]
            meta(f"{column}/{code}", "select_multiple", True)
        if unknown:
            tokens = sorted(unknown)
            padded = " " + raw_s.fillna("") + " "
            hit = np.zeros(len(raw_s), dtype=bool)
            for token in tokens[:20]:  # the unknown codes (a few), not the rows
                hit |= padded.str.contains(f" {token} ", regex=False).to_numpy(dtype=bool)
            problems.append(
                _unknown_codes_problem(
                    value_header or column, q.list_name, codes, tokens, pd.Series(hit, index=index), rows, ctx,
                    multiple=True,
                )
            )  # fmt: skip
        if bad.any():
            problems.append(_bad_problem("bad-value", "0/1 or True/False", column, bad, rows, ctx))
    elif kind == "geopoint":
        parts = {t_part: raw[h] for (role, t_part), h in cols.items() if role == "geo" and t_part}
        joined, nums, bad = to_geopoint(value, parts, index)
        out[column] = joined
        meta(column, "geopoint")
        for part, s in nums.items():
            out[f"{column}/{part}"] = s
            meta(f"{column}/{part}", "geopoint")
        if bad.any():
            problems.append(_bad_problem("bad-value", "numbers", column, bad, rows, ctx))
    elif kind in ("integer", "decimal", "range"):
        if value is None:
            s = pd.Series(pd.NA, index=index, dtype="Int64" if kind == "integer" else "Float64")
        else:
            s, bad = to_number(value, integer=kind == "integer")
            if bad.any():
                problems.append(_bad_problem("bad-number", "numbers", value_header, bad, rows, ctx))
            if kind == "integer" and s.dtype == "Float64":  # an integer question answered 34.5
                fraction = (s.notna() & (s != s.round())).fillna(False).astype(bool)
                problems.append(_fraction_problem(value_header, fraction, rows, ctx))
        out[column] = s
        meta(column, kind)
    elif kind in ("date", "today", "datetime", "start", "end"):
        dkind = "date" if kind in ("date", "today") else "datetime"
        if value is None:
            s = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
            off = pd.Series(pd.NA, index=index, dtype="Int64")
        else:
            s, off, bad = to_datetime(value, dkind)
            far = bad & dates_outside_range(value)
            if far.any():
                problems.append(_far_dates_problem(value_header, far, rows, ctx))
            if (bad & ~far).any():
                problems.append(
                    _bad_problem(
                        "bad-date", "ISO 8601 dates or Excel serial numbers", value_header, bad & ~far, rows, ctx,
                        hint="check the column at the rows given: impossible dates (2026-02-30), words, and dates "
                        "written as 15/05/2026 (day and month order is never guessed) are not read; export the "
                        "dates as ISO 8601 (2026-05-15) or as Excel date cells",
                    )
                )
        out[column] = s
        meta(column, dkind)
        if dkind == "datetime":
            out[f"{column}/utc_offset"] = off
            meta(f"{column}/utc_offset", "utc_offset")
    else:
        if value is None:
            s = pd.Series(pd.NA, index=index, dtype="string")
        else:
            s, _ = to_text(value)
        out[column] = s
        meta(column, kind)
    return out, variables, problems


def _header_problems(match: HeaderMatch, ctx: dict) -> list[Problem]:
    problems = []
    for header, targets in match.ambiguous.items():
        problems.append(
            Problem(
                "ambiguous-header",
                f"column '{header}' could be any of {', '.join(t.describe() for t in targets)}",
                Location(file=ctx["file"], sheet=ctx.get("sheet"), field=header),
                expected="one question per column",
                got=", ".join(t.describe() for t in targets),
                hint="export with group names in headers (KoBo 'Include groups in headers', Central "
                "groupPaths=true) or with XML values and headers",
            )
        )
    for target, headers in match.duplicates.items():
        problems.append(
            Problem(
                "duplicate-question-column",
                f"columns {', '.join(map(repr, headers))} all hold {target.describe()}; the first one is used",
                Location(file=ctx["file"], sheet=ctx.get("sheet"), field=headers[0]),
                severity=Severity.WARNING,
                hint="remove the extra columns from the export",
            )
        )
    return problems


def _filled_notes(raw: pd.DataFrame, match: HeaderMatch) -> set[str]:
    """Headers of note fields that hold something (notes are empty: those are kept in ``extra``)."""
    notes = [h for h, t in match.mapping.items() if t.role == "note"]
    return {h for h in notes if not blank_mask(raw[h]).all()}


def _na_problem(counts: Mapping[str, int], markers: frozenset[str], ctx: dict) -> Problem:
    """One warning: how many cells of which columns were read as missing because they held a marker."""
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"'{h}' ({n})" for h, n in ranked[:15]) + (" ..." if len(ranked) > 15 else "")
    return Problem(
        "na-values",
        f"{total} cell(s) in {len(counts)} column(s) held a missing-value marker and were read as missing: {shown}",
        Location(file=ctx["file"], sheet=ctx.get("sheet"), field=ranked[0][0]),
        severity=Severity.WARNING,
        expected="answers, or empty cells for missing values",
        got="markers " + ", ".join(repr(m) for m in sorted(markers)),
        hint="cells that are codes of their question's choice list are never markers; to change the markers "
        "set 'na_values:' in survey.yaml (per project or per round), pass --na-values to survey-toolkit "
        "inspect, or load(..., na_values=[...]) ([] keeps every cell as written)",
        count=total,
    )


def _marker_exemptions(q: Question, instrument: Instrument, mode: str, language: str | None) -> set[str]:
    """Cell values of a question that are answers even when they look like markers: its choice codes
    (and its choice labels when the export holds labels)."""
    codes = set(_codes(instrument, q))
    if mode == "label" and q.list_name in instrument.choice_lists:
        for lang in instrument.languages or (None,):
            codes.update(instrument.choice_lists[q.list_name].labels(lang).values())
    return codes


def _apply_markers(
    raw: pd.DataFrame, exempt: Mapping[str, set[str]], markers: frozenset[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """``raw`` with marker cells set to missing (``exempt``: header -> values that stay), and the counts."""
    if not markers:
        return raw, {}
    changed: dict[str, pd.Series] = {}
    counts: dict[str, int] = {}
    for header in raw.columns:
        out, mask = apply_na_values(raw[header], markers, tuple(exempt.get(header, ())))
        n = int(mask.sum())
        if n:
            changed[header] = out
            counts[str(header)] = n
    if not changed:
        return raw, {}
    raw = raw.copy()
    for header, out in changed.items():
        raw[header] = out
    return raw, counts


def tidy_table(
    raw: pd.DataFrame,
    instrument: Instrument,
    *,
    table: str | None = None,
    source_file: str,
    sheet: str | None = None,
    source_rows: pd.Series | None = None,
    platform: str = "generic",
    group_sep: str | None = None,
    min_match: float = 0.5,
    metadata_columns: Sequence[str] = (),
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
    record_ids: pd.Series | None = None,
) -> TidyTable:
    """Match and type the questions of one table (``table`` None = main, else a repeat name).

    ``metadata_columns`` are export columns already used for the metadata (an ``uuid`` id column):
    they are never matched to questions nor reported as unknown. ``na_values``: the missing-value
    markers (None = :data:`~survey_toolkit.io.values.NA_VALUES`), applied to question columns except
    where a cell is a code of the question's choice list; one warning ``na-values`` counts them.
    """
    ctx = {
        "file": source_file,
        "sheet": sheet,
        "select_multiple_source": select_multiple_source,
        "record_ids": None if record_ids is None else pd.Series(np.asarray(record_ids), index=raw.index),
    }
    rows = (
        pd.Series(np.arange(2, len(raw) + 2), index=raw.index)
        if source_rows is None
        else pd.Series(np.asarray(source_rows), index=raw.index)
    )
    headers = [str(c) for c in raw.columns]
    meta_set = set(metadata_columns)
    reserved = [h for h in headers if _is_platform_column(h, platform) or h in meta_set]
    match = match_headers(headers, instrument, table, group_sep=group_sep, reserved=reserved)
    questions = table_questions(instrument, table)
    names = column_names(questions)
    problems = _header_problems(match, ctx)
    found = match.matched_questions
    wanted = [names[i] for i in range(len(questions))]
    core = [names[i] for i, q in enumerate(questions) if is_core_question(q)] or wanted
    share = len([w for w in core if w in found]) / max(len(core), 1)
    if core and share < min_match:
        raise LoadError(
            [
                *[p for p in problems if p.is_error],
                Problem(
                    "instrument-mismatch",
                    f"the export does not match the instrument '{instrument.form_id}': only "
                    f"{len(found & set(core))} of {len(core)} questions ({share:.0%}) were found in its "
                    f"{len(headers)} columns",
                    Location(file=source_file, sheet=sheet),
                    expected=f"at least {min_match:.0%} of the questions of '{instrument.form_id}'",
                    got=f"{share:.0%}",
                    hint="load it with the XLSForm it was collected with (instrument=...), or lower min_match=",
                ),
            ]
        )
    if any(p.is_error for p in problems):
        raise LoadError(problems)

    markers = resolve_na_values(na_values)
    by_name = {names[i]: q for i, q in enumerate(questions)}
    exempt = {
        h: _marker_exemptions(by_name[t.question], instrument, match.mode, match.language)
        for h, t in match.mapping.items()
        if t.role == "value" and t.question in by_name
    }
    answer_headers = [h for h, t in match.mapping.items() if t.role in ("value", "choice", "geo")]
    marked, na_counts = _apply_markers(raw[answer_headers], exempt, markers)
    if na_counts:
        raw = raw.copy()
        for h in na_counts:
            raw[h] = marked[h]
        problems.append(_na_problem(na_counts, markers, ctx))
    columns: dict[str, pd.Series] = {}
    variables: dict[str, VariableMeta] = {}
    by_question: dict[str, dict[tuple[str, str | None], str]] = {}
    for header, target in match.mapping.items():
        if target.role == "media_url" or target.role in SILENT_ROLES:
            continue
        slot = by_question.setdefault(target.question, {})
        slot.setdefault((target.role, target.part), header)
    for i, q in enumerate(questions):
        cols, vars_, probs = _type_question(
            q, names[i], raw, by_question.get(names[i], {}), instrument, match, rows, ctx
        )
        columns.update(cols)
        variables.update(vars_)
        problems.extend(probs)

    missing = [w for w in wanted if w not in found]
    if missing:
        problems.append(
            Problem(
                "questions-missing-from-export",
                f"{len(missing)} question(s) of the instrument are not in the export: "
                + ", ".join(missing[:20])
                + (" ..." if len(missing) > 20 else ""),
                Location(file=source_file, sheet=sheet),
                severity=Severity.WARNING,
                expected=f"a column for each of the {len(wanted)} questions of the instrument",
                got=", ".join(missing),
                hint="they are kept as empty columns; check that the export was made with this version of the form, "
                "and export all versions (KoBo 'Include all versions', ODK Central deletedFields=true)",
                count=len(missing),
            )
        )
    aside = {h for h, t in match.mapping.items() if t.role in ("media_url", "system")}
    used = set(match.mapping) - aside - _filled_notes(raw, match)
    dup_headers = {h for hs in match.duplicates.values() for h in hs[1:]}
    extra_cols = [h for h in headers if h not in used or h in dup_headers]
    unknown = [
        h
        for h in extra_cols
        if not _is_platform_column(h, platform)
        and h not in meta_set
        and h not in match.mapping
        and h not in dup_headers
    ]
    if unknown:
        hint = did_you_mean(unknown[0], [*match.mapping.keys(), *wanted])
        problems.append(
            Problem(
                "columns-not-in-instrument",
                f"{len(unknown)} column(s) of the export are not questions of the instrument: "
                + ", ".join(repr(u) for u in unknown[:20])
                + (" ..." if len(unknown) > 20 else ""),
                Location(file=source_file, sheet=sheet, field=unknown[0]),
                severity=Severity.WARNING,
                expected="only columns of the instrument's questions and the platform's metadata",
                got=", ".join(unknown),
                hint=(hint + "; " if hint else "")
                + "they are kept in SurveyData.extra; if they are questions, load the export with the form version "
                "that has them",
                count=len(unknown),
            )
        )
    if match.loose:
        problems.append(
            Problem(
                "loose-header-match",
                f"{len(match.loose)} column(s) matched questions only after ignoring case and punctuation: "
                + ", ".join(repr(h) for h in match.loose[:10]),
                Location(file=source_file, sheet=sheet, field=match.loose[0]),
                severity=Severity.INFO,
            )
        )
    frame = pd.DataFrame(columns, index=raw.index)
    extra = raw[extra_cols] if extra_cols else pd.DataFrame(index=raw.index)
    return TidyTable(frame, MappingProxyType(variables), extra, tuple(problems), match)


def _untyped_table(
    raw: pd.DataFrame, platform: str, markers: frozenset[str] = frozenset()
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Without an instrument: every non-metadata column as a number when all its values are, else text
    (missing-value ``markers`` set to missing first; their counts per column are returned)."""
    answers = [h for h in raw.columns if not _is_platform_column(str(h), platform)]
    marked, counts = _apply_markers(raw[answers], {}, markers)
    if counts:
        raw = raw.copy()
        for h in counts:
            raw[h] = marked[h]
    columns = {}
    extra_cols = []
    for h in raw.columns:
        if _is_platform_column(str(h), platform):
            extra_cols.append(h)
            continue
        num, bad = to_number(raw[h], integer=True)
        leading_zero = raw[h].dtype == object or pd.api.types.is_string_dtype(raw[h])
        if leading_zero:
            leading_zero = bool(raw[h].astype(str).str.match(r"^\s*-?0\d").any())
        if not bad.any() and not leading_zero and num.notna().any():
            columns[str(h)] = num
        else:
            columns[str(h)] = to_text(raw[h])[0]
    extra = raw[extra_cols] if extra_cols else pd.DataFrame(index=raw.index)
    return pd.DataFrame(columns, index=raw.index), extra, counts


def tidy_frame(
    raw: pd.DataFrame,
    instrument: Instrument | None,
    *,
    source_file: str,
    source_format: str,
    platform: str = "generic",
    source_rows: pd.Series | None = None,
    sheet: str | None = None,
    id_column: str | None = None,
    group_sep: str | None = None,
    min_match: float = 0.5,
    problems: Sequence[Problem] = (),
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> SurveyData:
    """Turn one raw main table into a :class:`SurveyData` (no children; loaders attach those).

    Args:
        raw: the cells under the file's own header strings (unique); values may be strings,
            numbers, datetimes, ``None`` or ``""``. A column of choice *labels* is decoded when the
            headers are labels; other readers should map value labels to codes beforehand.
        instrument: the XLSForm; None loads every column as a number or text, with a warning.
        source_file: the path shown in problems and in ``_source_file``.
        source_format: e.g. ``kobo-xlsx``, ``odk-central-zip``, ``spss-sav``, ``csv``.
        platform: ``kobo``, ``odk``, ``survey_solutions`` or ``generic``: which metadata columns
            exist and how ``_record_id`` is chosen (KoBo: rootUuid > uuid > id; Central: KEY).
        source_rows: spreadsheet-style row of each raw row (default 2..n+1).
        sheet: the sheet name, for problem locations.
        id_column: force the column used for ``_record_id``.
        group_sep: a custom KoBo group separator (``/``, ``.``, ``%``, ``-`` are always tried).
        min_match: smallest share of the instrument's questions that must be found.
        problems: problems the reader already found (kept first in ``data.problems``).
        na_values: missing-value markers (None = :data:`~survey_toolkit.io.values.NA_VALUES`, ``[]``
            none); a cell that is a code of its question's choice list is never a marker.
        select_multiple_source: ``choices`` (default) or ``summary``: which side of a select_multiple
            wins on rows where the summary and the 0/1 columns disagree (warning
            ``select-multiple-disagree`` lists them).

    Raises:
        LoadError: the export does not match the instrument, or headers are ambiguous.
    """
    probs = list(problems)
    meta, used = build_metadata(
        raw,
        platform=platform,
        source_file=source_file,
        source_format=source_format,
        source_rows=source_rows,
        id_column=id_column,
    )
    probs += metadata_problems(raw, meta, platform, source_file, sheet, id_column)
    if instrument is None:
        markers = resolve_na_values(na_values)
        frame, extra, na_counts = _untyped_table(raw, platform, markers)
        if na_counts:
            probs.append(_na_problem(na_counts, markers, {"file": source_file, "sheet": sheet}))
        variables: Mapping[str, VariableMeta] = MappingProxyType(
            {
                c: VariableMeta(
                    name=c,
                    type="integer"
                    if frame[c].dtype == "Int64"
                    else ("decimal" if frame[c].dtype == "Float64" else "text"),
                )
                for c in frame.columns
            }
        )
        probs.append(
            Problem(
                "no-instrument",
                "loaded without an instrument: headers are kept as written and values typed as numbers "
                "or text only (no choice codes, dates or select_multiple columns)",
                Location(file=source_file, sheet=sheet),
                severity=Severity.WARNING,
                hint="pass instrument= (the XLSForm the data were collected with)",
            )
        )
    else:
        tt = tidy_table(
            raw,
            instrument,
            table=None,
            source_file=source_file,
            sheet=sheet,
            source_rows=source_rows,
            platform=platform,
            group_sep=group_sep,
            min_match=min_match,
            metadata_columns=used,
            na_values=na_values,
            select_multiple_source=select_multiple_source,
            record_ids=meta["_record_id"],
        )
        frame, extra, variables = tt.frame, tt.extra, tt.variables
        probs.extend(tt.problems)
    versions = meta["_form_version"].value_counts(dropna=True)
    if len(versions) > 1:
        probs.append(
            Problem(
                "several-form-versions",
                f"the export mixes {len(versions)} form versions: "
                + ", ".join(f"{v} ({n} rows)" for v, n in versions.head(10).items()),
                Location(file=source_file, sheet=sheet),
                severity=Severity.INFO,
                expected="one form version"
                + (
                    f" ('{instrument.version}', the instrument's)"
                    if instrument is not None and instrument.version
                    else ""
                ),
                got=", ".join(map(str, versions.index)),
                hint="the rows are kept and _form_version tells them apart; check that the older version asked the "
                "same questions (a question renamed between versions appears as two half-empty columns)",
                count=int(versions.sum()),
            )
        )
    frame = pd.concat([frame, meta], axis=1)
    frame = frame.reset_index(drop=True)
    extra = extra.reset_index(drop=True)
    return SurveyData(
        frame=frame,
        instrument=instrument,
        variables=variables,
        extra=extra,
        problems=ValidationReport(tuple(probs)),
        source=source_file,
        format=source_format,
    )


def child_frame(
    raw: pd.DataFrame,
    instrument: Instrument | None,
    table: str,
    link: pd.DataFrame,
    *,
    source_file: str,
    platform: str = "generic",
    sheet: str | None = None,
    source_rows: pd.Series | None = None,
    group_sep: str | None = None,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> tuple[pd.DataFrame, list[Problem]]:
    """Type one repeat table; ``link`` holds ``_record_id``, ``_parent_key``, ``_key`` aligned to ``raw``."""
    rows = (
        pd.Series(np.arange(2, len(raw) + 2), index=raw.index)
        if source_rows is None
        else pd.Series(np.asarray(source_rows), index=raw.index)
    ).astype("Int64")
    head = link.copy()
    head["_source_row"] = rows
    head = head[list(CHILD_METADATA_COLUMNS)]
    if instrument is None or not table_questions(instrument, table):
        markers = resolve_na_values(na_values)
        body, _extra, na_counts = _untyped_table(raw, platform, markers)
        body = body.drop(columns=[c for c in body.columns if c.startswith("_")], errors="ignore")
        found = [_na_problem(na_counts, markers, {"file": source_file, "sheet": sheet})] if na_counts else []
        return pd.concat([head, body], axis=1).reset_index(drop=True), found
    tt = tidy_table(
        raw,
        instrument,
        table=table,
        source_file=source_file,
        sheet=sheet,
        source_rows=rows,
        platform=platform,
        group_sep=group_sep,
        min_match=0.0,
        na_values=na_values,
        select_multiple_source=select_multiple_source,
        record_ids=link["_key"] if "_key" in link.columns else None,
    )
    probs = [p for p in tt.problems if p.code != "columns-not-in-instrument"]
    # columns of the repeat table that are neither questions nor platform links stay, untyped, at the end
    keep = [
        c for c in tt.extra.columns if not _is_platform_column(str(c), platform) and c not in head.columns
    ]
    unknown = tt.extra[keep].astype("string") if keep else pd.DataFrame(index=raw.index)
    if keep:
        probs.append(
            Problem(
                "columns-not-in-instrument",
                f"{len(keep)} column(s) of repeat table '{table}' are not questions of the repeat; they are kept "
                "as text after the question columns: " + ", ".join(repr(c) for c in keep[:20]),
                Location(file=source_file, sheet=sheet, field=str(keep[0])),
                severity=Severity.INFO,
                count=len(keep),
            )
        )
    return pd.concat([head, tt.frame, unknown], axis=1).reset_index(drop=True), probs
