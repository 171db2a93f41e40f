"""The survey instrument (an XLSForm) as an immutable model.

``read_instrument(path)`` parses any XLSForm with pyxform into an :class:`Instrument`: questions with
type, group path, labels per language, ``relevant``, constraint and required flag; choice lists with
codes and labels per language. Loaders use it to map export headers back to question names and to
type the columns; the indicator layer uses it to check definitions before any data is touched.

Conventions:
- choice codes are canonical strings (``"1"``, ``"98"``, ``"yes"``), never floats (``"1.0"``);
- ``type`` is the XLSForm type spelled as in the form's ``type`` column without the list name
  (``select_one``, ``select_multiple``, ``select_one_from_file``, ``select_multiple_from_file``,
  ``rank``, ``integer``, ``decimal``, ``text``, ``date``, ``dateTime``, ``time``, ``geopoint``,
  ``calculate``, ``note``, ``start``, ``end``, ...); pyxform aliases are normalised (``gps`` ->
  ``geopoint``, ``int`` -> ``integer``, ``select one`` -> ``select_one``...);
- ``path`` is the tuple of enclosing group/repeat names (the form root excluded);
- labels are a mapping language -> text; an untranslated form uses the language ``"default"``
  (or the ``default_language`` of the settings sheet when one is declared).

Example:
    >>> form = read_instrument("instruments/cssp_core.xlsx")          # doctest: +SKIP
    >>> form.question("a2_age").constraint                            # doctest: +SKIP
    '. >= 18 and . <= 110'
    >>> form.choices_for("b1_safe_dark").labels(form.language_for("fr"))  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import functools
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .codes import canonical_code
from .errors import (
    InstrumentError,
    Location,
    Problem,
    Severity,
    ValidationReport,
    did_you_mean,
)

__all__ = [
    "Choice",
    "ChoiceList",
    "Question",
    "Group",
    "Instrument",
    "read_instrument",
    "instrument_from_sheets",
    "canonical_code",
    "SUPPORTED_EXTENSIONS",
]

SUPPORTED_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv", ".md")
"""File extensions :func:`read_instrument` accepts (the formats pyxform reads)."""


def _frozen(mapping: Mapping | None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


def _pick_label(labels: Mapping[str, str], language: str | None, fallback: str) -> str:
    """``labels[language]``; else the language matching a code or name (``"fr"``); else the first; else fallback."""
    if language:
        if language in labels:
            return labels[language]
        matched = _match_language(language, tuple(labels))
        if matched is not None:
            return labels[matched]
    return next(iter(labels.values()), fallback)


# --------------------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Choice:
    """One option of a choice list: its code (``name`` column) and its labels per language.

    ``extra`` keeps the other columns of the choices sheet (for example the ``admin1`` column a
    ``choice_filter`` uses), as strings.
    """

    name: str
    labels: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    extra: Mapping[str, str] = field(default_factory=lambda: _frozen(None))

    def label(self, language: str | None = None) -> str:
        """The label in ``language`` (a form language, or a code/name such as ``"fr"``), falling back to
        the first label, then to the code."""
        return _pick_label(self.labels, language, self.name)

    def __hash__(self) -> int:  # the mappings are read-only views: hash the identity fields
        return hash(("Choice", self.name))


@dataclass(frozen=True)
class ChoiceList:
    """A named choice list (``list_name`` in the choices sheet) with its ordered choices."""

    name: str
    choices: tuple[Choice, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """The distinct choice codes in form order. With ``allow_choice_duplicates`` (cascading lists) a
        name may appear once per filter value (``central`` under ``north`` and under ``south``): a choice
        is then identified by list + name + filter (``choices`` keeps every row, the filter columns in
        ``Choice.extra``), and the answer ``central`` is the one code ``central``."""
        return tuple(dict.fromkeys(c.name for c in self.choices))

    def labels(self, language: str | None = None) -> dict[str, str]:
        """code -> label in ``language``."""
        return {c.name: c.label(language) for c in self.choices}

    def choice(self, code: Any) -> Choice:
        """The choice with ``code`` (compared canonically, so ``1.0`` finds ``"1"``); KeyError if absent."""
        wanted = canonical_code(code)
        for c in self.choices:
            if c.name == wanted:
                return c
        raise KeyError(code)

    def __contains__(self, code: object) -> bool:
        return canonical_code(code) in self.codes

    def __hash__(self) -> int:
        return hash(("ChoiceList", self.name, self.codes))


@dataclass(frozen=True)
class Group:
    """A group or repeat: its name, full path, labels, ``relevant`` and whether it repeats.

    ``path`` includes the group's own name (``("consented", "demographics")``).
    """

    name: str
    path: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    relevant: str | None = None
    repeat: bool = False
    repeat_count: str | None = None
    appearance: str | None = None
    row: int | None = field(default=None, compare=False)
    """The survey sheet row of its ``begin group`` (header = row 1), when read from sheets."""

    def __hash__(self) -> int:
        return hash(("Group", self.path, self.repeat))

    def label(self, language: str | None = None) -> str:
        """The label in ``language``, falling back to the first label, then to the name."""
        return _pick_label(self.labels, language, self.name)


@dataclass(frozen=True)
class Question:
    """One leaf of the form (a question, a calculate, a metadata field or a note).

    ``required`` is True for ``yes``/``true``/``true()``; a conditional requirement (an expression)
    leaves ``required`` False and is kept in ``required_if``. ``repeat`` names the innermost enclosing
    repeat. ``itemset_file`` is the file of a ``select_*_from_file`` question. ``extra`` keeps the
    survey sheet's non-XLSForm columns (``priority``, ``module``, ``indicator``...) as strings.
    """

    name: str
    type: str
    path: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    list_name: str | None = None
    relevant: str | None = None
    constraint: str | None = None
    required: bool = False
    calculation: str | None = None
    repeat: str | None = None
    hints: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    parameters: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    constraint_message: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    required_if: str | None = None
    choice_filter: str | None = None
    appearance: str | None = None
    default: str | None = None
    itemset_file: str | None = None
    extra: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    row: int | None = field(default=None, compare=False)
    """The survey sheet row (header = row 1), when read from sheets; None for pyxform's own fields."""

    def __hash__(self) -> int:
        return hash(("Question", self.name, self.type, self.path))

    @property
    def full_path(self) -> tuple[str, ...]:
        """Group path plus the question name, e.g. ``("resp", "age")``."""
        return (*self.path, self.name)

    @property
    def xpath(self) -> str:
        """The path joined by ``/`` (``resp/age``), as KoBo and ODK write it."""
        return "/".join(self.full_path)

    @property
    def is_select(self) -> bool:
        """True for select_one / select_multiple / rank (with or without a choice file)."""
        return self.type.startswith(("select_one", "select_multiple")) or self.type == "rank"

    @property
    def is_select_multiple(self) -> bool:
        return self.type.startswith("select_multiple")

    def label(self, language: str | None = None) -> str:
        """The label in ``language``, falling back to the first label, then to the name."""
        return _pick_label(self.labels, language, self.name)


