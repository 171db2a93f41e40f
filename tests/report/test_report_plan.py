"""Which charts are drawn (each once) and which changes make the key findings."""

from __future__ import annotations

import pandas as pd

from survey_toolkit.comparison import compare_rounds
from survey_toolkit.report import ReportMeta, render
from survey_toolkit.report.charts import build_charts, chart_plan
from survey_toolkit.report.findings import key_findings, significant_changes
from survey_toolkit.report.html import render_html

from .conftest import make_meta, make_results


def with_distribution(results: pd.DataFrame) -> pd.DataFrame:
    """The fixed table plus the answer categories of a distribution (``answers[1]``, ``answers[2]``)."""
    base = results[results["indicator_id"] == "trust_police"]
    parts = [results.assign(category=pd.NA)]
    for code in ("1", "2"):
        parts.append(base.assign(indicator_id=f"answers[{code}]", base_indicator_id="answers", category=code))
    return pd.concat(parts, ignore_index=True)


def test_no_charts_for_answer_categories():
    table = with_distribution(make_results())
    plan = chart_plan(table, make_meta())
    assert set(plan) == {"trust_police", "tf_harassment", "csi"}
    figures = build_charts(table, None, meta=make_meta())
    assert not any(stem.startswith("answers") for stem in figures)


def test_no_bar_chart_when_no_location_is_published():
    table = make_results()
    only_total = table[table["location"] == "All"]
    assert chart_plan(only_total, make_meta()) == {
        ind: ("trend",) for ind in ("trust_police", "tf_harassment", "csi")
    }
    nothing = table.assign(n=10)  # every base below 30: everything suppressed
    assert chart_plan(nothing, make_meta()) == {}
    html = render_html(nothing, meta=make_meta())
    assert "data:image/svg+xml" not in html.split('id="heatmap"')[0]  # sections without charts


def test_each_chart_is_drawn_once_and_reused(tmp_path, monkeypatch):
    import survey_toolkit.report.charts.files as chart_files

    calls: list[str] = []
    real = chart_files.figure_bytes

    def counting(fig, fmt="svg", **kw):
        calls.append(fmt)
        return real(fig, fmt, **kw)

    monkeypatch.setattr(chart_files, "figure_bytes", counting)  # save_charts calls it there
    monkeypatch.setattr("survey_toolkit.report.figure_bytes", counting)
    monkeypatch.setattr("survey_toolkit.report.html.figure_bytes", counting)
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", "1")  # counted in this process
    files = render(make_results(), tmp_path, meta=make_meta(), languages=("en",), parquet=False)
    n_charts = len([p for p in files["charts"] if p.suffix == ".svg"])
    assert calls.count("svg") == n_charts  # the HTML reuses the SVG of the chart files
    assert calls.count("png") == 0  # PNG only when asked for (chart_formats)


def comparisons_for_findings() -> pd.DataFrame:
    rows = []
    for loc, level in (("All", "national"), ("D1", "admin2"), ("D2", "admin2")):
        for ind, variant, cat in (("safe", None, None), ("safe_valid", "safe", None), ("answers[1]", None, "1"),
                                  ("a", None, None), ("b", None, None), ("c", None, None), ("d", None, None),
                                  ("e", None, None)):  # fmt: skip
            for rnd, est in (("R1", 30.0), ("R2", 50.0), ("R3", 70.0)):
                rows.append(dict(indicator_id=ind, round=rnd, location=loc, location_level=level, estimate=est,
                                 se=2.0, ci_low=est - 4, ci_high=est + 4, df=30.0, n=400, unit="percent",
                                 direction="higher_is_better", variant_of=variant, category=cat))  # fmt: skip
    return compare_rounds(pd.DataFrame(rows))


def test_findings_one_sentence_per_indicator_and_location_baseline_first():
    comp = comparisons_for_findings()
    ranked = significant_changes(comp, ReportMeta())
    assert set(ranked["indicator_id"]) >= {"safe_valid", "answers[1]"}  # variants and categories are kept...
    assert ranked["_kind"].is_monotonic_increasing or ranked.groupby("_lvl")["_kind"].apply(
        lambda k: k.is_monotonic_increasing).all()  # ...after the headline estimates  # fmt: skip
    found = key_findings(comp, comp, ReportMeta(), "en", 1.0)
    texts = [item["text"] for item in found["full"]]
    assert all(" in R1 to " in tx and "Also significant since R2" in tx for tx in texts)  # baseline leads
    assert all("All locations" in tx for tx in texts[:5])  # national first
    assert found["count"] == len(ranked)


def test_findings_use_previous_when_only_it_is_significant():
    comp = comparisons_for_findings()
    comp.loc[comp["comparison"] == "baseline", ["significant_fdr"]] = False
    found = key_findings(comp, comp, ReportMeta(), "en", 1.0)
    assert found["full"] and all(" in R2 to " in item["text"] and "Also" not in item["text"] for item in found["full"])


def test_contents_list_a_distribution_once():
    html = render_html(with_distribution(make_results()), meta=make_meta(), lang="en")
    toc = html.split('<nav class="toc">', 1)[1].split("</nav>", 1)[0]
    assert toc.count('href="#ind-answers_1_"') == 1 and 'href="#ind-answers_2_"' not in toc
    assert "answers — by answer" in toc
    assert 'id="ind-answers_2_"' in html  # every category still has its section


def test_names_per_language():
    import dataclasses

    meta = dataclasses.replace(
        make_meta(),
        location_names={"R01D01": "Riverside", "R01D01:fr": "Bord-de-Rivière"},
        round_labels={"R3": "Round 3", "R3:fr": "Vague 3"},
    )
    assert meta.for_language("fr").location_names["R01D01"] == "Bord-de-Rivière"
    assert meta.for_language("en").round_labels["R3"] == "Round 3"
    fr = render_html(make_results(), meta=meta, lang="fr")
    assert "Bord-de-Rivière" in fr and "Vague 3" in fr and "Round 3" not in fr
    en = render_html(make_results(), meta=meta, lang="en")
    assert "Riverside" in en and "Round 3" in en and "Vague 3" not in en
