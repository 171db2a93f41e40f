"""SPSS/Stata value labels: columns typed from the file's own labels, and codes mapped to a form's choices."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ...codes import canonical_code
from ...errors import Location, Problem, Severity
from ...instrument import Instrument, Question
from ..base import VariableMeta
from .file import _Raw
from .missing import (
    _blank_to_na,
    _marker_problems,
    _missing_codes,
    _suso_to_na,
    _user_missing_mask,
    _user_missing_problems,
)


def _normalise_label(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def _numeric_to_categorical(
    values: np.ndarray, mapping: Mapping[float, str], categories: Sequence[str]
) -> pd.Categorical:
    """Vectorised decode of a float column: each value -> ``mapping[value]`` or its canonical code.

    ``categories`` come first in the result's categories (in that order); codes found in the data but
    not in them are appended. NaN stays missing.
    """
    cats = list(dict.fromkeys(categories))
    index = {c: i for i, c in enumerate(cats)}
    known = np.array(sorted(mapping), dtype="float64")
    for code in mapping.values():
        if code not in index:
            index[code] = len(cats)
            cats.append(code)
    target = np.array([index[mapping[k]] for k in known], dtype="int64")
    nan = np.isnan(values)
    whole_codes = len(known) and bool((known == np.round(known)).all())
    if whole_codes and known[-1] - known[0] < 100_000:
        # integer codes in a small range: one table lookup (sentinels at both ends) instead of a search
        lo, span = int(known[0]), int(known[-1] - known[0])
        table = np.full(span + 3, -1, dtype="int64")
        table[known.astype("int64") - lo + 1] = target
        with np.errstate(invalid="ignore"):
            whole = values.astype("int64")
        idx = whole - (lo - 1)
        np.clip(idx, 0, span + 2, out=idx)
        out = table[idx]
        out[whole != values] = -1  # NaN and non-integers
        hit = out >= 0
    elif len(known):
        out = np.full(len(values), -1, dtype="int64")
        pos = np.clip(np.searchsorted(known, values), 0, len(known) - 1)
        hit = (known[pos] == values) & ~nan
        out[hit] = target[pos[hit]]
    else:
        out = np.full(len(values), -1, dtype="int64")
        hit = np.zeros(len(values), dtype=bool)
    rest = ~hit & ~nan
    if rest.any():
        extra = pd.unique(values[rest])
        extra_codes = [canonical_code(v) for v in np.sort(extra)]
        extra_index = []
        for code in extra_codes:
            if code not in index:
                index[code] = len(cats)
                cats.append(code)
            extra_index.append(index[code])
        sorted_extra = np.sort(extra)
        pos = np.searchsorted(sorted_extra, values[rest])
        out[rest] = np.array(extra_index, dtype="int64")[pos]
    return pd.Categorical.from_codes(out, categories=pd.Index(cats, dtype=object), validate=False)


def _strings_to_categorical(
    series: pd.Series, mapping: Mapping[str, str], categories: Sequence[str]
) -> pd.Categorical:
    """Decode a string column through its distinct values only (fast on long columns)."""
    cat = pd.Categorical(series.astype(object).where(series.notna(), None))
    renamed = [mapping.get(str(c), str(c).strip()) for c in cat.categories]
    cats = list(dict.fromkeys([*categories, *renamed]))
    index = {c: i for i, c in enumerate(cats)}
    lookup = np.array([index[r] for r in renamed] + [-1], dtype="int64")
    codes = lookup[np.asarray(cat.codes, dtype="int64")]
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype=object))


def _column_label(meta: Any, column: str) -> str | None:
    return (getattr(meta, "column_names_to_labels", None) or {}).get(column)


def _is_select_one(
    series: pd.Series, labels: Mapping[Any, str], measure: str, user_missing: np.ndarray
) -> bool:
    if not labels:
        return False
    if measure in ("nominal", "ordinal"):
        return True
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        observed = ~np.isnan(values) & ~user_missing
        return bool(np.isin(values[observed], np.array(list(labels), dtype="float64")).all())
    observed = series.notna().to_numpy(bool) & ~user_missing
    return bool(series[observed].isin([canonical_code(k) for k in labels]).all())


def _without_huge(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """``s`` with ``inf``/``-inf`` and numbers beyond :data:`~..values.MAX_ABS_NUMBER` set to missing, and where."""
    from ..values import MAX_ABS_NUMBER

    values = s.to_numpy(dtype="float64", na_value=np.nan)
    huge = ~np.isnan(values) & ~(np.abs(values) <= MAX_ABS_NUMBER)
    return (s.mask(huge) if huge.any() else s), huge


def _huge_problem(path: Any, column: str, huge: np.ndarray) -> Problem:
    rows = np.flatnonzero(huge) + 1  # the case number (row 1 is the first case)
    shown = ", ".join(map(str, rows[:5])) + (f" ... ({len(rows)} rows)" if len(rows) > 5 else "")
    return Problem(
        "bad-number",
        f"{len(rows)} value(s) of column '{column}' are infinite or larger than 1e15 (rows {shown}); they were set "
        "to missing",
        Location(file=str(path), row=int(rows[0]), field=column),
        severity=Severity.WARNING,
        expected="finite numbers",
        got=f"{len(rows)} infinite or huge value(s)",
        count=len(rows),
        hint="check the variable in SPSS/Stata (an inf comes from a division by zero in a computed variable)",
    )


def _type_from_metadata(raw: _Raw, suso: bool) -> tuple[pd.DataFrame, dict[str, VariableMeta], list[Problem]]:
    frame, meta = raw.frame, raw.meta
    measures = getattr(meta, "variable_measure", None) or {}
    value_labels = getattr(meta, "variable_value_labels", None) or {}
    columns: dict[str, Any] = {}
    variables: dict[str, VariableMeta] = {}
    problems: list[Problem] = []
    kept: list[tuple[str, tuple[str, ...], int]] = []
    lost: list[tuple[str, tuple[str, ...], int]] = []
    markers: list[tuple[str, int]] = []
    for col in frame.columns:
        s = frame[col]
        labels = value_labels.get(col, {})
        missing = _missing_codes(meta, col)
        um = _user_missing_mask(s, meta, col) if missing else np.zeros(len(s), dtype=bool)
        if suso:
            s, n_suso = _suso_to_na(s)
            if n_suso:
                markers.append((col, n_suso))
        vtype = _storage_type(s)
        if vtype == "text":
            s = _blank_to_na(s)
        elif _has_letters(s):  # Stata extended missing values inside a numeric variable
            if labels or measures.get(col) in ("nominal", "ordinal"):
                s, vtype = _mixed_to_codes(s), "text"
            else:
                s = pd.to_numeric(s, errors="coerce")
        if _is_select_one(s, labels, measures.get(col, "unknown"), um):
            order = [canonical_code(k) for k in labels]
            if vtype == "text":
                s = pd.Series(_strings_to_categorical(s, {}, order), index=frame.index, name=col)
            else:
                mapping = {float(k): canonical_code(k) for k in labels}
                s = pd.Series(
                    _numeric_to_categorical(s.to_numpy(dtype="float64", na_value=np.nan), mapping, order),
                    index=frame.index,
                    name=col,
                )
            vtype = "select_one"
        elif pd.api.types.is_float_dtype(s.dtype):
            s, huge = _without_huge(s)
            if huge.any():
                problems.append(_huge_problem(raw.path, str(col), huge))
        columns[col] = s
        variables[col] = _variable_meta(col, vtype, meta, labels, missing)
        if um.any():
            was_lost = frame[col].dtype == object and pd.api.types.is_float_dtype(s.dtype)
            (lost if was_lost else kept).append((col, missing, int(um.sum())))
    problems += _user_missing_problems(raw.path, kept, lost) + _marker_problems(raw.path, markers)
    try:
        mr_columns, mr_variables = _mr_sets(raw)
    except Exception:  # MR-set metadata is sometimes mis-decoded (pyreadstat #290): never fail on it
        mr_columns, mr_variables = {}, {}
        problems.append(
            Problem(
                "unreadable-mr-sets",
                "the file's multiple-response sets could not be read; their variables are loaded one by one",
                Location(file=str(raw.path)),
                Severity.WARNING,
            )
        )
    columns.update(mr_columns)
    variables.update(mr_variables)
    out = pd.DataFrame(columns, index=frame.index)
    return out, variables, problems


def _has_letters(series: pd.Series) -> bool:
    """True for an object column mixing numbers and Stata missing letters (``user_missing=True``)."""
    if series.dtype != object:
        return False
    _, uniques = pd.factorize(series)
    return any(isinstance(u, str) for u in uniques) and not all(isinstance(u, str) for u in uniques)


def _mixed_to_codes(series: pd.Series) -> pd.Series:
    """Numbers -> canonical codes, Stata missing letters -> ``.a`` (on the distinct values only)."""
    codes, uniques = pd.factorize(series)
    texts = [
        (f".{u}" if not u.startswith(".") else u) if isinstance(u, str) else canonical_code(u)
        for u in uniques
    ]
    values = np.array([*texts, None], dtype=object)[codes]
    return pd.Series(values, index=series.index, dtype="string")


def _mr_sets(raw: _Raw) -> tuple[dict[str, pd.Series], dict[str, VariableMeta]]:
    """SPSS multiple-response sets as select_multiple columns: raw ``set`` plus ``set/<code>``.

    A dichotomy set (``D``) has one code per variable (the variable name), selected where the
    variable equals the counted value; a category set (``C``) has one code per value found in its
    variables. Rows where no code is selected are NA, as for any unanswered select_multiple.
    """
    from ..values import to_select_multiple

    frame = raw.frame
    columns: dict[str, pd.Series] = {}
    variables: dict[str, VariableMeta] = {}
    for name, mr in (getattr(raw.meta, "mr_sets", None) or {}).items():
        members = [v for v in mr.get("variable_list", []) if v in frame.columns]
        if not members or name in frame.columns:
            continue
        if mr.get("type") == "D":
            counted = mr.get("counted_value")
            codes = list(members)
            dummies = {}
            for v in members:
                col = frame[v]
                text = _mixed_to_codes(col.astype(object)) if col.dtype != object else _mixed_to_codes(col)
                dummies[v] = (text == canonical_code(counted)).astype("boolean").mask(text.isna())
        else:
            stacked = pd.concat([_blank_to_na(frame[v].astype("string")) for v in members], axis=1)
            codes = sorted(pd.unique(stacked.stack().dropna().astype(str)))
            dummies = {c: stacked.eq(c).any(axis=1).astype("boolean") for c in codes}
        summary, flags, _, _ = to_select_multiple(None, dummies, codes, frame.index)
        label = MappingProxyType({"default": str(mr.get("label"))} if mr.get("label") else {})
        columns[name] = summary
        variables[name] = VariableMeta(name=name, type="select_multiple", labels=label, question=name)
        for code in codes:
            columns[f"{name}/{code}"] = flags[code]
            variables[f"{name}/{code}"] = VariableMeta(
                name=f"{name}/{code}", type="select_multiple", labels=label, question=name
            )
    return columns, variables


def _mr_set_dummies(raw: _Raw, name: str) -> dict[str, pd.Series]:
    """The ``name/<code>`` flags of the file's multiple-response set ``name`` (none when it has none)."""
    if name not in (getattr(raw.meta, "mr_sets", None) or {}):
        return {}
    try:
        columns, _ = _mr_sets(raw)
    except Exception:  # mis-decoded MR-set metadata (pyreadstat #290): the question stays unmatched
        return {}
    return {c: s for c, s in columns.items() if c.startswith(name + "/")}