_NON_DATA_TYPES = frozenset({"note"})


@dataclass(frozen=True)
class Instrument:
    """An XLSForm as an immutable model. Build it with :func:`read_instrument`.

    ``questions`` are all leaves in form order (notes included; see :attr:`leaves`); ``groups`` all
    groups and repeats in form order; ``problems`` the warnings pyxform and the reader raised;
    ``settings`` the settings sheet as strings.
    """

    title: str
    form_id: str
    version: str | None
    default_language: str | None
    languages: tuple[str, ...]
    questions: tuple[Question, ...]
    choice_lists: Mapping[str, ChoiceList]
    groups: tuple[Group, ...] = ()
    source: str | None = None
    problems: ValidationReport = field(default_factory=ValidationReport)
    settings: Mapping[str, str] = field(default_factory=lambda: _frozen(None))

    def __hash__(self) -> int:  # usable as a cache key; equal instruments hash equal
        return hash(("Instrument", self.form_id, self.version, self.source, len(self.questions)))

    # ------------------------------------------------------------------ lookups (cached, read-only)

    @cached_property
    def by_name(self) -> Mapping[str, Question]:
        """name -> question (the first one in form order when a name is repeated in other groups)."""
        out: dict[str, Question] = {}
        for q in self.questions:
            out.setdefault(q.name, q)
        return MappingProxyType(out)

    @cached_property
    def by_path(self) -> Mapping[str, Question]:
        """``"group/sub/name"`` -> question; unique even when names repeat across groups."""
        return MappingProxyType({q.xpath: q for q in self.questions})

    @cached_property
    def groups_by_name(self) -> Mapping[str, Group]:
        """group or repeat name -> group (first in form order)."""
        out: dict[str, Group] = {}
        for g in self.groups:
            out.setdefault(g.name, g)
        return MappingProxyType(out)

    @cached_property
    def leaves(self) -> tuple[Question, ...]:
        """The questions that hold data (every leaf except notes), in form order."""
        return tuple(q for q in self.questions if q.type not in _NON_DATA_TYPES)

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The names of :attr:`leaves`, in form order."""
        return tuple(q.name for q in self.leaves)

    @cached_property
    def repeats(self) -> tuple[Group, ...]:
        """The repeat groups, in form order."""
        return tuple(g for g in self.groups if g.repeat)

    @cached_property
    def duplicate_names(self) -> tuple[str, ...]:
        """Leaf names used more than once (legal in different groups, but KoBo exports merge them)."""
        seen: dict[str, int] = {}
        for q in self.leaves:
            seen[q.name] = seen.get(q.name, 0) + 1
        return tuple(n for n, k in seen.items() if k > 1)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name or name in self.by_path

    def question(self, name: str) -> Question:
        """The question called ``name`` (or with the path ``"group/name"``).

        Raises:
            InstrumentError: ``unknown-question`` naming the form, with a did-you-mean hint.
        """
        found = self.by_name.get(name) or self.by_path.get(name)
        if found is not None:
            return found
        raise InstrumentError(
            Problem(
                "unknown-question",
                f"question '{name}' is not in the form '{self.form_id}'",
                Location(file=self.source),
                expected="a question name of the form's survey sheet",
                got=str(name),
                hint=did_you_mean(name, self.by_name) or "check the spelling against the form's survey sheet",
            )
        )

    def group(self, name: str) -> Group:
        """The group or repeat called ``name`` (or with the path ``"outer/inner"``)."""
        found = self.groups_by_name.get(name) or next(
            (g for g in self.groups if "/".join(g.path) == name), None
        )
        if found is not None:
            return found
        raise InstrumentError(
            Problem(
                "unknown-group",
                f"group '{name}' is not in the form '{self.form_id}'",
                Location(file=self.source),
                got=str(name),
                hint=did_you_mean(name, self.groups_by_name) or "check the begin_group/begin_repeat names",
            )
        )

    def choices_for(self, question: Question | str) -> ChoiceList | None:
        """The choice list of a select question (None for other types, and for an external or
        ``*_from_file`` list that was not found beside the form)."""
        q = question if isinstance(question, Question) else self.question(question)
        if q.list_name is None:
            return None
        return self.choice_lists.get(q.list_name)

    def questions_in(self, group: Group | str) -> tuple[Question, ...]:
        """The leaves inside ``group`` (at any depth), in form order."""
        g = group if isinstance(group, Group) else self.group(group)
        n = len(g.path)
        return tuple(q for q in self.leaves if q.path[:n] == g.path)

    def enclosing_groups(self, question: Question | str) -> tuple[Group, ...]:
        """The groups around ``question``, outermost first."""
        q = question if isinstance(question, Question) else self.question(question)
        by_path = {g.path: g for g in self.groups}
        return tuple(by_path[q.path[:i]] for i in range(1, len(q.path) + 1) if q.path[:i] in by_path)

    def relevant_chain(self, question: Question | str) -> tuple[str, ...]:
        """The ``relevant`` expressions that decide whether ``question`` is asked, outermost first."""
        q = question if isinstance(question, Question) else self.question(question)
        chain = [g.relevant for g in self.enclosing_groups(q) if g.relevant]
        if q.relevant:
            chain.append(q.relevant)
        return tuple(chain)

    def effective_relevant(self, question: Question | str) -> str | None:
        """The AND of the enclosing groups' ``relevant`` and the question's own, or None if always asked.

        >>> # group relevant "${consent} = 1", own "${age} >= 18" -> "(${consent} = 1) and (${age} >= 18)"
        """
        chain = self.relevant_chain(question)
        if not chain:
            return None
        if len(chain) == 1:
            return chain[0]
        return " and ".join(f"({c})" for c in chain)

    def language_for(self, language: str) -> str:
        """The form language matching a code or a name: ``"fr"``, ``"French"``, ``"Français (fr)"``.

        Raises:
            InstrumentError: ``unknown-language`` listing the form's languages.
        """
        found = _match_language(language, self.languages)
        if found is not None:
            return found
        raise InstrumentError(
            Problem(
                "unknown-language",
                f"language '{language}' is not one of the languages of the form '{self.form_id}'",
                Location(file=self.source),
                expected=", ".join(self.languages) or "(no labels)",
                got=str(language),
                hint=did_you_mean(language, self.languages)
                or "use one of the form's label::<language> suffixes or its 2-letter code",
            )
        )


# ------------------------------------------------------------------------------------ languages

_ISO_NAMES = {
    "en": ("english", "anglais"),
    "fr": ("french", "français", "francais"),
    "es": ("spanish", "español", "espanol"),
    "pt": ("portuguese", "português", "portugues"),
    "ar": ("arabic", "العربية"),
    "sw": ("swahili", "kiswahili"),
    "ru": ("russian",),
    "uk": ("ukrainian",),
    "so": ("somali",),
    "ha": ("hausa",),
}
_CODE_IN_PARENS = re.compile(r"\(([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)?)\)\s*$")


def _language_keys(language: str) -> set[str]:
    """The spellings a form language answers to: itself, its name, its (code) and the code's names."""
    text = language.strip().casefold()
    keys = {text}
    m = _CODE_IN_PARENS.search(text)
    if m:
        code = m.group(1).casefold()
        keys |= {code, text[: m.start()].strip()}
    for code, names in _ISO_NAMES.items():
        if keys & ({code} | set(names)):
            keys |= {code, *names}
    return keys


