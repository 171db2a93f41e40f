"""Hostile zip archives and workbooks (issue 10): damaged, password-protected and bomb members, huge
sparse sheets and formula cells without values are located errors, fast and within memory."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import survey_toolkit as st
from survey_toolkit.io import archive
from survey_toolkit.io.sheetscan import MAX_SHEET_CELLS, scan_workbook

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"

_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_BOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a1_sex</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>a2_age</t></is></c></row>'
)


def write_xlsx(path: Path, rows_xml: str, head: str = _HEAD) -> Path:
    """A minimal workbook with one sheet 'data' (header a1_sex, a2_age) and the given row XML."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _BOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", head + rows_xml + "</sheetData></worksheet>")
    return path


def _load_error(path: Path) -> list:
    with pytest.raises(st.LoadError) as info:
        st.load(path)
    for problem in info.value.problems:
        assert problem.location.file == str(path)
        assert problem.hint
    return list(info.value.problems)


def test_a_stray_cell_at_the_last_cell_of_a_sheet_is_refused_not_a_crash(tmp_path):
    path = write_xlsx(tmp_path / "corner.xlsx", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    [problem] = _load_error(path)
    assert problem.code == "sheet-too-large"
    assert problem.location.sheet == "data"
    assert "1,048,576 rows x 16,384 columns" in problem.message


def test_200000_sparse_rows_are_refused_quickly(tmp_path):
    rows = "".join(f'<row r="{i}"><c r="ZZ{i}"><v>1</v></c></row>' for i in range(2, 200_002))
    path = write_xlsx(tmp_path / "sparse.xlsx", rows)
    [problem] = _load_error(path)
    assert problem.code == "sheet-too-large"
    assert 200_001 * 702 > MAX_SHEET_CELLS


def test_a_declared_huge_dimension_alone_is_harmless(tmp_path):
    head = _HEAD.replace("<sheetData>", '<dimension ref="A1:XFD1048576"/><sheetData>')
    path = write_xlsx(
        tmp_path / "dim.xlsx", '<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>30</v></c></row>', head
    )
    data = st.load(path)
    assert len(data.frame) == 1


def test_formula_cells_without_a_value_are_an_error_naming_the_cells(tmp_path):
    rows = (
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2"><f>20+10</f></c></row>'
        '<row r="3"><c r="A3"><v>2</v></c><c r="B3"><f>20+20</f><v>40</v></c></row>'
    )
    [problem] = _load_error(write_xlsx(tmp_path / "formula.xlsx", rows))
    assert problem.code == "formula-without-value"
    assert "B2" in problem.message and "B3" not in problem.message


def test_scan_of_the_demo_workbook():
    [scan] = scan_workbook(DEMO / "round1_kobo.xlsx", "round1_kobo.xlsx")
    assert (scan.rows, scan.formulas_without_value) == (598, ())
    assert scan.columns > 200


def _demo_zip_bytes() -> bytes:
    return (DEMO / "round2_central.zip").read_bytes()


def test_a_corrupt_zip_member_is_a_located_error(tmp_path):
    raw = bytearray(_demo_zip_bytes())
    raw[200:260] = bytes(60)
    path = tmp_path / "corrupt.zip"
    path.write_bytes(bytes(raw))
    [problem] = _load_error(path)
    assert problem.code == "unreadable-file"
    assert "damaged or truncated" in problem.message


def test_a_password_protected_member_is_a_located_error(tmp_path):
    raw = bytearray(_demo_zip_bytes())
    raw[6] |= 1  # the "encrypted" flag of the local header and of the central directory entry
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 8] |= 1
    path = tmp_path / "encrypted.zip"
    path.write_bytes(bytes(raw))
    [problem] = _load_error(path)
    assert "password" in problem.message


def test_a_zip_bomb_is_refused_by_its_declared_size(tmp_path):
    path = tmp_path / "bomb.zip"
    header = zipfile.ZipFile(DEMO / "round2_central.zip").read("cssp_core.csv").split(b"\n")[0]
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z,
        z.open("cssp_core.csv", "w", force_zip64=True) as fh,
    ):
        fh.write(header + b"\n")
        block = b"a" * (1 << 20)
        for _ in range(archive.MAX_UNZIPPED_BYTES // len(block) + 2):
            fh.write(block)
    assert path.stat().st_size < 5_000_000
    [problem] = _load_error(path)
    assert problem.code == "archive-too-large"


def test_the_cap_counts_all_members_together(tmp_path):
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.csv", b"x,y\n" + b"1,2\n" * 10_000)
        z.writestr("b.csv", b"x,y\n" + b"1,2\n" * 10_000)
    assert len(archive.read_zip_members(path, str(path), lambda name: True)) == 2
    with pytest.raises(st.LoadError) as info:
        archive.read_zip_members(path, str(path), lambda name: True, limit=60_000)
    assert info.value.problems[0].code == "archive-too-large"
    assert "b.csv" in info.value.problems[0].message
