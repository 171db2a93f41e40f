"""pyxform's form definition turned into the frozen Instrument; pyxform's messages as located problems."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..codes import canonical_code
from ..errors import InstrumentError, Location, Problem, Severity, ValidationReport, did_you_mean
from .model import Choice, ChoiceList, Group, Instrument, Question, _frozen

_TYPE_ALIASES = {
    "select one": "select_one",
    "select1": "select_one",
    "select one using": "select_one",
    "select one from": "select_one",
    "select all that apply": "select_multiple",
    "select all that apply from": "select_multiple",
    "select multiple from": "select_multiple",
    "select multiple using": "select_multiple",
    "select": "select_multiple",
    "select one external": "select_one_external",
    "gps": "geopoint",
    "location": "geopoint",
    "int": "integer",
    "string": "text",
    "photo": "image",
    "picture": "image",
    "date time": "dateTime",
    "datetime": "dateTime",
    "device id": "deviceid",
    "imei": "deviceid",
    "get device id": "deviceid",
    "uri:deviceid": "deviceid",
    "phone number": "phonenumber",
    "get phone number": "phonenumber",
    "uri:phonenumber": "phonenumber",
    "start time": "start",
    "get start time": "start",
    "end time": "end",
    "get end time": "end",
    "get today": "today",
    "subscriber id": "subscriberid",
    "get subscriber id": "subscriberid",
    "uri:subscriberid": "subscriberid",
    "sim id": "simserial",
    "get sim id": "simserial",
    "uri:simserial": "simserial",
    "uri:username": "username",
    "uri:email": "email",
}
_FILE_ITEMSET = re.compile(r"\.(csv|xml|geojson)$", re.IGNORECASE)
_TRUE = frozenset({"yes", "true", "true()", "1", "y"})
_FALSE = frozenset({"", "no", "false", "false()", "0", "n"})
_KNOWN_KEYS = frozenset(
    {
        "type", "name", "label", "hint", "bind", "control", "children", "choices", "itemset",
        "list_name", "parameters", "choice_filter", "default", "media", "guidance_hint",
        "trigger", "instance", "sms_field", "flat", "actions", "appearance",
    }
)  # fmt: skip


def _normalise_type(raw: str, itemset: str | None) -> str:
    """The XLSForm type without its list, with pyxform's aliases resolved (see module docstring)."""
    t = raw.strip()
    if t.startswith("add ") and t.endswith(" prompt"):
        t = t[4:-7]
    elif t.startswith("q "):
        t = t[2:]
    t = _TYPE_ALIASES.get(t, t)
    if t in ("select_one", "select_multiple") and itemset and _FILE_ITEMSET.search(itemset):
        t += "_from_file"
    return t


def _as_text(value: Any) -> str | None:
    """A cell value as stripped text, None when empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _labels(value: Any, plain_language: str) -> Mapping[str, str]:
    """pyxform labels (plain string or {lang: text}) as a frozen language -> text mapping."""
    if value is None or value == "":
        return _frozen(None)
    if isinstance(value, Mapping):
        return _frozen({str(k): str(v) for k, v in value.items() if v not in (None, "")})
    return _frozen({plain_language: str(value)})


def _parameters(value: Any) -> Mapping[str, str]:
    """``parameters`` as a dict, from pyxform's dict or the raw ``k=v k2=v2`` text."""
    if isinstance(value, Mapping):
        return _frozen({str(k): str(v) for k, v in value.items()})
    text = _as_text(value)
    if not text:
        return _frozen(None)
    pairs = (p.split("=", 1) for p in re.split(r"[\s;,]+", text) if "=" in p)
    return _frozen({k.strip(): v.strip() for k, v in pairs})


def _required(value: Any) -> tuple[bool, str | None]:
    text = (_as_text(value) or "").casefold()
    if text in _TRUE:
        return True, None
    if text in _FALSE:
        return False, None
    return False, _as_text(value)


def _extra(node: Mapping[str, Any]) -> Mapping[str, str]:
    return _frozen(
        {k: str(v) for k, v in node.items() if k not in _KNOWN_KEYS and isinstance(v, str | int | float)}
    )


