"""Read SPSS (``.sav``, ``.zsav``, ``.por``) and Stata (``.dta``) files into the tidy :class:`SurveyData`.

The files are read with pyreadstat in one pass (``user_missing=True``, ``apply_value_formats=False``,
dates as pandas datetimes); everything after that is vectorised pandas/numpy work on whole columns.
With an instrument the file's columns are prepared here (SPSS-specific decoding) and then typed by the
shared tidy step (:func:`survey_toolkit.io.tidy.tidy_frame`), like every other export.

What the readers do:

- **Codes.** Numeric codes become canonical strings (``1.0`` -> ``"1"``). With an instrument, codes that
  are not choice codes of the question's list but whose value label (or whose string value) equals a
  choice label in any language of the form are mapped back to that choice's code (``1 "Yes"`` ->
  ``"yes"``); a code that is a choice code but labelled as another choice is kept and reported.
  Without an instrument, value labels become the choice lists: a labelled variable whose observed
  values are all labelled (or whose measure is nominal/ordinal) becomes a select_one Categorical, and
  ``SurveyData.variables[col].value_labels`` holds ``{"default": {code: label}}``.
- **Missing values.** *User-missing* values (SPSS discrete codes and ranges, Stata ``.a``-``.z``) keep
  their code as their value; the declared codes are recorded in ``VariableMeta.missing_codes`` (a range
  as ``"lo..hi"``) and one ``user-missing`` info problem lists the columns and counts. *System-missing*
  values are ``NA``. Empty strings are ``NA``. The Survey Solutions "enabled but not answered" markers
  (``-999999999`` and ``##N/A##``) become ``NA`` and are reported.
- **select_multiple.** With an instrument, a summary string column ``q`` and/or one 0/1 column per choice
  named ``q_code``, ``q__code`` or ``q.code`` (KoBo's SPSS syntax, Survey Solutions) are rebuilt to the
  conventions: raw ``q`` (space-separated codes) plus ``q/<code>``. Survey Solutions' numbered dummies
  (``q__1`` for a list whose codes are names) are matched through their variable label
  (``"... :Health"``), else by position, with a warning. Without an instrument, SPSS
  multiple-response sets become select_multiple columns.
- **Labels.** Variable labels go to ``VariableMeta.labels``; SPSS/Stata dates and date-times are
  parsed by pyreadstat.
- **Rosters.** A Survey Solutions roster file loads as its repeat's rows (linked by
  ``interview__id``); roster files named after a repeat beside the main file become its children.

Errors are :class:`~survey_toolkit.errors.LoadError` naming the file and the fix: missing or empty
file, a file whose content is not what its suffix says, a truncated or corrupt file, an unreadable
encoding (suggesting ``encoding=``), a file that does not match the form. Nothing is ever written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from ...codes import canonical_code
from ...errors import LoadError, Location, Problem, Severity, ValidationReport
from ...instrument import Instrument
from ..base import SurveyData, VariableMeta
from .file import (
    SPSS_SUFFIXES,
    STATA_SUFFIXES,
    _check_kind,
    _Raw,
    _read_raw,
    check_input_file,
    sniff_file_kind,
)
from .form import (
    _check_share,
    _decoded_metadata,
    _is_metadata_column,
    _prepare_for_tidy,
    _table_questions,
    _with_file_metadata,
    match_columns,
)
from .labels import _numeric_to_categorical, _type_from_metadata
from .missing import SUSO_MISSING_NUMBER as SUSO_MISSING_NUMBER
from .missing import SUSO_MISSING_TEXT as SUSO_MISSING_TEXT
from .missing import _blank_to_na, _is_suso, _missing_value_problems

__all__ = [
    "read_spss",
    "read_stata",
    "check_input_file",
    "sniff_file_kind",
    "canonical_code",
    "match_columns",
    "SPSS_SUFFIXES",
    "STATA_SUFFIXES",
]


# --------------------------------------------------------------------------------------------------
# public readers


def read_spss(
    path: str | Path,
    instrument: Instrument | str | Path | None = None,
    *,
    encoding: str | None = None,
    usecols: Sequence[str] | None = None,
    min_match: float = 0.5,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> SurveyData:
    """Read an SPSS ``.sav``, ``.zsav`` or ``.por`` file into a tidy :class:`SurveyData`.

    Args:
        path: the file; it is only read.
        instrument: the XLSForm (an :class:`Instrument` or a path to read with ``read_instrument``)
            used to map variables to questions and value labels to choice codes. Without it the
            file's own metadata types the columns (value labels become the choice lists).
        encoding: an iconv name (``"WINDOWS-1252"``, ``"LATIN1"``, ``"UTF-8"``) overriding the
            encoding declared in the file, for old files whose text cannot be decoded (ignored for
            ``.por``, which pyreadstat always reads as UTF-8).
        usecols: read only these variables (large files).
        min_match: smallest share of the form's questions (metadata fields such as ``start`` aside)
            that must be found in the file; below it the file is reported as not matching the form.
        na_values: missing-value markers for string variables read with a form (None = the default
            set :data:`survey_toolkit.io.values.NA_VALUES`); a choice code is never a marker.
        select_multiple_source: ``choices`` (default) or ``summary``: the side of a select_multiple
            kept where its string variable and its 0/1 variables disagree.

    Raises:
        LoadError: missing, empty, mistyped, truncated or corrupt file, or an undecodable encoding.
    """
    return _read_stat_file(
        path,
        instrument,
        family="spss",
        encoding=encoding,
        usecols=usecols,
        min_match=min_match,
        na_values=na_values,
        select_multiple_source=select_multiple_source,
    )


def read_stata(
    path: str | Path,
    instrument: Instrument | str | Path | None = None,
    *,
    encoding: str | None = None,
    usecols: Sequence[str] | None = None,
    min_match: float = 0.5,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> SurveyData:
    """Read a Stata ``.dta`` file into a tidy :class:`SurveyData` (same rules as :func:`read_spss`).

    Stata extended missing values (``.a`` ... ``.z``) are user-missing: they are kept as codes in
    select_one columns and counted in a ``user-missing`` problem elsewhere.
    """
    return _read_stat_file(
        path,
        instrument,
        family="stata",
        encoding=encoding,
        usecols=usecols,
        min_match=min_match,
        na_values=na_values,
        select_multiple_source=select_multiple_source,
    )


# --------------------------------------------------------------------------------------------------
# mapping to an instrument


def _resolve_instrument(instrument: Instrument | str | Path | None) -> Instrument | None:
    if instrument is None or isinstance(instrument, Instrument):
        return instrument
    from ...instrument import read_instrument

    return read_instrument(instrument)


def _tidy_with_instrument(
    raw: _Raw,
    instrument: Instrument,
    problems: list[Problem],
    suso: bool,
    min_match: float,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> SurveyData:
    from ..tidy import child_frame, tidy_frame

    prepared = _prepare_for_tidy(raw, instrument, suso)
    _check_share(raw.path, instrument, prepared, min_match)
    problems = [*problems, *_missing_value_problems(raw, suso, prepared.lost)]
    fmt = _format_name(raw.kind)
    rows = pd.Series(np.arange(1, len(raw.frame) + 1), index=raw.frame.index)
    platform = "survey_solutions" if suso else "generic"
    all_problems = [*problems, *prepared.problems]
    if prepared.table is None:
        data = tidy_frame(
            prepared.frame,
            instrument,
            source_file=str(raw.path),
            source_format=fmt,
            platform=platform,
            source_rows=rows,
            min_match=0.0,
            problems=all_problems,
            na_values=na_values,
            select_multiple_source=select_multiple_source,
        )
        extra = pd.concat([data.extra, prepared.side.reset_index(drop=True)], axis=1)
        children, child_problems = _sibling_rosters(raw, instrument, data.frame["_record_id"])
        return dataclasses.replace(
            data,
            extra=extra,
            children=MappingProxyType(children),
            problems=data.problems + child_problems,
            variables=_with_file_metadata(data.variables, prepared),
        )
    link = _roster_link(prepared.frame, prepared.table)
    body, child_problems = child_frame(
        prepared.frame,
        instrument,
        prepared.table,
        link,
        source_file=str(raw.path),
        platform=platform,
        source_rows=rows,
        na_values=na_values,
        select_multiple_source=select_multiple_source,
    )
    variables = {
        c: VariableMeta(name=c, type=q.type, labels=MappingProxyType(dict(q.labels)), question=q.name)
        for q in _table_questions(instrument, prepared.table)
        for c in body.columns
        if c == q.name or c.startswith(f"{q.name}/")
    }
    questions = {v.question for v in variables.values()}
    extra = pd.concat(
        [
            prepared.frame[
                [
                    c
                    for c in prepared.frame.columns
                    if c not in questions
                    and not str(c).startswith(tuple(f"{q}/" for q in questions))
                    and not any(str(c).startswith(f"_{q}_") for q in questions)
                ]
            ],
            prepared.side,
        ],
        axis=1,
    ).reset_index(drop=True)
    return SurveyData(
        frame=body,
        instrument=instrument,
        extra=extra,
        variables=_with_file_metadata(MappingProxyType(variables), prepared),
        problems=ValidationReport((*all_problems, *child_problems)),
        source=str(raw.path),
        format=fmt,
    )


def _sibling_rosters(
    raw: _Raw, instrument: Instrument, record_ids: pd.Series
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Survey Solutions-style roster files beside the main file (``<repeat>.dta`` next to
    ``main.dta``) read as the child tables of the instrument's repeats. Rows without a Survey Solutions
    key are linked by the KoBo/Ona ``_parent_index`` -> ``_index`` of the main file (Ona's SPSS export
    writes them ``@_parent_index``, ``@_index``); rows still without a parent are a warning."""
    children: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for group in instrument.groups:
        if not group.repeat:
            continue
        sibling = raw.path.with_name(f"{group.name}{raw.path.suffix}")
        if sibling == raw.path or not sibling.is_file():
            continue
        try:
            child_raw = _read_raw(
                sibling, _check_kind(sibling, "stata" if raw.kind == "dta" else "spss"), None, None
            )
            child = _tidy_with_instrument(child_raw, instrument, [], _is_suso(child_raw.frame), 0.0)
        except LoadError as exc:
            problems.extend(dataclasses.replace(p, severity=Severity.WARNING) for p in exc.problems)
            continue
        frame = _link_by_index(child.frame, child_raw.frame, raw.frame, record_ids, group.name)
        unlinked = int(frame["_record_id"].isna().sum())
        if unlinked:
            problems.append(_unlinked_roster_rows(sibling, group.name, unlinked, len(frame)))
        children[group.name] = frame
        problems.append(
            Problem(
                "roster-file-attached",
                f"roster file '{sibling.name}' read as the repeat '{group.name}' ({len(child.frame)} rows)",
                Location(file=str(sibling)),
                Severity.INFO,
            )
        )
        problems.extend(p for p in child.problems if p.severity is not Severity.INFO)
    return children, problems


