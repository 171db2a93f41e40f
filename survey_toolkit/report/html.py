"""The self-contained, single-file HTML report.

:func:`render_html` returns the report as a string; :func:`write_html` writes it atomically.
The page needs no network: the stylesheet is inline, charts are embedded as base64 SVG ``data:``
images, and there are no external links. Only the "Explore the results" view (:mod:`.explore`) uses
JavaScript, inline, over the published table embedded as JSON; everything else reads without it. Templates (``templates/``) run in a
jinja2 environment with autoescaping on and ``StrictUndefined``, so every string from the data
(place names, labels) is escaped, and a missing value is an error rather than an empty hole.

Content: key findings in plain language (the changes that stay significant after false discovery
rate control, with the indicator's direction), one section per indicator (trend chart with CI
bands per location, bars by location for the latest round, a table of every round with the
change since the previous round and the baseline; suppressed cells show "—" with a footnote giving
the reason, caution flags show the value in parentheses), the location x indicator heatmap of
change, the "Explore the results" view, and a methodology annex (sample sizes, design, weight diagnostics, data-quality
exclusions, definitions, reporting rules). Labels come from the indicators file and the form; the
interface text from the gettext catalogs (:mod:`survey_toolkit.report.texts`, ``docs/languages.md``).

Determinism: the same inputs give the same bytes, except the single ``<p class="generated">``
line, which appears only when ``meta.generated_at`` is set.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from .. import __version__
from ..comparison import compare_rounds
from ..disclosure import group_columns_of
from ..i18n import fmt_datetime, is_rtl, language_name
from ._common import (
    REASON_CODES,
    ReportMeta,
    atomic_write_bytes,
    category_words,
    cell_text,
    change_reason_text,
    digits_for,
    fmt_ci,
    fmt_estimate,
    fmt_number,
    group_name,
    group_value,
    indicator_ids,
    indicator_label,
    indicator_texts,
    is_missing,
    location_name,
    percent_factor,
    prepare_results,
    reason_text,
    round_name,
    rounds_of,
    t,
    unit_suffix,
)
from .annex import _annex, _derived_sample_sizes, _frame_table  # noqa: F401  (the workbook reads _annex here)
from .charts import (
    _headline_rows,
    build_charts,
    chart_plan,
    chart_stem,
    figure_bytes,
    ordered_locations,
)
from .explore import explore_payload, explore_section
from .findings import key_findings
from .plan import plan_section

__all__ = ["render_html", "write_html", "environment"]

_TEMPLATES = Path(__file__).parent / "templates"


#: a heatmap of more locations is not printed (its numbers would be a few pixels high on an A4 page):
#: a printed note points to the report on screen and the workbook instead
HEATMAP_PRINT_MAX_LOCATIONS = 14


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The jinja2 environment of the report: autoescape on, StrictUndefined, package templates."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
    )


def render_html(
    results: pd.DataFrame,
    comparisons: pd.DataFrame | None = None,
    *,
    meta: ReportMeta | None = None,
    lang: str = "en",
    svgs: Mapping[str, bytes] | None = None,
) -> str:
    """The report as one HTML string.

    Args:
        results: the tidy results (reporting rules are applied when not already).
        comparisons: output of :func:`survey_toolkit.comparison.compare_rounds` (computed when None).
        meta: titles, names, labels and the methodology annex.
        lang: a language of :func:`survey_toolkit.i18n.available_languages` (labels fall back to English,
            then to the ids).
        svgs: chart SVGs already drawn, by stem (see :func:`~survey_toolkit.report.charts.build_charts`).
    """
    meta = (meta or ReportMeta()).for_language(lang)
    results = prepare_results(results, meta.rules)
    if comparisons is None:
        comparisons = compare_rounds(results, rounds=meta.rounds, alpha=meta.alpha, fdr=meta.fdr)
    if svgs is None:
        figures = build_charts(results, comparisons, meta=meta, lang=lang)
        svgs = {stem: figure_bytes(fig, "svg") for stem, fig in figures.items()}
    context = build_context(results, comparisons, meta, lang, _Charts(svgs))
    return environment().get_template("report.html.j2").render(**context)


def write_html(
    path: str | os.PathLike[str],
    results: pd.DataFrame,
    comparisons: pd.DataFrame | None = None,
    *,
    meta: ReportMeta | None = None,
    lang: str = "en",
    svgs: Mapping[str, bytes] | None = None,
) -> Path:
    """Render the report and write it to ``path`` atomically (UTF-8). Returns the path."""
    html = render_html(results, comparisons, meta=meta, lang=lang, svgs=svgs)
    return atomic_write_bytes(path, html.encode("utf-8"))


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


class _Charts:
    """SVG bytes of the report's charts by stem (drawn once, by :func:`build_charts`)."""

    def __init__(self, svgs: Mapping[str, bytes] | None) -> None:
        self.svgs = dict(svgs or {})

    def uri(self, stem: str) -> str:
        """The chart as a ``data:`` URI ('' when the chart was not drawn: nothing to show)."""
        return _data_uri(self.svgs[stem]) if stem in self.svgs else ""


