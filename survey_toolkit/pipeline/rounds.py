"""Step 'load': every round's exports read with its form, renamed columns undone, the cleaning log applied."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, Location, Problem, SurveyToolkitError, ValidationReport
from ..formdiff import to_project_form
from ..instrument import Instrument
from ..io.base import SurveyData
from ..io.load import load
from ..io.repeatfiles import read_repeat_files
from ..parallel import forked_map
from ..project import Project, Round
from .common import ROUND_COLUMN, Inputs, Progress, _noop, counting, shared_objects
from .inputs import _with_data_columns


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
    if round_.repeats:
        children, notes = read_repeat_files(data, round_.repeats, form, parts, **round_.load_options)
        kept = _without_attached_repeats(data.problems, set(children))
        data = dataclasses.replace(data, children=MappingProxyType({**data.children, **children}),
                                   problems=ValidationReport((*kept, *notes)))  # fmt: skip
    data = apply_renames(data, round_, project_form)
    data, problems = _with_data_columns(data, project, round_)
    if problems:
        raise DataError(problems)
    data = _without_declared_columns(data, set(project.extra_columns))
    frame = data.frame.assign(**{ROUND_COLUMN: pd.array([round_.id] * len(data.frame), dtype="string")})
    return dataclasses.replace(data, frame=frame.reset_index(drop=True))


def _without_attached_repeats(problems, attached: set[str]) -> list[Problem]:
    """The loader's info ``repeats-not-in-export`` without the repeats read from the round's ``repeats:``
    files; dropped when none is left."""
    out: list[Problem] = []
    for p in problems:
        if p.code != "repeats-not-in-export" or p.got is None:
            out.append(p)
            continue
        rest = [r for r in str(p.got).split(", ") if r not in attached]
        if rest:
            out.append(dataclasses.replace(
                p, message=f"the export has no table for the form's repeat group(s) {', '.join(rest)}",
                got=", ".join(rest)))  # fmt: skip
    return out


def _without_declared_columns(data: SurveyData, declared: set[str]) -> SurveyData:
    """The load warning ``columns-not-in-instrument`` without the columns the project declares in
    ``extra_columns`` (they are wanted, not a sign of the wrong form); dropped when none is left."""
    if not declared:
        return data
    kept: list[Problem] = []
    for p in data.problems:
        if p.code != "columns-not-in-instrument" or p.got is None:
            kept.append(p)
            continue
        rest = [c for c in str(p.got).split(", ") if c not in declared]
        if len(rest) == len(str(p.got).split(", ")):
            kept.append(p)
        elif rest:
            message = (f"{len(rest)} column(s) of the export are not questions of the instrument: "
                       + ", ".join(repr(c) for c in rest[:20]) + (" ..." if len(rest) > 20 else ""))  # fmt: skip
            kept.append(dataclasses.replace(p, message=message, got=", ".join(rest), count=len(rest),
                                            location=dataclasses.replace(p.location, field=rest[0])))  # fmt: skip
    return dataclasses.replace(data, problems=ValidationReport(tuple(kept)))


def load_rounds(
    project: Project, inputs: Inputs, *, progress: Progress | None = None
) -> dict[str, SurveyData]:
    """Load every round's exports with its form, apply its renames and set ``round``.

    Load errors of every round are collected and raised together.
    """
    progress = progress or _noop
    rounds = list(project.rounds)

    def one(r: Round) -> SurveyData | SurveyToolkitError:
        try:
            return _load_round(r, inputs.round_instruments.get(r.id, inputs.instrument), project, inputs.instrument)
        except SurveyToolkitError as exc:  # every round's errors are reported together
            return exc

    loaded = forked_map(one, rounds, shared=shared_objects(project, inputs),
                        done=counting(progress, "load", len(rounds)))  # fmt: skip
    out: dict[str, SurveyData] = {}
    problems: list[Problem] = []
    error_type: type[SurveyToolkitError] | None = None
    for r, d in zip(rounds, loaded, strict=True):
        if isinstance(d, SurveyToolkitError):
            problems += d.problems
            error_type = error_type or type(d)
        else:
            out[r.id] = d
    if error_type is not None:
        raise error_type(problems)
    ValidationReport.of(shared_submissions(project, out)).raise_if_errors(DataError)
    return out


def _submission_keys(data: SurveyData) -> tuple[pd.Series, str]:
    """Per row, what identifies its submission: the export's ids, or (an export without ids, whose
    ids are the loader's ``row-N``) a hash of every answer; and which of the two it is."""
    frame = data.frame
    ids = frame["_submission_id"].astype("string") if "_submission_id" in frame.columns else None
    rows = frame["_source_row"].astype("string") if "_source_row" in frame.columns else None
    if ids is not None and not (rows is not None and ids.eq("row-" + rows).fillna(False).all()):
        return ids[ids.notna() & ~ids.str.startswith("row-")], "submission ids"
    answers = sorted(str(c) for c in frame.columns if not str(c).startswith("_"))
    hashes = pd.util.hash_pandas_object(frame[answers], index=False) if answers else pd.Series(dtype="uint64")
    return hashes.astype("string"), "identical answers"


def shared_submissions(project: Project, data: Mapping[str, SurveyData]) -> list[Problem]:
    """The same submissions in two rounds: an error (a round compared with itself is not a change).

    Submissions are matched by their ids (uuid, KEY, instanceID) or, in exports without ids, by a
    hash of every answer; the error names both rounds, their files and the number shared.
    """
    keys = {rid: _submission_keys(d) for rid, d in data.items()}
    names = {r.id: ", ".join(Path(f).name for f in r.files) for r in project.rounds}
    problems = []
    rids = list(keys)
    for i, first in enumerate(rids):
        for second in rids[i + 1:]:  # a few rounds: a few pairs
            (a, how_a), (b, how_b) = keys[first], keys[second]
            if how_a != how_b or not len(a) or not len(b):
                continue
            shared = b.isin(a)
            n = int(shared.sum())
            if how_b == "identical answers" and n < max(2, 0.5 * min(len(a), len(b))):
                continue  # a few equal rows of a short form can be chance; most rows cannot
            if n == 0:
                continue
            r2 = project.round(second)
            frame = data[second].frame
            row = frame.loc[shared[shared].index[0], "_source_row"] if "_source_row" in frame.columns else None
            problems.append(
                Problem("same-submissions-in-rounds", f"rounds '{first}' and '{second}' share {n} of their "
                        f"submissions ({how_b}): {names[first]} and {names[second]}; a round compared with itself "
                        "(or counted twice) is not a change", Location(file=str(r2.files[0]),
                        row=None if row is None or pd.isna(row) else int(row)), count=n,
                        expected="each submission in one round only",
                        got=f"{n} of {len(b)} submissions of round '{second}' also in round '{first}'",
                        hint=f"give round '{second}' the export of its own fieldwork; if only some submissions were "
                             "exported twice (an overlapping date range), remove them from one round's export")  # fmt: skip
            )
    return problems


def clean_rounds(data: Mapping[str, SurveyData], project: Project) -> tuple[dict[str, SurveyData], pd.DataFrame]:
    """Apply the cleaning logs (each round's own, and the project's to the round holding each record).

    Returns the cleaned rounds and the audit table (``cleaning_log_applied.csv``). Every log row that
    does not fit the data is reported at its file and row, all rounds together.

    Raises:
        DataError: unknown records or questions, old values that are not the data's, invalid new values.
    """
    from ..cleaning import AUDIT_COLUMNS, apply_cleaning, read_cleaning_log, record_key

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
