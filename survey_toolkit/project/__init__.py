"""The project file (``survey.yaml``): everything a round-by-round analysis needs, in one place.

:func:`load_project` reads the file with the located-YAML machinery of the indicators spec
(:mod:`survey_toolkit.indicators.yamlsource`), checks its structure (types, required keys, unknown keys
with a "did you mean" hint, files that do not exist, duplicate round ids, an output folder that is a file
or would overwrite an input file: :func:`output_problems`) and returns a frozen
:class:`Project`; every problem is reported at ``file:line:column`` and raised together in a
:class:`~survey_toolkit.errors.SpecError`. :func:`check_project` returns the problems instead of raising.

Relative paths in the file are relative to the folder holding it. The format is documented in
``docs/project-file.md``; numeric defaults are not repeated here: a key left out means "use the library
default" (:class:`~survey_toolkit.disclosure.ReportingRules`, :func:`~survey_toolkit.quality.check_quality`,
:class:`~survey_toolkit.design.Design`).

Example:
    >>> project = load_project("examples/demo/survey.yaml")     # doctest: +SKIP
    >>> [r.id for r in project.rounds]                          # doctest: +SKIP
    ['R1', 'R2', 'R3']
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from ..errors import Location, Problem, SpecError, ValidationReport
from ..indicators.yamlsource import read_yaml
from .keys import _LOCATIONS, _REQUIRED_TOP, _TOP, LABELLED_EXPORTS, _Ctx
from .keys import DF_RULES as DF_RULES
from .keys import INTERVALS as INTERVALS
from .keys import QUALITY_CHECKS as QUALITY_CHECKS
from .model import CALFUNS as CALFUNS
from .model import CHART_FORMATS as CHART_FORMATS
from .model import LONELY_PSU as LONELY_PSU
from .model import MISSING_WEIGHTS as MISSING_WEIGHTS
from .model import OPTIONAL_KEYS_TEMPLATE as OPTIONAL_KEYS_TEMPLATE
from .model import (
    OUTPUT_FILES,
    PROJECT_FILE,
    BaseWeightSettings,
    DesignSettings,
    EstimationSettings,
    LocationSettings,
    PlanSettings,
    Project,
    QualitySettings,
    RemoteSource,
    ReportSettings,
    Round,
    ShareSettings,
    SmallAreaSettings,
    WeightingSettings,
    _frozen,
)
from .model import SERVERS as SERVERS
from .model import WEIGHTING_METHODS as WEIGHTING_METHODS
from .rounds import _rounds, _sm_source
from .sections import (
    _cross_checks,
    _derive,
    _design,
    _estimation,
    _off_list,
    _plan,
    _quality,
    _replicate_weighting,
    _report,
    _share,
    _small_areas,
    _weighting,
)

__all__ = [
    "PROJECT_FILE",
    "Project",
    "Round",
    "RemoteSource",
    "SmallAreaSettings",
    "ShareSettings",
    "PlanSettings",
    "DesignSettings",
    "BaseWeightSettings",
    "WeightingSettings",
    "QualitySettings",
    "LocationSettings",
    "ReportSettings",
    "EstimationSettings",
    "load_project",
    "check_project",
    "project_path",
    "output_problems",
    "OUTPUT_FILES",
]


# ----------------------------------------------------------------------------------------------------
# structure checking


def project_path(path: str | Path) -> Path:
    """The project file: ``path`` itself, or ``path/survey.yaml`` when ``path`` is a folder."""
    p = Path(path)
    return p / PROJECT_FILE if p.is_dir() else p


def check_project(path: str | Path, *, pulling: bool = False) -> tuple[Project | None, ValidationReport]:
    """Read and check a project file; return the project (None when it has errors) and every problem.

    ``path`` is the file or the folder holding ``survey.yaml``. Never raises for user mistakes.
    ``pulling=True`` (used by :func:`survey_toolkit.pull.pull`) accepts rounds whose server files are
    not pulled yet.
    """
    file = project_path(path)
    if not file.is_file():
        problem = Problem(
            "missing-file",
            f"no project file at '{file}'",
            Location(file=str(file)),
            hint="run 'survey-toolkit init DIR' to create one, or give the path of your survey.yaml",
        )
        return None, ValidationReport((problem,))
    parsed = read_yaml(file)
    if parsed.problems and parsed.data is None:
        return None, ValidationReport(parsed.problems)
    ctx = _Ctx(parsed.source, file.resolve().parent)
    ctx.pulling = pulling
    ctx.problems += parsed.problems
    raw = ctx.keys(parsed.data, _TOP, (), "the project file")
    if parsed.data is not None and not isinstance(parsed.data, dict):
        return None, ValidationReport.of(ctx.problems)
    for key in _REQUIRED_TOP:
        ctx.require(raw, key, (), "the project file")
    version = ctx.value(raw, "version", "int", ())
    if version is not None and version != 1:
        ctx.add("bad-value", f"project file version {version} is not supported", ("version",),
                expected="1", got=str(version))  # fmt: skip
    instrument = ctx.value(raw, "instrument", "file", ())
    indicators = ctx.value(raw, "indicators", "file", ())
    na_values = ctx.value(raw, "na_values", "str_list", ())
    sm_source = _sm_source(ctx, raw, ())
    rounds = _rounds(ctx, raw.get("rounds"), na_values, sm_source) if "rounds" in raw else ()
    design = _design(ctx, raw.get("design"))
    weighting = _weighting(ctx, raw.get("weighting"))
    if design.replicates is not None or design.replicate_build is not None:
        _replicate_weighting(ctx, weighting)
    quality = _quality(ctx, raw.get("quality"))
    lraw = ctx.keys(raw.get("locations"), _LOCATIONS, ("locations",), "locations")
    levels = ctx.value(lraw, "levels", "str_list", ("locations",)) or ()
    for i, level in enumerate(levels):
        if level in levels[:i]:
            ctx.add("bad-value", f"locations.levels names '{level}' twice", ("locations", "levels", i),
                    expected="each location column once, coarsest first", got=level)  # fmt: skip
    locations = LocationSettings(
        levels=ctx.value(lraw, "levels", "str_list", ("locations",)) or (),
        names=ctx.value(lraw, "names", "str_map", ("locations",)) or _frozen(None),
    )
    report = _report(ctx, raw.get("report"))
    small_areas = _small_areas(ctx, raw.get("small_areas"), locations)
    share = _share(ctx, raw.get("share"))
    plan = _plan(ctx, raw.get("plan"))
    estimation = _estimation(ctx, raw.get("estimation"))
    cleaning = ctx.value(raw, "cleaning_log", "files", ())
    derive = _derive(ctx, ctx.value(raw, "derive", "list", ()))
    off_list = _off_list(ctx, raw)
    title = ctx.value(raw, "title", "text", ())
    _cross_checks(ctx, report)
    if instrument is None and "instrument" not in raw:
        _form_from_data_check(ctx, rounds)
    ordered = sorted(ctx.problems, key=lambda p: (p.location.line or 0, p.location.column or 0))
    problems = ValidationReport.of(ordered)
    if not problems.ok or indicators is None or (instrument is None and "instrument" in raw):
        return None, problems
    project = Project(
        path=file.resolve(),
        instrument=instrument,
        indicators=indicators,
        rounds=rounds,
        design=design,
        weighting=weighting,
        quality=quality,
        locations=locations,
        report=report,
        title=title or report.title,
        source=parsed.source,
        small_areas=small_areas,
        share=share,
        plan=plan,
        estimation=estimation,
        cleaning_logs=cleaning or (),
        derive=derive,
        extra_columns=ctx.value(raw, "extra_columns", "str_list1", ()) or (),
        off_list=off_list,
    )
    collisions = output_problems(project)
    if collisions:
        return None, ValidationReport.of(sorted([*problems, *collisions], key=_line_order))
    return project, problems


def _form_from_data_check(ctx: _Ctx, rounds: tuple[Round, ...]) -> None:
    """Without ``instrument:`` the form is built from the first round's export: it must carry labels."""
    if not rounds:
        return
    first = rounds[0]
    export = first.files[0]
    if first.source is None and export.suffix.lower() in LABELLED_EXPORTS:
        return
    at = first.location.path or ("rounds", 0)
    what = "is fetched from a server" if first.source is not None else f"'{export.name}' has no value labels"
    ctx.add(
        "missing-key",
        f"the project file has no 'instrument:' and the form cannot be built from the data: round {first.id}'s "
        f"export {what}",
        (*at, "source") if first.source is not None else (*at, "files", 0),
        expected="'instrument: form.xlsx' (the XLSForm), or an SPSS/Stata export (" + ", ".join(LABELLED_EXPORTS) + ")",
        got=export.name,
        hint="add 'instrument: <your XLSForm>' to survey.yaml; without a form, run "
        f"'survey-toolkit init --from {export.name} DIR' to write a starter form.xlsx from the export, check it, "
        "and name it with 'instrument:'",
    )


