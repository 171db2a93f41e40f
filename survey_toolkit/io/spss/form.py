"""An SPSS/Stata file's columns matched to a form (questions, dummies, metadata), ready for the tidy step."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ...codes import canonical_code
from ...errors import LoadError, Location, Problem, Severity
from ...instrument import Instrument, Question
from ..base import VariableMeta
from ..metadata import PLATFORM_COLUMNS
from .file import _Raw
from .labels import (
    _choice_codes,
    _choice_label_lookup,
    _decode_select_one,
    _has_letters,
    _label_clashes,
    _mr_set_dummies,
    _normalise_label,
    _numeric_to_categorical,
    _summary_labels_to_codes,
)
from .missing import _missing_codes, _without_markers

_SELECT_MULTIPLE_SEPARATORS = ("/", "__", "_", ".")
_NOT_ANSWERS = frozenset(
    {"note", "begin_group", "end_group", "begin_repeat", "end_repeat", "group", "repeat"}
)
_GEO_ALIASES = {
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "long", "lng"),
    "altitude": ("altitude", "alt"),
    "precision": ("precision", "accuracy", "acc"),
}


def _base_names(q: Question) -> list[str]:
    """Lower-cased column names a question can have in a flat statistics file or plain table."""
    names = [q.name]
    if q.path:
        names += [sep.join(q.full_path) for sep in ("/", ".", "_", "-")]
    return list(dict.fromkeys(n.lower() for n in names))


@dataclass(frozen=True)
class _Match:
    """How the file's columns map to the instrument."""

    plain: dict[str, str]  # question name -> file column
    dummies: dict[str, dict[str, str]]  # select_multiple question -> {choice code: file column}
    positional: dict[str, list[str]]  # select_multiple question -> file columns matched by position
    geo: dict[str, dict[str, str]]  # geopoint question -> {part: file column}


def match_columns(
    columns: Iterable[str], instrument: Instrument, column_labels: Mapping[str, str | None] | None = None
) -> _Match:
    """Map file columns to instrument questions by generating the candidate names from the form.

    Candidates (compared case-insensitively, never by splitting the file's names): the question name
    or its group path joined by ``/ . _ -``; select_multiple dummies ``<base><sep><code>`` with
    ``sep`` in ``/ __ _ .``; Survey Solutions' numbered dummies ``<base>__<n>`` (matched through a
    ``":<choice label>"`` variable label, else by position); geopoint parts ``<base>_latitude``,
    ``<base>__Latitude``, ``<base>/latitude``, ``_<base>_latitude`` ... .
    """
    column_labels = column_labels or {}
    by_lower: dict[str, str] = {}
    for col in columns:
        by_lower.setdefault(str(col).lower(), col)
    plain: dict[str, str] = {}
    dummies: dict[str, dict[str, str]] = {}
    positional: dict[str, list[str]] = {}
    geo: dict[str, dict[str, str]] = {}
    used: set[str] = set()
    for q in instrument.questions:
        bases = _base_names(q)
        base = next((by_lower[b] for b in bases if b in by_lower and by_lower[b] not in used), None)
        if base is not None:
            plain[q.name] = base
            used.add(base)
        if q.type == "select_multiple":
            found = _match_dummies(q, instrument, bases, by_lower, used, column_labels)
            if found[0]:
                dummies[q.name] = found[0]
            if found[1]:
                positional[q.name] = found[1]
        elif q.type == "geopoint":
            parts = {}
            for part, aliases in _GEO_ALIASES.items():
                for b in bases:
                    cands = [f"{b}{sep}{a}" for a in aliases for sep in ("_", "__", "/", "-", ".")]
                    cands += [f"_{b}_{a}" for a in aliases]
                    hit = next(
                        (by_lower[c] for c in cands if c in by_lower and by_lower[c] not in used), None
                    )
                    if hit is not None:
                        parts[part] = hit
                        used.add(hit)
                        break
            if parts:
                geo[q.name] = parts
    return _Match(plain, dummies, positional, geo)


