"""An export's format from its bytes first and its suffix second (``detect_format``); damaged and unknown files refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import LoadError, Location, Problem

_XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")


def _check_file(path: Path) -> Path:
    from .spss import check_input_file

    return check_input_file(path)


def _kind(path: Path) -> str | None:
    from .spss import sniff_file_kind

    return sniff_file_kind(path)


def _zip_kind(path: Path, source: str) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise LoadError(
            Problem(
                "unreadable-file",
                f"the file is a damaged or truncated zip archive ({type(exc).__name__})",
                Location(file=source),
                hint="download or copy the export again; the transfer did not finish",
            )
        ) from None
    if "xl/workbook.xml" in names or "[Content_Types].xml" in names:
        return "xlsx"
    if any(n.lower().endswith(".csv") for n in names):
        return "csvzip"
    return "zip"


def detect_format(path: str | Path) -> str:
    """The reader :func:`load` would use: ``xlsx``, ``odk-zip``, ``text``, ``sav``, ``zsav``, ``por``,
    ``dta``, ``parquet`` (raises :class:`LoadError` for unknown or damaged files)."""
    p = _check_file(Path(path))
    source = str(path)
    kind = _kind(p)
    suffix = p.suffix.lower()
    if kind == "zip":
        zkind = _zip_kind(p, source)
        if zkind == "xlsx":
            return "xlsx"
        if zkind == "csvzip":
            return "odk-zip"
        raise LoadError(
            Problem(
                "unknown-layout",
                "the zip archive holds no CSV table and no workbook",
                Location(file=source),
                expected="an ODK Central submissions .zip, a KoBo .xlsx",
                got="a zip archive without .csv files or a workbook",
                hint="pass the export file itself (KoBo XLSX/CSV, ODK Central CSV/zip, .sav, .dta, .parquet)",
            )
        )
    if kind == "xls":
        return "xlsx"
    if kind in ("sav", "zsav", "por", "dta", "parquet"):
        return kind
    if kind == "text":
        if suffix in _XLSX_SUFFIXES:
            raise LoadError(
                Problem(
                    "unreadable-file",
                    f"the file is named '{p.name}' but it is text, not an Excel workbook",
                    Location(file=source),
                    expected="an .xlsx workbook (a zip archive)",
                    got="plain text",
                    hint="if it is a CSV export, rename it to .csv; otherwise download the XLSX export again",
                )
            )
        if suffix in (".zip", ".sav", ".zsav", ".dta", ".parquet", ".por"):
            raise LoadError(
                Problem(
                    "unreadable-file",
                    f"the file is named '{p.name}' but its content is text",
                    Location(file=source),
                    hint="download the export again, or rename the file to match its content (.csv)",
                )
            )
        return "text"
    if suffix in _XLSX_SUFFIXES + (".zip",):
        raise LoadError(
            Problem(
                "unreadable-file",
                f"'{p.name}' is not a readable {suffix} file (its content is not a zip archive)",
                Location(file=source),
                hint="the file is damaged: download the export again",
            )
        )
    if suffix in (".rda", ".rdata", ".rds"):
        raise LoadError(
            Problem(
                "unknown-layout",
                f"'{p.name}' is an R data file, which survey_toolkit does not read",
                Location(file=source),
                expected="KoBo XLSX/CSV, ODK Central CSV/zip, SPSS .sav/.zsav/.por, Stata .dta, CSV or Parquet",
                got="an R data file",
                hint="write the data frame from R as CSV (write.csv(df, 'data.csv', row.names = FALSE)) or as "
                "SPSS/Stata with haven::write_sav / haven::write_dta, or load the platform's original export",
            )
        )
    raise LoadError(
        Problem(
            "unknown-layout",
            f"the format of '{p.name}' is not recognised",
            Location(file=source),
            expected="KoBo XLSX/CSV, ODK Central CSV/zip, SPSS .sav/.zsav/.por, Stata .dta, CSV or Parquet",
            got="binary content of none of these formats",
            hint="export the data in one of these formats",
        )
    )
