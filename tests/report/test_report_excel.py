"""The Excel workbook: opens with openpyxl, suppressed cells marked, inert formulas, deterministic bytes."""

from __future__ import annotations

import openpyxl
import pytest

from survey_toolkit.report import write_excel
from survey_toolkit.report.excel import sheet_name

from .conftest import LOCATIONS, make_meta, make_results


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = write_excel(tmp_path_factory.mktemp("xl") / "results.xlsx", make_results(), meta=make_meta())
    return path, openpyxl.load_workbook(path)


def test_sheets(workbook):
    _, wb = workbook
    assert wb.sheetnames == ["Summary", "trust_police", "tf_harassment", "csi", "Changes", "Notes"]
    ws = wb["trust_police"]
    assert ws.freeze_panes == "A5"
    assert ws["A4"].value == "Round" and ws["A4"].font.b
    assert ws.column_dimensions["B"].width > 20


def _rows(ws):
    header = [c.value for c in ws[4]]
    return header, [
        dict(zip(header, (c for c in row), strict=True)) for row in ws.iter_rows(min_row=5) if row[0].value
    ]


def test_suppressed_cells_are_marked_never_blank(workbook):
    _, wb = workbook
    header, rows = _rows(wb["tf_harassment"])
    small = next(r for r in rows if r["Round"].value == "R3" and r["Location"].value == "Riverside")
    assert small["Estimate"].value == "suppressed"
    assert "fewer than 5 respondents" in small["Estimate"].comment.text
    for col in ("CI low", "CI high", "SE", "Numerator n", "Weighted N", "Effective n", "DK/refused share"):
        assert small[col].value == "—", col
    assert small["Unweighted n"].value == 96  # the base stays visible
    secondary = next(r for r in rows if r["Round"].value == "R3" and r["Location"].value == "Hillcrest")
    assert secondary["Estimate"].value == "suppressed" and "derived" in secondary["Status"].value
    # every suppressed row, every sheet: no blank estimate cell
    for name in ("trust_police", "tf_harassment", "csi"):
        for row in _rows(wb[name])[1]:
            assert row["Estimate"].value not in (None, "")


def test_numbers_and_formats(workbook):
    _, wb = workbook
    _, rows = _rows(wb["trust_police"])
    first = rows[0]
    assert first["Estimate"].value == 40.0 and first["Estimate"].number_format == "0.0"
    assert first["DK/refused share"].number_format == "0.0%"
    caution = next(r for r in rows if r["Round"].value == "R3" and r["Location"].value == "Hillcrest")
    assert caution["Estimate"].value == 53.5 and "caution" in caution["Status"].value


def test_text_from_data_is_inert(workbook):
    _, wb = workbook
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    _, rows = _rows(wb["trust_police"])
    formula = next(r["Location"] for r in rows if r["Location"].value == LOCATIONS[3])
    assert formula.data_type == "s" and formula.quotePrefix
    script = next(r["Location"] for r in rows if r["Location"].value == LOCATIONS[2])
    assert script.data_type == "s"


def test_summary_and_changes(workbook):
    _, wb = workbook
    ws = wb["Summary"]
    assert ws["A5"].value == "Trust the police somewhat or a lot" and ws["D5"].value == 55.0
    assert ws["K5"].value == "improved"
    changes = wb["Changes"]
    header = [c.value for c in changes[1]]
    assert {"Change", "p-value", "q-value (FDR)", "Interpretation"} <= set(header)
    notes = [c.value for c in wb["Notes"]["A"] if c.value]
    assert any("Unweighted base below 30" in n for n in notes)


def test_deterministic_bytes(tmp_path, workbook):
    path, _ = workbook
    again = write_excel(tmp_path / "again.xlsx", make_results(), meta=make_meta())
    assert again.read_bytes() == path.read_bytes()


def test_french_headers(tmp_path):
    wb = openpyxl.load_workbook(
        write_excel(tmp_path / "fr.xlsx", make_results(), meta=make_meta(), lang="fr")
    )
    assert wb.sheetnames[0] == "Synthèse" and wb["csi"]["A4"].value == "Vague"
    assert wb["Synthèse"]["A5"].value == "Font confiance à la police"


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    names = [sheet_name(n, taken) for n in ("a/b", "A_B", "x" * 40, "x" * 40, "")]
    assert names[0] == "a_b" and names[1] == "A_B~2"
    assert all(len(n) <= 31 for n in names) and len({n.lower() for n in names}) == len(names)
