"""Repeat groups flattened into the main table (``children[1]/childs_name``) turned back into a child table.

Ona's and KoBoCAT's CSV exports (and KoBo's "flattened" ones) write a repeat group as numbered columns of
the main table: ``children[1]/childs_name, children[1]/childs_age, children[2]/childs_name, ...``. Left
there, they are columns the form does not know and every indicator of the repeat reads nothing. Here
each ``<repeat>[n]/...`` column set of a repeat of the form becomes the rows of that repeat's child
table (one row per submission and instance ``n`` that holds an answer), linked by ``_index`` /
``_parent_index`` like a KoBo XLSX repeat sheet. Nested flattened repeats (``a[1]/b[2]/c``) are left
as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

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
        return raw
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
