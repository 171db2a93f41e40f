"""The report's charts, drawn once as shapes on a :class:`~survey_toolkit.report.canvas.Canvas`.

Each builder returns a ``Canvas``; :func:`figure_bytes` writes it as SVG (the HTML report and the
chart files) or PNG (on request, for slides). No plotting library is involved: a chart is a few
dozen shapes written from string templates, so the demo's charts take milliseconds, and the same
inputs give the same bytes. Text from the data (place names, labels) is XML-escaped.

Colours: every location has **one colour in every chart of a report** (:func:`location_colours`),
fixed from the project's location list (``ReportMeta.location_order``, else the order of
``ReportMeta.location_names``), so "the orange line" is the same place in every chart; the overall
row is always near-black. Trend charts draw one panel with a line per location when there are at
most :data:`SINGLE_PANEL_MAX` locations, else small multiples (one small panel per location, on a
shared scale, with the overall as a dashed reference), so 22 locations x 6 rounds stay readable.

Suppressed estimates are NaN in the input (see :mod:`survey_toolkit.disclosure`), so they do not
appear: trend lines break, bars are replaced by a dash and "not published", heatmap cells are white.

Example:
    >>> import pandas as pd
    >>> from survey_toolkit.report.charts import trend_chart, figure_bytes
    >>> r = pd.DataFrame({"indicator_id": "a", "round": ["R1", "R2"], "location": "All",
    ...                   "estimate": [40.0, 45.0], "se": 2.0, "ci_low": [36.0, 41.0],
    ...                   "ci_high": [44.0, 49.0], "n": 400, "unit": "percent"})
    >>> figure_bytes(trend_chart(r, "a"), "svg")[:4]
    b'<svg'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..disclosure import group_columns_of
from ..i18n import RTL_LANGUAGES, is_rtl  # noqa: F401 - RTL_LANGUAGES kept importable from here
from ._common import (
    ReportMeta,
    atomic_write_bytes,
    fmt_number,
    indicator_ids,
    indicator_label,
    location_name,
    percent_factor,
    prepare_results,
    rounds_of,
    t,
    unit_name,
)
from .canvas import Canvas, text_width, wrap

__all__ = [
    "PALETTE",
    "TOTAL_COLOUR",
    "CHANGE_COLOURS",
    "SINGLE_PANEL_MAX",
    "location_colours",
    "trend_chart",
    "location_bars",
    "change_heatmap",
    "figure_bytes",
    "save_charts",
    "build_charts",
    "chart_plan",
    "chart_stem",
]

PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#e6550d", "#31a354", "#843c39", "#7b4173", "#637939",
    "#3182bd", "#fd8d3c", "#74c476", "#ad494a", "#a55194", "#8c6d31", "#6baed6", "#9c9ede",
)  # fmt: skip
"""Colours of the locations, in the order of the project's location list (24, then repeated)."""

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


def _headline_rows(results: pd.DataFrame) -> pd.Series:
    """Rows without a breakdown other than location (sex, age group... all totals)."""
    keep = pd.Series(True, index=results.index)
    for col in group_columns_of(results):
        if col != "location":
            keep &= results[col].isna() | (results[col].astype("string") == "All").fillna(False).astype(bool)
    return keep


def _indicator_rows(results: pd.DataFrame, indicator: str) -> pd.DataFrame:
    rows = results[(results["indicator_id"].astype(str) == indicator) & _headline_rows(results)]
    if "location" not in rows.columns:
        rows = rows.assign(location="All")
    return rows


def _model_based(rows: pd.DataFrame) -> pd.Series:
    """True on the rows whose figure is model-based (small-area estimate standing in for a withheld one)."""
    if "estimate_type" not in rows.columns:
        return pd.Series(False, index=rows.index)
    return rows["estimate_type"].astype("string").eq("model-based").fillna(False).astype(bool)


