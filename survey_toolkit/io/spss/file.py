"""Reading SPSS/Stata files: input checks, the kind of file, one pyreadstat pass (frame and metadata)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import LoadError, Location, Problem, Severity, did_you_mean

SPSS_SUFFIXES = (".sav", ".zsav", ".por")
STATA_SUFFIXES = (".dta",)


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
