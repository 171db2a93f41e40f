"""The Excel workbook: index with links, summary naming its rounds, wide analysis table, tidy data,
suppressed cells that say why, integers as integers, no internal codes, inert text, same bytes."""

from __future__ import annotations

import dataclasses
import re

import openpyxl
import pandas as pd
import pytest

from survey_toolkit.report import write_excel
from survey_toolkit.report.excel import _h, sheet_name

from .conftest import LOCATIONS, make_meta, make_results


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = write_excel(tmp_path_factory.mktemp("xl") / "results.xlsx", make_results(), meta=make_meta())
    return path, openpyxl.load_workbook(path)


def _records(ws, header_row: int = 1):
    header = [c.value for c in ws[header_row]]
    return [dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=header_row + 1) if row[0].value]


def test_sheets_and_index_links(workbook):
    _, wb = workbook
    assert wb.sheetnames == ["Index", "Summary", "Analysis", "Charts", "Data", "Changes", "Notes"]
    index = wb["Index"]
    links = {c.value: c.hyperlink.location for c in index["A"] if c.hyperlink is not None}
    assert links["Summary"] == "'Summary'!A1" and links["Data"] == "'Data'!A1"
    titles = [c.value for c in index["B"] if c.value]
    assert "Trust the police somewhat or a lot" in titles  # human titles, not ids
    row = next(c for c in index["B"] if c.value == "Community Safety Index (0–100)")
    target = index.cell(row=row.row, column=1).hyperlink.location
    analysis_row = int(re.search(r"A(\d+)$", target).group(1))
    assert wb["Analysis"].cell(row=analysis_row, column=1).value == "Community Safety Index (0–100)"


def test_charts_colour_each_location_as_the_html_charts_do(workbook):
    import zipfile

    from survey_toolkit.report.charts import location_colours

    path, wb = workbook
    ws = wb["Charts"]
    names = {v: k for k, v in make_meta().location_names.items()}
    first = next(c.row for c in ws["A"] if c.value == "Location")  # the first indicator's little table
    rows = [(ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 3).value) for r in range(first + 1, first + 30)]
    rows = rows[: next((k for k, r in enumerate(rows) if r[0] is None), len(rows))]
    with zipfile.ZipFile(path) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        xml = z.read("xl/charts/chart1.xml").decode()
    assert len(charts) >= 1
    points = re.findall(r"<c:dPt>.*?<a:srgbClr val=\"([0-9A-F]{6})\"", xml, flags=re.S)
    expected = location_colours(make_meta(), list(LOCATIONS))
    codes = [names.get(name, "\x00" if name == "All locations" else name) for name, _, _ in rows]
    assert points == [expected[c].lstrip("#").upper() for c in codes]  # the HTML charts' colours, in order
    cells = [(r[1].value, r[2].value) for r in ws.iter_rows(min_row=first) if r[2].value not in (None, "Status")]
    withheld = [status.startswith(_h("en", "suppressed")) for _, status in cells]
    assert any(withheld) and not all(withheld)
    assert [value is None for value, _ in cells] == withheld  # a withheld estimate: no bar, never a zero


def test_summary_names_the_round_of_the_estimate_and_of_each_change(workbook):
    _, wb = workbook
    ws = wb["Summary"]
    header = [c.value for c in ws[4]]
    assert header[2] == "Estimate, R3" and "Change since R2" in header and "Change since R1" in header
    row = {h: c.value for h, c in zip(header, ws[5], strict=True)}
    assert row["Indicator"] == "Trust the police somewhat or a lot" and row["Estimate, R3"] == 55.0
    assert row["Change since R2"] == 13.0 and row["Change since R1"] == 15.0
    assert row["Interpretation"] == "improved" and isinstance(row["Unweighted n"], int)


def test_analysis_is_wide_with_estimate_ci_and_n_per_location_and_round(workbook):
    _, wb = workbook
    ws = wb["Analysis"]
    blocks = [c.value for c in ws[3] if c.value]
    assert blocks[:3] == ["All locations — R1", "All locations — R2", "All locations — R3"]
    assert "Riverside — R3" in blocks and "Hillcrest — R1" in blocks
    measures = [c.value for c in ws[4]][2:6]
    assert measures == ["Estimate", "CI low", "CI high", "Unweighted n"]
    trust = next(r for r in ws.iter_rows(min_row=5) if r[0].value == "Trust the police somewhat or a lot")
    assert [c.value for c in trust[2:6]] == [40.0, 38.03, 41.97, 410]
    assert trust[5].number_format == "0" and trust[2].number_format == "0.0"


