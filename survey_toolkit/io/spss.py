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
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..codes import canonical_code
from ..errors import LoadError, Location, Problem, Severity, ValidationReport, did_you_mean
from ..instrument import Instrument, Question
from .base import SurveyData, VariableMeta

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

SPSS_SUFFIXES = (".sav", ".zsav", ".por")
STATA_SUFFIXES = (".dta",)

#: Survey Solutions writes these for questions that were enabled but not answered.
SUSO_MISSING_NUMBER = -999999999.0
SUSO_MISSING_TEXT = "##N/A##"

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
_KIND_NAMES = {
    "sav": "an SPSS .sav file",
    "zsav": "a compressed SPSS .zsav file",
    "por": "an SPSS portable .por file",
    "dta": "a Stata .dta file",
    "zip": "a zip archive (an .xlsx workbook or a zipped export)",
    "xls": "an old Excel .xls workbook",
    "parquet": "a Parquet file",
    "text": "a text file (CSV?)",
    None: "an unknown binary file",
}
_LOADERS = {
    "sav": "read_spss",
    "zsav": "read_spss",
    "por": "read_spss",
    "dta": "read_stata",
    "zip": "survey_toolkit.load",
    "xls": "survey_toolkit.load",
    "parquet": "read_parquet",
    "text": "read_csv_plain",
}


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
# file checks shared with the tabular readers


def check_input_file(path: str | Path) -> Path:
    """Return ``path`` as a Path, raising :class:`LoadError` when it is missing, a folder or empty."""
    p = Path(path)
    loc = Location(file=str(p))
    if not p.exists():
        siblings = [c.name for c in p.parent.iterdir()] if p.parent.is_dir() else []
        hint = did_you_mean(p.name, siblings) or "check the path and the current working directory"
        raise LoadError(Problem("file-not-found", f"file '{p.name}' does not exist", loc, hint=hint))
    if p.is_dir():
        raise LoadError(
            Problem(
                "not-a-file",
                f"'{p.name}' is a folder, not an export file",
                loc,
                hint="pass the path of the exported file inside it",
            )
        )
    if p.stat().st_size == 0:
        raise LoadError(
            Problem(
                "empty-file",
                f"file '{p.name}' is empty (0 bytes)",
                loc,
                hint="the download or copy did not finish: export the data again",
            )
        )
    return p