def _match_language(query: str, languages: Sequence[str]) -> str | None:
    if query in languages:
        return query
    wanted = _language_keys(str(query))
    for lang in languages:
        if wanted & _language_keys(lang):
            return lang
    return None


# ------------------------------------------------------------------------------ pyxform -> model

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
        if kind in ("group", "repeat", "loop"):
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

    Expressions longer than the limit are refused here, before pyxform spends minutes on them.
    """
    from .expressions.formlogic import oversized_expressions

    too_long = oversized_expressions(getattr(definition, "survey", None) or (), source)
    if too_long:
        raise InstrumentError(too_long)
    rows: dict[str, list[int]] = {}
    for number, row in enumerate(getattr(definition, "survey", None) or (), start=2):
        name = row.get("name") if isinstance(row, Mapping) else None
        if name not in (None, ""):
            rows.setdefault(str(name).strip(), []).append(number)
    return rows


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
    problems += [_duplicate_problem(n, source) for n in instrument.duplicate_names]
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


# ------------------------------------------------------------------------- pyxform messages


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


# --------------------------------------------------------------------------------- file reading


def _check_file(path: Path, source: str) -> None:
    if not path.exists():
        nearby = (
            [p.name for p in path.parent.glob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS]
            if path.parent.is_dir()
            else []
        )
        raise InstrumentError(
            Problem(
                "instrument-not-found",
                f"the form file '{source}' does not exist",
                Location(file=source),
                hint=did_you_mean(path.name, nearby) or "check the path to the XLSForm (.xlsx)",
            )
        )
    if path.is_dir():
        raise InstrumentError(
            Problem(
                "instrument-not-found",
                f"'{source}' is a folder, not a form file",
                Location(file=source),
                hint="pass the XLSForm file itself, e.g. instruments/cssp_core.xlsx",
            )
        )
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise InstrumentError(
            Problem(
                "unsupported-instrument-format",
                f"cannot read a form from a '{path.suffix or '(no extension)'}' file",
                Location(file=source),
                expected=", ".join(SUPPORTED_EXTENSIONS),
                got=path.suffix or "(no extension)",
                hint=_format_hint(path),
            )
        )
    _check_container(path, source)


def _format_hint(path: Path) -> str:
    """What to do with a form file survey_toolkit cannot read, by its kind."""
    suffix = path.suffix.lower()
    if suffix in (".xml", ".json", ".odkbuild"):
        return (
            f"a {suffix} file is a form compiled from (or built instead of) an XLSForm; survey_toolkit reads the "
            "XLSForm itself: download it as .xlsx (KoBo: Form > Download XLS; ODK Central: the form's Versions "
            "tab > Download XLSForm) and pass that"
        )
    return "save the XLSForm as .xlsx (File > Save as in Excel, or download it as XLS from KoBo)"


def _check_container(path: Path, source: str) -> None:
    """A clear error for a corrupt workbook before pyxform sees it (a zip for xlsx, OLE for xls)."""
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(8)
    broken = None
    if suffix in (".xlsx", ".xlsm") and not zipfile.is_zipfile(path):
        broken = "it is not a valid .xlsx workbook (not a zip container)"
    elif suffix == ".xls" and not head.startswith(b"\xd0\xcf\x11\xe0"):
        broken = "it is not a valid .xls workbook"
    elif not head:
        broken = "the file is empty"
    if broken:
        raise InstrumentError(
            Problem(
                "unreadable-instrument",
                f"cannot read the form '{source}': {broken}",
                Location(file=source),
                hint="re-download or re-save the XLSForm from Excel or KoBo; the file may be truncated or renamed",
            )
        )


def _csv_header(path: Path, encoding: str | None = None) -> set[str]:
    """The lower-cased header cells of a CSV (spaces as ``_``); empty when it cannot be read."""
    try:
        with path.open(newline="", encoding=encoding or "utf-8-sig", errors="replace") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, csv.Error, LookupError):
        return set()
    return {h.strip().lower().replace(" ", "_") for h in header}


def _is_sheet_csv(path: Path, encoding: str | None = None) -> bool:
    """True for a CSV holding only a survey sheet (header with type and name) rather than an XLSForm CSV."""
    return {"type", "name"} <= _csv_header(path, encoding)


def _read_csv_sheet(path: Path, encoding: str | None = None) -> list[dict[str, str]]:
    enc = encoding or "utf-8-sig"
    try:
        with path.open(newline="", encoding=enc) as fh:
            rows = [{k: v for k, v in row.items() if k is not None} for row in csv.DictReader(fh)]
    except LookupError:
        raise InstrumentError(
            Problem(
                "unreadable-instrument",
                f"'{encoding}' is not an encoding Python knows",
                Location(file=str(path)),
                hint="use a name such as 'utf-8', 'cp1252' or 'latin-1'",
            )
        ) from None
    except UnicodeDecodeError as exc:
        raise InstrumentError(
            Problem(
                "unreadable-instrument",
                f"the form sheet '{path}' is not {enc.replace('-sig', '')} text (byte {exc.start} cannot be decoded)",
                Location(file=str(path)),
                expected=enc.replace("-sig", ""),
                hint="give its encoding: read_instrument(path, encoding='cp1252') (Excel on Windows) or "
                "'latin-1'; or save the CSV as 'CSV UTF-8' in Excel, or the whole form as .xlsx",
            )
        ) from None
    # a sheet saved as "choices - Sheet1.csv" may say "list name" for "list_name"
    return [
        {(k.strip().replace(" ", "_") if k.strip().lower() == "list name" else k): v for k, v in r.items()}
        for r in rows
    ]


#: The header cells that tell a sheet of an XLSForm saved as CSV.
_SHEET_SIGNATURES = {
    "choices": ({"list_name", "name"},),
    "external_choices": ({"list_name", "name"},),
    "settings": ({"form_id"}, {"form_title"}),
}


def _is_external_csv(path: Path) -> bool:
    """A CSV holding the external_choices sheet: named ``*external*`` or ODK's ``itemsets.csv``."""
    stem = path.stem.lower()
    return "external" in stem or stem == "itemsets"


