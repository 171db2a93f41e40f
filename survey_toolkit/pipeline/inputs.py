"""Step 'validate': the project's form(s), indicators, margins and sample frame, read and checked together."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..derive import analysis_form
from ..errors import (
    Location,
    Problem,
    Severity,
    SpecError,
    SurveyToolkitError,
    ValidationReport,
    did_you_mean,
)
from ..formdiff import form_changes, rename_problems, undo_renames
from ..indicators.loader import check_indicators
from ..indicators.model import IndicatorSpec
from ..instrument import Instrument, read_instrument
from ..io.base import SurveyData
from ..io.repeatfiles import check_repeat_file
from ..project import Project, Round
from ..weighting import read_margins
from .common import Inputs, _as_project


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
    from ..project import LABELLED_EXPORTS

    return round_.source is None and round_.files[0].suffix.lower() in LABELLED_EXPORTS


def _form_from_export(round_: Round) -> tuple[Instrument | None, list[Problem]]:
    """The form built from the value and variable labels of the round's first export."""
    from ..instrument_from_data import instrument_from_export

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
                f"{Path(form.source or 'form').name}", project.locate("off_list_questions", name), got=name,
                expected="the name of a select_one or select_multiple question",
                hint=did_you_mean(name, selects) or "use a select question's name from the form")
        for name in project.off_list.questions if name not in selects
    ]  # fmt: skip


def _repeat_file_checks(project: Project, form: Instrument, round_forms: Mapping[str, Instrument]) -> list[Problem]:
    """A round's ``repeats:`` must name repeat groups of its form (a typo would load a table nobody reads)."""
    problems = []
    for i, r in enumerate(project.rounds):
        own = round_forms.get(r.id, form)
        known = [g.name for g in own.repeats]
        problems += [
            Problem("unknown-repeat", f"round {r.id}: repeats: '{name}' is not a repeat group of the form "
                    f"{Path(own.source or 'form').name}", project.locate("rounds", i, "repeats", name), got=name,
                    expected="one of: " + (", ".join(known) or "(the form has no repeat group)"),
                    hint=did_you_mean(name, known) or "use the name of a begin_repeat row of the form")
            for name in r.repeats if name not in known
        ]  # fmt: skip
        for name, path in r.repeats.items():
            problems += check_repeat_file(name, path, project.locate("rounds", i, "repeats", name),
                                          encoding=r.encoding, delimiter=r.delimiter)  # fmt: skip
    return problems


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
        problems += _repeat_file_checks(project, form, round_forms)
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


def _form_and_indicator_problems(path: str | Path) -> list[Problem]:
    """When the project file has errors, still check its form and indicators if their paths are good."""
    from ..indicators.yamlsource import read_yaml
    from ..project import project_path

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
