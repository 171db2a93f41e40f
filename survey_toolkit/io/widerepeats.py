"""Repeat groups flattened into the main table (``children[1]/childs_name``) turned back into a child table.

Ona's and KoBoCAT's CSV exports (and KoBo's "flattened" ones) write a repeat group as numbered columns of
the main table: ``children[1]/childs_name, children[1]/childs_age, children[2]/childs_name, ...``. Left
there, they are columns the form does not know and every indicator of the repeat reads nothing. Here
each ``<repeat>[n]/...`` column set of a repeat of the form becomes the rows of that repeat's child
table (one row per submission and instance ``n`` that holds an answer), linked by ``_index`` /
``_parent_index`` like a KoBo XLSX repeat sheet. Nested flattened repeats (``a[1]/b[2]/c``) are left
as they are.

Ona's "flattened" CSV goes the other way: one row per repeat entry, the submission's answers copied on
each, the repeat's questions under their path (``children/childs_name``). When every row of a
submission (same ``meta/instanceID`` / ``_uuid`` / ``KEY``) holds the same answers outside the repeat,
the first row is the submission and each row with a repeat answer a row of the repeat (info
``repeat-rows-in-main-table``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import Location, Problem, Severity
from ..instrument import Instrument
from .base import RawExport, RawTable
from .headers import repeat_names
from .values import apply_na_values, blank_mask, resolve_na_values

__all__ = ["split_wide_repeats"]

_WIDE = re.compile(r"^(?P<prefix>(?:[^/\[\]]+/)*)(?P<repeat>[^/\[\]]+)\[(?P<n>\d+)\]/(?P<rest>[^\[\]]+)$")


def split_wide_repeats(
    raw: RawExport, instrument: Instrument | None, na_values: Sequence[object] | None = None
) -> RawExport:
    """``raw`` with the flattened columns of the form's repeats moved into child tables (unchanged without any)."""
    if instrument is None or raw.children:
        return raw
    repeats = set(repeat_names(instrument))
    wide: dict[str, list[tuple[str, int, str]]] = {}
    for column in raw.main.frame.columns:
        m = _WIDE.match(str(column))
        if m and m["repeat"] in repeats:
            wide.setdefault(m["repeat"], []).append(
                (str(column), int(m["n"]), m["prefix"] + m["repeat"] + "/" + m["rest"])
            )
    if not wide:
        return _split_long_repeats(raw, instrument, resolve_na_values(na_values))
    main = raw.main.frame
    index = (
        main["_index"]
        if "_index" in main.columns
        else pd.Series(np.arange(1, len(main) + 1), index=main.index)
    )
    markers = resolve_na_values(na_values)
    rows = (
        raw.main.source_rows
        if raw.main.source_rows is not None
        else pd.Series(np.arange(2, len(main) + 2), index=main.index)
    )
    children = tuple(_child(main, index, rows, name, columns, markers) for name, columns in wide.items())
    dropped = [column for columns in wide.values() for column, _, _ in columns]
    frame = main.drop(columns=dropped)
    if "_index" not in frame.columns:
        frame = frame.assign(_index=index.to_numpy())
    return replace(raw, main=replace(raw.main, frame=frame), children=children)


def _child(
    main: pd.DataFrame,
    index: pd.Series,
    rows: pd.Series,
    name: str,
    columns: list[tuple[str, int, str]],
    markers: frozenset[str],
) -> RawTable:
    """One repeat's child table: one row per (submission, instance) with at least one answer."""
    parts = []
    for n in sorted({n for _, n, _ in columns}):
        block = {target: main[column] for column, k, target in columns if k == n}
        frame = pd.DataFrame(block, index=main.index)
        answered = np.zeros(len(frame), dtype=bool)
        for column in frame.columns:
            values, marked = apply_na_values(frame[column], markers)
            answered |= ~(blank_mask(values) | marked).to_numpy()
        frame = frame.assign(_parent_index=index.to_numpy(), _n=n, _row=rows.to_numpy())
        parts.append(frame[answered])
    long = pd.concat(parts).sort_values(["_row", "_n"], kind="stable").reset_index(drop=True)
    source_rows = long.pop("_row")
    long = long.drop(columns="_n")
    return RawTable(long, name=name, source_rows=source_rows, sheet=None)


_ID_COLUMNS = ("meta/instanceID", "meta/rootUuid", "_uuid", "KEY", "instanceID")


def _split_long_repeats(raw: RawExport, instrument: Instrument, markers: frozenset[str]) -> RawExport:
    """``raw`` with the rows of an Ona "flattened" export split into submissions and repeat rows."""
    main = raw.main.frame
    outer = {g.name for g in instrument.repeats if not any(p in {r.name for r in instrument.repeats}
                                                           for p in g.path[:-1])}  # fmt: skip
    by_repeat: dict[str, list[str]] = {}
    for q in instrument.leaves:
        if q.repeat in outer and q.xpath in main.columns:
            by_repeat.setdefault(q.repeat, []).append(q.xpath)
    id_column = next((c for c in _ID_COLUMNS if c in main.columns), None)
    if not by_repeat or id_column is None:
        return raw
    ids = main[id_column]
    if blank_mask(ids).any():
        return raw
    repeat_columns = [c for columns in by_repeat.values() for c in columns]
    rest = main.drop(columns=repeat_columns)
    first = ~ids.duplicated(keep="first")
    if not (~first).any() or len(rest.astype("string").drop_duplicates()) != int(first.sum()):
        return raw  # one row per submission, or rows of one id that differ: not this layout
    rows = (
        raw.main.source_rows
        if raw.main.source_rows is not None
        else pd.Series(np.arange(2, len(main) + 2), index=main.index)
    )
    index = (
        main["_index"]
        if "_index" in main.columns
        else pd.Series(np.arange(1, len(main) + 1), index=main.index)
    )
    parent = ids.map(pd.Series(index[first].to_numpy(), index=ids[first].to_numpy()))
    children = []
    for name, columns in by_repeat.items():
        answered = np.zeros(len(main), dtype=bool)
        for column in columns:
            values, marked = apply_na_values(main[column], markers)
            answered |= ~(blank_mask(values) | marked).to_numpy()
        child = main.loc[answered, columns].assign(_parent_index=parent[answered].to_numpy())
        children.append(RawTable(child.reset_index(drop=True), name=name,
                                 source_rows=rows[answered].reset_index(drop=True)))  # fmt: skip
    kept = rest[first].assign(_index=index[first].to_numpy()) if "_index" not in rest.columns else rest[first]
    note = Problem(
        "repeat-rows-in-main-table",
        f"the export has one row per entry of repeat(s) {', '.join(by_repeat)} (a 'flattened' export): "
        f"{len(main)} rows read as {int(first.sum())} submission(s) and their repeat rows",
        Location(file=raw.source_file, sheet=raw.main.sheet, field=repeat_columns[0]),
        severity=Severity.INFO,
        hint="nothing to do; an export with one row per submission and one table per repeat is read the same way",
    )
    main_table = replace(
        raw.main, frame=kept.reset_index(drop=True), source_rows=rows[first].reset_index(drop=True)
    )
    return replace(raw, main=main_table, children=tuple(children), problems=(*raw.problems, note))
