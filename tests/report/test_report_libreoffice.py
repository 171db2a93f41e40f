"""The workbook opens in LibreOffice: every sheet converts to CSV, suppressed cells are marked, never blank.

Needs ``soffice`` (Debian: ``apt-get install --no-install-recommends libreoffice-calc-nogui``); the
test is skipped with that reason when it is absent.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest

from survey_toolkit.report import write_excel

from .conftest import make_meta, make_results

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# CSV export of every sheet (last token -1, LibreOffice >= 7.2): comma, double quote, UTF-8, one file per sheet
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        SOFFICE is None,
        reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui",
    ),
]


def convert(workbook: Path, out: Path, profile: Path) -> dict[str, list[list[str]]]:
    """Every sheet of ``workbook`` as CSV rows, converted by a headless LibreOffice."""
    cmd = [
        str(SOFFICE),
        f"-env:UserInstallation={profile.as_uri()}",  # a private profile: no clash with a running office
        "--headless",
        "--convert-to",
        CSV_FILTER,
        "--outdir",
        str(out),
        str(workbook),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    sheets = {}
    for path in sorted(out.glob(f"{workbook.stem}-*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            sheets[path.stem[len(workbook.stem) + 1 :]] = list(csv.reader(fh))
    return sheets


@pytest.fixture(scope="module")
def sheets(tmp_path_factory) -> dict[str, list[list[str]]]:
    tmp = tmp_path_factory.mktemp("libreoffice")
    book = write_excel(tmp / "results.en.xlsx", make_results(), meta=make_meta(), lang="en")
    return convert(book, tmp / "out", tmp / "profile")


def _records(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if any(r)]


def test_every_sheet_opens(sheets):
    assert {"Index", "Summary", "Analysis", "Data", "Changes", "Notes"} <= set(sheets)


def test_suppressed_cells_are_marked_not_blank(sheets):
    rows = [r for r in _records(sheets["Data"]) if r["Indicator id"] == "tf_harassment"]
    suppressed = [r for r in rows if r["Status"].startswith("not published")]
    assert len(suppressed) >= 3  # small base, small sensitive cell, secondary suppression
    for r in suppressed:
        assert r["Estimate"] == "—" and r["CI low"] == "—" and r["CI high"] == "—", r
    reasons = " ".join(r["Status"] for r in suppressed)
    assert "fewer than 5 respondents" in reasons and "cannot be worked out from the total" in reasons
    published = [r for r in rows if r["Status"] == "published"]
    assert published and all(float(r["Estimate"]) > 0 for r in published)
    assert all(r["Unweighted n"].isdigit() for r in rows)  # integers shown as integers


def test_wide_analysis_table(sheets):
    rows = sheets["Analysis"]
    assert "All locations — R1" in rows[2] and rows[3][2:6] == ["Estimate", "CI low", "CI high", "Unweighted n"]


def test_formula_text_stays_text(sheets):
    cells = [c for rows in sheets.values() for row in rows for c in row]
    assert '=HYPERLINK("http://x")' in cells  # shown as typed, not evaluated to a link or an error
    assert not any(c.startswith(("#NAME", "Err:")) for c in cells)
