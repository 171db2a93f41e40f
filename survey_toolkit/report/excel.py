"""The Excel workbook an M&E officer would build: index, summary, wide analysis table, tidy data.

Sheets (names, headers and codes in the workbook's language):

- **Index**: the title, the rounds, and one line per sheet with a hyperlink and what it holds, then
  one line per indicator linking to its row of the analysis table.
- **Summary**: one row per indicator: the latest overall estimate with its CI and n (the header
  names the round), the change since the previous round and since the baseline (each header names
  the round it is against), the q-value and the plain-language interpretation.
- **Analysis**: the wide table analysts exchange: one row per indicator, and for every location x
  round (then every group of the latest round, overall) four columns: estimate, CI low, CI high, n.
- **Charts**: one native bar chart per indicator, the latest round by location, each location in its
  colour of the HTML report's charts, the numbers beside it.
- **Data**: the same numbers long and tidy, one row per indicator x round x location x group, with
  labels (not codes), SE, effective n and the publication status in words.
- **Changes**: every comparison with its change, CI, p- and q-values, and why it is not published.
- **Notes**: reporting rules, what each reason means, the design, the definitions.

Disclosure: the table goes through the reporting rules first (unless it already has). A suppressed
estimate is never a blank cell: it reads ``—`` with a cell note giving the reason (Analysis), or the
reason is spelled out in the Status column (Data, Summary, Changes). Counts are integers.

Written with xlsxwriter, atomically, deterministically (fixed creation date :data:`FIXED_CREATED`).
Every text cell is written with ``write_string`` (never a formula); text starting with ``= + - @``
(or tab / CR) gets Excel's quote prefix.
"""

from __future__ import annotations

import math
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from ..comparison import compare_rounds
from ..disclosure import group_columns_of
from ..i18n import is_rtl
from ._common import (
    ReportMeta,
    atomic_path,
    change_reason_text,
    digits_for,
    group_name,
    group_value,
    indicator_ids,
    indicator_texts,
    is_formula_like,
    is_missing,
    location_name,
    percent_factor,
    prepare_results,
    reason_text,
    round_name,
    rounds_of,
    suppression_text,
    t,
    unit_name,
)
from .charts import _headline_rows, location_colours, ordered_locations

__all__ = ["write_excel", "FIXED_CREATED", "sheet_name"]

FIXED_CREATED = datetime(2000, 1, 1)
"""Creation date stored in every workbook, so that two runs give identical bytes."""

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")

def _h(lang: str, key: str, **kw: Any) -> str:
    """A workbook header or word in ``lang`` (``excel:<key>`` in :mod:`~survey_toolkit.report.texts`)."""
    return t(lang, f"excel:{key}", **kw)


def sheet_name(text: str, taken: set[str]) -> str:
    """A valid, unique (case-insensitive) sheet name of at most 31 characters."""
    base = _BAD_SHEET_CHARS.sub("_", str(text)).strip() or "Sheet"
    base = base[:31]
    name, i = base, 2
    while name.lower() in taken:
        suffix = f"~{i}"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    taken.add(name.lower())
    return name


