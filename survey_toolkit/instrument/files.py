"""XLSForm files: format and container checks, forms saved as CSV sheets, read into a form definition."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InstrumentError, Location, Problem, did_you_mean
from .build import _definition, _parse, _survey_rows
from .model import Instrument

SUPPORTED_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv", ".md")
"""File extensions :func:`read_instrument` accepts (the formats pyxform reads)."""


def _check_file(path: Path, source: str) -> None:
    if not path.exists():
        nearby = (
            [p.name for p in path.parent.glob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS]
            if path.parent.is_dir()
            else []
        )
        raise InstrumentError(
            Problem(
                "instrument-not-found",
                f"the form file '{source}' does not exist",
                Location(file=source),
                hint=did_you_mean(path.name, nearby) or "check the path to the XLSForm (.xlsx)",
            )
        )
    if path.is_dir():
        raise InstrumentError(
            Problem(
                "instrument-not-found",
                f"'{source}' is a folder, not a form file",
                Location(file=source),
                hint="pass the XLSForm file itself, e.g. instruments/cssp_core.xlsx",
            )
        )
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise InstrumentError(
            Problem(
                "unsupported-instrument-format",
                f"cannot read a form from a '{path.suffix or '(no extension)'}' file",
                Location(file=source),
                expected=", ".join(SUPPORTED_EXTENSIONS),
                got=path.suffix or "(no extension)",
                hint=_format_hint(path),
            )
        )
    _check_container(path, source)


def _format_hint(path: Path) -> str:
    """What to do with a form file survey_toolkit cannot read, by its kind."""
    suffix = path.suffix.lower()
    if suffix in (".xml", ".json", ".odkbuild"):
        return (
            f"a {suffix} file is a form compiled from (or built instead of) an XLSForm; survey_toolkit reads the "
            "XLSForm itself: download it as .xlsx (KoBo: Form > Download XLS; ODK Central: the form's Versions "
            "tab > Download XLSForm) and pass that"
        )
    return "save the XLSForm as .xlsx (File > Save as in Excel, or download it as XLS from KoBo)"


def _check_container(path: Path, source: str) -> None:
    """A clear error for a corrupt workbook before pyxform sees it (a zip for xlsx, OLE for xls)."""
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(8)
    broken = None
    if suffix in (".xlsx", ".xlsm") and not zipfile.is_zipfile(path):
        broken = "it is not a valid .xlsx workbook (not a zip container)"
    elif suffix == ".xls" and not head.startswith(b"\xd0\xcf\x11\xe0"):
        broken = "it is not a valid .xls workbook"
    elif not head:
        broken = "the file is empty"
    if broken:
        raise InstrumentError(
            Problem(
                "unreadable-instrument",
                f"cannot read the form '{source}': {broken}",
                Location(file=source),
                hint="re-download or re-save the XLSForm from Excel or KoBo; the file may be truncated or renamed",
            )
        )


def _csv_header(path: Path, encoding: str | None = None) -> set[str]:
    """The lower-cased header cells of a CSV (spaces as ``_``); empty when it cannot be read."""
    try:
        with path.open(newline="", encoding=encoding or "utf-8-sig", errors="replace") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, csv.Error, LookupError):
        return set()
    return {h.strip().lower().replace(" ", "_") for h in header}


def _is_sheet_csv(path: Path, encoding: str | None = None) -> bool:
    """True for a CSV holding only a survey sheet (header with type and name) rather than an XLSForm CSV."""
    return {"type", "name"} <= _csv_header(path, encoding)


def _read_csv_sheet(path: Path, encoding: str | None = None) -> list[dict[str, str]]:
    enc = encoding or "utf-8-sig"
    try:
        with path.open(newline="", encoding=enc) as fh:
            rows = [{k: v for k, v in row.items() if k is not None} for row in csv.DictReader(fh)]
    except LookupError:
        raise InstrumentError(
            Problem(
                "unreadable-instrument",
                f"'{encoding}' is not an encoding Python knows",
                Location(file=str(path)),
                hint="use a name such as 'utf-8', 'cp1252' or 'latin-1'",
            )
        ) from None
    except UnicodeDecodeError as exc:
        raise InstrumentError(
            Problem(
                "unreadable-instrument",
                f"the form sheet '{path}' is not {enc.replace('-sig', '')} text (byte {exc.start} cannot be decoded)",
                Location(file=str(path)),
                expected=enc.replace("-sig", ""),
                hint="give its encoding: read_instrument(path, encoding='cp1252') (Excel on Windows) or "
                "'latin-1'; or save the CSV as 'CSV UTF-8' in Excel, or the whole form as .xlsx",
            )
        ) from None
    # a sheet saved as "choices - Sheet1.csv" may say "list name" for "list_name"
    return [
        {(k.strip().replace(" ", "_") if k.strip().lower() == "list name" else k): v for k, v in r.items()}
        for r in rows
    ]


#: The header cells that tell a sheet of an XLSForm saved as CSV.
_SHEET_SIGNATURES = {
    "choices": ({"list_name", "name"},),
    "external_choices": ({"list_name", "name"},),
    "settings": ({"form_id"}, {"form_title"}),
}


def _is_external_csv(path: Path) -> bool:
    """A CSV holding the external_choices sheet: named ``*external*`` or ODK's ``itemsets.csv``."""
    stem = path.stem.lower()
    return "external" in stem or stem == "itemsets"


