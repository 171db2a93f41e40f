"""The change heatmap: indicator x location grid coloured by direction and significance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...i18n import is_rtl
from .._common import (
    ReportMeta,
    fmt_number,
    location_name,
    percent_factor,
    t,
)
from ..canvas import Canvas, text_width, wrap
from .rows import _headline_rows, _labels
from .style import CHANGE_COLOURS, HEAT_KEYS, WIDTH, _key, _locations, _total


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