def sniff_file_kind(path: str | Path) -> str | None:
    """What the bytes of ``path`` look like: ``sav``, ``zsav``, ``por``, ``dta``, ``zip``, ``xls``,
    ``parquet``, ``text`` or None (unknown binary). Reads the first kilobyte only."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if head.startswith(b"$FL2"):
        return "sav"
    if head.startswith(b"$FL3"):
        return "zsav"
    if b"SPSSPORT" in head:
        return "por"
    if head.startswith(b"<stata_dta>"):
        return "dta"
    if len(head) > 3 and 102 <= head[0] <= 115 and head[1] in (1, 2) and head[2] == 1:
        return "dta"  # Stata formats 102-115 (before Stata 13)
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    if b"\x00" not in head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"  # UTF-16 text (Excel's "Unicode text") starts with its byte-order mark
    return None


def _check_kind(path: Path, family: str) -> str:
    kind = sniff_file_kind(path)
    wanted = ("sav", "zsav", "por") if family == "spss" else ("dta",)
    if kind in wanted:
        return kind
    expected = "an SPSS .sav/.zsav/.por file" if family == "spss" else "a Stata .dta file"
    hint = (
        f"rename the file to match its content and load it with {_LOADERS[kind]}()"
        if kind in _LOADERS
        else "re-export the data from SPSS/Stata; the file may be damaged"
    )
    raise LoadError(
        Problem(
            "wrong-file-type",
            f"'{path.name}' is not {expected}: its content is {_KIND_NAMES.get(kind, _KIND_NAMES[None])}",
            Location(file=str(path)),
            expected=expected,
            got=_KIND_NAMES.get(kind, _KIND_NAMES[None]),
            hint=hint,
        )
    )


# --------------------------------------------------------------------------------------------------
# raw read


@dataclass(frozen=True)
class _Raw:
    frame: pd.DataFrame
    meta: Any
    path: Path
    kind: str
    problems: tuple[Problem, ...] = ()


def _read_raw(path: Path, kind: str, encoding: str | None, usecols: Sequence[str] | None) -> _Raw:
    import pyreadstat

    reader = {
        "sav": pyreadstat.read_sav,
        "zsav": pyreadstat.read_sav,
        "por": pyreadstat.read_por,
        "dta": pyreadstat.read_dta,
    }[kind]
    kwargs: dict[str, Any] = {
        "dates_as_pandas_datetime": True,
        "apply_value_formats": False,
        "usecols": list(usecols) if usecols is not None else None,
    }
    problems: list[Problem] = []
    if kind == "por":
        if encoding:
            problems.append(
                Problem(
                    "encoding-ignored",
                    "encoding= is ignored for SPSS portable files, which are always read as UTF-8",
                    Location(file=str(path)),
                    Severity.WARNING,
                )
            )
    else:
        kwargs.update(user_missing=True, encoding=encoding)
    try:
        if usecols is not None:
            _check_usecols(path, reader, usecols, {k: v for k, v in kwargs.items() if k != "usecols"})
        try:
            frame, meta = reader(str(path), **kwargs)
        except OverflowError:  # a date beyond what pandas can hold (pyreadstat #26): keep the numbers
            frame, meta = reader(str(path), **kwargs, disable_datetime_conversion=True)
            problems.append(
                Problem(
                    "dates-not-converted",
                    f"'{path.name}' has a date outside the range pandas can represent; its dates and "
                    "times are left as numbers (seconds since 1582-10-14 for SPSS, days or ms since 1960 for Stata)",
                    Location(file=str(path)),
                    Severity.WARNING,
                    hint="fix the out-of-range date in SPSS/Stata, or leave that variable out with usecols=",
                )
            )
    except LoadError:
        raise
    except (UnicodeDecodeError, UnicodeError) as exc:
        raise LoadError(_encoding_problem(path, encoding, str(exc))) from None
    except Exception as exc:  # pyreadstat raises ReadstatError / PyreadstatError (plain Exceptions)
        raise LoadError(_readstat_problem(path, kind, encoding, exc)) from None
    if kind == "dta":
        frame = _stata_dates(frame, meta)
    return _Raw(frame, meta, path, kind, tuple(problems))


_STATA_EPOCH = pd.Timestamp("1960-01-01")
_STATA_DATE_UNITS = {"%tc": "ms", "%tC": "ms", "%td": "D", "%d": "D"}


def _stata_dates(frame: pd.DataFrame, meta: Any) -> pd.DataFrame:
    """Stata date/time variables pyreadstat left as numbers (display formats with a custom mask such as
    ``%tcMon_dd,_CCYY_hh:MM:SS_AM``, as odkmeta writes): ms (``%tc``/``%tC``) or days (``%td``) since
    1960-01-01, made datetimes. Values beyond pandas' range (years after 2262) stay numbers."""
    formats = getattr(meta, "original_variable_types", None) or {}
    converted = {}
    for column, fmt in formats.items():
        unit = next((u for prefix, u in _STATA_DATE_UNITS.items() if str(fmt).startswith(prefix)), None)
        if unit is None or column not in frame.columns or not pd.api.types.is_numeric_dtype(frame[column]):
            continue
        values = frame[column].astype("float64")
        finite = values.dropna()
        limit = 9.2e15 if unit == "ms" else 1.0e5
        if len(finite) and bool(finite.abs().gt(limit).any()):
            continue
        scale = 1.0 if unit == "ms" else 86_400_000.0
        converted[column] = _STATA_EPOCH + pd.to_timedelta((values * scale).round(), unit="ms")
    if not converted:
        return frame
    return frame.assign(**converted)


def _check_usecols(path: Path, reader: Any, usecols: Sequence[str], kwargs: Mapping[str, Any]) -> None:
    """pyreadstat silently skips unknown ``usecols`` names: report them instead."""
    _, meta = reader(str(path), metadataonly=True, **{k: v for k, v in kwargs.items() if k == "encoding"})
    names = list(meta.column_names)
    unknown = [c for c in usecols if c not in names]
    if unknown:
        raise LoadError(
            [
                Problem(
                    "unknown-variable",
                    f"usecols names '{c}', which is not a variable of '{path.name}'",
                    Location(file=str(path)),
                    expected="one of the file's variable names",
                    got=c,
                    hint=did_you_mean(c, names) or "variable names are case-sensitive",
                )
                for c in unknown
            ]
        )


def _encoding_problem(path: Path, encoding: str | None, detail: str) -> Problem:
    tried = f"encoding {encoding!r}" if encoding else "the encoding declared in the file"
    return Problem(
        "wrong-encoding",
        f"the text in '{path.name}' cannot be decoded with {tried}",
        Location(file=str(path)),
        expected="text in the file's declared encoding",
        got=detail,
        hint='pass the file\'s real encoding, e.g. encoding="WINDOWS-1252" or '
        'encoding="LATIN1" (old SPSS files often use a Windows code page)',
    )