class _Writer:
    """Cell writing with the formats of one workbook; text is always a string, never a formula."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.wb = wb
        self.fmt = {
            "header": wb.add_format(
                {"bold": True, "bg_color": "#F3F5F7", "bottom": 1, "text_wrap": True, "valign": "top"}
            ),
            "group": wb.add_format({"bold": True, "bg_color": "#DCE6F0", "text_wrap": True, "valign": "top"}),
            "title": wb.add_format({"bold": True, "font_size": 14, "font_color": "#1F4E79"}),
            "text": wb.add_format({}),
            "bold": wb.add_format({"bold": True}),
            "link": wb.add_format({"font_color": "#1F4E79", "underline": 1}),
            "quoted": wb.add_format({"quote_prefix": True}),
            "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
            "muted": wb.add_format({"font_color": "#5F6368", "align": "right"}),
            "int": wb.add_format({"num_format": "0"}),
            "d1": wb.add_format({"num_format": "0.0"}),
            "d2": wb.add_format({"num_format": "0.00"}),
            "d4": wb.add_format({"num_format": "0.0000"}),
            "pct": wb.add_format({"num_format": "0.0%"}),
        }

    def text(self, ws: Any, row: int, col: int, value: Any, fmt: str | None = None) -> None:
        """One text cell (:meth:`text_column` of one value)."""
        self.text_column(ws, row, col, (value,), fmt)

    def number(self, ws: Any, row: int, col: int, value: Any, fmt: str) -> None:
        """One number cell (:meth:`number_column` of one value)."""
        self.number_column(ws, row, col, (value,), fmt)

    def text_column(self, ws: Any, first: int, col: int, values: Any, fmt: str | None = None) -> None:
        """``values`` down column ``col`` from row ``first``: always a string, never a formula (text a
        spreadsheet would read as one gets a quote prefix); missing values blank. One loop with the
        formats looked up once: the long sheets have tens of thousands of cells."""
        write, style, quoted = ws.write_string, self.fmt[fmt or "text"], self.fmt["quoted"]
        for row, value in enumerate(values, start=first):
            value = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
            write(row, col, value, quoted if is_formula_like(value) else style)

    def number_column(self, ws: Any, first: int, col: int, values: Any, fmts: Any) -> None:
        """Numbers down column ``col`` from row ``first``; ``fmts`` is one format name for all or one per
        value. A missing number reads '—' (never a blank that could pass for zero), an infinite one '∞'."""
        fmts = [fmts] * len(values) if isinstance(fmts, str) else fmts
        muted = self.fmt["muted"]
        for row, (value, fmt) in enumerate(zip(values, fmts, strict=True), start=first):
            if value is None or not math.isfinite(value):
                ws.write_string(row, col, "—" if value is None or math.isnan(value) else "∞", muted)
            else:
                ws.write_number(row, col, value, self.fmt[fmt])

    def header(self, ws: Any, row: int, headers: list[str], widths: list[float], freeze_cols: int = 0) -> None:
        for col, (head, width) in enumerate(zip(headers, widths, strict=True)):
            self.text(ws, row, col, head, "header")
            ws.set_column(col, col, width)
        ws.freeze_panes(row + 1, freeze_cols)


def write_excel(
    path: str | os.PathLike[str],
    results: pd.DataFrame,
    comparisons: pd.DataFrame | None = None,
    *,
    meta: ReportMeta | None = None,
    lang: str = "en",
) -> Path:
    """Write the workbook to ``path`` atomically; return the path (sheets: see the module doc)."""
    meta = (meta or ReportMeta()).for_language(lang)
    results = prepare_results(results, meta.rules)
    if comparisons is None:
        comparisons = compare_rounds(results, rounds=meta.rounds, alpha=meta.alpha, fdr=meta.fdr)
    data = _Data(results, meta, lang)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"in_memory": True, "nan_inf_to_errors": False, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})  # fmt: skip
        wb.set_properties({"title": meta.title.get(lang) or t(lang, "report_title"), "author": "survey_toolkit",
                           "created": FIXED_CREATED, "comments": "Generated by survey_toolkit"})  # fmt: skip
        w = _Writer(wb)
        taken: set[str] = set()
        names = {k: sheet_name(_h(lang, k), taken) for k in ("index", "summary", "analysis", "charts", "data",
                                                             "changes", "notes")}  # fmt: skip
        if meta.plan is not None and len(meta.plan):
            names["plan"] = sheet_name(_h(lang, "plan"), taken)
        sheets = {k: wb.add_worksheet(v) for k, v in names.items()}
        if is_rtl(lang):  # Arabic, Persian...: sheets read from the right, column A on the right
            for sheet in sheets.values():
                sheet.right_to_left()
        rows = _analysis_sheet(w, sheets["analysis"], data, meta, lang)
        _index_sheet(w, sheets["index"], data, meta, lang, names, rows)
        _summary_sheet(w, sheets["summary"], data, comparisons, meta, lang)
        _charts_sheet(w, wb, sheets["charts"], data, meta, lang)
        _data_sheet(w, sheets["data"], data, lang)
        _changes_sheet(w, sheets["changes"], data, comparisons, meta, lang)
        _notes_sheet(w, sheets["notes"], results, meta, lang)
        if "plan" in sheets:
            _plan_sheet(w, sheets["plan"], meta.plan, meta, lang)
        wb.close()
    return Path(path)


class _Data:
    """The results prepared once for every sheet: labels, scaled numbers, status text, keys."""

    def __init__(self, results: pd.DataFrame, meta: ReportMeta, lang: str, order: list[str] | None = None) -> None:
        self.order = order if order is not None else rounds_of(results, meta)
        rounds = pd.unique(results["round"].astype(str)) if "round" in results.columns else []
        self.round_names = {str(r): round_name(meta, r) for r in (*self.order, *rounds)}
        self.factor = percent_factor(results)
        self.inds = indicator_ids(results)
        self.texts = indicator_texts(results, meta, lang)
        self.groups = [g for g in group_columns_of(results) if g != "location"]
        frame = results
        unit = frame["unit"].astype("string").fillna("") if "unit" in frame.columns else pd.Series("", index=frame.index)
        self.scale = np.where(unit.isin(["percent", "proportion"]), self.factor, 1.0)
        self.unit = unit
        self.digits = unit.map(digits_for).to_numpy()
        loc = frame["location"] if "location" in frame.columns else pd.Series(meta.rules.total_label, index=frame.index)
        self.loc_key = loc.astype("string").fillna("\x00")
        self.head = _headline_rows(frame)
        self.frame = frame
        names = {k: location_name(meta, None if k == "\x00" else k, lang) for k in pd.unique(self.loc_key)}
        self.loc_name = self.loc_key.map(names)
        self.locations = ordered_locations(list(pd.unique(self.loc_key)), meta)
        self.location_names = names
        self.breakdown, self.group_text = self._groups(meta, lang)
        self.status = self._status(lang, meta)

    def col(self, name: str, scaled: bool = False) -> np.ndarray:
        if name not in self.frame.columns:
            return np.full(len(self.frame), np.nan)
        values = pd.to_numeric(self.frame[name], errors="coerce").to_numpy(dtype=float)
        return values * self.scale if scaled else values

    def _groups(self, meta: ReportMeta, lang: str) -> tuple[pd.Series, pd.Series]:
        name = pd.Series("", index=self.frame.index, dtype=object)
        value = pd.Series("", index=self.frame.index, dtype=object)
        for g in self.groups:
            col = self.frame[g]
            has = col.notna() & (col.astype("string") != "All").fillna(False).astype(bool)
            if not has.any():
                continue
            labels = {v: group_value(meta, g, v, lang) for v in pd.unique(col[has])}
            sep = np.where(name[has] == "", "", " × ")
            name[has] = name[has] + sep + group_name(meta, g, lang)
            value[has] = value[has] + sep + col[has].map(labels).astype(str)
        return name, value

    def _status(self, lang: str, meta: ReportMeta) -> pd.Series:
        frame = self.frame
        supp = frame["suppressed"].fillna(False).astype(bool) if "suppressed" in frame.columns else None
        caution = frame["caution"].fillna(False).astype(bool) if "caution" in frame.columns else None
        out = pd.Series(_h(lang, "published"), index=frame.index, dtype=object)
        if caution is not None and caution.any():
            flags = frame.loc[caution, "caution_reasons"].astype("string").fillna("")
            out[caution] = flags.map({f: f"{_h(lang, 'caution')}: {reason_text(lang, f)}" for f in pd.unique(flags)})
        if supp is not None and supp.any():
            why = frame.loc[supp, "suppression_reason"].astype("string").fillna("")
            if "protects" in frame.columns:  # a secondary cell names the withheld cell it protects
                why = why + "\x1f" + frame.loc[supp, "protects"].astype("string").fillna("")
            texts = {r: suppression_text(lang, *(r.split("\x1f") + [""])[:2], meta, self.texts) for r in pd.unique(why)}
            out[supp] = why.map({r: f"{_h(lang, 'suppressed')}: {text}" for r, text in texts.items()})
        return out


def _est_fmt(digits: int) -> str:
    return "d1" if digits == 1 else "d2"


def _none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _index_sheet(w: _Writer, ws: Any, data: _Data, meta: ReportMeta, lang: str, names: dict[str, str],
                 rows: dict[str, int]) -> None:  # fmt: skip
    w.text(ws, 0, 0, meta.title.get(lang) or t(lang, "report_title"), "title")
    w.text(ws, 1, 0, " · ".join(round_name(meta, r) for r in data.order))
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 90)
    w.text(ws, 3, 0, _h(lang, "sheet"), "header")
    w.text(ws, 3, 1, _h(lang, "contents"), "header")
    r = 4
    for key in ("summary", "analysis", "charts", "data", "changes", "notes", *(("plan",) if "plan" in names else ())):
        ws.write_url(r, 0, f"internal:'{names[key]}'!A1", w.fmt["link"], string=names[key])
        w.text(ws, r, 1, _h(lang, f"index_{key}"))
        r += 1
    r += 1
    w.text(ws, r, 0, _h(lang, "indicators"), "header")
    w.text(ws, r, 1, _h(lang, "indicator"), "header")
    for ind in data.inds:
        r += 1
        ws.write_url(r, 0, f"internal:'{names['analysis']}'!A{rows[ind] + 1}", w.fmt["link"],
                     string=names["analysis"])  # fmt: skip
        w.text(ws, r, 1, data.texts[ind][0])


def _summary_sheet(w: _Writer, ws: Any, data: _Data, comp: pd.DataFrame, meta: ReportMeta, lang: str) -> None:
    w.text(ws, 0, 0, meta.title.get(lang) or t(lang, "report_title"), "title")
    w.text(ws, 1, 0, " · ".join(round_name(meta, r) for r in data.order))
    latest = data.order[-1]
    kinds = []
    for kind in ("previous", "baseline"):
        part = comp[comp["comparison"] == kind] if len(comp) else comp
        if len(part):
            kinds.append((kind, str(part["round_from"].iloc[0]), _overall_lookup(part, meta)))
    headers = [_h(lang, "indicator"), _h(lang, "unit"), _h(lang, "estimate_in", round=round_name(meta, latest)),
               _h(lang, "ci_low"), _h(lang, "ci_high"), _h(lang, "n"), _h(lang, "status")]  # fmt: skip
    widths = [56, 14, 14, 9, 9, 11, 30]
    for _, r_from, _ in kinds:
        headers += [_h(lang, "change_since", round=round_name(meta, r_from)),
                    _h(lang, "q_since", round=round_name(meta, r_from)), _h(lang, "interpretation")]  # fmt: skip
        widths += [14, 14, 22]
    w.header(ws, 3, headers, widths, freeze_cols=1)
    frame = data.frame
    mask = data.head & (frame["round"].astype(str) == latest) & data.loc_key.isin(["\x00", meta.rules.total_label])
    first = {}
    for i in np.flatnonzero(mask.to_numpy()):
        first.setdefault(str(frame["indicator_id"].iat[i]), i)
    est, lo, hi, n = data.col("estimate", True), data.col("ci_low", True), data.col("ci_high", True), data.col("n")
    for k, ind in enumerate(data.inds):
        r = 4 + k
        w.text(ws, r, 0, data.texts[ind][0], "wrap")
        i = first.get(ind)
        if i is None:
            for c in range(1, 7):
                w.text(ws, r, c, "—", "muted")
        else:
            fmt = _est_fmt(int(data.digits[i]))
            w.text(ws, r, 1, unit_name(data.unit.iat[i], lang))
            w.number(ws, r, 2, _none(est[i]), fmt)
            w.number(ws, r, 3, _none(lo[i]), fmt)
            w.number(ws, r, 4, _none(hi[i]), fmt)
            w.number(ws, r, 5, _none(n[i]), "int")
            w.text(ws, r, 6, data.status.iat[i])
        for j, (_, _, lookup) in enumerate(kinds):
            c = 7 + 3 * j
            row = lookup.get(ind)
            if row is None:
                for m in range(3):
                    w.text(ws, r, c + m, "—", "muted")
                continue
            scale = data.factor if str(row.get("unit", "")) in ("percent", "proportion") else 1.0
            change = row.get("change")
            w.number(ws, r, c, None if is_missing(change) else float(change) * scale, _est_fmt(digits_for(row.get("unit"))))
            q = row.get("q_value")
            w.number(ws, r, c + 1, None if is_missing(q) else float(q), "d4")
            word = t(lang, str(row["interpretation"])) if not row.get("suppressed") else _h(lang, "suppressed")
            w.text(ws, r, c + 2, word)
            if row.get("suppressed"):
                ws.write_comment(r, c, change_reason_text(lang, row.get("suppression_reason"), meta),
                                 {"author": "survey_toolkit", "x_scale": 2})  # fmt: skip


def _overall_lookup(comp: pd.DataFrame, meta: ReportMeta) -> dict[str, dict]:
    head = comp[_headline_rows(comp)]
    if "location" in head.columns:
        loc = head["location"]
        head = head[loc.isna() | (loc.astype("string") == meta.rules.total_label).fillna(False).astype(bool)]
    cols = [c for c in ("indicator_id", "change", "q_value", "unit", "interpretation", "suppressed",
                        "suppression_reason") if c in head.columns]  # fmt: skip
    out: dict[str, dict] = {}
    for rec in head[cols].to_dict("records"):
        out.setdefault(str(rec["indicator_id"]), rec)
    return out


_MEASURES = ("estimate", "ci_low", "ci_high", "n")


def _analysis_sheet(w: _Writer, ws: Any, data: _Data, meta: ReportMeta, lang: str) -> dict[str, int]:
    """The wide table; returns the sheet row (0-based) of each indicator, for the index's links."""
    frame = data.frame
    rounds = frame["round"].astype(str)
    head = data.head.to_numpy()
    # column blocks: every location x round (headline rows), then every group x round (overall, latest)
    blocks: list[tuple[str, str, tuple]] = []
    for loc in data.locations:
        for r in data.order:
            blocks.append((data.location_names[loc], round_name(meta, r), ("loc", loc, r)))
    is_overall = data.loc_key.isin(["\x00", meta.rules.total_label]).to_numpy()
    latest = (rounds == data.order[-1]).to_numpy()
    grouped = ~head & is_overall & latest
    group_keys = list(dict.fromkeys(zip(data.breakdown[grouped], data.group_text[grouped], strict=True)))
    for name, value in group_keys:
        blocks.append((f"{name}: {value}", round_name(meta, data.order[-1]), ("grp", name, value)))
    position = {b[2]: k for k, b in enumerate(blocks)}
    ind_row = {ind: k for k, ind in enumerate(data.inds)}
    keys = [("loc", lk, r) if h else (("grp", b, v) if g else None)
            for lk, r, h, g, b, v in zip(data.loc_key, rounds, head, grouped, data.breakdown, data.group_text,
                                         strict=True)]  # fmt: skip
    headers = [_h(lang, "indicator"), _h(lang, "unit")]
    w.text(ws, 0, 0, meta.title.get(lang) or t(lang, "report_title"), "title")
    top, sub = 2, 3
    w.text(ws, top, 0, "", "header")
    w.text(ws, top, 1, "", "header")
    ws.set_column(0, 0, 50)
    ws.set_column(1, 1, 10)
    for k, (first, second, _) in enumerate(blocks):
        c = 2 + 4 * k
        ws.merge_range(top, c, top, c + 3, "", w.fmt["group"])
        w.text(ws, top, c, f"{first} — {second}", "group")
        for m, key in enumerate(_MEASURES):
            w.text(ws, sub, c + m, _h(lang, key), "header")
    for c, text in enumerate(headers):
        w.text(ws, sub, c, text, "header")
    ws.set_column(2, 1 + 4 * len(blocks), 9)
    ws.freeze_panes(sub + 1, 2)
    first_row = sub + 1
    for ind in data.inds:
        r = first_row + ind_row[ind]
        w.text(ws, r, 0, data.texts[ind][0], "wrap")
    est, lo, hi, n = data.col("estimate", True), data.col("ci_low", True), data.col("ci_high", True), data.col("n")
    inds = frame["indicator_id"].astype(str).to_numpy()
    seen_unit: set[str] = set()
    supp = frame["suppressed"].fillna(False).astype(bool).to_numpy() if "suppressed" in frame.columns else None
    for i, key in enumerate(keys):
        if key is None or key not in position:
            continue
        r = first_row + ind_row[inds[i]]
        c = 2 + 4 * position[key]
        if inds[i] not in seen_unit:
            seen_unit.add(inds[i])
            w.text(ws, r, 1, unit_name(data.unit.iat[i], lang))
        fmt = _est_fmt(int(data.digits[i]))
        if supp is not None and supp[i]:
            w.text(ws, r, c, "—", "muted")
            ws.write_comment(r, c, data.status.iat[i], {"author": "survey_toolkit", "x_scale": 2})
            w.text(ws, r, c + 1, "—", "muted")
            w.text(ws, r, c + 2, "—", "muted")
        else:
            w.number(ws, r, c, _none(est[i]), fmt)
            w.number(ws, r, c + 1, _none(lo[i]), fmt)
            w.number(ws, r, c + 2, _none(hi[i]), fmt)
        w.number(ws, r, c + 3, _none(n[i]), "int")
    ws.autofilter(sub, 0, sub + len(data.inds), 1 + 4 * len(blocks))
    return {ind: first_row + ind_row[ind] for ind in data.inds}


