"""The single-file HTML report: self-contained, escaped, suppression shown, bilingual, deterministic."""

from __future__ import annotations

import dataclasses
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from survey_toolkit.comparison import compare_rounds
from survey_toolkit.report import ReportMeta, render_html, write_html, write_tidy
from survey_toolkit.report.html import environment

from .conftest import make_meta, make_results

GOLDEN = Path(__file__).parent / "golden"
STAMP = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def html_en() -> str:
    return render_html(make_results(), meta=dataclasses.replace(make_meta(), generated_at=STAMP), lang="en")


@pytest.fixture(scope="module")
def html_fr() -> str:
    return render_html(make_results(), meta=make_meta(), lang="fr")


def test_self_contained(html_en):
    lower = html_en.lower()
    # the only 'http' is the escaped text of a place name in the data, never a URL
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:|//)|url\(", lower)
    assert "http" not in render_html(tiny()).lower()  # no URL of any kind without such data
    assert "<link" not in lower and "@import" not in lower
    # the only scripts: the explore view's JSON block and its inline script (tests/report/test_report_explore.py)
    assert re.findall(r"<script[^>]*>", lower) == ['<script type="application/json" id="explore-data">', "<script>"]
    srcs = re.findall(r'src="([^"]*)"', html_en)
    assert srcs and all(s.startswith("data:image/svg+xml;base64,") for s in srcs)
    assert "<style>" in html_en and "@media print" in html_en and "break-before: page" in html_en


def test_wide_heatmap_keeps_its_drawn_size_on_screen_and_fits_the_page_in_print(html_en):
    """With 22 districts the heatmap is drawn about 1,600 px wide: scaled to the text column its 8.5 px
    numbers would read at 5 px, so on screen it keeps its size and scrolls sideways; in print it fits."""
    screen, printed = html_en.split("@media print", 1)
    assert "section.heatmap figure { overflow-x: auto; }" in screen
    assert "section.heatmap figure img { width: auto; max-width: none; }" in screen
    rule = printed.split("section.heatmap figure img {", 1)[1].split("}", 1)[0]
    assert "max-width: 100%" in rule and "max-height: 205mm" in rule


def test_text_from_data_is_escaped(html_en):
    assert "<script>alert(1)</script>" not in html_en
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_en
    assert "<b>(12 months)</b>" not in html_en  # markup in a label is shown, not rendered
    assert "&lt;b&gt;(12 months)&lt;/b&gt;" in html_en


def test_autoescape_and_strict_undefined():
    env = environment()
    assert env.from_string("{{ x }}").render(x="<i>") == "&lt;i&gt;"
    with pytest.raises(Exception, match="undefined"):
        env.get_template("report.html.j2").render()


def test_structure_and_key_findings(html_en):
    for anchor in ("findings", "ind-trust_police", "ind-tf_harassment", "ind-csi", "heatmap", "methodology"):
        assert f'id="{anchor}"' in html_en
    # the change since the baseline is the headline; the one since the previous round is added when significant
    assert (
        "Trust the police somewhat or a lot (All locations): improved, from 40.0% in R1 to 55.0% in R3 (+15.0 points)."
        " Also significant since R2 (+13.0 points)." in html_en
    )
    assert "(Hillcrest): improved, from 38.5% in R1 to 53.5% in R3" in html_en
    assert html_en.count('<p class="generated">') == 1 and "Generated January 2, 2026, 3:04:05\u202fAM UTC" in html_en


def _table_rows(html: str, anchor: str) -> list[str]:
    section = html.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<tr[^>]*>(.*?)</tr>", section, flags=re.S)