@dataclass
class _Walk:
    """Accumulators for one traversal of the pyxform dict (private, mutable while building)."""

    plain_language: str
    questions: list[Question] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    rows: dict[str, list[int]] = field(default_factory=dict)
    loop_names: set[str] = field(default_factory=set)  # names repeated by a loop, one question per choice

    def row(self, name: str) -> int | None:
        """The next unused survey-sheet row of an element named ``name`` (form order)."""
        rows = self.rows.get(name)
        return rows.pop(0) if rows else None


def _walk(
    children: Iterable[Mapping[str, Any]], path: tuple[str, ...], repeat: str | None, acc: _Walk
) -> None:
    """Depth-first over pyxform's children, appending questions and groups in form order."""
    for node in children:
        kind = node.get("type")
        bind = node.get("bind") or {}
        control = node.get("control") or {}
        if kind == "loop":
            _walk_loop(node, path, repeat, acc)
            continue
        if kind in ("group", "repeat"):
            gpath = (*path, str(node["name"]))
            acc.groups.append(
                Group(
                    name=str(node["name"]),
                    path=gpath,
                    labels=_labels(node.get("label"), acc.plain_language),
                    relevant=_as_text(bind.get("relevant")),
                    repeat=kind == "repeat",
                    repeat_count=_as_text(control.get("jr:count")),
                    appearance=_as_text(control.get("appearance")),
                    row=acc.row(str(node["name"])),
                )
            )
            _walk(node.get("children", ()), gpath, str(node["name"]) if kind == "repeat" else repeat, acc)
            continue
        acc.questions.append(replace(_question(node, path, repeat, acc.plain_language), row=acc.row(str(node["name"]))))


def _walk_loop(node: Mapping[str, Any], path: tuple[str, ...], repeat: str | None, acc: _Walk) -> None:
    """``begin loop over <list>``: the loop's questions once per choice of the list, as pyxform writes the
    form (``loop/<choice>/<question>``, ``%(name)s`` and ``%(label)s`` replaced by the choice's name and
    label), so that exports' ``transport/loop_over_types/ambulance/frequency`` columns are questions."""
    gpath = (*path, str(node["name"]))
    acc.groups.append(
        Group(name=str(node["name"]), path=gpath, labels=_labels(node.get("label"), acc.plain_language),
              relevant=_as_text((node.get("bind") or {}).get("relevant")), row=acc.row(str(node["name"])))
    )  # fmt: skip
    saved = {k: list(v) for k, v in acc.rows.items()}
    for i, column in enumerate(node.get("columns") or ()):
        if i:  # every copy of the loop's questions is located at their own rows of the survey sheet
            acc.rows = {k: list(v) for k, v in saved.items()}
        name = str(column.get("name"))
        label = column.get("label")
        label = next(iter(label.values()), name) if isinstance(label, Mapping) else str(label or name)
        cpath = (*gpath, name)
        acc.groups.append(Group(name=name, path=cpath, labels=_labels(column.get("label"), acc.plain_language)))
        children = [_substituted(child, name, label) for child in node.get("children", ())]
        before = len(acc.questions)
        _walk(children, cpath, repeat, acc)
        acc.loop_names.update(q.name for q in acc.questions[before:])


def _substituted(value: Any, name: str, label: str) -> Any:
    """``value`` (a pyxform node) with pyxform's loop placeholders ``%(name)s`` / ``%(label)s`` replaced."""
    if isinstance(value, str):
        return value.replace("%(name)s", name).replace("%(label)s", label)
    if isinstance(value, Mapping):
        return {k: _substituted(v, name, label) for k, v in value.items()}
    if isinstance(value, list):
        return [_substituted(v, name, label) for v in value]
    return value


def _question(node: Mapping[str, Any], path: tuple[str, ...], repeat: str | None, plain: str) -> Question:
    bind = node.get("bind") or {}
    control = node.get("control") or {}
    itemset = _as_text(node.get("itemset"))
    qtype = _normalise_type(str(node.get("type", "")), itemset)
    from_file = qtype.endswith("_from_file")
    list_name = _as_text(node.get("list_name"))
    if from_file:  # the list is the file (survey_toolkit.external_choices reads it)
        list_name = itemset
    elif qtype == "select_one_external":  # the list is on the external_choices sheet
        list_name = list_name or itemset or _as_text(node.get("query"))
    required, required_if = _required(bind.get("required"))
    return Question(
        name=str(node["name"]),
        type=qtype,
        path=path,
        labels=_labels(node.get("label"), plain),
        list_name=list_name,
        relevant=_as_text(bind.get("relevant")),
        constraint=_as_text(bind.get("constraint")),
        required=required,
        calculation=_as_text(bind.get("calculate")),
        repeat=repeat,
        hints=_labels(node.get("hint"), plain),
        parameters=_parameters(node.get("parameters")),
        constraint_message=_labels(bind.get("jr:constraintMsg"), plain),
        required_if=required_if,
        choice_filter=_as_text(node.get("choice_filter")),
        appearance=_as_text(control.get("appearance")),
        default=_as_text(node.get("default")),
        itemset_file=itemset if from_file else None,
        extra=_extra(node),
    )