def _sibling(path: Path, sheet: str, encoding: str | None = None) -> Path | None:
    """The CSV of ``sheet`` beside the survey CSV ``path``: ``x_survey.csv`` -> ``x_choices.csv`` when it
    exists, else the one CSV of the folder whose header is that sheet's (``choices - Sheet1.csv``,
    ``kobo choices.csv``); among several, the one whose name says the sheet."""
    stem = path.stem
    idx = stem.lower().rfind("survey")
    if idx >= 0:
        candidate = path.with_name(stem[:idx] + sheet + stem[idx + 6 :] + path.suffix)
        if candidate.exists():
            return candidate
    found = []
    for other in sorted(path.parent.glob("*")):
        if other == path or other.suffix.lower() != ".csv" or not other.is_file():
            continue
        if _is_external_csv(other) != (sheet == "external_choices"):
            continue  # external_choices / itemsets.csv are never the choices sheet
        header = _csv_header(other, encoding)
        if any(sig <= header for sig in _SHEET_SIGNATURES[sheet]) and not {"type", "name"} <= header:
            found.append(other)
    if len(found) > 1:
        named = [f for f in found if sheet.rstrip("s") in f.stem.lower()]
        found = named if len(named) == 1 else found
    return found[0] if len(found) == 1 else None


def _sheets_from_csv_pair(
    path: Path, source: str, encoding: str | None = None
) -> dict[str, list[dict[str, str]]]:
    """A survey-sheet CSV plus its choices CSV (and optional settings CSV) from the same folder."""
    choices = _sibling(path, "choices", encoding)
    if choices is None:
        raise InstrumentError(
            Problem(
                "missing-choices-sheet",
                f"'{source}' holds only a survey sheet and no choices sheet was found beside it",
                Location(file=source, sheet="survey"),
                expected="one CSV in the same folder with the choices sheet's columns (list_name, name, label), "
                f"e.g. '{path.name.replace('survey', 'choices')}'",
                hint="save the whole XLSForm as .xlsx, or put the choices sheet CSV (only one) beside the survey CSV",
            )
        )
    sheets = {"survey": _read_csv_sheet(path, encoding), "choices": _read_csv_sheet(choices, encoding)}
    for sheet in ("settings", "external_choices"):
        found = _sibling(path, sheet, encoding)
        if found is not None:
            sheets[sheet] = _read_csv_sheet(found, encoding)
    return sheets


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
    from .expressions.formlogic import form_logic_problems

    found = form_logic_problems(instrument)
    errors = [p for p in found if p.severity is Severity.ERROR]
    if errors:
        raise InstrumentError(found)
    return _with_problems(instrument, (*instrument.problems, *found)) if found else instrument


