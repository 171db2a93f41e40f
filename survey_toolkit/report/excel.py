"""The Excel workbook: a summary sheet, one formatted sheet per indicator, changes, and notes.

Written with xlsxwriter, atomically, and deterministically: the workbook properties carry a fixed
creation date (:data:`FIXED_CREATED`) and xlsxwriter stores fixed zip timestamps, so the same
inputs give the same bytes.

Disclosure: the table goes through the reporting rules first (unless it already has), and a
suppressed estimate is never a blank cell: the estimate cell reads ``suppressed`` with a cell note
giving the reason, and every other hidden number reads ``—``. Estimates shown with caution keep
their number, with the flags in the ``Flags`` column.

Formula injection: every text cell is written with ``write_string`` (never ``write``), so it is
stored as a string, never a formula; text starting with ``= + - @`` (or tab / CR) additionally gets
Excel's quote prefix (the cell shows the text exactly, and editing it cannot turn it into a formula).
"""

from __future__ import annotations

import math
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from ..comparison import compare_rounds
from ..disclosure import group_columns_of
from ._common import (
    ReportMeta,
    atomic_path,
    digits_for,
    group_name,
    group_value,
    indicator_definition,
    indicator_ids,
    indicator_label,
    is_formula_like,
    is_missing,
    location_name,
    percent_factor,
    prepare_results,
    reason_text,
    round_name,
    rounds_of,
    t,
)

__all__ = ["write_excel", "FIXED_CREATED", "sheet_name"]

FIXED_CREATED = datetime(2000, 1, 1)
"""Creation date stored in every workbook, so that two runs give identical bytes."""

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")

_HEADERS = {
    "en": {
        "indicator": "Indicator",
        "id": "Id",
        "unit": "Unit",
        "round": "Round",
        "location": "Location",
        "estimate": "Estimate",
        "ci_low": "CI low",
        "ci_high": "CI high",
        "se": "SE",
        "df": "df",
        "n": "Unweighted n",
        "n_numerator": "Numerator n",
        "n_weighted": "Weighted N",
        "n_eff": "Effective n",
        "dk_share": "DK/refused share",
        "flags": "Flags",
        "status": "Status",
        "comparison": "Comparison",
        "from": "From",
        "to": "To",
        "change": "Change",
        "p_value": "p-value",
        "q_value": "q-value (FDR)",
        "fdr_family": "FDR family",
        "interpretation": "Interpretation",
        "latest": "Latest",
        "summary": "Summary",
        "changes": "Changes",
        "notes": "Notes",
        "published": "published",
        "caution": "interpret with caution",
        "suppressed": "suppressed",
    },
    "fr": {
        "indicator": "Indicateur",
        "id": "Id",
        "unit": "Unité",
        "round": "Vague",
        "location": "Localité",
        "estimate": "Estimation",
        "ci_low": "IC bas",
        "ci_high": "IC haut",
        "se": "ET",
        "df": "ddl",
        "n": "n non pondéré",
        "n_numerator": "n numérateur",
        "n_weighted": "N pondéré",
        "n_eff": "n effectif",
        "dk_share": "Part NSP/refus",
        "flags": "Signalements",
        "status": "Statut",
        "comparison": "Comparaison",
        "from": "De",
        "to": "À",
        "change": "Évolution",
        "p_value": "valeur p",
        "q_value": "valeur q (FDR)",
        "fdr_family": "Famille FDR",
        "interpretation": "Interprétation",
        "latest": "Dernière",
        "summary": "Synthèse",
        "changes": "Évolutions",
        "notes": "Notes",
        "published": "publié",
        "caution": "à interpréter avec prudence",
        "suppressed": "supprimé",
    },
}