def _choice(raw: Mapping[str, Any], plain: str) -> Choice:
    extra = {k: str(v) for k, v in raw.items() if k not in ("name", "label", "media") and v is not None}
    return Choice(
        name=canonical_code(raw.get("name")) or "",
        labels=_labels(raw.get("label"), plain),
        extra=_frozen(extra),
    )


def _choice_lists(raw: Mapping[str, Any], plain: str) -> Mapping[str, ChoiceList]:
    lists = {
        str(name): ChoiceList(str(name), tuple(_choice(c, plain) for c in items))
        for name, items in (raw or {}).items()
        if isinstance(items, list)
    }
    return _frozen(lists)


def _languages(
    questions: Sequence[Question], groups: Sequence[Group], lists: Mapping[str, ChoiceList]
) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for item in (*questions, *groups):
        seen.update(dict.fromkeys(item.labels))
        seen.update(dict.fromkeys(getattr(item, "hints", {})))
    for cl in lists.values():
        for c in cl.choices:
            seen.update(dict.fromkeys(c.labels))
    return tuple(seen)


_SETTINGS_SKIP = frozenset({"type", "name", "children", "choices", "sms_keyword"})


def _survey_rows(definition: Any, source: str | None) -> dict[str, list[int]]:
    """Survey-sheet rows per element name, in form order, numbered as pyxform does (header = row 1).

    Expressions longer than the limit, every repeated name (:func:`_repeated_names`), every list a select
    question names that the choices sheet lacks (:func:`_missing_lists`) and every ``${name}`` that is
    not a name of the survey sheet (:func:`_unknown_references`) are refused here, all at once: pyxform
    stops at the first of them (one per run) and spends minutes on long expressions.
    """
    from ..expressions.formlogic import oversized_expressions

    refused = oversized_expressions(getattr(definition, "survey", None) or (), source)
    refused += _repeated_names(definition, source) + _missing_lists(definition, source)
    refused += _unknown_references(definition, source)
    if refused:
        raise InstrumentError(refused)
    rows: dict[str, list[int]] = {}
    for number, row in enumerate(getattr(definition, "survey", None) or (), start=2):
        name = row.get("name") if isinstance(row, Mapping) else None
        if name not in (None, ""):
            rows.setdefault(str(name).strip(), []).append(number)
    return rows


_BEGIN = re.compile(r"^begin[ _](group|repeat|loop)\b")
_END = re.compile(r"^end[ _](group|repeat|loop)\b")
_YES = frozenset({"yes", "true", "true()", "1"})


def _cell(row: Any, column: str) -> str:
    value = row.get(column) if isinstance(row, Mapping) else None
    return "" if value is None else str(value).strip()


def _repeated_names(definition: Any, source: str | None) -> list[Problem]:
    """Every name used twice where pyxform wants it once, each located at its sheet, row and column.

    Survey: a question, group or repeat name used again inside the same group or repeat (or at the top
    level). Choices: a choice name used again in the same list, unless the settings sheet allows it
    (``allow_choice_duplicates``). pyxform reports only the first of these and stops.
    """
    problems = [Problem(
        "duplicate-name-in-group",
        f"the name '{name}' is used again {_within(parent)} (first at row {first})",
        Location(file=source, sheet="survey", row=number, field="name"),
        expected="a name used once within its group or repeat", got=f"'{name}' at rows {first} and {number}",
        hint="rename one of the two (export columns are named after questions, so each name must be unique "
        "within its group or repeat)",
    ) for (parent, name), first, number in _again(_question_keys(definition))]  # fmt: skip
    settings = getattr(definition, "settings", None) or ()
    if any(_cell(s, "allow_choice_duplicates").lower() in _YES for s in settings):
        return problems
    return problems + [Problem(
        "duplicate-choice-name",
        f"the choice name '{name}' is used again in the list '{list_name}' (first at row {first})",
        Location(file=source, sheet="choices", row=number, field="name"),
        expected="each choice of a list with its own name", got=f"'{name}' at rows {first} and {number}",
        hint="give the choice its own name (code), or add the column allow_choice_duplicates with yes "
        "to the settings sheet if the repetition is intended",
    ) for (list_name, name), first, number in _again(_choice_keys(definition))]  # fmt: skip