_INDEX_NAMES = ("_index", "@_index")
_PARENT_INDEX_NAMES = ("_parent_index", "@_parent_index")


def _column(frame: pd.DataFrame, names: Sequence[str]) -> pd.Series | None:
    lower = {str(c).lower(): c for c in frame.columns}
    found = next((lower[n] for n in names if n in lower), None)
    return None if found is None else frame[found]


def _link_by_index(
    child: pd.DataFrame, child_raw: pd.DataFrame, main_raw: pd.DataFrame, record_ids: pd.Series, table: str
) -> pd.DataFrame:
    """``child`` with its unlinked rows linked through ``_parent_index`` -> the main file's ``_index``."""
    missing = child["_record_id"].isna().to_numpy()
    parent_index = _column(child_raw, _PARENT_INDEX_NAMES)
    own_index = _column(main_raw, _INDEX_NAMES)
    if not missing.any() or parent_index is None or own_index is None or len(child_raw) != len(child):
        return child
    lookup = pd.Series(record_ids.to_numpy(), index=_as_id_strings(own_index).to_numpy()).astype("string")
    lookup = lookup[lookup.index.notna() & ~lookup.index.duplicated(keep="first")]
    found = pd.Series(_as_id_strings(parent_index).map(lookup).to_numpy(), index=child.index, dtype="string")
    record = child["_record_id"].astype("string").where(~missing, found)
    position = record.groupby(record, dropna=False).cumcount() + 1
    key = (record + f"/{table}[" + position.astype("string") + "]").astype("string")
    return child.assign(
        _record_id=record,
        _parent_key=child["_parent_key"].astype("string").where(~missing, record),
        _key=child["_key"].astype("string").where(~missing, key),
    )


