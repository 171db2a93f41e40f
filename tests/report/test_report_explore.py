"""The report's "Explore the results" view: the embedded JSON is the published table and nothing more, the
script is inert (no URL, no eval, no innerHTML), labels cannot break out of the JSON, languages and print."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey_toolkit.comparison import compare_rounds
from survey_toolkit.disclosure import group_columns_of
from survey_toolkit.i18n import LRM
from survey_toolkit.report import render_html
from survey_toolkit.report._common import (
    indicator_texts,
    percent_factor,
    prepare_results,
    rounds_of,
    suppression_text,
    t,
)
from survey_toolkit.report.explore import ROW_FIELDS, WITHHELD_FIELDS, explore_payload, json_for_html, rounded

from .conftest import LOCATIONS, make_meta, make_results

SCRIPT = Path(__file__).parents[2] / "survey_toolkit" / "report" / "templates" / "explore.js"
HOSTILE = "</script><script>alert(1)</script>"


def _data(html: str) -> dict:
    found = re.findall(r'<script type="application/json" id="explore-data">(.*?)</script>', html, flags=re.S)
    assert len(found) == 1
    return json.loads(found[0])


def _rows(data: dict) -> list[dict]:
    """Every row as a dict of :data:`ROW_FIELDS`: the published ones, then those withheld (which carry only
    :data:`WITHHELD_FIELDS`: no number at all), as the script reads them."""
    assert tuple(data["fields"]) == ROW_FIELDS and tuple(data["withheld_fields"]) == WITHHELD_FIELDS
    rows = [dict(zip(ROW_FIELDS, row, strict=True)) for row in data["rows"]]
    empty = dict.fromkeys(ROW_FIELDS, None) | {"mark": 0, "change_note": 0}
    return rows + [empty | dict(zip(WITHHELD_FIELDS, row, strict=True)) for row in data["withheld"]]


@pytest.fixture(scope="module")
def html_en() -> str:
    return render_html(make_results(), meta=make_meta(), lang="en")


@pytest.fixture(scope="module")
def data_en(html_en) -> dict:
    return _data(html_en)


def test_json_round_trips_the_published_table(data_en):
    """Every row of the report's table is in the JSON once, with the value, CI and n the tables show; a withheld
    estimate has no number, only its reason in words."""
    table = prepare_results(make_results())
    rows = _rows(data_en)
    assert len(rows) == len(table)
    inds = [i["label"] for i in data_en["indicators"]]
    locs = [loc["name"] for loc in data_en["locations"]]
    by_key = {(inds[r["indicator"]], locs[r["location"]], data_en["rounds"][r["round"]]): r for r in rows}
    names = {"All": "All locations", "R01D01": "Riverside", "R01D02": "Hillcrest"}
    labels = {"trust_police": "Trust the police somewhat or a lot", "csi": "Community Safety Index (0–100)",
              "tf_harassment": "Technology-facilitated harassment <b>(12 months)</b>"}  # fmt: skip
    for rec in table.to_dict("records"):
        got = by_key[(labels[rec["indicator_id"]], names.get(rec["location"], rec["location"]), rec["round"])]
        assert got["n"] == rec["n"]
        note = data_en["notes"][got["note"]]
        if rec["suppressed"]:
            assert got["estimate"] is None and got["ci_low"] is None and got["ci_high"] is None
            assert got["change"] is None
            why = suppression_text("en", rec["suppression_reason"], rec.get("protects"), make_meta())
            assert note["text"] == "estimate not published: " + why  # the workbook's words
        else:
            assert got["estimate"] == round(rec["estimate"], 1)
            assert (got["ci_low"], got["ci_high"]) == (round(rec["ci_low"], 1), round(rec["ci_high"], 1))
            assert note["caution"] == bool(rec["caution"])


def test_change_since_previous_round_as_published(data_en):
    rows = _rows(data_en)
    overall = [r for r in rows if r["location"] == 0 and r["indicator"] == 0]
    latest = next(r for r in overall if r["round"] == data_en["latest"])
    assert latest["change"] == 13.0 and latest["mark"] == 2  # 42.0 -> 55.0, significant after FDR
    assert all(r["change"] is None for r in overall if r["round"] != data_en["latest"])
    riverside = next(r for r in rows if r["indicator"] == 0 and data_en["locations"][r["location"]]["name"] ==
                     LOCATIONS[2] and r["round"] == data_en["latest"])  # fmt: skip
    # its R2 estimate is withheld: the change is not published and says why
    assert riverside["change"] is None and riverside["mark"] == 0
    assert data_en["notes"][riverside["change_note"]]["text"] == "change not published: the R2 estimate is not published"


def _parts(lang: str = "en"):
    table = prepare_results(make_results())
    meta = make_meta()
    comp = compare_rounds(table)
    groups = [g for g in group_columns_of(table) if g != "location"]
    return table, comp, meta, rounds_of(table, meta), percent_factor(table), indicator_texts(table, meta, lang), groups


def test_no_suppressed_value_even_when_the_table_still_holds_it():
    """Defence in depth: a table whose suppressed rows still carry their numbers (a caller who set
    ``suppressed`` without blanking) publishes none of them; this fails if a withheld value leaks."""
    table, comp, meta, order, factor, texts, groups = _parts()
    raw = make_results()
    leaky = table.copy()
    for col in ("estimate", "ci_low", "ci_high"):
        leaky[col] = raw[col].to_numpy()
    comp = comp.assign(change=comp["change"].fillna(99.25))
    data = json.loads(explore_payload(leaky, comp, meta, "en", order, factor, texts, groups))
    rows = _rows(data)
    secret = {round(v, 1) for v in raw.loc[table["suppressed"].to_numpy(), ["estimate", "ci_low", "ci_high"]].to_numpy().ravel()}
    withheld = [r for r in rows if data["notes"][r["note"]]["text"].startswith("estimate not published")]
    assert len(withheld) == int(table["suppressed"].sum()) == 8
    for r in withheld:
        assert (r["estimate"], r["ci_low"], r["ci_high"], r["change"]) == (None, None, None, None)
    assert len(data["withheld"]) == 8 and all(len(row) == len(WITHHELD_FIELDS) for row in data["withheld"])
    assert all(row[4] is not None for row in data["rows"])  # the published rows: every one has its estimate
    published = {v for r in rows if r not in withheld for v in (r["estimate"], r["ci_low"], r["ci_high"])}
    assert secret - published, "every withheld value would also be a published one: the test proves nothing"
    assert 99.2 not in {r["change"] for r in rows} and 99.3 not in {r["change"] for r in rows}


def test_no_respondent_level_columns():
    table, comp, meta, order, factor, texts, groups = _parts()
    data = json.loads(explore_payload(table.assign(respondent_phone="+254700000000"), comp, meta, "en", order, factor,
                                      texts, groups))  # fmt: skip
    assert tuple(data["fields"]) == ROW_FIELDS
    assert "254700000000" not in json.dumps(data)


def test_script_is_inert_and_offline(html_en):
    script = SCRIPT.read_text(encoding="utf-8")
    inline = re.findall(r"<script>(.*?)</script>", html_en, flags=re.S)
    assert inline == [script]
    for bad in ("http", "//", "eval", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "Function(",
                "import(", "fetch", "XMLHttpRequest", "WebSocket", "setTimeout", "src", "href", "</", "<!--"):  # fmt: skip
        code = re.sub(r"/\*.*?\*/", "", script, flags=re.S)  # the comment may say what the code does not do
        assert bad not in code, bad


@pytest.mark.parametrize("where", ["indicator", "location", "group"])
def test_hostile_labels_stay_inert(where):
    results = make_results()
    meta = make_meta()
    if where == "indicator":
        results["label_en"] = np.where(results["indicator_id"] == "csi", HOSTILE, results["label_en"])
    elif where == "location":
        meta = dataclasses.replace(meta, location_names={**meta.location_names, "R01D01": HOSTILE})
    else:
        extra = results[results["location"] == "All"].assign(sex="2")
        results = pd.concat([results.assign(sex=pd.NA), extra], ignore_index=True)
        meta = dataclasses.replace(meta, group_labels={"sex": {"2": HOSTILE}})
    html = render_html(results, meta=meta, lang="en")
    assert "<script>alert(1)" not in html
    assert len(re.findall(r"<script", html)) == 2  # the JSON block and the view's script, nothing more
    block = html.split('id="explore-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block and ">" not in block and "&" not in block
    data = json.loads(block)
    texts = [i["label"] for i in data["indicators"]] + [loc["name"] for loc in data["locations"]] + data["groups"]
    assert any(HOSTILE in text for text in texts)  # the label itself is kept, as text
    if where == "group":
        assert data["groups"] == ["", f"Sex: {HOSTILE}"]
        fr = _data(render_html(results, meta=meta, lang="fr"))
        assert fr["groups"] == ["", f"Sexe : {HOSTILE}"]  # the language's own punctuation (explore_group_value)


def test_json_for_html_escapes_what_could_end_the_element():
    text = json.dumps({"a": "</script><!-- & \u2028\u2029 >"}, ensure_ascii=False)
    safe = json_for_html(text)
    assert not set("<>&\u2028\u2029") & set(safe)
    assert json.loads(safe) == json.loads(text)


def test_rounding_is_the_report_s():
    values = np.array([12.25, 0.15, 2.675, -0.04, 1.005, 36.049289, np.nan])
    digits = np.array([1, 1, 2, 1, 2, 1, 1])
    out = rounded(values, digits)
    expected = [round(float(v), int(d)) + 0.0 for v, d in zip(values[:-1], digits[:-1], strict=True)]
    assert out[:-1].tolist() == expected and np.isnan(out[-1])


def test_without_javascript_and_in_print(html_en):
    section = html_en.split('<section class="explore" id="explore">', 1)[1].split("</section>", 1)[0]
    assert "<noscript><p class=\"note\">This interactive view needs JavaScript" in section
    assert "(results.en.xlsx)" in section
    assert '<div class="explore-view" id="explore-view" hidden>' in section  # shown by the script only
    assert "@media print { section.explore { display: none; } }" in html_en
    assert '<a href="#explore">Explore the results</a>' in html_en


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_languages(lang):
    html = render_html(make_results(), meta=make_meta(), lang=lang)
    data = _data(html)
    assert data["text"]["explore_change"] == t(lang, "explore_change") != t("en", "explore_change")
    assert t(lang, "explore") in html
    if lang == "ar":
        assert data["fmt"]["prefix"] == LRM and 'dir="rtl"' in html
        assert "[dir=\"rtl\"] table.explore .explore-text" in html
    else:
        assert data["fmt"]["decimal"] == "," and data["fmt"]["prefix"] == ""


def test_no_rows_no_view():
    """A table where nobody belongs to any row: no view (and no empty JSON)."""
    table, comp, meta, order, factor, texts, groups = _parts()
    assert explore_payload(table.assign(n=0), comp, meta, "en", order, factor, texts, groups) is None


def test_indicators_by_theme_in_the_report_s_order():
    """The indicator selector groups the indicators by the report's themes (their titles in the report's
    language; an indicator without a theme under 'Indicators')."""
    meta = dataclasses.replace(
        make_meta(),
        themes={"b": {"en": "B. Feelings of safety", "fr": "B. Sentiment de sécurité"}, "d": {"en": "D. Police"}},
        indicator_themes={"trust_police": "d", "csi": "b"},
    )
    data = _data(render_html(make_results(), meta=meta, lang="fr"))
    assert data["themes"] == ["B. Sentiment de sécurité", "D. Police"]
    assert {i["label"]: i["theme"] for i in data["indicators"]} == {
        "Font confiance à la police": 1, "Harcèlement en ligne (12 mois)": -1,
        "Indice de sécurité communautaire (0–100)": 0}  # fmt: skip
    assert data["text"]["indicators"] == t("fr", "indicators")
    assert _data(render_html(make_results(), meta=make_meta()))["themes"] == []