def _again(keyed: Iterable[tuple[int, tuple[str, ...]]]) -> Iterator[tuple[tuple[str, ...], int, int]]:
    """``(key, first row, row)`` for every row whose key an earlier row already had."""
    first: dict[tuple[str, ...], int] = {}
    for number, key in keyed:
        if key in first:
            yield key, first[key], number
        else:
            first[key] = number


def _question_keys(definition: Any) -> Iterator[tuple[int, tuple[Any, str]]]:
    """``(row, (row of the enclosing group or repeat, 0 at the top level; name))`` of each named survey row."""
    parents: list[int] = [0]
    for number, row in enumerate(getattr(definition, "survey", None) or (), start=2):
        kind, name = _cell(row, "type").lower(), _cell(row, "name")
        if _END.match(kind):
            if len(parents) > 1:
                parents.pop()
            continue
        if name:
            yield number, (parents[-1], name)
        if _BEGIN.match(kind):
            parents.append(number)


def _choice_keys(definition: Any) -> Iterator[tuple[int, tuple[str, str]]]:
    """``(row, (list name, choice name))`` of each choices row that has both."""
    for number, row in enumerate(getattr(definition, "choices", None) or (), start=2):
        key = (_cell(row, "list_name") or _cell(row, "list name"), _cell(row, "name") or _cell(row, "value"))
        if key[0] and key[1]:
            yield number, key


def _within(parent: int) -> str:
    return "at the top level" if parent == 0 else f"in the group or repeat of row {parent}"


_SELECT = re.compile(
    r"^(?:select_one|select one from|select one|select1|select_multiple|select all that apply from|"
    r"select all that apply|select multiple|add select one prompt using|add select multiple prompt using|rank)"
    r"\s+(\S+)(?:\s+(?:or_other|or specify other|or other))?$"
)


def _missing_lists(definition: Any, source: str | None) -> list[Problem]:
    """Select questions whose list is not on the choices sheet (lists in files, ``${...}`` lists and
    ``select_one_external`` are pyxform's to check; so is a form with no choices at all)."""
    lists = {_cell(r, "list_name") or _cell(r, "list name") for r in getattr(definition, "choices", None) or ()}
    lists.discard("")
    if not lists:
        return []
    problems = []
    for number, row in enumerate(getattr(definition, "survey", None) or (), start=2):
        found = _SELECT.match(re.sub(r"\s+", " ", _cell(row, "type")))
        name = found.group(1) if found else ""
        if not name or name in lists or "." in name or "${" in name:
            continue
        problems.append(Problem(
            "unknown-choice-list",
            f"the {found.group(0).split()[0]} question '{_cell(row, 'name')}' uses the list '{name}', which is not on "
            "the choices sheet",
            Location(file=source, sheet="survey", row=number, field="type"),
            expected="a list_name of the choices sheet", got=name,
            hint=did_you_mean(name, sorted(lists)) or "add the list to the choices sheet, or use one of its lists: "
            + ", ".join(sorted(lists)[:10]) + (", ..." if len(lists) > 10 else ""),
        ))  # fmt: skip
    return problems


_REFERENCE = re.compile(r"\$\{(?:last-saved#)?([^{}]*)\}")


