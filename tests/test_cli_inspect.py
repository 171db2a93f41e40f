"""``survey-toolkit inspect``: summary on stderr, findings on stdout or in a file, exit codes."""

from __future__ import annotations

import json
from io import StringIO

import pandas as pd
import pytest
from typer.testing import CliRunner

import survey_toolkit.io as survey_io
from survey_toolkit import cli
from survey_toolkit.instrument import instrument_from_sheets
from survey_toolkit.io.base import SurveyData

from .conftest import shared_path

runner = CliRunner()

FORM_ROWS = {
    "survey": [["type", "name", "label"], ["start", "start", ""], ["end", "end", ""],
               ["select_one yesno", "consent", "Agree?"], ["integer", "a2_age", "Age"]],
    "choices": [["list_name", "name", "label"], ["yesno", "1", "Yes"], ["yesno", "2", "No"]],
}  # fmt: skip


@pytest.fixture(autouse=True)
def _commands():
    cli._register_commands()


@pytest.fixture
def form_file(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in FORM_ROWS.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    path = tmp_path / "form.xlsx"
    wb.save(path)
    return path


@pytest.fixture
def stub_load(monkeypatch, tmp_path):
    """Replace survey_toolkit.io.load by a stub returning three records (one under-age, one short)."""
    form = instrument_from_sheets(
        [{"type": "start", "name": "start"}, {"type": "end", "name": "end"},
         {"type": "select_one yesno", "name": "consent", "label": "Agree?"},
         {"type": "integer", "name": "a2_age", "label": "Age"}],
        [{"list_name": "yesno", "name": "1", "label": "Yes"}, {"list_name": "yesno", "name": "2", "label": "No"}],
    )  # fmt: skip
    frame = pd.DataFrame(
        {
            "start": pd.to_datetime(["2024-05-01 10:00"] * 3),
            "end": pd.to_datetime(["2024-05-01 10:30", "2024-05-01 10:30", "2024-05-01 10:06"]),
            "consent": pd.Categorical(["1", "1", "1"], categories=["1", "2"]),
            "a2_age": pd.array([30, 16, 40], dtype="Int64"),
            "_record_id": ["r1", "r2", "r3"],
            "_source_file": ["round1.xlsx"] * 3,
            "_source_row": [2, 3, 4],
        }
    )
    calls = []

    def load(path, instrument=None, **kw):
        calls.append((path, instrument))
        return SurveyData(frame=frame, instrument=form, source=str(path))

    monkeypatch.setattr(survey_io, "load", load, raising=False)
    export = tmp_path / "round1.xlsx"
    export.write_bytes(b"stub")
    return export, calls


def test_inspect_prints_summary_to_stderr_and_csv_to_stdout(stub_load, form_file):
    export, calls = stub_load
    result = runner.invoke(
        cli.app, ["inspect", str(export), "--instrument", str(form_file), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    findings = pd.read_csv(StringIO(result.stdout))
    assert findings[["check", "record_id", "action"]].values.tolist() == [
        ["under-age", "r2", "excluded"],
        ["too-short", "r3", "flagged"],
    ]
    assert "under-age" in result.stderr and "3 record(s) checked, 1 to exclude" in result.stderr
    assert "round1.xlsx" in result.stderr  # records per source
    assert calls[0][1].question("a2_age").type == "integer"  # the form was read and passed to load


def test_inspect_min_duration_option(stub_load, form_file):
    export, _ = stub_load
    args = ["inspect", str(export), "-i", str(form_file), "-f", "json", "--min-duration", "5"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    assert [f["check"] for f in json.loads(result.stdout)] == ["under-age"]


def test_inspect_writes_json_file_atomically(stub_load, form_file, tmp_path):
    export, _ = stub_load
    out = tmp_path / "out" / "findings.json"
    result = runner.invoke(
        cli.app, ["inspect", str(export), "-i", str(form_file), "-f", "json", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text(encoding="utf-8"))
    assert {r["check"] for r in records} == {"under-age", "too-short"}
    assert records[0]["source_row"] == 3 and records[0]["value"] == "16"
    assert result.stdout == ""
    assert "Files written" in result.stderr and [p.name for p in out.parent.iterdir()] == ["findings.json"]


def test_inspect_table_format(stub_load, form_file):
    export, _ = stub_load
    result = runner.invoke(cli.app, ["inspect", str(export), "-i", str(form_file)])
    assert result.exit_code == 0
    assert "Findings" in result.stdout and "interview lasted 6.0 min" in result.stdout


def test_inspect_real_kobo_export():
    export = shared_path("exports", "kobo_xml.xlsx")
    form = shared_path("exports", "perception_survey.xlsx")
    result = runner.invoke(
        cli.app, ["inspect", str(export), "-i", str(form), "-f", "csv", "--min-duration", "5"]
    )
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.strip()
        == "check,severity,action,record_id,source_file,source_row,frame_index,column,value,message,table"
    )
    assert "2 record(s) checked, 0 to exclude" in result.stderr


def test_unreadable_form_exits_1_without_traceback_and_writes_nothing(tmp_path):
    form = tmp_path / "form.xlsx"
    form.write_text("not a workbook")
    export = tmp_path / "export.csv"
    export.write_text("a,b\n1,2\n")
    out = tmp_path / "findings.csv"
    result = runner.invoke(cli.app, ["inspect", str(export), "-i", str(form), "-o", str(out)])
    assert result.exit_code == 1
    assert "unreadable-instrument" in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_unreadable_export_exits_1(tmp_path, form_file):
    export = tmp_path / "export.sav"
    export.write_bytes(b"\x00garbage that is not SPSS")
    out = tmp_path / "findings.csv"
    result = runner.invoke(cli.app, ["inspect", str(export), "-i", str(form_file), "-o", str(out)])
    assert result.exit_code == 1
    assert "export.sav" in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_missing_export_is_a_usage_error(tmp_path, form_file):
    result = runner.invoke(cli.app, ["inspect", str(tmp_path / "nope.xlsx"), "-i", str(form_file)])
    assert result.exit_code == 2


def test_help_names_the_python_equivalent():
    result = runner.invoke(cli.app, ["inspect", "--help"])
    assert result.exit_code == 0
    assert "check_quality" in result.stdout and "Example" in result.stdout


def test_the_form_given_as_the_export_says_to_pass_it_as_the_instrument(tmp_path, form_file):
    out = tmp_path / "findings.csv"
    result = runner.invoke(cli.app, ["inspect", str(form_file), "-i", str(form_file), "-o", str(out)])
    assert result.exit_code == 1
    assert "form-not-data" in result.stderr and "XLSForm" in result.stderr and "--instrument" in result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_a_ragged_csv_names_its_line_in_plain_words(tmp_path, form_file):
    export = tmp_path / "export.csv"
    export.write_text("consent,a2_age\n1,34\n1,40,oops\n", encoding="utf-8")
    result = runner.invoke(cli.app, ["inspect", str(export), "-i", str(form_file)])
    assert result.exit_code == 1
    text = " ".join(result.stderr.split())
    assert "line 3 has 3 fields" in text and "C error" not in text and "tokenizing" not in text
