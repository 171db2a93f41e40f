"""The frozen model of a form: Instrument, Question, Group, ChoiceList, Choice, and the form's languages."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from ..codes import canonical_code
from ..errors import InstrumentError, Location, Problem, ValidationReport, did_you_mean


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