def _direct_only(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the model-based figures blanked: a trend joins survey estimates only."""
    model = _model_based(rows)
    if not model.any():
        return rows
    cols = [c for c in ("estimate", "ci_low", "ci_high") if c in rows.columns]
    return rows.assign(**{c: rows[c].astype("float64").mask(model) for c in cols})


def _scale(rows: pd.DataFrame, factor: float) -> float:
    unit = rows["unit"].iloc[0] if "unit" in rows.columns and len(rows) else ""
    return factor if str(unit) in ("percent", "proportion") else 1.0


def _is_percent(rows: pd.DataFrame) -> bool:
    return "unit" in rows.columns and len(rows) > 0 and str(rows["unit"].iloc[0]) in ("percent", "proportion")


def _axis_label(rows: pd.DataFrame, lang: str) -> str:
    unit = rows["unit"].iloc[0] if "unit" in rows.columns and len(rows) else ""
    return unit_name(unit, lang) if unit else ""


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


def _series(rows: pd.DataFrame, order: list[str], scale: float) -> dict[str, np.ndarray]:
    """Estimate, CI low and high of each location (key: :func:`_key`) by round, as arrays (rounds x 3).

    ``rows`` are one indicator's headline rows (a few dozen), read column-wise once."""
    col = {r: i for i, r in enumerate(order)}
    locs = [_key(v) for v in rows["location"]]
    rnds = rows["round"].astype(str).map(col).to_numpy()
    values = np.column_stack([
        pd.to_numeric(rows[c], errors="coerce").to_numpy(dtype=float) * scale if c in rows.columns
        else np.full(len(rows), np.nan)
        for c in ("estimate", "ci_low", "ci_high")
    ])  # fmt: skip
    out: dict[str, np.ndarray] = {}
    for loc, r, vals in zip(locs, rnds, values, strict=True):
        if pd.isna(r):
            continue
        arr = out.setdefault(loc, np.full((len(order), 3), np.nan))
        if np.isnan(arr[int(r), 0]):
            arr[int(r)] = vals
    return out


def _nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    value = start
    while value <= hi + step * 0.5 and len(ticks) < 12:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _y_range(series: Mapping[str, np.ndarray], percent: bool) -> list[float]:
    values = np.concatenate([a.ravel() for a in series.values()]) if series else np.array([])
    values = values[np.isfinite(values)]
    lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    if percent:
        lo, hi = max(lo, 0.0), min(hi, 100.0)
    ticks = _nice_ticks(lo, hi)
    if percent:
        ticks = [v for v in ticks if 0 <= v <= 100] or [0.0, 100.0]
    return ticks


def _segments(xs: list[float], ys: np.ndarray) -> list[list[tuple[float, float]]]:
    """Runs of consecutive published points (a suppressed round breaks the line)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(xs, ys, strict=True):
        if math.isfinite(y):
            runs[-1].append((x, float(y)))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _round_ticks(meta: ReportMeta, order: list[str], step: float) -> list[list[str]]:
    """Round labels for the x axis, on two lines when they do not fit the space between rounds."""
    return [wrap(str(meta.round_labels.get(r, r)), max(step - 4, 30), 9, max_lines=2) for r in order]


def _panel(c: Canvas, x0: float, y0: float, w: float, h: float, ticks: list[float], order: list[str],
           meta: ReportMeta, lang: str, y_labels: bool, x_labels: bool) -> tuple:  # fmt: skip
    """Axes of one panel; returns the functions mapping a round index and a value to pixels."""
    lo, hi = ticks[0], ticks[-1]
    n = len(order)
    pad = min(w / (2 * max(n, 1)), 28.0)
    step = (w - 2 * pad) / max(n - 1, 1)

    def px(i: int) -> float:
        return x0 + pad + (i * step if n > 1 else (w - 2 * pad) / 2)

    def py(v: float) -> float:
        return y0 + h - (v - lo) / (hi - lo) * h

    for v in ticks:
        c.line(x0, py(v), x0 + w, py(v), stroke=_GRID, width=1)
        if y_labels:
            c.text(x0 - 5, py(v) + 3.5, fmt_number(v, 0 if float(v).is_integer() else 1, lang), size=9,
                   anchor="end", fill=_AXIS)  # fmt: skip
    c.line(x0, y0 + h, x0 + w, y0 + h, stroke=_AXIS, width=1)
    if x_labels:
        for i, lines in enumerate(_round_ticks(meta, order, step if n > 1 else w)):
            for k, line in enumerate(lines):
                c.text(px(i), y0 + h + 13 + 11 * k, line, size=9, anchor="middle", fill=_AXIS)
    return px, py


def _draw_line(c: Canvas, px, py, data: np.ndarray, colour: str, *, band: bool, width: float,
               dash: bool = False, markers: bool = True) -> None:  # fmt: skip
    xs = [px(i) for i in range(len(data))]
    if band:
        ok = np.isfinite(data[:, 1]) & np.isfinite(data[:, 2])
        for run in _segments(xs, np.where(ok, data[:, 0], np.nan)):
            idx = [xs.index(x) for x, _ in run]
            if len(idx) == 1:
                i = idx[0]
                c.line(xs[i], py(data[i, 1]), xs[i], py(data[i, 2]), stroke=colour, width=3, dash=False)
                continue
            top = [(xs[i], py(data[i, 2])) for i in idx]
            bottom = [(xs[i], py(data[i, 1])) for i in reversed(idx)]
            c.polygon(top + bottom, fill=colour, opacity=0.16)
    for run in _segments(xs, data[:, 0]):
        c.polyline([(x, py(y)) for x, y in run], stroke=colour, width=width, dash=dash)
        if markers:
            for x, y in run:
                c.circle(x, py(y), 3.0, fill=colour)


def _title(c: Canvas, text: str, y: float = 16.0) -> float:
    lines = wrap(text, WIDTH - 20, 12, max_lines=3)
    for k, line in enumerate(lines):
        c.text(8, y + 15 * k, line, size=12, bold=True)
    return y + 15 * (len(lines) - 1) + 12


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
    c.height = max(top + 6 + h + 36, top + 17 * len(locs) + 10)
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
    return c


def location_bars(
    results: pd.DataFrame,
    indicator: str,
    *,
    round: str | None = None,
    meta: ReportMeta | None = None,
    lang: str = "en",
) -> Canvas:
    """Horizontal bars of one round's estimates by location with 95% CI whiskers; '—' if suppressed."""
    meta = (meta or ReportMeta()).for_language(lang)
    results = prepare_results(results, meta.rules)
    rows = _indicator_rows(results, indicator)
    rnd = round if round is not None else rounds_of(results, meta)[-1]
    colours = location_colours(meta, results["location"] if "location" in results.columns else ())
    return _draw_bars(rows, str(rnd), _scale(rows, percent_factor(results)), meta, lang, colours)


def _draw_bars(
    rows: pd.DataFrame, rnd: str, scale: float, meta: ReportMeta, lang: str, colours: Mapping[str, str]
) -> Canvas:
    rows = rows[rows["round"].astype(str) == str(rnd)]
    locs = _locations(rows, meta)
    data = _series(rows, [str(rnd)], scale)
    est = np.array([data[_key(loc)][0, 0] for loc in locs], dtype=float)
    lo = np.array([data[_key(loc)][0, 1] for loc in locs], dtype=float)
    hi = np.array([data[_key(loc)][0, 2] for loc in locs], dtype=float)
    names = [location_name(meta, loc, lang) for loc in locs]
    model = set(rows.loc[_model_based(rows), "location"].astype(str))
    label_w = min(max((text_width(n, 10) for n in names), default=40) + 14, 230)
    title = t(lang, "bars", round=meta.round_labels.get(str(rnd), rnd))
    c = Canvas(WIDTH, 0, title=title, rtl=is_rtl(lang))
    top = _title(c, title) + 12
    bar_h, gap = 14.0, 8.0
    x0, w = label_w + 8, WIDTH - label_w - 60
    finite = np.concatenate([hi[np.isfinite(hi)], est[np.isfinite(est)]])
    upper = float(finite.max()) * 1.05 if len(finite) else 1.0
    if _is_percent(rows):
        upper = min(max(upper, 1.0), 100.0)
    ticks = [v for v in _nice_ticks(0.0, upper) if v >= 0]
    span = max(ticks[-1], upper) or 1.0

    def px(v: float) -> float:
        return x0 + max(v, 0.0) / span * w

    plot_h = len(locs) * (bar_h + gap)
    for v in ticks:
        c.line(px(v), top, px(v), top + plot_h, stroke=_GRID)
        c.text(px(v), top + plot_h + 13, fmt_number(v, 0 if float(v).is_integer() else 1, lang), size=9,
               anchor="middle", fill=_AXIS)  # fmt: skip
    c.text(x0 + w, top + plot_h + 26, _axis_label(rows, lang), size=9, anchor="end", fill=_AXIS)
    for k, loc in enumerate(locs):
        y = top + k * (bar_h + gap) + gap / 2
        total = _total(loc, meta)
        c.text(x0 - 8, y + bar_h - 3, wrap(names[k], label_w - 10, 10, 1)[0], size=10, anchor="end", bold=total)
        if not math.isfinite(est[k]):
            c.text(x0 + 4, y + bar_h - 3, f"— {t(lang, 'not_published')}", size=10, fill=_AXIS)
            continue
        modelled = _key(loc) in model
        c.rect(x0, y, px(est[k]) - x0, bar_h, fill=colours.get(_key(loc), TOTAL_COLOUR), opacity=0.35 if modelled else 1.0)
        end = px(est[k])
        if math.isfinite(lo[k]) and math.isfinite(hi[k]):
            mid = y + bar_h / 2
            c.line(px(lo[k]), mid, px(hi[k]), mid, stroke="#000000", width=1.2)
            c.line(px(lo[k]), mid - 4, px(lo[k]), mid + 4, stroke="#000000", width=1.2)
            c.line(px(hi[k]), mid - 4, px(hi[k]), mid + 4, stroke="#000000", width=1.2)
            end = max(end, px(hi[k]))
        value = fmt_number(est[k], 1, lang) + (f" ({t(lang, 'model_based_short')})" if modelled else "")
        c.text(end + 5, y + bar_h - 3, value, size=9, fill="#333333")
    c.height = top + plot_h + 34
    return c


def _heatmap_matrix(comparisons: pd.DataFrame, comparison: str, meta: ReportMeta) -> tuple[list[str], list, pd.DataFrame]:
    comp = comparisons[comparisons["comparison"] == comparison]
    if "location" not in comp.columns:
        comp = comp.assign(location="All")
    comp = comp[_headline_rows(comp)]
    if "category" in comp.columns:  # one row per indicator; answer categories are in the tables
        comp = comp[comp["category"].isna()]
    inds = [str(i) for i in pd.unique(comp["indicator_id"].astype(str))]
    return inds, _locations(comp, meta), comp


def change_heatmap(
    comparisons: pd.DataFrame,
    *,
    comparison: str = "previous",
    results: pd.DataFrame | None = None,
    meta: ReportMeta | None = None,
    lang: str = "en",
) -> Canvas:
    """Indicator x location grid of the change, coloured by direction and significance (after FDR).

    Rows are indicators (headline estimates; answer categories of a distribution are left out) with
    their full labels (wrapped, never cut to a common prefix), columns locations (overall first).
    Cell text is the change (``*`` when significant after false discovery rate control);
    suppressed changes are white with a dash. A legend of the colours closes the chart.
    """
    meta = (meta or ReportMeta()).for_language(lang)
    inds, locs, comp = _heatmap_matrix(comparisons, comparison, meta)
    labels_from = results if results is not None else comparisons
    factor = percent_factor(results) if results is not None else 1.0
    codes, text = _heatmap_cells(comp, inds, locs, factor, lang)
    labels = _labels(labels_from, meta, inds, lang)
    names = [wrap(location_name(meta, loc, lang), 150, 9, 1)[0] for loc in locs]
    cell_w = 50.0
    label_w = max(min(WIDTH - cell_w * len(locs) - 16, 330.0), 200.0)
    wrapped = [wrap(label, label_w - 10, 9.5, max_lines=4) for label in labels]
    head = min(max((text_width(n, 9) for n in names), default=20) * 0.78 + 16, 130)
    width = max(WIDTH, label_w + cell_w * len(locs) + head)
    c = Canvas(width, 0, title=t(lang, "heatmap"), rtl=is_rtl(lang))
    x0, y = label_w, head
    for j, name in enumerate(names):
        c.text(x0 + cell_w * (j + 0.5) - 2, head - 6, name, size=9, rotate=-45, bold=_total(locs[j], meta))
    for i, lines in enumerate(wrapped):
        row_h = max(20.0, 11.5 * len(lines) + 6)
        for k, line in enumerate(lines):
            c.text(x0 - 8, y + row_h / 2 - 11.5 * (len(lines) - 1) / 2 + 3.5 + 11.5 * k, line, size=9.5, anchor="end")
        for j in range(len(locs)):
            key = HEAT_KEYS[codes[i, j]]
            c.rect(x0 + cell_w * j + 1, y + 1, cell_w - 2, row_h - 2, fill=CHANGE_COLOURS[key])
            if key == "suppressed":
                c.rect(x0 + cell_w * j + 1, y + row_h - 2, cell_w - 2, 1, fill="#d0d4d9")
            dark = key in ("improved", "worsened", "increased", "decreased")
            c.text(x0 + cell_w * (j + 0.5), y + row_h / 2 + 3.5, str(text[i, j]), size=8.5, anchor="middle",
                   fill="#ffffff" if dark else "#222222")  # fmt: skip
        y += row_h
    y += 16
    x = 8.0
    for key in ("improved", "worsened", "increased", "no significant change", "suppressed"):
        word = t(lang, "not_published") if key == "suppressed" else t(lang, key)
        c.rect(x, y - 9, 12, 12, fill=CHANGE_COLOURS[key] if key != "suppressed" else "#f3f5f7")
        c.text(x + 16, y + 1, word, size=9)
        x += 28 + text_width(word, 9)
    c.height = y + 10
    return c


def _labels(results: pd.DataFrame, meta: ReportMeta, inds: list[str], lang: str) -> list[str]:
    """Indicator labels looked up once (not once per indicator over the whole table)."""
    first = results.drop_duplicates("indicator_id")
    small = first[first["indicator_id"].astype(str).isin(inds)]
    return [indicator_label(small, meta, i, lang) for i in inds]


def _heatmap_cells(
    comp: pd.DataFrame, inds: list[str], locs: list, factor: float, lang: str
) -> tuple[np.ndarray, np.ndarray]:
    """Colour codes and cell texts of the heatmap, by pivoting the comparisons (no loop over rows)."""
    loc_key = comp["location"].astype("string").fillna("\x00")
    frame = comp.assign(_loc=loc_key, _ind=comp["indicator_id"].astype(str))
    frame = frame.drop_duplicates(["_ind", "_loc"])
    unit = frame.get("unit", pd.Series("", index=frame.index)).astype("string").fillna("")
    scale = np.where(unit.isin(["percent", "proportion"]), factor, 1.0)
    change = pd.to_numeric(frame["change"], errors="coerce").to_numpy(dtype=float) * scale
    supp = frame.get("suppressed", pd.Series(False, index=frame.index)).fillna(False).astype(bool).to_numpy()
    sig = frame.get("significant_fdr", pd.Series(False, index=frame.index)).fillna(False).astype(bool).to_numpy()
    words = frame["interpretation"].astype("string").fillna("suppressed")
    frame = frame.assign(
        _code=words.map({k: i for i, k in enumerate(HEAT_KEYS)}).fillna(HEAT_KEYS.index("suppressed")).astype(int),
        _text=[
            "—" if (s or np.isnan(c)) else fmt_number(c, 1, lang, signed=True) + ("*" if g else "")
            for c, s, g in zip(change, supp, sig, strict=True)
        ],
    )
    col_keys = [_key(loc) for loc in locs]
    codes = frame.pivot(index="_ind", columns="_loc", values="_code").reindex(index=inds, columns=col_keys)
    text = frame.pivot(index="_ind", columns="_loc", values="_text").reindex(index=inds, columns=col_keys)
    codes = codes.fillna(HEAT_KEYS.index("suppressed")).to_numpy(dtype=int).reshape(len(inds), len(locs))
    return codes, text.fillna("").to_numpy(dtype=object).reshape(len(inds), len(locs))


def _short(text: str, limit: int = 44) -> str:
    """Text cut to about ``limit`` characters; a final '(...)' (a category) is kept so rows stay distinct."""
    if len(text) <= limit:
        return text
    tail = text[text.rfind(" (") :] if text.endswith(")") and " (" in text else ""
    head = text[: max(limit - len(tail) - 1, 14)].rstrip() + "…"
    if len(head) + len(tail) > limit + 16:  # a long category label is cut too
        tail = tail[: max(limit + 16 - len(head) - 2, 4)].rstrip() + "…)"
    return head + tail




def figure_bytes(fig: Canvas | Any, fmt: str = "svg", *, dpi: int = 150) -> bytes:
    """The chart as SVG or PNG bytes (deterministic: same chart, same bytes).

    ``fig`` is a :class:`Canvas` (the report's charts) or a matplotlib ``Figure`` (the planning and
    small-area charts), saved with a fixed hash salt, text as text and no dates."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"chart format must be 'svg' or 'png', got {fmt!r}")
    if not isinstance(fig, Canvas):
        return _matplotlib_bytes(fig, fmt, dpi)
    return fig.svg() if fmt == "svg" else fig.png(scale=dpi / 75)


def _matplotlib_bytes(fig: Any, fmt: str, dpi: int) -> bytes:
    import io

    from matplotlib import rc_context

    buf = io.BytesIO()
    with rc_context({"svg.hashsalt": "survey_toolkit", "svg.fonttype": "none", "path.simplify": False}):
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        else:
            fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def build_charts(
    results: pd.DataFrame,
    comparisons: pd.DataFrame | None,
    *,
    meta: ReportMeta | None = None,
    lang: str = "en",
) -> dict[str, Canvas]:
    """The charts of a report by file stem: ``<id>_trend``, ``<id>_locations``, ``change_heatmap``.

    Only charts that show something are drawn (see :func:`chart_plan`): no charts for the single
    answer categories of a distribution (their numbers are in the tables), no trend chart when no
    estimate is published, no bar chart when no location (other than the total) is published in
    the latest round. Every chart uses the same colour per location (:func:`location_colours`).
    """
    meta = (meta or ReportMeta()).for_language(lang)
    results = prepare_results(results, meta.rules)
    order = rounds_of(results, meta)
    factor = percent_factor(results)
    figures: dict[str, Canvas] = {}
    plan = chart_plan(results, meta)
    heads = results[_headline_rows(results)]
    if "location" not in heads.columns:
        heads = heads.assign(location="All")
    colours = location_colours(meta, heads["location"])
    wanted = heads[heads["indicator_id"].astype(str).isin(plan)]
    by_ind = dict(list(wanted.groupby(wanted["indicator_id"].astype(str), sort=False)))
    labels = dict(zip(plan, _labels(wanted, meta, list(plan), lang), strict=True))
    for ind, kinds in plan.items():
        rows = by_ind[ind]
        stem = chart_stem(ind)
        scale = _scale(rows, factor)
        if "trend" in kinds:
            figures[f"{stem}_trend"] = _draw_trend(rows, order, scale, labels[ind], meta, lang, colours)
        if "locations" in kinds:
            figures[f"{stem}_locations"] = _draw_bars(rows, order[-1], scale, meta, lang, colours)
    if comparisons is not None and len(comparisons):
        kinds = set(comparisons["comparison"].astype(str))
        for kind, stem in (("previous", "change_heatmap"), ("baseline", "change_heatmap_baseline")):
            if kind in kinds:
                figures[stem] = change_heatmap(comparisons, comparison=kind, results=results, meta=meta, lang=lang)
    return figures


def chart_plan(results: pd.DataFrame, meta: ReportMeta | None = None) -> dict[str, tuple[str, ...]]:
    """Which charts each indicator gets: ``("trend", "locations")``, one of them, or none (left out).

    Rows of one answer category of a distribution (``category`` set) get no chart; ``trend`` needs
    one published estimate (headline rows, any location and round); ``locations`` needs a
    location other than the total published in the latest round.
    """
    meta = meta or ReportMeta()
    results = prepare_results(results, meta.rules)
    heads = results[_headline_rows(results)]
    if "category" in heads.columns:
        heads = heads[heads["category"].isna()]
    if "location" not in heads.columns:
        heads = heads.assign(location="All")
    order = rounds_of(results, meta)
    published = pd.to_numeric(heads["estimate"], errors="coerce").notna()
    ind = heads["indicator_id"].astype(str)
    any_pub = published.groupby(ind, sort=False).any()
    latest = published & (heads["round"].astype(str) == str(order[-1])) & ~_is_total(heads["location"], meta)
    n_locs = heads.loc[latest, "location"].astype("string").groupby(ind[latest]).nunique()
    plan: dict[str, tuple[str, ...]] = {}
    for name in indicator_ids(heads):
        kinds = ("trend",) if bool(any_pub.get(name, False)) else ()
        kinds += ("locations",) if int(n_locs.get(name, 0)) >= 1 else ()
        if kinds:
            plan[name] = kinds
    return plan


def save_charts(
    results: pd.DataFrame,
    comparisons: pd.DataFrame | None,
    out_dir: str | Path,
    *,
    meta: ReportMeta | None = None,
    lang: str = "en",
    formats: Sequence[str] = ("svg",),
    figures: Mapping[str, Canvas] | None = None,
    svgs: Mapping[str, bytes] | None = None,
) -> list[Path]:
    """Write every chart (trend and bars per indicator, the heatmap) as files for slides.

    Files are named ``<indicator_id>_trend.<fmt>``, ``<indicator_id>_locations.<fmt>`` and
    ``change_heatmap.<fmt>``; each write is atomic. ``figures`` / ``svgs`` (from
    :func:`build_charts` / :func:`figure_bytes`) avoid drawing twice. Returns the paths written.
    """
    if figures is None:
        figures = build_charts(results, comparisons, meta=meta, lang=lang)
    out = Path(out_dir)
    written = []
    for stem, fig in figures.items():
        for fmt in formats:
            data = svgs[stem] if (fmt == "svg" and svgs is not None and stem in svgs) else figure_bytes(fig, fmt)
            written.append(atomic_write_bytes(out / f"{stem}.{fmt}", data))
    return written


def chart_stem(name: str) -> str:
    """A file-name-safe stem for an indicator id."""
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return stem or "indicator"
