"""No respondent value in any message, problems table or findings file unless asked (issue #10, item 4).

Values that are not code-like become ``<text, N characters>`` everywhere (errors, problems,
``inspect`` findings); ``--show-values`` (``show_values=True``, ``showing_values()``) shows them;
control characters read from a file never reach the terminal unescaped.
"""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from rich.console import Console
from typer.testing import CliRunner

from survey_toolkit import cli, pipeline
from survey_toolkit.cli._render import plain, render_problem
from survey_toolkit.codes import display_value, display_values, looks_like_code, printable, showing_values
from survey_toolkit.errors import Location, Problem, SurveyToolkitError
from survey_toolkit.results import MISSING_LEVEL
from tests.conftest import ROOT
from tests.test_pipeline import reduced_project

runner = CliRunner()
NAME = "Jane Doe +237699123456"
DEMO_R1 = ROOT / "examples" / "demo" / "round1_kobo.xlsx"


@pytest.fixture(autouse=True)
def _commands():
    cli._register_commands()


@pytest.mark.parametrize("value", ["R01D04", "R01D04-2", "dk", "98", "A", "urban"])
def test_codes_of_the_demo_stay_visible(value):
    assert looks_like_code(value) and display_value(value) == value


@pytest.mark.parametrize("value", [NAME, "Jane", "+237699123456", "AB1234567", "R01D04-Jane Doe", "x" * 40])
def test_names_phones_and_ids_are_hidden(value):
    assert display_value(value) == f"<text, {len(value)} characters>"


def test_showing_values_shows_them_with_control_characters_escaped():
    with showing_values():
        assert display_value(NAME) == NAME
        assert display_value("a\x1b[31mb") == "a\\x1b[31mb"
    assert display_value(NAME).startswith("<text")
    assert display_values(["1", NAME]) == "'1', '<text, 22 characters>'"


def test_printable_escapes_terminal_sequences_and_bidi_overrides_only():
    assert printable("a\x1b]0;title\x07b\x00\u202ec") == "a\\x1b]0;title\\x07b\\x00\\u202ec"
    assert printable("é\n\tok") == "é\n\tok"


def test_str_of_a_problem_and_its_rendering_never_carry_a_control_character():
    problem = Problem("unknown-key", "unknown key '\x1b[2Jboom'", Location(file="survey.yaml", record_id="k\x1b[31m"),
                      got="\x1b[31mred", hint="remove '\x9b1m'")  # fmt: skip
    assert "\x1b" not in str(problem) and "\x9b" not in str(problem)
    buffer = io.StringIO()
    render_problem(problem, Console(file=buffer, width=200, force_terminal=False))
    assert "\x1b" not in buffer.getvalue() and "\\x1b[2Jboom" in buffer.getvalue()
    assert plain("[bold]x\x1b") == "\\[bold]x\\x1b"


def _project_with(tmp_path, column: str, value: str = NAME):
    """A reduced demo project whose round 1 holds ``value`` in ``column`` on two rows."""
    book = openpyxl.load_workbook(DEMO_R1)
    sheet = book.worksheets[0]
    col = [c.value for c in sheet[1]].index(column) + 1
    for row in (5, 9):
        sheet.cell(row=row, column=col).value = value
    book.save(tmp_path / "round1.xlsx")
    path = reduced_project(tmp_path)
    path.write_text(path.read_text().replace(str(DEMO_R1), str(tmp_path / "round1.xlsx")), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("column", "code"),
    [
        ("a_respondent/a1_sex", "category-not-in-margins"),
        ("area_type", "stratum-not-in-sample-frame"),
        ("cluster_id", "psu-in-several-strata"),
    ],
)
def test_a_name_typed_into_a_design_or_breakdown_column_is_never_echoed(tmp_path, column, code):
    project = _project_with(tmp_path, column)
    result = runner.invoke(cli.app, ["compute", str(project)])
    assert result.exit_code == 1 and code in result.output, result.output
    assert "Jane" not in result.output and "237699123456" not in result.output
    assert "<text, " in result.output
    with pytest.raises(SurveyToolkitError) as err:
        pipeline.run(project, until="compute", write=False)
    assert "Jane" not in str(err.value)
    assert all("Jane" not in str(v) for v in err.value.report.to_frame().to_numpy().ravel())
    with pytest.raises(SurveyToolkitError) as shown:
        pipeline.run(project, until="compute", write=False, show_values=True)
    assert "Jane Doe" in str(shown.value)


