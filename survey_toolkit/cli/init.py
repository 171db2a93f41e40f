"""``survey-toolkit init``: scaffold a project folder from the standard instrument and indicators.

Python equivalent: ``survey_toolkit.pipeline.scaffold(DIR)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import app, handle_errors
from ._render import err_console, plain, render_written


@app.command("init")
@handle_errors
def init(
    directory: Annotated[Path, typer.Argument(help="The project folder to create (or an empty one).", file_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that already exist.")] = False,
) -> None:
    """Create a project: the standard form, the standard indicators and a commented survey.yaml.

    Then put the exports of each round in the folder, list them under rounds: in survey.yaml, add
    the sample frame and census margins, and run validate.

    Python: [cyan]survey_toolkit.pipeline.scaffold(DIR)[/]

    Example:

        survey-toolkit init my-survey
        survey-toolkit validate my-survey --no-data
    """
    from ..pipeline import scaffold

    written = scaffold(directory, overwrite=force)
    render_written(written)
    err_console.print(f"Next: edit {plain(directory / 'survey.yaml')}, then run 'survey-toolkit validate {plain(directory)}'.")
