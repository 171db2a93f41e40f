"""``survey-toolkit run``: the whole workflow of a project, and the helpers the step commands share.

Python equivalent: ``survey_toolkit.pipeline.run(survey_toolkit.project.load_project(PROJECT))``.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..errors import Severity, SpecError, ValidationReport
from . import ShowValuesOpt, app, handle_errors
from ._render import err_console, plain, render_written

if TYPE_CHECKING:  # the library is imported when a command runs, so that --help stays fast
    from ..pipeline import RunResult
    from ..project import Project

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
    from ..project import output_problems

    if output is None:
        return project
    ValidationReport.of(output_problems(project, output)).raise_if_errors(SpecError)
    return dataclasses.replace(project, report=dataclasses.replace(project.report, output=output.resolve()))


def render_warnings(problems: ValidationReport) -> None:
    """One line per warning code with its count (details: ``survey-toolkit validate``)."""
    counts = Counter(p.code for p in problems if p.severity is Severity.WARNING)  # infos are not warnings
    if not counts:
        return
    text = ", ".join(f"{plain(code)} x{n}" for code, n in sorted(counts.items()))
    err_console.print(f"[yellow]{sum(counts.values())} warning(s)[/]: {text}")
    err_console.print("  (see them all with 'survey-toolkit validate PROJECT'; exclusions are in quality.csv)")


def render_off_list(result: RunResult) -> None:
    """Answers outside the choice lists, per round and question, and what was done with them."""
    table = result.checked.off_list if result.checked is not None else None
    if table is None or table.empty:
        return
    done = {"missing": "counted as missing", "other": "counted as 'other'"}
    parts = [f"{plain(str(r.round))} '{plain(r.question)}' {r.off_list} of {r.answers} ({r.share:.1%}) {done[r.rule]}"
             for r in table.head(5).itertuples(index=False)]  # fmt: skip
    more = f" and {len(table) - 5} more question(s)" if len(table) > 5 else ""
    err_console.print(f"[yellow]Answers outside the choice lists[/]: {'; '.join(parts)}{more} (off_list.csv)",
                      highlight=False)  # fmt: skip


def run_pipeline(*args: Any, **kwargs: Any) -> RunResult:
    """:func:`survey_toolkit.pipeline.run`, imported when a command runs (so that --help stays fast)."""
    from ..pipeline import run

    return run(*args, **kwargs)


class PhaseProgress:
    """The pipeline's ``progress(step, done, total)`` on stderr.

    On a terminal: one moving bar per phase, with the unit of work in hand ("Writing outputs: html fr").
    Otherwise (a log, CI, a pipe): one line per phase when it ends, with its time
    ("Estimating indicators: 9/9 in 4.2 s"), so a log shows where the time went.
    """

    def __init__(self, bars: Progress | None) -> None:
        self.bars = bars
        self.tasks: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.reported: set[str] = set()

    def __call__(self, step: str, done: int, total: int) -> None:
        phase, _, detail = step.partition(":")
        text = _STEP_TEXT.get(phase, phase) + (f": {detail}" if detail else "")
        self.started.setdefault(phase, time.perf_counter())
        if self.bars is not None:
            if phase not in self.tasks:
                self.tasks[phase] = self.bars.add_task(text, total=total)
            self.bars.update(self.tasks[phase], completed=done, total=total, description=text)
        if done >= total and phase not in self.reported:
            self.reported.add(phase)
            seconds = time.perf_counter() - self.started[phase]
            if self.bars is None:
                err_console.print(f"{_STEP_TEXT.get(phase, phase)}: {done}/{total} in {seconds:.1f} s", highlight=False)


def run_until(project_arg: Path, until: str, output: Path | None, *, timestamp: bool = False) -> RunResult:
    """Run the pipeline up to ``until`` with progress on stderr; render warnings, files and, after a
    report, where things are and the three key findings."""
    from ..project import load_project

    project = with_output(load_project(project_arg), output)
    stamp = datetime.now(timezone.utc).replace(microsecond=0) if timestamp else None
    if err_console.is_terminal:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err_console, transient=True) as bars:
            result = run_pipeline(project, until=until, progress=PhaseProgress(bars), generated_at=stamp)
    else:
        result = run_pipeline(project, until=until, progress=PhaseProgress(None), generated_at=stamp)
    render_warnings(result.problems)
    render_off_list(result)
    render_written(result.files)
    if until == "report":
        render_closing(result)
    return result


def render_closing(result: RunResult) -> None:
    """The project file, the exclusions file and the three most important findings."""
    from ..pipeline import report_meta
    from ..report._common import percent_factor
    from ..report.findings import finding_sentences

    project = result.project
    err_console.print(f"[bold]Project:[/] {plain(str(project.path))}")
    exclusions = project.report.output / "exclusions.csv"
    if exclusions in result.files:
        count = len(result.checked.exclusions) if result.checked is not None else 0
        err_console.print(f"[bold]Interviews excluded:[/] {count}, listed with their reasons in {plain(str(exclusions))}")
    if result.table is None or result.comparisons is None:
        return
    lang = (project.report.languages or ("en",))[0]
    meta = report_meta(project, result.inputs)
    found = finding_sentences(result.table, result.comparisons, meta, lang, percent_factor(result.table), top=3)
    if not found:
        err_console.print("[bold]Key findings:[/] no statistically significant change after false discovery rate control.")
        return
    err_console.print("[bold]Key findings[/] (all of them in the report):")
    for k, sentence in enumerate(found, 1):
        err_console.print(f"  {k}. {plain(sentence)}", highlight=False)


@app.command("run")
@handle_errors
def run(project: ProjectArg, output: OutputOpt = None, show_values: ShowValuesOpt = False) -> None:
    """Run everything: validate, load every round, check quality, weight, estimate, compare and report.

    Writes the HTML reports, the Excel workbooks, the tidy tables (CSV, Parquet) and the charts into
    the project's output folder, then names every file written. Works offline. The report and the
    workbook include "Planning the next round" (survey.yaml plan:, see survey-toolkit plan); with
    small_areas: substitute: true they show labelled model-based figures where a location's own
    estimate is withheld as too imprecise. Rounds and report languages are processed in
    parallel on Linux (SURVEY_TOOLKIT_WORKERS=1: one after the other).

    Python: [cyan]survey_toolkit.pipeline.run(load_project(PROJECT))[/]

    Example:

        survey-toolkit run examples/demo
    """
    run_until(project, "report", output, timestamp=True)