def build_context(
    results: pd.DataFrame,
    comparisons: pd.DataFrame,
    meta: ReportMeta,
    lang: str,
    charts: _Charts | None = None,
) -> dict:
    """Everything the template shows, as plain strings, lists and dicts."""
    charts = charts or _Charts(None)
    order = rounds_of(results, meta)
    factor = percent_factor(results)
    title = meta.title.get(lang) or meta.title.get("en") or t(lang, "report_title")
    inds = indicator_ids(results)
    plan = chart_plan(results, meta)
    groups = [g for g in group_columns_of(results) if g != "location"]
    res_by = _records_by_indicator(results, meta, groups)
    comp_by = _records_by_indicator(comparisons, meta, [])
    texts = indicator_texts(results, meta, lang)
    sections = [
        _indicator_section(res_by[ind], comp_by.get(ind, []), meta, lang, ind, order, factor, charts,
                           plan.get(ind, ()), texts[ind], groups, texts)  # fmt: skip
        for ind in inds
    ]
    heat = []
    for kind, stem in (("previous", "change_heatmap"), ("baseline", "change_heatmap_baseline")):
        part = comparisons[comparisons["comparison"] == kind] if len(comparisons) else comparisons
        if not len(part):
            continue
        r_from = round_name(meta, part["round_from"].iloc[0])
        places = int(part["location"].nunique()) if "location" in part.columns else 0
        heat.append(
            {
                "img": charts.uri(stem),
                "title": t(lang, "since", round=r_from),
                "note": t(lang, "heatmap_note", from_round=r_from),
                "print_note": (t(lang, "heatmap_print_note", n=places, sheet=t(lang, "excel:changes"))
                               if places > HEATMAP_PRINT_MAX_LOCATIONS else ""),
            }
        )
    toc = [{"anchor": "findings", "text": t(lang, "key_findings")}]
    summary = _summary(results, comparisons, meta, lang, order, factor)
    if summary:
        toc.insert(0, {"anchor": "summary", "text": t(lang, "summary")})
    themes = _themed(results, meta, lang, inds, sections)
    toc += _toc_entries(themes)
    toc += [{"anchor": "heatmap", "text": t(lang, "heatmap")}] if heat else []
    explore = explore_section(explore_payload(results, comparisons, meta, lang, order, factor, texts, groups), lang)
    toc += [{"anchor": "explore", "text": explore["title"]}] if explore else []
    planning = plan_section(meta.plan, meta, lang)
    toc += [{"anchor": "plan", "text": planning["title"]}] if planning else []
    toc += [{"anchor": "methodology", "text": t(lang, "methodology")}]
    generated = None
    if meta.generated_at is not None:
        generated = f"{t(lang, 'generated')} {fmt_datetime(meta.generated_at, lang)}"
    return {
        "lang": lang,
        "version": __version__,
        "title": title,
        "subtitle": " · ".join(round_name(meta, r) for r in order),
        "generated": generated,
        "css": Markup(_stylesheet(lang)),
        "dir": "rtl" if is_rtl(lang) else "ltr",
        "labels_note": t(lang, "labels_fallback", fallback=language_name(meta.label_fallback[lang], lang))
        if lang in meta.label_fallback else "",
        "text": _texts(lang),
        "toc": toc,
        "findings": key_findings(results, comparisons, meta, lang, factor),
        "glance": _glance(results, comparisons, meta, lang, order, factor),
        "summary": summary,
        "themes": themes,
        "heatmap": heat,
        "explore": explore,
        "plan": planning,
        "annex": _annex(results, meta, lang, order),
    }


