"""YAML text -> plain Python data plus a :class:`SourceMap` of file/line/column positions.

PyYAML's composer gives every node a start mark; this module walks the node tree itself (instead of
``yaml.safe_load``) so that each value and each mapping key keeps its position, keyed by its spec path
(``("indicators", 3, "numerator")``). Validators work on plain data and report a path;
:meth:`SourceMap.locate` turns the path back into a :class:`~survey_toolkit.errors.Location`.

Syntax errors become a :class:`~survey_toolkit.errors.Problem` at the parser's problem mark, and a
key repeated in one mapping is reported (YAML forbids it; PyYAML silently keeps the last one).

Positions are 1-based for display (PyYAML marks are 0-based).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import Location, Problem

__all__ = ["SourceMap", "ParsedYaml", "parse_yaml", "read_yaml"]

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class _Span:
    """Where one node sits in the text: 0-based start/end indices plus its 1-based line/column."""

    start: int
    end: int
    line: int
    column: int


@dataclass(frozen=True)
class SourceMap:
    """Spec path -> position of the value (and of the key, for mapping entries) in the YAML text."""

    file: str | None
    text: str
    values: Mapping[Path_, _Span] = field(default_factory=dict)
    keys: Mapping[Path_, _Span] = field(default_factory=dict)

    def locate(self, path: Path_, *, key: bool = False) -> Location:
        """The location of ``path`` (its key when ``key``), falling back to the nearest parent."""
        path = tuple(path)
        probe = path
        while True:
            table = self.keys if key and probe in self.keys else self.values
            span = table.get(probe)
            if span is not None:
                return Location(file=self.file, line=span.line, column=span.column, path=path)
            if not probe:
                return Location(file=self.file, path=path)
            probe = probe[:-1]
            key = True  # a missing child is best shown at its parent's key

    def locate_in_scalar(self, path: Path_, offset: int) -> Location:
        """The location of character ``offset`` of the (string) scalar at ``path``.

        Plain, quoted, literal (``|``) and folded (``>``) scalars are all handled by aligning the
        scalar's value with its raw text, skipping indentation, line breaks and quotes.
        """
        span = self.values.get(tuple(path))
        if span is None:
            return self.locate(path)
        index = _align(self.text, span, offset)
        line = self.text.count("\n", 0, index) + 1
        column = index - (self.text.rfind("\n", 0, index) + 1) + 1
        return Location(file=self.file, line=line, column=column, path=tuple(path))


def _align(text: str, span: _Span, offset: int) -> int:
    """Index in ``text`` of the ``offset``-th character of the scalar's value."""
    return span.start + _greedy(text[span.start : span.end], offset)


def _greedy(raw: str, offset: int) -> int:
    """Position in ``raw`` of value character ``offset``, skipping raw characters that folding drops.

    The scalar's value is unknown here, so characters are matched by skipping what YAML removes
    from the raw text: a leading quote or block indicator line, line breaks and indentation.
    """
    i = 0
    if raw[:1] in ("'", '"'):
        i = 1
    elif raw[:1] in ("|", ">"):
        i = raw.find("\n") + 1 if "\n" in raw else len(raw)
        while i < len(raw) and raw[i] == " ":
            i += 1
    remaining = offset
    while i < len(raw) and remaining > 0:
        if raw[i] == "\n":
            i += 1
            while i < len(raw) and raw[i] in " \t":
                i += 1
            remaining -= 1  # a folded line break counts as one value character
            continue
        i += 1
        remaining -= 1
    return min(i, len(raw))


@dataclass(frozen=True)
class ParsedYaml:
    """The result of reading a YAML document: plain data, positions and any syntax problems."""

    data: Any
    source: SourceMap
    problems: tuple[Problem, ...] = ()


def _span(node: yaml.Node) -> _Span:
    m = node.start_mark
    return _Span(m.index, node.end_mark.index, m.line + 1, m.column + 1)


class _Builder:
    """Turns a composed node tree into plain data, recording spans and duplicate keys."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.values: dict[Path_, _Span] = {}
        self.keys: dict[Path_, _Span] = {}
        self.problems: list[Problem] = []
        self._constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node | None, path: Path_ = ()) -> Any:
        if node is None:
            return None
        self.values[path] = _span(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict:
        self._constructor.flatten_mapping(node)
        out: dict = {}
        for key_node, value_node in node.value:
            key = self._constructor.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                key = str(key)
            span = _span(key_node)
            if key in out:
                first = self.keys[(*path, key)]
                self.problems.append(
                    Problem(
                        "duplicate-key",
                        f"key '{key}' appears twice in the same mapping (first at line {first.line})",
                        Location(self.file, span.line, span.column, (*path, key)),
                        expected="each key once per mapping",
                        got=f"'{key}' again",
                        hint="remove or rename one of them; YAML would silently keep only the last",
                    )
                )
                continue
            self.keys[(*path, key)] = span
            out[key] = self.build(value_node, (*path, key))
        return out


def _syntax_problem(exc: yaml.YAMLError, file: str | None) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    cmark = getattr(exc, "context_mark", None)
    if context and cmark is not None and mark is not None and cmark.line != mark.line:
        context += f" started at line {cmark.line + 1}, column {cmark.column + 1}"
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    loc = Location(file, mark.line + 1, mark.column + 1) if mark is not None else Location(file)
    return Problem(
        "yaml-syntax",
        message,
        loc,
        hint="check indentation (spaces, not tabs), a missing ':' or an unclosed quote or bracket",
    )


def parse_yaml(text: str, file: str | None = None) -> ParsedYaml:
    """Parse YAML ``text`` into plain data and a :class:`SourceMap`; never raises on bad YAML.

    >>> parsed = parse_yaml("a:\\n  b: 1\\n", "x.yaml")
    >>> parsed.data, str(parsed.source.locate(("a", "b")))
    ({'a': {'b': 1}}, 'x.yaml:2:6')
    """
    builder = _Builder(file)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = builder.build(node)
    except yaml.YAMLError as exc:
        source = SourceMap(file, text)
        return ParsedYaml(None, source, (_syntax_problem(exc, file),))
    source = SourceMap(file, text, builder.values, builder.keys)
    return ParsedYaml(data, source, tuple(builder.problems))


def read_yaml(path: str | Path) -> ParsedYaml:
    """Read and parse a YAML file (UTF-8, BOM tolerated); unreadable files become a Problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = (
            "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror or "unreadable"
        )
        return ParsedYaml(
            None,
            SourceMap(str(path), ""),
            (
                Problem(
                    "cannot-read",
                    f"cannot read {path.name}: {reason}",
                    Location(str(path)),
                    hint="check the path and save the file as UTF-8",
                ),
            ),
        )
    return parse_yaml(text, str(path))
