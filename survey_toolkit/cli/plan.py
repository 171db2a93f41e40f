"""``survey-toolkit plan``: what change the next round can detect per location, and the sample it needs.

Python equivalent: ``survey_toolkit.planning.plan_project(PROJECT, target_change=10)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import Problem, SpecError
from . import app, handle_errors
from ._render import out_console, render_written, step_bars
from .run import _STEP_TEXT, OutputOpt, ProjectArg, with_output


def _check(name: str, value: float, low: float, high: float, *, open_low: bool = True) -> None:
    ok = (low < value if open_low else low <= value) and value < high
    if not ok:
        raise typer.BadParameter(f"must be between {low:g} and {high:g}, got {value:g}", param_hint=f"--{name}")


@app.command("plan")
@handle_errors
def plan(
    project: ProjectArg,
    target: Annotated[float | None, typer.Option("--target", help="The change to detect, in the indicator's unit (percentage points). Default: plan.target_change of survey.yaml, else 10.")] = None,
    round_id: Annotated[str | None, typer.Option("--round", help="Plan from this round (default: the latest).")] = None,
    power: Annotated[float | None, typer.Option("--power", help="Probability of detecting a real change of that size (default: plan.power, else 0.8).")] = None,
    alpha: Annotated[float | None, typer.Option("--alpha", help="Significance level of the two-sided test (default: plan.alpha, else 0.05).")] = None,
    overlap: Annotated[float | None, typer.Option("--overlap", help="Share of the sample interviewed again next round (panel), 0-1 (default: plan.overlap, else 0).")] = None,
    correlation: Annotated[float | None, typer.Option("--correlation", help="Correlation of the same respondents' answers between rounds (default: plan.correlation, else 0).")] = None,
    indicator: Annotated[list[str] | None, typer.Option("--indicator", "-i", metavar="ID", help="Only these indicators (repeat).")] = None,
    output: OutputOpt = None,
) -> None:
    """Plan the next round from a finished one: per location and indicator, the design effect, the
    effective sample size, the smallest change the next round can detect at the current size, and the
    respondents needed to detect --target.

    Writes plan.csv, plan.xlsx (table and chart) and plan.svg into the output folder. The formulas are
    in docs/methodology.md ("Planning the next round").

    Python: [cyan]survey_toolkit.planning.plan_project(PROJECT, target_change=10)[/]

    Example:

        survey-toolkit plan examples/demo --target 10
        survey-toolkit plan examples/demo --target 5 --overlap 0.5 --correlation 0.4
    """
    from ..planning import plan_project

    given = {"target_change": target, "power": power, "alpha": alpha, "overlap": overlap, "correlation": correlation}
    for name, value, low, high, open_low in (("target", target, 0, float("inf"), True), ("power", power, 0, 1, True),
                                             ("alpha", alpha, 0, 1, True), ("overlap", overlap, 0, 1.000001, False),
                                             ("correlation", correlation, -1.000001, 1.000001, True)):  # fmt: skip
        if value is not None:
            _check(name, value, low, high, open_low=open_low)
    from ..project import load_project

    loaded = with_output(load_project(project), output)
    options = {**loaded.plan.options(), **{k: v for k, v in given.items() if v is not None}}
    if indicator:
        options["indicators"] = indicator
    if round_id is not None and round_id not in loaded.round_ids:
        raise SpecError(Problem("unknown-round", f"there is no round '{round_id}' in the project",
                                expected=", ".join(loaded.round_ids), got=round_id,
                                hint="use a round id of survey.yaml"))  # fmt: skip
    with step_bars(_STEP_TEXT) as progress:
        table, files = plan_project(loaded, round_id=round_id, progress=progress, **options)
    _summary(table, options["target_change"])
    render_written([Path(f) for f in files])


def _summary(table, target: float) -> None:
    """Per location: the median detectable change over the percentage indicators, and who reaches the target."""
    rows = table[table["unit"].eq("percent") & table["mdc"].notna()]
    if rows.empty:
        return
    by = rows.groupby(["location_level", "location"], sort=False)
    summary = by.agg(n=("n", "max"), deff=("deff", "median"), mdc=("mdc", "median"), needed=("n_needed", "median"))
    out = Table(title=f"Next round at the current size: detectable change (median over indicators), target {target:g}")
    for col in ("level", "location", "respondents", "design effect", "detectable change", "needed for target"):
        out.add_column(col, justify="left" if col in ("level", "location") else "right")
    for (level, loc), r in summary.iterrows():
        style = "green" if r["mdc"] <= target else "red"
        out.add_row(escape(str(level)), escape(str(loc)), f"{int(r['n']):,}", f"{r['deff']:.2f}",
                    f"[{style}]{r['mdc']:.1f}[/]", f"{int(r['needed']):,}")  # fmt: skip
    out_console.print(out)