_CHART_ROWS = 18
"""Sheet rows of one indicator's block on the charts sheet (its little table, its chart beside it)."""


def _charts_sheet(w: _Writer, wb: Any, ws: Any, data: _Data, meta: ReportMeta, lang: str) -> None:
    """One native bar chart per indicator (not per answer category): the latest round by location,
    each bar in the location's colour of the HTML report's charts (:func:`.charts.location_colours`,
    fixed from the project's location list). The numbers sit beside each chart; a suppressed estimate
    is a blank cell (no bar), its status in words."""
    frame = data.frame
    latest = data.order[-1]
    w.text(ws, 0, 0, meta.title.get(lang) or t(lang, "report_title"), "title")
    w.text(ws, 1, 0, _h(lang, "index_charts") + " — " + round_name(meta, latest))
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 10)
    ws.set_column(2, 2, 30)
    category = frame["category"] if "category" in frame.columns else pd.Series(pd.NA, index=frame.index)
    pick = (data.head & (frame["round"].astype(str) == latest) & category.isna()).to_numpy()
    rows = pd.DataFrame({"ind": frame["indicator_id"].astype(str).to_numpy(), "loc": data.loc_key.to_numpy(),
                         "est": data.col("estimate", True), "status": data.status.to_numpy(),
                         "digits": data.digits,
                         "supp": frame["suppressed"].fillna(False).astype(bool).to_numpy() if "suppressed" in frame.columns
                         else np.zeros(len(frame), dtype=bool)})[pick]  # fmt: skip
    rows = rows.drop_duplicates(["ind", "loc"])
    colours = location_colours(meta, list(data.locations))
    rank = {loc: k for k, loc in enumerate(data.locations)}
    sheet = ws.get_name()
    top = 3
    for ind, part in rows.groupby("ind", sort=False):
        part = part.assign(_rank=part["loc"].map(rank)).sort_values("_rank", kind="stable")
        n = len(part)
        w.text(ws, top, 0, data.texts.get(str(ind), (str(ind), ""))[0], "bold")
        w.text(ws, top + 1, 0, _h(lang, "location"), "header")
        w.text(ws, top + 1, 1, _h(lang, "estimate"), "header")
        w.text(ws, top + 1, 2, _h(lang, "status"), "header")
        for k, rec in enumerate(part.itertuples(index=False)):
            r = top + 2 + k
            w.text(ws, r, 0, data.location_names.get(rec.loc, rec.loc))
            if not rec.supp and math.isfinite(rec.est):
                ws.write_number(r, 1, rec.est, w.fmt[_est_fmt(int(rec.digits))])
            else:
                ws.write_blank(r, 1, None)  # no bar, never a zero
            w.text(ws, r, 2, rec.status)
        chart = wb.add_chart({"type": "bar"})
        first, last = top + 2, top + 1 + n
        chart.add_series({
            "name": data.texts.get(str(ind), (str(ind), ""))[0],
            "categories": [sheet, first, 0, last, 0],
            "values": [sheet, first, 1, last, 1],
            "points": [{"fill": {"color": colours.get(loc, "#7f7f7f")}, "border": {"none": True}} for loc in part["loc"]],
            "gap": 40,
        })  # fmt: skip
        chart.set_title({"name": data.texts.get(str(ind), (str(ind), ""))[0], "name_font": {"size": 10, "bold": True}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})  # the category axis of a bar chart: first location on top
        chart.set_size({"width": 520, "height": max(220, 28 * n + 90)})
        ws.insert_chart(top, 4, chart, {"x_offset": 4, "y_offset": 2})
        top += max(_CHART_ROWS, n + 4, math.ceil((28 * n + 90) / 20) + 2)


