"""The command-line shell: help, version, exit codes and error rendering."""

from __future__ import annotations

import subprocess
import sys

import typer
from typer.testing import CliRunner

from survey_toolkit import cli
from survey_toolkit.errors import Location, Problem, SpecError

runner = CliRunner()


def _app_with(fn):
    """A throwaway app with one command wrapped like the real ones."""
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    app.command("boom")(cli.handle_errors(fn))
    return app


def test_version_prints_and_exits_zero():
    cli._register_commands()
    result = runner.invoke(cli.app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("survey-toolkit ")


def test_user_error_is_rendered_with_location_and_exit_code_1():
    def boom() -> None:
        raise SpecError(Problem("unknown-question", "no question 'x'", Location(file="i.yaml", line=3, column=4)))

    result = runner.invoke(_app_with(boom), ["boom"])
    assert result.exit_code == 1
    assert "i.yaml:3:4" in result.output
    assert "unknown-question" in result.output
    assert "Traceback" not in result.output


def test_unexpected_exception_is_a_short_message_without_traceback():
    def boom() -> None:
        raise ZeroDivisionError("secret respondent value")

    result = runner.invoke(_app_with(boom), ["boom"])
    assert result.exit_code == 1
    assert "internal error" in result.output
    assert "--debug" in result.output
    assert "secret respondent value" not in result.output
    assert "Traceback" not in result.output


def test_module_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "survey_toolkit", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "survey-toolkit" in proc.stdout


def test_unknown_option_is_a_usage_error_with_code_2():
    proc = subprocess.run([sys.executable, "-m", "survey_toolkit", "--no-such-option"], capture_output=True, text=True)
    assert proc.returncode == 2


def test_expected_and_found_are_printed_only_when_known():
    from io import StringIO

    from rich.console import Console

    from survey_toolkit.cli._render import render_problem

    buffer = StringIO()
    render_problem(Problem("bad-code", "code 7 is not in list 'yn'", expected="1, 2, 98, 99"), Console(file=buffer))
    text = buffer.getvalue()
    assert "expected: 1, 2, 98, 99" in text
    assert "found" not in text and "None" not in text
