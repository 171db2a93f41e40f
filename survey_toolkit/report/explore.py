"""The report's "Explore the results" view: the published estimates as one JSON block and a small inline script.

:func:`explore_section` returns what the template writes at the end of the HTML report: the published
table (:func:`explore_payload`, called by the page) as compact JSON inside ``<script type="application/json">`` and the
script of ``templates/explore.js`` (vanilla JavaScript: no library, no network, no ``eval``, DOM nodes
and ``textContent`` only), which gives selectors for indicator, location, round and group and a
sortable table (estimate, 95% CI, n, change since the previous round, a note) with a dot-and-whisker
column in each location's colour of the report's charts. Without JavaScript a ``<noscript>`` note
points to the workbook; the view is not printed.

What the JSON holds is what the report's tables publish, never more: one row per indicator x round x
location x group of the reporting table (groups nobody belongs to left out, as in the breakdown
tables); a row whose estimate is suppressed is written apart (``withheld``, :data:`WITHHELD_FIELDS`) with
no number field at all, only n and the reason in words ("estimate not published: …"); a change that is
not published has only its reason; no respondent-level data.
Numbers are scaled and rounded in Python as :func:`survey_toolkit.i18n.fmt_decimal` rounds them
(1 decimal for percentages and indices, 2 for means), and the script writes them with the language's
decimal and group symbols, so a figure reads the same in the view as in the tables above it.

Escaping: the JSON has every ``<``, ``>`` and ``&`` (and U+2028/U+2029) written as ``\\uXXXX``, so no
label (``</script><script>…``) can end the element; the script reads it with ``JSON.parse`` only.
Built from the data frame column by column (no loop over rows): about 35 ms of CPU for the demo.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup

from ..i18n import GROUPING_FROM, LRM, _symbols, is_rtl
from ._common import (
    ReportMeta,
    change_reason_text,
    digits_for,
    fmt_number,
    group_name,
    group_value,
    is_missing,
    location_name,
    reason_text,
    round_name,
    suppression_text,
    t,
    unit_name,
    unit_suffix,
)
from .charts.style import location_colours, ordered_locations

__all__ = ["explore_section", "explore_payload", "json_for_html", "ROW_FIELDS", "WITHHELD_FIELDS"]

_TEMPLATES = Path(__file__).parent / "templates"

ROW_FIELDS = ("indicator", "location", "round", "group", "estimate", "ci_low", "ci_high", "n", "note", "change",
              "mark", "change_note")  # fmt: skip
"""The fields of each published row of the JSON (``rows``), in order: indices into ``indicators``,
``locations``, ``rounds``, ``groups`` and ``notes`` (0: no note), numbers (``null`` when there are none),
``mark`` 2 for a change significant after FDR control (``*``), 1 before adjustment only (``†``), 0 otherwise."""

WITHHELD_FIELDS = ("indicator", "location", "round", "group", "n", "note")
"""The fields of each row whose estimate is withheld (``withheld``): no estimate, CI or change at all, the
``note`` says why."""

_RESULT_COLUMNS = ("unit", "estimate", "ci_low", "ci_high", "n", "suppressed", "suppression_reason", "protects",
                   "caution", "caution_reasons")  # fmt: skip
_CHANGE_COLUMNS = ("change", "suppressed", "suppression_reason", "significant", "significant_fdr")

_TEXT_KEYS = ("indicators", "indicator", "location", "round", "group", "estimate", "ci", "n", "explore_unit", "explore_change",
              "explore_remark", "explore_chart", "explore_every_location", "explore_every_round",
              "explore_every_group", "explore_no_group", "explore_count", "explore_empty", "points")  # fmt: skip


def json_for_html(text: str) -> str:
    """JSON text safe inside a ``<script>`` element: ``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\uXXXX``
    (the same value for ``JSON.parse``; nothing can close the element or open a comment)."""
    for char in ("&", "<", ">", "\u2028", "\u2029"):
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


@lru_cache(maxsize=1)
def _script() -> str:
    script = (_TEMPLATES / "explore.js").read_text(encoding="utf-8")
    if "</" in script or "<!--" in script:  # would end the inline <script> element
        raise ValueError("templates/explore.js must not contain '</' or '<!--'")
    return script


def explore_section(payload: str | None, lang: str) -> dict | None:
    """The template's ``explore`` context from :func:`explore_payload`'s JSON: title, notes, the escaped
    JSON and the script (None: no rows)."""
    if payload is None:
        return None
    return {
        "title": t(lang, "explore"),
        "note": t(lang, "explore_note"),
        "noscript": t(lang, "explore_noscript", file=f"results.{lang}.xlsx"),
        "data": Markup(payload),
        "script": Markup(_script()),
    }


def explore_payload(
    results: pd.DataFrame,
    comparisons: pd.DataFrame,
    meta: ReportMeta,
    lang: str,
    order: list[str],
    factor: float,
    texts: dict[str, tuple[str, str]],
    groups: list[str],
) -> str | None:
    """The published table as compact JSON, escaped for HTML (see the module docstring and :data:`ROW_FIELDS`)."""
    cols = [c for c in ("indicator_id", "round", "location", *groups, *_RESULT_COLUMNS) if c in results.columns]
    keep = ~(pd.to_numeric(results["n"], errors="coerce") <= 0).to_numpy() if "n" in results.columns else slice(None)
    frame = results.loc[keep, cols]  # groups nobody belongs to left out, as in the breakdown tables
    if not len(frame):
        return None
    ids = frame["indicator_id"].astype(str)
    present = set(pd.unique(ids))
    inds = [i for i in texts if i in present]
    loc_key = _location_key(frame, meta)
    locs = ordered_locations(list(pd.unique(loc_key)), meta)
    present = set(pd.unique(frame["round"].astype(str)))
    rounds = [r for r in order if r in present]
    prev = _previous(comparisons, groups)
    keys = _keys(frame, prev, loc_key, _location_key(prev, meta) if prev is not None else None, groups)
    group_code, group_list = _group_codes(frame, keys["groups"][: len(frame)], meta, lang, groups)
    unit = frame["unit"].astype("string").fillna("") if "unit" in frame.columns else pd.Series("", index=frame.index)
    digits = unit.map({u: digits_for(u) for u in pd.unique(unit)}).to_numpy(dtype=int) if len(unit) else np.ones(0, dtype=int)
    scale = np.where(unit.isin(["percent", "proportion"]).to_numpy(), factor, 1.0)
    published = ~_flag(frame, "suppressed")
    caution = _flag(frame, "caution") & published
    notes, note = _notes(frame, published, caution, meta, lang, texts)
    change, mark, change_note = _changes(frame, prev, meta, lang, keys["rows"], scale, digits, notes)
    rows = pd.DataFrame({
        "indicator": _codes(ids, inds),
        "location": _codes(loc_key, locs),
        "round": _codes(frame["round"].astype(str), rounds),
        "group": group_code,
        **{col: _published_number(frame, col, published, scale, digits) for col in ("estimate", "ci_low", "ci_high")},
        "n": pd.to_numeric(frame["n"], errors="coerce").round().astype("Int64").array if "n" in frame.columns else pd.NA,
        "note": note,
        "change": change,
        "mark": mark,
        "change_note": change_note,
        "published": published,
    }, index=pd.RangeIndex(len(frame)))  # fmt: skip
    rows = rows[(rows["indicator"] >= 0) & (rows["round"] >= 0)]
    rows = rows.sort_values(["indicator", "round", "location", "group"], kind="stable")
    first = frame.drop_duplicates("indicator_id").set_index(ids.drop_duplicates().to_numpy())
    units = first["unit"].astype("string").fillna("") if "unit" in first.columns else pd.Series("", index=first.index)
    theme_of, theme_titles = _themes(results, meta, lang, inds)
    colours = location_colours(meta, locs)
    decimal, group_symbol = _symbols(lang)
    head = {
        "fields": list(ROW_FIELDS),
        "withheld_fields": list(WITHHELD_FIELDS),
        "text": {k: t(lang, k) for k in _TEXT_KEYS},
        "fmt": {"decimal": decimal, "group": group_symbol, "group_from": GROUPING_FROM, "minus": "\u2212",
                "prefix": LRM if is_rtl(lang) else ""},
        "indicators": [{"label": texts[i][0], "digits": digits_for(units.get(i, "")),
                        "unit": unit_name(units.get(i, ""), lang) if units.get(i, "") else "",
                        "points": bool(unit_suffix(units.get(i, ""), lang)), "theme": theme_of[i]} for i in inds],
        "themes": theme_titles,
        "locations": [{"name": location_name(meta, None if k == "\x00" else k, lang),
                       "colour": colours.get(str(k), "#7f7f7f")} for k in locs],
        "rounds": [round_name(meta, r) for r in rounds],
        "latest": len(rounds) - 1,
        "overall": 0 if locs and (locs[0] == "\x00" or locs[0] == meta.rules.total_label) else -1,
        "groups": group_list,
        "notes": notes,
        "sig": t(lang, "footnote_sig", fdr=fmt_number(meta.fdr, 2, lang),
                 alpha=fmt_number(meta.alpha, 2, lang)),
    }  # fmt: skip
    shown = rows.pop("published").to_numpy(dtype=bool)
    body = rows[shown].to_json(orient="values", double_precision=2)
    withheld = rows.loc[~shown, list(WITHHELD_FIELDS)].to_json(orient="values")
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    return json_for_html(f'{text[:-1]},"rows":{body},"withheld":{withheld}}}')


def _themes(results: pd.DataFrame, meta: ReportMeta, lang: str, inds: list[str]) -> tuple[dict[str, int], list[str]]:
    """Each indicator's theme (index into the titles; -1 none) and the titles, in the report's order: an
    answer category takes its question's theme, as in the report's sections."""
    from .html import _theme_title  # the report's own titles (html imports this module)

    if not meta.themes or not meta.indicator_themes:
        return dict.fromkeys(inds, -1), []
    base = {}
    if "base_indicator_id" in results.columns:
        first = results.loc[~results["indicator_id"].duplicated().to_numpy(), ["indicator_id", "base_indicator_id"]]
        base = {str(i): str(b) for i, b in zip(first["indicator_id"], first["base_indicator_id"], strict=True)
                if not is_missing(b)}  # fmt: skip
    keys = [k for k in meta.themes if k in set(meta.indicator_themes.values())]
    rank = {k: i for i, k in enumerate(keys)}
    theme_of = {i: rank.get(meta.indicator_themes.get(i) or meta.indicator_themes.get(base.get(i, i)), -1) for i in inds}
    return theme_of, [_theme_title(meta, k, lang) for k in keys]


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _location_key(frame: pd.DataFrame, meta: ReportMeta) -> pd.Series:
    """Location code as text, ``"\\x00"`` for the overall row (as the report's tables key it)."""
    if "location" not in frame.columns:
        return pd.Series(meta.rules.total_label, index=frame.index, dtype=object)
    return frame["location"].astype("string").fillna("\x00").astype(object)


def _codes(values: pd.Series, categories: list) -> np.ndarray:
    """Index of each value in ``categories`` (-1 when absent)."""
    return pd.Categorical(values.astype(object), categories=categories).codes.astype(int)


def _factorized(values: pd.Series) -> np.ndarray:
    """Integer codes of ``values``; missing values and the ``"All"`` of a breakdown column (no group) are -1."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    none = np.flatnonzero(pd.Index(uniques).astype(str) == "All")
    return np.where(np.isin(codes, none), -1, codes) if len(none) else codes


def _combined(parts: list[np.ndarray]) -> np.ndarray:
    """One integer per row for a tuple of integer codes (each >= -1): equal tuples, equal integers."""
    key = np.zeros(len(parts[0]) if parts else 0, dtype=np.int64)
    for part in parts:
        key = key * (int(part.max(initial=-1)) + 2) + (part.astype(np.int64) + 1)
        key = pd.factorize(key)[0].astype(np.int64)  # keep it small whatever the number of columns
    return key


def _keys(
    frame: pd.DataFrame, prev: pd.DataFrame | None, loc_key: pd.Series, prev_loc: pd.Series | None, groups: list[str]
) -> dict[str, np.ndarray]:
    """Integer keys of the results' rows followed by the previous-round comparisons' rows: ``groups`` (the
    combination of breakdown values) and ``rows`` (indicator, location, breakdowns and round)."""
    def both(values: pd.Series, other: pd.Series | None) -> pd.Series:
        if other is None:
            return values.reset_index(drop=True)
        return pd.concat([values, other], ignore_index=True)

    def column(data: pd.DataFrame | None, name: str) -> pd.Series | None:
        if data is None:
            return None
        return data[name] if name in data.columns else pd.Series(pd.NA, index=data.index, dtype=object)

    group_parts = [_factorized(both(column(frame, g), column(prev, g))) for g in groups]
    group_key = _combined(group_parts) if group_parts else np.zeros(len(frame) + (len(prev) if prev is not None else 0),
                                                                    dtype=np.int64)  # fmt: skip
    rounds = both(frame["round"].astype(str), prev["round_to"].astype(str) if prev is not None else None)
    parts = [_factorized(both(frame["indicator_id"].astype(str), column(prev, "indicator_id"))),
             _factorized(both(loc_key, prev_loc)), group_key, _factorized(rounds)]  # fmt: skip
    return {"groups": group_key, "rows": _combined(parts)}


def _group_codes(
    frame: pd.DataFrame, key: np.ndarray, meta: ReportMeta, lang: str, groups: list[str]
) -> tuple[np.ndarray, list[str]]:
    """Each row's group (index into the list) and the list of group texts: '' first (no breakdown), then
    'Sex: Female', 'Sex: Female × Age group: 18-24'... in order of first appearance."""
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    values = {g: frame[g].to_numpy(dtype=object)[first] for g in groups if g in frame.columns}
    texts = []
    for i in range(len(first)):  # one per combination of breakdown values, not per row
        parts = [t(lang, "explore_group_value", group=group_name(meta, g, lang), value=group_value(meta, g, column[i], lang))
                 for g, column in values.items() if not is_missing(column[i]) and str(column[i]) != "All"]  # fmt: skip
        texts.append(" × ".join(parts))
    ranked = sorted(range(len(uniq)), key=lambda i: (texts[i] != "", first[i]))
    names = list(dict.fromkeys(texts[i] for i in ranked))
    if not names or names[0] != "":
        names.insert(0, "")
    position = {text: i for i, text in enumerate(names)}
    lookup = np.array([position[text] for text in texts], dtype=int)
    return lookup[inverse.reshape(-1)], names


def _published_number(
    frame: pd.DataFrame, column: str, published: np.ndarray, scale: np.ndarray, digits: np.ndarray
) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float) * scale
    return np.where(published, rounded(values, digits), np.nan)


def rounded(values: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """``values`` rounded to ``digits`` decimals as Python's ``round`` does (what the report's tables show):
    numpy's rounding, with the few values within a hair of a tie rounded again by ``round`` itself."""
    power = np.power(10.0, digits)
    with np.errstate(invalid="ignore"):
        scaled = values * power
        out = np.rint(scaled) / power
        near = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    for i in near:  # ties and near-ties only (usually none)
        out[i] = round(float(values[i]), int(digits[i]))
    return out + 0.0


