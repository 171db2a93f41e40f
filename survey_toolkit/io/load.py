"""``load(path, instrument=None, **options)``: detect an export's format and read it into :class:`SurveyData`.

Detection uses the file's bytes first and its suffix second:

| content | suffix | read as |
|---|---|---|
| zip with ``xl/workbook.xml`` | ``.xlsx``/``.xlsm`` (any) | workbook: KoBo XLSX when the main sheet has KoBo columns (``_uuid``, ``_submission_time``, ``_index``, ``__version__``), else a plain workbook |
| zip of CSV files | ``.zip`` | ODK Central submissions zip (root + one CSV per repeat) |
| text | ``.csv``/``.tsv``/``.txt`` | ODK Central CSV (``KEY`` + ``SubmissionDate``), KoBo CSV (KoBo columns), else plain CSV |
| SPSS / Stata / Parquet signature | any | the SPSS/Stata/Parquet readers (``survey_toolkit.io.spss``, ``.tabular``) |

Text is decoded as UTF-8 (a BOM is dropped; ``encoding=`` overrides) and the delimiter (``;``, ``,``,
tab, ``|``) is sniffed; an HXL ``#tag`` row under the header is skipped. Every failure is a
:class:`~survey_toolkit.errors.LoadError` naming the file and the fix; nothing is ever written.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..errors import LoadError, Location, Problem, Severity
from ..instrument import Instrument
from .base import RawExport, SurveyData
from .headers import column_names, is_core_question, match_headers, repeat_names, table_questions
from .kobo import (
    child_names,
    kobo_from_text,
    kobo_links,
    looks_like_kobo,
    read_kobo_xlsx,
    unmangle_r_headers,
)
from .odk import central_links, looks_like_central, read_central_csv, read_central_zip
from .textfile import decode, read_delimited
from .tidy import _is_platform_column, child_frame, tidy_frame

__all__ = ["load", "read_export", "tidy_export", "detect_format", "instrument_share"]

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


def read_export(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> RawExport | str:
    """Read KoBo / ODK Central / plain workbook and CSV exports into a :class:`RawExport`.

    Returns the format name (``sav``, ``dta``, ``parquet``, ``text``...) instead when another reader
    owns the file (SPSS, Stata, Parquet, plain CSV).
    """
    p = Path(path)
    source = str(path)
    fmt = detect_format(p)
    if fmt == "xlsx":
        raw = read_kobo_xlsx(p, source)
        _reject_xlsform(raw, source)
        if not looks_like_kobo(list(raw.main.frame.columns)):
            raw = _generic_workbook(replace(raw, platform="generic", source_format="xlsx"))
        return raw
    if fmt == "odk-zip":
        raw = read_central_zip(p, source, encoding)
        if not looks_like_central(list(raw.main.frame.columns)):
            raw = replace(raw, platform="generic", source_format="csv-zip")
        return raw
    if fmt == "text":
        text = decode(p.read_bytes(), source, encoding)
        _reject_markup(text, source)
        parsed = read_delimited(text, source, delimiter)
        headers = list(parsed.frame.columns)
        _reject_form_sheet(headers, source)
        if looks_like_central(headers):
            return read_central_csv(p, source, text, encoding)
        if looks_like_kobo(headers) or looks_like_kobo(list(unmangle_r_headers(parsed.frame).columns)):
            return kobo_from_text(parsed, source)
        return "csv"
    return fmt


#: Columns through which a repeat sheet links to its parent (``survey_toolkit.io.kobo.kobo_links``).
_LINK_COLUMNS = frozenset(
    {"_parent_index", "_submission__uuid", "_submission_meta/rootUuid", "PARENT_KEY", "uuid"}
)


def _generic_workbook(raw: RawExport) -> RawExport:
    """A workbook that is not a KoBo export: sheets without repeat links are other tables, not repeats.

    They are left out (with one info naming them) instead of being reported as unlinked repeat rows.
    """
    linked = [bool(_LINK_COLUMNS.intersection(map(str, t.frame.columns))) for t in raw.children]
    repeats = tuple(t for t, ok in zip(raw.children, linked, strict=True) if ok)
    skipped = [str(t.sheet) for t, ok in zip(raw.children, linked, strict=True) if not ok]
    if not skipped:
        return raw
    info = Problem(
        "sheets-not-read",
        f"only the first sheet '{raw.main.sheet}' was read; {len(skipped)} other sheet(s) have no link to it "
        "and are not repeat tables: "
        + ", ".join(repr(s) for s in skipped[:10])
        + (" ..." if len(skipped) > 10 else ""),
        Location(file=raw.source_file, sheet=skipped[0]),
        severity=Severity.INFO,
        expected="repeat sheets with _parent_index / _submission__uuid (KoBo) or PARENT_KEY (ODK Central)",
        got=", ".join(skipped),
        hint="if the data are on another sheet, move that sheet first (or save it as its own .xlsx/.csv)",
    )
    return replace(raw, children=repeats, problems=(*raw.problems, info))


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


def instrument_share(headers: Sequence[str], instrument: Instrument, platform: str = "generic") -> float:
    """Share of the instrument's main-table questions found among ``headers`` (0..1)."""
    reserved = [h for h in headers if _is_platform_column(str(h), platform)]
    match = match_headers([str(h) for h in headers], instrument, None, reserved=reserved)
    wanted = table_questions(instrument, None)
    if not wanted:
        return 0.0
    by_pos = column_names(wanted)
    names = {by_pos[i] for i, q in enumerate(wanted) if is_core_question(q)} or set(by_pos.values())
    return len(match.matched_questions & names) / len(names)


