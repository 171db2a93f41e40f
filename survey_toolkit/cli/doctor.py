"""``survey-toolkit doctor``: what this computer has for survey_toolkit, and what is missing.

Python equivalent: ``survey_toolkit.doctor.check_environment()``.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from . import app, handle_errors
from ._render import out_console


@app.command("doctor")
@handle_errors
def doctor() -> None:
    """Report the Python version, the packages survey_toolkit uses and the optional programs.

    Chromium and LibreOffice are only needed for the optional checks that open the HTML report and
    the workbook; the server credentials for 'pull' are reported as set or not set, never shown.
    Exit code 1 when something required is missing.

    Python: [cyan]survey_toolkit.doctor.check_environment()[/]

    Example:

        survey-toolkit doctor
    """
    from ..doctor import check_environment

    checks = check_environment()
    table = Table(title="survey-toolkit doctor", show_lines=False)
    for col in ("what", "status", "found", "note"):
        table.add_column(col)
    style = {"ok": "green", "missing": "bold red", "optional": "yellow", "info": "cyan"}
    for row in checks.itertuples(index=False):
        table.add_row(escape(row.what), f"[{style[row.status]}]{row.status}[/]", escape(row.found), escape(row.note))
    out_console.print(table)
    if (checks["status"] == "missing").any():
        raise typer.Exit(1)
