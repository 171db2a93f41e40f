"""Reading delimited text exports: decoding (BOM, encodings), dialect sniffing, header checks.

KoBo writes ``;``-separated, fully quoted, CRLF UTF-8; ODK Central ``,``-separated, minimally quoted,
LF UTF-8; files re-saved by Excel gain a BOM or a locale delimiter. :func:`read_delimited` handles all
of them and returns the raw cells as strings (``""`` for empty) under the header as written.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import LoadError, Location, Problem

__all__ = ["decode", "sniff_delimiter", "read_delimited", "DelimitedText", "check_headers", "hxl_row"]

_DELIMITERS = (";", ",", "\t", "|")


def decode(data: bytes, source: str, encoding: str | None = None) -> str:
    """Bytes -> text: UTF-8 (a BOM is dropped) unless ``encoding`` says otherwise; a clear error if not."""
    enc = encoding or "utf-8-sig"
    try:
        text = data.decode(enc)
    except LookupError:
        raise LoadError(
            Problem(
                "unknown-encoding",
                f"'{encoding}' is not an encoding Python knows",
                Location(file=source),
                hint="use a name such as 'utf-8', 'cp1252' or 'latin-1'",
            )
        ) from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        suggestion = "cp1252"
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            suggestion = "latin-1"
        raise LoadError(
            Problem(
                "wrong-encoding",
                f"the file is not valid {enc.replace('-sig', '')} text (byte 0x{data[exc.start]:02x} at line {line})",
                Location(file=source, line=line),
                expected=enc.replace("-sig", ""),
                got="bytes that are not " + enc.replace("-sig", ""),
                hint=f"give the file's encoding: add 'encoding: {suggestion}' to the round in survey.yaml, "
                f"pass --encoding {suggestion} to survey-toolkit inspect, or load(..., encoding='{suggestion}') "
                "in Python; or re-save the file as UTF-8",
            )
        ) from None
    if encoding and encoding.lower().replace("_", "-") in ("utf-8", "utf8") and text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:  # CRLF (Windows) and bare CR (classic Mac, old Excel) line ends read as LF
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def sniff_delimiter(text: str) -> str:
    """The delimiter among ``; , tab |`` that splits the header line into the most fields."""
    first = text[:65536]
    end = first.find("\n")
    head = first if end < 0 else first[:end]
    best, best_n = ",", 1
    for delim in _DELIMITERS:
        try:
            row = next(csv.reader([head], delimiter=delim))
        except (csv.Error, StopIteration):
            continue
        if len(row) > best_n:
            best, best_n = delim, len(row)
    return best


def check_headers(headers: Sequence[str], source: str, sheet: str | None = None) -> None:
    """Raise one LoadError listing every duplicated or (non-empty column) blank header."""
    counts = Counter(headers)
    dups = sorted(h for h, n in counts.items() if n > 1 and h != "")
    if dups:
        raise LoadError(
            Problem(
                "duplicate-headers",
                f"{len(dups)} column name(s) appear more than once in the header: "
                + ", ".join(repr(d) for d in dups[:20]),
                Location(
                    file=source, sheet=sheet, line=1 if sheet is None else None, row=1 if sheet else None
                ),
                expected="unique column names",
                got=", ".join(dups),
                hint="re-export with XML names and group names in the headers (KoBo 'XML values and headers' + "
                "'Include groups in headers', ODK Central groupPaths=true) or rename the duplicated columns",
                count=len(dups),
            )
        )


def hxl_row(first_row: Sequence[object]) -> bool:
    """True when a row is an HXL hashtag row: every non-empty cell starts with ``#``."""
    cells = [str(c).strip() for c in first_row if c is not None and str(c).strip() not in ("", "nan")]
    return bool(cells) and all(c.startswith("#") for c in cells)


@dataclass(frozen=True)
class DelimitedText:
    """A parsed delimited file: raw string cells, the delimiter and the spreadsheet row of each row."""

    frame: pd.DataFrame
    delimiter: str
    source_rows: pd.Series
    hxl: bool


def read_header(text: str, delimiter: str) -> list[str]:
    """The first record of ``text`` (quoted newlines allowed)."""
    try:
        return next(csv.reader(io.StringIO(text), delimiter=delimiter))
    except StopIteration:
        return []


_FIELDS_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


def parse_problem(
    detail: str, source: str, delimiter: str, n_header: int, code: str = "unreadable-file"
) -> Problem:
    """pandas' parser message (``Error tokenizing data. C error: ...``) in plain language: which line,
    how many fields, what to do."""
    sep = f"{_DELIMITER_NAMES.get(delimiter, repr(delimiter))} ('{delimiter}')"
    m = _FIELDS_ERROR.search(detail)
    if m:
        expected, line, saw = (int(g) for g in m.groups())
        if n_header <= 1:
            message = (
                f"line {line} has {saw} fields but the header line has only one column: the file does not look "
                f"like a {sep}-separated table"
            )
            hint = "pass the CSV/XLSX export itself (not an API response or a copied web page), or set delimiter="
        else:
            message = (
                f"line {line} has {saw} fields separated by {sep}, but the header has {expected} columns"
            )
            hint = (
                f"open the file at line {line}: a value probably contains an unquoted {delimiter} or a line break; "
                "re-export the file from the platform rather than editing it by hand"
            )
        return Problem(
            code,
            message,
            Location(file=source, line=line),
            expected=f"{expected} fields on every line",
            got=f"{saw} fields",
            hint=hint,
        )
    if "EOF inside string" in detail or "EOF while" in detail:
        start = re.search(r"starting at row (\d+)", detail)
        line = int(start.group(1)) + 1 if start else None
        return Problem(
            code,
            "a quoted value is never closed: the file ends inside quotes"
            + (f" opened on line {line}" if line else ""),
            Location(file=source, line=line),
            expected="every opening quote closed on the same value",
            got="an unclosed quote",
            hint="the file was cut short or edited by hand: download the export again",
        )
    return Problem(
        code,
        f"the file cannot be read as a {sep}-separated table ({detail.splitlines()[0] if detail else 'parser error'})",
        Location(file=source),
        expected=f"a {sep}-separated table with a header row",
        got="text the CSV reader cannot split into rows",
        hint="re-export the file from the platform, or pass delimiter= when it uses another separator",
    )


def read_delimited(text: str, source: str, delimiter: str | None = None) -> DelimitedText:
    """Parse delimited ``text`` into string cells (``""`` for empty), checking the header."""
    if not text.strip():
        raise LoadError(
            Problem("empty-file", "the file is empty", Location(file=source), hint="export the data again")
        )
    delim = delimiter or sniff_delimiter(text)
    header = [h.strip() or f"unnamed_{i + 1}" for i, h in enumerate(read_header(text, delim))]
    check_headers(header, source)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            header=0,
            names=header,
            skip_blank_lines=True,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise LoadError(parse_problem(str(exc), source, delim, len(header))) from None
    rows = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)
    hxl = len(frame) > 0 and hxl_row(frame.iloc[0].tolist())
    if hxl:
        frame = frame.iloc[1:].reset_index(drop=True)
        rows = rows.iloc[1:].reset_index(drop=True)
    return DelimitedText(frame, delim, rows, hxl)