def _sibling(path: Path, sheet: str, encoding: str | None = None) -> Path | None:
    """The CSV of ``sheet`` beside the survey CSV ``path``: ``x_survey.csv`` -> ``x_choices.csv`` when it
    exists, else the one CSV of the folder whose header is that sheet's (``choices - Sheet1.csv``,
    ``kobo choices.csv``); among several, the one whose name says the sheet."""
    stem = path.stem
    idx = stem.lower().rfind("survey")
    if idx >= 0:
        candidate = path.with_name(stem[:idx] + sheet + stem[idx + 6 :] + path.suffix)
        if candidate.exists():
            return candidate
    found = []
    for other in sorted(path.parent.glob("*")):
        if other == path or other.suffix.lower() != ".csv" or not other.is_file():
            continue
        if _is_external_csv(other) != (sheet == "external_choices"):
            continue  # external_choices / itemsets.csv are never the choices sheet
        header = _csv_header(other, encoding)
        if any(sig <= header for sig in _SHEET_SIGNATURES[sheet]) and not {"type", "name"} <= header:
            found.append(other)
    if len(found) > 1:
        named = [f for f in found if sheet.rstrip("s") in f.stem.lower()]
        found = named if len(named) == 1 else found
    return found[0] if len(found) == 1 else None


def _sheets_from_csv_pair(
    path: Path, source: str, encoding: str | None = None
) -> dict[str, list[dict[str, str]]]:
    """A survey-sheet CSV plus its choices CSV (and optional settings CSV) from the same folder."""
    choices = _sibling(path, "choices", encoding)
    if choices is None:
        raise InstrumentError(
            Problem(
                "missing-choices-sheet",
                f"'{source}' holds only a survey sheet and no choices sheet was found beside it",
                Location(file=source, sheet="survey"),
                expected="one CSV in the same folder with the choices sheet's columns (list_name, name, label), "
                f"e.g. '{path.name.replace('survey', 'choices')}'",
                hint="save the whole XLSForm as .xlsx, or put the choices sheet CSV (only one) beside the survey CSV",
            )
        )
    sheets = {"survey": _read_csv_sheet(path, encoding), "choices": _read_csv_sheet(choices, encoding)}
    for sheet in ("settings", "external_choices"):
        found = _sibling(path, sheet, encoding)
        if found is not None:
            sheets[sheet] = _read_csv_sheet(found, encoding)
    return sheets


def _read_file(path: Path, source: str, validate: bool, encoding: str | None = None) -> Instrument:
    _check_file(path, source)
    if path.suffix.lower() == ".csv" and _is_sheet_csv(path, encoding):
        sheets = _sheets_from_csv_pair(path, source, encoding)
        return _from_sheets(sheets, source, validate, form_name=path.stem, folder=path.parent, encoding=encoding)

    def load(warnings: list[str], rows: dict[str, list[int]]) -> dict[str, Any]:
        from warnings import catch_warnings, filterwarnings

        from pyxform import constants
        from pyxform.xls2json import workbook_to_json
        from pyxform.xls2json_backends import get_xlsform

        with catch_warnings():  # openpyxl's notes on the workbook's styles/properties are not the user's business
            filterwarnings("ignore", category=UserWarning, module="openpyxl")
            definition = get_xlsform(str(path))  # what parse_file_to_json does, keeping the sheet rows
        rows.update(_survey_rows(definition, source))
        return workbook_to_json(
            workbook_dict=definition,
            form_name=constants.DEFAULT_FORM_NAME,
            fallback_form_name=definition.fallback_form_name,
            default_language=constants.DEFAULT_LANGUAGE_VALUE,
            warnings=warnings,
        )

    from ..external_choices import EXTERNAL_SHEET, ITEMSETS_FILE, needs_itemsets, with_external_lists

    try:
        form = _parse(load, source, validate)
    except InstrumentError as exc:  # no external_choices rows: ODK's itemsets.csv beside the form
        itemsets = path.parent / ITEMSETS_FILE
        if not needs_itemsets(exc.problems):
            raise
        if not (itemsets.is_file() and path.suffix.lower() in (".xlsx", ".xls", ".xlsm")):
            hint = (f"a select_one_external question needs its list: add its rows to the '{EXTERNAL_SHEET}' sheet "
                    f"(list_name, name, label), or put ODK's {ITEMSETS_FILE} beside the form")  # fmt: skip
            raise InstrumentError([replace(p, hint=hint) for p in exc.problems]) from None
        sheets = _workbook_sheets(path)
        sheets["external_choices"] = _read_csv_sheet(itemsets, encoding)
        return _from_sheets(sheets, source, validate, form_name=path.stem, folder=path.parent, encoding=encoding)
    return with_external_lists(form, path, encoding)


def _workbook_sheets(path: Path) -> dict[str, list[dict[str, str]]]:
    """The sheets of an XLSForm workbook as row dicts (text cells; empty cells dropped later)."""
    import pandas as pd

    book = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False, engine="calamine")
    return {str(name).strip(): frame.to_dict("records") for name, frame in book.items() if str(name).strip()}


def _from_sheets(
    sheets: Mapping[str, Sequence[Mapping[str, Any]]],
    source: str | None,
    validate: bool,
    form_name: str | None = None,
    folder: Path | None = None,
    encoding: str | None = None,
) -> Instrument:
    from pyxform.xls2json import workbook_to_json

    from ..external_choices import with_external_lists

    def load(warnings: list[str], rows: dict[str, list[int]]) -> dict[str, Any]:
        definition = _definition(sheets, form_name)
        rows.update(_survey_rows(definition, source or "<sheets>"))
        return workbook_to_json(definition, fallback_form_name=form_name, warnings=warnings)

    form = _parse(load, source or "<sheets>", validate)
    return with_external_lists(form, folder / "survey.csv" if folder is not None else None, encoding,
                               sheet_rows=sheets.get("external_choices"))  # fmt: skip