def _notes(
    frame: pd.DataFrame, published: np.ndarray, caution: np.ndarray, meta: ReportMeta, lang: str,
    labels: dict[str, tuple[str, str]] | None = None,
) -> tuple[list[dict], np.ndarray]:
    """The notes (``{"text": ..., "caution": bool}``, index 0 the empty one) and each row's note index: why
    an estimate is withheld (in the workbook's words: a secondary suppression names the cell it protects),
    or why it is to be read with caution. One text per distinct reason, not per row."""
    notes: list[dict] = [{"text": "", "caution": False}]
    index = np.zeros(len(frame), dtype=int)

    def text_of(column: str, mask: np.ndarray) -> np.ndarray:
        if column not in frame.columns:
            return np.full(int(mask.sum()), "", dtype=object)
        return frame[column].astype("string").fillna("").to_numpy(dtype=object)[mask].astype(str)

    for mask, kind in ((~published, "explore_withheld"), (caution, "explore_caution")):
        if not mask.any():
            continue
        if kind == "explore_withheld":
            keys = text_of("suppression_reason", mask) + "\x1f" + text_of("protects", mask)
        else:
            keys = text_of("caution_reasons", mask)
        uniq, inverse = np.unique(keys, return_inverse=True)
        start = len(notes)
        for key in uniq:
            if kind == "explore_withheld":
                codes, protects = key.split("\x1f")
                why = suppression_text(lang, codes, protects, meta, labels) or t(lang, "not_published")
                notes.append({"text": t(lang, kind, reasons=why), "caution": False})
            else:
                notes.append({"text": t(lang, kind, flags=reason_text(lang, key)), "caution": True})
        index[mask] = start + inverse.reshape(-1)
    return notes, index