def _data_sheet(w: _Writer, ws: Any, data: _Data, lang: str) -> None:
    keys = ("indicator", "id", "unit", "round", "level", "location", "breakdown", "group", "estimate", "ci_low",
            "ci_high", "se", "n", "n_eff", "dk_share", "status")  # fmt: skip
    w.header(ws, 0, [_h(lang, k) for k in keys], [50, 24, 10, 18, 10, 26, 18, 18, 10, 9, 9, 10, 11, 11, 12, 60], 1)
    frame = data.frame
    rank = {r: i for i, r in enumerate(data.order)}
    order = np.lexsort((frame["round"].astype(str).map(rank).fillna(len(rank)).to_numpy(),
                        frame["indicator_id"].astype(str).map({k: i for i, k in enumerate(data.inds)}).to_numpy()))  # fmt: skip
    labels = frame["indicator_id"].astype(str).map({k: v[0] for k, v in data.texts.items()}).to_numpy()
    ids = frame["indicator_id"].astype(str).to_numpy()
    units = data.unit.map(lambda u: unit_name(u, lang) if u else "").to_numpy()
    round_text = frame["round"].astype(str).map(data.round_names).to_numpy()
    level = (frame["location_level"].astype("string").fillna("").map(lambda v: _h(lang, v) if v in
             ("national", "admin1", "admin2") else v).to_numpy() if "location_level" in frame.columns
             else np.full(len(frame), ""))  # fmt: skip
    cols = [data.col("estimate", True), data.col("ci_low", True), data.col("ci_high", True), data.col("se", True),
            data.col("n"), data.col("n_eff"), data.col("dk_share")]  # fmt: skip
    texts = [labels, ids, units, round_text, level, data.loc_name.to_numpy(), data.breakdown.to_numpy(),
             data.group_text.to_numpy()]  # fmt: skip
    for c, values in enumerate(texts):
        w.text_column(ws, 1, c, values[order].tolist())
    est = ["d1" if d == 1 else "d2" for d in data.digits[order].tolist()]
    for c, (values, f) in enumerate(zip(cols, (est, est, est, "d2", "int", "int", "pct"), strict=True), start=8):
        w.number_column(ws, 1, c, values[order].tolist(), f)
    w.text_column(ws, 1, 15, data.status.to_numpy()[order].tolist())
    ws.autofilter(0, 0, len(order), len(keys) - 1)


