"""The round-by-round workflow of a project file, one small public function per step.

Each step takes and returns plain objects, so a notebook can stop anywhere and look at pandas
tables; :func:`run` chains them (``until=`` stops early) and returns a :class:`RunResult`::

    validate_inputs(project)                      -> Inputs (instrument, indicators, margins, frame)
    load_rounds(project, inputs)                  -> {round id: SurveyData} (renames applied, round set)
    check_rounds(data, project)                   -> Checked (cleaned data, quality reports, exclusion log)
    weight_rounds(cleaned, project, inputs)       -> {round id: Weighted} (base weights, calibration, design)
    compute_results(weighted, project, inputs)    -> tidy compute() table, rounds x (national, admin1, admin2)
    reporting_table(results, project, inputs)     -> the reporting table, disclosure rules applied
    compare(table, project)                       -> comparisons (latest vs previous and vs baseline, FDR)
    write_outputs(table, comparisons, meta, project) -> files written (HTML, Excel, tidy, charts)

Rounds are weighted and estimated one at a time (independent cross-sections, each calibrated to the
margins), then stacked with a ``round`` column. Every exclusion is logged; nothing is dropped
silently. Mistakes in the inputs are collected and raised together (``SpecError`` for the project,
instrument and indicators; ``LoadError``/``WeightError``/... from the steps). The library never prints:
pass ``progress=callback(step, done, total)`` to follow long steps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .codes import canonical_code, display_values, looks_like_code, showing_values, values_shown
from .comparison import compare_rounds
from .compute import compute_many
from .derive import analysis_form, derive_data
from .design import Design
from .disclosure import DEFAULT_GROUP_COLUMNS, apply_rules
from .errors import (
    DataError,
    Location,
    Problem,
    Severity,
    SpecError,
    SurveyToolkitError,
    ValidationReport,
    WeightError,
    did_you_mean,
)
from .formdiff import form_changes, rename_problems, to_project_form, undo_renames
from .indicators.loader import check_indicators
from .indicators.model import IndicatorSpec
from .instrument import Instrument, read_instrument
from .io.base import SurveyData
from .io.load import load
from .offlist import TABLE_COLUMNS as OFF_LIST_COLUMNS
from .offlist import off_list_problems, off_list_table
from .outputs import safe_output_path, staged_folder
from .project import OPTIONAL_KEYS_TEMPLATE, Project, Round, load_project, output_problems
from .quality import QualityReport, apply_exclusions, check_quality
from .report import ReportMeta, render
from .report._common import t
from .report.tidy import write_csv, write_tidy
from .results import group_labels_from_instrument, labels_from_indicators, themes_from_instrument
from .results import reporting_table as reshape_results
from .weightgaps import fill_weight_gaps
from .weighting import (
    Margins,
    TrimBounds,
    Weighted,
    base_weights,
    calibrate,
    post_stratify,
    rake,
    read_margins,
    trim,
)

__all__ = [
    "STEPS",
    "ROUND_COLUMN",
    "WEIGHT_COLUMN",
    "Progress",
    "Inputs",
    "Checked",
    "RunResult",
    "validate_inputs",
    "validate_project",
    "load_rounds",
    "combine",
    "clean_rounds",
    "apply_renames",
    "check_rounds",
    "weight_rounds",
    "weight_summary",
    "weights_table",
    "compute_results",
    "reporting_table",
    "drop_empty_groups",
    "compare",
    "report_meta",
    "write_outputs",
    "run",
    "scaffold",
    "standard_files",
]

STEPS = ("validate", "load", "quality", "weight", "compute", "compare", "report")
"""The steps of :func:`run`, in order (``until=`` takes one of them)."""

ROUND_COLUMN = "round"
"""The column holding the project's round id in every loaded round."""

WEIGHT_COLUMN = "final_weight"

Progress = Callable[[str, int, int], None]
"""``progress(step, done, total)``: called before and after each unit of work of a long step."""


def _noop(step: str, done: int, total: int) -> None:
    return None


def _as_project(project: Project | str | Path) -> Project:
    return project if isinstance(project, Project) else load_project(project)


# ---------------------------------------------------------------------------------------------- validate


@dataclass(frozen=True, eq=False)
class Inputs:
    """The checked inputs of a project: the form(s), the indicators, the margins and the sample frame."""

    instrument: Instrument
    indicators: IndicatorSpec
    margins: Margins | None = None
    sample_frame: pd.DataFrame | None = None
    round_instruments: Mapping[str, Instrument] = field(default_factory=lambda: MappingProxyType({}))
    problems: ValidationReport = field(default_factory=ValidationReport)
    analysis: Instrument | None = None
    """The form plus the project's derived variables and extra columns (``survey_toolkit.derive``)."""


def _read_form(path: Path) -> tuple[Instrument | None, list[Problem]]:
    try:
        return read_instrument(path), []
    except SurveyToolkitError as exc:
        return None, list(exc.problems)


def _project_form(project: Project) -> tuple[Instrument | None, list[Problem]]:
    """The project's form: its ``instrument:`` XLSForm, else built from the first round's SPSS/Stata
    value and variable labels (``survey_toolkit.instrument_from_data``)."""
    if project.instrument is not None:
        return _read_form(project.instrument)
    return _form_from_export(project.rounds[0])


def _labelled_export(round_: Round) -> bool:
    from .project import LABELLED_EXPORTS

    return round_.source is None and round_.files[0].suffix.lower() in LABELLED_EXPORTS


def _form_from_export(round_: Round) -> tuple[Instrument | None, list[Problem]]:
    """The form built from the value and variable labels of the round's first export."""
    from .instrument_from_data import instrument_from_export

    try:
        form, notes = instrument_from_export(round_.files[0], **round_.load_options)
    except SurveyToolkitError as exc:
        return None, list(exc.problems)
    return form, list(notes)


def _frame_problems(project: Project, frame: pd.DataFrame) -> list[Problem]:
    base = project.design.base_weights
    assert base is not None
    wanted = {"stratum": base.stratum, "population": base.population, "fpc": base.fpc}
    columns = [str(c) for c in frame.columns]
    problems = []
    for key, column in [*wanted.items(), *(("sample", c) for c in base.sample)]:
        if column is not None and column not in columns:
            problems.append(
                Problem(
                    "unknown-column",
                    f"design.base_weights.{key} names the column '{column}', which the sample frame "
                    f"{base.sample_frame.name} does not have",
                    project.locate("design", "base_weights", key),
                    expected=", ".join(columns),
                    got=column,
                    hint=did_you_mean(column, columns) or "use a column of the sample frame",
                )
            )
    if base.stratum in columns:
        problems += _duplicate_strata(frame, base.stratum, base.sample_frame)
    return problems


def _duplicate_strata(frame: pd.DataFrame, column: str, path: Path) -> list[Problem]:
    """One error per stratum on more than one row of the sample frame (one row would silently win)."""
    strata = frame[column].astype(str).str.strip()
    twice = strata.duplicated(keep=False) & strata.ne("")
    if not twice.any():
        return []
    lines = pd.Series(np.arange(len(frame)) + 2, index=frame.index)[twice]  # CSV line: header is line 1
    problems = []
    for stratum, rows in lines.groupby(strata[twice], sort=False):  # only the repeated strata
        shown = ", ".join(str(r) for r in rows.iloc[:5]) + (" ..." if len(rows) > 5 else "")
        problems.append(
            Problem("duplicate-stratum", f"stratum '{stratum}' is on {len(rows)} rows of the sample frame "
                    f"{path.name} (lines {shown}); its sizes would be taken from one of them silently",
                    Location(file=str(path), row=int(rows.iloc[1]), field=column),
                    expected=f"one row per {column}", got=f"lines {shown}", count=len(rows),
                    hint=f"keep one row for stratum '{stratum}' in {path.name} (merge or delete the copies), "
                         "or correct the stratum name of the row that belongs to another stratum")  # fmt: skip
        )
    return problems


