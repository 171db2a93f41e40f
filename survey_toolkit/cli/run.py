"""``survey-toolkit run``: the whole workflow of a project, and the helpers the step commands share.

Python equivalent: ``survey_toolkit.pipeline.run(survey_toolkit.project.load_project(PROJECT))``.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..errors import SpecError, ValidationReport
from ..pipeline import RunResult
from ..pipeline import run as run_pipeline
from ..project import Project, load_project, output_problems
from . import app, handle_errors
from ._render import err_console, render_written

_STEP_TEXT = {
    "load": "Loading rounds",
    "quality": "Checking data quality",
    "weight": "Weighting",
    "compute": "Estimating indicators",
    "compare": "Comparing rounds",
    "report": "Writing outputs",
}

ProjectArg = Annotated[
    Path,
    typer.Argument(help="The project folder (holding survey.yaml) or the project file itself.", exists=True),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write into this folder instead of the project's report.output.",
                 file_okay=False),  # fmt: skip
]


def with_output(project: Project, output: Path | None) -> Project:
    """The project with another output folder (from ``--output``).

    Raises:
        SpecError: the folder is an existing file, or an output file would overwrite an input file.
    """
    if output is None:
        return project
    ValidationReport.of(output_problems(project, output)).raise_if_errors(SpecError)
    return dataclasses.replace(project, report=dataclasses.replace(project.report, output=output.resolve()))


def render_warnings(problems: ValidationReport) -> None:
    """One line per warning code with its count (details: ``survey-toolkit validate``)."""
    counts = Counter(p.code for p in problems if not p.is_error)
    if not counts:
        return
    text = ", ".join(f"{escape(code)} x{n}" for code, n in sorted(counts.items()))
    err_console.print(f"[yellow]{sum(counts.values())} warning(s)[/]: {text}")
    err_console.print("  (see them all with 'survey-toolkit validate PROJECT'; exclusions are in quality.csv)")


def run_until(project_arg: Path, until: str, output: Path | None, *, timestamp: bool = False) -> RunResult:
    """Run the pipeline up to ``until`` with progress bars on stderr; render warnings and files."""
    project = with_output(load_project(project_arg), output)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bars:
        tasks: dict[str, int] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bars.add_task(_STEP_TEXT.get(step, step), total=total)
            bars.update(tasks[step], completed=done, total=total)

        stamp = datetime.now(timezone.utc).replace(microsecond=0) if timestamp else None
        result = run_pipeline(project, until=until, progress=progress, generated_at=stamp)
    render_warnings(result.problems)
    render_written(result.files)
    return result


@app.command("run")
@handle_errors
def run(project: ProjectArg, output: OutputOpt = None) -> None:
    """Run everything: validate, load every round, check quality, weight, estimate, compare and report.

    Writes the HTML reports, the Excel workbooks, the tidy tables (CSV, Parquet) and the charts into
    the project's output folder, then names every file written. Works offline.

    Python: [cyan]survey_toolkit.pipeline.run(load_project(PROJECT))[/]

    Example:

        survey-toolkit run examples/demo
    """
    run_until(project, "report", output, timestamp=True)
