"""Form versions across rounds: what changed between a round's form and the project's, and the renames.

A round collected with another version of the form (``rounds[i].instrument`` in ``survey.yaml``) is
only comparable with the others when every question the project analyses kept its meaning. This module

- lists every question whose type, choice codes or choice labels differ between the round's form and
  the project's form and that no mapping covers (``rounds[i].rename``) nor the project accepts
  (``rounds[i].accept_changes``): :func:`form_changes`, one ``form-changed`` error per question,
  naming both places (file, sheet and row of each form);
- checks the renames themselves against both forms: :func:`rename_problems`;
- rebuilds the form of a round that has renames but no form of its own, by undoing the renames on the
  project's form (:func:`undo_renames`), so its export is read with the codes it was collected with;
- brings a loaded round onto the project's form after its renames (:func:`to_project_form`): recoded
  columns are typed against the project's (target) choice lists and the data carries the project's
  form, so the data-quality checks validate answers against the right list.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from .errors import Location, Problem, Severity, did_you_mean
from .instrument import Choice, ChoiceList, Instrument, Question
from .io.base import SurveyData, VariableMeta
from .project import Project, Round

__all__ = ["form_changes", "rename_problems", "undo_renames", "to_project_form", "FORM_CHANGED"]

FORM_CHANGED = "form-changed"
"""The problem code of a question that changed between two rounds' forms without a mapping."""

_NUMERIC = frozenset({"integer", "decimal", "range"})
_SKIP = frozenset({"note", "calculate", "start", "end", "today", "deviceid", "audit", "username",
                   "phonenumber", "simserial", "subscriberid", "begin_group", "end_group"})  # fmt: skip


# ------------------------------------------------------------------------------------------ locations


@lru_cache(maxsize=16)
def _sheet_rows(path: str) -> tuple[Mapping[str, int], Mapping[tuple[str, str], int]]:
    """Spreadsheet rows of the survey sheet by name and of the choices sheet by (list, code); empty
    when the form is not an ``.xlsx`` workbook (a CSV or ``.xls`` form is then located by file only)."""
    if not path.lower().endswith((".xlsx", ".xlsm")):
        return {}, {}
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - a form pyxform read is readable; locations are a convenience
        return {}, {}
    sheets = {str(s).strip().lower(): s for s in book.sheetnames}
    out: list[dict] = []
    for sheet, keys in (("survey", ("name",)), ("choices", ("list_name", "name"))):
        found: dict = {}
        if sheet in sheets:
            rows = book[sheets[sheet]].iter_rows(values_only=True)
            header = [str(c or "").strip().lower().replace(" ", "_") for c in next(rows, ())]
            at = [header.index(k) if k in header else None for k in keys]
            if None not in at:
                for number, row in enumerate(rows, start=2):
                    key = tuple(str(row[i]).strip() if i < len(row) and row[i] is not None else "" for i in at)
                    found.setdefault(key[0] if len(key) == 1 else key, number)
        out.append(found)
    book.close()
    return MappingProxyType(out[0]), MappingProxyType(out[1])


def _where(form: Instrument, question: Question, code: str | None = None) -> Location:
    """The form's file, sheet and row of a question (or of one of its choices)."""
    survey, choices = _sheet_rows(str(form.source or ""))
    if code is not None and question.list_name:
        row = choices.get((question.list_name, code))
        if row is not None:
            return Location(file=form.source, sheet="choices", row=row, field=question.name)
    return Location(file=form.source, sheet="survey", row=survey.get(question.name), field=question.name)


def _short(location: Location) -> str:
    name = Path(location.file).name if location.file else "the form"
    parts = [name, f"sheet '{location.sheet}'" if location.sheet else "", f"row {location.row}" if location.row else ""]
    return ", ".join(p for p in parts if p)


# ------------------------------------------------------------------------------------------- compare


def _kind(question: Question) -> str:
    kind = question.type.replace("_from_file", "").replace("_external", "")
    return "number" if kind in _NUMERIC else kind


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _same_label(a: Choice, b: Choice) -> bool:
    common = [lang for lang in a.labels if lang in b.labels]
    if common:
        return all(_norm(a.labels[lang]) == _norm(b.labels[lang]) for lang in common)
    return _norm(a.label()) == _norm(b.label())


def _list(form: Instrument, question: Question) -> ChoiceList | None:
    return form.choice_lists.get(question.list_name) if question.list_name else None


def _old_names(round_: Round) -> dict[str, str]:
    """project name -> the name in the round's form."""
    return {new: old for old, new in round_.rename_questions.items()}


