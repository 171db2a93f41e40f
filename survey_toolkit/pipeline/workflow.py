"""The whole workflow: run() chains the steps (until= stops early); validate_project checks, writing nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from ..codes import showing_values, values_shown
from ..derive import derive_data
from ..errors import Location, Problem, Severity, SpecError, SurveyToolkitError, ValidationReport
from ..io.base import SurveyData
from ..outputs import staged_folder, stale_outputs, write_run_status
from ..parallel import forked_map
from ..project import OUTPUT_FILES, Project, output_problems
from ..report.tidy import write_csv, write_tidy
from ..weighting import Weighted
from .checks import Checked, check_rounds
from .common import STEPS, Inputs, Progress, _as_project, _noop, shared_objects
from .estimates import compare, compute_results, published_table, reporting_table
from .inputs import _form_and_indicator_problems, validate_inputs
from .reporting import _write_step_tables, decision_tables, report_meta, write_outputs
from .rounds import clean_rounds, combine, load_rounds
from .weights import weight_rounds


def validate_project(
    path: str | Path, *, data: bool = False, progress: Progress | None = None
) -> tuple[Project | None, ValidationReport]:
    """Check a project and return every problem; never raises for user mistakes.

    Without ``data``: the project file, the form(s), the indicators, the margins and the sample frame.
    With ``data``: also load every round, run the data-quality checks and compute the weights
    (nothing is written), adding their problems and one summary warning per quality check.
    """
    from ..project import check_project

    project, report = check_project(path)
    if project is None:
        return None, report + _form_and_indicator_problems(path)
    try:
        inputs = validate_inputs(project)
    except SurveyToolkitError as exc:
        return project, report + exc.problems
    if not data:
        return project, report + inputs.problems
    try:
        result = run(project, until="weight", write=False, progress=progress)
    except SurveyToolkitError as exc:
        return project, report + inputs.problems + exc.problems
    quality = [p for rep in (result.checked.reports.values() if result.checked else ()) for p in rep.problems]
    data_problems = [p for p in result.problems if p not in inputs.problems and p.code != "rows-excluded"]
    return project, report + inputs.problems + data_problems + quality + _design_problems(project, result)


def _design_problems(project: Project, result: RunResult) -> list[Problem]:
    """What ``run`` would stop on when it prepares each round's design for the estimates (a stratum
    with one PSU under ``lonely_psu: fail``, a round of one respondent), located at ``design:``."""
    from ..estimation import prepare_design

    out: list[Problem] = []
    index = {r.id: i for i, r in enumerate(project.rounds)}
    for rid, w in (result.weighted or {}).items():
        try:
            prepare_design(w.frame, w.design)
        except SurveyToolkitError as exc:  # at design: when the file has it, else at the round's files
            where = project.locate("design")
            if where.line in (None, 1):
                where = project.locate("rounds", index.get(rid, 0), "files")
            out += [dataclasses.replace(p, message=f"round {rid}: {p.message}", location=where)
                    for p in exc.problems]  # fmt: skip
    return out


@dataclass(frozen=True, eq=False)
class RunResult:
    """What :func:`run` produced, step by step (None for steps not run), and every file written."""

    project: Project
    inputs: Inputs
    data: Mapping[str, SurveyData] | None = None
    cleaning: pd.DataFrame | None = None
    """The cleaning-log rows applied (``cleaning_log_applied.csv``), None without a cleaning log."""
    checked: Checked | None = None
    weighted: Mapping[str, Weighted] | None = None
    results: pd.DataFrame | None = None
    table: pd.DataFrame | None = None
    comparisons: pd.DataFrame | None = None
    files: tuple[Path, ...] = ()
    problems: ValidationReport = field(default_factory=ValidationReport)

    @property
    def frame(self) -> pd.DataFrame | None:
        """The analysed respondents of every round, stacked, with their ``final_weight``."""
        if self.weighted:
            return pd.concat([w.frame for w in self.weighted.values()], ignore_index=True)
        if self.checked is not None:
            return combine(self.checked.data)
        return combine(self.data) if self.data else None


def _warnings(inputs: Inputs, data: Mapping[str, SurveyData] | None, checked: Checked | None,
              weighted: Mapping[str, Weighted] | None) -> ValidationReport:  # fmt: skip
    problems = list(inputs.problems)
    for d in (checked.data if checked is not None else data or {}).values():
        problems += list(d.problems)
    for w in (weighted or {}).values():
        for rep in w.history:
            problems += list(rep.problems)
    return ValidationReport.of(p for p in problems if not p.is_error)


def run(
    project: Project | str | Path,
    *,
    until: str = "report",
    progress: Progress | None = None,
    generated_at: datetime | None = None,
    write: bool = True,
    show_values: bool = False,
) -> RunResult:
    """Run the workflow of a project up to the step ``until`` (one of :data:`STEPS`).

    Writes into the project's output folder (when ``write``): ``quality.csv`` and ``exclusions.csv``
    after ``quality``; ``weights.csv`` and ``weight_diagnostics.csv`` after ``weight``; ``results.csv``
    after ``compute``; ``comparisons.csv`` after ``compare``; and, after ``report``, the HTML reports,
    workbooks, tidy tables (CSV, Parquet) and charts. ``generated_at`` is the timestamp shown in the
    HTML report (None: none, so two runs give identical files). Messages name a value from the data
    only when it looks like a code, unless ``show_values`` (the CLI's ``--show-values``).

    The files of one run are written into a staging folder beside the output folder and moved into
    it only when every step succeeded, so a failed run leaves the output folder as it was (never
    new weights beside the previous run's report).

    Raises:
        SpecError, InstrumentError, LoadError, DataError, WeightError, DesignError, EstimationError:
            every problem of the failing step, located.
    """
    if until not in STEPS:
        raise ValueError(f"until must be one of {STEPS}, got {until!r}")
    project = _as_project(project)
    if write:  # never write over an input file, even for a project changed after load_project
        ValidationReport.of(output_problems(project)).raise_if_errors(SpecError)
    with showing_values(show_values or values_shown()):
        if not write:
            return _run(project, until, progress, generated_at, write=False)
        out = Path(project.report.output)
        try:
            with staged_folder(out) as staging:
                staged = dataclasses.replace(project, report=dataclasses.replace(project.report, output=staging))
                result = _run(staged, until, progress, generated_at, write=True)
        except SurveyToolkitError as exc:  # nothing written; an earlier run's files must not pass for current
            if stale := stale_outputs(out, (), OUTPUT_FILES):
                write_run_status(out, until=until, stale=[s for s in stale if s != "RUN_STATUS.txt"],
                                 errors=exc.problems)  # fmt: skip
            raise
    files = tuple(out / p.relative_to(staging) for p in result.files)
    stale = [s for s in stale_outputs(out, files, OUTPUT_FILES) if s != "RUN_STATUS.txt"]
    write_run_status(out, until=until, written=files, stale=stale)
    problems = result.problems
    if stale:
        problems = ValidationReport.of([*problems, Problem(
            "stale-outputs", f"{len(stale)} file(s) of the output folder are from an earlier run, not updated by this "
            f"one ({', '.join(stale[:3])}{' ...' if len(stale) > 3 else ''}); {out / 'RUN_STATUS.txt'} lists them",
            Location(file=str(out / "RUN_STATUS.txt")), severity=Severity.WARNING,
            hint="run again up to the 'report' step (survey-toolkit run), or delete them")])  # fmt: skip
    return dataclasses.replace(result, project=project, files=files, problems=problems)


def _run(
    project: Project, until: str, progress: Progress | None, generated_at: datetime | None, *, write: bool
) -> RunResult:
    stop = STEPS.index(until)
    progress = progress or _noop
    inputs = validate_inputs(project)
    result = RunResult(project, inputs, problems=inputs.problems)
    if stop < STEPS.index("load"):
        return result
    data = load_rounds(project, inputs, progress=progress)
    cleaning = None
    if project.cleaning_logs or any(r.cleaning_logs for r in project.rounds):
        data, cleaning = clean_rounds(data, project)
    if project.derive and inputs.analysis is not None:
        data = {rid: derive_data(d, project.derive, inputs.analysis, project.off_list) for rid, d in data.items()}
    checked = check_rounds(data, project, progress=progress) if stop >= STEPS.index("quality") else None
    weighted = None
    if checked is not None and stop >= STEPS.index("weight"):
        weighted = weight_rounds(checked.data, project, inputs, progress=progress)
    files: list[Path] = []
    if write and stop >= STEPS.index("quality"):
        files += _write_step_tables(project, checked, weighted)
        if cleaning is not None:
            files.append(write_csv(project.report.output / "cleaning_log_applied.csv", cleaning))
    results = raw = table = comparisons = None
    if weighted is not None and stop >= STEPS.index("compute"):
        results = compute_results(weighted, project, inputs, progress=progress)
        raw = reporting_table(results, project, inputs, rules=False)
        table = published_table(raw, project, inputs)
    decided = None
    if table is not None and stop >= STEPS.index("compare"):
        progress("compare", 0, 1)
        if write and stop == STEPS.index("report"):  # the report's decision tables do not read the comparisons
            jobs = [lambda: compare(table, project), lambda: decision_tables(results, table, project, inputs, raw=raw)]
            comparisons, decided = forked_map(lambda job: job(), jobs,
                                              shared=[*shared_objects(project, inputs), results, raw, table])  # fmt: skip
        else:
            comparisons = compare(table, project)
        progress("compare", 1, 1)
    if write and table is not None:
        if stop == STEPS.index("report"):
            progress("report", 0, 1)
            meta = report_meta(project, inputs, checked=checked, weighted=weighted, generated_at=generated_at)
            shown, plan = decided
            meta = dataclasses.replace(meta, plan=plan)
            files += write_outputs(shown, comparisons, meta, project, progress)
            progress("report", 1, 1)
        else:  # the tables of a full run (labels beside the codes, integer counts), without the report
            meta = report_meta(project, inputs, checked=checked, weighted=weighted, generated_at=generated_at)
            languages = project.report.languages or inputs.indicators.languages
            files += write_tidy(project.report.output, table, comparisons, meta=meta, parquet=False,
                                lang=languages[0] if languages else "en")  # fmt: skip
    return dataclasses.replace(
        result,
        data=MappingProxyType(data),
        cleaning=cleaning,
        checked=checked,
        weighted=MappingProxyType(weighted) if weighted is not None else None,
        results=results,
        table=table,
        comparisons=comparisons,
        files=tuple(files),
        problems=_warnings(inputs, data, checked, weighted),
    )
