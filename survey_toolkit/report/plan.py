"""The planning outputs: ``plan.csv``, a ``plan.xlsx`` workbook (table and chart) and ``plan.svg``.

The chart shows, for the headline indicators, the change the next round could detect in each
location at its current size, against the target change: a location whose dot sits right of the line
cannot detect the target without more interviews.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..i18n import is_rtl
from ._common import atomic_write_bytes, atomic_write_with
from .charts import figure_bytes
from .tidy import write_csv

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["write_plan", "plan_chart", "plan_summary", "plan_canvas", "plan_section", "HEADERS"]

HEADERS = {
    "indicator_id": "Indicator",
    "label": "Indicator name",
    "round": "Planned from round",
    "location_level": "Level",
    "location": "Location",
    "location_name": "Location name",
    "unit": "Unit",
    "estimate": "Estimate",
    "se": "Standard error",
    "n": "Respondents",
    "deff": "Design effect",
    "n_eff": "Effective sample size",
    "mdc": "Detectable change at this size",
    "target_change": "Target change",
    "n_needed": "Respondents needed for the target",
    "n_extra": "Extra respondents needed",
    "flag": "Note",
}


def _headline(plan: pd.DataFrame, indicators: Sequence[str] | None, limit: int = 6) -> list[str]:
    ids = list(dict.fromkeys(plan["indicator_id"]))
    chosen = [i for i in (indicators or ()) if i in ids]
    if chosen:
        return chosen[:limit]
    percent = [i for i in ids if "[" not in i and plan.loc[plan["indicator_id"] == i, "unit"].eq("percent").any()]
    return sorted(percent, key=lambda i: (not i.startswith("sdg_"), ids.index(i)))[:limit]


def plan_chart(plan: pd.DataFrame, *, indicators: Sequence[str] | None = None, names: dict[str, str] | None = None) -> Figure:
    """Dot plot: one row per location, one marker per headline indicator, the target as a line."""
    from matplotlib.figure import Figure

    ids = _headline(plan, indicators)
    rows = plan[plan["indicator_id"].isin(ids) & plan["mdc"].notna()]
    locations = [v for v in dict.fromkeys(plan["location"]) if v in set(rows["location"])]
    legend_rows = (len(ids) + 2) // 2
    plot_h, legend_h = 0.32 * max(len(locations), 1) + 0.2, 0.45 + 0.18 * legend_rows
    height = plot_h + legend_h + 0.3
    fig = Figure(figsize=(7.5, height))
    ax = fig.add_subplot()
    y = {loc: i for i, loc in enumerate(reversed(locations))}
    markers = "os^Dvp"
    for k, ind in enumerate(ids):
        sub = rows[rows["indicator_id"] == ind]
        label = (names or {}).get(ind, ind)
        ax.scatter(sub["mdc"], [y[v] for v in sub["location"]], marker=markers[k % len(markers)], s=28,
                   label=label[:70], zorder=3)  # fmt: skip
    target = float(plan["target_change"].iloc[0]) if len(plan) else np.nan
    if np.isfinite(target):
        ax.axvline(target, color="#444444", linestyle="--", linewidth=1, label=f"target change ({target:g})")
    ax.set_yticks(list(y.values()), [str(v) for v in y])
    ax.set_xlabel("smallest change the next round can detect at its current size (points)")
    ax.grid(axis="x", color="#dddddd", zorder=0)
    fig.subplots_adjust(left=0.16, right=0.97, top=1 - 0.1 / height, bottom=legend_h / height)
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=2, fontsize=7, frameon=False)
    return fig


def _workbook(plan: pd.DataFrame, path: Path, chart_ids: list[str]) -> None:
    import xlsxwriter

    table = plan.rename(columns=HEADERS)
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with xlsxwriter.Workbook(str(path), options) as book:
        book.set_properties({"title": "Plan for the next round", "created": pd.Timestamp("2000-01-01").to_pydatetime()})
        head = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#eeeeee"})
        one = book.add_format({"num_format": "0.0"})
        whole = book.add_format({"num_format": "#,##0"})
        sheet = book.add_worksheet("Plan")
        sheet.freeze_panes(1, 0)
        for c, name in enumerate(table.columns):
            sheet.write_string(0, c, str(name), head)
            col = plan.columns[c]
            fmt = whole if col in ("n", "n_needed", "n_extra") else one if plan[col].dtype.kind == "f" else None
            sheet.set_column(c, c, 14 if col not in ("label", "location_name") else 40, fmt)
        for r, row in enumerate(table.itertuples(index=False), start=1):
            for c, value in enumerate(row):
                if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
                    continue
                if isinstance(value, str):
                    sheet.write_string(r, c, value)
                else:
                    sheet.write_number(r, c, float(value))
        sheet.autofilter(0, 0, len(table), len(table.columns) - 1)
        if chart_ids:
            first = chart_ids[0]
            idx = [i + 1 for i in np.flatnonzero((plan["indicator_id"] == first).to_numpy() & plan["mdc"].notna().to_numpy())]
            if idx:
                chart = book.add_chart({"type": "bar"})
                loc_col, mdc_col = plan.columns.get_loc("location"), plan.columns.get_loc("mdc")
                lo, hi = min(idx), max(idx)
                chart.add_series({"name": "Detectable change", "categories": ["Plan", lo, loc_col, hi, loc_col],
                                  "values": ["Plan", lo, mdc_col, hi, mdc_col]})  # fmt: skip
                chart.set_title({"name": f"{first}: detectable change by location"})
                chart.set_legend({"none": True})
                chart.set_x_axis({"name": "points"})
                book.add_worksheet("Chart").insert_chart("B2", chart, {"x_scale": 1.6, "y_scale": 1.8})


def write_plan(plan: pd.DataFrame, out_dir: str | Path, *, indicators: Sequence[str] | None = None,
               names: dict[str, str] | None = None) -> list[Path]:
    """Write ``plan.csv``, ``plan.xlsx`` and ``plan.svg`` into ``out_dir`` atomically; return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [write_csv(out / "plan.csv", plan)]
    ids = _headline(plan, indicators)
    files.append(atomic_write_with(out / "plan.xlsx", lambda tmp: _workbook(plan, tmp, ids)))
    files.append(atomic_write_bytes(out / "plan.svg", figure_bytes(plan_chart(plan, indicators=ids, names=names), "svg")))
    return files