def _previous(comparisons: pd.DataFrame | None, groups: list[str]) -> pd.DataFrame | None:
    """The comparisons with the previous round, the columns read here (None when there are none)."""
    if comparisons is None or not len(comparisons) or "comparison" not in comparisons.columns:
        return None
    cols = [c for c in ("indicator_id", "round_to", "location", *groups, *_CHANGE_COLUMNS) if c in comparisons.columns]
    prev = comparisons.loc[(comparisons["comparison"] == "previous").to_numpy(), cols]
    return prev if len(prev) and "round_to" in prev.columns and "change" in prev.columns else None


def _changes(
    frame: pd.DataFrame,
    prev: pd.DataFrame | None,
    meta: ReportMeta,
    lang: str,
    keys: np.ndarray,
    scale: np.ndarray,
    digits: np.ndarray,
    notes: list[dict],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's change since the previous round (its rounded value, its significance mark and the index of
    the note saying why it is not published), matched on indicator, location, breakdowns and round (``keys``:
    the rows' keys, then the comparisons', from :func:`_keys`)."""
    size = len(frame)
    change, mark, note = np.full(size, np.nan), np.zeros(size, dtype=int), np.zeros(size, dtype=int)
    if prev is None:
        return change, mark, note
    ckeys = keys[size:]
    first = ~pd.Index(ckeys).duplicated()
    pos = pd.Index(ckeys[first]).get_indexer(keys[:size])
    hit = pos >= 0
    if not hit.any():
        return change, mark, note
    rows = prev[first].iloc[pos[hit]]
    values = pd.to_numeric(rows["change"], errors="coerce").to_numpy(dtype=float)
    withheld = _flag(rows, "suppressed") | np.isnan(values)
    change[hit] = np.where(withheld, np.nan, rounded(values * scale[hit], digits[hit]))
    sig = np.where(_flag(rows, "significant_fdr"), 2, np.where(_flag(rows, "significant"), 1, 0))
    mark[hit] = np.where(withheld, 0, sig)
    if withheld.any():
        reasons = rows["suppression_reason"].astype("string").fillna("").to_numpy(dtype=object)[withheld] \
            if "suppression_reason" in rows.columns else np.full(int(withheld.sum()), "", dtype=object)  # fmt: skip
        uniq, inverse = np.unique(reasons.astype(str), return_inverse=True)
        start = len(notes)
        notes += [{"text": t(lang, "change_not_published", why=change_reason_text(lang, c, meta)
                             or t(lang, "not_available")), "caution": False} for c in uniq]  # fmt: skip
        sub = np.zeros(int(hit.sum()), dtype=int)
        sub[withheld] = start + inverse.reshape(-1)
        note[hit] = sub
    return change, mark, note
