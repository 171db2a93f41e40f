"""The small-area outputs: ``small_areas.csv``, ``small_areas.xlsx`` (estimates and models) and a chart
comparing direct and model-based intervals (``small_areas.svg``). Every row says it is model-based."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._common import atomic_write_bytes, atomic_write_with
from .charts import figure_bytes
from .tidy import write_csv

__all__ = ["write_small_areas", "shrinkage_chart"]

HEADERS = {
    "indicator_id": "Indicator", "label": "Indicator name", "round": "Round", "location": "Location",
    "n": "Respondents", "direct": "Direct estimate (survey)", "direct_se": "Direct standard error",
    "eblup": "Model-based estimate (EBLUP)", "rmse": "Root mean squared error", "ci_low": "Lower limit",
    "ci_high": "Upper limit", "gamma": "Weight of the direct estimate", "method": "Method",
}  # fmt: skip


def shrinkage_chart(estimates: pd.DataFrame) -> Figure:
    """For the first indicator of the latest round: the direct interval (grey) and the model-based
    interval (blue) of each location; the model narrows the intervals of the small locations."""
    if estimates.empty:
        return Figure(figsize=(6, 1))
    rnd = sorted(estimates["round"].astype(str))[-1]
    ind = estimates["indicator_id"].iloc[0]
    rows = estimates[(estimates["round"].astype(str) == rnd) & (estimates["indicator_id"] == ind)]
    fig = Figure(figsize=(7.5, 1.4 + 0.35 * len(rows)))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    direct_lo = rows["direct"] - 1.96 * rows["direct_se"]
    direct_hi = rows["direct"] + 1.96 * rows["direct_se"]
    ax.hlines(y + 0.15, direct_lo, direct_hi, color="#999999", linewidth=3, label="direct (survey), 95% interval")
    ax.plot(rows["direct"], y + 0.15, "o", color="#666666", markersize=4)
    ax.hlines(y - 0.15, rows["ci_low"], rows["ci_high"], color="#2166ac", linewidth=3, label="model-based (Fay-Herriot), 95% interval")
    ax.plot(rows["eblup"], y - 0.15, "o", color="#2166ac", markersize=4)
    ax.set_yticks(y, [f"{loc} (n={n})" for loc, n in zip(rows["location"], rows["n"], strict=True)])
    ax.set_title(f"{str(rows['label'].iloc[0])[:70]} - {rnd}", fontsize=9)
    ax.grid(axis="x", color="#dddddd")
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=2, fontsize=7, frameon=False)
    height = 1.4 + 0.35 * len(rows)
    fig.subplots_adjust(left=0.2, right=0.97, top=1 - 0.35 / height, bottom=0.55 / height)
    return fig


def _sheet(book, name: str, frame: pd.DataFrame, head) -> None:
    sheet = book.add_worksheet(name)
    sheet.freeze_panes(1, 0)
    for c, col in enumerate(frame.columns):
        sheet.write_string(0, c, str(col), head)
        sheet.set_column(c, c, 16)
    for r, row in enumerate(frame.itertuples(index=False), start=1):
        for c, value in enumerate(row):
            if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
                continue
            if isinstance(value, (bool, np.bool_)):
                sheet.write_string(r, c, "yes" if value else "no")
            elif isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, float(value))


def write_small_areas(estimates: pd.DataFrame, models: pd.DataFrame, out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [write_csv(out / "small_areas.csv", estimates)]

    def workbook(tmp: Path) -> None:
        import xlsxwriter

        options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
        with xlsxwriter.Workbook(str(tmp), options) as book:
            book.set_properties({"title": "Small-area estimates (model-based)",
                                 "created": pd.Timestamp("2000-01-01").to_pydatetime()})  # fmt: skip
            head = book.add_format({"bold": True, "text_wrap": True, "bg_color": "#eeeeee"})
            _sheet(book, "Estimates", estimates.rename(columns=HEADERS), head)
            _sheet(book, "Models", models, head)

    files.append(atomic_write_with(out / "small_areas.xlsx", workbook))
    files.append(atomic_write_bytes(out / "small_areas.svg", figure_bytes(shrinkage_chart(estimates), "svg")))
    return files
