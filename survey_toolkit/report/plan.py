"""The planning outputs: ``plan.csv``, a ``plan.xlsx`` workbook (table and chart) and ``plan.svg``.

The chart shows, for the headline indicators, the change the next round could detect in each
location at its current size, against the target change: a location whose dot sits right of the line
cannot detect the target without more interviews.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._common import atomic_write_bytes, atomic_write_with
from .charts import figure_bytes
from .tidy import write_csv

__all__ = ["write_plan", "plan_chart", "HEADERS"]

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