def _h(lang: str, key: str) -> str:
    return _HEADERS.get(lang, _HEADERS["en"]).get(key, _HEADERS["en"][key])


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
            "title": wb.add_format({"bold": True, "font_size": 14, "font_color": "#1F4E79"}),
            "text": wb.add_format({}),
            "quoted": wb.add_format({"quote_prefix": True}),
            "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
            "muted": wb.add_format({"font_color": "#5F6368", "align": "right"}),
            "int": wb.add_format({"num_format": "0"}),
            "d1": wb.add_format({"num_format": "0.0"}),
            "d2": wb.add_format({"num_format": "0.00"}),
            "d3": wb.add_format({"num_format": "0.000"}),
            "d4": wb.add_format({"num_format": "0.0000"}),
            "pct": wb.add_format({"num_format": "0.0%"}),
            "bold_d1": wb.add_format({"num_format": "0.0", "bold": True}),
        }

    def text(self, ws: Any, row: int, col: int, value: Any, fmt: str | None = None) -> None:
        if is_missing(value):
            value = ""
        value = str(value)
        style = self.fmt["quoted"] if is_formula_like(value) else self.fmt[fmt or "text"]
        ws.write_string(row, col, value, style)

    def number(self, ws: Any, row: int, col: int, value: Any, fmt: str, dash: bool = True) -> None:
        if is_missing(value):
            if dash:
                ws.write_string(row, col, "—", self.fmt["muted"])
            return
        if math.isinf(float(value)):
            ws.write_string(row, col, "∞" if float(value) > 0 else "-∞", self.fmt["muted"])
            return
        ws.write_number(row, col, float(value), self.fmt[fmt])

    def header(self, ws: Any, row: int, headers: list[str], widths: list[float]) -> None:
        for col, (head, width) in enumerate(zip(headers, widths, strict=True)):
            self.text(ws, row, col, head, "header")
            ws.set_column(col, col, width)
        ws.freeze_panes(row + 1, 0)


