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

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..errors import LoadError, Location, Problem, Severity
from ..instrument import Instrument
from .base import RawExport, SurveyData
from .detect import (  # noqa: F401 - the names of the old module
    _TEXT_SUFFIXES,
    _XLSX_SUFFIXES,
    _check_file,
    _kind,
    _zip_kind,
    detect_format,
)
from .formmatch import (  # noqa: F401 - the names of the old module
    _pick_instrument,
    _resolve,
    instrument_share,
)
from .kobo import (
    kobo_from_text,
    looks_like_kobo,
    read_kobo_xlsx,
    unmangle_r_headers,
)
from .notdata import (  # noqa: F401 - the names of the old module
    _FORM_HINT,
    _FORM_SHEET_HEADERS,
    _looks_like_xform,
    _reject_form_sheet,
    _reject_markup,
    _reject_xlsform,
)
from .odk import looks_like_central, read_central_csv, read_central_zip
from .specialcodes import (  # noqa: F401 - the names of the old module
    _NUMERIC_TYPES,
    _special_codes,
)
from .textfile import decode, read_delimited
from .tidyexport import (  # noqa: F401 - the names of the old module
    tidy_export,
)

__all__ = ["load", "read_export", "tidy_export", "detect_format", "instrument_share"]


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