# ------------------------------------------------------------------------------------- in the report


def plan_summary(plan: pd.DataFrame) -> pd.DataFrame:
    """One row per location of the plan (national first, in the plan's order): the largest base, and
    the median over the planned percentage indicators of the design effect, the detectable change,
    the respondents needed for the target and the extra respondents; ``lowest``/``highest``: the
    quartiles of the detectable change over the indicators (the middle half of them). Indicators whose detectable change is withheld are left out."""
    rows = plan[plan["unit"].eq("percent") & ~plan["indicator_id"].astype(str).str.contains("[", regex=False)]
    rows = rows[pd.to_numeric(rows["mdc"], errors="coerce").notna()]
    if rows.empty:
        return pd.DataFrame(columns=["location_level", "location", "n", "deff", "mdc", "lowest", "highest",
                                     "n_needed", "n_extra", "indicators"])  # fmt: skip
    numeric = rows.assign(**{c: pd.to_numeric(rows[c], errors="coerce").astype(float)
                             for c in ("n", "deff", "mdc", "n_needed", "n_extra")})  # fmt: skip
    by = numeric.groupby(["location_level", "location"], sort=False)
    out = by.agg(n=("n", "max"), deff=("deff", "median"), mdc=("mdc", "median"), n_needed=("n_needed", "median"),
                 n_extra=("n_extra", "median"), indicators=("indicator_id", "nunique")).reset_index()  # fmt: skip
    out.insert(5, "lowest", by["mdc"].quantile(0.25).to_numpy())
    out.insert(6, "highest", by["mdc"].quantile(0.75).to_numpy())
    out["n_needed"] = np.ceil(out["n_needed"])
    out["n_extra"] = np.ceil(out["n_extra"])
    out.attrs["target_change"] = float(rows["target_change"].iloc[0])
    return out