def _read_file(path: Path, source: str, validate: bool, encoding: str | None = None) -> Instrument:
    _check_file(path, source)
    if path.suffix.lower() == ".csv" and _is_sheet_csv(path, encoding):
        sheets = _sheets_from_csv_pair(path, source, encoding)
        return _from_sheets(sheets, source, validate, form_name=path.stem, folder=path.parent, encoding=encoding)

    def load(warnings: list[str], rows: dict[str, list[int]]) -> dict[str, Any]:
        from pyxform import constants
        from pyxform.xls2json import workbook_to_json
        from pyxform.xls2json_backends import get_xlsform

        definition = get_xlsform(str(path))  # what parse_file_to_json does, keeping the sheet rows
        rows.update(_survey_rows(definition, source))
        return workbook_to_json(
            workbook_dict=definition,
            form_name=constants.DEFAULT_FORM_NAME,
            fallback_form_name=definition.fallback_form_name,
            default_language=constants.DEFAULT_LANGUAGE_VALUE,
            warnings=warnings,
        )

    from .external_choices import EXTERNAL_SHEET, ITEMSETS_FILE, needs_itemsets, with_external_lists

    try:
        form = _parse(load, source, validate)
    except InstrumentError as exc:  # no external_choices rows: ODK's itemsets.csv beside the form
        itemsets = path.parent / ITEMSETS_FILE
        if not needs_itemsets(exc.problems):
            raise
        if not (itemsets.is_file() and path.suffix.lower() in (".xlsx", ".xls", ".xlsm")):
            hint = (f"a select_one_external question needs its list: add its rows to the '{EXTERNAL_SHEET}' sheet "
                    f"(list_name, name, label), or put ODK's {ITEMSETS_FILE} beside the form")  # fmt: skip
            raise InstrumentError([replace(p, hint=hint) for p in exc.problems]) from None
        sheets = _workbook_sheets(path)
        sheets["external_choices"] = _read_csv_sheet(itemsets, encoding)
        return _from_sheets(sheets, source, validate, form_name=path.stem, folder=path.parent, encoding=encoding)
    return with_external_lists(form, path, encoding)


