"""Vectorised converters from raw export cells to the typed columns of the tidy dataset.

Raw cells are whatever a reader produced: strings (CSV), numbers, ``datetime``/``date`` objects and
``""``/``None`` (XLSX). Each converter returns the typed series plus the mask of non-blank cells that
could not be converted, so the caller can report them as one problem. Work on unique values
(``pd.factorize``) wherever a column has few distinct values (codes, dummies).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..codes import canonical_code, is_number_text

__all__ = [
    "NA_VALUES",
    "resolve_na_values",
    "apply_na_values",
    "blank_mask",
    "canonical_code",
    "to_text",
    "to_number",
    "to_datetime",
    "dates_outside_range",
    "to_select_one",
    "to_select_multiple",
    "reconcile_select_multiple",
    "SELECT_MULTIPLE_SOURCES",
    "to_flags",
    "to_geopoint",
    "EXCEL_EPOCH",
]

#: Day zero of Excel's 1900 date system (serial 1 = 1900-01-01, with Lotus' 1900 leap-year bug).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_LAST_EXCEL_SERIAL = 2958465.99999  # 9999-12-31 23:59:59

_BLANKS = frozenset({""})
_TRUE = frozenset({"1", "true", "yes", "y", "t", "selected"})
_FALSE = frozenset({"0", "false", "no", "n", "f", "not selected"})
_OFFSET = re.compile(r"(?<=\d)\s*(Z|[+-]\d{2}(?::?\d{2})?)$")


#: Cells read as missing in every export unless ``na_values=`` says otherwise: what R (``NA``), Excel
#: (``#N/A``), databases (``NULL``), pandas (``nan``, ``<NA>``, ``NaT``) and SAS/Stata (``.``) write for a
#: missing value, and the ``N/A`` / ``n/a`` people type. Compared with the whole cell (spaces around it
#: ignored, case kept). A cell that is a code of its question's choice list is never a marker.
NA_VALUES: tuple[str, ...] = ("NA", "N/A", "n/a", "#N/A", "NULL", "null", "NaN", "nan", "<NA>", "NaT", ".")


def resolve_na_values(na_values: Sequence[object] | None) -> frozenset[str]:
    """The marker set: :data:`NA_VALUES` for None, else the given values (``[]`` turns markers off).

    Numbers are compared as codes, so ``-99`` also matches a numeric ``-99.0`` cell.
    """
    if na_values is None:
        return frozenset(NA_VALUES)
    if isinstance(na_values, str):
        na_values = [na_values]
    out = set()
    for v in na_values:
        text = str(v).strip() if isinstance(v, str) else canonical_code(v)
        if text:
            out.add(text)
            code = canonical_code(text)
            if code:
                out.add(code)
    return frozenset(out)


def apply_na_values(
    s: pd.Series, markers: frozenset[str], codes: Sequence[str] = ()
) -> tuple[pd.Series, pd.Series]:
    """``(s with marker cells set to missing, mask of those cells)``.

    A cell is a marker when its stripped text (or, for a number, its canonical code) is in ``markers``
    and it is **not** one of ``codes`` (the question's choice codes: a choice named ``NA`` or ``n/a``
    wins over the marker). Works on the column's distinct values.
    """
    if not markers or s.empty:
        return s, pd.Series(False, index=s.index)
    if s.dtype.kind in "fiu":
        numeric = [m for m in markers if canonical_code(m) is not None and is_number_text(m)]
        if not numeric:
            return s, pd.Series(False, index=s.index)
    keep = set(codes)
    fcodes, uniques = pd.factorize(s, use_na_sentinel=True)

    def is_marker(u: object) -> bool:
        text = u.strip() if isinstance(u, str) else canonical_code(u)
        return text is not None and text in markers and text not in keep and canonical_code(text) not in keep

    hit_u = np.array([is_marker(u) for u in uniques] + [False], dtype=bool)
    hit = hit_u[fcodes]
    if not hit.any():
        return s, pd.Series(False, index=s.index)
    mask = pd.Series(hit, index=s.index)
    out = s.astype("float64").where(~hit) if s.dtype.kind in "fiu" else s.where(~mask, None)
    return out, mask


def blank_mask(s: pd.Series) -> pd.Series:
    """True where a cell is empty: NA, ``""`` or whitespace only. A word (``none``, ``n/a``, ``NA``) is a
    value: missing-value markers are applied, with a count, by :func:`apply_na_values`."""
    if s.dtype.kind in "fiucbmM":
        return s.isna()
    fcodes, uniques = pd.factorize(s, use_na_sentinel=True)
    empty = np.array([isinstance(u, str) and not u.strip() for u in uniques] + [True], dtype=bool)
    return pd.Series(empty[fcodes], index=s.index)


def _on_uniques(s: pd.Series, fn) -> tuple[np.ndarray, list]:
    """Factorize ``s`` and apply ``fn`` to each unique value; returns (codes, results)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, [fn(u) for u in uniques]