def _unknown_references(definition: Any, source: str | None) -> list[Problem]:
    """Every ``${name}`` of the survey sheet (any column but type and name) that is not a name of the
    sheet, or names two elements (pyxform rejects both, one at a time)."""
    rows = getattr(definition, "survey", None) or ()
    where: dict[str, list[int]] = {}
    for number, row in enumerate(rows, start=2):
        if _cell(row, "name") and not _END.match(_cell(row, "type").lower()):
            where.setdefault(_cell(row, "name"), []).append(number)
    problems = []
    for number, row in enumerate(rows, start=2):
        for column, value in row.items() if isinstance(row, Mapping) else ():
            if str(column).strip() in ("type", "name") or not isinstance(value, str) or "${" not in value:
                continue
            for ref in dict.fromkeys(m.strip() for m in _REFERENCE.findall(value)):
                if ref and len(where.get(ref, ())) != 1:
                    problems.append(_reference_problem(ref, where.get(ref, []), str(column).strip(), row, number,
                                                       source, sorted(where)))  # fmt: skip
    return problems


def _reference_problem(ref: str, rows: list[int], column: str, row: Any, number: int, source: str | None,
                       names: list[str]) -> Problem:  # fmt: skip
    location = Location(file=source, sheet="survey", row=number, field=column)
    owner = _cell(row, "name") or f"row {number}"
    if rows:
        return Problem(
            "ambiguous-reference",
            f"the {column} of '{owner}' refers to ${{{ref}}}, but '{ref}' names more than one element "
            f"(rows {', '.join(map(str, rows))})",
            location, hint="rename one of them: a ${name} reference needs a name used once in the form",
        )  # fmt: skip
    return Problem(
        "unknown-reference",
        f"the {column} of '{owner}' refers to ${{{ref}}}, which is not a name on the survey sheet",
        location, expected="${name} with the name of a question, group or calculate", got=f"${{{ref}}}",
        hint=did_you_mean(ref, names) or "correct the name, or add the question it refers to",
    )  # fmt: skip


def _build(
    form: Mapping[str, Any], source: str | None, warnings: Sequence[str], rows: Mapping[str, list[int]] | None = None
) -> Instrument:
    """The Instrument for pyxform's survey dict (``parse_file_to_json`` output)."""
    declared = _as_text(form.get("default_language"))
    plain = declared if declared else "default"
    acc = _Walk(plain_language=plain, rows={k: list(v) for k, v in (rows or {}).items()})
    _walk(form.get("children", ()), (), None, acc)
    lists = _choice_lists(form.get("choices") or {}, plain)
    languages = _languages(acc.questions, acc.groups, lists)
    default_language = declared if declared in languages else (languages[0] if languages else None)
    problems = [_warning_problem(w, source) for w in warnings]
    instrument = Instrument(
        title=str(form.get("title") or form.get("id_string") or ""),
        form_id=str(form.get("id_string") or form.get("name") or ""),
        version=_as_text(form.get("version")),
        default_language=default_language,
        languages=languages,
        questions=tuple(acc.questions),
        choice_lists=lists,
        groups=tuple(acc.groups),
        source=source,
        settings=_frozen(
            {
                k: str(v)
                for k, v in form.items()
                if k not in _SETTINGS_SKIP and isinstance(v, str | int | float)
            }
        ),
    )
    problems += [_duplicate_problem(n, source) for n in instrument.duplicate_names if n not in acc.loop_names]
    return _with_problems(instrument, problems)


def _with_problems(instrument: Instrument, problems: Sequence[Problem]) -> Instrument:
    return replace(instrument, problems=ValidationReport(tuple(problems)))


def _duplicate_problem(name: str, source: str | None) -> Problem:
    return Problem(
        "duplicate-question-name",
        f"the name '{name}' is used by more than one question (in different groups)",
        Location(file=source, sheet="survey", field=name),
        severity=Severity.WARNING,
        hint="KoBo exports merge such columns and ODK exports without group paths duplicate them; "
        "rename the questions so that every name is unique",
    )


_ROW = re.compile(r"\[row\s*:\s*(\d+)\]", re.IGNORECASE)
_SHEET = re.compile(
    r"'(survey|choices|settings|external_choices|entities|osm)' sheet|sheet[: ]+'?(survey|choices|settings|external_choices|entities)\b",
    re.IGNORECASE,
)


def _where(message: str, source: str | None) -> Location:
    """The sheet and row a pyxform message names (``[row : 5]``, ``'choices' sheet``)."""
    row = _ROW.search(message)
    sheet = _SHEET.search(message)
    sheet_name = (sheet.group(1) or sheet.group(2)).lower() if sheet else ("survey" if row else None)
    return Location(file=source, sheet=sheet_name, row=int(row.group(1)) if row else None)


