"""Key findings that cannot mislead: every significant change, ranked, none silently left out.

:func:`significant_changes` keeps every change that is significant after false discovery rate control
and published (both inputs published), whatever its level, group or answer category, and ranks them:

1. national first, then admin1, then admin2 (``location_level``; the overall row counts as national);
2. headline estimates before toolkit variants, answer categories and sub-groups;
3. the largest change first (in the unit shown: percentage points for percentages);
4. sensitive indicators first when all else is equal.

:func:`key_findings` turns them into what the report shows: the top :data:`TOP_FINDINGS` findings
in full sentences (one per indicator x location x group; the change since the baseline leads when
significant, the change since the previous round is added when significant too), and **every other
significant change** in a compact table. Each finding names the rounds it compares. Nothing is
capped: the count of significant changes is stated, and the sentences and the table hold all of them
(``tests/report/test_report_findings.py`` proves it on the demo-shaped data).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..disclosure import group_columns_of
from ..i18n import LRM, RLM, is_rtl
from ._common import (
    ReportMeta,
    digits_for,
    fmt_number,
    group_name,
    group_value,
    indicator_label,
    is_missing,
    location_name,
    round_name,
    t,
    unit_suffix,
)

__all__ = ["TOP_FINDINGS", "REST_OPEN", "significant_changes", "key_findings", "finding_sentences"]

TOP_FINDINGS = 8
"""Findings written out in full; every other significant change is a row of the compact table."""

REST_OPEN = 12
"""The compact table of every other significant change is shown open up to this many rows; a longer one (437
rows for 22 locations x 6 rounds) is a closed ``<details>`` whose summary line gives the count (printed whole)."""

_LEVELS = {"national": 0, "admin1": 1, "admin2": 2}


def _group_cols(comp: pd.DataFrame) -> list[str]:
    return [g for g in group_columns_of(comp) if g != "location"]


def significant_changes(comp: pd.DataFrame, meta: ReportMeta, factor: float = 1.0) -> pd.DataFrame:
    """Every published change significant after FDR control, in the order of importance (module doc).

    Adds ``_key`` (indicator x location x group), ``_lvl``, ``_kind``, ``_abs`` (size in the unit shown).
    """
    if not len(comp) or "significant_fdr" not in comp.columns:
        return comp.iloc[:0].assign(_key=pd.Series(dtype=object))
    supp = comp["suppressed"].fillna(False).astype(bool) if "suppressed" in comp.columns else False
    sig = comp[comp["significant_fdr"].fillna(False).astype(bool) & ~supp]
    loc = sig["location"] if "location" in sig.columns else pd.Series(pd.NA, index=sig.index)
    overall = loc.isna() | (loc.astype("string") == meta.rules.total_label).fillna(False).astype(bool)
    level = sig["location_level"].astype("string") if "location_level" in sig.columns else pd.Series(pd.NA, index=sig.index)
    lvl = level.map(_LEVELS).astype("Float64").fillna(1.0).to_numpy(dtype=float)
    lvl = np.where(overall.to_numpy(), 0.0, lvl)
    groups = _group_cols(sig)
    has_group = np.zeros(len(sig), dtype=bool)
    for g in groups:
        has_group |= (sig[g].notna() & (sig[g].astype("string") != "All").fillna(False).astype(bool)).to_numpy()
    category = sig["category"].notna().to_numpy() if "category" in sig.columns else np.zeros(len(sig), bool)
    variant = (sig["variant_of"].astype("string").fillna("") != "").to_numpy() if "variant_of" in sig.columns \
        else np.zeros(len(sig), bool)  # fmt: skip
    kind = np.select([has_group, category, variant], [3, 2, 1], default=0)
    unit = sig["unit"].astype("string").fillna("") if "unit" in sig.columns else pd.Series("", index=sig.index)
    scale = np.where(unit.isin(["percent", "proportion"]), factor, 1.0)
    size = np.abs(pd.to_numeric(sig["change"], errors="coerce").to_numpy(dtype=float) * scale)
    sens = sig["sensitive"].fillna(False).astype(bool).to_numpy() if "sensitive" in sig.columns else np.zeros(len(sig), bool)
    key = sig["indicator_id"].astype(str) + "|" + loc.astype("string").fillna("\x00")
    for g in groups:
        key = key + "|" + sig[g].astype("string").fillna("")
    out = sig.assign(_key=key.to_numpy(), _lvl=lvl, _kind=kind, _abs=size, _sens=~sens,
                     _cmp=(sig["comparison"] != "baseline").astype(int).to_numpy())  # fmt: skip
    return out.sort_values(["_lvl", "_kind", "_abs", "_sens", "_cmp"], ascending=[True, True, False, True, True],
                           kind="stable")  # fmt: skip


def key_findings(
    results: pd.DataFrame, comp: pd.DataFrame, meta: ReportMeta, lang: str, factor: float, top: int = TOP_FINDINGS
) -> dict[str, Any]:
    """The findings section: ``{"count", "full": [{cls, badge, place, text}], "rest": table or None, "note",
    "rest_title" (its summary line, with the count), "rest_open"}``; the rest in order of importance too."""
    ranked = significant_changes(comp, meta, factor)
    if not len(ranked):
        return {"count": 0, "full": [], "rest": None, "note": "", "rest_title": "", "rest_open": False}
    labels = _labels(results, ranked, meta, lang)
    groups = _group_cols(ranked)
    records = ranked.to_dict("records")
    by_key: dict[str, list[dict]] = {}
    for rec in records:
        by_key.setdefault(rec["_key"], []).append(rec)
    keys = list(by_key)[:top]  # in order of importance (each key's first row is its strongest)
    full = []
    for key in keys:
        rows = sorted(by_key[key], key=lambda r: r["_cmp"])  # the change since the baseline first
        full.append(_item(rows[0], rows[1:], labels, groups, meta, lang, factor))
    rest = [rec for rec in records if rec["_key"] not in set(keys)]
    table = _rest_table(rest, labels, groups, meta, lang, factor) if rest else None
    key = "findings_note" if rest else ("findings_note_one" if len(records) == 1 else "findings_note_all")
    note = t(lang, key, count=len(records))
    return {"count": len(records), "full": full, "rest": table, "note": note,
            "rest_title": t(lang, "other_findings_count", count=len(rest)), "rest_open": len(rest) <= REST_OPEN}


def finding_sentences(results: pd.DataFrame, comp: pd.DataFrame, meta: ReportMeta, lang: str = "en",
                      factor: float = 1.0, top: int = 3) -> list[str]:  # fmt: skip
    """The ``top`` most important findings as plain sentences (for the command line's closing message; without
    the invisible left-to-right marks of right-to-left languages, which a terminal would show escaped)."""
    meta = meta.for_language(lang)
    found = key_findings(results, comp, meta, lang, factor, top=top)
    return [item["text"].replace(LRM, "") for item in found["full"]]


def _labels(results: pd.DataFrame, ranked: pd.DataFrame, meta: ReportMeta, lang: str) -> dict[str, str]:
    ids = set(ranked["indicator_id"].astype(str))
    first = results[results["indicator_id"].astype(str).isin(ids)].drop_duplicates("indicator_id")
    return {i: indicator_label(first, meta, i, lang) for i in ids}


def _place(rec: dict, groups: list[str], meta: ReportMeta, lang: str) -> str:
    place = location_name(meta, rec.get("location"), lang)
    parts = [f"{group_name(meta, g, lang)}: {group_value(meta, g, rec[g], lang)}" for g in groups
             if not is_missing(rec.get(g)) and str(rec.get(g)) != "All"]  # fmt: skip
    return place + (f" ({', '.join(parts)})" if parts else "")


def _value(value: Any, unit: Any, factor: float, lang: str) -> str:
    scale = factor if str(unit) in ("percent", "proportion") else 1.0
    return fmt_number(float(value) * scale, digits_for(unit), lang) + unit_suffix(unit, lang)


def _change(value: Any, unit: Any, factor: float, lang: str) -> str:
    scale = factor if str(unit) in ("percent", "proportion") else 1.0
    text = fmt_number(float(value) * scale, digits_for(unit), lang, signed=True)
    return f"{text} {t(lang, 'points')}" if unit_suffix(unit, lang) else text


def _item(rec: dict, others: list[dict], labels: dict[str, str], groups: list[str], meta: ReportMeta, lang: str,
          factor: float) -> dict:  # fmt: skip
    unit = rec.get("unit", "")
    word = str(rec["interpretation"])
    text = t(lang, "finding", label=labels[str(rec["indicator_id"])], word=t(lang, word),
             location=_place(rec, groups, meta, lang), old=_value(rec["estimate_from"], unit, factor, lang),
             new=_value(rec["estimate_to"], unit, factor, lang), r_from=round_name(meta, rec["round_from"]),
             r_to=round_name(meta, rec["round_to"]), change=_change(rec["change"], unit, factor, lang))  # fmt: skip
    for other in others:
        text += " " + t(lang, "finding_also", r_from=round_name(meta, other["round_from"]),
                        change=_change(other["change"], unit, factor, lang))  # fmt: skip
    return {"cls": word.replace(" ", "-"), "badge": t(lang, word), "place": _place(rec, groups, meta, lang),
            "text": text}  # fmt: skip


def _rest_table(rest: list[dict], labels: dict[str, str], groups: list[str], meta: ReportMeta, lang: str,
                factor: float) -> dict:  # fmt: skip
    headers = [t(lang, k) for k in ("indicator", "location", "compared", "change_col", "q_col", "interpretation")]
    body = []
    for rec in rest:
        unit = rec.get("unit", "")
        word = str(rec["interpretation"])
        body.append({"cls": "", "cells": [
            {"text": labels[str(rec["indicator_id"])], "cls": ""},
            {"text": _place(rec, groups, meta, lang), "cls": ""},
            {"text": _from_to(round_name(meta, rec["round_from"]), round_name(meta, rec["round_to"]), lang), "cls": ""},
            {"text": _from_to(_value(rec["estimate_from"], unit, factor, lang), _value(rec["estimate_to"], unit, factor, lang),
                              lang) + f" ({_change(rec['change'], unit, factor, lang)})", "cls": "sig"},
            {"text": fmt_number(rec.get("q_value"), 3, lang) if not is_missing(rec.get("q_value")) else "", "cls": ""},
            {"text": t(lang, word), "cls": f"word {word.replace(' ', '-')}"},
        ]})  # fmt: skip
    return {"headers": headers, "rows": body, "cls": "rest"}


def _from_to(old: str, new: str, lang: str) -> str:
    """``old → new``; right to left, ``old ← new`` with a right-to-left mark either side of the arrow, so that the
    old value or round is read first (on the right) and the arrow points to the new one, whatever the script of
    the two (round names in Latin script, numbers)."""
    return f"{old}{RLM} ← {RLM}{new}" if is_rtl(lang) else f"{old} → {new}"
