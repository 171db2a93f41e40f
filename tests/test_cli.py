"""The command-line shell: help, version, exit codes and error rendering."""

from __future__ import annotations

import errno
import subprocess
import sys

import pytest
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


@pytest.mark.parametrize(
    ("exc", "code", "words"),
    [
        (PermissionError(errno.EACCES, "Permission denied", "/data/out/weights.csv"), "permission-denied",
         "permission denied"),
        (FileExistsError(errno.EEXIST, "File exists", "/data/outfile"), "file-exists", "already exists"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "/data/out/results.csv"), "is-a-folder", "is a folder"),
        (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/data/outfile/x.csv"), "not-a-folder",
         "is a file, not a folder"),
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "/data/gone.csv"), "file-not-found",
         "does not exist"),
        (OSError(errno.ENOSPC, "No space left on device", "/data/out/report.en.html"), "disk-full", "no space left"),
        (OSError(errno.EIO, "Input/output error", "/data/out/x.csv"), "cannot-access-file", "cannot read or write"),
    ],
)
def test_file_system_errors_are_rendered_problems_not_bugs(exc, code, words):
    def boom() -> None:
        raise exc

    result = runner.invoke(_app_with(boom), ["boom"])
    assert result.exit_code == 1
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert f"error[{code}]" in result.output and words in result.output
    assert exc.filename in result.output and "hint:" in result.output
    problem = cli.os_problem(exc)
    assert problem.location.file == exc.filename and problem.hint


def test_file_system_error_without_a_file_name():
    problem = cli.os_problem(PermissionError(errno.EACCES, "Permission denied"))
    assert problem.code == "permission-denied" and problem.location.file is None


def test_files_written_summary_groups_chart_folders():
    from pathlib import Path

    from survey_toolkit.cli._render import summarise_written

    charts = [Path(f"out/charts/en/c{i}.{ext}") for i in range(5) for ext in ("png", "svg")]
    lines = summarise_written([Path("out/report.en.html"), *charts, Path("out/results.csv")])
    assert lines == ["out/report.en.html", "out/charts/en/ (10 files: .png, .svg)", "out/results.csv"]


def test_files_written_summary_names_every_non_chart_file():
    from pathlib import Path

    from survey_toolkit.cli._render import summarise_written

    files = [Path(f"out/table{i}.csv") for i in range(10)]
    assert summarise_written(files) == [str(f) for f in files]


def test_help_imports_no_data_library():
    """``survey-toolkit --help`` (and every command's --help) stays fast: no pandas, numpy or scipy import."""
    import subprocess
    import sys

    code = ("import sys; from typer.testing import CliRunner; from survey_toolkit.cli import app; "
            "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0, r.output; "
            "[CliRunner().invoke(app, [c, '--help']) for c in ('run', 'plan', 'share', 'small-areas', 'inspect')]; "
            "print(sorted(m for m in ('pandas', 'numpy', 'scipy') if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_run_path_imports_no_scipy_stats():
    """``scipy.stats`` takes about half a second to import: the modules a run uses compute their t and
    Normal quantiles with :mod:`survey_toolkit.estimation.distributions` (``scipy.special``) instead."""
    import subprocess
    import sys

    code = ("import sys; import survey_toolkit, survey_toolkit.pipeline, survey_toolkit.report, survey_toolkit.cli.run; "
            "print(sorted(m for m in ('scipy.stats', 'scipy.optimize', 'statsmodels') if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_the_entry_point_flushes_and_keeps_exit_codes(tmp_path):
    """main() ends the process with os._exit after flushing: every line is written and the exit codes
    stay 0 (ok), 1 (data or spec problems) and 2 (usage), through a pipe as in a terminal."""
    import subprocess
    import sys

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "survey_toolkit", *args], capture_output=True, text=True)

    ok = cli("--help")
    assert ok.returncode == 0 and "Usage" in ok.stdout and ok.stdout.rstrip().endswith("╯")
    assert cli("no-such-command").returncode == 2
    broken = tmp_path / "indicators.yaml"
    broken.write_text("indicators:\n  - id: x\n    type: nonsense\n", encoding="utf-8")
    bad = cli("indicators", "check", str(broken))
    assert bad.returncode == 1 and str(broken) in bad.stdout + bad.stderr


def test_a_profiler_still_gets_to_write_its_results(tmp_path):
    """Under cProfile (or a coverage tracer) the entry point exits the usual way, so their files are written."""
    import subprocess
    import sys

    out = tmp_path / "cli.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "survey_toolkit", "--help"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 and out.stat().st_size > 0
