"""A platform export (KoBo, ODK Central) typed: the main table by ``tidy_frame``, its repeat tables linked and typed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from types import MappingProxyType

import pandas as pd

from ..errors import Location, Problem, Severity
from ..instrument import Instrument
from .base import RawExport, SurveyData
from .headers import repeat_names
from .kobo import (
    child_names,
    kobo_links,
)
from .odk import central_links
from .tidy import child_frame, tidy_frame
from .widerepeats import split_wide_repeats


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
    raw = split_wide_repeats(raw, instrument, na_values)
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
                got=", ".join(repeats),
                hint=hint,
            )
            return replace(data, problems=data.problems + [info])
        return data
    problems: list[Problem] = []
    repeats = repeat_names(instrument) if instrument is not None else []
    named = child_names(raw.children, repeats)
    for _name, table, matched in named:
        if instrument is not None and not matched and not _links_to_a_parent(table):
            problems.append(
                Problem(
                    "sheet-not-a-repeat",
                    f"sheet '{table.name}' is not a repeat table (no _parent_index, _submission__uuid or "
                    "PARENT_KEY column); it is not read",
                    Location(file=raw.source_file, sheet=table.sheet),
                    severity=Severity.INFO,
                    hint="nothing to do for notes or logs kept beside the data (a cleaned dataset's cleaning or "
                    "deletion log); to apply a cleaning log, save it as its own file and name it under "
                    "'cleaning_log:' in survey.yaml",
                )
            )
        elif instrument is not None and not matched:
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
    pairs = [(name, table) for name, table, matched in named if matched or _links_to_a_parent(table)]
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


_PARENT_LINKS = (
    "_parent_index",
    "_submission__uuid",
    "_submission__id",
    "_submission_meta/rootUuid",
    "_parent_table_name",
    "PARENT_KEY",
)


def _links_to_a_parent(table) -> bool:
    """True when a sheet has a column linking its rows to a parent (a repeat table, even unmatched)."""
    return any(c in table.frame.columns for c in _PARENT_LINKS)
