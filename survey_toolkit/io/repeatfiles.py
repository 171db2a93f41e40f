"""Repeat tables delivered as their own CSV files (a round's ``repeats: {name: file}``).

A household survey is often shared as two files: the main table and the roster (a repeat group)
linked by the parent's key. :func:`read_repeat_files` reads each named file as the child table of that
repeat, linked to the main table by the usual platform columns (first found in the repeat file):

| repeat file column | parent column |
|---|---|
| ``PARENT_KEY`` (ODK Central, SurveyCTO) | ``KEY`` |
| ``_submission__uuid`` (KoBo) | ``_uuid`` |
| ``_parent_index`` (KoBo) | ``_index`` |
| ``KEY`` (a roster that kept only its household's ``KEY``) | ``KEY`` |

The rows are typed with :func:`survey_toolkit.io.tidy.child_frame` like a repeat sheet of a KoBo XLSX.
Rows whose parent is not in the main table are kept unlinked (one warning with their count): estimates
leave them out, as they leave out repeat rows of excluded submissions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..errors import LoadError, Location, Problem, Severity
from ..instrument import Instrument
from .base import SurveyData
from .kobo import _index_key
from .spss.file import sniff_file_kind
from .textfile import decode, read_delimited, read_header, sniff_delimiter
from .tidy import child_frame

__all__ = ["LINK_COLUMNS", "read_repeat_files", "check_repeat_file"]

#: (column of the repeat file, column of the main table it names), in the order they are tried
LINK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("PARENT_KEY", "KEY"),
    ("_submission__uuid", "_uuid"),
    ("_parent_index", "_index"),
    ("KEY", "KEY"),
)


def _parent_column(parts: Sequence[SurveyData], column: str) -> pd.Series | None:
    """The main tables' ``column`` (from the typed frame or the extra columns), stacked like the frames."""
    pieces = []
    for part in parts:
        for table in (part.frame, part.extra):
            if table is not None and column in table.columns and len(table) == len(part.frame):
                pieces.append(table[column].reset_index(drop=True))
                break
        else:
            return None
    return pd.concat(pieces, ignore_index=True)


def _key(values: pd.Series, column: str) -> pd.Series:
    """Comparable key text: ``_index`` numbers canonical, uuids without their ``uuid:`` prefix."""
    if column in ("_index", "_parent_index"):
        return _index_key(values).astype("string")
    text = values.astype("string").str.strip()
    return text.str.removeprefix("uuid:") if column in ("_uuid", "_submission__uuid") else text


def _no_link(name: str, source: str, columns: Sequence[str], location: Location | None = None) -> Problem:
    tried = ", ".join(f"{own} -> {parent}" for own, parent in LINK_COLUMNS)
    return Problem(
        "repeat-file-unlinked", f"the file of repeat '{name}' has no column linking its rows to the main table",
        location or Location(file=source), expected=f"one of (repeat file column -> main table column): {tried}",
        got=", ".join(map(str, columns[:12])) + (" ..." if len(columns) > 12 else ""),
        hint=f"keep the parent key column when exporting '{Path(source).name}' (rounds: repeats: in survey.yaml)",
    )  # fmt: skip


_KIND_NAMES = {"sav": "an SPSS .sav file", "zsav": "an SPSS .zsav file", "por": "an SPSS portable file",
               "dta": "a Stata .dta file", "zip": "a zip archive or an Excel workbook", "xls": "an Excel .xls workbook",
               "parquet": "a Parquet file"}  # fmt: skip


def _not_text(name: str, path: Path, location: Location | None = None) -> Problem | None:
    """``repeat-file-not-csv`` when the repeat file is not a text table (an SPSS/Stata/Excel delivery)."""
    kind = sniff_file_kind(path)
    if kind == "text":
        return None
    return Problem(
        "repeat-file-not-csv",
        f"the file of repeat '{name}' is {_KIND_NAMES.get(kind or '', 'not a text table')}; repeat files are "
        "read as CSV", location or Location(file=str(path)), expected="a CSV file (one row per repeat row)",
        got=_KIND_NAMES.get(kind or "", "binary content"),
        hint=f"export '{Path(path).name}' as CSV (SPSS/Stata: save it as CSV with its column names; KoBo/Ona: "
        "the CSV export) and name the .csv under 'repeats:' in survey.yaml",
    )  # fmt: skip