def _resolve(instrument: Any) -> Instrument | None:
    if instrument is None or isinstance(instrument, Instrument):
        return instrument
    from ..instrument import read_instrument

    return read_instrument(instrument)


def _pick_instrument(raw: RawExport, instruments: Sequence[Instrument], min_match: float) -> Instrument:
    headers = [str(h) for h in raw.main.frame.columns]
    shares = [(instrument_share(headers, ins, raw.platform), i) for i, ins in enumerate(instruments)]
    best_share, best = max(shares)
    if best_share < min_match:
        closest = instruments[best]
        raise LoadError(
            Problem(
                "instrument-mismatch",
                f"the export matches none of the {len(instruments)} instruments: the closest is "
                f"'{closest.form_id}'{' (' + closest.source + ')' if closest.source else ''} with "
                f"{best_share:.0%} of its questions found",
                Location(file=raw.source_file),
                expected=f"at least {min_match:.0%} of an instrument's questions",
                got=f"{best_share:.0%}",
                hint="load the export with the XLSForm it was collected with",
            )
        )
    return instruments[best]


def tidy_export(
    raw: RawExport,
    instrument: Instrument | None,
    *,
    id_column: str | None = None,
    group_sep: str | None = None,
    min_match: float = 0.5,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> SurveyData:
    """Type the main table with :func:`tidy_frame`, then link and type the repeat tables."""
    data = tidy_frame(
        raw.main.frame,
        instrument,
        source_file=raw.source_file,
        source_format=raw.source_format,
        platform=raw.platform,
        source_rows=raw.main.source_rows,
        sheet=raw.main.sheet,
        id_column=id_column,
        group_sep=group_sep,
        min_match=min_match,
        problems=raw.problems,
        na_values=na_values,
        select_multiple_source=select_multiple_source,
    )
    if not raw.children:
        repeats = repeat_names(instrument) if instrument is not None else []
        if repeats:
            hint = (
                "KoBo CSV exports never carry repeat groups: use the XLSX export"
                if raw.source_format == "kobo-csv"
                else "export the repeat tables too (ODK Central: the .zip with all tables)"
            )
            info = Problem(
                "repeats-not-in-export",
                f"the export has no table for the form's repeat group(s) {', '.join(repeats)}",
                Location(file=raw.source_file),
                severity=Severity.INFO,
                hint=hint,
            )
            return replace(data, problems=data.problems + [info])
        return data
    problems: list[Problem] = []
    repeats = repeat_names(instrument) if instrument is not None else []
    named = child_names(raw.children, repeats)
    for _name, table, matched in named:
        if instrument is not None and not matched:
            problems.append(
                Problem(
                    "unknown-repeat-table",
                    f"table '{table.name}' is not a repeat of the instrument; it is kept untyped",
                    Location(file=raw.source_file, sheet=table.sheet),
                    severity=Severity.WARNING,
                    expected=", ".join(repeats) or "no repeat",
                    got=str(table.name),
                    hint="check that the export and the XLSForm are the same form",
                )
            )
    pairs = [(name, table) for name, table, _ in named]
    main = raw.main.frame.reset_index(drop=True)
    record_ids = data.frame["_record_id"]
    if raw.platform == "odk":
        links, link_problems = central_links(main, record_ids, pairs, raw.source_file)
    else:
        links, link_problems = kobo_links(main, record_ids, pairs, raw.source_file)
    problems.extend(link_problems)
    children: dict[str, pd.DataFrame] = {}
    for name, table in pairs:
        typed, probs = child_frame(
            table.frame,
            instrument,
            name,
            links[name],
            source_file=raw.source_file if table.member is None else f"{raw.source_file}:{table.member}",
            platform=raw.platform,
            sheet=table.sheet,
            source_rows=table.source_rows,
            group_sep=group_sep,
            na_values=na_values,
            select_multiple_source=select_multiple_source,
        )
        children[name] = typed
        problems.extend(probs)
    return replace(data, children=MappingProxyType(children), problems=data.problems + problems)


def _delegate(
    fmt: str,
    path: Path,
    instrument: Instrument | None,
    encoding: str | None,
    delimiter: str | None,
    min_match: float,
    usecols: Sequence[str] | None,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> SurveyData:
    """SPSS, Stata, Parquet and plain CSV files go to their own readers (which end with ``tidy_frame``)."""
    common = {
        "min_match": min_match,
        "na_values": na_values,
        "select_multiple_source": select_multiple_source,
    }
    if fmt in ("sav", "zsav", "por"):
        from .spss import read_spss

        return read_spss(path, instrument, encoding=encoding, usecols=usecols, **common)
    if fmt == "dta":
        from .spss import read_stata

        return read_stata(path, instrument, encoding=encoding, usecols=usecols, **common)
    if fmt == "parquet":
        from .tabular import read_parquet

        return read_parquet(path, instrument, **common)
    from .tabular import read_csv_plain

    return read_csv_plain(path, instrument, encoding=encoding, delimiter=delimiter, **common)


def load(
    path: str | Path,
    instrument: Instrument | str | Path | Sequence[Instrument | str | Path] | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    id_column: str | None = None,
    group_sep: str | None = None,
    min_match: float = 0.5,
    usecols: Sequence[str] | None = None,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
) -> SurveyData:
    """Read any supported export into the tidy :class:`SurveyData` (format detected from content).

    Args:
        path: the export: KoBo XLSX/CSV, ODK Central CSV or submissions zip, SPSS ``.sav``/``.zsav``/
            ``.por``, Stata ``.dta``, plain CSV or Parquet. It is only read.
        instrument: the XLSForm the data were collected with (an :class:`Instrument` or a path for
            :func:`survey_toolkit.read_instrument`), or several of them: the one matching the most
            questions is used. Without it every column is loaded as text or numbers (a warning).
        encoding: text encoding of CSV files / SPSS/Stata files (default UTF-8, BOM allowed).
        delimiter: force the CSV delimiter instead of sniffing ``;``, ``,``, tab and ``|``.
        id_column: the column holding the respondent id, when the platform's is absent.
        group_sep: a custom KoBo group separator, besides ``/``, ``.``, ``%`` and ``-``.
        min_match: smallest share of the instrument's questions the export must contain (questions
            put to the respondent; start/end/calculate fields are not counted).
        usecols: SPSS/Stata only: read only these variables (large files).
        na_values: cells read as missing (compared with the whole cell, spaces around it ignored).
            None uses :data:`survey_toolkit.io.values.NA_VALUES` (``NA``, ``N/A``, ``n/a``, ``#N/A``,
            ``NULL``, ``null``, ``NaN``, ``nan``, ``<NA>``, ``NaT``, ``.``); ``[]`` reads every cell as
            written. A cell that is a code of its question's choice list is never a marker (a choice
            named ``NA`` keeps its answers). One warning ``na-values`` counts the cells per column.
        select_multiple_source: ``"choices"`` (default) or ``"summary"``: when an export has both the
            summary column and the 0/1 choice columns of a select_multiple and they name different
            choices on a row, which side is kept (a cleaning step usually edits the 0/1 columns). A row
            with one side empty takes the other side. The warning ``select-multiple-disagree`` gives
            the count and the record ids.

    Returns:
        SurveyData with ``frame`` (one row per submission), ``children`` (repeats), ``extra``
        (export columns that are not questions), ``variables`` and ``problems`` (warnings).

    Raises:
        LoadError: missing, empty, damaged or unknown file, wrong encoding, duplicated headers, an
            export that does not match the instrument(s), ambiguous headers.
        InstrumentError: the instrument file cannot be read.
    """
    p = Path(path)
    sm_source = _select_multiple_source(select_multiple_source, str(path))
    many = isinstance(instrument, (list, tuple))
    instruments = [_resolve(i) for i in instrument] if many else []
    single = None if many else _resolve(instrument)
    raw = read_export(p, encoding=encoding, delimiter=delimiter)
    if isinstance(raw, str):
        if many:
            results = []
            for ins in instruments:
                try:
                    results.append(
                        _delegate(raw, p, ins, encoding, delimiter, min_match, usecols, na_values, sm_source)
                    )
                except LoadError:
                    continue
            if not results:
                raise LoadError(
                    Problem(
                        "instrument-mismatch",
                        f"the export matches none of the {len(instruments)} instruments",
                        Location(file=str(path)),
                        hint="load it with the XLSForm it was collected with",
                    )
                )
            return min(
                results, key=lambda d: sum(1 for q in d.problems if q.code == "questions-missing-from-export")
            )
        return _require_rows(
            _delegate(raw, p, single, encoding, delimiter, min_match, usecols, na_values, sm_source)
        )
    if many:
        single = _pick_instrument(raw, instruments, min_match)
    return _require_rows(
        tidy_export(
            raw,
            single,
            id_column=id_column,
            group_sep=group_sep,
            min_match=min_match,
            na_values=na_values,
            select_multiple_source=sm_source,
        )
    )


def _select_multiple_source(value: str, source: str) -> str:
    from .values import SELECT_MULTIPLE_SOURCES

    if value in SELECT_MULTIPLE_SOURCES:
        return value
    raise LoadError(
        Problem(
            "bad-option",
            f"select_multiple_source must be 'choices' or 'summary', not '{value}'",
            Location(file=source),
            expected="choices or summary",
            got=str(value),
            hint="choices: the 0/1 columns win where they disagree with the summary (default); summary: the "
            "summary column wins",
        )
    )


_NUMERIC_TYPES = frozenset({"integer", "decimal", "range"})


def _special_codes(data: SurveyData) -> SurveyData:
    """Find the codes whose labels declare don't know / refused / not applicable (every label language),
    record them in ``variables[col].special_codes`` and report them per variable in one problem."""
    from ..codes import special_code_kind

    found: dict[str, dict[str, str]] = {}
    for name, meta in data.variables.items():
        if meta.question and meta.question != name:  # q/<code> columns share the question's labels
            continue
        codes: dict[str, str] = {}
        for labels in meta.value_labels.values():
            for code, label in labels.items():
                kind = special_code_kind(label)
                if kind is not None:
                    codes.setdefault(str(code), kind)
        if codes:
            found[name] = codes
    if not found:
        return data
    variables = {
        k: replace(v, special_codes=MappingProxyType(found[k])) if k in found else v
        for k, v in data.variables.items()
    }
    numeric = [n for n in found if data.variables[n].type in _NUMERIC_TYPES]
    shown = "; ".join(
        f"{n}: " + ", ".join(f"{c} ({k})" for c, k in codes.items()) for n, codes in list(found.items())[:10]
    ) + (" ..." if len(found) > 10 else "")
    problem = Problem(
        "dk-refused-codes",
        f"{len(found)} variable(s) have codes labelled don't know / refused / not applicable: {shown}",
        Location(file=data.source or "", field=next(iter(found))),
        severity=Severity.WARNING if numeric else Severity.INFO,
        expected="don't know / refused codes declared to the indicators",
        got=", ".join(sorted({c for codes in found.values() for c in codes})),
        hint="they are kept as codes (SurveyData.variables[v].special_codes) and compute() treats them like the "
        "indicators file's dk_codes / refused_codes for their variable: never averaged, left out of bases under "
        "dk_refused: excluded; set dk_refused: counted on an indicator whose codes are real values"
        + (f" (numeric: {', '.join(numeric[:5])})" if numeric else ""),
        count=len(found),
    )
    return replace(data, variables=MappingProxyType(variables), problems=data.problems + [problem])


def _require_rows(data: SurveyData) -> SurveyData:
    """An export without a single submission is an error: nothing can be estimated from it, and a file
    that is not a table at all (a README, a note saved as .txt) reads as a header without rows."""
    if len(data.frame):
        return _special_codes(data)
    source = data.source or ""
    raise LoadError(
        Problem(
            "no-rows",
            f"'{Path(source).name}' has no data rows: a header line and nothing under it",
            Location(file=source, line=2),
            expected="a header row and at least one submission",
            got="a header only",
            hint="export the data again once submissions are in (check the export's date or status filter), "
            "and check that the file is the data export and not a note or a form sheet",
        )
    )
