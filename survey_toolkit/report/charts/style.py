"""Chart constants and the colour and order of locations, the same in every chart of a report."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._common import (
    ReportMeta,
)

PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#e6550d", "#31a354", "#843c39", "#7b4173", "#637939",
    "#3182bd", "#fd8d3c", "#74c476", "#ad494a", "#a55194", "#8c6d31", "#6baed6", "#9c9ede",
    "#5254a3", "#8ca252", "#bd9e39", "#d6616b", "#ce6dbd", "#756bb1", "#e7ba52", "#2d7f6f",
)  # fmt: skip
"""Colours of the locations, in the order of the project's location list (32, then repeated): 22
districts and their 4 regions all differ."""

TOTAL_COLOUR = "#222222"
"""Colour of the overall row (all locations) in every chart."""

CHANGE_COLOURS: dict[str, str] = {
    "improved": "#1a9850",
    "worsened": "#d73027",
    "increased": "#4575b4",
    "decreased": "#4575b4",
    "no significant change": "#d9d9d9",
    "suppressed": "#ffffff",
}
"""Heatmap colour of each interpretation of a change."""

HEAT_KEYS = ("improved", "worsened", "increased", "decreased", "no significant change", "suppressed")

SINGLE_PANEL_MAX = 5
"""Most locations (besides the overall) drawn as lines in one trend panel; more: small multiples."""

WIDTH = 760.0
"""Width of every chart, in pixels (the report's text column)."""

_GRID = "#e3e5e8"
_AXIS = "#5f6368"


def _is_total(values: pd.Series, meta: ReportMeta) -> pd.Series:
    return values.isna() | (values.astype("string") == meta.rules.total_label).fillna(False).astype(bool)


def _total(loc: object, meta: ReportMeta) -> bool:
    """True for the overall row's location (missing or the total label)."""
    return bool(pd.isna(loc)) or str(loc) == meta.rules.total_label  # type: ignore[arg-type]


def _key(loc: object) -> str:
    return "\x00" if pd.isna(loc) else str(loc)  # type: ignore[arg-type]


def location_colours(meta: ReportMeta, locations: Sequence[object] = ()) -> dict[str, str]:
    """One colour per location code for a whole report: the overall row near-black, the others from
    :data:`PALETTE` in the order of the project's location list, then any other location (sorted)."""
    order = [str(c) for c in (meta.location_order or tuple(meta.location_names))]
    order = list(dict.fromkeys(c for c in order if ":" not in c and c != meta.rules.total_label))
    extra = sorted({str(loc) for loc in locations if not pd.isna(loc)} - set(order) - {meta.rules.total_label})  # type: ignore[arg-type]
    colours = {code: PALETTE[i % len(PALETTE)] for i, code in enumerate([*order, *extra])}
    colours[meta.rules.total_label] = TOTAL_COLOUR
    colours["\x00"] = TOTAL_COLOUR
    return colours


def _locations(rows: pd.DataFrame, meta: ReportMeta) -> list:
    """Overall first, then the locations in the order of the project's location list."""
    return ordered_locations(list(pd.unique(rows["location"])), meta)


def ordered_locations(locs: list, meta: ReportMeta) -> list:
    """``locs`` (codes, NaN or ``"\\x00"`` for the overall) with the overall first, then in the order
    of the project's location list, then the others sorted."""
    totals = [loc for loc in locs if _total(loc, meta) or loc == "\x00"]
    others = [loc for loc in locs if loc not in totals]
    rank = {code: i for i, code in enumerate(location_colours(meta))}
    others.sort(key=lambda loc: (rank.get(str(loc), len(rank)), str(loc)))
    return totals[:1] + others
