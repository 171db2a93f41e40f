"""``survey-toolkit small-areas``: model-based (Fay-Herriot) estimates for small locations.

Python equivalent: ``survey_toolkit.small_areas.small_areas_project(PROJECT)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from . import app, handle_errors
from ._render import out_console, render_written, step_bars
from .run import _STEP_TEXT, OutputOpt, ProjectArg, with_output


@app.command("small-areas")
@handle_errors
def small_areas(
    project: ProjectArg,
    round_id: Annotated[str | None, typer.Option("--round", help="Only this round (default: every round).")] = None,
    output: OutputOpt = None,
) -> None:
    """Estimate each indicator for every location of small_areas.level with the area-level Fay-Herriot
    model (REML; EBLUP and MSE), borrowing strength from the covariates file and the other locations.

    Every figure is labelled model-based. Sensitive indicators are not modelled. Writes
    small_areas.csv, small_areas.xlsx (estimates and model parameters) and small_areas.svg (direct
    and model-based intervals side by side). Method: docs/methodology.md ("Small-area estimates").

    Python: [cyan]survey_toolkit.small_areas.small_areas_project(PROJECT)[/]

    Example:

        survey-toolkit small-areas examples/demo --round R3
    """
    from ..project import load_project
    from ..small_areas import small_areas_project

    loaded = with_output(load_project(project), output)
    with step_bars(_STEP_TEXT) as progress:
        estimates, models, files = small_areas_project(loaded, round_id=round_id, progress=progress)
    if not estimates.empty:
        gain = (estimates["rmse"] / estimates["direct_se"]).median()
        table = Table(title=f"{len(models)} models ({estimates['indicator_id'].nunique()} indicators); "
                            f"median root MSE / direct SE: {gain:.2f}")  # fmt: skip
        for col in ("indicator", "round", "areas", "variance of area effects", "converged"):
            table.add_column(col)
        for m in models.head(12).itertuples(index=False):
            table.add_row(escape(str(m.indicator_id)), escape(str(m.round)), str(m.areas), f"{m.variance_A:.3g}", str(m.converged))
        out_console.print(table)
    render_written([Path(f) for f in files])
