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

from ..errors import LoadError, Location, Problem, Severity, ValidationReport, did_you_mean
from ..instrument import Instrument, Question
from .base import CHILD_METADATA_COLUMNS, SurveyData, VariableMeta
from .columns import _codes, _type_question
from .headers import SILENT_ROLES, HeaderMatch, column_names, is_core_question, match_headers, table_questions
from .metadata import (
    _META_SOURCES,
    PLATFORM_COLUMNS,
    _is_platform_column,
    build_metadata,
    canonical_uuid,
    metadata_problems,
    platform_columns,
)
from .values import apply_na_values, blank_mask, resolve_na_values, to_number, to_text

__all__ = [
    "tidy_frame",
    "tidy_table",
    "TidyTable",
    "platform_columns",
    "PLATFORM_COLUMNS",
    "build_metadata",
    "canonical_uuid",
]


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


@dataclass(frozen=True)
class TidyTable:
    """One typed table before assembly: question columns, variables, extra columns and problems."""

    frame: pd.DataFrame
    variables: Mapping[str, VariableMeta]
    extra: pd.DataFrame
    problems: tuple[Problem, ...]
    match: HeaderMatch | None


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
                    hint="load it with the XLSForm it was collected with (survey.yaml 'instrument:', --instrument, "
                    "instrument=); if the export keeps only some of the form's columns on purpose, lower the "
                    "share: the round's 'min_match:' in survey.yaml (e.g. min_match: 0.2), load(min_match=)",
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
