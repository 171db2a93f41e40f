"""Report layout a manager reads quickly: themes, collapsible blocks, one block per question, print size."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess

import pytest

from survey_toolkit.report import render_html
from survey_toolkit.results import themes_from_instrument

from .conftest import make_meta, make_results, make_wide_results
from .test_report_plan import with_distribution

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _themed_meta():
    return dataclasses.replace(
        make_meta(),
        themes={"d_police": {"en": "D. Police", "fr": "D. Police (fr)"}},
        indicator_themes={"answers": "d_police"},
    )


def test_indicators_are_grouped_by_theme_in_collapsible_blocks():
    html = render_html(with_distribution(make_results()), meta=_themed_meta(), lang="en")
    police = html.split('<section class="theme" id="theme-d_police">', 1)[1].split('<section class="theme"', 1)[0]
    assert "<h2>D. Police</h2>" in police
    assert police.count('<details class="block">') == 1  # both answers of the question in one block
    assert 'id="ind-answers_1_"' in police and 'id="ind-answers_2_"' in police
    rest = html.split('<section class="theme" id="theme-other">', 1)[1]
    assert "<h2>Indicators</h2>" in rest and 'id="ind-trust' in rest  # no theme: listed last, titled
    assert html.index('id="theme-d_police"') < html.index('id="theme-other"')
    toc = html.split('<nav class="toc">', 1)[1].split("</nav>", 1)[0]
    assert re.search(r'href="#theme-d_police">D. Police</a>\s*<ol>\s*<li><a href="#ind-answers_1_">', toc)


def test_a_question_shows_its_answers_in_one_table():
    html = render_html(with_distribution(make_results()), meta=_themed_meta(), lang="en")
    block = html.split('<details class="block">', 1)[1].split("</details>", 1)[0]
    answers = block.split('<table class="answers">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", answers.split("<tbody>", 1)[1], flags=re.S)
    assert len(rows) == 2 and all(r.count("<td") > 3 for r in rows)  # one row per answer, rounds across
    assert "<th scope=\"col\">All locations</th>" in answers


def test_print_css_opens_every_block_and_drops_per_indicator_page_breaks():
    html = render_html(make_results(), meta=make_meta(), lang="en")
    css = html.split("<style>", 1)[1].split("</style>", 1)[0]
    printed = css.split("@media print {", 1)[1]
    assert "details.block::details-content { content-visibility: visible" in printed
    assert "section.indicator, section.annex" not in css  # no page break before every indicator


def test_themes_are_the_form_modules_in_form_order():
    from survey_toolkit.indicators.loader import load_indicators
    from survey_toolkit.instrument import read_instrument
    from tests.conftest import ROOT

    form = read_instrument(ROOT / "instruments" / "cssp_core.xlsx")
    spec = load_indicators(ROOT / "indicators.yaml", form)
    themes, owners = themes_from_instrument(spec, form, ["en", "fr"])
    assert list(themes)[:3] == ["b_safety", "c_crime", "d_police"]
    assert themes["d_police"]["fr"].startswith("D. Police")
    assert owners["trust_police"] == "d_police" and owners["guns_increased"] == "i_weapons"
    assert owners["sdg_16_7_2"] == "h_voice"  # an average of indicators: its first component's module
    assert set(owners) == set(spec.ids)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian 'chromium' is not on PATH (apt-get install -y chromium)")
def test_the_printed_demo_report_is_under_40_a4_pages(tmp_path):
    from survey_toolkit import pipeline
    from survey_toolkit.project import load_project
    from tests.conftest import ROOT

    project = load_project(ROOT / "examples" / "demo")
    project = dataclasses.replace(project, report=dataclasses.replace(project.report, output=tmp_path / "out",
                                                                      languages=("en", "fr")))  # fmt: skip
    pipeline.run(project)
    for lang in ("en", "fr"):
        pdf = tmp_path / f"report.{lang}.pdf"
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                        f"--print-to-pdf={pdf}", str(tmp_path / "out" / f"report.{lang}.html")],
                       capture_output=True, timeout=600, check=True)  # fmt: skip
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
        assert 5 < pages < 40, (lang, pages)


def test_wide_round_tables_scroll_on_screen_and_print_the_latest_ci_with_a_note():
    """22 locations x 6 rounds: the round table (21 columns) sits in a box that scrolls sideways, its first column
    sticky; printed, every round's estimate stays but the CI and n of earlier rounds are left out, and a
    print-only note under the table says so (nothing is cut silently)."""
    html = render_html(make_wide_results(), meta=make_meta(), lang="en")
    css = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "div.scroll { overflow-x: auto;" in css and "position: sticky; inset-inline-start: 0;" in css
    printed = css.split("@media print {", 1)[1].split("\n}\n", 1)[0]
    assert "table.rounds .early, table.answers .early { display: none; }" in printed
    table = html.split('<div class="scroll"><table class="rounds">', 1)[1].split("</table></div>", 1)[0]
    heads = re.findall(r'<th scope="col"( class="early")?>([^<]*)</th>', table)
    assert len(heads) == 1 + 6 * 3 + 2
    early = [h for cls, h in heads if cls]
    assert early == ["95% CI", "n"] * 5  # rounds 1-5; the estimates, R6's CI and n and the changes print
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>", 1)[1], flags=re.S)
    assert len(rows) == 23 and all(r.count('<td class="early">') == 10 for r in rows)
    after = html.split('<table class="rounds">', 1)[1]
    note = after.split("</table></div>", 1)[1].split("</p>", 1)[0].strip()
    assert note == ('<p class="note print-only">Printed: every round&#39;s estimate, with the 95% CI and n of R6 only; '
                    "the report on screen and the workbook give them for every round.")
    few = render_html(make_results(), meta=make_meta(), lang="en")  # 3 rounds: every column prints, no note
    assert 'class="early"' not in few and '<p class="note print-only">' not in few
    assert '<div class="scroll"><table class="rounds">' in few


def test_printed_findings_lists_flow_on_instead_of_leaving_the_first_page_blank():
    """A table is kept on one page when printed, except the findings' long lists (every other significant
    change: 97 rows for 22 locations x 6 rounds; every indicator at a glance), which flow on from the findings,
    rows whole, instead of starting on a new page and leaving most of the first one blank."""
    html = render_html(make_results(), meta=make_meta(), lang="en")
    printed = html.split("<style>", 1)[1].split("</style>", 1)[0].split("@media print {", 1)[1]
    assert "figure, table { break-inside: avoid; page-break-inside: avoid; }" in printed
    rule = printed.index("section.findings table { break-inside: auto; page-break-inside: auto; }")
    assert rule > printed.index("figure, table { break-inside: avoid;")  # comes later: it wins
    assert "section.findings tr { break-inside: avoid; page-break-inside: avoid; }" in printed


def test_a_heatmap_of_many_locations_is_not_printed_but_says_where_to_find_it():
    """22 districts: the heatmap's numbers would be a few pixels high on A4, so it is shown on screen
    only and the printed page says why and where to see it; a few locations print as before."""
    from survey_toolkit.report.html import HEATMAP_PRINT_MAX_LOCATIONS

    wide = render_html(make_wide_results(n_locations=22, n_rounds=3), meta=make_meta(), lang="fr")
    heat = wide[wide.index('id="heatmap"'):]
    heat = heat[:heat.index("</section>")]
    assert heat.count('<figure class="screen-only">') == 2  # since the previous round, since the baseline
    assert heat.count("Non imprimée : avec 23 lieux") == 2 and "feuille Évolutions du classeur" in heat
    assert ".screen-only { display: none !important; }" in wide  # inside @media print
    few = render_html(make_wide_results(n_locations=HEATMAP_PRINT_MAX_LOCATIONS - 1, n_rounds=3), meta=make_meta(),
                      lang="en")  # fmt: skip
    heat = few[few.index('id="heatmap"'):]
    assert "screen-only" not in heat[:heat.index("</section>")] and "Not printed" not in few