def _changes_sheet(w: _Writer, ws: Any, data: _Data, comp: pd.DataFrame, meta: ReportMeta, lang: str) -> None:
    keys = ("indicator", "location", "breakdown", "group", "comparison", "from", "to", "change", "ci_low", "ci_high",
            "p_value", "q_value", "significant", "interpretation", "status")  # fmt: skip
    w.header(ws, 0, [_h(lang, k) for k in keys], [50, 24, 16, 16, 22, 18, 18, 10, 9, 9, 9, 11, 11, 24, 50], 1)
    if not len(comp):
        return
    sub = _Data(comp.rename(columns={"round_to": "round"}), meta, lang, order=data.order)
    recs = comp[[c for c in ("indicator_id", "comparison", "round_from", "round_to", "change", "ci_low", "ci_high",
                             "p_value", "q_value", "significant_fdr", "interpretation", "suppressed",
                             "suppression_reason", "unit") if c in comp.columns]].to_dict("records")  # fmt: skip
    units = [str(rec.get("unit", "")) for rec in recs]
    scale = [data.factor if u in ("percent", "proportion") else 1.0 for u in units]
    suppressed = [bool(rec.get("suppressed")) for rec in recs]
    w.text_column(ws, 1, 0, [data.texts.get(str(rec["indicator_id"]), (str(rec["indicator_id"]), ""))[0] for rec in recs])
    w.text_column(ws, 1, 1, sub.loc_name.tolist())
    w.text_column(ws, 1, 2, sub.breakdown.tolist())
    w.text_column(ws, 1, 3, sub.group_text.tolist())
    w.text_column(ws, 1, 4, [_h(lang, str(rec["comparison"])) if rec["comparison"] in ("previous", "baseline") else ""
                             for rec in recs])  # fmt: skip
    w.text_column(ws, 1, 5, [round_name(meta, rec["round_from"]) for rec in recs])
    w.text_column(ws, 1, 6, [round_name(meta, rec["round_to"]) for rec in recs])
    est = [_est_fmt(digits_for(u)) for u in units]
    for c, key in enumerate(("change", "ci_low", "ci_high"), start=7):
        values = [None if is_missing(rec.get(key)) else float(rec.get(key)) for rec in recs]
        w.number_column(ws, 1, c, [None if v is None else v * k for v, k in zip(values, scale, strict=True)], est)
    for c, key in enumerate(("p_value", "q_value"), start=10):
        w.number_column(ws, 1, c, [None if is_missing(rec.get(key)) else float(rec.get(key)) for rec in recs], "d4")
    w.text_column(ws, 1, 12, ["" if hidden else _h(lang, "yes" if rec.get("significant_fdr") else "no")
                              for rec, hidden in zip(recs, suppressed, strict=True)])  # fmt: skip
    w.text_column(ws, 1, 13, [_h(lang, "suppressed") if hidden else t(lang, str(rec["interpretation"]))
                              for rec, hidden in zip(recs, suppressed, strict=True)])  # fmt: skip
    w.text_column(ws, 1, 14, [f"{_h(lang, 'suppressed')}: {change_reason_text(lang, rec.get('suppression_reason'), meta)}"
                              if hidden else _h(lang, "published") for rec, hidden in zip(recs, suppressed, strict=True)])  # fmt: skip
    ws.autofilter(0, 0, len(recs), len(keys) - 1)


