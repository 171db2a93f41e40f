"""The codebook (Markdown and HTML, escaped) and the 'indicators docs' command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from survey_toolkit import cli, read_instrument
from survey_toolkit.indicators import load_indicators, parse_indicators
from survey_toolkit.indicators.codebook import render_codebook, render_html, render_markdown

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "indicators.yaml"
FORM = ROOT / "instruments" / "cssp_core.xlsx"

NASTY = """
spec_version: 1
title: "Tricky <script>alert(1)</script> | set"
indicators:
  - id: nasty
    type: proportion
    label: "Share of <b>bold</b> & | pipes *stars*"
    numerator: q in [1, 2] and r < 3
    notes: "Uses `backticks` & <tags>"
"""


@pytest.fixture(scope="module")
def nasty():
    checked = parse_indicators(NASTY, "nasty.yaml")
    assert checked.report.ok
    return checked.spec


def test_html_escapes_everything(nasty):
    page = render_html(nasty)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<code>q in [1, 2] and r &lt; 3</code>" in page
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_markdown_escapes_table_breakers(nasty):
    text = render_markdown(nasty)
    assert "## Share of \\<b\\>bold\\</b\\> & \\| pipes \\*stars\\*" in text
    assert "| What is counted | `q in [1, 2] and r < 3` |" in text
    assert "Uses \\`backticks\\` & \\<tags\\>" in text
    for line in text.splitlines():
        if line.startswith("| ") and "\\|" not in line:
            assert line.count("|") in (3, 4), line


@pytest.fixture(scope="module")
def shipped():
    form = read_instrument(FORM)
    return load_indicators(SHIPPED, form), form


def test_shipped_codebook_says_what_out_of_whom_and_which_questions(shipped):
    spec, form = shipped
    text = render_codebook(spec, form, format="md")
    assert text.count("\n## ") == len(spec)
    assert "| What is counted | `b1_safe_dark in [1, 2]` |" in text
    assert "| Out of whom | `answered(b1_safe_dark)` |" in text
    assert "| `b1_safe_dark` | select\\_one | How safe do you feel walking alone" in text
    assert "| d5\\_police\\_account | rescaled from 1-4 |" in text
    french = render_codebook(spec, form, format="md", language="fr")
    assert "Indice de légitimité de la police (0-10)" in french


def test_cli_docs_writes_html_and_md(tmp_path):
    cli._register_commands()
    runner = CliRunner()
    out = tmp_path / "sub" / "codebook.html"
    result = runner.invoke(cli.app, ["indicators", "docs", str(SHIPPED), "-i", str(FORM), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["codebook.html"]  # no temporary file left behind
    md = tmp_path / "codebook.md"
    result = runner.invoke(cli.app, ["indicators", "docs", str(SHIPPED), "--output", str(md), "--language", "fr"])
    assert result.exit_code == 0 and md.read_text(encoding="utf-8").startswith("# Enquête")


def test_cli_docs_refuses_a_broken_file(tmp_path):
    cli._register_commands()
    out = tmp_path / "codebook.md"
    bad = ROOT / "tests" / "data" / "spec" / "unknown_question.yaml"
    result = CliRunner().invoke(cli.app, ["indicators", "docs", str(bad), "-i", str(FORM), "-o", str(out)])
    assert result.exit_code == 1
    assert f"{bad}:7:16: error[unknown-question]" in result.output
    assert not out.exists()


def test_cli_docs_bad_format_is_a_usage_error(tmp_path):
    cli._register_commands()
    result = CliRunner().invoke(cli.app, ["indicators", "docs", str(SHIPPED), "-o", str(tmp_path / "x"),
                                          "--format", "pdf"])
    assert result.exit_code == 2
