"""Delimited text from the field (issues 10 and 14): rows cut short, truncated files, mixed
delimiters and NUL bytes are located errors; semicolon/tab files, decimal commas, UTF-16 and UTF-8
with BOM load with the same values as the original export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit.io.textfile import decimal_commas
from tests.conftest import ROOT

DEMO = ROOT / "examples" / "demo"
FORM = ROOT / "instruments" / "cssp_core.xlsx"


@pytest.fixture(scope="module")
def form():
    return st.read_instrument(FORM)


@pytest.fixture(scope="module")
def demo_rows() -> list[list[str]]:
    raw = pd.read_excel(DEMO / "round1_kobo.xlsx", dtype=str, keep_default_na=False, engine="calamine")
    return [list(raw.columns), *raw.values.tolist()]


def _dump(rows, delimiter=",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _error(path: Path, form) -> st.Problem:
    with pytest.raises(st.LoadError) as info:
        st.load(path, instrument=form)
    [problem] = info.value.problems
    assert problem.location.file == str(path) and problem.hint
    return problem


def test_a_row_cut_short_is_located(tmp_path, demo_rows, form):
    rows = [list(r) for r in demo_rows]
    rows[10] = rows[10][:-69]
    path = tmp_path / "short.csv"
    path.write_text(_dump(rows), encoding="utf-8")
    problem = _error(path, form)
    assert problem.code == "short-row" and problem.location.line == 11
    assert f"{len(rows[10])} fields" in problem.got


def test_a_file_cut_in_the_middle_of_a_row_is_located(tmp_path, demo_rows, form):
    text = _dump(demo_rows)
    path = tmp_path / "cut.csv"
    path.write_text(text[: len(text) - 900], encoding="utf-8")
    problem = _error(path, form)
    assert problem.code == "short-row" and "cut short" in problem.hint


def test_a_line_with_another_delimiter_is_located(tmp_path, demo_rows, form):
    lines = _dump(demo_rows).split("\n")
    lines[20] = lines[20].replace(",", ";")
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    problem = _error(path, form)
    assert problem.code == "short-row" and problem.location.line == 21 and "';'" in problem.hint


def test_nul_bytes_are_located(tmp_path, demo_rows, form):
    lines = _dump(demo_rows).split("\n")
    lines[30] = lines[30][:10] + "\x00" + lines[30][10:]
    path = tmp_path / "nul.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    problem = _error(path, form)
    assert problem.code == "nul-bytes" and problem.location.line == 31


def test_plain_csv_reader_checks_rows_too(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n", encoding="utf-8")
    with pytest.raises(st.LoadError) as info:
        st.load(path)
    assert info.value.problems[0].code == "short-row"
    assert info.value.problems[0].location.line == 3


@pytest.mark.parametrize(
    ("name", "delimiter", "encoding"),
    [
        ("semicolon_bom.csv", ";", "utf-8-sig"),
        ("tab_utf16.txt", "\t", "utf-16"),
        ("semicolon.csv", ";", "utf-8"),
    ],
)
def test_spreadsheet_dialects_of_the_demo_load_with_the_same_values(
    tmp_path, demo_rows, form, name, delimiter, encoding
):
    path = tmp_path / name
    path.write_text(_dump(demo_rows, delimiter), encoding=encoding)
    original = st.load(DEMO / "round1_kobo.xlsx", instrument=form).frame
    loaded = st.load(path, instrument=form).frame
    columns = [c for c in original.columns if not c.startswith("_source")]
    assert len(loaded) == len(original)
    for column in columns:
        assert original[column].astype(str).tolist() == loaded[column].astype(str).tolist(), column


def test_decimal_commas_in_a_semicolon_file_are_read_as_numbers(tmp_path):
    path = tmp_path / "decimal.csv"
    path.write_text("id;score;note;thousands\n1;1,5;a,b;1,234\n2;2;x;2,500\n3;;y;3,000\n", encoding="utf-8")
    data = st.load(path)
    assert data.frame["score"].tolist()[:2] == [1.5, 2.0] and pd.isna(data.frame["score"].iloc[2])
    assert data.frame["note"].tolist() == ["a,b", "x", "y"]
    codes = {p.code for p in data.problems}
    assert {"decimal-comma", "ambiguous-decimal-comma"} <= codes
    [note] = [p for p in data.problems if p.code == "decimal-comma"]
    assert "score" in note.message and "note" not in note.message


def test_decimal_commas_are_left_alone_in_comma_separated_files():
    frame = pd.DataFrame({"x": ["1,5", "2"]}, dtype=object)
    out, problems = decimal_commas(frame, ",", "f.csv")
    assert out is frame and problems == []