def _plan_sheet(w: _Writer, ws: Any, plan: pd.DataFrame, meta: ReportMeta, lang: str) -> None:
    """Every indicator x location of the plan (national first), in the report's language."""
    keys = ("indicator", "id", "level", "location", "n", "deff", "n_eff", "mdc", "target", "n_needed", "n_extra", "note")
    w.header(ws, 0, [_h(lang, k) for k in keys], [50, 22, 10, 26, 11, 11, 11, 14, 11, 14, 14, 40], 1)
    texts = indicator_texts(plan, meta, lang) if len(plan) else {}
    flags = plan["flag"].astype("string").fillna("")
    notes = {f: (_h(lang, "deff_few", n=f.rsplit("_", 1)[-1]) if f.startswith("deff_from_fewer_than_")
                 else _h(lang, f) if f in ("deff_unavailable", "suppressed_sensitive") else f) for f in pd.unique(flags)}
    numbers = {c: pd.to_numeric(plan[c], errors="coerce").to_numpy(dtype=float)
               for c in ("n", "deff", "n_eff", "mdc", "target_change", "n_needed", "n_extra")}  # fmt: skip
    level = plan["location_level"].astype("string").fillna("").tolist()
    ids = plan["indicator_id"].astype(str).tolist()  # plain lists: a column read per row copies plan.attrs
    locations = plan["location"].tolist()
    flags = flags.tolist()
    for r, i in enumerate(range(len(plan)), start=1):
        ind = ids[i]
        w.text(ws, r, 0, texts.get(ind, (ind, ""))[0])
        w.text(ws, r, 1, ind)
        w.text(ws, r, 2, _h(lang, level[i]) if level[i] in ("national", "admin1", "admin2") else level[i])
        w.text(ws, r, 3, location_name(meta, locations[i], lang))
        for c, (key, fmt) in enumerate((("n", "int"), ("deff", "d2"), ("n_eff", "int"), ("mdc", "d1"),
                                        ("target_change", "d1"), ("n_needed", "int"), ("n_extra", "int")), start=4):  # fmt: skip
            w.number(ws, r, c, _none(numbers[key][i]), fmt)
        w.text(ws, r, 11, notes.get(flags[i], ""))
    ws.autofilter(0, 0, len(plan), len(keys) - 1)