def _read_frame(project: Project) -> tuple[pd.DataFrame | None, list[Problem]]:
    base = project.design.base_weights
    if base is None:
        return None, []
    try:
        frame = pd.read_csv(base.sample_frame, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return None, [
            Problem("cannot-read", f"cannot read the sample frame: {type(exc).__name__}",
                    Location(file=str(base.sample_frame)), hint="save it as a UTF-8 CSV file")  # fmt: skip
        ]
    return frame, _frame_problems(project, frame)


def _derive_problems(project: Project, analysis: Instrument) -> list[Problem]:
    """Questions a derived variable's rule reads that are neither in the form, nor declared before it."""
    problems = []
    order = {d.name: i for i, d in enumerate(project.derive)}
    for i, d in enumerate(project.derive):
        known = set(analysis.names) - {n for n, k in order.items() if k >= i}
        for j, rule in enumerate(d.rules):
            for name in sorted(rule.condition.questions() - known):
                problems.append(
                    Problem("unknown-question", f"derived variable '{d.name}' reads '{name}', which is not a question "
                            "of the form, an extra column or a variable derived before it",
                            project.locate("derive", i, "when", j, "if"), got=name,
                            hint=did_you_mean(name, sorted(known)) or "add it to extra_columns, or derive it first")  # fmt: skip
                )
    return problems


def _off_list_checks(project: Project, form: Instrument) -> list[Problem]:
    """``off_list_questions`` must name select questions of the form (a typo would change nothing)."""
    selects = sorted(q.name for q in form.leaves if form.choices_for(q) is not None)
    return [
        Problem("unknown-question", f"off_list_questions: '{name}' is not a select question of the form "
                f"{project.instrument.name}", project.locate("off_list_questions", name), got=name,
                expected="the name of a select_one or select_multiple question",
                hint=did_you_mean(name, selects) or "use a select question's name from the form")
        for name in project.off_list.questions if name not in selects
    ]  # fmt: skip


def _column_checks(project: Project, form: Instrument) -> list[Problem]:
    """Columns named by the project (design, locations) must be questions of the form."""
    names = set(form.names) | {d.name for d in project.derive} | set(project.extra_columns)
    problems = _off_list_checks(project, form)
    checks = _data_columns(project)
    for column, path in checks:
        if column not in names:
            problems.append(
                Problem(
                    "unknown-question",
                    f"'{column}' is not a question of the form {Path(form.source or 'form').name}; "
                    "it must then be a column of every export",
                    project.locate(*path),
                    severity=Severity.WARNING,
                    got=column,
                    hint=did_you_mean(column, sorted(names)) or "use a question name of the form",
                )
            )
    return problems


def _data_columns(project: Project) -> list[tuple[str, tuple]]:
    """The columns the project reads from the data, with their key path in the project file."""
    design = project.design
    out: list[tuple[str | None, tuple]] = [(design.psu, ("design", "psu")), (design.weights, ("design", "weights")),
                                           (design.probabilities, ("design", "probabilities"))]  # fmt: skip
    if design.base_weights is not None:
        out.append((design.base_weights.eligible, ("design", "base_weights", "eligible")))
    if design.strata_from:
        out += [(c, ("design", "strata_from", i)) for i, c in enumerate(design.strata_from)]
    else:
        out.append((design.strata, ("design", "strata")))
    if design.fpc and not (design.base_weights and design.base_weights.fpc):
        out.append((design.fpc, ("design", "fpc")))
    out += [(c, ("locations", "levels", i)) for i, c in enumerate(project.locations.levels)]
    out += [(c, ("extra_columns", i)) for i, c in enumerate(project.extra_columns)]
    derived = {d.name for d in project.derive}  # made after loading (and cleaning)
    return [(c, path) for c, path in out if c is not None and c not in derived]


def _with_data_columns(data: SurveyData, project: Project, round_: Round) -> tuple[SurveyData, list[Problem]]:
    """Bring the design and location columns kept aside by the loader (``extra``) into the frame."""
    frame = data.frame
    extra = data.extra if data.extra is not None else pd.DataFrame(index=frame.index)
    problems = []
    for column, path in _data_columns(project):
        if column in frame.columns:
            continue
        if column in extra.columns and len(extra) == len(frame):
            frame = frame.assign(**{column: extra[column].to_numpy()})
            continue
        problems.append(
            Problem(
                "column-not-in-data",
                f"round {round_.id}: the column '{column}' is in neither the form's questions nor the export",
                project.locate(*path),
                got=column,
                hint=did_you_mean(column, [str(c) for c in [*frame.columns, *extra.columns]])
                or f"check the name, or add the column to {round_.files[0].name}",
            )
        )
    return dataclasses.replace(data, frame=frame), problems


def _indicator_checks(project: Project, spec: IndicatorSpec) -> list[Problem]:
    wanted = project.report.indicators or ()
    return [
        Problem(
            "unknown-indicator",
            f"report.indicators names '{ident}', which is not in {project.indicators.name}",
            project.locate("report", "indicators", i),
            got=ident,
            hint=did_you_mean(ident, spec.ids),
        )
        for i, ident in enumerate(wanted)
        if ident not in spec.ids
    ]


def validate_inputs(project: Project | str | Path) -> Inputs:
    """Check the project, its form(s), indicators, margins and sample frame; raise once with every problem.

    Raises:
        SpecError: every error found, each located (project file line, indicators line, form sheet...).
    """
    project = _as_project(project)
    problems: list[Problem] = []
    form, form_problems = _project_form(project)
    problems += form_problems
    round_forms, form_problems = _round_forms(project, form)
    problems += form_problems
    analysis = analysis_form(form, project.derive, project.extra_columns) if form is not None else None
    if analysis is not None:
        problems += _derive_problems(project, analysis)
    checked = check_indicators(project.indicators, analysis) if analysis is not None else None
    if checked is not None:
        problems += list(checked.report)
    elif form is None:
        problems.append(
            Problem("indicators-not-checked", "the indicators were not checked: the form cannot be read",
                    Location(file=str(project.indicators)), severity=Severity.WARNING)  # fmt: skip
        )
    margins = None
    if project.weighting.margins is not None and project.weighting.method != "none":
        try:
            margins = read_margins(project.weighting.margins, encoding=project.weighting.margins_encoding,
                                   kind=project.weighting.margins_are)  # type: ignore[arg-type]
        except SurveyToolkitError as exc:
            problems += list(exc.problems)
    frame, frame_problems = _read_frame(project)
    problems += frame_problems
    if form is not None:
        problems += _column_checks(project, form)
    if checked is not None and checked.spec is not None:
        problems += _indicator_checks(project, checked.spec)
    report = ValidationReport.of(problems)
    report.raise_if_errors(SpecError)
    assert form is not None and checked is not None and checked.spec is not None
    return Inputs(form, checked.spec, margins, frame, MappingProxyType(round_forms), report, analysis)


def _round_forms(project: Project, form: Instrument | None) -> tuple[dict[str, Instrument], list[Problem]]:
    """The form of each round that differs from the project's: its own ``instrument`` (compared with the
    project's form, question by question), or the project's form with the round's renames undone.
    Without a project form, a later SPSS/Stata round's form is built from its own labels and compared
    with the first round's the same way."""
    out: dict[str, Instrument] = {}
    problems: list[Problem] = []
    for i, r in enumerate(project.rounds):
        own = None
        if r.instrument is not None or (project.instrument is None and i > 0 and _labelled_export(r)):
            # its own XLSForm, or (no form at hand) the form built from its own export's labels
            own, own_problems = _read_form(r.instrument) if r.instrument is not None else _form_from_export(r)
            problems += own_problems
            if own is None:
                continue
        if form is None:
            continue
        problems += rename_problems(form, own, r, project)
        if own is not None:
            problems += form_changes(form, own, r, project)
            out[r.id] = own
        elif r.rename_questions or r.rename_choices:
            out[r.id] = undo_renames(form, r)
    return out, problems


def validate_project(
    path: str | Path, *, data: bool = False, progress: Progress | None = None
) -> tuple[Project | None, ValidationReport]:
    """Check a project and return every problem; never raises for user mistakes.

    Without ``data``: the project file, the form(s), the indicators, the margins and the sample frame.
    With ``data``: also load every round, run the data-quality checks and compute the weights
    (nothing is written), adding their problems and one summary warning per quality check.
    """
    from .project import check_project

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
    return project, report + inputs.problems + data_problems + quality


def _form_and_indicator_problems(path: str | Path) -> list[Problem]:
    """When the project file has errors, still check its form and indicators if their paths are good."""
    from .indicators.yamlsource import read_yaml
    from .project import project_path

    file = project_path(path)
    parsed = read_yaml(file) if file.is_file() else None
    raw = parsed.data if parsed is not None and isinstance(parsed.data, dict) else {}
    paths = {}
    for key in ("instrument", "indicators"):
        value = raw.get(key)
        candidate = file.parent / value if isinstance(value, str) and value else None
        if candidate is not None and candidate.is_file():
            paths[key] = candidate
    if "indicators" not in paths:
        return []
    checked = check_indicators(paths["indicators"], paths.get("instrument"))
    return list(checked.report)


# ------------------------------------------------------------------------------------------------- load


def _recode(series: pd.Series, mapping: Mapping[str, str], multiple: bool) -> pd.Series:
    text = series.astype("string")
    if multiple:
        distinct = text.dropna().unique()  # one translation per distinct answer, not per row
        table = {a: " ".join(mapping.get(c, c) for c in str(a).split(" ")) for a in distinct}
        return text.map(table).astype("string")
    out = text.replace(dict(mapping))
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = [mapping.get(str(c), str(c)) for c in series.cat.categories]
        categories = list(dict.fromkeys(categories + sorted(set(out.dropna()) - set(categories))))
        return pd.Categorical(out, categories=categories)  # type: ignore[return-value]
    return out


def apply_renames(data: SurveyData, round_: Round, form: Instrument | None = None) -> SurveyData:
    """Rename the questions and recode the choices of a round collected with an older form version.

    ``round_.rename_questions`` maps old names to the project's names (columns found in ``frame`` or,
    when the old name is not a question of the form used to load, in ``extra``); select_multiple
    dummies ``old/<code>`` follow. ``round_.rename_choices`` maps, per question, old codes to new ones
    (select_one values, select_multiple answers and their ``q/<code>`` dummies). With ``form`` (the
    project's form), the renamed and recoded questions are then typed against its choice lists and the
    data carries it (:func:`survey_toolkit.formdiff.to_project_form`).
    """
    frame = data.frame
    extra = data.extra
    renames: dict[str, str] = {}
    for old, new in round_.rename_questions.items():
        renames[old] = new
        renames.update({c: new + c[len(old) :] for c in frame.columns if str(c).startswith(old + "/")})
    frame = frame.rename(columns=renames)
    kept_aside = _extra_columns(extra, [old for old in round_.rename_questions if old not in data.frame.columns])
    if kept_aside:
        frame = frame.assign(**{round_.rename_questions[o]: col.astype("string") for o, col in kept_aside.items()})
    old_names = {new: old for old, new in round_.rename_questions.items()}
    for question, mapping in round_.rename_choices.items():
        if question not in frame.columns:
            continue
        meta = data.variables.get(question) or data.variables.get(old_names.get(question, question))
        multiple = meta is not None and meta.type == "select_multiple"
        frame[question] = _recode(frame[question], mapping, multiple)
        dummies = {f"{question}/{o}": f"{question}/{n}" for o, n in mapping.items()}
        frame = frame.rename(columns={k: v for k, v in dummies.items() if k in frame.columns and v not in frame})
    data = dataclasses.replace(data, frame=frame)
    if form is None or not (round_.rename_questions or round_.rename_choices or data.instrument is not form):
        return data
    return to_project_form(data, form, {*round_.rename_questions.values(), *round_.rename_choices})


def _extra_columns(extra: pd.DataFrame | None, names: list[str]) -> dict[str, pd.Series]:
    """The columns the loader kept aside for these names (written alone or under a group path ``g/name``)."""
    if extra is None or not names:
        return {}
    out = {}
    for name in names:
        found = [c for c in extra.columns if str(c) == name or str(c).endswith("/" + name)]
        if len(found) == 1:
            out[name] = extra[found[0]]
    return out


def _load_round(round_: Round, form: Instrument, project: Project, project_form: Instrument) -> SurveyData:
    parts = [load(path, instrument=form, **round_.load_options) for path in round_.files]
    data = parts[0]
    if len(parts) > 1:
        frame = pd.concat([p.frame for p in parts], ignore_index=True)
        problems = ValidationReport(tuple(q for p in parts for q in p.problems))
        data = dataclasses.replace(data, frame=frame, problems=problems, source=str(round_.files[0]))
    data = apply_renames(data, round_, project_form)
    data, problems = _with_data_columns(data, project, round_)
    if problems:
        raise DataError(problems)
    frame = data.frame.assign(**{ROUND_COLUMN: pd.array([round_.id] * len(data.frame), dtype="string")})
    return dataclasses.replace(data, frame=frame.reset_index(drop=True))


def load_rounds(
    project: Project, inputs: Inputs, *, progress: Progress | None = None
) -> dict[str, SurveyData]:
    """Load every round's exports with its form, apply its renames and set ``round``.

    Load errors of every round are collected and raised together.
    """
    progress = progress or _noop
    out: dict[str, SurveyData] = {}
    problems: list[Problem] = []
    error_type: type[SurveyToolkitError] | None = None
    for i, r in enumerate(project.rounds):
        progress("load", i, len(project.rounds))
        try:
            out[r.id] = _load_round(r, inputs.round_instruments.get(r.id, inputs.instrument), project,
                                    inputs.instrument)  # fmt: skip
        except SurveyToolkitError as exc:
            problems += exc.problems
            error_type = error_type or type(exc)
    progress("load", len(project.rounds), len(project.rounds))
    if error_type is not None:
        raise error_type(problems)
    return out


def clean_rounds(data: Mapping[str, SurveyData], project: Project) -> tuple[dict[str, SurveyData], pd.DataFrame]:
    """Apply the cleaning logs (each round's own, and the project's to the round holding each record).

    Returns the cleaned rounds and the audit table (``cleaning_log_applied.csv``). Every log row that
    does not fit the data is reported at its file and row, all rounds together.

    Raises:
        DataError: unknown records or questions, old values that are not the data's, invalid new values.
    """
    from .cleaning import AUDIT_COLUMNS, apply_cleaning, read_cleaning_log, record_key

    problems: list[Problem] = []
    shared = [_read_or_problems(read_cleaning_log, f, problems) for f in project.cleaning_logs]
    shared_log = pd.concat([t for t in shared if t is not None], ignore_index=True) if any(
        t is not None for t in shared) else pd.DataFrame(columns=["record_id"])  # fmt: skip
    matched = np.zeros(len(shared_log), dtype=bool)
    out: dict[str, SurveyData] = dict(data)
    audits = []
    for r in project.rounds:
        if r.id not in data:
            continue
        own = [_read_or_problems(read_cleaning_log, f, problems) for f in r.cleaning_logs]
        frame = data[r.id].frame
        ids = set(record_key(frame["_record_id"]).dropna()) if "_record_id" in frame.columns and len(shared_log) else set()
        mine = record_key(shared_log["record_id"]).isin(ids).to_numpy() if len(shared_log) else matched
        matched |= mine
        parts = [t for t in own if t is not None] + ([shared_log[mine]] if mine.any() else [])
        if not parts:
            continue
        source = ", ".join(sorted({str(f) for f in (*r.cleaning_logs, *project.cleaning_logs)}))
        try:
            out[r.id], audit = apply_cleaning(data[r.id], pd.concat(parts, ignore_index=True), round_id=r.id,
                                              source=source)  # fmt: skip
            audits.append(audit)
        except SurveyToolkitError as exc:
            problems += exc.problems
    if len(shared_log) and not matched.all():
        rows = shared_log[~matched]
        problems.append(
            Problem("cleaning-unknown-record", f"{len(rows)} row(s) of the project's cleaning log name a record that is "
                    "in no round (log row(s) " + ", ".join(map(str, rows["log_row"].head(8))) + ")",
                    Location(file=str(project.cleaning_logs[0]), row=int(rows["log_row"].iloc[0])), count=len(rows),
                    got=str(rows["record_id"].iloc[0]), hint="check the record ids (the export's _uuid / KEY)")  # fmt: skip
        )
    if problems:
        raise DataError(problems)
    audit = pd.concat(audits, ignore_index=True) if audits else pd.DataFrame(columns=list(AUDIT_COLUMNS))
    return out, audit


def _read_or_problems(reader: Callable[[Any], Any], path: Path, problems: list[Problem]) -> Any:
    """``reader(path)``, or None with its problems added to ``problems``."""
    try:
        return reader(path)
    except SurveyToolkitError as exc:
        problems += exc.problems
        return None


def combine(data: Mapping[str, SurveyData]) -> pd.DataFrame:
    """The rounds' frames stacked (rows keep their ``round``)."""
    return pd.concat([d.frame for d in data.values()], ignore_index=True)


# ---------------------------------------------------------------------------------------------- quality


@dataclass(frozen=True, eq=False)
class Checked:
    """The data after the quality checks: kept rows per round, the reports, and the exclusion log."""

    data: Mapping[str, SurveyData]
    reports: Mapping[str, QualityReport]
    exclusions: pd.DataFrame
    off_list: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OFF_LIST_COLUMNS))
    """Per round and question, the answers outside the choice list and what was done with them
    (:func:`survey_toolkit.offlist.off_list_table`; written as ``off_list.csv``)."""

    def summary(self) -> pd.DataFrame:
        """One row per round x check: ``round``, ``check``, ``severity``, ``action``, ``count``."""
        parts = [rep.summary.assign(round=rid) for rid, rep in self.reports.items()]
        if not parts:
            return pd.DataFrame(columns=["round", "check", "severity", "action", "count"])
        table = pd.concat(parts, ignore_index=True)
        return table[["round", "check", "severity", "action", "count"]]


