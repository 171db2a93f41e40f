"""Read plain CSV and Parquet tables whose headers are question names (or names with group paths).

These are the files people write themselves: a cleaned KoBo export saved from R or Excel, a table
exported from a database, a Parquet file from a data pipeline. The readers only read; mapping the
headers to the instrument and typing the columns is the shared tidy step's job when an instrument is
given. Without an instrument, columns whose every non-empty cell is a number become numeric and the
rest stay strings.

CSV: decoded as ``utf-8-sig`` (a BOM is dropped) unless ``encoding=`` says otherwise; the delimiter
(``,`` ``;`` tab ``|``) is sniffed from the first lines; quoting is kept. Parquet needs pyarrow (the
``parquet`` extra).

Errors are :class:`~survey_toolkit.errors.LoadError` naming the file and the fix: missing or empty
file, content that is not what the suffix says, undecodable text (suggesting ``encoding=``),
duplicated headers (listed with their positions), an unreadable Parquet file, pyarrow missing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LoadError, Location, Problem, Severity, ValidationReport
from ..instrument import Instrument
from .base import SurveyData, VariableMeta
from .spss.file import _KIND_NAMES, check_input_file, sniff_file_kind
from .textfile import check_rows, decimal_commas, decode, dialect_note, parse_problem, sniff_delimiter

__all__ = [
    "read_csv_plain",
    "read_parquet",
    "read_csv_frame",
    "read_parquet_frame",
    "CSV_SUFFIXES",
    "PARQUET_SUFFIXES",
]

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")


# --------------------------------------------------------------------------------------------------
# public readers


def read_csv_plain(
    path: str | Path,
    instrument: Instrument | str | Path | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    min_match: float = 0.5,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> SurveyData:
    """Read a plain CSV whose headers are question names into a :class:`SurveyData`.

    Args:
        path: the CSV file; it is only read.
        instrument: the XLSForm used to map headers to questions and type the columns.
        encoding: the text encoding (default ``utf-8-sig``, which also reads plain UTF-8).
        delimiter: force the delimiter instead of sniffing it.
        min_match: smallest share of the form's questions that must be among the headers.
        na_values: missing-value markers (None = :data:`survey_toolkit.io.values.NA_VALUES`, ``[]``
            none); a cell that is a code of its question's choice list is never a marker.

    Raises:
        LoadError: missing/empty file, undecodable text, duplicated headers, not a CSV.
    """
    p = check_input_file(path)
    frame, problems = read_csv_frame(p, encoding=encoding, delimiter=delimiter)
    return _finish(frame, p, "csv", instrument, problems, min_match, na_values, select_multiple_source)


def read_parquet(
    path: str | Path,
    instrument: Instrument | str | Path | None = None,
    *,
    min_match: float = 0.5,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> SurveyData:
    """Read a Parquet table whose column names are question names into a :class:`SurveyData`.

    ``instrument`` and ``min_match`` as for :func:`read_csv_plain`; without an instrument the
    Parquet column types (numbers, datetimes, booleans) are kept.

    Raises:
        LoadError: missing/empty/corrupt file, not a Parquet file, duplicated columns, or pyarrow
            not installed (install it with ``pip install survey-toolkit[parquet]``).
    """
    p = check_input_file(path)
    frame = read_parquet_frame(p)
    return _finish(frame, p, "parquet", instrument, [], min_match, na_values, select_multiple_source)


# --------------------------------------------------------------------------------------------------
# raw reading


def _wrong_type(path: Path, expected: str, kind: str | None) -> LoadError:
    got = _KIND_NAMES.get(kind, _KIND_NAMES[None])
    return LoadError(
        Problem(
            "wrong-file-type",
            f"'{path.name}' is not {expected}: its content is {got}",
            Location(file=str(path)),
            expected=expected,
            got=got,
            hint="rename the file to match its content, or pass the right file; "
            "survey_toolkit.load() detects the format from the content",
        )
    )


def _check_headers(path: Path, headers: Sequence[str]) -> list[Problem]:
    """Raise one LoadError listing every duplicated header; return warnings (blank headers)."""
    positions: dict[str, list[int]] = {}
    for i, h in enumerate(headers, start=1):
        positions.setdefault(str(h).strip(), []).append(i)
    dups = {h: pos for h, pos in positions.items() if len(pos) > 1}
    problems = [
        Problem(
            "duplicate-header",
            f"header '{h}' appears {len(pos)} times (columns {', '.join(map(str, pos))})",
            Location(file=str(path), line=1, column=pos[1], field=h),
            expected="unique column names",
            got=f"{len(pos)} columns named '{h}'",
            hint="rename or delete the extra columns; exports without group paths can repeat "
            "names that differ only by group, so export with group names included",
        )
        for h, pos in dups.items()
    ]
    blank = [i for i, h in enumerate(headers, start=1) if not str(h).strip()]
    if blank:
        problems.append(
            Problem(
                "blank-header",
                f"{len(blank)} column(s) have no header (columns {', '.join(map(str, blank[:10]))})",
                Location(file=str(path), line=1, column=blank[0]),
                Severity.WARNING,
                hint="name or delete the unnamed columns",
            )
        )
    errors = [p for p in problems if p.is_error]
    if errors:
        raise LoadError(problems)
    return problems


def read_csv_frame(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """The CSV's cells as strings (empty cells ``""``) under its headers, plus warnings.

    Checks the content is text, decodes it, sniffs the delimiter and rejects duplicated headers.
    """
    p = Path(path)
    kind = sniff_file_kind(p)
    data = p.read_bytes()
    if kind not in ("text", None) or (
        kind is None and b"\x00" in data[:1024] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    ):
        raise _wrong_type(p, "a CSV text file", kind)
    text = decode(data, str(p), encoding)
    if not text.strip():
        raise LoadError(
            Problem(
                "empty-file",
                f"file '{p.name}' has no header and no rows",
                Location(file=str(p)),
                hint="export the data again; the file holds only blank space",
            )
        )
    sep = delimiter or sniff_delimiter(text.lstrip("\r\n"), str(p))
    header = next(row for row in csv.reader(io.StringIO(text), delimiter=sep) if any(c.strip() for c in row))
    problems = _check_headers(p, header)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            engine="c",
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise LoadError(parse_problem(str(exc), str(p), sep, len(header), code="bad-csv")) from None
    problems += check_rows(text, sep, len(header), str(p))
    frame, notes = decimal_commas(frame, sep, str(p))
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff")) and encoding is None
    bom = data.startswith(b"\xef\xbb\xbf") and encoding is None
    if delimiter is None or utf16 or bom:
        encoding_note = "UTF-16" if utf16 else "UTF-8 with a byte-order mark" if bom else None
        problems += dialect_note(sep if delimiter is None else ",", str(p), encoding_note)
    problems += notes
    frame.columns = [str(c).strip() or f"unnamed_{i}" for i, c in enumerate(header, start=1)]
    if frame.empty:
        problems.append(
            Problem(
                "no-rows",
                f"'{p.name}' has a header but no data rows",
                Location(file=str(p)),
                Severity.WARNING,
            )
        )
    return frame, problems


def read_parquet_frame(path: str | Path) -> pd.DataFrame:
    """The Parquet table as a DataFrame, after checking pyarrow, the magic bytes and the column names."""
    p = Path(path)
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise LoadError(
            Problem(
                "missing-dependency",
                f"reading '{p.name}' needs pyarrow, which is not installed",
                Location(file=str(p)),
                hint="pip install 'survey-toolkit[parquet]' (or pip install pyarrow)",
            )
        ) from None
    kind = sniff_file_kind(p)
    if kind != "parquet":
        raise _wrong_type(p, "a Parquet file", kind)
    try:
        _check_headers(p, pq.read_schema(p).names)
        table = pq.read_table(p)
    except LoadError:
        raise
    except Exception as exc:  # pyarrow.ArrowInvalid / OSError on truncated files
        raise LoadError(
            Problem(
                "corrupt-file",
                f"'{p.name}' looks like a Parquet file but cannot be read: it is truncated or corrupt",
                Location(file=str(p)),
                expected="a complete Parquet file",
                got=str(exc).splitlines()[0],
                hint="write or download the file again",
            )
        ) from None
    return table.to_pandas()


# --------------------------------------------------------------------------------------------------
# typing


def _infer_column(series: pd.Series) -> tuple[pd.Series, str]:
    """Numbers when every non-empty cell is a number, else strings with empty cells as NA."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean"), "boolean"
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.astype("Float64")
        integral = values.dropna()
        if len(integral) and bool((integral == integral.round()).all()):
            return values.astype("Int64"), "integer"
        return values, "decimal"
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series, "dateTime"
    text = series.astype("string").str.strip()
    text = text.mask(text.eq(""))
    present = text.notna()
    if not present.any():
        return text, "text"
    numbers = pd.to_numeric(text, errors="coerce")
    if bool(numbers[present].notna().all()):
        values = numbers.astype("Float64")
        whole = values.dropna()
        if (
            bool((whole == whole.round()).all())
            and not text[present].str.contains(r"[.eE]", regex=True).any()
        ):
            return values.astype("Int64"), "integer"
        return values, "decimal"
    return text, "text"