def _storage_type(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "dateTime"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "decimal"
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        return "text"
    if series.dtype == object:
        first = series.dropna()
        if len(first) and isinstance(first.iloc[0], str):
            return "text"
        return "time" if len(first) and hasattr(first.iloc[0], "hour") else "decimal"
    return "text"


def _variable_meta(
    col: str,
    vtype: str,
    meta: Any,
    labels: Mapping[Any, str],
    missing: tuple[str, ...],
    question: str | None = None,
) -> VariableMeta:
    label = _column_label(meta, col)
    return VariableMeta(
        name=col,
        type=vtype,
        labels=MappingProxyType({"default": label} if label else {}),
        value_labels=MappingProxyType(
            {"default": MappingProxyType({canonical_code(k): str(v) for k, v in labels.items()})}
            if labels
            else {}
        ),
        missing_codes=missing,
        question=question,
    )


def _choice_label_lookup(instrument: Instrument, list_name: str | None) -> dict[str, str]:
    """normalised label (any language) or code -> choice code, ambiguous labels left out."""
    if not list_name or list_name not in instrument.choice_lists:
        return {}
    seen: dict[str, set[str]] = {}
    for choice in instrument.choice_lists[list_name].choices:
        for text in choice.labels.values():
            seen.setdefault(_normalise_label(text), set()).add(choice.name)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def _choice_codes(instrument: Instrument, q: Question) -> tuple[str, ...]:
    cl = instrument.choice_lists.get(q.list_name or "")
    return cl.codes if cl is not None else ()


def _code_mapping(
    labels: Mapping[Any, str], codes: Sequence[str], by_label: Mapping[str, str]
) -> tuple[dict[Any, str], list[tuple[str, str, str]]]:
    """file code -> instrument code; plus the (file code, label, choice) pairs mapped by label."""
    code_set = set(codes)
    mapping: dict[Any, str] = {}
    via_label: list[tuple[str, str, str]] = []
    for raw_code, label in labels.items():
        c = canonical_code(raw_code)
        if c in code_set:
            mapping[raw_code] = c
        elif _normalise_label(label) in by_label:
            mapping[raw_code] = by_label[_normalise_label(label)]
            via_label.append((c, str(label), mapping[raw_code]))
        else:
            mapping[raw_code] = c
    return mapping, via_label


def _label_clashes(
    labels: Mapping[Any, str], codes: Sequence[str], by_label: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """(file code, its label, the form code with that label) where a file code is a form code whose
    label names a *different* choice of the form (codes 1 "No" / 2 "Yes" against 1 yes / 2 no)."""
    code_set = set(codes)
    out = []
    for raw_code, label in labels.items():
        c = canonical_code(raw_code)
        other = by_label.get(_normalise_label(label))
        if c in code_set and other is not None and other != c:
            out.append((c, str(label), other))
    return out


def _decode_select_one(
    series: pd.Series, labels: Mapping[Any, str], codes: Sequence[str], by_label: Mapping[str, str]
) -> tuple[pd.Categorical, list[tuple[str, str, str]]]:
    mapping, via_label = _code_mapping(labels, codes, by_label)
    if pd.api.types.is_numeric_dtype(series.dtype):
        fmap = {float(k): v for k, v in mapping.items()}
        cat = _numeric_to_categorical(series.to_numpy(dtype="float64", na_value=np.nan), fmap, codes)
        return cat, via_label
    s = _blank_to_na(series) if series.dtype != object else _mixed_to_codes(series)
    smap = {str(k): v for k, v in mapping.items()}
    # a value that is itself a choice label (files that store labels as strings) -> its code
    cat = pd.Categorical(s.astype(object).where(s.notna(), None))
    for value in cat.categories:
        value = str(value)
        if value not in smap and value not in set(codes) and _normalise_label(value) in by_label:
            smap[value] = by_label[_normalise_label(value)]
            via_label.append((value, value, smap[value]))
    return _strings_to_categorical(s, smap, codes), via_label


def _summary_labels_to_codes(source: pd.Series, q: Question, instrument: Instrument) -> pd.Series:
    """A select_multiple summary written with choice *labels* (``"Health Water"``, any form
    language) rewritten with codes (``"health water"``); answers already in codes stay. Works on the
    distinct answers only; labels are matched whole, longest first, so labels with spaces work."""
    if pd.api.types.is_numeric_dtype(source.dtype):
        return source
    cl = instrument.choice_lists.get(q.list_name or "")
    if cl is None:
        return source
    codes = set(cl.codes)
    pairs = sorted(
        {
            (_normalise_label(text), c.name)
            for c in cl.choices
            for text in c.labels.values()
            if str(text).strip()
        },
        key=lambda p: -len(p[0]),
    )

    def convert(text: str) -> str:
        tokens = text.split()
        if all(t in codes for t in tokens):
            return text
        rest, found = f" {_normalise_label(text)} ", []
        for label, code in pairs:
            needle = f" {label} "
            while needle in rest:
                pos = rest.find(needle)
                found.append((pos, code))
                rest = rest[:pos] + " " + "\0" * len(label) + " " + rest[pos + len(needle) :]
        if rest.replace("\0", " ").strip():  # something is neither a code nor a label: leave it as is
            return text
        return " ".join(code for _, code in sorted(found))

    cat = pd.Categorical(source.astype(object).where(source.notna(), None))
    converted = [convert(str(v)) for v in cat.categories]
    if converted == [str(v) for v in cat.categories]:
        return source
    values = np.array([*converted, None], dtype=object)[np.asarray(cat.codes, dtype="int64")]
    return pd.Series(values, index=source.index, dtype="string")
