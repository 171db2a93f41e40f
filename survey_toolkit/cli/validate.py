"""``survey-toolkit validate``: check a project file, its form, indicators and (by default) the data.

Python equivalent: ``survey_toolkit.pipeline.validate_project(PROJECT, data=True)``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import ShowValuesOpt, app, handle_errors
from ._render import err_console, render_problems, step_bars
from .run import _STEP_TEXT, ProjectArg


@app.command("validate")
@handle_errors
def validate(
    project: ProjectArg,
    data: Annotated[
        bool,
        typer.Option("--data/--no-data", help="Also load every round, check its quality and weight it."),
    ] = True,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with code 1 on warnings too.")] = False,
    show_values: ShowValuesOpt = False,
) -> None:
    """Check the project file, the form, the indicators, the margins and sample frame, and the data.

    Every problem is listed with its file and line (or sheet, row, column and record id), what was
    expected and how to fix it. Nothing is written. Exit code 1 when there is an error (or, with
    --strict, a warning).

    Python: [cyan]survey_toolkit.pipeline.validate_project(PROJECT, data=True)[/]

    Example:

        survey-toolkit validate examples/demo
        survey-toolkit validate examples/demo/survey.yaml --no-data
    """
    with step_bars(_STEP_TEXT) as progress:
        from ..pipeline import validate_project

        checked, report = validate_project(project, data=data, progress=progress)
    render_problems(report)
    if not report.ok or (strict and report.warnings):
        raise typer.Exit(1)
    what = "project, form, indicators" + (" and data" if data else "")
    err_console.print(f"[bold green]OK[/]: {what} checked, {len(checked.rounds) if checked else 0} round(s).")
