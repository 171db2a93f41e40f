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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import LoadError, Location, Problem, Severity

__all__ = [
    "decode",
    "sniff_delimiter",
    "read_delimited",
    "DelimitedText",
    "check_headers",
    "hxl_row",
    "check_rows",
]

_DELIMITERS = (";", ",", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


def _export_fix(suggestion: str) -> str:
    return (f"give the file's encoding: add 'encoding: {suggestion}' to the round in survey.yaml, "
            f"pass --encoding {suggestion} to survey-toolkit inspect, or load(..., encoding='{suggestion}') "
            "in Python; or re-save the file as UTF-8")  # fmt: skip


def decode(data: bytes, source: str, encoding: str | None = None, fix: Callable[[str], str] = _export_fix) -> str:
    """Bytes -> text: UTF-8 (a BOM is dropped) unless ``encoding`` says otherwise; a clear error if not.

    A UTF-16 byte-order mark (Excel's "Unicode text" and some "CSV UTF-16" saves) selects UTF-16.
    ``fix(encoding)`` is the hint of a decoding error: where to give the likely encoding.
    """
    enc = encoding or ("utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig")
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
                hint=fix(suggestion),
            )
        ) from None
    if encoding and encoding.lower().replace("_", "-") in ("utf-8", "utf8") and text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:  # CRLF (Windows) and bare CR (classic Mac, old Excel) line ends read as LF
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def sniff_delimiter(text: str, source: str | None = None) -> str:
    """The delimiter among ``; , tab |`` that splits the header line into the most fields.

    With ``source``, a header that two delimiters split into the same number of fields (``a,b;c``)
    is an error whose hint names the option to set, instead of a guess.
    """
    first = text[:65536]
    end = first.find("\n")
    head = first if end < 0 else first[:end]
    counts: dict[str, int] = {}
    for delim in _DELIMITERS:
        try:
            counts[delim] = len(next(csv.reader([head], delimiter=delim)))
        except (csv.Error, StopIteration):
            continue
    best, best_n = ",", 1
    for delim, n in counts.items():
        if n > best_n:
            best, best_n = delim, n
    tied = [d for d, n in counts.items() if n == best_n and d != best]
    if source is not None and best_n > 1 and tied:
        names = " or ".join(f"{_DELIMITER_NAMES[d]} ('{d}')" for d in (best, *tied))
        raise LoadError(
            Problem(
                "ambiguous-delimiter",
                f"the header line splits into {best_n} columns with {names}: the separator cannot be told",
                Location(file=source, line=1),
                expected="one separator in the header line",
                got=head[:80],
                hint=f"give the separator: 'delimiter: \"{best}\"' on the round in survey.yaml, or "
                f"load(..., delimiter='{best}') in Python",
            )
        )
    return best


def dialect_note(delimiter: str, source: str, encoding: str | None = None) -> list[Problem]:
    """An information note when a file is not comma-separated UTF-8 (a spreadsheet's own dialect)."""
    parts = []
    if delimiter != ",":
        parts.append(f"separated by {_DELIMITER_NAMES.get(delimiter, repr(delimiter))} ('{delimiter}')")
    if encoding:
        parts.append(f"encoded as {encoding}")
    if not parts:
        return []
    return [
        Problem(
            "csv-dialect",
            "read the file as " + " and ".join(parts) + " (detected)",
            Location(file=source),
            Severity.INFO,
            hint="if this is wrong, set 'delimiter:' / 'encoding:' on the round in survey.yaml, or "
            "load(..., delimiter=..., encoding=...)",
        )
    ]


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
    problems: tuple[Problem, ...] = ()


def read_header(text: str, delimiter: str) -> list[str]:
    """The first record of ``text`` (quoted newlines allowed)."""
    try:
        return next(csv.reader(io.StringIO(text), delimiter=delimiter))
    except StopIteration:
        return []


_FIELDS_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


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
    delim = delimiter or sniff_delimiter(text, source)
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
    shortfall = check_rows(text, delim, len(header), source)
    rows = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)
    hxl = len(frame) > 0 and hxl_row(frame.iloc[0].tolist())
    if hxl:
        frame = frame.iloc[1:].reset_index(drop=True)
        rows = rows.iloc[1:].reset_index(drop=True)
    frame, notes = decimal_commas(frame, delim, source)
    if delimiter is None:
        notes = dialect_note(delim, source) + notes
    notes = shortfall + notes
    return DelimitedText(frame, delim, rows, hxl, tuple(notes))


