"""The survey instrument (an XLSForm) as an immutable model.

``read_instrument(path)`` parses any XLSForm with pyxform into an :class:`Instrument`: questions with
type, group path, labels per language, ``relevant``, constraint and required flag; choice lists with
codes and labels per language. Loaders use it to map export headers back to question names and to
type the columns; the indicator layer uses it to check definitions before any data is touched.

Conventions:
- choice codes are canonical strings (``"1"``, ``"98"``, ``"yes"``), never floats (``"1.0"``);
- ``type`` is the XLSForm type spelled as in the form's ``type`` column without the list name
  (``select_one``, ``select_multiple``, ``integer``, ``decimal``, ``text``, ``date``,
  ``dateTime``, ``time``, ``geopoint``, ``calculate``, ``note``, ``start``, ``end``, ...);
- ``path`` is the tuple of enclosing group/repeat names (the form root excluded);
- labels are a mapping language -> text; an untranslated form uses the language ``"default"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Choice", "ChoiceList", "Question", "Group", "Instrument", "read_instrument"]


def _frozen(mapping: Mapping | None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Choice:
    """One option of a choice list: its code (``name`` column) and its labels per language."""

    name: str
    labels: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    extra: Mapping[str, str] = field(default_factory=lambda: _frozen(None))

    def label(self, language: str | None = None) -> str:
        """The label in ``language``, falling back to the first label, then to the code."""
        if language and language in self.labels:
            return self.labels[language]
        return next(iter(self.labels.values()), self.name)


@dataclass(frozen=True)
class ChoiceList:
    """A named choice list (``list_name`` in the choices sheet) with its ordered choices."""

    name: str
    choices: tuple[Choice, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.choices)

    def labels(self, language: str | None = None) -> dict[str, str]:
        """code -> label in ``language``."""
        return {c.name: c.label(language) for c in self.choices}


@dataclass(frozen=True)
class Group:
    """A group or repeat: its name, full path, labels, ``relevant`` and whether it repeats."""

    name: str
    path: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    relevant: str | None = None
    repeat: bool = False


@dataclass(frozen=True)
class Question:
    """One leaf of the form (a question, a calculate, a metadata field or a note)."""

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

    @property
    def full_path(self) -> tuple[str, ...]:
        """Group path plus the question name, e.g. ``("resp", "age")``."""
        return (*self.path, self.name)

    def label(self, language: str | None = None) -> str:
        if language and language in self.labels:
            return self.labels[language]
        return next(iter(self.labels.values()), self.name)


@dataclass(frozen=True)
class Instrument:
    """An XLSForm as an immutable model. Build it with :func:`read_instrument`."""

    title: str
    form_id: str
    version: str | None
    default_language: str | None
    languages: tuple[str, ...]
    questions: tuple[Question, ...]
    choice_lists: Mapping[str, ChoiceList]
    groups: tuple[Group, ...] = ()
    source: str | None = None


def read_instrument(path) -> Instrument:  # pragma: no cover - replaced by the implementation
    """Parse an XLSForm (``.xlsx``, ``.xls``, ``.csv``, ``.md``) with pyxform into an Instrument."""
    raise NotImplementedError