def _quality_options(project: Project) -> dict[str, Any]:
    q = project.quality
    options = {"min_duration": q.min_duration, "min_age": q.min_age, "exclude": q.exclude}
    return {k: v for k, v in options.items() if v is not None}


def check_rounds(
    data: Mapping[str, SurveyData], project: Project, *, progress: Progress | None = None
) -> Checked:
    """Run the data-quality checks on each round and remove the excluded records (all logged).

    Then count, per round and question, the answers outside the choice list of the kept records
    (``off_list``): a warning ``off-list-answers`` each; more than ``off_list_max_share`` of a
    question's answers is an error (``off-list-share``).

    Raises:
        DataError: a question with too many off-list answers, in any round (all listed together).
    """
    progress = progress or _noop
    kept, reports, logs, off_tables, errors = {}, {}, [], [], []
    for i, (rid, d) in enumerate(data.items()):
        progress("quality", i, len(data))
        report = check_quality(d, **_quality_options(project))
        clean, log = apply_exclusions(d, report)
        clean = dataclasses.replace(clean, frame=clean.frame.reset_index(drop=True))
        clean, gaps, gap_problems = fill_weight_gaps(clean, project, _strata_of(clean.frame, project))
        off_table = off_list_table(clean, project.off_list, rid)
        off_problems = off_list_problems(off_table, project.off_list)
        errors += [p for p in off_problems if p.is_error]
        off_tables.append(off_table)
        kept[rid] = dataclasses.replace(clean, problems=clean.problems + gap_problems + off_problems)
        reports[rid] = report
        logs += [log.assign(round=rid), gaps.assign(round=rid)]
    progress("quality", len(data), len(data))
    if errors:
        raise DataError(errors)
    off_tables = [t for t in off_tables if not t.empty]
    off_list = pd.concat(off_tables, ignore_index=True) if off_tables else pd.DataFrame(columns=OFF_LIST_COLUMNS)
    off_list["source_file"] = off_list["source_file"].map(lambda f: None if f is None else Path(str(f)).name)
    logs = [log for log in logs if not log.empty]
    exclusions = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()
    if not exclusions.empty:
        exclusions = exclusions[["round", "record_id", "source_file", "source_row", "reasons"]]
        exclusions["source_file"] = exclusions["source_file"].map(lambda s: Path(str(s)).name)
    return Checked(MappingProxyType(kept), MappingProxyType(reports), exclusions, off_list)


