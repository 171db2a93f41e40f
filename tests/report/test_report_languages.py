"""The demo report in every interface language: fully translated, numbers per language, Arabic right to left.

The demo project (examples/demo) is computed once, with every available language as a report language,
and its HTML report rendered in each (the workbooks and charts go through the same catalog).
"""

from __future__ import annotations

import dataclasses
import html as html_lib
import re

import pytest

from survey_toolkit.i18n import LRM, available_languages, catalog
from survey_toolkit.report import render_html
from survey_toolkit.report.texts import MESSAGES
from tests.conftest import ROOT

LANGUAGES = available_languages()
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from survey_toolkit.pipeline import report_meta, run
    from survey_toolkit.project import load_project

    folder = tmp_path_factory.mktemp("demo")
    text = (ROOT / "examples" / "demo" / "survey.yaml").read_text(encoding="utf-8")
    text = text.replace("languages: [en, fr]", f"languages: [{', '.join(LANGUAGES)}]")
    for name in ("round1_kobo.xlsx", "round2_central.zip", "round3_spss.sav", "sample_frame.csv",
                 "census_margins.csv", "census_cells.csv", "district_covariates.csv"):  # fmt: skip
        (folder / name).write_bytes((ROOT / "examples" / "demo" / name).read_bytes())
    text = text.replace("../../instruments", str(ROOT / "instruments"))
    text = text.replace("../../indicators.yaml", str(ROOT / "indicators.yaml"))
    (folder / "survey.yaml").write_text(text, encoding="utf-8")
    project = load_project(folder)
    result = run(project, until="compare", write=False)
    meta = report_meta(project, result.inputs, checked=result.checked, weighted=result.weighted)
    return result.table, result.comparisons, meta


@pytest.fixture(scope="module")
def pages(demo):
    table, comparisons, meta = demo
    return {lang: render_html(table, comparisons, meta=meta, lang=lang) for lang in LANGUAGES}