def _notes_sheet(w: _Writer, ws: Any, results: pd.DataFrame, meta: ReportMeta, lang: str) -> None:
    from .annex import _annex  # the same rule texts as the HTML report

    annex = _annex(results, meta, lang, rounds_of(results, meta))
    ws.set_column(0, 0, 120)
    lines: list[tuple[str, str]] = [(t(lang, "rules"), "title")]
    lines += [(f"• {text}", "wrap") for text in annex["rules"]]
    codes = ("small-base", "low-n-eff", "wide-ci", "wide-relative-ci", "no-estimate", "small-cell",
             "sensitive-admin2", "secondary")  # fmt: skip
    lines += [("", "text"), (f"— {_h(lang, 'suppressed')}:", "bold")]
    lines += [(f"• {reason_text(lang, c)}", "wrap") for c in codes]
    if annex["design"]:
        lines += [("", "text"), (t(lang, "design"), "title"), (annex["design"], "wrap")]
    if annex["off_list"]:  # counts per round and question, as in the HTML annex (never the answers)
        off = annex["off_list"]["table"]
        lines += [("", "text"), (t(lang, "off_list"), "title"), (annex["off_list"]["note"], "wrap")]
        lines += [(" · ".join(f"{h}: {c['text']}" for h, c in zip(off["headers"], row["cells"], strict=True)), "wrap")
                  for row in off["rows"]]  # fmt: skip
    lines += [("", "text"), (t(lang, "definitions"), "title")]
    lines += [(f"{d['term']}: {d['text']}", "wrap") for d in annex["definitions"]]
    for r, (text, fmt) in enumerate(lines):
        w.text(ws, r, 0, text, fmt)
