"""A streaming pre-scan of the worksheets of an .xlsx/.xlsm workbook, before any reader sees it.

Readers build a dense grid from the largest row and column that hold a cell, so one stray cell at
``XFD1048576`` (or 200,000 sparse rows far to the right) asks for billions of cells and exhausts
memory, or aborts the process. The scan reads each worksheet's XML in chunks (within the archive
size limit of :mod:`.archive`) and refuses a sheet whose used area exceeds :data:`MAX_SHEET_CELLS`.
It also finds formula cells saved without a calculated value (files written by scripts, or
"manual calculation" in Excel): readers see them as empty, which would silently drop answers.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from ..errors import LoadError, Location, Problem
from .archive import MAX_UNZIPPED_BYTES, check_zip_sizes

__all__ = ["MAX_SHEET_CELLS", "SheetScan", "scan_workbook", "check_workbook"]

#: The largest used area (rows x columns, from A1 to the last cell holding a value) of one sheet.
MAX_SHEET_CELLS = 20_000_000

_CHUNK = 1 << 22
# literal prefixes keep the patterns fast (a regex starting with an alternation tries every '<')
_ROW = re.compile(rb'<row\b[^>]*?\sr="(\d+)"')
_ROW_PREFIXED = re.compile(rb':row\b[^>]*?\sr="(\d+)"')
_CELL_COLUMN = re.compile(rb' r="([A-Z]{1,3})\d')  # row references are digits only
# a formula followed by no value, or by an empty one (<v></v>, <v/>: LibreOffice's uncalculated
# cells); an empty value is a result only in a text cell (t="str": a formula that gives "")
_FORMULA_NO_VALUE = re.compile(
    rb'<(?:\w+:)?c\b([^>]*?\sr="([A-Z]{1,3}\d+)"[^>/]*)>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)'
    rb'\s*(<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>'
)
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


@dataclass(frozen=True)
class SheetScan:
    """What the scan found in one worksheet."""

    name: str
    rows: int
    columns: int
    formulas_without_value: tuple[str, ...]


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet member path -> sheet name, from the workbook and its relationships (small files)."""
    try:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", _NS)}
    out = {}
    for sheet in book.iter(f"{{{_NS['m']}}}sheet"):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        member = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[member] = sheet.get("name", member)
    return out


def _formulas_without_value(data: bytes) -> list[str]:
    return [
        ref.decode()
        for attributes, ref, empty_value in _FORMULA_NO_VALUE.findall(data)
        if not (empty_value and b't="str"' in attributes)
    ]


def _scan_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> SheetScan:
    rows = 0
    columns: set[bytes] = set()
    formulas: list[str] = []
    tail = b""
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            data = tail + chunk
            if chunk:  # carry what follows the last complete cell (a tag may be cut) to the next chunk
                end = data.rfind(b"</c>")
                cut = end + 4 if end >= 0 else data.rfind(b"<")
                if cut > 0:
                    data, tail = data[:cut], data[cut:]
                else:
                    tail = b""
            for pattern in (_ROW, _ROW_PREFIXED) if b":row" in data else (_ROW,):
                rows = max([rows, *map(int, pattern.findall(data))])
            columns.update(_CELL_COLUMN.findall(data))
            if len(formulas) < 10 and (b"<f" in data or b":f" in data):
                formulas += _formulas_without_value(data)[: 10 - len(formulas)]
            if not chunk:
                break
    width = max((_column_number(c) for c in columns), default=0)
    return SheetScan(name, rows, width, tuple(formulas))


def scan_workbook(path: Path, source: str) -> list[SheetScan]:
    """Scan every worksheet of the workbook (the archive's total size is checked first)."""
    check_zip_sizes(path, source, MAX_UNZIPPED_BYTES)
    with zipfile.ZipFile(path) as zf:
        names = _sheet_names(zf)
        return [
            _scan_member(zf, info, names.get(info.filename, info.filename))
            for info in zf.infolist()
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        ]


def check_workbook(path: Path, source: str, sheets: list[str] | None = None) -> None:
    """Raise one LoadError for sheets too large to read and formula cells without a value."""
    try:
        scans = scan_workbook(path, source)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        return  # not a readable zip: the reader reports it in its own words
    problems = []
    for scan in scans:
        if sheets is not None and scan.name not in sheets:
            continue
        if scan.rows * scan.columns > MAX_SHEET_CELLS:
            problems.append(
                Problem(
                    "sheet-too-large",
                    f"sheet '{scan.name}' uses {scan.rows:,} rows x {scan.columns:,} columns "
                    f"({scan.rows * scan.columns:,} cells), more than the {MAX_SHEET_CELLS:,} cells this "
                    "program reads from one sheet",
                    Location(file=source, sheet=scan.name),
                    expected=f"at most {MAX_SHEET_CELLS:,} cells from A1 to the last cell with a value",
                    got=f"{scan.rows:,} x {scan.columns:,}",
                    hint="delete stray cells far below or to the right of the data (Ctrl+End shows the last one), "
                    "or export the data as CSV",
                )
            )
        if scan.formulas_without_value:
            cells = ", ".join(scan.formulas_without_value)
            problems.append(
                Problem(
                    "formula-without-value",
                    f"sheet '{scan.name}' has cells with a formula but no calculated value (first: {cells}); "
                    "they would read as empty answers",
                    Location(file=source, sheet=scan.name),
                    expected="cells holding values (or formulas with their calculated result saved)",
                    got=f"formulas never calculated in {cells}",
                    hint="open the file in Excel or LibreOffice and save it again (this calculates the formulas), "
                    "or replace the formulas by their values",
                )
            )
    if problems:
        raise LoadError(problems)