def _unlinked_roster_rows(path: Path, table: str, unlinked: int, total: int) -> Problem:
    return Problem(
        "unlinked-repeat-rows",
        f"{unlinked} of the {total} row(s) of roster file '{path.name}' (repeat '{table}') could not be "
        "linked to a submission of the main file; they are left out of every indicator",
        Location(file=str(path)),
        Severity.WARNING,
        expected="a parent key in each row: interview__id, parent_key, _submission__uuid, or _parent_index "
        "matching the main file's _index",
        got=f"{unlinked} row(s) without a parent in the main file",
        count=unlinked,
        hint="export the main file and its rosters together, keeping their key columns",
    )


def _roster_link(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """``_record_id`` / ``_parent_key`` / ``_key`` of a roster file loaded on its own (Survey Solutions)."""
    lower = {str(c).lower(): c for c in frame.columns}
    parent_col = next(
        (lower[c] for c in ("interview__id", "parent_key", "_submission__uuid") if c in lower), None
    )
    n = len(frame)
    parent = (
        _as_id_strings(frame[parent_col])
        if parent_col is not None
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    )
    roster_col = lower.get(f"{table}__id".lower())
    number = (
        _as_id_strings(frame[roster_col])
        if roster_col is not None
        else pd.Series(np.arange(1, n + 1).astype(str), index=frame.index, dtype="string")
    )
    return pd.DataFrame(
        {"_record_id": parent, "_parent_key": parent, "_key": parent + f"/{table}[" + number + "]"},
        index=frame.index,
    )


# --------------------------------------------------------------------------------------------------
# assembly


def _as_id_strings(col: pd.Series) -> pd.Series:
    """Ids as strings, numeric ids without ``.0`` (vectorised through the distinct values)."""
    if pd.api.types.is_float_dtype(col.dtype) or pd.api.types.is_integer_dtype(col.dtype):
        cat = _numeric_to_categorical(col.to_numpy(dtype="float64", na_value=np.nan), {}, ())
        return pd.Series(cat, index=col.index).astype("string")
    return _blank_to_na(col.astype("string"))


def _format_name(kind: str) -> str:
    return {"sav": "spss-sav", "zsav": "spss-zsav", "por": "spss-por", "dta": "stata-dta"}[kind]


def _tidy_without_instrument(raw: _Raw, problems: list[Problem], suso: bool) -> SurveyData:
    """Typed from the file's own metadata: value labels become choice lists, metadata goes to ``extra``."""
    from ..tidy import build_metadata

    typed, variables, type_problems = _type_from_metadata(raw, suso)
    meta_cols = [c for c in typed.columns if _is_metadata_column(c)]
    answers = typed.drop(columns=meta_cols)
    source = raw.frame.assign(**_decoded_metadata(raw.frame, raw.meta))
    rows = pd.Series(np.arange(1, len(raw.frame) + 1), index=raw.frame.index)
    metadata, _ = build_metadata(
        source,
        platform="survey_solutions" if suso else "generic",
        source_file=str(raw.path),
        source_format=_format_name(raw.kind),
        source_rows=rows,
    )
    frame = pd.concat([answers, metadata], axis=1).reset_index(drop=True)
    extra = raw.frame[meta_cols].reset_index(drop=True)
    kept = {k: v for k, v in variables.items() if k not in meta_cols}
    return SurveyData(
        frame=frame,
        instrument=None,
        variables=MappingProxyType(kept),
        extra=extra,
        problems=ValidationReport((*problems, *type_problems)),
        source=str(raw.path),
        format=_format_name(raw.kind),
    )


def _read_stat_file(
    path: str | Path,
    instrument: Instrument | str | Path | None,
    *,
    family: str,
    encoding: str | None,
    usecols: Sequence[str] | None,
    min_match: float = 0.5,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> SurveyData:
    p = check_input_file(path)
    kind = _check_kind(p, family)
    form = _resolve_instrument(instrument)
    raw = _read_raw(p, kind, encoding, usecols)
    suso = _is_suso(raw.frame)
    problems = list(raw.problems)
    if raw.frame.empty:
        problems.append(
            Problem(
                "no-rows",
                f"'{p.name}' has variables but no cases",
                Location(file=str(p)),
                Severity.WARNING,
                hint="check that the right file was exported",
            )
        )
    if form is None:
        return _tidy_without_instrument(raw, problems, suso)
    return _tidy_with_instrument(raw, form, problems, suso, min_match, na_values, select_multiple_source)