def plan_canvas(summary: pd.DataFrame, meta, lang: str):
    """Bars of the median detectable change per location (location colours of the report), whiskers
    over the middle half of the indicators (quartiles), and the target as a dashed line."""
    from ._common import fmt_number, location_name, t
    from .canvas import Canvas, text_width, wrap
    from .charts import TOTAL_COLOUR, WIDTH, _nice_ticks, _title, location_colours

    target = float(summary.attrs.get("target_change", np.nan))
    title = t(lang, "plan_chart", target=fmt_number(target, 0 if float(target).is_integer() else 1, lang))
    c = Canvas(WIDTH, 0, title=title, rtl=is_rtl(lang))
    top = _title(c, title) + 12
    colours = location_colours(meta, summary["location"])
    names = [location_name(meta, loc, lang) for loc in summary["location"]]
    label_w = min(max((text_width(n, 10) for n in names), default=40) + 14, 230)
    x0, w = label_w + 8, WIDTH - label_w - 60
    upper = float(np.nanmax([summary["highest"].max(), target, 1.0])) * 1.05
    ticks = [v for v in _nice_ticks(0.0, upper) if v >= 0]
    span = max(ticks[-1], upper)

    def px(v: float) -> float:
        return x0 + max(v, 0.0) / span * w

    bar_h, gap = 12.0, 7.0
    plot_h = len(summary) * (bar_h + gap)
    for v in ticks:
        c.line(px(v), top, px(v), top + plot_h, stroke="#e3e5e8")
        c.text(px(v), top + plot_h + 13, fmt_number(v, 0, lang), size=9, anchor="middle", fill="#5f6368")
    c.text(x0 + w, top + plot_h + 26, t(lang, "plan_axis"), size=9, anchor="end", fill="#5f6368")
    for k, rec in enumerate(summary.itertuples(index=False)):  # one bar per location: layout, not data
        y = top + k * (bar_h + gap) + gap / 2
        total = rec.location_level == "national"
        c.text(x0 - 8, y + bar_h - 2, wrap(names[k], label_w - 10, 10, 1)[0], size=10, anchor="end", bold=total)
        colour = TOTAL_COLOUR if total else colours.get(str(rec.location), TOTAL_COLOUR)
        c.rect(x0, y, px(rec.mdc) - x0, bar_h, fill=colour, opacity=0.85)
        mid = y + bar_h / 2
        c.line(px(rec.lowest), mid, px(rec.highest), mid, stroke="#000000", width=1.0)
        c.text(max(px(rec.highest), px(rec.mdc)) + 5, y + bar_h - 2, fmt_number(rec.mdc, 1, lang), size=9, fill="#333333")
    if np.isfinite(target):
        c.line(px(target), top - 4, px(target), top + plot_h, stroke="#d73027", width=1.5, dash=True)
    c.height = top + plot_h + 34
    return c


def plan_section(plan: pd.DataFrame | None, meta, lang: str) -> dict | None:
    """The report's planning section: a note, the chart (SVG data URI) and the per-location table."""
    import base64

    from ._common import fmt_number, location_name, round_name, t

    if plan is None or plan.empty:
        return None
    summary = plan_summary(plan)
    if summary.empty:
        return None
    attrs = plan.attrs
    target = summary.attrs["target_change"]
    note = t(lang, "plan_note", round=round_name(meta, attrs.get("round", plan["round"].iloc[0])),
             target=fmt_number(target, 0 if float(target).is_integer() else 1, lang),
             alpha=fmt_number(attrs.get("alpha", 0.05), 2, lang), power=fmt_number(100 * attrs.get("power", 0.8), 0, lang))  # fmt: skip
    svg = plan_canvas(summary, meta, lang).svg()
    headers = [t(lang, k) for k in ("location", "plan_n", "plan_deff", "plan_mdc", "plan_range", "plan_needed",
                                    "plan_extra")]  # fmt: skip
    body = []
    for rec in summary.itertuples(index=False):
        reached = rec.mdc <= target
        cells = [location_name(meta, rec.location, lang), fmt_number(rec.n, 0, lang), fmt_number(rec.deff, 2, lang),
                 fmt_number(rec.mdc, 1, lang), f"{fmt_number(rec.lowest, 1, lang)}–{fmt_number(rec.highest, 1, lang)}",
                 fmt_number(rec.n_needed, 0, lang), fmt_number(max(rec.n_extra, 0), 0, lang)]  # fmt: skip
        body.append({"cls": "total" if rec.location_level == "national" else "",
                     "cells": [{"text": v, "cls": ("ok" if reached else "short") if i == 3 else ""}
                               for i, v in enumerate(cells)]})  # fmt: skip
    return {"title": t(lang, "plan_title"), "note": note, "img": "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"),
            "alt": t(lang, "plan_chart", target=fmt_number(target, 0, lang)), "table": {"headers": headers, "rows": body, "cls": "plan"},
            "footnote": t(lang, "plan_footnote")}  # fmt: skip
