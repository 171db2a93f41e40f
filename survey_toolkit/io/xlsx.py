"""Reading workbook sheets into raw tables with python-calamine (openpyxl only as a fallback).

Cells come back as Python values: ``str``, ``float``, ``bool``, ``datetime``/``date`` for cells with
a date format, ``""`` for empty cells. Nothing is typed here: the tidy step types from the form.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import LoadError, Location, Problem
from .sheetscan import check_workbook
from .textfile import check_headers, hxl_row

__all__ = ["SheetTable", "read_workbook", "is_zip"]


def is_zip(path: Path) -> bool:
    """True when the file starts with a zip signature (xlsx files are zips)."""
    with open(path, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


@dataclass(frozen=True)
class SheetTable:
    """One sheet: raw cells under its header, the spreadsheet row of each row, and its name."""

    name: str
    frame: pd.DataFrame
    source_rows: pd.Series
    hxl: bool


def _corrupt(source: str, detail: str) -> LoadError:
    return LoadError(
        Problem(
            "unreadable-file",
            f"the workbook cannot be read ({detail})",
            Location(file=source),
            hint="the file is damaged or not a real .xlsx: download the export again, or open and re-save it in a "
            "spreadsheet program",
        )
    )


def _rows_to_table(name: str, rows: list[list], source: str) -> SheetTable | None:
    if not rows:
        return None
    header_cells = rows[0]
    width = len(header_cells)
    header = []
    for i, h in enumerate(header_cells):
        if isinstance(h, float) and h.is_integer():
            h = int(h)
        text = "" if h is None else str(h).strip()
        header.append(text or f"unnamed_{i + 1}")
    check_headers(header, source, sheet=name)
    body = rows[1:]
    frame = (
        pd.DataFrame(body, columns=header, dtype=object)
        if body
        else pd.DataFrame(columns=header, dtype=object)
    )
    if frame.shape[1] != width:  # ragged rows: pandas pads with None
        frame = frame.iloc[:, :width]
    blank_headed = [h for i, h in enumerate(header) if h == f"unnamed_{i + 1}"]
    empty = [h for h in blank_headed if (frame[h].isna() | (frame[h] == "")).all()]
    if empty:  # formatted but unused columns at the right of the sheet
        frame = frame.drop(columns=empty)
    rows_no = pd.Series(np.arange(2, len(frame) + 2), index=frame.index)
    hxl = len(frame) > 0 and hxl_row(frame.iloc[0].tolist())
    if hxl:
        frame = frame.iloc[1:].reset_index(drop=True)
        rows_no = rows_no.iloc[1:].reset_index(drop=True)
    # drop fully empty trailing rows (spreadsheet formatting beyond the data)
    return SheetTable(name, frame, rows_no, hxl)


def read_workbook(path: Path, source: str, sheets: list[str] | None = None) -> list[SheetTable]:
    """Every sheet (or the named ones) of an .xlsx/.xlsm/.xls workbook as raw tables, in workbook order.

    An .xlsx/.xlsm is first scanned (:func:`.sheetscan.check_workbook`): sheets too large to read and
    formula cells without a calculated value are errors before any cell is loaded.
    """
    if is_zip(path):
        check_workbook(path, source, sheets)
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
        out = []
        for name in names:
            if sheets is not None and name not in sheets:
                continue
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            while rows and all(c == "" or c is None for c in rows[-1]):
                rows.pop()
            table = _rows_to_table(name, rows, source)
            if table is not None:
                out.append(table)
        return out
    except LoadError:
        raise
    except ImportError:  # pragma: no cover - calamine is a dependency; openpyxl as a fallback
        return _read_openpyxl(path, source, sheets)
    except Exception as exc:  # calamine raises its own error types for damaged files
        if zipfile.is_zipfile(path):
            try:
                return _read_openpyxl(path, source, sheets)
            except LoadError:
                raise
            except Exception:
                pass
        raise _corrupt(source, type(exc).__name__) from None


def _read_openpyxl(path: Path, source: str, sheets: list[str] | None) -> list[SheetTable]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise _corrupt(source, type(exc).__name__) from None
    out = []
    for ws in wb.worksheets:
        if sheets is not None and ws.title not in sheets:
            continue
        rows = [["" if c is None else c for c in row] for row in ws.iter_rows(values_only=True)]
        table = _rows_to_table(ws.title, rows, source)
        if table is not None:
            out.append(table)
    wb.close()
    return out
