"""The self-contained, single-file HTML report.

:func:`render_html` returns the report as a string; :func:`write_html` writes it atomically.
The page needs no network and no JavaScript: the stylesheet is inline, charts are embedded as
base64 SVG ``data:`` images, and there are no external links. Templates (``templates/``) run in a
jinja2 environment with autoescaping on and ``StrictUndefined``, so every string from the data
(place names, labels) is escaped, and a missing value is an error rather than an empty hole.

Content: key findings in plain language (the changes that stay significant after false discovery
rate control, with the indicator's direction), one section per indicator (trend chart with CI
bands per location, bars by location for the latest round, a table of every round with the
change since the previous round and the baseline; suppressed cells show "—" with a footnote giving
the reason, caution flags show the value in parentheses), the location x indicator heatmap of
change, and a methodology annex (sample sizes, design, weight diagnostics, data-quality
exclusions, definitions, reporting rules). English and French from the labels; the fixed strings
are in :data:`survey_toolkit.report.I18N`.

Determinism: the same inputs give the same bytes, except the single ``<p class="generated">``
line, which appears only when ``meta.generated_at`` is set.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from .. import __version__
from ..comparison import compare_rounds
from ..disclosure import group_columns_of
from ._common import (
    REASON_TEXT,
    ReportMeta,
    atomic_write_bytes,
    digits_for,
    fmt_ci,
    fmt_estimate,
    fmt_number,
    group_name,
    group_value,
    indicator_definition,
    indicator_ids,
    indicator_label,
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
from .charts import (
    _headline_rows,
    _locations,
    change_heatmap,
    chart_stem,
    figure_bytes,
    location_bars,
    trend_chart,
)

__all__ = ["render_html", "write_html", "environment", "MAX_FINDINGS"]

MAX_FINDINGS = 12
"""Most significant changes listed under key findings."""

_TEMPLATES = Path(__file__).parent / "templates"


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
        lang: ``"en"`` or ``"fr"`` (labels fall back to English, then to the ids).
        svgs: chart SVGs already drawn, by stem (see :func:`~survey_toolkit.report.charts.build_charts`).
    """
    meta = meta or ReportMeta()
    results = prepare_results(results, meta.rules)
    if comparisons is None:
        comparisons = compare_rounds(results, rounds=meta.rounds, alpha=meta.alpha, fdr=meta.fdr)
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
    """SVG bytes of the report's charts: given ones are reused, missing ones drawn on demand."""

    def __init__(self, svgs: Mapping[str, bytes] | None) -> None:
        self.svgs = dict(svgs or {})

    def uri(self, stem: str, build: Callable[[], Any]) -> str:
        if stem not in self.svgs:
            self.svgs[stem] = figure_bytes(build(), "svg")
        return _data_uri(self.svgs[stem])


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
    sections = [
        _indicator_section(results, comparisons, meta, lang, ind, order, factor, charts) for ind in inds
    ]
    heat = None
    if len(comparisons):
        first = comparisons[comparisons["comparison"] == "previous"]
        r_from = round_name(meta, first["round_from"].iloc[0]) if len(first) else ""
        heat = {
            "img": charts.uri(
                "change_heatmap", lambda: change_heatmap(comparisons, results=results, meta=meta, lang=lang)
            ),
            "note": t(lang, "heatmap_note", from_round=r_from),
        }
    toc = [{"anchor": "findings", "text": t(lang, "key_findings")}]
    toc += [{"anchor": s["anchor"], "text": s["title"]} for s in sections]
    toc += [{"anchor": "heatmap", "text": t(lang, "heatmap")}] if heat else []
    toc += [{"anchor": "methodology", "text": t(lang, "methodology")}]
    generated = None
    if meta.generated_at is not None:
        generated = f"{t(lang, 'generated')} {meta.generated_at.isoformat(timespec='seconds')}"
    return {
        "lang": lang,
        "version": __version__,
        "title": title,
        "subtitle": " · ".join(round_name(meta, r) for r in order),
        "generated": generated,
        "css": Markup((_TEMPLATES / "report.css").read_text(encoding="utf-8")),
        "text": _texts(lang),
        "toc": toc,
        "findings": _findings(results, comparisons, meta, lang, factor),
        "glance": _glance(results, comparisons, meta, lang, order, factor),
        "indicators": sections,
        "heatmap": heat,
        "annex": _annex(results, meta, lang, order),
    }


def _texts(lang: str) -> dict[str, str]:
    keys = ("contents", "key_findings", "no_findings", "heatmap", "methodology", "sample_sizes", "design")
    keys += ("weights", "exclusions", "definitions", "rules", "at_a_glance")
    return {k: t(lang, k) for k in keys}


def _scaled(value: Any, unit: Any, factor: float) -> float:
    return float(value) * (factor if str(unit) in ("percent", "proportion") else 1.0)