def test_suppressed_cells_say_why(workbook):
    _, wb = workbook
    ws = wb["Analysis"]
    col = next(c.column for c in ws[3] if c.value == "Riverside — R3")
    harassment = next(r for r in ws.iter_rows(min_row=5) if r[0].value.startswith("Technology-facilitated"))
    cell = harassment[col - 1]
    assert cell.value == "—" and "fewer than 5 respondents" in cell.comment.text
    assert harassment[col + 2].value == 96  # the base stays visible, as an integer
    rows = _records(wb["Data"])
    small = next(r for r in rows if r["Indicator id"].value == "tf_harassment" and r["Round"].value == "R3"
                 and r["Location"].value == "Riverside")  # fmt: skip
    assert small["Estimate"].value == "—" and small["Status"].value.startswith("not published: fewer than 5")
    secondary = next(r for r in rows if r["Indicator id"].value == "tf_harassment" and r["Round"].value == "R3"
                     and r["Location"].value == "Hillcrest")  # fmt: skip
    assert secondary["Status"].value == (  # names the withheld cell it protects, not its value
        "not published: withheld so that the withheld value for Riverside cannot be worked out from the total "
        "and the other published values"
    )
    for row in rows:  # never a blank estimate
        assert row["Estimate"].value not in (None, "")


def test_changes_say_what_is_withheld_and_why(workbook):
    _, wb = workbook
    rows = _records(wb["Changes"])
    hidden = [r for r in rows if r["Interpretation"].value == "not published"]
    assert hidden and all("estimate is not published" in r["Status"].value for r in hidden)
    assert all(r["Comparison"].value in ("since the previous round", "since the baseline") for r in rows)


def test_no_internal_codes_anywhere(workbook):
    _, wb = workbook
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    for code in ("input-suppressed", "small-base", "True", "False", "previous", "baseline", "percent",
                 "index_score", "deff_kish", "nan"):  # fmt: skip
        assert code not in cells, code
    assert not [c for c in cells if re.search(r"\binput-suppressed\b|\bdeff_kish\b|convergence_", c)]


def test_text_from_data_is_inert(workbook):
    _, wb = workbook
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    rows = _records(wb["Data"])
    formula = next(r["Location"] for r in rows if r["Location"].value == LOCATIONS[3])
    assert formula.data_type == "s" and formula.quotePrefix
    script = next(r["Location"] for r in rows if r["Location"].value == LOCATIONS[2])
    assert script.data_type == "s"


def test_notes(workbook):
    _, wb = workbook
    notes = [c.value for c in wb["Notes"]["A"] if c.value]
    assert any("Unweighted base below 30" in n for n in notes)


def test_deterministic_bytes(tmp_path, workbook):
    path, _ = workbook
    again = write_excel(tmp_path / "again.xlsx", make_results(), meta=make_meta())
    assert again.read_bytes() == path.read_bytes()


def test_french_headers_and_codes(tmp_path):
    wb = openpyxl.load_workbook(write_excel(tmp_path / "fr.xlsx", make_results(), meta=make_meta(), lang="fr"))
    assert wb.sheetnames == ["Sommaire", "Synthèse", "Analyse", "Graphiques", "Données", "Évolutions", "Notes"]
    assert wb["Synthèse"]["A5"].value == "Font confiance à la police"
    assert wb["Données"]["D1"].value == "Vague"
    comparisons = {c.value for c in wb["Évolutions"]["E"]} - {"Comparaison"}
    assert comparisons == {"depuis la vague précédente", "depuis la vague de référence"}
    statuses = {c.value.split(":")[0] for c in wb["Données"]["P"] if c.value} - {"Statut"}
    assert statuses <= {"publié", "non publié", "à interpréter avec prudence"}


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    names = [sheet_name(n, taken) for n in ("a/b", "A_B", "x" * 40, "x" * 40, "")]
    assert names[0] == "a_b" and names[1] == "A_B~2"
    assert all(len(n) <= 31 for n in names) and len({n.lower() for n in names}) == len(names)


def test_notes_list_the_answers_outside_the_choice_lists(tmp_path):
    off = pd.DataFrame({"round": ["R1"], "question": ["d1_trust_police"], "answers": [578], "off_list": [1],
                        "share": [1 / 578], "rule": ["missing"], "label:en": ["Trust in the police"]})  # fmt: skip
    meta = dataclasses.replace(make_meta(), off_list=off)
    wb = openpyxl.load_workbook(write_excel(tmp_path / "off.xlsx", make_results(), meta=meta))
    notes = [c.value for c in wb["Notes"]["A"] if c.value]
    at = notes.index("Answers outside the choice lists")
    assert notes[at + 2] == ("Round: R1 · Question: Trust in the police (d1_trust_police) · Answers: 578 · Outside the "
                             "list: 1 · Share (%): 0.2 · How they count: as missing: out of the base of the indicators "
                             "reading the question")  # fmt: skip