def _stylesheet(lang: str) -> str:
    """The report's CSS; right-to-left languages add the mirrored rules of ``report.rtl.css``."""
    css = (_TEMPLATES / "report.css").read_text(encoding="utf-8")
    return css + (_TEMPLATES / "report.rtl.css").read_text(encoding="utf-8") if is_rtl(lang) else css


def _themed(
    results: pd.DataFrame, meta: ReportMeta, lang: str, inds: list[str], sections: list[dict]
) -> list[dict]:
    """The indicators' sections grouped for reading: by theme (``meta.themes``, in their order; indicators
    without one last), and within a theme one collapsible block per indicator, except that the answer
    categories of one question (a distribution, shares, a headline's own don't-know share) share one
    block with the question's own section, if it has one."""
    first = results.drop_duplicates("indicator_id")
    first = first.set_index(first["indicator_id"].astype(str))
    has_category = "category" in first.columns and "base_indicator_id" in first.columns
    blocks: dict[str, dict] = {}  # question (base indicator id) -> block, in the order of first appearance
    for ind, sec in zip(inds, sections, strict=True):
        row = first.loc[ind]
        category = has_category and not is_missing(row["category"])
        base = str(row["base_indicator_id"]) if category else ind
        block = blocks.setdefault(base, {"base": base, "sections": [], "own": False})
        if category:
            label = _base_label(results, meta, base, lang)
            sec = {**sec, "heading": _category_heading(sec["title"], label)}
        else:
            block["own"] = True
            sec = {**sec, "heading": ""}
        block["sections"].append(sec)
    items = []
    for base, block in blocks.items():
        secs = block["sections"]
        if block["own"]:  # the question's own section first, then its categories
            secs.sort(key=lambda sec: bool(sec["heading"]))
            title = next(sec["title"] for sec in secs if not sec["heading"])
        else:
            title = f"{_base_label(results, meta, base, lang)} — {t(lang, 'by_answer')}"
        items.append({"anchor": secs[0]["anchor"], "title": title, "sections": secs,
                      "answers": None if block["own"] else _answers_table(secs, lang),
                      "print_note": secs[0]["print_note"],
                      "theme": meta.indicator_themes.get(base)})  # fmt: skip
    keys = [k for k in meta.themes if any(item["theme"] == k for item in items)]
    out = [{"anchor": f"theme-{chart_stem(k)}", "title": _theme_title(meta, k, lang),
            "blocks": [item for item in items if item["theme"] == k]} for k in keys]  # fmt: skip
    rest = [item for item in items if item["theme"] not in keys]
    if rest:
        out.append({"anchor": "theme-other", "title": t(lang, "indicators") if out else "", "blocks": rest})
    return out


def _answers_table(sections: list[dict], lang: str) -> dict | None:
    """One question's answers side by side: the overall row of each category's table (rounds, CI, n,
    changes), one row per answer; what the printed report shows instead of a section per answer."""
    rows = []
    for sec in sections:
        total = next((row for row in sec["table"]["rows"] if row["cls"] == "total"), None)
        if total is not None:
            rows.append({"cls": "", "cells": [{"text": sec["heading"], "cls": ""}, *total["cells"][1:]]})
    if not rows:
        return None
    first = sections[0]["table"]
    return {"headers": [t(lang, "all"), *first["headers"][1:]], "hcls": first["hcls"], "rows": rows,
            "cls": "answers"}


def _base_label(results: pd.DataFrame, meta: ReportMeta, base: str, lang: str) -> str:
    return indicator_label(results, meta, base, lang) if base in meta.indicator_labels else base


def _category_heading(title: str, base_label: str) -> str:
    """A category section's own words: its title without the question's label ('Very safe')."""
    return category_words(title, base_label)


def _theme_title(meta: ReportMeta, key: str, lang: str) -> str:
    names = meta.themes.get(key, {})
    return str(names.get(lang) or next((v for v in names.values() if v), key))


