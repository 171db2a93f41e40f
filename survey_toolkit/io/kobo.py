"""KoBoToolbox exports (formpack XLSX and CSV): reading and linking repeat sheets.

- XLSX: sheet 1 is the main table (named after the project), every other sheet a repeat named after
  its XML name (truncated to 31 characters with ``...``); repeat rows link to their parent with
  ``_parent_index`` -> ``_index`` (the parent named by ``_parent_table_name``) and carry the
  submission's ``_submission__uuid`` / ``_submission_meta/rootUuid``.
- CSV: ``;``-separated and fully quoted (sniffed, so ``,`` and tab work too); main table only.

The record id is ``meta/rootUuid``, else ``uuid:`` + ``_uuid``, else ``_id`` (see ``tidy``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import LoadError, Location, Problem, Severity
from .base import RawExport, RawTable
from .textfile import DelimitedText
from .tidy import canonical_uuid
from .values import canonical_code, to_text
from .xlsx import read_workbook

__all__ = [
    "KOBO_SIGNATURE",
    "looks_like_kobo",
    "read_kobo_xlsx",
    "kobo_from_text",
    "kobo_links",
    "match_repeat",
    "unmangle_r_headers",
]

#: Columns only KoBo writes (formats.md §8).
KOBO_SIGNATURE = frozenset(
    {"_uuid", "_submission_time", "_index", "__version__", "_validation_status", "_submitted_by"}
)


#: R's ``make.names`` spellings of KoBo's own columns (``read.csv`` on an export).
_R_SPELLINGS = {
    "meta.rootUuid": "meta/rootUuid",
    "meta.instanceID": "meta/instanceID",
    "meta.deprecatedID": "meta/deprecatedID",
    "formhub.uuid": "formhub/uuid",
}


def unmangle_r_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename R-mangled KoBo metadata headers back (``X_uuid`` -> ``_uuid``, ``X__version__``,
    ``meta.rootUuid``) so the platform is recognised; question headers are matched loosely later."""
    from .tidy import PLATFORM_COLUMNS

    kobo = PLATFORM_COLUMNS["kobo"]
    present = set(map(str, frame.columns))
    renames = {}
    for h in present:
        target = _R_SPELLINGS.get(h) or (h[1:] if h.startswith("X_") and h[1:] in kobo else None)
        if target and target not in present:
            renames[h] = target
    return frame.rename(columns=renames) if renames else frame


def looks_like_kobo(headers: Sequence[str]) -> bool:
    """At least two KoBo signature columns (``_uuid``, ``_submission_time``, ``_index``, ``__version__``...)."""
    return len(KOBO_SIGNATURE.intersection(headers)) >= 2


def read_kobo_xlsx(path: Path, source: str, source_format: str = "kobo-xlsx") -> RawExport:
    """The main sheet and every repeat sheet of a KoBo XLSX export, unlinked."""
    sheets = read_workbook(path, source)
    if not sheets:
        raise LoadError(Problem("empty-file", "the workbook has no sheet with data", Location(file=source)))
    first = _first_data_sheet(sheets)
    main, rest = sheets[first], sheets[first + 1 :]
    problems: list[Problem] = []
    if first:
        skipped = ", ".join(f"'{s.name}'" for s in sheets[:first])
        problems.append(
            Problem(
                "sheets-before-data-skipped",
                f"sheet(s) {skipped} before the data sheet '{main.name}' were skipped: they hold no "
                "submissions (no _uuid, _submission_time or _index column)",
                Location(file=source, sheet=sheets[0].name),
                severity=Severity.INFO,
                hint="nothing to do if they are notes (a READ ME sheet of a cleaned dataset)",
            )
        )
    children = []
    for sheet in rest:
        if sheet.frame.empty and not len(sheet.frame.columns):
            continue
        children.append(
            RawTable(sheet.frame, name=sheet.name, source_rows=sheet.source_rows, sheet=sheet.name)
        )
    return RawExport(
        main=RawTable(unmangle_r_headers(main.frame), None, main.source_rows, sheet=main.name),
        platform="kobo",
        source_format=source_format,
        source_file=source,
        children=tuple(children),
        problems=tuple(problems),
    )


def _first_data_sheet(sheets: Sequence) -> int:
    """The first sheet with KoBo's submission columns (a cleaned dataset may open with a READ ME or a
    cover sheet); the first sheet when none has them."""
    for i, sheet in enumerate(sheets):
        if looks_like_kobo([str(c) for c in unmangle_r_headers(sheet.frame).columns]):
            return i
    return 0


def kobo_from_text(parsed: DelimitedText, source: str) -> RawExport:
    """A KoBo CSV export already parsed by :func:`~survey_toolkit.io.textfile.read_delimited`."""
    return RawExport(
        main=RawTable(unmangle_r_headers(parsed.frame), None, parsed.source_rows),
        platform="kobo",
        source_format="kobo-csv",
        source_file=source,
        problems=parsed.problems,
    )