def _value_text(value: Any, unit: Any, factor: float, lang: str) -> str:
    return fmt_number(_scaled(value, unit, factor), digits_for(unit), lang) + unit_suffix(unit, lang)


def _change_text(value: Any, unit: Any, factor: float, lang: str) -> str:
    text = fmt_number(_scaled(value, unit, factor), digits_for(unit), lang, signed=True)
    return f"{text} {t(lang, 'points')}" if unit_suffix(unit, lang) else text


def _findings(
    results: pd.DataFrame, comp: pd.DataFrame, meta: ReportMeta, lang: str, factor: float
) -> list[dict]:
    if not len(comp):
        return []
    sig = comp[comp["significant_fdr"].fillna(False).astype(bool) & ~comp["suppressed"].astype(bool)]
    sig = sig[_headline_rows(sig)]
    loc = sig["location"] if "location" in sig.columns else pd.Series(pd.NA, index=sig.index)
    overall = loc.isna() | (loc.astype("string") == meta.rules.total_label).fillna(False).astype(bool)
    sig = sig.assign(
        _abs=sig["change"].abs(),
        _cmp=(sig["comparison"] != "previous").astype(int),
        _all=(~overall).astype(int),
        _loc=loc.astype("string").fillna("\x00"),
    )
    sig = sig.sort_values(["_cmp", "_all", "_abs"], ascending=[True, True, False], kind="stable")
    sig = sig.drop_duplicates(["indicator_id", "_loc"]).head(MAX_FINDINGS)
    sig = sig.sort_values(["_all", "_cmp", "_abs"], ascending=[True, True, False], kind="stable")
    out = []
    for row in sig.to_dict("records"):
        unit = row.get("unit", "")
        word = str(row["interpretation"])
        out.append(
            {
                "cls": word.replace(" ", "-"),
                "badge": t(lang, word),
                "text": t(
                    lang,
                    "finding",
                    label=indicator_label(results, meta, str(row["indicator_id"]), lang),
                    word=t(lang, word),
                    location=location_name(meta, row.get("location"), lang),
                    old=_value_text(row["estimate_from"], unit, factor, lang),
                    new=_value_text(row["estimate_to"], unit, factor, lang),
                    r_from=round_name(meta, row["round_from"]),
                    r_to=round_name(meta, row["round_to"]),
                    change=_change_text(row["change"], unit, factor, lang),
                ),
            }
        )
    return out


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
    for row in rows.to_dict("records"):
        ind = str(row["indicator_id"])
        cells = [
            {"text": indicator_label(results, meta, ind, lang), "cls": ""},
            _cell(row, factor, lang, notes),
        ]
        cells.append({"text": fmt_ci(row, factor, lang), "cls": ""})
        cells.append({"text": "" if is_missing(row.get("n")) else f"{int(row['n'])}", "cls": ""})
        if changes:
            change = changes.get(ind)
            cells.append(_change_cell(change, factor, lang))
            word = str(change["interpretation"]) if change else ""
            cells.append({"text": t(lang, word) if word else "", "cls": ""})
        body.append({"cls": "", "cells": cells})
    return {"headers": headers, "rows": body, "cls": "glance"}


def _is_overall(frame: pd.DataFrame, meta: ReportMeta) -> pd.Series:
    if "location" not in frame.columns:
        return pd.Series(True, index=frame.index)
    loc = frame["location"]
    return loc.isna() | (loc.astype("string") == meta.rules.total_label).fillna(False).astype(bool)


def _indicator_section(
    results: pd.DataFrame,
    comp: pd.DataFrame,
    meta: ReportMeta,
    lang: str,
    ind: str,
    order: list[str],
    factor: float,
    charts: _Charts,
) -> dict:
    rows = results[results["indicator_id"].astype(str) == ind]
    head = rows[_headline_rows(rows)]
    if "location" not in head.columns:
        head = head.assign(location=meta.rules.total_label)
    icomp = comp[comp["indicator_id"].astype(str) == ind] if len(comp) else comp
    table, notes = _round_table(head, icomp, meta, lang, order, factor)
    breakdown, more = _breakdown_table(rows, meta, lang, order[-1], factor)
    label = indicator_label(results, meta, ind, lang)
    sensitive = (
        bool(rows["sensitive"].fillna(False).astype(bool).any()) if "sensitive" in rows.columns else False
    )
    return {
        "anchor": "ind-" + chart_stem(ind),
        "title": label,
        "definition": indicator_definition(meta, ind, lang, results),
        "sensitive_note": t(lang, "sensitive_note") if sensitive else "",
        "trend_img": charts.uri(
            f"{chart_stem(ind)}_trend", lambda: trend_chart(results, ind, meta=meta, lang=lang)
        ),
        "trend_alt": t(lang, "trend"),
        "bars_img": charts.uri(
            f"{chart_stem(ind)}_locations", lambda: location_bars(results, ind, meta=meta, lang=lang)
        ),
        "bars_alt": t(lang, "bars", round=round_name(meta, order[-1])),
        "table": table,
        "breakdown": breakdown,
        "breakdown_title": round_name(meta, order[-1]),
        "footnotes": _footnotes({k: notes[k] | more[k] for k in notes}, meta, lang),
    }


