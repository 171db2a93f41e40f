"""``survey-toolkit init``: scaffold a project folder from the standard instrument and indicators.

Python equivalent: ``survey_toolkit.pipeline.scaffold(DIR)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import app, handle_errors
from ._render import err_console, plain, render_problems, render_written


@app.command("init")
@handle_errors
def init(
    directory: Annotated[Path, typer.Argument(help="The project folder to create (or an empty one).", file_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that already exist.")] = False,
    from_export: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="An export without its form (SPSS .sav/.por, Stata .dta, CSV): write form.xlsx from its "
            "labels, starter indicators and a survey.yaml reading it.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Create a project: the standard form, the standard indicators and a commented survey.yaml.

    With --from EXPORT (no form at hand): the form is built from the export's variable and value
    labels (form.xlsx), with starter indicators and a survey.yaml reading the export.

    Then put the exports of each round in the folder, list them under rounds: in survey.yaml, add
    the sample frame and census margins, and run validate.

    Python: [cyan]survey_toolkit.pipeline.scaffold(DIR)[/]

    Example:

        survey-toolkit init my-survey
        survey-toolkit validate my-survey --no-data
        survey-toolkit init --from barometer.sav my-barometer
    """
    if from_export is not None:
        from ..starter import scaffold_from_export

        written, report = scaffold_from_export(from_export, directory, overwrite=force)
        render_written(written)
        if report.problems:
            render_problems(report.problems)
        err_console.print(
            f"The form was built from the labels of {plain(from_export.name)}: check {plain(directory / 'form.xlsx')} "
            f"and {plain(directory / 'indicators.yaml')}, then run 'survey-toolkit validate {plain(directory)}'."
        )
        return
    from ..pipeline import scaffold

    written = scaffold(directory, overwrite=force)
    render_written(written)
    err_console.print(f"Next: edit {plain(directory / 'survey.yaml')}, then run 'survey-toolkit validate {plain(directory)}'.")