def _infer_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, VariableMeta]]:
    columns: dict[str, pd.Series] = {}
    variables: dict[str, VariableMeta] = {}
    for col in frame.columns:
        s, vtype = _infer_column(frame[col])
        columns[col] = s
        variables[col] = VariableMeta(name=col, type=vtype)
    return pd.DataFrame(columns, index=frame.index), variables


def _finish(
    frame: pd.DataFrame,
    path: Path,
    fmt: str,
    instrument: Any,
    problems: list[Problem],
    min_match: float,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> SurveyData:
    """Hand the table to the shared tidy step (a Parquet file without instrument keeps its own types)."""
    from .spss import _resolve_instrument
    from .tidy import build_metadata, tidy_frame

    form = _resolve_instrument(instrument)
    frame = frame.reset_index(drop=True)
    first = 2 if fmt == "csv" else 1  # CSV: spreadsheet-style rows (header = row 1); Parquet: row number
    rows = pd.Series(np.arange(first, len(frame) + first), index=frame.index)
    if form is not None and fmt == "csv":
        from .base import RawExport, RawTable
        from .tidyexport import tidy_export
        from .widerepeats import split_wide_repeats

        raw = RawExport(RawTable(frame, source_rows=rows), "generic", fmt, str(path), problems=tuple(problems))
        split = split_wide_repeats(raw, form, na_values)
        if split.children:  # a repeat written into the main table (numbered columns or one row per entry)
            return tidy_export(split, form, min_match=min_match, na_values=na_values,
                               select_multiple_source=select_multiple_source)  # fmt: skip
    if form is not None or fmt == "csv":
        return tidy_frame(
            frame,
            form,
            source_file=str(path),
            source_format=fmt,
            source_rows=rows,
            problems=problems,
            min_match=min_match,
            na_values=na_values,
            select_multiple_source=select_multiple_source,
        )
    typed, variables = _infer_frame(frame)
    meta_cols = [c for c in typed.columns if str(c).startswith("_")]
    metadata, _ = build_metadata(
        frame, platform="generic", source_file=str(path), source_format=fmt, source_rows=rows
    )
    out = pd.concat([typed.drop(columns=meta_cols), metadata], axis=1)
    variables = {k: v for k, v in variables.items() if k not in meta_cols}
    return SurveyData(
        frame=out,
        instrument=None,
        variables=MappingProxyType(variables),
        extra=frame[meta_cols],
        problems=ValidationReport(tuple(problems)),
        source=str(path),
        format=fmt,
    )