def check_repeat_file(name: str, path: Path, location: Location, *, encoding: str | None = None,
                      delimiter: str | None = None) -> list[Problem]:
    """Before loading: the repeat file is readable text whose header has a parent-key column."""
    source = str(path)
    binary = _not_text(name, path, location)
    if binary is not None:
        return [binary]
    try:
        text = decode(Path(path).read_bytes(), source, encoding)
        header = read_header(text, delimiter or sniff_delimiter(text, source))
    except LoadError as exc:
        return list(exc.problems)
    own = {h.strip() for h in header}
    return [] if any(c in own for c, _ in LINK_COLUMNS) else [_no_link(name, source, header, location)]


def _link(child: pd.DataFrame, parts: Sequence[SurveyData], record_ids: pd.Series, name: str, source: str
          ) -> tuple[pd.DataFrame, list[Problem]]:
    """``_record_id``/``_parent_key``/``_key`` of each repeat row, or the error naming the columns tried."""
    for own, parent in LINK_COLUMNS:
        keys = _parent_column(parts, parent) if own in child.columns else None
        if keys is None:
            continue
        lookup = pd.Series(record_ids.to_numpy(), index=_key(keys, parent).to_numpy()).astype("string")
        lookup = lookup[lookup.index.notna() & ~lookup.index.duplicated(keep="first")]
        pkey = _key(child[own], own)
        record = pkey.map(lookup).astype("string")
        if own == "PARENT_KEY":  # a nested repeat names its parent row: the submission is the part before '/'
            record = record.fillna(pkey.str.split("/", n=1).str[0].map(lookup).astype("string"))
        position = pkey.groupby(pkey, dropna=False).cumcount() + 1
        key = (record + f"/{name}[" + position.astype("string") + "]").astype("string")
        links = pd.DataFrame({"_record_id": record, "_parent_key": record, "_key": key}, index=child.index)
        orphans = int(record.isna().sum())
        found = [] if not orphans else [Problem(
            "unlinked-repeat-rows",
            f"{orphans} row(s) of repeat '{name}' name a parent that is not in the main table; they are left out",
            Location(file=source, field=own), severity=Severity.WARNING,
            expected=f"{own} values that are {parent} values of the main table", got=f"{orphans} row(s) without a parent",
            count=orphans, hint=f"check that '{Path(source).name}' and the round's files are the same delivery",
        )]  # fmt: skip
        return links, found
    raise LoadError(_no_link(name, source, list(child.columns)))


def read_repeat_files(
    data: SurveyData,
    files: Mapping[str, Path],
    instrument: Instrument | None,
    parts: Sequence[SurveyData] | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    na_values: Sequence[object] | None = None,
    select_multiple_source: str = "choices",
    **_ignored: object,
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """The child table of each repeat in ``files`` (repeat name -> CSV), linked to ``data``'s submissions.

    ``parts`` are the loaded main files ``data`` stacks (default ``[data]``): their key columns are read.

    Raises:
        LoadError: every repeat file that cannot be read or has no parent-key column (all reported once).
    """
    parts = list(parts or [data])
    children: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    errors: list[Problem] = []
    for name, path in files.items():
        source = str(path)
        binary = _not_text(name, path)
        if binary is not None:
            errors.append(binary)
            continue
        try:
            parsed = read_delimited(decode(Path(path).read_bytes(), source, encoding), source, delimiter)
            links, found = _link(parsed.frame, parts, data.frame["_record_id"], name, source)
        except LoadError as exc:
            errors += exc.problems
            continue
        typed, notes = child_frame(parsed.frame, instrument, name, links, source_file=source,
                                   source_rows=parsed.source_rows, na_values=na_values,
                                   select_multiple_source=select_multiple_source)  # fmt: skip
        children[name] = typed
        problems += [*parsed.problems, *found, *notes]
    if errors:
        raise LoadError(errors)
    return children, problems
