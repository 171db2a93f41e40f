"""``survey-toolkit pull``: fetch rounds from KoBoToolbox or ODK Central into the project.

Python equivalent: ``survey_toolkit.pull.pull(PROJECT, rounds=[...])``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress

from . import app, handle_errors
from ._render import err_console
from .run import ProjectArg


@app.command("pull")
@handle_errors
def pull_command(
    project: ProjectArg,
    round_ids: Annotated[
        list[str] | None,
        typer.Option("--round", "-r", metavar="ROUND", help="Pull only this round (repeat for several); default: every round with a source."),
    ] = None,
) -> None:
    """Download the form and the submissions of each round that names a server source in survey.yaml.

    KoBoToolbox: set KOBO_TOKEN to your API token. ODK Central: set ODK_CENTRAL_USERNAME and
    ODK_CENTRAL_PASSWORD (or use a pyodk config file). Credentials are never read from survey.yaml
    and never printed. A second pull fetches only new and edited submissions; files are replaced
    atomically, so a failed pull keeps the previous files, and an interrupted download resumes.

    Python: [cyan]survey_toolkit.pull.pull(PROJECT, rounds=[...])[/]

    Example:

        survey-toolkit pull my-survey
        survey-toolkit pull my-survey --round R4
    """
    from ..pull import pull

    with Progress(console=err_console, transient=True) as bars:
        tasks: dict[str, int] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                label = "Pulling rounds" if step == "pull" else f"Downloading {step}"
                tasks[step] = bars.add_task(label, total=total)
            bars.update(tasks[step], completed=done, total=total)

        result = pull(project, rounds=round_ids or None, progress=progress)
    for r in result.rounds:
        err_console.print(f"[bold green]pulled[/] {r.summary()} -> {r.data_file}")
    err_console.print("Next: run 'survey-toolkit validate' on the project.")