def test_show_values_option_shows_the_name(tmp_path):
    project = _project_with(tmp_path, "cluster_id")
    result = runner.invoke(cli.app, ["compute", str(project), "--show-values"])
    assert result.exit_code == 1 and NAME in result.output


@pytest.fixture
def small_export(tmp_path):
    book = openpyxl.Workbook()
    book.remove(book.active)
    sheets = {
        "survey": [["type", "name", "label"], ["start", "start", ""], ["end", "end", ""],
                   ["select_one yesno", "consent", "Agree?"], ["integer", "a2_age", "Age"]],
        "choices": [["list_name", "name", "label"], ["yesno", "1", "Yes"], ["yesno", "2", "No"]],
    }  # fmt: skip
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(tmp_path / "form.xlsx")
    t0, t1 = "2024-05-01T10:00:00", "2024-05-01T10:30:00"
    (tmp_path / "export.csv").write_text(
        "start,end,consent,a2_age,KEY\n"
        f"{t0},{t1},1,30,uuid:1\n"
        f"{t0},{t1},{NAME} \x1b[31m,30,uuid:\x1b]0;pwned\x07\n"
        f"{t0},{t1},1,40,uuid:3\n",
        encoding="utf-8",
    )
    return tmp_path / "export.csv", tmp_path / "form.xlsx"


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_inspect_findings_and_stderr_hide_free_text_and_escapes(small_export, tmp_path, fmt):
    export, form = small_export
    result = runner.invoke(cli.app, ["inspect", str(export), "-i", str(form), "-f", fmt])
    assert result.exit_code == 0, result.output
    assert "Jane" not in result.output and "\x1b" not in result.output and "\x07" not in result.output
    assert "<text, 28 characters>" in result.output
    out = tmp_path / f"findings.{fmt}"
    runner.invoke(cli.app, ["inspect", str(export), "-i", str(form), "-f", fmt, "-o", str(out)])
    text = out.read_text(encoding="utf-8")
    assert "Jane" not in text and "\x1b" not in text
    if fmt == "json":
        assert {"<text, 28 characters>"} <= {r["value"] for r in json.loads(text)}


def test_inspect_show_values_shows_the_text_escaped(small_export):
    export, form = small_export
    result = runner.invoke(cli.app, ["inspect", str(export), "-i", str(form), "-f", "csv", "--show-values"])
    assert NAME in result.output and "\x1b" not in result.output and "\\x1b[31m" in result.output


def test_escape_sequences_in_project_keys_are_escaped(tmp_path):
    text = (ROOT / "examples" / "demo" / "survey.yaml").read_text(encoding="utf-8")
    text = text.replace("../../instruments", str(ROOT / "instruments")).replace("../../indicators.yaml",
                                                                              str(ROOT / "indicators.yaml"))  # fmt: skip
    (tmp_path / "survey.yaml").write_text(text + '"\\e[2J\\e]0;pwned\\a": 1\n', encoding="utf-8")
    result = runner.invoke(cli.app, ["validate", str(tmp_path), "--no-data"])
    assert result.exit_code == 1, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b" in result.output


def test_a_name_typed_into_a_breakdown_column_is_never_published_as_a_group(tmp_path):
    book = openpyxl.load_workbook(DEMO_R1)
    sheet = book.worksheets[0]
    col = [c.value for c in sheet[1]].index("a_respondent/a4_displacement") + 1
    for row in (5, 9):
        sheet.cell(row=row, column=col).value = NAME
    book.save(tmp_path / "round1.xlsx")
    path = reduced_project(tmp_path, indicators=("sdg_16_1_4",))
    text = path.read_text().replace(str(DEMO_R1), str(tmp_path / "round1.xlsx"))
    path.write_text(text.replace("disaggregate: false", "disaggregate: true"), encoding="utf-8")
    result = pipeline.run(path, until="compute", write=False)
    groups = result.table["a4_displacement"].dropna().astype(str)
    assert len(groups) > 0 and not groups.str.contains("Jane").any()
    codes = set(result.inputs.instrument.choices_for("a4_displacement").codes)
    assert set(groups) - codes <= {MISSING_LEVEL}, set(groups) - codes
