"""Files that are not exports of submissions (an XLSForm, one of its sheets as CSV, an XForm, HTML, JSON) refused with the fix."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import LoadError, Location, Problem
from .base import RawExport

_FORM_HINT = (
    "this is the form, not the data: pass it as the instrument (CLI --instrument FORM.xlsx, Python "
    "instrument='FORM.xlsx') and give the data export (KoBo XLSX/CSV, ODK Central CSV/zip, .sav, .dta) as the file "
    "to load"
)


def _reject_xlsform(raw: RawExport, source: str) -> None:
    """An XLSForm (a ``survey`` sheet with ``type`` and ``name`` columns) is the form, not an export."""
    tables = [raw.main, *raw.children]
    sheets = {str(t.sheet or "").strip().lower(): t for t in tables}
    survey = sheets.get("survey")
    if survey is None:
        return
    headers = {str(h).strip().lower() for h in survey.frame.columns}
    if not {"type", "name"} <= headers:
        return
    found = [name for name in ("survey", "choices", "settings") if name in sheets]
    raise LoadError(
        Problem(
            "form-not-data",
            "the file is an XLSForm (the form definition, with sheets "
            + ", ".join(f"'{n}'" for n in found)
            + "), not an export of submissions",
            Location(file=source, sheet=survey.sheet),
            expected="a data export with one row per submission",
            got="an XLSForm: sheets " + ", ".join(found),
            hint=_FORM_HINT,
        )
    )


#: Header sets of the sheets of an XLSForm saved as CSV files (``survey.csv``, ``choices.csv``...).
_FORM_SHEET_HEADERS = {
    "survey": ({"type", "name"}, {"label", "relevant", "required", "calculation", "appearance"}),
    "choices": ({"list_name", "name"}, set()),
    "settings": ({"form_id"}, {"form_title", "version", "default_language"}),
}


def _reject_form_sheet(headers: Sequence[str], source: str) -> None:
    """A CSV holding one sheet of an XLSForm (survey, choices, settings) is part of the form, not data."""
    names = {str(h).strip().lower().replace(" ", "_") for h in headers}
    for sheet, (required, typical) in _FORM_SHEET_HEADERS.items():
        if required <= names and (not typical or typical & names):
            raise LoadError(
                Problem(
                    "form-not-data",
                    f"the file is the '{sheet}' sheet of an XLSForm saved as CSV, not an export of submissions",
                    Location(file=source, line=1),
                    expected="a data export with one row per submission",
                    got=f"XLSForm {sheet} columns: " + ", ".join(sorted(required | (typical & names))),
                    hint=_FORM_HINT
                    + "; a form kept as CSV sheets is read from its survey/choices/settings files "
                    "(see docs/formats.md, 'Forms as CSV sheets')",
                )
            )


def _looks_like_xform(text: str) -> bool:
    head = text.lstrip()[:4000]
    return "<h:html" in head or "http://www.w3.org/2002/xforms" in head or "<model" in head


def _reject_markup(text: str, source: str) -> None:
    """XML (an XForm, an HTML error page) and JSON (an API response) are not tables: say so plainly."""
    head = text.lstrip()[:1]
    if head == "<" and _looks_like_xform(text):
        raise LoadError(
            Problem(
                "form-not-data",
                "the file is an XForm (the form definition compiled from an XLSForm), not an export of "
                "submissions",
                Location(file=source),
                expected="a data export with one row per submission",
                got="an XForm (.xml)",
                hint=_FORM_HINT + "; the instrument must be the XLSForm .xlsx the XForm was built from",
            )
        )
    if head == "<":
        what, hint = (
            "XML or HTML (a web page, perhaps a login or error page saved instead of the export)",
            "download the export again from KoBo / ODK Central (CSV, XLSX or the submissions .zip)",
        )
    elif source.lower().endswith(".odkbuild") or (
        head == "{" and re.search(r'"type"\s*:\s*"survey"', text[:2000]) and '"children"' in text
    ):
        raise LoadError(
            Problem(
                "form-not-data",
                "the file is a form definition (pyxform's JSON of an XLSForm, or an ODK Build form), not an "
                "export of submissions",
                Location(file=source),
                expected="a data export with one row per submission",
                got="a JSON form definition",
                hint=_FORM_HINT
                + "; the instrument must be an XLSForm .xlsx (export one from the form builder)",
            )
        )
    elif head in ("{", "["):
        what, hint = "JSON (an API response)", "download the CSV or XLSX export instead of the API's JSON"
    else:
        return
    raise LoadError(
        Problem(
            "unknown-layout",
            f"the file is {what}, not a table of submissions",
            Location(file=source),
            expected="a delimited table with a header row",
            got=what,
            hint=hint,
        )
    )
