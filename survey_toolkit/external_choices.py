"""Choice lists kept outside the choices sheet: ``select_one_external`` and ``select_*_from_file``.

XLSForm has two ways to keep long lists (every district, every village) out of the choices sheet:

- ``select_one_external <list>``: the list is on the form's ``external_choices`` sheet (pyxform turns it
  into ODK's ``itemsets.csv``). Its rows are read like the choices sheet (``list_name``, ``name``,
  ``label`` or ``label::<language>``, filter columns kept in ``Choice.extra``). A list absent from the
  sheet is read from an ``itemsets.csv`` beside the form (the file ODK Collect uses), when there is one.
- ``select_one_from_file <file.csv>`` / ``select_multiple_from_file <file.csv>``: the list is the CSV
  file of that name beside the form (columns ``name`` and ``label``, or the columns named by the
  question's ``parameters``: ``value=`` and ``label=``). Its list is named after the file
  (``villages.csv``), which is the question's ``list_name``.

:func:`with_external_lists` adds these lists to an :class:`~survey_toolkit.instrument.Instrument`, so
the loaders check answers against them and indicators read their codes and labels like any list. A
file that is missing (or an ``.xml``/``.geojson`` list, which is not read) is a warning on the
instrument (``external-choices-not-found``): the answers are then kept as written, unchecked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .codes import canonical_code
from .errors import Location, Problem, Severity, ValidationReport

__all__ = ["with_external_lists", "needs_itemsets", "EXTERNAL_SHEET", "ITEMSETS_FILE"]

EXTERNAL_SHEET = "external_choices"
ITEMSETS_FILE = "itemsets.csv"


def _frozen(mapping: Mapping | None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    return "" if text.lower() == "nan" else text


def _choices(rows: Sequence[Mapping[str, Any]], plain: str, value: str = "name", label: str = "label"):
    """Choice objects from sheet rows (label columns: ``label`` and ``label::<language>``)."""
    from .instrument import Choice

    out = []
    for row in rows:
        code = canonical_code(row.get(value))
        if not code:
            continue
        labels: dict[str, str] = {}
        extra: dict[str, str] = {}
        for key, cell in row.items():
            key = str(key).strip()
            text = _text(cell)
            if key == label and text:
                labels[plain] = text
            elif key.lower().startswith(label + "::") and text:
                labels[key.split("::", 1)[1].strip()] = text
            elif key not in (value, "list_name", "list name") and text:
                extra[key] = text
        out.append(Choice(code, _frozen(labels), _frozen(extra)))
    return tuple(out)


def _read_rows(path: Path, sheet: str | None = None, encoding: str | None = None) -> list[dict[str, str]]:
    import pandas as pd

    if sheet is None:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding or "utf-8-sig")
    else:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False, engine="calamine")
    frame.columns = [str(c).strip() for c in frame.columns]
    if "list name" in frame.columns and "list_name" not in frame.columns:
        frame = frame.rename(columns={"list name": "list_name"})
    return frame.to_dict("records")


def _sheet_names(path: Path) -> list[str]:
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls"):
        return []
    import python_calamine

    return list(python_calamine.CalamineWorkbook.from_path(str(path)).sheet_names)


def _by_list(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        name = _text(row.get("list_name"))
        if name:
            out.setdefault(name, []).append(row)
    return out


def needs_itemsets(problems) -> bool:
    """True when pyxform rejected a form for want of ``external_choices`` rows (see ``itemsets.csv``)."""
    return any(EXTERNAL_SHEET in p.message for p in problems)


def _not_found(question, what: str, source: str, expected: str, hint: str) -> Problem:
    return Problem(
        "external-choices-not-found",
        f"question '{question.name}' ({question.type}) takes its choices from {what}, which was not found: "
        "its answers are kept as written, not checked against a list and without labels",
        Location(file=source, sheet="survey", field=question.name),
        Severity.WARNING,
        expected=expected,
        got="nothing",
        hint=hint,
    )


def with_external_lists(
    instrument,
    form_path: str | Path | None,
    encoding: str | None = None,
    sheet_rows: Sequence[Mapping[str, Any]] | None = None,
):
    """``instrument`` with the lists of its ``select_one_external`` and ``select_*_from_file`` questions.

    ``form_path``: the XLSForm file (its ``external_choices`` sheet, and the files beside it; for a form
    given as sheets, a path in their folder). ``sheet_rows``: the ``external_choices`` sheet as row
    dicts, when the form was given as sheets. Lists already in ``instrument.choice_lists`` are kept.
    Returns the same object when no question needs one.
    """
    external = [q for q in instrument.questions if q.type == "select_one_external"]
    from_file = [q for q in instrument.questions if q.itemset_file]
    if not external and not from_file:
        return instrument
    from .instrument import ChoiceList

    path = Path(form_path) if form_path is not None else None
    folder = path.parent if path is not None else None
    source = str(form_path or instrument.source or "the form")
    plain = instrument.settings.get("default_language") or "default"
    lists = dict(instrument.choice_lists)
    problems: list[Problem] = []
    wanted = {q.list_name for q in external if q.list_name and q.list_name not in lists}
    if wanted and sheet_rows is None and path is not None and path.is_file() and EXTERNAL_SHEET in _sheet_names(path):
        sheet_rows = _read_rows(path, EXTERNAL_SHEET)
    if wanted and sheet_rows:
        for name, rows in _by_list(sheet_rows).items():
            if name in wanted:
                lists[name] = ChoiceList(name, _choices(rows, plain))
    missing = {n for n in wanted if n not in lists}
    itemsets = folder / ITEMSETS_FILE if folder is not None else None
    if missing and itemsets is not None and itemsets.is_file():
        for name, rows in _by_list(_read_rows(itemsets, encoding=encoding)).items():
            if name in missing:
                lists[name] = ChoiceList(name, _choices(rows, plain))
    for q in external:
        if q.list_name and q.list_name not in lists:
            problems.append(
                _not_found(q, f"the external list '{q.list_name}'", source,
                           f"rows with list_name '{q.list_name}' on the '{EXTERNAL_SHEET}' sheet, or in an "
                           f"{ITEMSETS_FILE} beside the form",
                           f"add the list's rows to the '{EXTERNAL_SHEET}' sheet (or put {ITEMSETS_FILE} beside the form)")  # fmt: skip
            )
    for q in from_file:
        name = q.itemset_file
        if name in lists:
            continue
        file = folder / name if folder is not None else None
        if file is None or not name.lower().endswith(".csv") or not file.is_file():
            why = "" if name.lower().endswith(".csv") else " (only CSV lists are read)"
            problems.append(
                _not_found(q, f"the file '{name}'{why}", source, f"the file {name} in the form's folder",
                           f"put {name} (columns name, label) beside the form")  # fmt: skip
            )
            continue
        value = q.parameters.get("value", "name")
        label = q.parameters.get("label", "label")
        lists[name] = ChoiceList(name, _choices(_read_rows(file, encoding=encoding), plain, value, label))
    if lists == dict(instrument.choice_lists) and not problems:
        return instrument
    report = ValidationReport(tuple(instrument.problems.problems) + tuple(problems))
    return dataclasses.replace(instrument, choice_lists=_frozen(lists), problems=report)