def _line_order(problem: Problem) -> tuple[int, int]:
    return problem.location.line or 0, problem.location.column or 0


def _inputs(project: Project) -> list[tuple[Path, str, Location]]:
    """Every input file of the project: its path, what it is, and where the project file names it."""
    out: list[tuple[Path, str, Location]] = [
        (project.path, "the project file", Location(file=str(project.path))),
        (project.indicators, "indicators", project.locate("indicators")),
    ]
    if project.instrument is not None:
        out.append((project.instrument, "instrument", project.locate("instrument")))
    for r in project.rounds:
        at = r.location.path or ("rounds",)
        out += [(f, f"round {r.id} files", project.locate(*at, "files", j)) for j, f in enumerate(r.files)]
        if r.instrument is not None:
            out.append((r.instrument, f"round {r.id} instrument", project.locate(*at, "instrument")))
        out += [(f, f"round {r.id} cleaning_log", project.locate(*at, "cleaning_log")) for f in r.cleaning_logs]
    out += [(f, "cleaning_log", project.locate("cleaning_log")) for f in project.cleaning_logs]
    base = project.design.base_weights
    if base is not None:
        out.append((base.sample_frame, "design.base_weights.sample_frame",
                    project.locate("design", "base_weights", "sample_frame")))  # fmt: skip
    if project.weighting.margins is not None:
        out.append((project.weighting.margins, "weighting.margins", project.locate("weighting", "margins")))
    if project.small_areas is not None:
        out.append((project.small_areas.covariates, "small_areas.covariates", project.locate("small_areas", "covariates")))
    return out


