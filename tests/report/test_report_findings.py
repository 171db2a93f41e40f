"""Key findings: every significant change after FDR appears (in full or in the table), ranked national
first, each naming the rounds it compares; suppressed changes say what is withheld and why."""

from __future__ import annotations

import re

import pandas as pd

from survey_toolkit.comparison import compare_rounds
from survey_toolkit.disclosure import ReportingRules, apply_rules
from survey_toolkit.report import ReportMeta, render_html
from survey_toolkit.report.findings import (
    REST_OPEN,
    TOP_FINDINGS,
    finding_sentences,
    key_findings,
    significant_changes,
)


def many_changes() -> pd.DataFrame:
    """12 indicators x (national + 2 regions + 6 districts) x 3 rounds; most change a lot in the districts,
    and one indicator ('accountability') worsens nationally by 9.5 points, less than many district changes."""
    rows = []
    places = [("All", "national"), ("R1", "admin1"), ("R2", "admin1"),
              *((f"D{i}", "admin2") for i in range(1, 7))]  # fmt: skip
    for k in range(12):
        ind = "accountability" if k == 0 else f"ind{k:02d}"
        for j, (loc, level) in enumerate(places):
            for r, rnd in enumerate(("R1", "R2", "R3")):
                if ind == "accountability" and loc == "All":
                    est = (50.0, 46.0, 40.5)[r]
                else:
                    est = 30.0 + k + (j * 2.5 * r if level == "admin2" else 0.5 * r)
                n = 1500 if loc == "All" else (400 if level == "admin1" else 150)
                se = 1.2 if loc == "All" else (2.0 if level == "admin1" else 3.0)
                rows.append(dict(indicator_id=ind, round=rnd, location=loc, location_level=level, estimate=est,
                                 se=se, ci_low=est - 2 * se, ci_high=est + 2 * se, df=60.0, n=n, unit="percent",
                                 direction="higher_is_better", label_en=f"Label {ind}",
                                 sensitive=(k == 3)))  # fmt: skip
    # one district's round 2 is too small to publish: its changes are withheld
    table = pd.DataFrame(rows)
    table.loc[(table["location"] == "D6") & (table["round"] == "R2"), "n"] = 12
    return table


def test_every_significant_change_appears():
    results = apply_rules(many_changes())
    comp = compare_rounds(results)
    meta = ReportMeta()
    sig = comp[comp["significant_fdr"].fillna(False).astype(bool) & ~comp["suppressed"]]
    assert len(sig) > 3 * TOP_FINDINGS  # more than fit in full: the table must hold the rest
    found = key_findings(results, comp, meta, "en", 1.0)
    assert found["count"] == len(sig)
    html = render_html(results, comp, meta=meta, lang="en")
    section = html.split('id="findings"', 1)[1].split("</section>", 1)[0]
    full = [item["text"] for item in found["full"]]
    rest = [" | ".join(c["text"] for c in row["cells"]) for row in found["rest"]["rows"]]
    assert len(full) == TOP_FINDINGS
    for row in sig.to_dict("records"):
        label, place = f"Label {row['indicator_id']}", "All locations" if row["location"] == "All" else row["location"]
        change = f"{row['change']:+.1f}".replace("-", "−") + " points"
        in_full = [tx for tx in full if label in tx and f" ({place}):" in tx and change in tx
                   and f"R{row['round_from'][-1]}" in tx]  # fmt: skip
        in_rest = [tx for tx in rest if tx.startswith(label + " | " + place + " | " + row["round_from"] + " → ")
                   and change in tx]  # fmt: skip
        assert in_full or in_rest, (row["indicator_id"], row["location"], row["comparison"])
        for text in in_full + in_rest:  # and the HTML shows it (escaped text)
            assert text.split(" | ")[0] in section
    assert len(re.findall(r"<tr>", section.split("<h3>", 1)[1].split("</table>", 1)[0])) == len(rest) + 1


def test_every_other_change_is_one_collapsible_list_counted_and_ranked():
    """Long (103 rows): a closed <details> whose summary line gives the count, every row inside, in the order of
    importance; short (8 rows): the same list, open. Printed, the list is opened whole (print CSS)."""
    results = apply_rules(many_changes())
    comp = compare_rounds(results)
    found = key_findings(results, comp, ReportMeta(), "en", 1.0)
    rows = found["rest"]["rows"]
    assert len(rows) == 103 > REST_OPEN and found["rest_open"] is False
    html = render_html(results, comp, meta=ReportMeta(), lang="en")
    section = html.split('id="findings"', 1)[1].split("</section>", 1)[0]
    summary = "<details class=\"rest\">\n  <summary><h3>Every other significant change: 103, the most important first</h3>"
    assert summary in section
    listed = section.split(summary, 1)[1].split("</details>", 1)[0]
    assert listed.count("<tr>") == 103 + 1  # the header row and every change
    ranked = significant_changes(comp, ReportMeta())
    top = set(list(dict.fromkeys(ranked["_key"]))[:TOP_FINDINGS])
    expected = [(f"Label {r['indicator_id']}", "All locations" if r["location"] == "All" else r["location"])
                for r in ranked.to_dict("records") if r["_key"] not in top]  # fmt: skip
    assert [(row["cells"][0]["text"], row["cells"][1]["text"]) for row in rows] == expected
    css = html.split("<style>", 1)[1].split("</style>", 1)[0].split("@media print {", 1)[1]
    assert "details.rest::details-content { content-visibility: visible; display: block; }" in css
    few = many_changes()
    few = apply_rules(few[few["indicator_id"].isin(["accountability", "ind01"])])
    short = render_html(few, meta=ReportMeta(), lang="fr")
    assert ('<details class="rest" open>\n  <summary><h3>Toutes les autres évolutions significatives : 8, les plus '
            "importantes d&#39;abord</h3>") in short


def test_national_first_then_size():
    results = apply_rules(many_changes())
    ranked = significant_changes(compare_rounds(results), ReportMeta())
    first = ranked.iloc[0]
    assert first["indicator_id"] == "accountability" and first["location"] == "All"  # -9.5 points, national
    assert list(ranked["_lvl"]) == sorted(ranked["_lvl"])
    sentence = finding_sentences(results, compare_rounds(results), ReportMeta(), top=3)[0]
    assert sentence.startswith("Label accountability (All locations): worsened, from 50.0% in R1 to 40.5% in R3")
    assert "(−9.5 points)" in sentence and "Also significant since R2 (−5.5 points)" in sentence


def test_suppressed_change_says_what_is_withheld():
    # primary suppression only: the footnote's wording for one withheld estimate is what is checked
    results = apply_rules(many_changes(), ReportingRules(secondary_suppression=False))
    html = render_html(results, meta=ReportMeta(), lang="en")
    section = html.split('id="ind-ind01"', 1)[1].split("</section>", 1)[0]
    assert "— estimate not published: unweighted base below the minimum." in section
    assert "— change not published: the R2 estimate is not published." in section
    assert ">suppressed<" not in html
