"""Format detection, text dialects and every LoadError path of ``survey_toolkit.load``."""

from __future__ import annotations

from pathlib import Path

import pytest

import survey_toolkit as st
from survey_toolkit.errors import LoadError
from survey_toolkit.io import detect_format
from survey_toolkit.io.textfile import sniff_delimiter

DATA = Path(__file__).resolve().parents[1] / "data" / "io"

KOBO_HEADER = [
    "start",
    "age",
    "feels_safe",
    "services",
    "_id",
    "_uuid",
    "_submission_time",
    "__version__",
    "_index",
]
KOBO_ROW = [
    "2024-05-01T12:01:02.000+03:00",
    "34",
    "yes",
    "health water",
    "1001",
    "u-1",
    "2024-05-01T10:15:00",
    "v1",
    "1",
]


def _write(
    path: Path, rows: list[list[str]], sep: str, *, quote: bool = False, bom: bool = False, eol: str = "\n"
):
    def cell(c: str) -> str:
        return f'"{c}"' if quote else c

    text = eol.join(sep.join(cell(c) for c in row) for row in rows) + eol
    path.write_bytes(("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8"))
    return path


def _codes(err: pytest.ExceptionInfo) -> list[str]:
    return [p.code for p in err.value.problems]


@pytest.mark.parametrize(
    ("sep", "quote", "bom", "eol"),
    [
        (";", True, False, "\r\n"),
        (",", False, False, "\n"),
        ("\t", False, False, "\n"),
        (",", False, True, "\r\n"),
    ],
)
def test_kobo_csv_dialects_and_bom_load_the_same(tmp_path, perception, sep, quote, bom, eol):
    path = _write(tmp_path / "export.csv", [KOBO_HEADER, KOBO_ROW], sep, quote=quote, bom=bom, eol=eol)
    data = st.load(path, perception)
    assert data.format == "kobo-csv"
    row = data.frame.iloc[0]
    assert row["age"] == 34
    assert row["feels_safe"] == "yes"
    assert row["services/water"] is True or bool(row["services/water"]) is True
    assert row["_record_id"] == "uuid:u-1"
    assert row["start/utc_offset"] == 180


def test_sniff_delimiter_picks_the_splitting_one():
    assert sniff_delimiter('"a";"b,c";"d"\r\n') == ";"
    assert sniff_delimiter("a,b,c\n") == ","
    assert sniff_delimiter("a\tb\tc\n") == "\t"


def test_hxl_tag_row_is_skipped_and_rows_keep_their_spreadsheet_number(tmp_path, perception):
    tags = ["", "#age", "", "", "", "", "", "", ""]
    path = _write(tmp_path / "hxl.csv", [KOBO_HEADER, tags, KOBO_ROW], ";", quote=True)
    data = st.load(path, perception)
    assert len(data.frame) == 1
    assert data.frame["_source_row"].iloc[0] == 3
    assert data.frame["age"].iloc[0] == 34


def test_detect_format_by_content_not_suffix(exports, tmp_path):
    assert detect_format(exports("kobo_xml.xlsx")) == "xlsx"
    assert detect_format(exports("central_default.zip")) == "odk-zip"
    assert detect_format(exports("kobo_xml.csv")) == "text"
    renamed = tmp_path / "export.dat"
    renamed.write_bytes(exports("kobo_xml.xlsx").read_bytes())
    assert detect_format(renamed) == "xlsx"


def test_missing_file_names_the_file():
    with pytest.raises(LoadError) as err:
        st.load(DATA / "no_such_export.csv")
    assert _codes(err) == ["file-not-found"]
    assert "no_such_export.csv" in str(err.value)


def test_empty_file():
    with pytest.raises(LoadError) as err:
        st.load(DATA / "empty.csv")
    assert _codes(err) == ["empty-file"]


def test_truncated_zip_is_unreadable():
    with pytest.raises(LoadError) as err:
        st.load(DATA / "truncated_central.zip")
    assert _codes(err) == ["unreadable-file"]
    assert "download" in err.value.problems[0].hint


def test_text_renamed_xlsx_is_unreadable_with_a_rename_hint():
    with pytest.raises(LoadError) as err:
        st.load(DATA / "text_renamed.xlsx")
    assert _codes(err) == ["unreadable-file"]
    assert ".csv" in err.value.problems[0].hint


def test_unknown_binary_layout():
    with pytest.raises(LoadError) as err:
        st.load(DATA / "unknown_layout.dat")
    assert _codes(err) == ["unknown-layout"]


def test_zip_without_tables_is_an_unknown_layout(tmp_path):
    import zipfile

    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("media/a.jpg", b"\xff\xd8")
    with pytest.raises(LoadError) as err:
        st.load(path)
    assert _codes(err) == ["unknown-layout"]


def test_wrong_encoding_suggests_encoding_option_and_the_option_works(perception):
    with pytest.raises(LoadError) as err:
        st.load(DATA / "latin1_kobo.csv", perception)
    assert _codes(err) == ["wrong-encoding"]
    assert "encoding=" in err.value.problems[0].hint
    data = st.load(DATA / "latin1_kobo.csv", perception, encoding="latin-1", min_match=0.1)
    assert data.extra["comment"].iloc[0] == "Très bien"


def test_duplicated_headers_are_listed():
    with pytest.raises(LoadError) as err:
        st.load(DATA / "duplicate_headers.csv")
    (problem,) = err.value.problems
    assert problem.code == "duplicate-headers"
    assert "'age'" in problem.message and "'feels_safe'" in problem.message
    assert "groupPaths" in problem.hint


def test_duplicated_headers_in_a_workbook_name_the_sheet(tmp_path):
    import openpyxl

    path = tmp_path / "dup.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Main"
    wb.active.append(["age", "age", "_uuid", "_submission_time"])
    wb.active.append([1, 2, "u", "2024-01-01"])
    wb.save(path)
    with pytest.raises(LoadError) as err:
        st.load(path)
    assert err.value.problems[0].code == "duplicate-headers"
    assert err.value.problems[0].location.sheet == "Main"


def test_nothing_is_written_next_to_the_input(tmp_path, perception):
    path = _write(tmp_path / "export.csv", [KOBO_HEADER, KOBO_ROW], ";", quote=True)
    before = sorted(p.name for p in tmp_path.iterdir())
    st.load(path, perception)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize(
    ("name", "text"), [("form.xml", "<?xml version='1.0'?>\n<h:html/>\n"), ("api.json", '[{"age": 34}]\n')]
)
def test_xml_and_json_files_are_not_mistaken_for_csv(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as err:
        st.load(path)
    assert _codes(err) == ["unknown-layout"]


def test_workbook_trailing_formatted_rows_and_blank_columns_are_ignored(tmp_path):
    import openpyxl

    path = tmp_path / "trail.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["age", "_uuid", "_submission_time", "_index", None])
    ws.append([3, "u", "2024-01-01T00:00:00", 1, None])
    ws.cell(row=6, column=5).value = ""
    wb.save(path)
    data = st.load(path)
    assert len(data.frame) == 1
    assert not [c for c in data.extra.columns if c.startswith("unnamed")]