def _output_location(project: Project) -> Location:
    if project.source is not None and ("report", "output") in project.source.values:
        return project.locate("report", "output")
    return Location(file=str(project.path), path=("report", "output"))


def output_problems(project: Project, output: Path | None = None) -> list[Problem]:
    """Problems of the output folder: it is an existing file, or a file written there is an input.

    ``output`` replaces ``project.report.output`` (the CLI's ``--output``). Paths are compared resolved,
    so ``output: .`` next to a sample frame named ``weights.csv`` is caught before anything is written.
    """
    folder = Path(output if output is not None else project.report.output).resolve()
    where = _output_location(project) if output is None else Location(file=str(folder))
    change = "set report.output in survey.yaml (or pass --output) to a folder of its own, e.g. 'output'"
    blocking = next((p for p in (folder, *folder.parents) if p.exists()), folder)
    if blocking.exists() and not blocking.is_dir():
        what = "is an existing file" if blocking == folder else f"is inside '{blocking.name}', which is a file"
        return [
            Problem("output-not-a-folder", f"the output folder '{folder.name}' {what}, not a folder",
                    where, expected="a folder (created when missing)", got=f"the file {blocking}",
                    hint=change)  # fmt: skip
        ]
    problems = []
    for path, what, location in _inputs(project):
        resolved = path.resolve()
        if resolved == folder:
            problems.append(Problem("output-is-input", f"the output folder is the input file '{path.name}' ({what})",
                                    where, got=str(resolved), hint=change))  # fmt: skip
            continue
        try:
            relative = resolved.relative_to(folder).as_posix()
        except ValueError:
            continue
        clash = next((pat for pat in OUTPUT_FILES if fnmatch.fnmatch(relative, pat)), None)
        if clash is not None:
            problems.append(
                Problem(
                    "output-overwrites-input",
                    f"the workflow would write '{relative}' into the output folder {folder}, "
                    f"over the input file of {what}",
                    location,
                    expected=f"no input file named like an output ({', '.join(OUTPUT_FILES)})",
                    got=str(resolved),
                    hint=f"{change}, or rename the input file",
                )
            )
    return problems


def load_project(path: str | Path) -> Project:
    """Read and check a project file (or a folder holding ``survey.yaml``); raise on any error.

    Raises:
        SpecError: every problem of the file, each at file:line:column, with a hint.
    """
    project, report = check_project(path)
    report.raise_if_errors(SpecError)
    assert project is not None
    return project