def _choice_changes(old: ChoiceList, new: ChoiceList, mapping: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """What differs between the round's list and the project's list once the mapping is applied:
    (description, the round-form code to point at)."""
    out: list[tuple[str, str | None]] = []
    reached = set()
    targets: dict[str, Choice] = {}
    for choice in new.choices:
        targets.setdefault(choice.name, choice)
    for choice in old.choices:
        target = mapping.get(choice.name, choice.name)
        reached.add(target)
        if target not in targets:
            out.append((f"code '{choice.name}' ('{choice.label()}') has no code in the project's list", choice.name))
        elif choice.name not in mapping and not _same_label(choice, targets[target]):
            out.append((f"code '{choice.name}' is '{choice.label()}' in this round and "
                        f"'{targets[target].label()}' in the project's form", choice.name))  # fmt: skip
    for choice in new.choices:
        if choice.name not in reached:
            out.append((f"the project's code '{choice.name}' ('{choice.label()}') is not in this round's list", None))
    return out


def form_changes(project_form: Instrument, round_form: Instrument, round_: Round, project: Project) -> list[Problem]:
    """One ``form-changed`` error per question whose type, codes or labels differ between the two forms.

    A question is compared under its project name (``rename.questions`` maps the round's names); a
    choice code mapped in ``rename.choices`` is an explicit correspondence and its label is not
    compared. Questions listed in ``accept_changes`` give an info instead of an error. Questions of
    only one of the forms are not compared (the loader reports them).
    """
    old_names = _old_names(round_)
    at = round_.location.path or ("rounds",)
    problems = []
    for question in project_form.leaves:
        if question.type in _SKIP:
            continue
        old = round_form.by_name.get(old_names.get(question.name, question.name))
        if old is None or old.type in _SKIP:
            continue
        changes: list[tuple[str, str | None]] = []
        if _kind(old) != _kind(question):
            changes.append((f"its type is {old.type} in this round and {question.type} in the project's form", None))
        else:
            old_list, new_list = _list(round_form, old), _list(project_form, question)
            if old_list is not None and new_list is not None:
                changes += _choice_changes(old_list, new_list, round_.rename_choices.get(question.name, {}))
        if not changes:
            continue
        first_code = next((code for _, code in changes if code is not None), None)
        here = _where(round_form, old, first_code)
        there = _where(project_form, question, round_.rename_choices.get(question.name, {}).get(first_code, first_code)
                       if first_code is not None else None)  # fmt: skip
        accepted = question.name in round_.accept_changes
        shown = "; ".join(text for text, _ in changes[:4]) + (f"; and {len(changes) - 4} more" if len(changes) > 4 else "")
        problems.append(
            Problem(
                FORM_CHANGED,
                f"round {round_.id}: question '{question.name}' changed between the round's form ({_short(here)}) "
                f"and the project's form ({_short(there)}): {shown}"
                + (" (accepted in survey.yaml)" if accepted else ""),
                here,
                severity=Severity.INFO if accepted else Severity.ERROR,
                expected=f"the same type, codes and labels as {_short(there)}, or a mapping",
                got=f"{len(changes)} difference(s)",
                hint=f"map the round's codes under rounds[{at[-1] if at else '?'}].rename.choices.{question.name} "
                f"in {project.path.name} (old code: project code), or list '{question.name}' under "
                f"rounds[{at[-1] if at else '?'}].accept_changes if the answers are comparable as they are",
                count=len(changes),
            )
        )
    return problems


def rename_problems(project_form: Instrument, round_form: Instrument | None, round_: Round, project: Project) -> list[Problem]:
    """Renames that cannot apply: an old name or code the round's form does not have, a new name or code
    the project's form does not have, an accepted change naming an unknown question."""
    at = round_.location.path or ("rounds",)
    problems: list[Problem] = []

    def add(message: str, where: tuple, got: str, known: list[str], what: str) -> None:
        problems.append(
            Problem("unknown-rename", f"round {round_.id}: {message}", project.locate(*at, *where), got=got,
                    expected=f"{what}: " + ", ".join(known[:12]) + (" ..." if len(known) > 12 else ""),
                    hint=did_you_mean(got, known) or f"use {what}")  # fmt: skip
        )

    project_names = list(project_form.names)
    for old, new in round_.rename_questions.items():
        if new not in project_form:
            add(f"rename.questions maps '{old}' to '{new}', which is not a question of the project's form",
                ("rename", "questions", old), new, project_names, "a question of the project's form")  # fmt: skip
        if round_form is not None and old not in round_form:
            add(f"rename.questions renames '{old}', which is not a question of the round's form",
                ("rename", "questions", old), old, list(round_form.names), "a question of the round's form")  # fmt: skip
    old_names = _old_names(round_)
    for name, mapping in round_.rename_choices.items():
        key = ("rename", "choices", _choices_key(round_, name))
        question = project_form.by_name.get(name)
        new_list = _list(project_form, question) if question is not None else None
        if new_list is None:
            selects = [q.name for q in project_form.leaves if q.is_select]
            add(f"rename.choices names '{name}', which is not a select question of the project's form",
                key, name, selects, "a select question of the project's form")  # fmt: skip
            continue
        old_q = round_form.by_name.get(old_names.get(name, name)) if round_form is not None else None
        old_list = _list(round_form, old_q) if round_form is not None and old_q is not None else None
        for old, new in mapping.items():
            if new not in new_list.codes:
                add(f"rename.choices.{name} maps '{old}' to '{new}', which is not a code of the project's list "
                    f"'{new_list.name}'", (*key, old), new, list(new_list.codes), "a code of the project's list")  # fmt: skip
            if old_list is not None and old not in old_list.codes:
                add(f"rename.choices.{name} recodes '{old}', which is not a code of the round's list '{old_list.name}'",
                    (*key, old), old, list(old_list.codes), "a code of the round's list")  # fmt: skip
    for i, name in enumerate(round_.accept_changes):
        if name not in project_form:
            add(f"accept_changes names '{name}', which is not a question of the project's form",
                ("accept_changes", i), name, project_names, "a question of the project's form")  # fmt: skip
    return problems


def _choices_key(round_: Round, name: str) -> str:
    """The key the project file used for the choice renames of ``name`` (its old or its project name)."""
    return round_.choice_keys.get(name, name)


# -------------------------------------------------------------------------------------- undo renames


def undo_renames(project_form: Instrument, round_: Round) -> Instrument:
    """The form a round with renames but no form of its own was collected with: the project's form with
    each renamed question under its old name and each recoded list under its old codes."""
    old_names = _old_names(round_)
    lists = dict(project_form.choice_lists)
    questions = []
    for q in project_form.questions:
        mapping = round_.rename_choices.get(q.name)
        if mapping and q.list_name in lists:
            new_list = lists[q.list_name]
            name = f"{q.list_name}@{round_.id}:{q.name}"
            lists[name] = ChoiceList(name, _old_choices(new_list, mapping))
            q = dataclasses.replace(q, list_name=name)
        if q.name in old_names:
            q = dataclasses.replace(q, name=old_names[q.name])
        questions.append(q)
    return dataclasses.replace(project_form, questions=tuple(questions), choice_lists=MappingProxyType(lists))


def _old_choices(new_list: ChoiceList, mapping: Mapping[str, str]) -> tuple[Choice, ...]:
    out = []
    for choice in new_list.choices:
        olds = [old for old, new in mapping.items() if new == choice.name]
        if not olds and choice.name not in mapping:
            olds = [choice.name]  # unchanged code
        out += [dataclasses.replace(choice, name=old) for old in olds]
    return tuple(out)


# ------------------------------------------------------------------------------------ to project form


def _meta(form: Instrument, question: Question, name: str) -> VariableMeta:
    cl = _list(form, question)
    languages = list(form.languages) or ["default"]
    values = {lang: MappingProxyType(cl.labels(lang)) for lang in languages} if cl is not None else {}
    return VariableMeta(name=name, type=question.type, labels=MappingProxyType(dict(question.labels)),
                        value_labels=MappingProxyType(values), question=question.name)  # fmt: skip


def to_project_form(data: SurveyData, project_form: Instrument, names: set[str]) -> SurveyData:
    """The round after its renames, on the project's form: the renamed or recoded select questions
    ``names`` typed against the project's choice lists (select_one: categories in the project's order,
    codes outside the list kept after them; select_multiple: one true/false column per project code,
    from the recoded answers), their variable metadata from the project's form, and ``data.instrument``
    the project's form (the quality checks then validate answers against the target lists)."""
    frame = data.frame.copy()
    variables = dict(data.variables)
    for name in sorted(names):
        question = project_form.by_name.get(name)
        cl = _list(project_form, question) if question is not None else None
        if question is None or cl is None or name not in frame.columns:
            continue
        if question.is_select_multiple:
            present = {str(c)[len(name) + 1 :] for c in frame.columns if str(c).startswith(name + "/")}
            if present != set(cl.codes):  # recoded: one column per project code, from the answers
                frame = _dummies(frame, name, cl.codes)
            variables.update({f"{name}/{c}": _meta(project_form, question, f"{name}/{c}") for c in cl.codes})
        else:
            values = frame[name].astype("string")
            extra = sorted(set(values.dropna()) - set(cl.codes))
            frame[name] = pd.Categorical(values, categories=[*cl.codes, *extra])
        variables[name] = _meta(project_form, question, name)
    return dataclasses.replace(data, frame=frame, variables=MappingProxyType(variables), instrument=project_form)


def _dummies(frame: pd.DataFrame, name: str, codes: tuple[str, ...]) -> pd.DataFrame:
    """One boolean column per code from the space-separated answers (NA where the answer is missing)."""
    answers = frame[name].astype("string")
    padded = " " + answers.fillna("") + " "
    missing = answers.isna().to_numpy()
    old = [c for c in frame.columns if str(c).startswith(name + "/")]
    out = frame.drop(columns=old)
    columns = {}
    for code in codes:  # one vectorised test per code of the list
        flag = pd.array(padded.str.contains(f" {code} ", regex=False).to_numpy(dtype=bool), dtype="boolean")
        flag[missing] = pd.NA
        columns[f"{name}/{code}"] = flag
    return pd.concat([out, pd.DataFrame(columns, index=frame.index)], axis=1)
