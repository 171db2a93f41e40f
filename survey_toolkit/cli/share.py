"""``survey-toolkit share``: de-identified microdata for partners, with a disclosure report.

Python equivalent: ``survey_toolkit.sharing.share_project(PROJECT, k=5)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from . import app, handle_errors
from ._render import err_console, out_console, render_written, step_bars
from .run import _STEP_TEXT, OutputOpt, ProjectArg, with_output


@app.command("share")
@handle_errors
def share(
    project: ProjectArg,
    k: Annotated[int | None, typer.Option("--k", min=2, help="Every record shares its quasi-identifiers with at least k records (default: share.k, else 5).")] = None,
    output: OutputOpt = None,
) -> None:
    """Write microdata a partner may receive: direct identifiers dropped (found from the form and
    listed), quasi-identifiers coarsened and locally suppressed until k-anonymity holds, ids replaced
    by sequential codes, weights kept; and a disclosure report (risk before/after, what was removed,
    headline indicators on the full data and on the export).

    Writes shared/microdata.csv, shared/removed_columns.csv and shared/disclosure_report.html in the
    output folder. Settings: the share: section of survey.yaml (docs/project-file.md).

    Python: [cyan]survey_toolkit.sharing.share_project(PROJECT, k=5)[/]

    Example:

        survey-toolkit share examples/demo --k 5
    """
    from ..project import load_project
    from ..sharing import share_project

    loaded = with_output(load_project(project), output)
    with step_bars(_STEP_TEXT) as progress:
        result, files = share_project(loaded, k=k, progress=progress)
    table = Table(title="Disclosure risk of the shared microdata")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for row in result.risk.itertuples(index=False):
        table.add_row(escape(str(row.measure)), escape(str(row.value)))
    out_console.print(table)
    err_console.print(f"{len(result.removed)} column(s) removed or replaced; {len(result.data.columns)} kept.")
    render_written([Path(f) for f in files])
