"""Location bars: one round's estimates by location with 95% CI whiskers."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ...i18n import is_rtl
from .._common import (
    ReportMeta,
    fmt_number,
    location_name,
    percent_factor,
    prepare_results,
    rounds_of,
    t,
)
from ..canvas import Canvas, text_width, wrap
from .axes import _nice_ticks, _title
from .rows import _axis_label, _indicator_rows, _is_percent, _model_based, _scale, _series
from .style import _AXIS, _GRID, TOTAL_COLOUR, WIDTH, _key, _locations, _total, location_colours


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