def _workbook_sheets(path: Path) -> dict[str, list[dict[str, str]]]:
    """The sheets of an XLSForm workbook as row dicts (text cells; empty cells dropped later)."""
    import pandas as pd

    book = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False, engine="calamine")
    return {str(name).strip(): frame.to_dict("records") for name, frame in book.items() if str(name).strip()}


def _from_sheets(
    sheets: Mapping[str, Sequence[Mapping[str, Any]]],
    source: str | None,
    validate: bool,
    form_name: str | None = None,
    folder: Path | None = None,
    encoding: str | None = None,
) -> Instrument:
    from pyxform.xls2json import workbook_to_json

    from .external_choices import with_external_lists

    def load(warnings: list[str], rows: dict[str, list[int]]) -> dict[str, Any]:
        definition = _definition(sheets, form_name)
        rows.update(_survey_rows(definition, source or "<sheets>"))
        return workbook_to_json(definition, fallback_form_name=form_name, warnings=warnings)

    form = _parse(load, source or "<sheets>", validate)
    return with_external_lists(form, folder / "survey.csv" if folder is not None else None, encoding,
                               sheet_rows=sheets.get("external_choices"))  # fmt: skip


@functools.lru_cache(maxsize=32)
def _cached(
    resolved: str, source: str, mtime_ns: int, size: int, validate: bool, encoding: str | None = None
) -> Instrument:
    return _read_file(Path(resolved), source, validate, encoding)