def _strata_of(frame: pd.DataFrame, project: Project) -> pd.Series | None:
    """Each row's stratum (``design.strata``, built from ``strata_from`` when asked), None without strata."""
    strata = project.design.strata
    if not strata or project.design.missing_weights != "impute":
        return None
    built = _with_design_columns(frame, project, None) if project.design.strata_from else frame
    return built[strata] if strata in built.columns else None


# ----------------------------------------------------------------------------------------------- weight


def _with_design_columns(frame: pd.DataFrame, project: Project, sample_frame: pd.DataFrame | None) -> pd.DataFrame:
    design = project.design
    out = frame.copy()
    if design.strata and design.strata_from:
        parts = [out[c].astype("string") for c in design.strata_from]
        joined = parts[0]
        for p in parts[1:]:
            joined = joined + design.strata_separator + p
        out[design.strata] = joined
    base = design.base_weights
    if base is not None and base.fpc and sample_frame is not None and design.strata:
        sizes = dict(zip(sample_frame[base.stratum], pd.to_numeric(sample_frame[base.fpc], errors="coerce"), strict=False))
        out[base.fpc] = out[design.strata].map(sizes).astype("Float64")
    return out


def _design(project: Project, weights: str) -> Design:
    d = project.design
    fpc = d.fpc or (d.base_weights.fpc if d.base_weights else None)
    options: dict[str, Any] = {"weights": weights, "strata": d.strata, "psu": d.psu, "fpc": fpc}
    if d.lonely_psu is not None:
        options["lonely_psu"] = d.lonely_psu
    if d.nest:
        options["nest"] = True
    if d.replicates is not None:
        options.update(strata=None, psu=None, fpc=None, replicates=d.replicates)
    return Design(**options)