def _toc_entries(themes: list[dict]) -> list[dict]:
    """One contents line per theme with a line per block under it (a question's categories share one);
    without themes, the blocks themselves."""
    entries = []
    for theme in themes:
        children = [{"anchor": item["anchor"], "text": item["title"]} for item in theme["blocks"]]
        if theme["title"]:
            entries.append({"anchor": theme["anchor"], "text": theme["title"], "children": children})
        else:
            entries += children
    return entries


def _texts(lang: str) -> dict[str, str]:
    keys = ("contents", "key_findings", "no_findings", "heatmap", "methodology", "sample_sizes", "design")
    keys += ("weights", "exclusions", "definitions", "rules", "at_a_glance", "summary",
             "summary_note", "sdg", "off_list")
    return {k: t(lang, k) for k in keys}


def _scaled(value: Any, unit: Any, factor: float) -> float:
    return float(value) * (factor if str(unit) in ("percent", "proportion") else 1.0)


def _value_text(value: Any, unit: Any, factor: float, lang: str) -> str:
    return fmt_number(_scaled(value, unit, factor), digits_for(unit), lang) + unit_suffix(unit, lang)


def _change_text(value: Any, unit: Any, factor: float, lang: str) -> str:
    text = fmt_number(_scaled(value, unit, factor), digits_for(unit), lang, signed=True)
    return f"{text} {t(lang, 'points')}" if unit_suffix(unit, lang) else text


MAX_SUMMARY = 12
"""Most headline indicators on the one-screen summary."""


def _summary(
    results: pd.DataFrame, comp: pd.DataFrame, meta: ReportMeta, lang: str, order: list[str], factor: float
) -> list[dict]:
    """The one-screen summary: the official SDG 16 indicators (``sdg`` set, not a variant or an answer
    category), overall, latest round: estimate, 95% CI and the change since the baseline (else the
    previous round) with whether it is significant after FDR control."""
    if "sdg" not in results.columns:
        return []
    rows = results[(results["round"].astype(str) == order[-1]) & _headline_rows(results) & _is_overall(results, meta)]
    rows = rows[rows["sdg"].astype("string").fillna("").str.startswith("16")]
    for col in ("category", "variant_of"):
        if col in rows.columns:
            rows = rows[rows[col].isna() | (rows[col].astype("string") == "").fillna(False).astype(bool)]
    rows = rows.drop_duplicates("indicator_id").head(MAX_SUMMARY)
    if not len(rows):
        return []
    changes: dict[str, dict] = {}
    if len(comp):
        part = comp[_headline_rows(comp) & _is_overall(comp, meta)]
        for rec in part.to_dict("records"):
            key = str(rec["indicator_id"])
            if key not in changes or rec["comparison"] == "baseline":
                changes[key] = rec
    texts = indicator_texts(rows, meta, lang)
    cards = []
    for row in rows.to_dict("records"):
        ind = str(row["indicator_id"])
        change = changes.get(ind)
        cell = _change_cell(change, factor, lang)
        word = _interpretation(change, meta, lang)
        since = t(lang, "since_lower", round=round_name(meta, change["round_from"])) if change else ""
        cards.append({
            "title": texts[ind][0], "sdg": str(row["sdg"]),
            "value": "—" if bool(row.get("suppressed")) else _value_text(row["estimate"], row.get("unit"), factor, lang),
            "ci": fmt_ci(row, factor, lang), "change": cell["text"] if change else "", "since": since,
            "cls": str(change["interpretation"]).replace(" ", "-") if change and not change.get("suppressed") else "",
            "word": word,
        })  # fmt: skip
    return cards