def _readstat_problem(path: Path, kind: str, encoding: str | None, exc: Exception) -> Problem:
    detail = str(exc)
    low = detail.lower()
    if "encoding" in low or "character set" in low or "convert string" in low:
        return _encoding_problem(path, encoding, detail)
    if "does not exist" in low:
        return Problem("file-not-found", f"file '{path.name}' does not exist", Location(file=str(path)))
    what = _KIND_NAMES[kind]
    return Problem(
        "corrupt-file",
        f"'{path.name}' looks like {what} but cannot be read: it is truncated or corrupt",
        Location(file=str(path)),
        expected=f"{what}, complete and undamaged",
        got=detail,
        hint="export or download the file again and check that the copy finished",
    )


# --------------------------------------------------------------------------------------------------
# codes and labels


def _normalise_label(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def _missing_codes(meta: Any, column: str) -> tuple[str, ...]:
    """Declared user-missing codes of ``column`` as strings (ranges as ``"lo..hi"``)."""
    out: list[str] = []
    for rng in (getattr(meta, "missing_ranges", None) or {}).get(column, []):
        lo, hi = rng.get("lo"), rng.get("hi")
        out.append(canonical_code(lo) if lo == hi else f"{canonical_code(lo)}..{canonical_code(hi)}")
    for letter in (getattr(meta, "missing_user_values", None) or {}).get(column, []):
        out.append(f".{letter}" if not str(letter).startswith(".") else str(letter))
    return tuple(out)


def _user_missing_mask(series: pd.Series, meta: Any, column: str) -> np.ndarray:
    """Boolean mask of the values of ``series`` that are declared user-missing."""
    mask = np.zeros(len(series), dtype=bool)
    ranges = (getattr(meta, "missing_ranges", None) or {}).get(column, [])
    letters = (getattr(meta, "missing_user_values", None) or {}).get(column, [])
    if series.dtype == object:
        # Stata extended missing values come back as letters inside a numeric column
        as_text = series.map(lambda v: isinstance(v, str))
        mask |= as_text.to_numpy(dtype=bool)
        return mask
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        for rng in ranges:
            mask |= (values >= float(rng["lo"])) & (values <= float(rng["hi"]))
    elif ranges:
        values = series.astype("string")
        for rng in ranges:
            mask |= ((values >= str(rng["lo"])) & (values <= str(rng["hi"]))).fillna(False).to_numpy(bool)
    del letters
    return mask


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


def _blank_to_na(series: pd.Series) -> pd.Series:
    """String column with empty/blank strings and Survey Solutions' ``##N/A##`` as NA."""
    s = series.astype("string")
    stripped = s.str.strip()
    return s.mask(stripped.eq("") | stripped.eq(SUSO_MISSING_TEXT))


# --------------------------------------------------------------------------------------------------
# typing from the file's own metadata (no instrument)


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


def _suso_to_na(series: pd.Series) -> tuple[pd.Series, int]:
    if pd.api.types.is_float_dtype(series.dtype):
        hit = series.to_numpy() == SUSO_MISSING_NUMBER
        # latitude/longitude written as float32 give -1e9 rather than exactly -999999999
        hit |= np.isclose(series.to_numpy(), SUSO_MISSING_NUMBER, rtol=1e-6, atol=0)
        n = int(hit.sum())
        return (series.mask(hit) if n else series), n
    return series, 0


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
    from .values import to_select_multiple

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


def _user_missing_problems(
    path: Path,
    kept: Sequence[tuple[str, tuple[str, ...], int]],
    lost: Sequence[tuple[str, tuple[str, ...], int]],
) -> list[Problem]:
    """One summarising problem for the columns whose user-missing values were kept as codes (info)
    and one for Stata missing letters that a numeric question could not keep (warning)."""
    out = []
    for entries, code, severity in (
        (kept, "user-missing", Severity.INFO),
        (lost, "user-missing-lost", Severity.WARNING),
    ):
        if not entries:
            continue
        total = sum(n for *_, n in entries)
        listing = ", ".join(f"{c} ({n}: {', '.join(codes)})" for c, codes, n in entries[:20])
        listing += " ..." if len(entries) > 20 else ""
        if code == "user-missing":
            message = f"{total} user-missing value(s) in {len(entries)} column(s) were kept as their codes: {listing}"
            hint = (
                "these are answers such as don't know / refused, not blanks; each column's declared codes "
                "are in SurveyData.variables[column].missing_codes"
            )
        else:
            message = (
                f"{total} Stata extended missing value(s) in {len(entries)} numeric question(s) were read as "
                f"missing: {listing}"
            )
            hint = "recode them to numeric codes (e.g. 98/99) in Stata if they must stay distinguishable"
        out.append(
            Problem(
                code,
                message,
                Location(file=str(path), field=entries[0][0] if len(entries) == 1 else None),
                severity,
                expected="column=number of values declared missing by the file",
                got=", ".join(f"{c}={n}" for c, _, n in entries),
                count=total,
                hint=hint,
            )
        )
    return out


def _marker_problems(path: Path, entries: Sequence[tuple[str, int]]) -> list[Problem]:
    """One info problem listing the columns where Survey Solutions' 'not answered' markers became NA."""
    if not entries:
        return []
    total = sum(n for _, n in entries)
    listing = ", ".join(f"{c} ({n})" for c, n in entries[:20]) + (" ..." if len(entries) > 20 else "")
    return [
        Problem(
            "not-answered-marker",
            f"{total} Survey Solutions 'not answered' marker(s) ({SUSO_MISSING_NUMBER:.0f} / {SUSO_MISSING_TEXT}) "
            f"were read as missing in {len(entries)} column(s): {listing}",
            Location(file=str(path), field=entries[0][0] if len(entries) == 1 else None),
            Severity.INFO,
            expected="column=number of 'not answered' markers",
            got=", ".join(f"{c}={n}" for c, n in entries),
            count=total,
            hint="nothing to do: Survey Solutions writes these markers for questions not answered",
        )
    ]


# --------------------------------------------------------------------------------------------------
# mapping to an instrument


def _resolve_instrument(instrument: Instrument | str | Path | None) -> Instrument | None:
    if instrument is None or isinstance(instrument, Instrument):
        return instrument
    from ..instrument import read_instrument

    return read_instrument(instrument)


def _base_names(q: Question) -> list[str]:
    """Lower-cased column names a question can have in a flat statistics file or plain table."""
    names = [q.name]
    if q.path:
        names += [sep.join(q.full_path) for sep in ("/", ".", "_", "-")]
    return list(dict.fromkeys(n.lower() for n in names))


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


def _is_suso(frame: pd.DataFrame) -> bool:
    lower = {str(c).lower() for c in frame.columns}
    return "interview__id" in lower or "interview__key" in lower


def _without_markers(series: pd.Series, suso: bool) -> pd.Series:
    if not suso:
        return series
    if pd.api.types.is_float_dtype(series.dtype):
        return _suso_to_na(series)[0]
    if pd.api.types.is_string_dtype(series.dtype):
        return _blank_to_na(series)
    return series


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
    from .tidy import platform_columns

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


def _tidy_with_instrument(
    raw: _Raw,
    instrument: Instrument,
    problems: list[Problem],
    suso: bool,
    min_match: float,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> SurveyData:
    from .tidy import child_frame, tidy_frame

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
        children, child_problems = _sibling_rosters(raw, instrument)
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


def _sibling_rosters(raw: _Raw, instrument: Instrument) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Survey Solutions-style roster files beside the main file (``<repeat>.dta`` next to
    ``main.dta``) read as the child tables of the instrument's repeats."""
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
        children[group.name] = child.frame
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


def _is_metadata_column(name: str) -> bool:
    low = str(name).lower()
    return low.startswith("_") or low in _KNOWN_METADATA or low.endswith(("__id", "__timestamp"))


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
    from .tidy import build_metadata

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


def _missing_value_problems(raw: _Raw, suso: bool, lost: frozenset[str] = frozenset()) -> list[Problem]:
    """The summarised ``user-missing`` / ``user-missing-lost`` / ``not-answered-marker`` problems of a
    file (one vectorised pass per column that declares missing codes)."""
    kept_cols: list[tuple[str, tuple[str, ...], int]] = []
    lost_cols: list[tuple[str, tuple[str, ...], int]] = []
    markers: list[tuple[str, int]] = []
    for col in raw.frame.columns:
        codes = _missing_codes(raw.meta, col)
        if codes:
            count = int(_user_missing_mask(raw.frame[col], raw.meta, col).sum())
            if count:
                (lost_cols if col in lost else kept_cols).append((col, codes, count))
        if suso and pd.api.types.is_float_dtype(raw.frame[col].dtype):
            n = _suso_to_na(raw.frame[col])[1]
            if n:
                markers.append((col, n))
    return _user_missing_problems(raw.path, kept_cols, lost_cols) + _marker_problems(raw.path, markers)
