"""Repeat groups flattened into the main table (``children[1]/childs_name``) turned back into a child table.

Ona's and KoBoCAT's CSV exports (and KoBo's "flattened" ones) write a repeat group as numbered columns of
the main table: ``children[1]/childs_name, children[1]/childs_age, children[2]/childs_name, ...``. Left
there, they are columns the form does not know and every indicator of the repeat reads nothing. Here
each ``<repeat>[n]/...`` column set of a repeat of the form becomes the rows of that repeat's child
table (one row per submission and instance ``n`` that holds an answer), linked by ``_index`` /
``_parent_index`` like a KoBo XLSX repeat sheet; a nested repeat (``a[1]/b[2]/c``) becomes its own table
linked to the rows of ``a``.

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

_SEGMENT = re.compile(r"^(?P<name>[^/\[\]]+)\[(?P<n>\d+)\]$")

#: one flattened column: the repeats it sits in with their instance numbers, and its path without them
_Wide = tuple[tuple[tuple[str, int], ...], str]


def _parse(column: str, repeats: set[str]) -> _Wide | None:
    """``kids/kids_details[2]/kids_immunization[1]/info`` -> ((('kids_details', 2), ('kids_immunization', 1)),
    'kids/kids_details/kids_immunization/info'); None for any other column."""
    parts = column.split("/")
    chain, clean = [], []
    for part in parts[:-1]:
        m = _SEGMENT.match(part)
        if m is None and ("[" in part or "]" in part):
            return None
        if m is not None and m["name"] not in repeats:
            return None
        if m is not None:
            chain.append((m["name"], int(m["n"])))
        clean.append(m["name"] if m is not None else part)
    if not chain or "[" in parts[-1] or "]" in parts[-1]:
        return None
    return tuple(chain), "/".join([*clean, parts[-1]])


def split_wide_repeats(
    raw: RawExport, instrument: Instrument | None, na_values: Sequence[object] | None = None
) -> RawExport:
    """``raw`` with the flattened columns of the form's repeats moved into child tables (unchanged without any)."""
    if instrument is None or raw.children:
        return raw
    repeats = set(repeat_names(instrument))
    markers = resolve_na_values(na_values)
    parsed = {str(c): _parse(str(c), repeats) for c in raw.main.frame.columns}
    wide = {c: w for c, w in parsed.items() if w is not None}
    if not wide:
        return _split_long_repeats(raw, instrument, markers)
    main = raw.main.frame
    index = (
        main["_index"]
        if "_index" in main.columns
        else pd.Series(np.arange(1, len(main) + 1), index=main.index)
    )
    rows = (
        raw.main.source_rows
        if raw.main.source_rows is not None
        else pd.Series(np.arange(2, len(main) + 2), index=main.index)
    )
    cells = _cells(main, wide, markers)
    children, tables = [], {}
    for level in sorted(set(cells["level"]), key=len):
        tables[level] = _instances(cells, level)
        children.append(_child(tables, level, cells, index, rows))
    frame = main.drop(columns=list(wide))
    if "_index" not in frame.columns:
        frame = frame.assign(_index=index.to_numpy())
    return replace(raw, main=replace(raw.main, frame=frame), children=tuple(children))


def _cells(main: pd.DataFrame, wide: dict[str, _Wide], markers: frozenset[str]) -> pd.DataFrame:
    """One row per answered flattened cell: main row position, repeat chain (level), instance key, target
    column and value; enclosing instances appear as rows without a target (a parent with no answer of its own)."""
    parts = []
    for column, (chain, target) in wide.items():
        values, marked = apply_na_values(main[column], markers)
        answered = np.flatnonzero(~(blank_mask(values) | marked).to_numpy())
        for depth in range(1, len(chain) + 1):
            last = depth == len(chain)
            parts.append(pd.DataFrame({
                "row": answered,
                "level": pd.Series([tuple(name for name, _ in chain[:depth])] * len(answered), dtype=object),
                "key": pd.Series([tuple(n for _, n in chain[:depth])] * len(answered), dtype=object),
                "parent_key": pd.Series([tuple(n for _, n in chain[: depth - 1])] * len(answered), dtype=object),
                "target": target if last else None,
                "value": main[column].to_numpy()[answered] if last else None,
            }))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def _instances(cells: pd.DataFrame, level: tuple[str, ...]) -> pd.DataFrame:
    """The rows of one repeat table: (main row, instance key) in submission then instance order, numbered."""
    inst = cells.loc[cells["level"] == level, ["row", "key", "parent_key"]].drop_duplicates(["row", "key"])
    inst = inst.sort_values(["row", "key"], kind="stable").reset_index(drop=True)
    return inst.assign(_index=np.arange(1, len(inst) + 1))


def _child(
    tables: dict[tuple[str, ...], pd.DataFrame],
    level: tuple[str, ...],
    cells: pd.DataFrame,
    index: pd.Series,
    rows: pd.Series,
) -> RawTable:
    """The table of the repeat ``level[-1]``, linked to its parent like a KoBo sheet (``_parent_index``)."""
    inst = tables[level]
    own = cells[(cells["level"] == level) & cells["target"].notna()]
    values = own.drop_duplicates(["row", "key", "target"]).set_index(["row", "key", "target"])["value"]
    table = inst.join(values.unstack("target"), on=["row", "key"])
    if len(level) == 1:
        table["_parent_index"] = index.to_numpy()[table["row"].to_numpy()]
    else:
        parent = tables[level[:-1]][["row", "key", "_index"]]
        parent = parent.rename(columns={"key": "parent_key", "_index": "_parent_index"})
        table = table.merge(parent, on=["row", "parent_key"]).assign(_parent_table_name=level[-2])
    source_rows = pd.Series(rows.to_numpy()[table["row"].to_numpy()])
    return RawTable(
        table.drop(columns=["row", "key", "parent_key"]), name=level[-1], source_rows=source_rows, sheet=None
    )


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