def _glance(
    results: pd.DataFrame, comp: pd.DataFrame, meta: ReportMeta, lang: str, order: list[str], factor: float
) -> dict | None:
    """Every indicator at a glance: latest overall value, CI, change since the previous round."""
    rows = results[(results["round"].astype(str) == order[-1]) & _headline_rows(results)]
    rows = rows[_is_overall(rows, meta)].drop_duplicates("indicator_id")
    if not len(rows):
        return None
    prev = comp[(comp["comparison"] == "previous")] if len(comp) else comp
    prev = prev[_headline_rows(prev) & _is_overall(prev, meta)] if len(prev) else prev
    changes = {str(r["indicator_id"]): r for r in prev.to_dict("records")} if len(prev) else {}
    headers = [t(lang, "indicator"), round_name(meta, order[-1]), t(lang, "ci"), t(lang, "n")]
    if changes:
        r_from = str(prev["round_from"].iloc[0])
        headers += [t(lang, "change_previous", round=round_name(meta, r_from)), t(lang, "interpretation")]
    notes: dict[str, set] = {"suppressed": set(), "flags": set()}
    body = []
    labels = indicator_texts(results, meta, lang)
    for row in rows.to_dict("records"):
        ind = str(row["indicator_id"])
        cells = [
            {"text": labels[ind][0], "cls": ""},
            _cell(row, factor, lang, notes),
        ]
        cells.append({"text": fmt_ci(row, factor, lang), "cls": ""})
        cells.append({"text": "" if is_missing(row.get("n")) else f"{int(row['n'])}", "cls": ""})
        if changes:
            change = changes.get(ind)
            cells.append(_change_cell(change, factor, lang))
            cells.append({"text": _interpretation(change, meta, lang), "cls": ""})
        body.append({"cls": "", "cells": cells})
    return {"headers": headers, "rows": body, "cls": "glance"}


def _interpretation(change: dict | None, meta: ReportMeta, lang: str) -> str:
    """The interpretation of a change; a change not published says so and why (never a bare 'suppressed',
    which beside a published estimate would read as if the estimate were withheld)."""
    if not change:
        return ""
    if bool(change.get("suppressed")):
        return t(lang, "change_not_published", why=change_reason_text(lang, change.get("suppression_reason"), meta))
    return t(lang, str(change["interpretation"]))


def _is_overall(frame: pd.DataFrame, meta: ReportMeta) -> pd.Series:
    if "location" not in frame.columns:
        return pd.Series(True, index=frame.index)
    loc = frame["location"]
    return loc.isna() | (loc.astype("string") == meta.rules.total_label).fillna(False).astype(bool)


def _indicator_section(
    recs: list[dict],
    crecs: list[dict],
    meta: ReportMeta,
    lang: str,
    ind: str,
    order: list[str],
    factor: float,
    charts: _Charts,
    kinds: tuple[str, ...],
    texts: tuple[str, str],
    groups: list[str],
    labels: Mapping[str, tuple[str, str]] | None = None,
) -> dict:
    """One indicator's section from its records (see :func:`_records_by_indicator`)."""
    head = [r for r in recs if r["_head"]]
    table, notes = _round_table(head, [c for c in crecs if c["_head"]], meta, lang, order, factor)
    latest = [r for r in recs if not r["_head"] and r["_r"] == order[-1] and _number(r.get("n", 1)) > 0]
    breakdown, more = _breakdown_table(latest, meta, lang, factor, groups)
    label, definition = texts
    sensitive = any(bool(r.get("sensitive")) and not is_missing(r.get("sensitive")) for r in recs)
    stem = chart_stem(ind)
    return {
        "anchor": "ind-" + stem,
        "title": label,
        "definition": definition,
        "sensitive_note": t(lang, "sensitive_note") if sensitive else "",
        "trend_img": charts.uri(f"{stem}_trend") if "trend" in kinds else "",
        "trend_alt": t(lang, "trend"),
        "bars_img": charts.uri(f"{stem}_locations") if "locations" in kinds else "",
        "bars_alt": t(lang, "bars", round=round_name(meta, order[-1])),
        "table": table,
        "print_note": _print_note(order, meta, lang),
        "breakdown": breakdown,
        "breakdown_title": round_name(meta, order[-1]),
        "footnotes": _footnotes({k: notes[k] | more.get(k, set()) for k in notes}, meta, lang, labels),
    }


def _number(value: Any) -> float:
    return float("nan") if is_missing(value) else float(value)


def _cell(row: dict | None, factor: float, lang: str, notes: dict[str, set], where: str = "") -> dict:
    """One estimate cell; a withheld one adds its reasons to ``notes`` (and, when it protects another
    withheld cell, the pair (protected cell, ``where`` it is) to ``notes["secondary"]``)."""
    if row is None:
        return {"text": "", "cls": ""}
    text = fmt_estimate(row, factor, lang)
    if bool(row.get("suppressed", False)):
        notes["suppressed"].update(c for c in str(row.get("suppression_reason", "")).split(";") if c)
        protects = row.get("protects")
        if where and not is_missing(protects) and protects:
            notes.setdefault("secondary", set()).add((str(protects), where))
        return {"text": "—", "cls": "sup"}
    if bool(row.get("caution", False)):
        notes["flags"].update(c for c in str(row.get("caution_reasons", "")).split(";") if c)
    return {"text": text, "cls": ""}


