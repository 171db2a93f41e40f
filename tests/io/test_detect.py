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
    ("name", "text"),
    [("page.html", "<!DOCTYPE html>\n<html><body>Login</body></html>\n"), ("api.json", '[{"age": 34}]\n')],
)
def test_xml_and_json_files_are_not_mistaken_for_csv(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as err:
        st.load(path)
    assert _codes(err) == ["unknown-layout"]
    assert "download" in err.value.problems[0].hint


def _assert_form_hint(err: pytest.ExceptionInfo) -> None:
    (problem,) = err.value.problems
    assert problem.code == "form-not-data"
    assert "--instrument" in problem.hint and "instrument=" in problem.hint


def test_an_xform_is_named_as_the_form_with_the_instrument_hint(tmp_path):
    path = tmp_path / "form.xml"
    path.write_text("<?xml version='1.0'?>\n<h:html xmlns:h='http://www.w3.org/1999/xhtml'/>\n", "utf-8")
    with pytest.raises(LoadError) as err:
        st.load(path)
    _assert_form_hint(err)
    assert "XForm" in err.value.problems[0].message


def test_shared_xform_is_rejected_as_a_form(shared):
    with pytest.raises(LoadError) as err:
        st.load(shared("exports", "perception_survey.xml"))
    _assert_form_hint(err)


def test_an_xlsform_is_not_loaded_as_data(shared):
    path = shared("exports", "perception_survey.xlsx")
    with pytest.raises(LoadError) as err:
        st.load(path)
    _assert_form_hint(err)
    problem = err.value.problems[0]
    assert "XLSForm" in problem.message and "'survey'" in problem.message and "'choices'" in problem.message
    assert problem.location.file == str(path) and problem.location.sheet == "survey"


def test_an_xlsform_is_refused_even_with_an_instrument(tmp_path, perception):
    import openpyxl

    path = tmp_path / "form.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "survey"
    wb.active.append(["type", "name", "label"])
    wb.active.append(["integer", "age", "Age"])
    wb.create_sheet("choices").append(["list_name", "name", "label"])
    wb.save(path)
    with pytest.raises(LoadError) as err:
        st.load(path, perception)
    _assert_form_hint(err)


def test_a_data_sheet_named_survey_is_still_data(tmp_path):
    import openpyxl

    path = tmp_path / "data.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "survey"
    wb.active.append(["age", "name_of_village"])
    wb.active.append([34, "x"])
    wb.save(path)
    assert len(st.load(path).frame) == 1


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


def test_a_row_with_too_many_fields_names_the_line_in_plain_words(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("age,feels_safe,services\n34,yes,health\n51,no,water,extra\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        st.load(path)
    (p,) = err.value.problems
    assert p.code == "unreadable-file" and p.location.line == 3 and p.location.file == str(path)
    assert p.message == "line 3 has 4 fields separated by comma (','), but the header has 3 columns"
    assert "Error tokenizing" not in str(err.value) and "C error" not in str(err.value)
    assert "line 3" in p.hint and p.expected == "3 fields on every line" and p.got == "4 fields"


def test_an_unclosed_quote_is_explained(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('age,feels_safe\n34,"yes\n51,no\n', encoding="utf-8")
    with pytest.raises(LoadError) as err:
        st.load(path)
    (p,) = err.value.problems
    assert "never closed" in p.message and p.location.line == 2 and "EOF" not in str(err.value)


def test_text_that_is_not_a_table_is_named_so(shared):
    path = shared("exports", "central_odata_example.txt")
    with pytest.raises(LoadError) as err:
        st.load(path)
    (p,) = err.value.problems
    assert "does not look like a comma (',')-separated table" in p.message and "C error" not in p.message


def test_plain_csv_parse_errors_are_translated_too():
    from survey_toolkit.io.textfile import parse_problem

    p = parse_problem(
        "Error tokenizing data. C error: Expected 2 fields in line 7, saw 3\n", "x.csv", ";", 2, "bad-csv"
    )
    assert p.code == "bad-csv" and p.location.line == 7 and "semicolon (';')" in p.message
    other = parse_problem("something else", "x.csv", ",", 2)
    assert other.expected and other.got and other.hint


def test_a_pyxform_json_form_is_named_as_a_form(shared):
    with pytest.raises(LoadError) as err:
        st.load(shared("exports", "perception_survey.pyxform.json"))
    _assert_form_hint(err)


def test_other_sheets_of_a_plain_workbook_are_not_unlinked_repeats(tmp_path):
    import openpyxl

    path = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "data"
    wb.active.append(["age", "village", "_index"])
    wb.active.append([34, "x", 1])
    wb.create_sheet("lookup").append(["code", "label"])
    wb["lookup"].append([1, "Yes"])
    members = wb.create_sheet("members")
    members.append(["member_age", "_parent_index"])
    members.append([9, 1])
    wb.save(path)
    data = st.load(path)
    assert "unlinked-repeat-rows" not in [p.code for p in data.problems]
    codes = {p.code: p for p in data.problems}
    assert codes["sheets-not-read"].got == "lookup" and codes["sheets-not-read"].location.sheet == "lookup"
    assert list(data.children) == ["members"]


def test_r_data_files_get_an_r_hint(tmp_path):
    path = tmp_path / "survey.rda"
    path.write_bytes(b"RDX2\nX\n\x00\x00\x00\x02" + bytes(range(256)))
    with pytest.raises(LoadError) as err:
        st.load(path)
    (p,) = err.value.problems
    assert p.code == "unknown-layout" and "R data file" in p.message and "write.csv" in p.hint


def test_an_odk_build_form_is_named_as_a_form(tmp_path):
    path = tmp_path / "form.odkbuild"
    path.write_text('{"title": "Flora", "controls": []}', encoding="utf-8")
    with pytest.raises(LoadError) as err:
        st.load(path)
    _assert_form_hint(err)