def check_rows(text: str, delimiter: str, n_header: int, source: str) -> list[Problem]:
    """NUL characters and rows shorter than the others: one LoadError; a uniform shortfall: a warning.

    A row cut short (a truncated download, a line break typed into an unquoted value, a line
    written with another delimiter) would otherwise load with its last answers silently missing:
    a row with fewer fields than the longest row of the file is an error. When every row has the
    same number of fields, fewer than the header, the writer left out trailing empty fields (older
    ODK Central versions do): the rows load and a warning says so. Rows with more fields than the
    header are reported by the parser itself.
    """
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise LoadError(
            Problem(
                "nul-bytes",
                f"the file holds NUL characters (first on line {line}): it is binary or damaged text",
                Location(file=source, line=line),
                expected="text",
                got="NUL (0x00) characters",
                hint="download the export again; if the file is UTF-16 text, save it as UTF-8 CSV",
            )
        )
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader, None)
    counts: list[tuple[int, int]] = [
        (reader.line_num, len(row)) for row in reader if row and not (len(row) == 1 and not row[0].strip())
    ]
    if not counts:
        return []
    longest = max(n for _, n in counts)
    full = min(longest, n_header)
    short = [(line, n) for line, n in counts if n < full]
    if not short:
        if longest >= n_header:
            return []
        return [
            Problem(
                "trailing-fields-missing",
                f"every row has {longest} fields, fewer than the header's {n_header} columns: the last "
                f"{n_header - longest} column(s) were read as empty",
                Location(file=source, line=counts[0][0]),
                Severity.WARNING,
                expected=f"{n_header} fields on every line",
                got=f"{longest} fields",
                hint="usual for exports that leave out trailing empty values; re-export the file if those "
                "columns should hold answers",
            )
        ]
    line, fields = short[0]
    last = text.rstrip("\r\n").count("\n") + 1
    truncated = short[-1][0] == last and not text.endswith("\n")
    lines = ", ".join(str(n) for n, _ in short[:10]) + (" ..." if len(short) > 10 else "")
    sample = text.split("\n", line)[line - 1] if line <= last else ""
    mixed = [d for d in _DELIMITERS if d != delimiter and d in sample]
    if truncated and len(short) == 1:
        hint = "the file ends in the middle of a row: it was cut short; download the export again"
    elif mixed and fields == 1:
        hint = (
            f"these lines seem to use {_DELIMITER_NAMES.get(mixed[0], mixed[0])} ('{mixed[0]}') instead of "
            f"'{delimiter}': re-export the file rather than editing it by hand"
        )
    else:
        hint = "re-export the file from the platform; a value probably holds an unquoted line break"
    raise LoadError(
        Problem(
            "short-row",
            f"{len(short)} row(s) have fewer fields than the other rows ({full}) (line(s) {lines}); "
            "their last answers would be missing",
            Location(file=source, line=line),
            expected=f"{full} fields on every line",
            got=f"{fields} fields on line {line}",
            hint=hint,
            count=len(short),
        )
    )


_COMMA_NUMBER = r"^-?\d*,\d+$"
_PLAIN_NUMBER = r"^-?\d+$"


def decimal_commas(frame: pd.DataFrame, delimiter: str, source: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Read decimal commas (``1,5``) in files saved by a French/Spanish-locale spreadsheet.

    Only files separated by ``;`` or tab can hold unquoted decimal commas. A column is converted
    when every non-empty cell is a whole number or a number with one decimal comma; a note names
    the columns. When a column's commas could also be thousands separators (every one followed by
    exactly three digits, as in ``1,234``) nothing is converted and a warning says so.
    """
    if delimiter not in (";", "\t") or frame.empty:
        return frame, []
    converted, ambiguous = [], []
    out = frame
    for column in frame.columns:
        cells = frame[column]
        if not (cells.dtype == object or pd.api.types.is_string_dtype(cells.dtype)):
            continue
        text = cells.astype(str).str.strip()
        filled = text != ""
        comma = text.str.match(_COMMA_NUMBER)
        if not comma.any() or not (comma | text.str.match(_PLAIN_NUMBER) | ~filled).all():
            continue
        if text[comma].str.match(r"^-?\d{1,3},\d{3}$").all():
            ambiguous.append(str(column))
            continue
        if out is frame:
            out = frame.copy()
        out[column] = cells.where(~comma, text.str.replace(",", ".", regex=False))
        converted.append(str(column))
    problems = []
    if converted:
        problems.append(
            Problem(
                "decimal-comma",
                f"read decimal commas as decimal points in {len(converted)} column(s): "
                + ", ".join(converted[:10])
                + (" ..." if len(converted) > 10 else ""),
                Location(file=source),
                Severity.INFO,
                hint="the file was saved by a spreadsheet set to a language that writes 1,5 for 1.5",
            )
        )
    if ambiguous:
        problems.append(
            Problem(
                "ambiguous-decimal-comma",
                f"{len(ambiguous)} column(s) hold numbers such as 1,234 where the comma may be a decimal comma "
                "or a thousands separator: " + ", ".join(ambiguous[:10]) + "; they were not read as numbers",
                Location(file=source),
                Severity.WARNING,
                hint="save the file from the spreadsheet with '.' as the decimal separator (or without "
                "thousands separators), or export it again from the platform",
            )
        )
    return out, problems