def _change_cell(row: dict | None, factor: float, lang: str, notes: dict[str, set] | None = None) -> dict:
    if row is None:
        return {"text": "", "cls": ""}
    if bool(row.get("suppressed", False)) or is_missing(row.get("change")):
        if notes is not None:
            notes["changes"].update(c for c in str(row.get("suppression_reason", "") or "").split(";") if c)
        return {"text": "—", "cls": "sup"}
    mark = "*" if bool(row.get("significant_fdr")) else ("†" if bool(row.get("significant")) else "")
    return {
        "text": _change_text(row["change"], row.get("unit", ""), factor, lang) + mark,
        "cls": "sig" if mark == "*" else "",
    }


_CELL_COLUMNS = ("estimate", "ci_low", "ci_high", "n", "unit", "suppressed", "suppression_reason", "protects",
                 "caution", "caution_reasons", "change", "significant", "significant_fdr", "interpretation", "sensitive",
                 "location", "round_from", "comparison")  # fmt: skip
"""The columns a table cell reads (converting only these to dicts is much faster)."""


def _records_by_indicator(frame: pd.DataFrame, meta: ReportMeta, groups: list[str]) -> dict[str, list[dict]]:
    """The rows of each indicator as dicts, converted once, with ``_head`` (no breakdown besides
    location), ``_loc`` (location key, ``\x00`` for the overall) and ``_r`` (round id as text)."""
    if not len(frame):
        return {}
    cols = [c for c in (*_CELL_COLUMNS, *groups) if c in frame.columns]
    loc = frame["location"] if "location" in frame.columns else pd.Series(meta.rules.total_label, index=frame.index)
    keyed = frame[cols].assign(
        _head=_headline_rows(frame).to_numpy(),
        _loc=loc.astype("string").fillna("\x00").to_numpy(dtype=object),
        _r=frame["round" if "round" in frame.columns else "round_to"].astype(str).to_numpy(),
        _ind=frame["indicator_id"].astype(str).to_numpy(),
    )
    out: dict[str, list[dict]] = {}
    for rec in keyed.to_dict("records"):
        out.setdefault(rec["_ind"], []).append(rec)
    return out


def _round_table(
    head: list[dict], comp: list[dict], meta: ReportMeta, lang: str, order: list[str], factor: float
) -> tuple[dict, dict[str, set]]:
    notes: dict[str, set] = {"suppressed": set(), "flags": set(), "changes": set(), "secondary": set()}
    by_round = {(r["_r"], r["_loc"]): r for r in head}
    locs = ordered_locations(list(dict.fromkeys(r["_loc"] for r in head)), meta)
    comps: dict[str, tuple[dict, str]] = {}
    for kind in ("previous", "baseline"):
        part = [c for c in comp if c.get("comparison") == kind]
        if part:
            comps[kind] = ({c["_loc"]: c for c in part}, str(part[0]["round_from"]))
    early = _early_rounds(order)
    headers = [t(lang, "location")]
    hcls = [""]
    for r in order:
        headers += [round_name(meta, r), t(lang, "ci"), t(lang, "n")]
        hcls += ["", early.get(r, ""), early.get(r, "")]
    for kind, (_, r_from) in comps.items():
        headers.append(t(lang, f"change_{kind}", round=round_name(meta, r_from)))
        hcls.append("")
    body = []
    for key in locs:
        total = key == "\x00" or key == meta.rules.total_label
        cells = [{"text": location_name(meta, None if key == "\x00" else key, lang), "cls": ""}]
        for r in order:
            row = by_round.get((r, key))
            where = f"{cells[0]['text']}, {round_name(meta, r)}"
            cells.append(_cell(row, factor, lang, notes, where))
            cells.append({"text": fmt_ci(row, factor, lang) if row else "", "cls": early.get(r, "")})
            n = row.get("n") if row else None
            cells.append({"text": "" if is_missing(n) else f"{int(n)}", "cls": early.get(r, "")})
        for lookup, _ in comps.values():
            cells.append(_change_cell(lookup.get(key), factor, lang, notes))
        body.append({"cls": "total" if total else "", "cells": cells})
    return {"headers": headers, "hcls": hcls, "rows": body, "cls": "rounds"}, notes