def _strata_not_in_frame(frame: pd.DataFrame, project: Project, sample_frame: pd.DataFrame) -> list[Problem]:
    """One problem naming the sample-frame file and the data's strata it has no row for."""
    from .weighting._common import canonical_code, canonical_codes

    base, strata = project.design.base_weights, project.design.strata
    if base is None or not strata or strata not in frame.columns:
        return []
    codes, labels = canonical_codes(frame[strata])
    known = {canonical_code(v) for v in sample_frame[base.stratum].unique()}
    absent = [i for i, label in enumerate(labels) if label not in known]
    if not absent:
        return []
    names = [labels[i] for i in absent]
    shown = display_values(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    columns = ", ".join([base.stratum, base.population, *base.sample])
    return [
        Problem(
            "stratum-not-in-sample-frame",
            f"the sample frame {base.sample_frame.name} has no row for stratum {shown} "
            f"({int(np.isin(codes, absent).sum())} respondent(s))",
            Location(file=str(base.sample_frame)),
            expected=f"one row per stratum of the data, by its '{base.stratum}' column",
            got=f"{len(known)} strata in {base.sample_frame.name}",
            hint=f"add a row for each of these strata to {base.sample_frame.name} ({columns}), "
            "or correct the stratum codes in the data",
        )
    ]


def _base(data: SurveyData, project: Project, sample_frame: pd.DataFrame | None) -> Weighted:
    design = project.design
    base = design.base_weights
    if base is not None and sample_frame is not None:
        absent = _strata_not_in_frame(data.frame, project, sample_frame)
        if absent:
            raise WeightError(absent)
        population = pd.to_numeric(sample_frame[base.population], errors="coerce")
        sample = np.prod([pd.to_numeric(sample_frame[c], errors="coerce") for c in base.sample], axis=0)
        keys = sample_frame[base.stratum]
        return base_weights(
            data,
            stratum=design.strata,
            stratum_population=dict(zip(keys, population, strict=False)),
            stratum_sample=dict(zip(keys, sample, strict=False)),
            eligible=base.eligible,
            eligible_cap=base.eligible_cap,
            by=[design.strata] if design.strata else (),
        )
    if design.weights:  # a weight column is a weight, on any scale
        return base_weights(data, weights=design.weights)
    if design.probabilities:
        return base_weights(data, probability=design.probabilities)
    equal = dataclasses.replace(data, frame=data.frame.assign(_equal_weight=1.0))  # every respondent counts once
    return base_weights(equal, weights="_equal_weight")


def _calibrate(start: Weighted, project: Project, margins: Margins | None) -> Weighted:
    settings = project.weighting
    design = _design(project, start.weight)
    bounds = None
    if settings.trim_upper is not None or settings.trim_lower is not None:
        bounds = TrimBounds(upper=settings.trim_upper, lower=settings.trim_lower,
                            relative_to=settings.trim_relative_to or "absolute")  # fmt: skip
    if settings.method == "none" or margins is None:
        if bounds is None:
            return dataclasses.replace(start, design=design)
        lo, hi = bounds.lower, bounds.upper
        out = trim(start, design, upper=hi, lower=lo, relative_to=bounds.relative_to)
        return out if out.design is not None else dataclasses.replace(out, design=_design(project, out.weight))
    if settings.method == "post_stratify":
        if bounds is not None:
            start = trim(start, design, upper=bounds.upper, lower=bounds.lower, relative_to=bounds.relative_to)
        return post_stratify(start, margins, design, partial=settings.partial)
    if settings.method == "calibrate":
        if bounds is not None:
            start = trim(start, design, upper=bounds.upper, lower=bounds.lower, relative_to=bounds.relative_to)
        return calibrate(start, margins, design, calfun=settings.calfun, bounds=settings.bounds,
                         bounds_const=settings.bounds_const)  # fmt: skip
    return rake(start, margins, design, trim=bounds)


def _final(weighted: Weighted, project: Project) -> Weighted:
    """Copy the last weight into ``final_weight`` so every round's design reads the same column."""
    frame = weighted.frame.assign(**{WEIGHT_COLUMN: weighted.frame[weighted.weight].astype(float)})
    data = weighted.data
    data = dataclasses.replace(data, frame=frame) if isinstance(data, SurveyData) else frame
    design = weighted.design if weighted.design is not None else _design(project, weighted.weight)
    design = design.replace(weights=WEIGHT_COLUMN) if hasattr(design, "replace") else design
    return dataclasses.replace(weighted, data=data, weight=WEIGHT_COLUMN, design=design)


def weight_rounds(
    data: Mapping[str, SurveyData], project: Project, inputs: Inputs, *, progress: Progress | None = None
) -> dict[str, Weighted]:
    """Base weights, then calibration to the margins (with trimming), round by round.

    Each result's ``frame`` has the ``final_weight`` column and its ``design`` (strata, PSU, fpc, the
    calibration for the standard errors). Problems of every round are raised together.
    """
    progress = progress or _noop
    out: dict[str, Weighted] = {}
    problems: list[Problem] = []
    error_type: type[SurveyToolkitError] | None = None
    for i, (rid, d) in enumerate(data.items()):
        progress("weight", i, len(data))
        prepared = dataclasses.replace(d, frame=_with_design_columns(d.frame, project, inputs.sample_frame))
        try:
            out[rid] = _final(_calibrate(_base(prepared, project, inputs.sample_frame), project, inputs.margins), project)
        except SurveyToolkitError as exc:
            where = f"round {rid}"
            problems += [dataclasses.replace(p, message=f"{where}: {p.message}", hint=_weight_hint(p, project))
                         for p in exc.problems]  # fmt: skip
            error_type = error_type or type(exc)
    progress("weight", len(data), len(data))
    if error_type is not None:
        raise error_type(problems)
    return out


def _weight_hint(problem: Problem, project: Project) -> str | None:
    """The project key that fixes a missing design weight or probability."""
    column = project.design.weights or project.design.probabilities
    if problem.code in ("missing-weight", "non-numeric-weight", "bad-probability") and column is not None \
            and problem.location.field == column:  # fmt: skip
        return (f"correct '{column}' in the export, or set design.missing_weights: exclude (rows listed in "
                "exclusions.csv) or impute (stratum mean weight) in survey.yaml")  # fmt: skip
    return problem.hint


def weight_summary(weighted: Mapping[str, Weighted]) -> pd.DataFrame:
    """One row per round x weighting step: n, Σw, Kish deff, ESS, min, max, convergence."""
    parts = [w.summary().assign(round=rid) for rid, w in weighted.items()]
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    keep = [c for c in ("round", "step", "weight", "n", "sum_w", "deff_kish", "ess", "min", "max",
                        "convergence_converged", "convergence_iterations") if c in table.columns]  # fmt: skip
    return table[keep]


def weights_table(weighted: Mapping[str, Weighted]) -> pd.DataFrame:
    """Record id, round and every weight column of each respondent (to join back to the data)."""
    parts = []
    for rid, w in weighted.items():
        frame = w.frame
        cols = ["_record_id", *dict.fromkeys(r.weight for r in w.history), WEIGHT_COLUMN]
        cols = [c for c in dict.fromkeys(cols) if c in frame.columns]
        parts.append(frame[cols].assign(round=rid))
    table = pd.concat(parts, ignore_index=True)
    return table[["round", *[c for c in table.columns if c != "round"]]]


# ---------------------------------------------------------------------------------------------- compute


def _levels(project: Project) -> list[str]:
    return list(project.locations.levels)


def compute_results(
    weighted: Mapping[str, Weighted],
    project: Project,
    inputs: Inputs,
    *,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Every indicator by round x location (overall, then each location level) and disaggregations.

    Disaggregations (the indicators' ``disaggregations``) are estimated for the overall rows only
    (``report.disaggregate: false`` turns them off). Returns the stacked :func:`~survey_toolkit.compute`
    tables.
    """
    progress = progress or _noop
    ids = list(project.report.indicators) if project.report.indicators else None
    calls = [([ROUND_COLUMN], project.report.disaggregate)]
    levels = _levels(project)
    calls += [([ROUND_COLUMN, level], False) for level in levels]
    total = len(weighted)
    chunks = []
    for done, w in enumerate(weighted.values()):
        progress("compute", done, total)
        data = _known_groups(w.data, project, inputs)
        tables = compute_many(data, inputs.indicators, w.design, calls, ids=ids,
                              ci_method=project.estimation.interval, df=project.estimation.df,
                              off_list=project.off_list)  # fmt: skip
        chunks += [_with_parent_location(t, w.frame, levels, by[-1]) for t, (by, _) in zip(tables, calls, strict=True)]
    progress("compute", total, total)
    return pd.concat(chunks, ignore_index=True)


def _known_groups(data: SurveyData, project: Project, inputs: Inputs) -> SurveyData:
    """``data`` with the location and breakdown values that are not codes set to missing.

    A value outside the column's choice list (or, for a column without one, a value that does not
    look like a code) would otherwise become a location or group of the published tables under
    its own spelling (a name typed into ``admin2``); its respondents count as "missing" instead.
    """
    columns = {*_levels(project), *(d for ind in inputs.indicators.indicators
                                      for d in (getattr(ind, "disaggregations", None) or ()))}  # fmt: skip
    frame = data.frame
    changed = {}
    form = inputs.analysis or inputs.instrument  # derived variables have their own lists
    for col in sorted(c for c in columns if c in frame.columns):
        choices = form.choices_for(col) if col in form else None
        known = set(choices.codes) | set(project.locations.names) if choices is not None else None
        values = frame[col]
        categorical = isinstance(values.dtype, pd.CategoricalDtype)
        codes, uniques = (values.cat.codes.to_numpy(), values.cat.categories) if categorical else pd.factorize(values)
        ok = np.array([looks_like_code(u) if known is None else canonical_code(u) in known for u in uniques] + [True])
        bad = ~ok[codes]  # one test per distinct value; -1 (missing) maps to the trailing True
        if categorical and not ok[:-1].all():  # an unused category would still become an (empty) group
            changed[col] = values.mask(bad).cat.remove_categories(list(uniques[~ok[:-1]]))
        elif bad.any():
            changed[col] = values.mask(bad)
    return dataclasses.replace(data, frame=frame.assign(**changed)) if changed else data


def _with_parent_location(chunk: pd.DataFrame, frame: pd.DataFrame, levels: list[str], level: str) -> pd.DataFrame:
    """``chunk`` with the coarser location of each ``level`` row, so that every location names its parent.

    The parent comes from the data (each ``level`` code's one coarser code); a code found under
    several parents keeps none. Secondary suppression needs it: a region's total is the sum of its
    districts.
    """
    if level not in levels or levels.index(level) == 0 or level not in chunk.columns:
        return chunk
    parent = levels[levels.index(level) - 1]
    if parent not in frame.columns or level not in frame.columns:
        return chunk
    pairs = frame[[level, parent]].dropna().drop_duplicates()
    pairs = pairs[~pairs[level].duplicated(keep=False)]
    mapping = pd.Series(pairs[parent].to_numpy(), index=pairs[level].to_numpy())
    return chunk.assign(**{parent: chunk[level].map(mapping)})


def reporting_table(results: pd.DataFrame, project: Project, inputs: Inputs, *, rules: bool = True) -> pd.DataFrame:
    """The compute tables reshaped for reporting (``round``, ``location``...) with the rules applied
    (``rules=False``: before the disclosure rules, for internal use such as planning)."""
    levels = list(reversed(_levels(project)))  # finest first
    languages = project.report.languages
    table = reshape_results(results, round_column=ROUND_COLUMN, location_columns=levels,
                            indicators=inputs.indicators, languages=languages,
                            instrument=inputs.instrument)  # fmt: skip
    dates = {r.id: r.date.isoformat() for r in project.rounds if r.date is not None}
    if len(dates) == len(project.rounds):
        table["round_date"] = table["round"].map(dates)
    if not rules:  # internal uses (planning, small areas) see every location, respondents or not
        return table
    if not project.report.show_empty:
        table = drop_empty_groups(table, _group_columns(inputs.indicators, table))
    return apply_rules(table, project.report.rules)


def _group_columns(spec: IndicatorSpec, table: pd.DataFrame) -> list[str]:
    wanted = {g for ind in spec.indicators for g in (getattr(ind, "disaggregations", None) or ())}
    wanted |= set(spec.defaults.disaggregations)
    return [c for c in table.columns if c in wanted]


def drop_empty_groups(table: pd.DataFrame, group_columns: list[str]) -> pd.DataFrame:
    """The reporting table without the locations and groups that have no respondent in a round.

    A (round, location, group) has no respondent when no indicator has any respondent in its base
    there (``n`` is 0 in every row); an indicator with an empty base in a group that has respondents
    for other indicators keeps its row (shown as not published).
    """
    keys = [c for c in ("round", "location", *group_columns) if c in table.columns]
    if not keys or "n" not in table.columns or table.empty:
        return table
    populated = table.groupby(keys, dropna=False, sort=False)["n"].transform("max").fillna(0) > 0
    return table[populated.to_numpy()].reset_index(drop=True)


def compare(table: pd.DataFrame, project: Project) -> pd.DataFrame:
    """Latest round against the previous one and the baseline, with FDR control across every test."""
    options: dict[str, Any] = {"rounds": _compare_rounds(table, project)}
    if project.report.alpha is not None:
        options["alpha"] = project.report.alpha
    if project.report.fdr is not None:
        options["fdr"] = project.report.fdr
    keep = table["round"].isin(options["rounds"])
    return compare_rounds(table[keep], **options)


def _time_order(project: Project) -> list[str]:
    """Every round, oldest first: ``report.compare`` when it lists them all, else by date (file order)."""
    compare_ids = list(project.report.compare or ())
    if set(compare_ids) == set(project.round_ids):
        return compare_ids
    if all(r.date is not None for r in project.rounds):
        return [r.id for r in sorted(project.rounds, key=lambda r: r.date)]
    return list(project.round_ids)


def _compare_rounds(table: pd.DataFrame, project: Project) -> list[str]:
    present = set(table["round"].astype(str))
    wanted = list(project.report.compare) if project.report.compare else _time_order(project)
    return [r for r in wanted if r in present]


# ----------------------------------------------------------------------------------------------- report


def _location_names(project: Project, inputs: Inputs, lang: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for level in _levels(project):
        choices = inputs.instrument.choices_for(level) if level in inputs.instrument else None
        if choices is not None:
            names.update({str(k): str(v) for k, v in choices.labels(lang).items()})
    names.update(project.locations.names)
    return names


def _design_text(project: Project, languages: Any) -> dict[str, str]:
    """The sampling design in a sentence, per report language (interface text ``design:*``)."""
    return {lang: _design_sentence(project, lang) for lang in dict.fromkeys(("en", *(languages or ())))}


def _design_sentence(project: Project, lang: str) -> str:
    d = project.design
    parts = [t(lang, "design:strata", strata=d.strata) if d.strata else t(lang, "design:no_strata"),
             t(lang, "design:psu", psu=d.psu) if d.psu else t(lang, "design:no_psu")]  # fmt: skip
    if d.base_weights is not None:
        b = d.base_weights
        parts.append(t(lang, "design:base_weights", population=b.population, sample=" x ".join(b.sample),
                       eligible=f" x {b.eligible}" if b.eligible else "", frame=b.sample_frame.name))  # fmt: skip
    w = project.weighting
    if w.method != "none" and w.margins is not None:
        trim = ""
        if w.trim_upper:
            trim = (t(lang, "design:trim", upper=f"{w.trim_upper:g}", relative_to=w.trim_relative_to)
                    if w.trim_relative_to else t(lang, "design:trim_absolute", upper=f"{w.trim_upper:g}"))  # fmt: skip
        parts.append(t(lang, "design:calibrated", method=w.method, margins=w.margins.name, trim=trim))
    parts.append(t(lang, "design:taylor"))
    est = project.estimation
    if est.interval is not None or est.df != "domain":
        df = t(lang, "design:df_design" if est.df == "design" else "design:df_domain")
        parts.append(t(lang, "design:interval", interval=est.interval or "xlogit", df=df))
    return t(lang, "design:separator").join(parts) + "."


def _exclusion_summary(checked: Checked | None) -> pd.DataFrame | None:
    if checked is None:
        return None
    summary = checked.summary()
    return summary[summary["action"] == "excluded"][["round", "check", "count"]].reset_index(drop=True)


def _names_by_language(names: Callable[[str], dict[str, str]], languages: Any, first: str) -> dict[str, str]:
    """Names in the first language under their codes, and in every language under ``<code>:<lang>``."""
    out = dict(names(first))
    for code in languages or ():
        out.update({f"{k}:{code}": v for k, v in names(code).items()})
    return out


def report_meta(
    project: Project,
    inputs: Inputs,
    *,
    checked: Checked | None = None,
    weighted: Mapping[str, Weighted] | None = None,
    generated_at: datetime | None = None,
) -> ReportMeta:
    """Titles, names, labels and the methodology annex of the report, from the project and the steps."""
    languages = project.report.languages or inputs.indicators.languages
    lang = languages[0] if languages else "en"
    info = labels_from_indicators(inputs.indicators, languages)
    options: dict[str, Any] = {}
    if project.report.alpha is not None:
        options["alpha"] = project.report.alpha
    options["fdr"] = project.report.fdr if project.report.fdr is not None else options.get("alpha", 0.05)
    title = dict(project.report.title or project.title or {})
    groups = {g for ind in inputs.indicators.indicators for g in (getattr(ind, "disaggregations", None) or ())}
    groups = sorted(groups | (set(DEFAULT_GROUP_COLUMNS) - {"location"}))
    group_labels = {f"{col}:{code}": names for code in languages or ("en",)
                    for col, names in group_labels_from_instrument(inputs.analysis or inputs.instrument, groups,
                                                                   code).items()}  # fmt: skip
    themes, owners = themes_from_instrument(inputs.indicators, inputs.analysis or inputs.instrument, languages or ("en",))
    return ReportMeta(
        themes=MappingProxyType(themes),
        indicator_themes=MappingProxyType(owners),
        group_labels=MappingProxyType(group_labels),
        title=MappingProxyType(title),
        location_names=MappingProxyType(_names_by_language(lambda code: _location_names(project, inputs, code),
                                                           languages, lang)),  # fmt: skip
        indicator_labels=MappingProxyType(info["labels"]),
        indicator_definitions=MappingProxyType(info["definitions"]),
        round_labels=MappingProxyType(_names_by_language(lambda code: {r.id: r.label_in(code) for r in project.rounds},
                                                         languages, lang)),  # fmt: skip
        design=MappingProxyType(_design_text(project, languages)),
        weight_diagnostics=weight_summary(weighted).round(3) if weighted else None,
        exclusions=_exclusion_summary(checked),
        rules=project.report.rules,
        rounds=tuple(_time_order(project)),
        generated_at=generated_at,
        **options,
    )


def decision_tables(
    results: pd.DataFrame, table: pd.DataFrame, project: Project, inputs: Inputs
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """What the report adds to the published table: the model-based figures standing in for withheld
    locations (``small_areas.substitute``) and the plan of the next round (``plan.in_report``).

    Returns the table to show (``table`` itself, or a copy with the substitutions and an
    ``estimate_type`` column) and the plan (None when not wanted). Comparisons are never computed from
    a model-based figure: call this after :func:`compare`.
    """
    settings = project.small_areas
    wanted_plan = project.plan.in_report
    if not wanted_plan and not (settings and settings.substitute):
        return table, None
    raw = reporting_table(results, project, inputs, rules=False)
    shown, plan = table, None
    if settings is not None and settings.substitute:
        from .small_areas import read_covariates, small_area_table, substitute_model_based

        covariates = read_covariates(settings.covariates, settings.location_column or settings.level, settings.use)
        estimates, _ = small_area_table(raw, table, covariates, level=settings.level,
                                        indicators=list(settings.indicators) if settings.indicators else None)  # fmt: skip
        shown = substitute_model_based(table, estimates, level=settings.level, rules=project.report.rules)
    if wanted_plan:
        from .planning import published_plan

        order = _time_order(project)
        plan = published_plan(raw, table, round_id=order[-1] if order else None, **project.plan.options())
    return shown, plan


def write_outputs(
    table: pd.DataFrame, comparisons: pd.DataFrame | None, meta: ReportMeta, project: Project,
    progress: Progress | None = None,
) -> list[Path]:
    """The HTML report, the Excel workbook, the tidy tables and the chart files, written atomically."""
    options: dict[str, Any] = {"progress": progress}
    if project.report.languages:
        options["languages"] = project.report.languages
    if project.report.chart_formats:
        options["chart_formats"] = project.report.chart_formats
    if project.report.parquet is not None:
        options["parquet"] = project.report.parquet
    files = render(table, project.report.output, comparisons=comparisons, meta=meta, **options)
    return [p for kind in ("html", "excel", "tidy", "charts") for p in files.get(kind, [])]


def _write_step_tables(
    project: Project, checked: Checked | None, weighted: Mapping[str, Weighted] | None
) -> list[Path]:
    out = project.report.output
    files = []
    if checked is not None:
        files.append(write_csv(out / "quality.csv", _quality_issues(checked)))
        files.append(write_csv(out / "exclusions.csv", checked.exclusions))
        if not checked.off_list.empty:
            files.append(write_csv(out / "off_list.csv", checked.off_list))
    if weighted:
        files.append(write_csv(out / "weights.csv", weights_table(weighted)))
        files.append(write_csv(out / "weight_diagnostics.csv", weight_summary(weighted)))
    return files


def _quality_issues(checked: Checked) -> pd.DataFrame:
    parts = [rep.issues.assign(round=rid) for rid, rep in checked.reports.items()]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["round"])
    table = table.drop(columns=[c for c in ("frame_index",) if c in table.columns])
    return table[["round", *[c for c in table.columns if c != "round"]]]


# -------------------------------------------------------------------------------------------------- run


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
        with staged_folder(project.report.output) as staging:
            staged = dataclasses.replace(project, report=dataclasses.replace(project.report, output=staging))
            result = _run(staged, until, progress, generated_at, write=True)
    out = Path(project.report.output)
    return dataclasses.replace(result, project=project, files=tuple(out / p.relative_to(staging) for p in result.files))


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
    results = table = comparisons = None
    if weighted is not None and stop >= STEPS.index("compute"):
        results = compute_results(weighted, project, inputs, progress=progress)
        table = reporting_table(results, project, inputs)
    if table is not None and stop >= STEPS.index("compare"):
        progress("compare", 0, 1)
        comparisons = compare(table, project)
        progress("compare", 1, 1)
    if write and table is not None:
        if stop == STEPS.index("report"):
            progress("report", 0, 1)
            meta = report_meta(project, inputs, checked=checked, weighted=weighted, generated_at=generated_at)
            shown, plan = decision_tables(results, table, project, inputs)
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


# ------------------------------------------------------------------------------------------------ init

_TEMPLATE = """\
# Project file of a community safety perception survey. Reference: docs/project-file.md.
# Paths are relative to this file's folder. Check it with:  survey-toolkit validate <this folder>
# then produce the report with:                              survey-toolkit run <this folder>
version: 1

title:
  en: Community safety perception survey
  fr: Enquête de perception de la sécurité communautaire

instrument: cssp_core.xlsx          # the XLSForm the data were collected with
indicators: indicators.yaml         # the indicators to compute

# One entry per round, oldest first. Put each round's export(s) in this folder: KoBo XLSX/CSV,
# ODK Central zip/CSV, SPSS .sav, Stata .dta or CSV.
rounds:
  - id: R1
    label: {en: Round 1, fr: Vague 1}
    date: 2025-11-15
    files: [round1.xlsx]
  # - id: R2
  #   label: {en: Round 2, fr: Vague 2}
  #   date: 2026-05-15
  #   files: [round2.zip]
  #   instrument: cssp_core_v2.xlsx   # only if this round used another version of the form
  #   rename:                          # questions or choice codes renamed between form versions
  #     questions: {b1_safe_night: b1_safe_dark}      # old name: name in the project's form
  #     choices: {d1_trust_police: {"5": "4"}}          # question: {old code: new code}

# The sampling design. Strata are built from the data as <admin2>-<area_type>; PSUs are the clusters.
design:
  strata: stratum
  strata_from: [admin2, area_type]
  psu: cluster_id
  lonely_psu: adjust                # what a stratum with one PSU does: fail, remove, certainty, adjust, average
  # weights: my_weight              # use an existing weight column instead of base_weights
  # missing_weights: exclude        # rows without a weight: error (default), exclude or impute
  base_weights:                     # design weight = population / (product of sample) x eligible
    sample_frame: sample_frame.csv  # one row per stratum
    stratum: stratum
    population: households
    sample: [psu_sampled, households_per_psu]
    eligible: hh_adults             # one adult interviewed per household
    fpc: psu_total                  # PSUs in the stratum's frame (finite population correction)

# Calibration of each round to census margins (CSV: variable, category, population).
weighting:
  margins: census_margins.csv
  method: rake                      # rake, post_stratify or none
  trim: {upper: 5, relative_to: median}

# quality:                          # data-quality checks (defaults in docs/data-quality.md)
#   min_duration: 10                # minutes; shorter interviews are flagged
#   min_age: 18
#   exclude: [duplicate-record-id, duplicate-submission-id, no-consent, under-age]

locations:
  levels: [admin1, admin2]          # coarsest first; display names come from the form's choices
  # names: {R01: North Region}     # override a display name

report:
  languages: [en, fr]
  output: output                    # folder for the report, workbook, tables and charts
  significance: 0.05
  # compare: [R1, R2, R3]           # rounds in time order, baseline first, latest last
  # indicators: [sdg_16_1_4, police_trust]   # only these indicators
  # suppression:                    # reporting rules (defaults: domain reference section 7.2)
  #   min_n: 30                     # unweighted base below this: not published
  #   caution_n: 50                 # below this: shown in parentheses
  #   max_ci_width: 30              # CI width in percentage points: not published at or above

""" + OPTIONAL_KEYS_TEMPLATE.format(question="b1_safe_dark")


def standard_files() -> dict[str, Path]:
    """The standard instrument (``cssp_core.xlsx``) and indicators (``indicators.yaml``) shipped with the toolkit.

    Looked up in the package's ``data`` folder, then in the source checkout (``instruments/``, the
    repository root).
    """
    here = Path(__file__).resolve().parent
    candidates = {
        "instrument": [here / "data" / "cssp_core.xlsx", here.parent / "instruments" / "cssp_core.xlsx"],
        "indicators": [here / "data" / "indicators.yaml", here.parent / "indicators.yaml"],
    }
    found = {}
    for kind, paths in candidates.items():
        path = next((p for p in paths if p.is_file()), None)
        if path is None:
            raise SpecError(
                Problem("standard-file-missing", f"the standard {kind} is not installed",
                        Location(file=str(paths[0])), hint="reinstall survey-toolkit")  # fmt: skip
            )
        found[kind] = path
    return found


def check_new_project_folder(folder: Path, targets, *, overwrite: bool) -> None:
    """Raise SpecError when ``folder`` is a file or (without ``overwrite``) one of ``targets`` exists."""
    problems = []
    if folder.exists() and not folder.is_dir():
        problems.append(Problem("not-a-folder", f"'{folder}' exists and is not a folder", Location(file=str(folder)),
                                hint="choose another name"))  # fmt: skip
    problems += [
        Problem("file-exists", f"'{path.name}' already exists in {folder}", Location(file=str(path)),
                hint="use --force to overwrite it, or choose an empty folder")  # fmt: skip
        for path in targets
        if path.exists() and not overwrite
    ]
    if problems:
        raise SpecError(problems)


def scaffold(directory: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Create a project folder: the standard form and indicators and a commented ``survey.yaml``.

    Raises:
        SpecError: a file would be overwritten (without ``overwrite``) or a path is not a folder.
    """
    from .report._common import atomic_write_bytes

    folder = Path(directory)
    sources = standard_files()
    targets = {
        folder / "cssp_core.xlsx": sources["instrument"].read_bytes(),
        folder / "indicators.yaml": sources["indicators"].read_bytes(),
        folder / "survey.yaml": _TEMPLATE.encode("utf-8"),
    }
    check_new_project_folder(folder, targets, overwrite=overwrite)
    standard = {"the standard form": sources["instrument"], "the standard indicators": sources["indicators"]}
    for path in targets:
        safe_output_path(path, inside=folder, inputs=standard, option="DIR")
    folder.mkdir(parents=True, exist_ok=True)
    return [atomic_write_bytes(path, content) for path, content in targets.items()]