def _match_dummies(
    q: Question,
    instrument: Instrument,
    bases: list[str],
    by_lower: Mapping[str, str],
    used: set[str],
    column_labels: Mapping[str, str | None],
) -> tuple[dict[str, str], list[str]]:
    codes = _choice_codes(instrument, q)
    found: dict[str, str] = {}
    for code in codes:
        for b in bases:
            cands = [f"{b}{sep}{code}".lower() for sep in _SELECT_MULTIPLE_SEPARATORS]
            hit = next((by_lower[c] for c in cands if c in by_lower and by_lower[c] not in used), None)
            if hit is not None:
                found[code] = hit
                used.add(hit)
                break
    # Survey Solutions numbers the dummies of a list whose codes are not numbers: q__1, q__2, ...
    numbered: list[tuple[int, str]] = []
    for b in bases:
        pat = re.compile(re.escape(b) + r"(?:__|_)(n?\d+)$")
        for low, col in by_lower.items():
            m = pat.match(low)
            if m and col not in used and m.group(1) not in codes:
                numbered.append((int(m.group(1).lstrip("n")), col))
    if not numbered:
        return found, []
    by_label = _choice_label_lookup(instrument, q.list_name)
    positional: list[str] = []
    for n, col in sorted(numbered):
        label = column_labels.get(col) or ""
        tail = _normalise_label(re.split(r"::|:", label)[-1]) if ":" in label else ""
        code = by_label.get(tail) if tail else None
        if code is None and 1 <= n <= len(codes):
            code = codes[n - 1]
            positional.append(col)
        if code is not None and code not in found:
            found[code] = col
            used.add(col)
    return found, positional


@dataclass(frozen=True)
class _Prepared:
    """The file's columns ready for the shared tidy step.

    Question columns carry names the tidy step matches exactly (``q``, ``q/<code>``,
    ``_<g>_latitude``) and already hold the form's choice codes; every other column is as in the file.
    """

    frame: pd.DataFrame
    side: pd.DataFrame  # platform columns the tidy step does not know (kept in ``extra`` as they are)
    lost: frozenset[str]  # file columns whose Stata missing letters became NA (numeric questions)
    table: str | None  # None for the main table, else the repeat (roster) the file holds
    found: tuple[str, ...]  # questions found in the file
    missing_codes: Mapping[str, tuple[str, ...]]  # question -> declared user-missing codes
    file_labels: Mapping[str, Mapping[str, str]]  # question -> the file's value labels {code: label}
    problems: tuple[Problem, ...]


def _table_questions(instrument: Instrument, table: str | None) -> list[Question]:
    """Answerable questions of the main table (None) or of one repeat, without pyxform's meta fields."""
    repeats = {g.name for g in instrument.groups if g.repeat}
    out = []
    for q in instrument.questions:
        if q.type in _NOT_ANSWERS or (q.path[:1] == ("meta",) and q.type == "calculate"):
            continue
        inner = next((p for p in reversed(q.path) if p in repeats), q.repeat)
        if inner == table:
            out.append(q)
    return out


def _pick_table(instrument: Instrument, match: _Match) -> str | None:
    """The table the file holds: the main table, or the repeat (roster) most of its columns belong to."""
    found = set(match.plain) | set(match.dummies) | set(match.geo)
    tables = [None, *(g.name for g in instrument.groups if g.repeat)]
    scores = {t: sum(q.name in found for q in _table_questions(instrument, t)) for t in tables}
    return max(tables, key=lambda t: (scores[t], t is None))


def _decoded_metadata(frame: pd.DataFrame, meta: Any) -> dict[str, pd.Series]:
    """Value-labelled metadata columns (Survey Solutions ``interview__status``) as their labels."""
    value_labels = getattr(meta, "variable_value_labels", None) or {}
    out = {}
    for col in frame.columns:
        labels = value_labels.get(col)
        if labels and _is_metadata_column(col) and pd.api.types.is_numeric_dtype(frame[col].dtype):
            mapping = {float(k): str(v) for k, v in labels.items()}
            cat = _numeric_to_categorical(frame[col].to_numpy(dtype="float64", na_value=np.nan), mapping, ())
            out[col] = pd.Series(cat, index=frame.index).astype("string")
    return out


def _prepare_select_one(
    source: pd.Series, col: str, q: Question, instrument: Instrument, labels: Mapping[Any, str], path: Path
) -> tuple[pd.Series, list[Problem]]:
    """The column decoded to the form's codes, plus the label clash / label mapping problems."""
    codes, by_label = _choice_codes(instrument, q), _choice_label_lookup(instrument, q.list_name)
    cat, via_label = _decode_select_one(source, labels, codes, by_label)
    problems = []
    clashes = _label_clashes(labels, codes, by_label)
    if clashes:
        pairs = ", ".join(f"{c} '{lab}' (form: {code} is '{lab}')" for c, lab, code in clashes)
        problems.append(
            Problem(
                "value-labels-disagree",
                f"column '{col}': codes of the file are choice codes of list '{q.list_name}' but their "
                f"labels name other choices: {pairs}; the codes were kept",
                Location(file=str(path), field=col),
                Severity.WARNING,
                hint="check that the file was coded with this version of the form; recode the "
                "variable if its codes follow another list",
            )
        )
    if via_label:
        pairs = ", ".join(f"{c} '{lab}' -> {code}" for c, lab, code in via_label)
        problems.append(
            Problem(
                "codes-mapped-by-label",
                f"column '{col}': codes matched to the choices of list '{q.list_name}' through their "
                f"labels ({pairs})",
                Location(file=str(path), field=col),
                Severity.INFO,
            )
        )
    return pd.Series(cat, index=source.index), problems