PRINT_ALL_ROUNDS = 3
"""Most rounds whose CI and n columns are all printed; with more, the printed round tables keep every round's
estimate but the CI and n of the latest round only (and say so: :func:`_print_note`), so that 22 locations x 6
rounds fit an A4 page. The screen (a table that scrolls sideways) and the workbook keep every column."""


def _early_rounds(order: list[str]) -> dict[str, str]:
    """The rounds whose CI and n columns the printed round table leaves out: class ``early`` by round id."""
    return {r: "early" for r in order[:-1]} if len(order) > PRINT_ALL_ROUNDS else {}


def _print_note(order: list[str], meta: ReportMeta, lang: str) -> str:
    """The printed note under a round table that leaves columns out ('' when it prints them all)."""
    return t(lang, "print_latest_ci", round=round_name(meta, order[-1])) if _early_rounds(order) else ""


def _breakdown_table(
    rows: list[dict], meta: ReportMeta, lang: str, factor: float, groups: list[str]
) -> tuple[dict | None, dict[str, set]]:
    """Latest round by disaggregation, long form: location, breakdown, group, estimate, CI, n.

    ``rows``: the latest round's rows with a breakdown; groups nobody belongs to are left out before.
    """
    notes: dict[str, set] = {"suppressed": set(), "flags": set(), "changes": set(), "secondary": set()}
    if not groups or not rows:
        return None, notes
    headers = [t(lang, k) for k in ("location", "breakdown", "group", "estimate", "ci", "n")]
    body = []
    for row in rows:
        dims = [g for g in groups if not is_missing(row.get(g))]
        cells = [{"text": location_name(meta, row.get("location"), lang), "cls": ""}]
        cells.append({"text": " × ".join(group_name(meta, g, lang) for g in dims), "cls": ""})
        cells.append({"text": " × ".join(group_value(meta, g, row[g], lang) for g in dims), "cls": ""})
        where = f"{cells[0]['text']} × {cells[1]['text']}: {cells[2]['text']}"
        cells.append(_cell(row, factor, lang, notes, where))
        cells.append({"text": fmt_ci(row, factor, lang), "cls": ""})
        cells.append({"text": "" if is_missing(row.get("n")) else f"{int(row['n'])}", "cls": ""})
        body.append({"cls": "", "cells": cells})
    return {"headers": headers, "rows": body, "cls": "breakdown"}, notes


def _ordered(codes: set[str]) -> str:
    known = list(REASON_CODES)
    return ";".join(sorted(codes, key=lambda c: (known.index(c) if c in known else len(known), c)))


def _secondary_notes(
    pairs: set[tuple[str, str]], meta: ReportMeta, lang: str, labels: Mapping[str, tuple[str, str]] | None = None
) -> list[str]:
    """One footnote per protected cell: the withheld cells that protect it and why (never a value)."""
    by_cell: dict[str, list[str]] = {}
    for protects, where in sorted(pairs):
        by_cell.setdefault(protects, []).append(where)
    return [t(lang, "footnote_secondary", cells="; ".join(wheres),
              why=t(lang, "secondary_for", cell=cell_text(meta, protects, lang, labels)))
            for protects, wheres in by_cell.items()]  # fmt: skip


def _footnotes(
    notes: dict[str, set], meta: ReportMeta, lang: str, labels: Mapping[str, tuple[str, str]] | None = None
) -> list[str]:
    out = []
    if notes["suppressed"]:
        out.append(t(lang, "footnote_dash", reasons=reason_text(lang, _ordered(notes["suppressed"]))))
    if notes.get("changes"):
        why = change_reason_text(lang, ";".join(sorted(notes["changes"])), meta)
        out.append(t(lang, "footnote_change", reasons=why))
    out += _secondary_notes(notes.get("secondary", set()), meta, lang, labels)
    if notes["flags"]:
        out.append(t(lang, "footnote_paren", flags=reason_text(lang, _ordered(notes["flags"]))))
    out.append(
        t(lang, "footnote_sig", fdr=fmt_number(meta.fdr, 2, lang), alpha=fmt_number(meta.alpha, 2, lang))
    )
    return out