def match_repeat(sheet: str, repeats: Sequence[str]) -> str | None:
    """The repeat a sheet holds: same name, or formpack's truncated ``name...`` / ``name (n)`` spelling."""
    if sheet in repeats:
        return sheet
    clean = sheet
    if clean.endswith(")") and " (" in clean:
        clean = clean[: clean.rfind(" (")]
    if clean in repeats:
        return clean
    if clean.endswith("..."):
        stem = clean[:-3]
        hits = [r for r in repeats if r.startswith(stem)]
        if len(hits) == 1:
            return hits[0]
    lowered = {r.lower(): r for r in repeats}
    return lowered.get(clean.lower())


def _index_key(s: pd.Series) -> pd.Series:
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    canon = np.array([canonical_code(u) for u in uniques] + [None], dtype=object)
    return pd.Series(canon[codes], index=s.index)


def _unique(s: pd.Series) -> pd.Series:
    return s[~s.index.duplicated(keep="first")]


def _fallback_record_ids(frame: pd.DataFrame) -> pd.Series | None:
    out = None
    for column, prefix in (
        ("_submission_meta/rootUuid", None),
        ("_submission__uuid", "uuid:"),
        ("uuid", None),
    ):
        if column in frame.columns:
            vals = canonical_uuid(frame[column]) if prefix else to_text(frame[column])[0]
            out = vals if out is None else out.fillna(vals)
    return out


def kobo_links(
    main: pd.DataFrame,
    record_ids: pd.Series,
    children: Sequence[tuple[str, RawTable]],
    source: str,
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """``_record_id``/``_parent_key``/``_key`` for each child (``(repeat name, table)`` in sheet order)."""
    problems: list[Problem] = []
    keys_by_index: dict[str, pd.Series] = {}
    records_by_index: dict[str, pd.Series] = {}
    root_names: set[str] = set()
    if "_index" in main.columns:
        idx = _index_key(main["_index"]).to_numpy()
        keys_by_index[""] = _unique(pd.Series(record_ids.to_numpy(), index=idx))
        records_by_index[""] = keys_by_index[""]
    sheet_to_repeat = {t.name: name for name, t in children}
    links: dict[str, pd.DataFrame] = {}
    for name, table in children:
        frame = table.frame
        n = len(frame)
        parent = ""
        if "_parent_table_name" in frame.columns and n:
            parent_names = to_text(frame["_parent_table_name"])[0].dropna().unique().tolist()
            for pname in parent_names:
                if pname in sheet_to_repeat.values() or pname in sheet_to_repeat:
                    parent = sheet_to_repeat.get(pname, pname)
                else:
                    root_names.add(pname)
        parent_key = pd.Series(pd.NA, index=frame.index, dtype="string")
        record = pd.Series(pd.NA, index=frame.index, dtype="string")
        if "_parent_index" in frame.columns and parent in keys_by_index:
            pidx = _index_key(frame["_parent_index"])
            parent_key = pd.Series(pidx.map(keys_by_index[parent]), index=frame.index).astype("string")
            record = pd.Series(pidx.map(records_by_index[parent]), index=frame.index).astype("string")
        fallback = _fallback_record_ids(frame)
        if fallback is not None:
            record = record.fillna(fallback)
            if parent == "":
                parent_key = parent_key.fillna(fallback)
        unlinked = int(record.isna().sum())
        if unlinked:
            problems.append(
                Problem(
                    "unlinked-repeat-rows",
                    f"{unlinked} row(s) of repeat '{name}' could not be linked to a submission",
                    Location(file=source, sheet=table.sheet),
                    severity=Severity.WARNING,
                    expected="_parent_index matching the parent's _index, or _submission__uuid",
                    got=f"{unlinked} row(s) with no matching parent",
                    count=unlinked,
                    hint="export the XLSX again without removing the _index / _parent_index columns",
                )
            )
        position = parent_key.groupby(parent_key, dropna=False).cumcount() + 1
        key = (parent_key + f"/{name}[" + position.astype("string") + "]").astype("string")
        links[name] = pd.DataFrame(
            {"_record_id": record, "_parent_key": parent_key, "_key": key}, index=frame.index
        )
        if "_index" in frame.columns:
            own = _index_key(frame["_index"]).to_numpy()
            keys_by_index[name] = _unique(pd.Series(key.to_numpy(), index=own))
            records_by_index[name] = _unique(pd.Series(record.to_numpy(), index=own))
    return links, problems


def child_names(children: Sequence[RawTable], repeats: Sequence[str]) -> list[tuple[str, RawTable, bool]]:
    """(repeat name, table, matched) for each child sheet; unmatched sheets keep their own name."""
    out = []
    for t in children:
        name = match_repeat(t.name or "", repeats) if repeats else None
        out.append((name or (t.name or "repeat"), t, name is not None))
    return out