def write_excel(
    path: str | os.PathLike[str],
    results: pd.DataFrame,
    comparisons: pd.DataFrame | None = None,
    *,
    meta: ReportMeta | None = None,
    lang: str = "en",
) -> Path:
    """Write the workbook to ``path`` atomically; return the path.

    Sheets: ``Summary`` (latest overall value and change of every indicator), one sheet per
    indicator (every round x location x group row), ``Changes`` (every comparison with p- and
    q-values), ``Notes`` (reporting rules, reason codes, design, definitions).
    """
    meta = (meta or ReportMeta()).for_language(lang)
    results = prepare_results(results, meta.rules)
    if comparisons is None:
        comparisons = compare_rounds(results, rounds=meta.rounds, alpha=meta.alpha, fdr=meta.fdr)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {
                "nan_inf_to_errors": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        wb.set_properties(
            {
                "title": meta.title.get(lang) or t(lang, "report_title"),
                "author": "survey_toolkit",
                "created": FIXED_CREATED,
                "comments": "Generated by survey_toolkit",
            }
        )
        w = _Writer(wb)
        taken: set[str] = set()
        factor = percent_factor(results)
        order = rounds_of(results, meta)
        _summary_sheet(
            w,
            wb.add_worksheet(sheet_name(_h(lang, "summary"), taken)),
            results,
            comparisons,
            meta,
            lang,
            order,
            factor,
        )
        by_ind = dict(list(results.groupby(results["indicator_id"].astype(str), sort=False)))
        for ind in indicator_ids(results):
            ws = wb.add_worksheet(sheet_name(ind, taken))
            _indicator_sheet(w, ws, by_ind[ind], meta, lang, order, factor)
        _changes_sheet(
            w,
            wb.add_worksheet(sheet_name(_h(lang, "changes"), taken)),
            results,
            comparisons,
            meta,
            lang,
            factor,
        )
        _notes_sheet(w, wb.add_worksheet(sheet_name(_h(lang, "notes"), taken)), results, meta, lang)
        wb.close()
    return Path(path)


def _scale(unit: Any, factor: float) -> float:
    return factor if str(unit) in ("percent", "proportion") else 1.0


def _est_fmt(unit: Any) -> str:
    return "d1" if digits_for(unit) == 1 else "d2"


def _summary_sheet(
    w: _Writer,
    ws: Any,
    results: pd.DataFrame,
    comp: pd.DataFrame,
    meta: ReportMeta,
    lang: str,
    order: list[str],
    factor: float,
) -> None:
    w.text(ws, 0, 0, meta.title.get(lang) or t(lang, "report_title"), "title")
    w.text(ws, 1, 0, " · ".join(round_name(meta, r) for r in order))
    headers = [
        _h(lang, k) for k in ("indicator", "id", "unit", "estimate", "ci_low", "ci_high", "n", "status")
    ]
    headers += [_h(lang, "change"), _h(lang, "q_value"), _h(lang, "interpretation")]
    w.header(ws, 3, headers, [48, 26, 12, 11, 10, 10, 13, 28, 11, 13, 26])
    latest = results[results["round"].astype(str) == order[-1]]
    overall = _overall(latest, meta)
    prev = comp[comp["comparison"] == "previous"] if len(comp) else comp
    prev = _overall(prev, meta) if len(prev) else prev
    for i, ind in enumerate(indicator_ids(results)):
        r = 4 + i
        row = _first(overall, ind)
        unit = row.get("unit", "") if row else ""
        w.text(ws, r, 0, indicator_label(results, meta, ind, lang), "wrap")
        w.text(ws, r, 1, ind)
        w.text(ws, r, 2, unit)
        _estimate_cells(w, ws, r, 3, row, factor, lang)
        w.number(ws, r, 6, row.get("n") if row else None, "int")
        w.text(ws, r, 7, _status(row, lang))
        c = _first(prev, ind) if len(prev) else None
        w.number(
            ws, r, 8, None if not c else _scaled(c.get("change"), c.get("unit", ""), factor), _est_fmt(unit)
        )
        w.number(ws, r, 9, c.get("q_value") if c else None, "d4")
        w.text(ws, r, 10, t(lang, str(c["interpretation"])) if c else "")


def _overall(frame: pd.DataFrame, meta: ReportMeta) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    for col in group_columns_of(frame):
        keep &= frame[col].isna() | (frame[col].astype("string") == meta.rules.total_label).fillna(
            False
        ).astype(bool)
    return frame[keep]


def _first(frame: pd.DataFrame, ind: str) -> dict | None:
    rows = frame[frame["indicator_id"].astype(str) == ind]
    return rows.iloc[0].to_dict() if len(rows) else None


def _scaled(value: Any, unit: Any, factor: float) -> float | None:
    return None if is_missing(value) else float(value) * _scale(unit, factor)


def _status(row: dict | None, lang: str) -> str:
    if not row:
        return ""
    if bool(row.get("suppressed", False)):
        return f"{_h(lang, 'suppressed')}: {reason_text(lang, row.get('suppression_reason', ''))}"
    if bool(row.get("caution", False)):
        return f"{_h(lang, 'caution')}: {reason_text(lang, row.get('flags', ''))}"
    return _h(lang, "published")


def _estimate_cells(w: _Writer, ws: Any, r: int, c: int, row: dict | None, factor: float, lang: str) -> None:
    """Estimate, CI low, CI high at columns c..c+2; a suppressed estimate reads 'suppressed' with a note."""
    if row is None:
        for k in range(3):
            w.text(ws, r, c + k, "—", "muted")
        return
    unit = row.get("unit", "")
    if bool(row.get("suppressed", False)):
        w.text(ws, r, c, _h(lang, "suppressed"), "muted")
        ws.write_comment(r, c, _status(row, lang), {"author": "survey_toolkit", "x_scale": 2})
    else:
        w.number(ws, r, c, _scaled(row.get("estimate"), unit, factor), _est_fmt(unit))
    w.number(ws, r, c + 1, _scaled(row.get("ci_low"), unit, factor), _est_fmt(unit))
    w.number(ws, r, c + 2, _scaled(row.get("ci_high"), unit, factor), _est_fmt(unit))


def _indicator_sheet(
    w: _Writer, ws: Any, rows: pd.DataFrame, meta: ReportMeta, lang: str, order: list[str], factor: float
) -> None:
    ind = str(rows["indicator_id"].iloc[0])
    w.text(ws, 0, 0, indicator_label(rows, meta, ind, lang), "title")
    w.text(ws, 1, 0, indicator_definition(meta, ind, lang, rows) or ind)
    groups = [g for g in group_columns_of(rows) if g != "location"]
    keys = [
        "estimate",
        "ci_low",
        "ci_high",
        "se",
        "df",
        "n",
        "n_numerator",
        "n_weighted",
        "n_eff",
        "dk_share",
    ]
    names = [group_name(meta, g, lang) for g in groups]
    headers = [_h(lang, "round"), _h(lang, "location"), *names, *(_h(lang, k) for k in keys)]
    headers += [_h(lang, "flags"), _h(lang, "status")]
    widths = [10, 28, *([14] * len(groups)), 11, 10, 10, 9, 7, 13, 13, 12, 12, 16, 30, 44]
    w.header(ws, 3, headers, widths)
    rank = {r: i for i, r in enumerate(order)}
    rows = rows.assign(_r=rows["round"].astype(str).map(rank)).sort_values("_r", kind="stable")
    for i, row in enumerate(rows.to_dict("records")):
        r, c = 4 + i, 0
        unit = row.get("unit", "")
        w.text(ws, r, 0, round_name(meta, row["round"]))
        w.text(ws, r, 1, location_name(meta, row.get("location", meta.rules.total_label), lang))
        for c, g in enumerate(groups, start=2):
            w.text(ws, r, c, "" if is_missing(row.get(g)) else group_value(meta, g, row[g], lang))
        c = 2 + len(groups)
        _estimate_cells(w, ws, r, c, row, factor, lang)
        w.number(ws, r, c + 3, _scaled(row.get("se"), unit, factor), "d2" if digits_for(unit) == 1 else "d3")
        w.number(ws, r, c + 4, row.get("df"), "d1")
        w.number(ws, r, c + 5, row.get("n"), "int")
        w.number(ws, r, c + 6, row.get("n_numerator"), "int")
        w.number(ws, r, c + 7, row.get("n_weighted"), "d1")
        w.number(ws, r, c + 8, row.get("n_eff"), "d1")
        w.number(ws, r, c + 9, row.get("dk_share"), "pct")
        w.text(ws, r, c + 10, reason_text(lang, row.get("flags", "")))
        w.text(ws, r, c + 11, _status(row, lang))
    ws.autofilter(3, 0, 3 + len(rows), len(headers) - 1)


def _changes_sheet(
    w: _Writer, ws: Any, results: pd.DataFrame, comp: pd.DataFrame, meta: ReportMeta, lang: str, factor: float
) -> None:
    groups = group_columns_of(comp) if len(comp) else []
    groups = [g for g in groups if g != "location"]
    headers = [
        _h(lang, "indicator"),
        _h(lang, "location"),
        *(group_name(meta, g, lang) for g in groups),
        _h(lang, "comparison"),
        _h(lang, "from"),
        _h(lang, "to"),
        _h(lang, "change"),
        _h(lang, "ci_low"),
        _h(lang, "ci_high"),
        _h(lang, "se"),
        _h(lang, "df"),
        _h(lang, "p_value"),
        _h(lang, "q_value"),
        _h(lang, "interpretation"),
        _h(lang, "status"),
        _h(lang, "fdr_family"),
    ]
    w.header(ws, 0, headers, [40, 26, *([14] * len(groups)), 12, 9, 9, 10, 10, 10, 9, 8, 10, 13, 26, 40, 28])
    labels = (
        {ind: indicator_label(results, meta, ind, lang) for ind in indicator_ids(comp)} if len(comp) else {}
    )
    for i, row in enumerate(comp.to_dict("records")):
        r = 1 + i
        unit = row.get("unit", "")
        w.text(ws, r, 0, labels[str(row["indicator_id"])])
        w.text(ws, r, 1, location_name(meta, row.get("location", meta.rules.total_label), lang))
        for c, g in enumerate(groups, start=2):
            w.text(ws, r, c, "" if is_missing(row.get(g)) else group_value(meta, g, row[g], lang))
        c = 2 + len(groups)
        w.text(ws, r, c, row["comparison"])
        w.text(ws, r, c + 1, round_name(meta, row["round_from"]))
        w.text(ws, r, c + 2, round_name(meta, row["round_to"]))
        fmt = _est_fmt(unit)
        for k, key in enumerate(("change", "ci_low", "ci_high", "se")):
            w.number(ws, r, c + 3 + k, _scaled(row.get(key), unit, factor), fmt)
        w.number(ws, r, c + 7, row.get("df"), "d1")
        w.number(ws, r, c + 8, row.get("p_value"), "d4")
        w.number(ws, r, c + 9, row.get("q_value"), "d4")
        w.text(ws, r, c + 10, t(lang, str(row["interpretation"])))
        reason = str(row.get("suppression_reason", "") or "")
        w.text(
            ws,
            r,
            c + 11,
            f"{_h(lang, 'suppressed')}: {reason}" if row.get("suppressed") else _h(lang, "published"),
        )
        w.text(ws, r, c + 12, "" if is_missing(row.get("fdr_family")) else str(row["fdr_family"]))
    if len(comp):
        ws.autofilter(0, 0, len(comp), len(headers) - 1)


def _notes_sheet(w: _Writer, ws: Any, results: pd.DataFrame, meta: ReportMeta, lang: str) -> None:
    from .html import _annex  # the same rule texts as the HTML report

    annex = _annex(results, meta, lang, rounds_of(results, meta))
    ws.set_column(0, 0, 120)
    lines: list[tuple[str, str]] = [(t(lang, "rules"), "title")]
    lines += [(f"• {text}", "wrap") for text in annex["rules"]]
    lines += [
        ("", "text"),
        (
            "— / suppressed: "
            + reason_text(
                lang,
                ";".join(
                    [
                        "small-base",
                        "low-n-eff",
                        "wide-ci",
                        "wide-relative-ci",
                        "no-estimate",
                        "small-cell",
                        "sensitive-admin2",
                        "secondary",
                    ]
                ),
            ),
            "wrap",
        ),
    ]
    if annex["design"]:
        lines += [("", "text"), (t(lang, "design"), "title"), (annex["design"], "wrap")]
    lines += [("", "text"), (t(lang, "definitions"), "title")]
    lines += [(f"{d['term']}: {d['text']}", "wrap") for d in annex["definitions"]]
    for r, (text, fmt) in enumerate(lines):
        w.text(ws, r, 0, text, fmt)