def test_suppressed_cells_dash_with_footnote_and_caution_in_parentheses(html_en):
    rows = _table_rows(html_en, "ind-tf_harassment")
    riverside = next(r for r in rows if "Riverside" in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", riverside)
    assert cells[-5] == "—"  # R3 estimate: small sensitive cell
    assert 'class="sup"' in riverside
    section = html_en.split('id="ind-tf_harassment"', 1)[1].split("</section>", 1)[0]
    note = re.search(r"<li>— estimate not published: ([^<]*)</li>", section).group(1)
    assert "fewer than 5 respondents in the numerator of a sensitive indicator" in note
    assert "cannot be derived" in section  # the secondary suppression is explained too
    assert (  # ... and each withheld cell that protects another names it (never its value)
        "<li>— Hillcrest, R3: withheld so that the withheld value for Riverside cannot be worked out from the "
        "total and the other published values.</li>" in section
    )
    assert "withheld value for &lt;script&gt;alert(1)&lt;/script&gt;" in section  # escaped like any name
    hill = next(r for r in _table_rows(html_en, "ind-trust_police") if "Hillcrest" in r)
    assert "(53.5)" in hill  # base 45: interpret with caution
    assert "interpret with caution" in html_en


def test_methodology_annex(html_en):
    annex = html_en.split('id="methodology"', 1)[1]
    for text in (
        "Sample sizes",
        "Two-stage cluster sample",
        "Design effect of weighting (Kish)",
        "speeding (&lt; 8 min)",
        "Definitions",
        "d1 in {3, 4} among valid answers",
        "Unweighted base below 30",
    ):
        assert text in annex, text
    assert "kish_deff" not in annex and ">True<" not in annex  # no internal names


def test_french_report(html_fr):
    assert '<html lang="fr" dir="ltr">' in html_fr
    for text in (
        "Principaux résultats",
        "Font confiance à la police",
        "Méthodologie",
        "Ensemble des localités",
    ):
        assert text in html_fr, text
    assert "55,0" in html_fr  # decimal comma
    assert "Key findings" not in html_fr


def tiny() -> pd.DataFrame:
    rows = []
    for rnd, est in (("R1", 40.0), ("R2", 47.0)):
        for loc, shift, n in (("All", 0.0, 300), ("North", 2.0, 150), ("South", -2.0, 20)):
            e = est + shift
            rows.append(
                dict(
                    indicator_id="trust",
                    round=rnd,
                    location=loc,
                    estimate=e,
                    se=2.0,
                    ci_low=e - 4,
                    ci_high=e + 4,
                    df=20.0,
                    n=n,
                    unit="percent",
                    direction="higher_is_better",
                    label_en="Trust",
                    label_fr="Confiance",
                )
            )
    return pd.DataFrame(rows)


def _strip(html: str) -> str:
    html = re.sub(r'src="data:[^"]*"', 'src="data:IMAGE"', html)
    return "\n".join(line for line in html.splitlines() if 'class="generated"' not in line) + "\n"


def test_deterministic_apart_from_the_timestamp_line(tmp_path):
    meta = ReportMeta(generated_at=STAMP)
    a = write_html(tmp_path / "a.html", tiny(), meta=meta).read_bytes()
    later = dataclasses.replace(meta, generated_at=datetime(2027, 5, 6, tzinfo=timezone.utc))
    b = write_html(tmp_path / "b.html", tiny(), meta=later).read_bytes()
    assert a != b
    strip = [ln for ln in a.splitlines() if b'class="generated"' not in ln]
    assert strip == [ln for ln in b.splitlines() if b'class="generated"' not in ln]


def test_golden_small_report():
    """Text of the report for a fixed table (charts replaced by a placeholder).

    Regenerate after an intended change with ``SURVEY_TOOLKIT_REGEN_GOLDEN=1``.
    """
    html = _strip(render_html(tiny(), meta=ReportMeta(), lang="en"))
    golden = GOLDEN / "tiny_report.en.html"
    if os.environ.get("SURVEY_TOOLKIT_REGEN_GOLDEN"):
        golden.write_text(html, encoding="utf-8")
    assert html == golden.read_text(encoding="utf-8")


def test_write_is_atomic_and_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    import survey_toolkit.report.html as mod

    def boom(*a, **k):
        raise RuntimeError("render failed")

    monkeypatch.setattr(mod, "render_html", boom)
    with pytest.raises(RuntimeError):
        mod.write_html(target, tiny())
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_given_comparisons_are_used():
    comp = compare_rounds(tiny())
    comp["interpretation"] = "worsened"
    comp["significant_fdr"] = True
    html = render_html(tiny(), comp)
    assert "Trust (All locations): worsened" in html


def test_breakdown_table_uses_group_names_and_labels():
    rows = tiny()
    extra = rows[rows["location"] == "All"].assign(
        a1_sex="2", estimate=44.0, ci_low=40.0, ci_high=48.0, n=150
    )
    empty = extra.assign(a1_sex="99", n=0)  # nobody in the group: left out
    table = pd.concat([rows, extra, empty], ignore_index=True)
    html = render_html(table, meta=ReportMeta(group_labels={"a1_sex": {"2": "Female <F>"}}), lang="en")
    section = html.split('id="ind-trust"', 1)[1].split("</section>", 1)[0]
    breakdown = section.split('<table class="breakdown">', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", breakdown)
    assert cells == ["All locations", "Sex", "Female &lt;F&gt;", "44.0", "40.0–48.0", "150"]
    fr = render_html(table, lang="fr")
    assert "Sexe" in fr and "Ventilation" in fr


def test_one_screen_summary_of_the_sdg_16_headline_indicators_comes_first():
    table = make_results().assign(sdg=lambda r: r["indicator_id"].map({"trust_police": "16.6.2", "csi": None,
                                                                       "tf_harassment": "16.1.3"}))  # fmt: skip
    html = render_html(table, meta=make_meta(), lang="en")
    body = html.split("<body>", 1)[1]
    assert body.index('id="summary"') < body.index('id="findings"') < body.index('id="ind-trust_police"')
    summary = body.split('id="summary"', 1)[1].split("</section>", 1)[0]
    cards = re.findall(r'<div class="card ([^"]*)">(.*?)</div>', summary)
    assert len(cards) == 2  # the two SDG 16 indicators; the index has no SDG number
    cls, trust = cards[0]
    assert cls == "improved" and "SDG <bdi dir=\"ltr\">16.6.2</bdi>" in trust and "55.0%" in trust and "[53.0–57.0]" in trust
    assert "+15.0 points* since R1" in trust


def test_a_zero_percent_cell_is_shown_with_its_note_not_withheld():
    # 0% of 50 respondents: SE 0 and the NCHS Korn-Graubard interval [0, 7.1] (n = 50, df = 49)
    table = tiny()
    table.loc[table["location"] == "South", "n"] = 150
    zero = (table["location"] == "North") & (table["round"] == "R2")
    table.loc[zero, ["estimate", "se", "ci_low", "ci_high", "n"]] = [0.0, 0.0, 0.0, 7.112173646, 50]
    section = render_html(table, meta=ReportMeta(), lang="en").split('id="ind-trust"', 1)[1].split("</section>")[0]
    north = next(r for r in re.findall(r"<tr>.*?</tr>", section) if "North" in r)
    assert "<td>(0.0)</td><td>0.0–7.1</td><td>50</td>" in north
    assert "every respondent in the group gave the same answer, so the standard error is 0" in section
    assert "relative to the estimate" not in section


def test_answers_outside_the_choice_lists_are_in_the_annex_translated_without_the_answers():
    off = pd.DataFrame({"round": ["R1", "R3"], "question": ["d1_trust_police", "b4_safe_day"],
                        "answers": [578, 570], "off_list": [1, 12], "share": [1 / 578, 12 / 570],
                        "rule": ["missing", "other"], "label:en": ["Trust in the police", None],
                        "label:fr": ["Confiance dans la police", None]})  # fmt: skip
    meta = dataclasses.replace(make_meta(), off_list=off)
    annex = render_html(make_results(), meta=meta, lang="en").split('id="methodology"', 1)[1]
    section = annex.split("<h3>Answers outside the choice lists</h3>", 1)[1].split("<h3>", 1)[0]
    rows = re.findall(r"<tr><td>(.*?)</td></tr>", section)
    assert rows == [
        "R1</td><td>Trust in the police (d1_trust_police)</td><td>578</td><td>1</td><td>0.2</td><td>as missing: out "
        "of the base of the indicators reading the question",
        "R3</td><td>b4_safe_day</td><td>570</td><td>12</td><td>2.1</td><td>as another answer: in the base, never as "
        "a listed choice",
    ]
    assert "off_list.csv" in section
    french = render_html(make_results(), meta=meta, lang="fr").split('id="methodology"', 1)[1]
    assert "<h3>Réponses hors des listes de choix</h3>" in french
    assert "Confiance dans la police (d1_trust_police)</td><td>578</td><td>1</td><td>0,2</td>" in french
    assert "off_list" not in render_html(make_results(), meta=make_meta(), lang="en")  # none: no section


def test_a_protected_answer_category_is_named_in_words_not_by_its_code(tmp_path):
    answers = {"1": ("Very safe", 40), "2": ("Fairly safe", 3), "3": ("A bit unsafe", 100), "4": ("Very unsafe", 57)}
    rows = [dict(indicator_id=f"safe[{code}]", base_indicator_id="safe", category=code, type="distribution",
                 sensitive=True, round=rnd, location="All", estimate=k / 2, se=1.0, ci_low=k / 2 - 2,
                 ci_high=k / 2 + 2, n=200, n_numerator=k, unit="percent", label_en=f"Feel safe ({label})")
            for rnd in ("R1", "R2") for code, (label, k) in answers.items()]  # fmt: skip
    html = render_html(pd.DataFrame(rows), meta=ReportMeta(), lang="en")
    why = "withheld so that the withheld value for Feel safe (Fairly safe) × All locations cannot be worked out"
    assert f"<li>— All locations, R1; All locations, R2: {why}" in html  # 'Very safe' protects 'Fairly safe'
    write_tidy(tmp_path, pd.DataFrame(rows))
    tidy = pd.read_csv(tmp_path / "results.csv")
    assert tidy.loc[tidy["category"] == 1, "protects"].tolist() == ["indicator=safe[2];location=All"] * 2
    assert tidy.loc[tidy["category"] == 1, "suppression_note"].str.startswith(why).all()


def test_a_protected_answer_category_reads_as_the_answer_when_the_question_label_is_known():
    answers = {"1": ("Very safe", 40), "2": ("Fairly safe", 3), "3": ("A bit unsafe", 100), "4": ("Very unsafe", 57)}
    rows = [dict(indicator_id=f"safe[{code}]", base_indicator_id="safe", category=code, type="distribution",
                 sensitive=True, round="R1", location="All", estimate=k / 2, se=1.0, ci_low=k / 2 - 2,
                 ci_high=k / 2 + 2, n=200, n_numerator=k, unit="percent", label_en=f"Feel safe ({label})")
            for code, (label, k) in answers.items()]  # fmt: skip
    meta = ReportMeta(indicator_labels={"safe": {"en": "Feel safe"}})
    html = render_html(pd.DataFrame(rows), meta=meta, lang="en")
    assert "<li>— All locations, R1: withheld so that the withheld value for Fairly safe × All locations cannot" in html