def _drop_point_zero(text: pd.Series) -> pd.Series:
    """``"34.0"`` -> ``"34"`` (numbers that came from numeric workbook cells), vectorised."""
    mask = text.str.endswith(".0").fillna(False).to_numpy(dtype=bool) & text.str.match(r"-?\d+\.0$").fillna(
        False
    ).to_numpy(dtype=bool)
    if not mask.any():
        return text
    out = text.copy()
    out[mask] = text[mask].str.slice(0, -2)
    return out


def to_text(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text column (``string`` dtype, blanks -> NA, numbers from XLSX cells without ``.0``)."""
    blank = blank_mask(s)
    if s.dtype.kind in "fiu":
        out = _drop_point_zero(s.astype("Float64").astype("string"))
    else:
        out = s.astype("string")
        if s.dtype == object:
            kind = pd.api.types.infer_dtype(s, skipna=True)
            if kind not in ("string", "empty"):
                out = _drop_point_zero(out)
    out = out.str.strip().mask(blank)
    return out.astype("string"), pd.Series(False, index=s.index)


#: Numbers beyond this magnitude (and ``inf``/``-inf``) are not answers: doubles stop holding whole
#: numbers exactly at 2**53 (about 9e15), and one such value would swamp every mean and total.
MAX_ABS_NUMBER = 1e15


def to_number(s: pd.Series, integer: bool) -> tuple[pd.Series, pd.Series]:
    """Numbers: ``Int64`` when ``integer`` and every value is whole, else ``Float64``.

    Blank cells are missing; text that is not a number, ``inf``/``-inf`` and numbers larger in
    magnitude than :data:`MAX_ABS_NUMBER` are missing and flagged in the returned ``bad`` mask.
    """
    blank = blank_mask(s)
    if s.dtype.kind in "fiu":
        num = s.astype("float64")
    else:
        num = pd.to_numeric(s.where(~blank), errors="coerce")
        retry = num.isna() & ~blank
        if retry.any():
            cleaned = s[retry].astype(str).str.strip()  # no decimal-comma guessing: "1,234" is ambiguous
            num = num.astype("float64")
            num[retry] = pd.to_numeric(cleaned, errors="coerce")
    num = pd.Series(num, index=s.index, dtype="float64")
    num = num.where(num.abs() <= MAX_ABS_NUMBER)  # inf, -inf, 1e400, 1e300: not an answer
    bad = num.isna() & ~blank
    if integer:
        finite = num.dropna()
        if (finite == np.round(finite)).all():
            return num.astype("Int64"), bad
    return num.astype("Float64"), bad


def to_datetime(s: pd.Series, kind: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Dates and date-times: ``(local wall-clock datetime64[ns], utc offset minutes Int64, bad mask)``.

    Accepts ISO 8601 strings with or without an offset (``Z``, ``+03:00``, ``+0300``), Excel serial
    numbers in the 1900 system (numeric cells or numeric strings) and ``datetime``/``date`` objects.
    ``kind == "date"`` truncates to midnight.
    """
    index = s.index
    offset = pd.Series(pd.NA, index=index, dtype="Int64")
    if s.dtype.kind == "M":  # a reader's datetimes (SPSS/Stata: any resolution, any year)
        out = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        out = _in_range(out)
        bad = out.isna() & s.notna()
    else:
        blank = blank_mask(s)
        if s.dtype.kind in "fiu":
            serial = s.astype("float64").where(~blank)
            text = pd.Series(pd.NA, index=index, dtype="string")
        else:
            nonblank = s[~blank]
            inferred = pd.api.types.infer_dtype(nonblank, skipna=True)
            if inferred in ("datetime", "datetime64", "date"):  # workbook date cells
                out = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
                parsed = pd.to_datetime(nonblank, errors="coerce")
                if getattr(parsed.dt, "tz", None) is not None:
                    parsed = parsed.dt.tz_localize(None)
                out[~blank] = _in_range(parsed)
                if kind == "date":
                    out = out.dt.normalize()
                return out, offset, out.isna() & ~blank
            text = s.astype("string").mask(blank).str.strip()
            serial = pd.to_numeric(text, errors="coerce")
        out = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
        # Excel's serial range (1900-01-01 .. 9999-12-31); a larger number (milliseconds, an id) is not a date
        has_serial = serial.between(0, _LAST_EXCEL_SERIAL)
        if has_serial.any():
            days = serial[has_serial].astype("float64")
            out[has_serial] = (
                (EXCEL_EPOCH + pd.to_timedelta(days * 86400.0, unit="s"))
                .dt.round("ms")
                .astype("datetime64[ns]")
            )
        is_text = text.notna() & serial.isna()
        if is_text.any():
            t = text[is_text]
            found = t.str.extract(_OFFSET, expand=False)
            has_time = t.str.contains(r"\d[T ]\d{1,2}:\d{2}", regex=True)
            found = found.where(has_time)
            stripped = t.where(found.isna(), t.str.replace(_OFFSET, "", regex=True))
            parsed = pd.to_datetime(stripped, format="ISO8601", errors="coerce")
            # a few other unambiguous spellings; never guess day/month order of "01/05/2024"
            retry = parsed.isna() & ~stripped.str.contains(r"[/.]\d", regex=True).fillna(False)
            if retry.any():
                parsed[retry] = pd.to_datetime(stripped[retry], errors="coerce", format="mixed")
            if getattr(parsed.dt, "tz", None) is not None:
                parsed = parsed.dt.tz_localize(None)
            out[is_text] = _in_range(parsed)
            minutes = _offset_minutes(found.dropna())
            offset[minutes.index] = minutes
        bad = out.isna() & ~blank
    if kind == "date":
        out = out.dt.normalize()
    return out, offset, bad


#: The years a ``datetime64[ns]`` column can hold whole (1677-09-21 .. 2262-04-11, kept conservative).
_FIRST_YEAR, _LAST_YEAR = 1678, 2261
_LEADING_YEAR = re.compile(r"^\s*([+-]?\d{4,})-\d")


def dates_outside_range(s: pd.Series) -> pd.Series:
    """Cells that are dates, but outside the years a ``datetime64[ns]`` column can hold.

    :func:`to_datetime` sets them to missing (pandas cannot hold them; shifting them would be a silent
    error); this mask lets the caller report them as such, apart from cells that are not dates at all.
    Looks at datetime columns, ``date``/``datetime`` objects and ISO-like text (``1583-01-01``).
    """
    if s.dtype.kind == "M":
        out = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        return s.notna() & ((out < pd.Timestamp.min) | (out > pd.Timestamp.max))
    if s.dtype.kind in "fiub":
        return pd.Series(False, index=s.index)
    years = {v: v.year for v in pd.unique(s.dropna()) if isinstance(v, _dt.date)}  # distinct values only
    year = s.map(years).astype("float64") if years else pd.Series(np.nan, index=s.index)
    text = s.where(year.isna() & s.notna()).astype("string")
    leading = pd.to_numeric(text.str.extract(_LEADING_YEAR, expand=False), errors="coerce")
    year = year.fillna(leading.astype("float64"))
    return ((year < _FIRST_YEAR) | (year > _LAST_YEAR)).fillna(False).astype(bool)


def _in_range(parsed: pd.Series) -> pd.Series:
    """``datetime64[ns]``, with dates outside its range (years before 1677 or after 2262) as NaT."""
    if parsed.dtype == "datetime64[ns]":
        return parsed
    ok = parsed.notna() & (parsed >= pd.Timestamp.min) & (parsed <= pd.Timestamp.max)
    out = pd.Series(pd.NaT, index=parsed.index, dtype="datetime64[ns]")
    out[ok] = parsed[ok].astype("datetime64[ns]")
    return out


def _offset_minutes(found: pd.Series) -> pd.Series:
    if found.empty:
        return pd.Series(dtype="Int64")
    z = found == "Z"
    parts = found.where(~z, "+00:00").str.extract(r"([+-])(\d{2}):?(\d{2})?")
    sign = np.where(parts[0] == "-", -1, 1)
    hours = pd.to_numeric(parts[1]).fillna(0)
    mins = pd.to_numeric(parts[2]).fillna(0)
    return pd.Series(sign * (hours * 60 + mins), index=found.index).astype("Int64")


def _loose_label(text: str) -> str:
    """A label compared loosely: case, spacing and markdown emphasis ignored."""
    return " ".join(str(text).replace("*", "").replace("_", " ").casefold().split())


def to_select_one(
    s: pd.Series, codes: Sequence[str], labels_to_codes: Mapping[str, str] | None = None
) -> tuple[pd.Series, list[str]]:
    """Categorical of canonical codes (categories = ``codes`` then unknown values, sorted).

    ``labels_to_codes`` maps labels back to codes (label-mode exports); codes are accepted too.
    Returns the column and the unknown values.
    """
    lab = dict(labels_to_codes or {})
    loose = {_loose_label(k): v for k, v in lab.items()}

    def decode(u: object) -> str | None:
        c = canonical_code(u)
        if c is None:
            return None
        if c in code_set:
            return c
        if c in lab:
            return lab[c]
        return loose.get(_loose_label(c), c)

    code_set = set(codes)
    if isinstance(s.dtype, pd.CategoricalDtype):  # already coded (SPSS value labels): decode the categories
        fcodes = s.cat.codes.to_numpy()
        decoded = [decode(u) for u in s.cat.categories]
        for i, d in enumerate(decoded):  # a category nobody answered is not an unknown value
            if d is not None and d not in code_set and not (fcodes == i).any():
                decoded[i] = None
    else:
        fcodes, decoded = _on_uniques(s, decode)
    unknown = sorted({d for d in decoded if d is not None and d not in code_set})
    categories = list(codes) + unknown
    position = {c: i for i, c in enumerate(categories)}
    lookup = np.array([position[d] if d is not None else -1 for d in decoded] + [-1], dtype=np.int64)
    cat = pd.Categorical.from_codes(
        lookup[fcodes], dtype=pd.CategoricalDtype(pd.Index(categories, dtype=object))
    )
    return pd.Series(cat, index=s.index), unknown


def to_flags(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A select_multiple dummy as nullable boolean: 1/0, True/False, "1"/"0", yes/no; blank -> NA."""

    def decode(u: object) -> object:
        c = canonical_code(u)
        if c is None:
            return None
        low = c.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        return "bad"

    fcodes, decoded = _on_uniques(s, decode)
    vals = np.array([d if isinstance(d, bool) else None for d in decoded] + [None], dtype=object)
    bad_u = np.array([d == "bad" for d in decoded] + [False], dtype=bool)
    out = pd.Series(vals[fcodes], index=s.index).astype("boolean")
    return out, pd.Series(bad_u[fcodes], index=s.index)


def _split_summary(
    u: object, codes: Sequence[str], label_pairs: Sequence[tuple[str, str]] | None
) -> tuple[list[str], list[str]] | None:
    """(known codes in answer order, unknown tokens) of one summary value; None when blank."""
    text = canonical_code(u) if not isinstance(u, str) else u.strip()
    if text is None or text in _BLANKS:
        return None
    code_set = set(codes)
    if label_pairs:  # label-mode summary: labels may contain spaces, match whole labels
        found: list[tuple[int, str]] = []
        rest = f" {text} "
        for label, code in label_pairs:  # longest labels first
            needle = f" {label} "
            pos = rest.find(needle)
            while pos >= 0:
                found.append((pos, code))
                rest = rest[:pos] + " " + "\0" * (len(label)) + " " + rest[pos + len(needle) :]
                pos = rest.find(needle)
        leftovers = [t for t in rest.replace("\0", " ").split() if t]
        known = [c for _, c in sorted(found)]
        known += [t for t in leftovers if t in code_set]
        unknown = [t for t in leftovers if t not in code_set]
        return known, unknown
    tokens = [canonical_code(t) or t for t in text.split()]
    return [t for t in tokens if t in code_set], [t for t in tokens if t not in code_set]


def to_select_multiple(
    summary: pd.Series | None,
    dummies: Mapping[str, pd.Series],
    codes: Sequence[str],
    index: pd.Index,
    *,
    label_pairs: Sequence[tuple[str, str]] | None = None,
) -> tuple[pd.Series, dict[str, pd.Series], set[str], pd.Series]:
    """Rebuild a select_multiple question: ``(raw codes, {code: boolean}, unknown tokens, bad mask)``.

    The summary (space-separated answer) is authoritative when present: the dummies are then
    ignored (ODK Central writes 0 for skipped questions and lists observed values only). Without a
    summary the booleans come from the dummies, re-expanded to every code of the list: a choice
    without a column is False where the row answered, NA where it did not. A row with no choice
    selected counts as unanswered (NA everywhere). ``label_pairs`` ((label, code), longest label
    first) decodes label-mode summaries.
    """
    n = len(index)
    unknown: set[str] = set()
    bad = pd.Series(False, index=index)
    if summary is not None and label_pairs:
        return _from_label_summary(summary, codes, index, label_pairs)
    if summary is not None:
        return _from_summary(summary, codes, index)
    parsed_flags = {}
    for code, col in dummies.items():
        parsed_flags[code], b = to_flags(col)
        bad |= b
    any_true = np.zeros(n, dtype=bool)
    for f in parsed_flags.values():
        any_true |= f.fillna(False).to_numpy(dtype=bool)
    flags = {}
    for code in codes:
        if code in parsed_flags:
            arr = parsed_flags[code].fillna(False).to_numpy(dtype=bool)
        else:
            arr = np.zeros(n, dtype=bool)
        out = pd.array(arr, dtype="boolean")
        out[~any_true] = pd.NA
        flags[code] = pd.Series(out, index=index)
    raw = _join_codes(flags, codes, index)
    return raw, flags, unknown, bad


#: Which side of a select_multiple wins when an export has both the summary column and the 0/1 choice
#: columns and they disagree on a row: ``choices`` (the default: cleaning steps edit the 0/1 columns) or
#: ``summary``.
SELECT_MULTIPLE_SOURCES = ("choices", "summary")


def reconcile_select_multiple(
    summary: pd.Series,
    dummies: Mapping[str, pd.Series],
    codes: Sequence[str],
    index: pd.Index,
    source: str = "choices",
) -> tuple[pd.Series, dict[str, pd.Series], set[str], pd.Series, pd.Series]:
    """Both a summary and 0/1 choice columns: ``(raw codes, {code: boolean}, unknown tokens, bad mask,
    disagreeing rows)``, reconciled per row.

    A row whose choice columns are all empty takes the summary; a row whose summary is empty takes the
    choice columns (a blank summary is never "no answer" when choices are ticked). Where both are filled
    and they differ on a code that has a column, ``source`` decides: ``choices`` (default) or ``summary``;
    those rows are returned in the last mask. Codes without a column always come from the summary.
    """
    if source not in SELECT_MULTIPLE_SOURCES:
        raise ValueError(f"source must be one of {SELECT_MULTIPLE_SOURCES}, not {source!r}")
    s_raw, s_flags, unknown, _ = _from_summary(summary, codes, index)
    parsed: dict[str, pd.Series] = {}
    bad = pd.Series(False, index=index)
    for code, col in dummies.items():
        if code in s_flags:
            parsed[code], b = to_flags(col)
            bad |= b
    n = len(index)
    s_answered = s_raw.notna().to_numpy()
    d_present = np.zeros(n, dtype=bool)
    differ = np.zeros(n, dtype=bool)
    for code, flag in parsed.items():
        d_present |= flag.notna().to_numpy()
        d = flag.fillna(False).to_numpy(dtype=bool)
        differ |= d != s_flags[code].fillna(False).to_numpy(dtype=bool)
    both = s_answered & d_present
    disagree = both & differ
    use_d = d_present & ~s_answered if source == "summary" else d_present
    flags: dict[str, pd.Series] = {}
    answered = np.zeros(n, dtype=bool)
    for code in codes:
        s_val = s_flags[code].fillna(False).to_numpy(dtype=bool)
        d_val = parsed[code].fillna(False).to_numpy(dtype=bool) if code in parsed else s_val
        val = np.where(use_d, d_val, s_val)
        answered |= val
        flags[code] = val
    # a summary naming off-list codes only is still an answer, unless the 0/1 columns overrule it
    answered |= s_answered & ~(use_d & disagree)
    out = {}
    for code in codes:
        arr = pd.array(flags[code], dtype="boolean")
        arr[~answered] = pd.NA
        out[code] = pd.Series(arr, index=index)
    joined = _join_codes(out, codes, index)
    # the summary is kept where it agrees with the 0/1 columns: it alone holds the off-list codes
    from_d = use_d & (disagree | ~s_answered)
    raw = joined.where(pd.Series(from_d, index=index), s_raw).astype("string")
    return raw, out, unknown, bad, pd.Series(disagree, index=index)


def _take_boolean(values: np.ndarray, missing: np.ndarray, fcodes: np.ndarray, index: pd.Index) -> pd.Series:
    """Expand per-unique booleans (plus a trailing NA slot for code -1) to the rows."""
    return pd.Series(pd.arrays.BooleanArray(values[fcodes], missing[fcodes]), index=index)


def _from_summary(
    summary: pd.Series, codes: Sequence[str], index: pd.Index
) -> tuple[pd.Series, dict[str, pd.Series], set[str], pd.Series]:
    """Booleans from an XML summary, computed on its distinct values (a few hundred at most)."""
    fcodes, uniques = pd.factorize(summary, use_na_sentinel=True)
    text, _ = to_text(pd.Series(uniques, dtype=object))  # numeric cells (one numeric code) lose their ".0"
    text = text.str.strip()
    messy = (text.str.contains("  ", regex=False) | text.str.contains(r"[\t\r\n]", regex=True)).fillna(False)
    if messy.any():
        text[messy] = text[messy].str.replace(r"\s+", " ", regex=True)
    text = text.mask(text == "")
    answered = np.append(text.notna().to_numpy(), False)
    missing = ~answered
    padded = (" " + text.fillna("") + " ").astype("string")
    flags = {}
    n_known = np.zeros(len(text), dtype=int)
    for code in codes:
        has = padded.str.contains(f" {code} ", regex=False).to_numpy(dtype=bool, na_value=False)
        n_known += has
        flags[code] = _take_boolean(np.append(has, False), missing, fcodes, index)
    n_tokens = text.str.count(" ").fillna(-1).to_numpy() + 1
    unknown: set[str] = set()
    code_set = set(codes)
    for item in text[(n_tokens > n_known) & answered[:-1]].tolist():
        unknown.update(t for t in str(item).split() if t not in code_set)
    raw_u = np.append(text.astype(object).where(text.notna(), None).to_numpy(), None)
    raw = pd.Series(pd.array(raw_u[fcodes], dtype="string"), index=index)
    return raw, flags, unknown, pd.Series(False, index=index)


def _from_label_summary(
    summary: pd.Series, codes: Sequence[str], index: pd.Index, label_pairs: Sequence[tuple[str, str]]
) -> tuple[pd.Series, dict[str, pd.Series], set[str], pd.Series]:
    """Decode a label-mode summary per unique value (labels may contain spaces)."""
    unknown: set[str] = set()
    fcodes, parsed = _on_uniques(summary, lambda u: _split_summary(u, codes, label_pairs))
    answered = np.array([p is not None for p in parsed] + [False], dtype=bool)[fcodes]
    flags = {}
    for p in parsed:
        if p is not None:
            unknown.update(p[1])
    for code in codes:
        has = np.array([p is not None and code in p[0] for p in parsed] + [False], dtype=bool)[fcodes]
        arr = pd.array(has, dtype="boolean")
        arr[~answered] = pd.NA
        flags[code] = pd.Series(arr, index=index)
    raw = _join_codes(flags, codes, index)
    return raw, flags, unknown, pd.Series(False, index=index)


def _join_codes(flags: Mapping[str, pd.Series], codes: Sequence[str], index: pd.Index) -> pd.Series:
    pieces = pd.Series("", index=index, dtype=object)
    for code in codes:
        sel = flags[code].fillna(False).to_numpy(dtype=bool)
        pieces = pieces.where(~sel, pieces + " " + code)
    raw = pieces.str.strip()
    return raw.where(raw != "", None).astype("string")


def to_geopoint(
    raw: pd.Series | None, parts: Mapping[str, pd.Series], index: pd.Index
) -> tuple[pd.Series, dict[str, pd.Series], pd.Series]:
    """``(canonical "lat lon alt acc" string, {part: Float64}, bad mask)`` from split columns or the raw value."""
    names = ("latitude", "longitude", "altitude", "precision")
    bad = pd.Series(False, index=index)
    nums: dict[str, pd.Series] = {}
    if parts:
        for name in names:
            if name in parts:
                nums[name], b = to_number(parts[name], integer=False)
                bad |= b
    elif raw is not None:
        text = raw.astype("string").mask(blank_mask(raw)).str.strip()
        split = text.str.split(r"\s+", expand=True, regex=True)
        for i, name in enumerate(names):
            if i < split.shape[1]:
                nums[name], b = to_number(split[i], integer=False)
                bad |= b
    for name in names:
        nums.setdefault(name, pd.Series(pd.NA, index=index, dtype="Float64"))
        nums[name] = nums[name].astype("Float64")
    strings = [_drop_point_zero(nums[n].astype("string")).fillna("") for n in names]
    joined = strings[0]
    for piece in strings[1:]:
        joined = joined + " " + piece
    joined = joined.str.strip().str.replace(r"\s+", " ", regex=True)
    joined = joined.where(nums["latitude"].notna() & nums["longitude"].notna(), None).astype("string")
    return joined, nums, bad