def _visible(page: str) -> str:
    """The text a reader sees: no tags, no style, no data URIs; entities decoded."""
    body = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    body = re.sub(r'src="[^"]*"', " ", body)
    body = re.sub(r'alt="([^"]*)"', r"> \1 <", body)
    return re.sub(r"[ \t\r\n]+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def _fragments(english: str) -> list[str]:
    """Pieces of an English interface string long enough to be recognised (its text between placeholders)."""
    return [p.strip(" :;,.()") for p in PLACEHOLDER.split(english) if len(p.strip(" :;,.()")) >= 14]


def test_every_language_is_offered():
    assert {"en", "fr", "es", "ar", "pt"} <= set(LANGUAGES)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_no_english_interface_text_left(pages, demo, lang):
    """Every interface string the demo shows is in the report language: no English fixed text remains
    (the labels and title of the demo, which has only en/fr ones, fall back to English with a note)."""
    _, _, meta = demo
    data_text = " ".join([*meta.title.values(), *(v for d in meta.indicator_labels.values() for v in d.values() if v)])
    seen = _visible(pages[lang])
    english_seen = _visible(pages["en"])
    tr = catalog(lang)
    leaks = []
    for key, english in MESSAGES.items():
        if tr.pgettext(key, english) == english:
            continue  # the same words in both languages ('n', '%')
        leaks += [(key, frag) for frag in _fragments(english)
                  if frag in english_seen and frag in seen and frag not in data_text]
    assert not leaks, f"{lang}: English interface text in the report: {leaks[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_structure_is_the_same_in_every_language(pages, lang):
    """Same sections, tables, figures and rows as the English report: only words and numbers change."""
    def shape(page):
        return [len(re.findall(pattern, page)) for pattern in
                (r"<section", r"<table", r"<tr", r"<figure", r"<li", r'id="[^"]+"')]  # fmt: skip

    assert shape(pages[lang]) == shape(pages["en"])
    assert re.findall(r'id="([^"]+)"', pages[lang]) == re.findall(r'id="([^"]+)"', pages["en"])


@pytest.mark.parametrize(("lang", "decimal"), [("en", "."), ("fr", ","), ("es", ","), ("pt", ","), ("ar", ".")])
def test_numbers_follow_the_language(pages, lang, decimal):
    seen = _visible(pages[lang])
    pct = re.findall(r"\d+([.,])\d(\u00a0?)%", seen)
    assert pct, lang
    assert {d for d, _ in pct} == {decimal}
    assert {space for _, space in pct} == ({"\u00a0"} if lang in ("fr", "es") else {""})


def test_arabic_is_right_to_left(pages):
    ar, en = pages["ar"], pages["en"]
    assert '<html lang="ar" dir="rtl">' in ar and '<html lang="en" dir="ltr">' in en
    assert '[dir="rtl"] nav.toc' in ar and '[dir="rtl"]' not in en  # mirrored layout rules only for RTL
    # numbers keep their reading order inside right-to-left text
    assert re.search(LRM + r"[+−]?\d+\.\d%", ar) and LRM not in en
    assert "أبرز النتائج" in ar  # 'Key findings'
    # an SDG code such as 16.b.1 keeps its order (it read 'b.1.16' inside right-to-left text)
    assert '<bdi dir="ltr">16.b.1</bdi>' in ar
    assert 'direction="rtl"' in html_lib.unescape(ar) or "ZGlyZWN0aW9uPSJydGwi" in ar  # charts' text runs RTL


def test_labels_fall_back_with_a_note(pages, demo):
    """The demo's form and indicators have English and French labels only: es/ar/pt show the English
    labels and say so; en and fr have no note."""
    _, _, meta = demo
    assert dict(meta.label_fallback) == {lang: "en" for lang in LANGUAGES if lang not in ("en", "fr")}
    notes = {
        "es": "Algunas etiquetas no están disponibles en este idioma y se muestran en inglés.",
        "pt": "Alguns rótulos não estão disponíveis neste idioma e aparecem em inglês.",
        "ar": "بعض التسميات غير متاحة بهذه اللغة وتظهر باللغة الإنجليزية.",
    }
    for lang, note in notes.items():
        assert note in pages[lang]
    assert "Certains libellés" not in pages["fr"] and "labels are not available" not in pages["en"]


def test_interviewer_cues_are_not_published(pages):
    """The standard form's answers read 'Refused (do not read)'; the reports never show the cue."""
    for lang, page in pages.items():
        for cue in ("(do not read)", "(ne pas lire)", "do not read", "ne pas lire"):
            assert cue not in _visible(page), (lang, cue)
    assert "Refused" in _visible(pages["en"]) or "Don't know" in _visible(pages["en"])


def test_french_wording(pages):
    fr = _visible(pages["fr"])
    assert "— s'est amélioré à" not in fr and "à Ensemble des localités" not in fr
    assert re.search(r"\(Ensemble des localités\) : (amélioration|détérioration|hausse|baisse), de ", fr)


def test_meta_languages_are_independent(demo):
    """Rendering one language never changes another (no shared state in the catalogs)."""
    table, comparisons, meta = demo
    first = render_html(table, comparisons, meta=meta, lang="fr")
    render_html(table, comparisons, meta=dataclasses.replace(meta), lang="ar")
    assert render_html(table, comparisons, meta=meta, lang="fr") == first


def test_arabic_workbook_reads_right_to_left(tmp_path):
    import openpyxl

    from survey_toolkit.report import write_excel
    from tests.report.conftest import make_meta, make_results

    ar = openpyxl.load_workbook(write_excel(tmp_path / "ar.xlsx", make_results(), meta=make_meta(), lang="ar"))
    en = openpyxl.load_workbook(write_excel(tmp_path / "en.xlsx", make_results(), meta=make_meta(), lang="en"))
    assert all(ws.sheet_view.rightToLeft for ws in ar.worksheets)
    assert not any(ws.sheet_view.rightToLeft for ws in en.worksheets)
    assert ar.sheetnames[0] == "الفهرس"  # 'Index'
