"""The report's methodology annex: sample sizes, design, weights, exclusions, definitions and the
reporting rules, as template tables (shared by the HTML report and the workbook's Notes sheet)."""

from __future__ import annotations

import pandas as pd

from ._common import (
    ReportMeta,
    annex_table,
    fmt_number,
    indicator_texts,
    is_missing,
    location_name,
    round_name,
    t,
)
from .charts import _headline_rows

__all__ = ["annex_context"]


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


def _off_list(meta: ReportMeta, lang: str) -> dict | None:
    """Answers outside the choice lists per round and question: counts, share, how they count."""
    table = meta.off_list
    if table is None or not len(table):
        return None
    columns = [f"label:{lang}", *(c for c in table.columns if str(c).startswith("label:")), "question"]
    label = table[next(c for c in columns if c in table.columns)].fillna(table["question"]).astype(str)
    shown = pd.DataFrame({
        t(lang, "annex:round"): table["round"].map(lambda r: round_name(meta, r)),
        t(lang, "question"): [text if text == q else f"{text} ({q})" for text, q in zip(label, table["question"].astype(str), strict=True)],
        t(lang, "annex:answers"): table["answers"].astype(int),
        t(lang, "annex:off_list"): table["off_list"].astype(int),
        t(lang, "annex:off_list_share"): [fmt_number(100 * float(s), 1, lang) for s in table["share"]],
        t(lang, "annex:off_list_rule"): table["rule"].map(lambda r: t(lang, f"off_list_rule:{r}", default=str(r))),
    })  # fmt: skip
    return {"table": _frame_table(shown, lang), "note": t(lang, "off_list_note")}


def _annex(results: pd.DataFrame, meta: ReportMeta, lang: str, order: list[str]) -> dict:
    rules = meta.rules
    given = meta.sample_sizes is not None
    sizes = meta.sample_sizes if given else _derived_sample_sizes(results, meta, lang, order)
    definitions = []
    for ind, (label, text) in indicator_texts(results, meta, lang).items():
        definitions.append({"term": label, "text": f"{ind}" + (f" — {text}" if text else "")})
    return {
        "sample_sizes": _frame_table(annex_table(sizes, meta, lang) if given else sizes, lang),
        "sample_note": "" if given else t(lang, "sample_note"),
        "design": meta.design.get(lang) or meta.design.get("en") or "",
        "weights": _frame_table(annex_table(meta.weight_diagnostics, meta, lang), lang)
        if meta.weight_diagnostics is not None
        else None,
        "exclusions": _frame_table(annex_table(meta.exclusions, meta, lang), lang)
        if meta.exclusions is not None
        else None,
        "off_list": _off_list(meta, lang),
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
            t(lang, "rule_all_or_none"),
            t(lang, "rule_df", min_df=fmt_number(rules.min_df, 0, lang)),
            t(lang, "rule_dk", dk=fmt_number(rules.max_dk_share * 100, 0, lang)),
            t(lang, "rule_cell", k=rules.small_cell_k),
            t(lang, "rule_change"),
        ],
    }


def annex_context(results: pd.DataFrame, meta: ReportMeta, lang: str, order: list[str]) -> dict:
    """The annex of the report in ``lang`` (``order``: the rounds in time order)."""
    return _annex(results, meta, lang, order)
