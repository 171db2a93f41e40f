"""Trend charts: estimates across rounds with 95% CIs, one panel of lines or small multiples."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ...i18n import is_rtl
from .._common import (
    ReportMeta,
    indicator_label,
    location_name,
    percent_factor,
    prepare_results,
    rounds_of,
)
from ..canvas import Canvas, text_width, wrap
from .axes import _draw_line, _panel, _title, _y_range, round_key, rounds_numbered
from .rows import _axis_label, _direct_only, _indicator_rows, _is_percent, _scale, _series
from .style import _AXIS, SINGLE_PANEL_MAX, TOTAL_COLOUR, WIDTH, _key, _locations, _total, location_colours


def trend_chart(
    results: pd.DataFrame,
    indicator: str,
    *,
    meta: ReportMeta | None = None,
    lang: str = "en",
    locations: Sequence[str] | None = None,
) -> Canvas:
    """Estimates across rounds with 95% CIs: one panel of lines, or small multiples for many locations."""
    meta = (meta or ReportMeta()).for_language(lang)
    results = prepare_results(results, meta.rules)
    rows = _indicator_rows(results, indicator)
    colours = location_colours(meta, results["location"] if "location" in results.columns else ())
    title = indicator_label(results, meta, indicator, lang)
    return _draw_trend(rows, rounds_of(results, meta), _scale(rows, percent_factor(results)), title, meta,
                       lang, colours, locations)  # fmt: skip


def _draw_trend(
    rows: pd.DataFrame,
    order: list[str],
    scale: float,
    label: str,
    meta: ReportMeta,
    lang: str,
    colours: Mapping[str, str],
    locations: Sequence[str] | None = None,
) -> Canvas:
    rows = _direct_only(rows)
    series = _series(rows, order, scale)
    locs = list(locations) if locations is not None else _locations(rows, meta)
    locs = [loc for loc in locs if _key(loc) in series and np.isfinite(series[_key(loc)][:, 0]).any()]
    ticks = _y_range({_key(loc): series[_key(loc)] for loc in locs}, _is_percent(rows))
    others = [loc for loc in locs if not _total(loc, meta)]
    total = next((loc for loc in locs if loc not in others), None)
    if len(others) <= SINGLE_PANEL_MAX:
        return _trend_single(series, locs, total, ticks, order, label, meta, lang, colours, rows)
    return _trend_multiples(series, others, total, ticks, order, label, meta, lang, colours, rows)


def _trend_single(series, locs, total, ticks, order, label, meta, lang, colours, rows) -> Canvas:
    names = [location_name(meta, loc, lang) for loc in locs]
    legend_w = min(max((text_width(n, 10) for n in names), default=0) + 26, 220)
    c = Canvas(WIDTH, 0, title=label, rtl=is_rtl(lang))
    top = _title(c, label) + 14
    x0, w, h = 46.0, WIDTH - 46 - legend_w - 16, 200.0
    c.text(8, top - 4, _axis_label(rows, lang), size=9, fill=_AXIS)
    px, py = _panel(c, x0, top + 6, w, h, ticks, order, meta, lang, True, True)
    for loc in sorted(locs, key=lambda loc: loc is total):  # overall drawn last, on top
        colour = colours.get(_key(loc), TOTAL_COLOUR)
        data = series[_key(loc)]
        _draw_line(c, px, py, data, colour, band=loc is total or len(locs) <= 2, width=2.6 if loc is total else 1.6)
    lx = x0 + w + 16
    for k, (loc, name) in enumerate(zip(locs, names, strict=True)):
        y = top + 12 + 17 * k
        c.rect(lx, y - 8, 14, 4 if loc is not total else 5, fill=colours.get(_key(loc), TOTAL_COLOUR))
        c.text(lx + 20, y - 2, wrap(name, legend_w - 24, 10, 1)[0], size=10, bold=loc is total)
    bottom = top + 6 + h + 36
    if rounds_numbered(meta, order, w):
        bottom = round_key(c, meta, order, bottom) + 6
    c.height = max(bottom, top + 17 * len(locs) + 10)
    return c


PANEL_COLUMNS = 4


def _trend_multiples(series, others, total, ticks, order, label, meta, lang, colours, rows) -> Canvas:
    panels = ([total] if total is not None else []) + others
    c = Canvas(WIDTH, 0, title=label, rtl=is_rtl(lang))
    top = _title(c, label) + 8
    if total is not None:
        c.line(10, top + 6, 30, top + 6, stroke=TOTAL_COLOUR, width=1.4, dash=True)
        c.text(36, top + 10, f"{location_name(meta, total, lang)} ({_axis_label(rows, lang)})", size=9, fill=_AXIS)
        top += 16
    cols = PANEL_COLUMNS
    cell_w, cell_h, plot_h = (WIDTH - 40) / cols, 138.0, 84.0
    for k, loc in enumerate(panels):
        col, row = k % cols, k // cols
        x0, y0 = 40 + col * cell_w, top + row * cell_h
        colour = colours.get(_key(loc), TOTAL_COLOUR)
        name = wrap(location_name(meta, loc, lang), cell_w - 16, 10, 1)[0]
        c.text(x0, y0 + 12, name, size=10, bold=True, fill=colour)
        last_row = row == (len(panels) - 1) // cols or k + cols >= len(panels)
        px, py = _panel(c, x0, y0 + 20, cell_w - 14, plot_h, ticks, order, meta, lang, col == 0, last_row)
        if total is not None and loc is not total:
            _draw_line(c, px, py, series[_key(total)], "#9a9a9a", band=False, width=1.2, dash=True, markers=False)
        _draw_line(c, px, py, series[_key(loc)], colour, band=True, width=2.0)
    rows_n = (len(panels) + cols - 1) // cols
    c.height = top + rows_n * cell_h + 8
    if rounds_numbered(meta, order, cell_w - 14):
        c.height = round_key(c, meta, order, c.height + 4) + 6
    return c