def _cell(row: dict | None, factor: float, lang: str, notes: dict[str, set]) -> dict:
    if row is None:
        return {"text": "", "cls": ""}
    text = fmt_estimate(row, factor, lang)
    if bool(row.get("suppressed", False)):
        notes["suppressed"].update(c for c in str(row.get("suppression_reason", "")).split(";") if c)
        return {"text": "—", "cls": "sup"}
    if bool(row.get("caution", False)):
        notes["flags"].update(c for c in str(row.get("flags", "")).split(";") if c)
    return {"text": text, "cls": ""}


def _change_cell(row: dict | None, factor: float, lang: str) -> dict:
    if row is None:
        return {"text": "", "cls": ""}
    if bool(row.get("suppressed", False)) or is_missing(row.get("change")):
        return {"text": "—", "cls": "sup"}
    mark = "*" if bool(row.get("significant_fdr")) else ("†" if bool(row.get("significant")) else "")
    return {
        "text": _change_text(row["change"], row.get("unit", ""), factor, lang) + mark,
        "cls": "sig" if mark == "*" else "",
    }


def _lookup(frame: pd.DataFrame, key_col: str) -> dict[str, dict]:
    keys = frame[key_col].astype("string").fillna("\x00")
    return dict(zip(keys, frame.to_dict("records"), strict=True))


def _round_table(
    head: pd.DataFrame, comp: pd.DataFrame, meta: ReportMeta, lang: str, order: list[str], factor: float
) -> tuple[dict, dict[str, set]]:
    notes: dict[str, set] = {"suppressed": set(), "flags": set()}
    locs = _locations(head, meta)
    by_round = {r: _lookup(head[head["round"].astype(str) == r], "location") for r in order}
    comps = {}
    for kind in ("previous", "baseline"):
        part = comp[comp["comparison"] == kind] if len(comp) else comp
        if len(part):
            part = part[_headline_rows(part)]
            comps[kind] = (_lookup(part, "location"), str(part["round_from"].iloc[0]))
    headers = [t(lang, "location")]
    for r in order:
        headers += [round_name(meta, r), t(lang, "ci"), t(lang, "n")]
    for kind, (_, r_from) in comps.items():
        headers.append(t(lang, f"change_{kind}", round=round_name(meta, r_from)))
    body = []
    for loc in locs:
        key = "\x00" if is_missing(loc) else str(loc)
        total = key == "\x00" or key == meta.rules.total_label
        cells = [{"text": location_name(meta, loc, lang), "cls": ""}]
        for r in order:
            row = by_round[r].get(key)
            cells.append(_cell(row, factor, lang, notes))
            cells.append({"text": fmt_ci(row, factor, lang) if row else "", "cls": ""})
            n = row.get("n") if row else None
            cells.append({"text": "" if is_missing(n) else f"{int(n)}", "cls": ""})
        for lookup, _ in comps.values():
            cells.append(_change_cell(lookup.get(key), factor, lang))
        body.append({"cls": "total" if total else "", "cells": cells})
    return {"headers": headers, "rows": body}, notes


def _breakdown_table(
    rows: pd.DataFrame, meta: ReportMeta, lang: str, latest: str, factor: float
) -> tuple[dict | None, dict[str, set]]:
    """Latest round by disaggregation, long form: location, breakdown, group, estimate, CI, n.

    Groups nobody belongs to (unweighted base 0) are left out.
    """
    notes: dict[str, set] = {"suppressed": set(), "flags": set()}
    groups = [g for g in group_columns_of(rows) if g != "location"]
    sub = rows[(rows["round"].astype(str) == latest) & ~_headline_rows(rows)]
    if "n" in sub.columns:
        sub = sub[pd.to_numeric(sub["n"], errors="coerce").fillna(0) > 0]
    if not groups or not len(sub):
        return None, notes
    headers = [
        t(lang, "location"),
        t(lang, "breakdown"),
        t(lang, "group"),
        t(lang, "estimate"),
        t(lang, "ci"),
    ]
    headers.append(t(lang, "n"))
    body = []
    for row in sub.to_dict("records"):
        dims = [g for g in groups if not is_missing(row.get(g))]
        cells = [{"text": location_name(meta, row.get("location"), lang), "cls": ""}]
        cells.append({"text": " × ".join(group_name(meta, g, lang) for g in dims), "cls": ""})
        cells.append({"text": " × ".join(group_value(meta, g, row[g], lang) for g in dims), "cls": ""})
        cells.append(_cell(row, factor, lang, notes))
        cells.append({"text": fmt_ci(row, factor, lang), "cls": ""})
        cells.append({"text": "" if is_missing(row.get("n")) else f"{int(row['n'])}", "cls": ""})
        body.append({"cls": "", "cells": cells})
    return {"headers": headers, "rows": body, "cls": "breakdown"}, notes