def _clean_message(message: str) -> str:
    text = _ROW.sub("", str(message)).strip()
    return re.sub(r"\s+", " ", text)


def _warning_problem(message: str, source: str | None) -> Problem:
    return Problem(
        "xlsform-warning",
        f"pyxform: {_clean_message(message)}",
        _where(message, source),
        severity=Severity.WARNING,
    )


_NOT_XLSFORM = re.compile(
    r"must have a sheet named 'survey'|sheet: 'survey'\. One or more required column headers were not found: 'type'"
)


def _rejected(exc: BaseException, source: str) -> InstrumentError:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, KeyError):
        text = f"the form refers to {text}, which is not defined (a choice list or a column is missing)"
    if "was not recognized as a supported type" in text and source.lower().endswith((".csv", ".md")):
        return InstrumentError(
            Problem(
                "not-an-xlsform",
                f"'{source}' is not an XLSForm: it has no 'survey' sheet and no 'type' and 'name' columns",
                Location(file=source),
                expected="an XLSForm CSV (sheet names in the first column) or a survey sheet with type and name columns",
                hint="pass the form (XLSForm) that produced the export, not the export itself",
            )
        )
    if "was not recognized as a supported type" in text:
        return InstrumentError(
            Problem(
                "unreadable-instrument",
                f"cannot read the form '{source}': pyxform does not recognise the file as a workbook, CSV or Markdown form",
                Location(file=source),
                hint="re-download or re-save the XLSForm from Excel or KoBo; the file may be corrupt or renamed",
            )
        )
    if _NOT_XLSFORM.search(text):
        return InstrumentError(
            Problem(
                "not-an-xlsform",
                f"this workbook is not an XLSForm: {_clean_message(text)}",
                Location(file=source),
                expected="a workbook with a 'survey' sheet (and usually 'choices' and 'settings')",
                hint="pass the form (XLSForm) that produced the export, not the export itself",
            )
        )
    return InstrumentError(
        Problem(
            "invalid-xlsform",
            f"pyxform rejects the form: {_clean_message(text)}",
            _where(text, source),
            hint="fix the form at the sheet and row named (https://xlsform.org/en/ref-table/), "
            "then check it with pyxform (xls2xform) or KoBo before using it",
        )
    )


def _definition(sheets: Mapping[str, Sequence[Mapping[str, Any]]], form_name: str | None = None):
    """pyxform's DefinitionData for sheets given as lists of row dicts (empty cells dropped)."""
    from pyxform.xls2json_backends import DefinitionData

    kwargs: dict[str, Any] = {}
    for name, rows in sheets.items():
        rows = list(rows)
        header: dict[str, None] = {}
        for row in rows:
            header.update(dict.fromkeys(str(k).strip() for k in row))
        kwargs[name] = [{str(k).strip(): str(v) for k, v in r.items() if v not in (None, "")} for r in rows]
        kwargs[f"{name}_header"] = [header]
    kwargs["sheet_names"] = list(sheets)
    kwargs["fallback_form_name"] = form_name
    return DefinitionData(**kwargs)


def _parse(load, source: str, validate: bool) -> Instrument:
    """Run pyxform (``load(warnings) -> survey dict``), optionally build the XForm, and model the result."""
    from pyxform import builder

    warnings: list[str] = []
    rows: dict[str, list[int]] = {}
    try:
        form = load(warnings, rows)
        if validate:
            builder.create_survey_element_from_dict(form).to_xml(
                validate=False, pretty_print=False, warnings=warnings
            )
    except InstrumentError:
        raise
    except Exception as exc:  # pyxform raises PyXFormError but also KeyError/ValueError on bad forms
        raise _rejected(exc, source) from exc
    instrument = _build(form, source, list(dict.fromkeys(warnings)), rows)
    return _checked_logic(instrument)


def _checked_logic(instrument: Instrument) -> Instrument:
    """The instrument with its expressions checked: errors raised together, warnings kept."""
    from ..expressions.formlogic import form_logic_problems

    found = form_logic_problems(instrument)
    errors = [p for p in found if p.severity is Severity.ERROR]
    if errors:
        raise InstrumentError(found)
    return _with_problems(instrument, (*instrument.problems, *found)) if found else instrument