def read_instrument(path: str | Path, *, validate: bool = True, encoding: str | None = None) -> Instrument:
    """Parse an XLSForm (``.xlsx``, ``.xlsm``, ``.xls``, ``.csv``, ``.md``) with pyxform into an Instrument.

    A ``.csv`` may be an XLSForm CSV (sheet names in the first column) or a survey sheet saved alone,
    with its choices sheet beside it (``x_survey.csv`` + ``x_choices.csv``, or any names: the one CSV of
    the folder with ``list_name`` and ``name`` columns is the choices sheet, one with ``form_id`` the
    settings). ``encoding`` is the text encoding of such CSV sheets (default UTF-8, BOM allowed;
    ``cp1252`` for Excel on Windows). With ``validate`` the form
    is also compiled to an XForm, which catches what only pyxform's XForm builder checks (references
    to unknown ``${names}``...). Results are cached per (path, modification time, size): the model is
    immutable, so the same object may be returned twice.

    Raises:
        InstrumentError: ``instrument-not-found``, ``unsupported-instrument-format``,
            ``unreadable-instrument`` (corrupt file), ``not-an-xlsform`` (no survey sheet),
            ``missing-choices-sheet`` or ``invalid-xlsform`` (pyxform's message, with sheet and row
            when pyxform names them). pyxform's warnings are kept in ``Instrument.problems``.

    Example:
        >>> form = read_instrument("instruments/cssp_core.xlsx")   # doctest: +SKIP
        >>> form.question("consent").type                         # doctest: +SKIP
        'select_one'
    """
    p = Path(path)
    source = str(path)
    if p.is_file():
        st = p.stat()
        return _cached(str(p.resolve()), source, st.st_mtime_ns, st.st_size, validate, encoding)
    return _read_file(p, source, validate, encoding)


def instrument_from_sheets(
    survey: Sequence[Mapping[str, Any]],
    choices: Sequence[Mapping[str, Any]] = (),
    settings: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    *,
    source: str | None = None,
    validate: bool = True,
) -> Instrument:
    """An Instrument from sheets given as row dicts, parsed by pyxform (handy in tests and notebooks).

    Example:
        >>> form = instrument_from_sheets(
        ...     [{"type": "integer", "name": "age", "label": "Age", "constraint": ". >= 18"}],
        ...     settings={"form_id": "demo"})
        >>> form.question("age").constraint, form.form_id
        ('. >= 18', 'demo')
    """
    sheets: dict[str, Sequence[Mapping[str, Any]]] = {"survey": list(survey)}
    if choices:
        sheets["choices"] = list(choices)
    if settings:
        sheets["settings"] = [dict(settings)] if isinstance(settings, Mapping) else list(settings)
    return _from_sheets(sheets, source, validate)