def _prepare_select_multiple(
    frame: pd.DataFrame,
    source: pd.Series | None,
    q: Question,
    match: _Match,
    path: Path,
    instrument: Instrument,
) -> tuple[dict[str, pd.Series], list[Problem]]:
    """The summary ``q`` and the ``q/<code>`` dummies (either or both): the tidy step reconciles them
    per row (``select_multiple_source``)."""
    dummies = match.dummies.get(q.name, {})
    out = {f"{q.name}/{code}": frame[c] for code, c in dummies.items()}
    if source is not None and (not dummies or bool(source.astype("string").str.strip().ne("").any())):
        out[q.name] = _summary_labels_to_codes(source, q, instrument)
    problems = []
    if match.positional.get(q.name):
        cols = match.positional[q.name]
        problems.append(
            Problem(
                "dummies-mapped-by-position",
                f"columns {', '.join(cols)} have no choice label; matched to the choices of "
                f"'{q.list_name}' by position",
                Location(file=str(path), field=cols[0]),
                Severity.WARNING,
                hint="check that the file numbers the choices in the form's order",
            )
        )
    return out, problems


def _other_columns(
    frame: pd.DataFrame, meta: Any, used: set[str], taken: set[str]
) -> tuple[dict[str, pd.Series], list[str]]:
    """The file's columns that are not questions: known platform columns renamed to the names the
    tidy step reads (``uuid`` -> ``_uuid``), value-labelled ones decoded; plus the platform
    columns the tidy step does not know (returned apart, for ``extra``)."""
    from ..tidy import platform_columns

    decoded = _decoded_metadata(frame, meta)
    known = platform_columns("generic")
    side = [
        c
        for c in frame.columns
        if c not in used and _is_metadata_column(c) and c not in known and not str(c).startswith("_")
    ]
    present = {str(c) for c in frame.columns}
    out: dict[str, pd.Series] = {}
    for col in frame.columns:
        if col in used or col in taken or col in side:
            continue
        alias = _METADATA_ALIASES.get(str(col).lower())
        name = alias if alias is not None and alias not in present and alias not in taken else col
        out[name] = decoded.get(col, frame[col])
    return out, side


def _prepare_for_tidy(raw: _Raw, instrument: Instrument, suso: bool) -> _Prepared:
    frame, meta, path = raw.frame, raw.meta, raw.path
    value_labels = getattr(meta, "variable_value_labels", None) or {}
    match = match_columns(frame.columns, instrument, getattr(meta, "column_names_to_labels", None) or {})
    table = _pick_table(instrument, match)
    out: dict[str, pd.Series] = {}
    used: set[str] = set()
    found: list[str] = []
    missing_codes: dict[str, tuple[str, ...]] = {}
    file_labels: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    lost: set[str] = set()
    for q in _table_questions(instrument, table):
        name, col = q.name, match.plain.get(q.name)
        source = _without_markers(frame[col], suso) if col is not None else None
        if col is not None:
            used.add(col)
            if _missing_codes(meta, col):
                missing_codes[name] = _missing_codes(meta, col)
            if value_labels.get(col):
                file_labels[name] = {canonical_code(k): str(v) for k, v in value_labels[col].items()}
        columns: dict[str, pd.Series] = {}
        if q.type == "select_one" and source is not None:
            columns[name], probs = _prepare_select_one(
                source, col, q, instrument, value_labels.get(col, {}), path
            )
            problems += probs
        elif q.type == "select_multiple":
            used.update(match.dummies.get(name, {}).values())
            columns, probs = _prepare_select_multiple(frame, source, q, match, path, instrument)
            if not columns:  # an SPSS multiple-response set of that name (a form built from the file)
                columns = _mr_set_dummies(raw, name)
            problems += probs
        elif q.type == "geopoint":
            if source is not None:
                columns[name] = source
            for part, c in match.geo.get(name, {}).items():
                columns[f"_{name}_{part}"] = _without_markers(frame[c], suso)
                used.add(c)
        elif source is not None:
            if _has_letters(source):
                lost.add(col)
                source = pd.to_numeric(source, errors="coerce")
            columns[name] = source
        if columns:
            found.append(name)
            out.update(columns)
    others, side = _other_columns(frame, meta, used, set(out))
    out.update(others)
    return _Prepared(
        pd.DataFrame(out, index=frame.index),
        frame[side],
        frozenset(lost),
        table,
        tuple(found),
        MappingProxyType(missing_codes),
        MappingProxyType(file_labels),
        tuple(problems),
    )


_METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "calculate",
        "hidden",
        "start-geopoint",
    }
)


def _check_share(path: Path, instrument: Instrument, prepared: _Prepared, min_match: float) -> None:
    """Raise when less than ``min_match`` of the form's questions (metadata fields aside) are in the file."""
    wanted = [q.name for q in _table_questions(instrument, prepared.table) if q.type not in _METADATA_TYPES]
    found = [w for w in wanted if w in prepared.found]
    share = len(found) / max(len(wanted), 1)
    if wanted and share < min_match:
        others = [str(c) for c in prepared.frame.columns if not _is_metadata_column(c)][:8]
        raise LoadError(
            Problem(
                "instrument-mismatch",
                f"'{path.name}' does not match the form '{instrument.form_id}': {len(found)} of "
                f"{len(wanted)} questions ({share:.0%}) were found among its {len(prepared.frame.columns)} variables",
                Location(file=str(path)),
                expected=f"at least {min_match:.0%} of the questions of '{instrument.form_id}'",
                got=", ".join(others),
                hint="load it with the XLSForm it was collected with (--instrument / instrument=); to list "
                "its variables, load it without an instrument in Python: survey_toolkit.load(path)",
            )
        )


def _with_file_metadata(
    variables: Mapping[str, VariableMeta], prepared: _Prepared
) -> Mapping[str, VariableMeta]:
    """Add what only the file knows to the tidy step's variables: the declared user-missing codes,
    and the file's value labels for questions without a choice list (``age``: ``-99 "Refused"``)."""
    out = dict(variables)
    for name, meta in variables.items():
        q = meta.question or name
        if name != q and not name.startswith(f"{q}/"):
            continue
        changes: dict[str, Any] = {}
        if q in prepared.missing_codes:
            changes["missing_codes"] = prepared.missing_codes[q]
        if name == q and not meta.value_labels and q in prepared.file_labels:
            changes["value_labels"] = MappingProxyType(
                {"default": MappingProxyType(dict(prepared.file_labels[q]))}
            )
        if changes:
            out[name] = dataclasses.replace(meta, **changes)
    return MappingProxyType(out)


#: Platform columns that are metadata, not questions (kept in ``extra`` without a warning).
_KNOWN_METADATA = frozenset(
    {
        "interview__key",
        "interview__id",
        "sssys_irnd",
        "has__errors",
        "interview__status",
        "assignment__id",
        "key",
        "parent_key",
        "submissiondate",
        "submitterid",
        "submittername",
        "attachmentspresent",
        "attachmentsexpected",
        "status",
        "reviewstate",
        "edits",
        "formversion",
        "instanceid",
        "meta_instanceid",
        "meta_rootuuid",
        "rootuuid",
    }
)


#: KoBo metadata columns as SPSS spells them (its names cannot start with ``_`` or hold ``/``).
_METADATA_ALIASES = {
    "uuid": "_uuid",
    "submission_time": "_submission_time",
    "submitted_by": "_submitted_by",
    "validation_status": "_validation_status",
    "version__": "__version__",
    "v__version__": "__version__",
    "index": "_index",
    "rootuuid": "meta/rootUuid",
    "meta_rootuuid": "meta/rootUuid",
    "meta_instanceid": "meta/instanceID",
}


# Ona's SPSS export spells the platform's "_" columns with "@" (SPSS names cannot start with "_"): "@_index"
_ONA_METADATA = frozenset("@" + c.lower() for c in PLATFORM_COLUMNS["kobo"] if c.startswith("_"))


def _is_metadata_column(name: str) -> bool:
    low = str(name).lower()
    return (
        low.startswith("_")
        or low in _KNOWN_METADATA
        or low in _ONA_METADATA
        or low.endswith(("__id", "__timestamp"))
    )
