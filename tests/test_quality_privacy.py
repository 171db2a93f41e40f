"""Respondents' text never reaches messages, quality tables or CLI output (review findings S1, S8, B2, S2)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
from rich.console import Console

import survey_toolkit as st
from survey_toolkit import io as survey_io
from survey_toolkit.cli._render import render_problem
from survey_toolkit.cli.inspect import DetailFormat, _detail_text
from survey_toolkit.errors import Location, Problem
from survey_toolkit.quality import check_quality

NAME_AND_PHONE = "Jane Doe +237699123456"


def _export(tmp_path: Path) -> survey_io.SurveyData:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in (
        ["type", "name", "label", "constraint"],
        ["select_one trust", "trust_police", "Trust", ""],
        ["integer", "age", "Age", ". >= 18 and . < 120"],
        ["date", "dob", "Date of birth", ". < today()"],
    ):
        ws.append(row)
    choices = wb.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for code in ("1", "2", "98"):
        choices.append(["trust", code, f"label {code}"])
    wb.save(tmp_path / "form.xlsx")
    form = st.read_instrument(tmp_path / "form.xlsx")
    sub = tmp_path / "deep" / "folder"
    sub.mkdir(parents=True)
    pd.DataFrame(
        {
            "trust_police": ["1", NAME_AND_PHONE, "5", '=HYPERLINK("http://x")'],
            "age": [30, 699123456, 12, 40],
            "dob": ["1990-05-12", "2090-05-12", "1980-01-01", "1970-01-01"],
        }
    ).to_csv(sub / "export.csv", index=False)
    return survey_io.load(sub / "export.csv", instrument=form)


def test_loader_message_hides_free_text_but_names_codes(tmp_path):
    data = _export(tmp_path)
    text = "\n".join(f"{p} {p.expected} {p.got}" for p in data.problems.problems)
    assert "Jane" not in text and "237699123456" not in text and "HYPERLINK" not in text
    assert "'5'" in text and "<text, 22 characters>" in text


def test_quality_values_hide_names_phones_and_dates(tmp_path):
    issues = check_quality(_export(tmp_path)).issues
    dumped = issues.astype(str).to_csv()
    for secret in ("Jane", "699123456", "2090-05-12", "HYPERLINK"):
        assert secret not in dumped
    choices = issues[issues["check"] == "value-not-in-choices"]
    assert set(choices["value"]) == {"<text, 22 characters>", "5"}  # name+phone and the formula: 22 each
    age = issues[(issues["check"] == "constraint-violated") & (issues["column"] == "age")]
    assert set(age["value"]) == {"<text, 9 characters>", "12"}


def test_quality_source_file_is_a_base_name(tmp_path):
    issues = check_quality(_export(tmp_path)).issues
    assert set(issues["source_file"].dropna()) == {"export.csv"}


def test_cli_never_quotes_a_data_file_line(tmp_path):
    data = tmp_path / "export.csv"
    data.write_text("name,phone\nJane Doe,+237699123456\n", encoding="utf-8")
    spec = tmp_path / "indicators.yaml"
    spec.write_text("indicators:\n  - id: x\n", encoding="utf-8")
    out = io.StringIO()
    console = Console(file=out, width=200, no_color=True)
    render_problem(Problem("unreadable-file", "line 2 is broken", Location(file=str(data), line=2)), console)
    render_problem(Problem("bad-id", "bad id", Location(file=str(spec), line=2, column=9)), console)
    text = out.getvalue()
    assert "Jane" not in text and "237699123456" not in text
    assert "  - id: x" in text  # YAML specs are still quoted with a caret


def test_inspect_csv_escapes_formulas():
    issues = pd.DataFrame(
        {"record_id": ["=cmd|' /C calc'!A0", "ok"], "value": pd.Categorical(["+1", "2"]), "n": [1, 2]}
    )
    text = _detail_text(issues, DetailFormat.csv)
    assert "'=cmd" in text and "'+1" in text
    assert "\n=" not in text and ",+1" not in text