def _ordered(codes: set[str]) -> str:
    known = list(REASON_TEXT["en"])
    return ";".join(sorted(codes, key=lambda c: (known.index(c) if c in known else len(known), c)))


def _footnotes(notes: dict[str, set], meta: ReportMeta, lang: str) -> list[str]:
    out = []
    if notes["suppressed"]:
        out.append(t(lang, "footnote_dash", reasons=reason_text(lang, _ordered(notes["suppressed"]))))
    if notes["flags"]:
        out.append(t(lang, "footnote_paren", flags=reason_text(lang, _ordered(notes["flags"]))))
    out.append(
        t(lang, "footnote_sig", fdr=fmt_number(meta.fdr, 2, lang), alpha=fmt_number(meta.alpha, 2, lang))
    )
    return out


def _frame_table(frame: pd.DataFrame, lang: str) -> dict:
    """A small DataFrame as a template table (numbers formatted, text escaped by the template)."""
    headers = [str(c) for c in frame.columns]
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            if is_missing(value):
                text = ""
            elif isinstance(value, bool):
                text = str(value)
            elif isinstance(value, int) or (isinstance(value, float) and float(value).is_integer()):
                text = f"{int(value)}"
            elif isinstance(value, float):
                text = fmt_number(value, 2, lang)
            else:
                text = str(value)
            cells.append({"text": text, "cls": ""})
        body.append({"cls": "", "cells": cells})
    return {"headers": headers, "rows": body}


def _derived_sample_sizes(
    results: pd.DataFrame, meta: ReportMeta, lang: str, order: list[str]
) -> pd.DataFrame:
    """Largest unweighted base per location and round (when no sample-size table is given)."""
    head = results[_headline_rows(results)]
    if "location" not in head.columns:
        head = head.assign(location=meta.rules.total_label)
    names = head["location"].map(lambda loc: location_name(meta, loc, lang))
    table = head.assign(_loc=names).pivot_table(
        index="_loc", columns="round", values="n", aggfunc="max", sort=False
    )
    table = table.reindex(columns=[r for r in order if r in table.columns])
    table.columns = [round_name(meta, r) for r in table.columns]
    return table.reset_index().rename(columns={"_loc": t(lang, "location")})


def _annex(results: pd.DataFrame, meta: ReportMeta, lang: str, order: list[str]) -> dict:
    rules = meta.rules
    given = meta.sample_sizes is not None
    sizes = meta.sample_sizes if given else _derived_sample_sizes(results, meta, lang, order)
    definitions = []
    for ind in indicator_ids(results):
        text = indicator_definition(meta, ind, lang, results)
        definitions.append(
            {
                "term": indicator_label(results, meta, ind, lang),
                "text": f"{ind}" + (f" — {text}" if text else ""),
            }
        )
    return {
        "sample_sizes": _frame_table(sizes, lang),
        "sample_note": ""
        if given
        else {
            "en": "Largest unweighted base of any indicator.",
            "fr": "Plus grande base non pondérée parmi les indicateurs.",
        }.get(lang, ""),
        "design": meta.design.get(lang) or meta.design.get("en") or "",
        "weights": _frame_table(meta.weight_diagnostics, lang)
        if meta.weight_diagnostics is not None
        else None,
        "exclusions": _frame_table(meta.exclusions, lang) if meta.exclusions is not None else None,
        "definitions": definitions,
        "rules": [
            t(lang, "rule_min_n", min_n=rules.min_n, caution_n=rules.caution_n - 1),
            t(lang, "rule_n_eff", min_n_eff=fmt_number(rules.min_n_eff, 0, lang)),
            t(
                lang,
                "rule_ci",
                max_ci=fmt_number(rules.max_ci_width, 0, lang),
                floor=fmt_number(rules.relative_ci_floor, 0, lang),
                rel=fmt_number(rules.max_relative_ci_width * 100, 0, lang),
            ),
            t(lang, "rule_df", min_df=fmt_number(rules.min_df, 0, lang)),
            t(lang, "rule_dk", dk=fmt_number(rules.max_dk_share * 100, 0, lang)),
            t(lang, "rule_cell", k=rules.small_cell_k),
            t(lang, "rule_change"),
        ],
    }
