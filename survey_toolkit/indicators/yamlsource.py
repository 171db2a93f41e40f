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

import bisect
import re
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
    _cache: dict = field(default_factory=dict, repr=False, compare=False, hash=False)

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
        scalar's value with its raw text, skipping indentation, line breaks and quotes. The
        alignment of a scalar and the line starts of the text are computed once, so locating every
        reference of a long condition stays linear.
        """
        span = self.values.get(tuple(path))
        if span is None:
            return self.locate(path)
        positions = self._cache.get(("scalar", span))
        if positions is None:
            positions = self._cache[("scalar", span)] = _positions(self.text[span.start : span.end])
        offset = max(offset, 0)
        if isinstance(positions, int):  # one line: the value starts `positions` characters in
            index = span.start + min(positions + offset, span.end - span.start)
        else:
            index = span.start + positions[min(offset, len(positions) - 1)]
        starts = self._cache.get("lines")
        if starts is None:
            starts = self._cache["lines"] = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(starts, index)
        return Location(file=self.file, line=line, column=index - starts[line - 1] + 1, path=tuple(path))


def _positions(raw: str) -> list[int] | int:
    """Position in ``raw`` of each value character (index = offset), skipping what folding drops.

    The scalar's value is unknown here, so characters are matched by skipping what YAML removes
    from the raw text: a leading quote or block indicator line, line breaks and indentation. The
    last entry is the end of the raw text (offsets past the value land there). A scalar on one line
    gives just where its value starts in ``raw`` (0, or 1 after a quote).
    """
    i = 0
    if raw[:1] in ("'", '"'):
        i = 1
    if "\n" not in raw and raw[:1] not in ("|", ">"):
        return i
    elif raw[:1] in ("|", ">"):
        i = raw.find("\n") + 1 if "\n" in raw else len(raw)
        while i < len(raw) and raw[i] == " ":
            i += 1
    out = [i]
    while i < len(raw):
        if raw[i] == "\n":
            i += 1
            while i < len(raw) and raw[i] in " \t":
                i += 1
        else:
            i += 1  # a folded line break counts as one value character, like any other
        out.append(min(i, len(raw)))
    return out


@dataclass(frozen=True)
class ParsedYaml:
    """The result of reading a YAML document: plain data, positions and any syntax problems."""

    data: Any
    source: SourceMap
    problems: tuple[Problem, ...] = ()


def _span(node: yaml.Node) -> _Span:
    m = node.start_mark
    return _Span(m.index, node.end_mark.index, m.line + 1, m.column + 1)


#: Limits that keep a hostile file from exhausting memory or time (documented in docs/project-file.md).
MAX_YAML_BYTES = 10_000_000
#: Values an alias may add beyond the file's own nodes ("billion laughs" anchors stop here).
MAX_ALIAS_EXPANSION = 50_000
#: Nesting depth of mappings and lists.
MAX_YAML_DEPTH = 100

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _TooLarge(Exception):
    """Raised inside the builder when a limit is hit; becomes one located problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _count_nodes(root: yaml.Node) -> int:
    """Distinct nodes of the composed tree (an alias is the same node object, counted once)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
    return len(seen)


class _Builder:
    """Turns a composed node tree into plain data, recording spans and duplicate keys.

    Aliases are expanded with a budget (:data:`MAX_ALIAS_EXPANSION` values beyond the file's own
    nodes), a recursive alias and nesting deeper than :data:`MAX_YAML_DEPTH` are located problems,
    and merge keys (``<<: *base``) are applied on the plain data: explicit keys win over merged ones.
    """

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.values: dict[Path_, _Span] = {}
        self.keys: dict[Path_, _Span] = {}
        self.problems: list[Problem] = []
        self._constructor = yaml.SafeLoader("")
        self._budget = 0
        self._open: set[int] = set()

    def build_root(self, node: yaml.Node | None) -> Any:
        if node is not None:
            self._budget = _count_nodes(node) + MAX_ALIAS_EXPANSION
        return self.build(node)

    def _limit(self, node: yaml.Node, code: str, message: str, hint: str) -> _TooLarge:
        span = _span(node)
        return _TooLarge(Problem(code, message, Location(self.file, span.line, span.column), hint=hint))

    def build(self, node: yaml.Node | None, path: Path_ = ()) -> Any:
        if node is None:
            return None
        self._budget -= 1
        if self._budget < 0:
            raise self._limit(
                node,
                "yaml-too-large",
                f"aliases (*name) expand to more than {MAX_ALIAS_EXPANSION:,} extra values",
                "write the values out, or use fewer nested anchors and aliases",
            )
        if len(path) > MAX_YAML_DEPTH:
            raise self._limit(
                node,
                "yaml-too-deep",
                f"mappings and lists are nested more than {MAX_YAML_DEPTH} levels deep",
                "flatten the structure",
            )
        self.values[path] = _span(node)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if id(node) in self._open:
                raise self._limit(
                    node,
                    "yaml-recursive-alias",
                    "an alias (*name) refers to a mapping or list that contains it (a recursive structure)",
                    "an alias may only repeat a value defined before and outside it",
                )
            self._open.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, path)
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            finally:
                self._open.discard(id(node))
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            return self._constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:  # 2026-02-30, a bad !!binary...
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise self._limit(
                node,
                "yaml-bad-value",
                f"the value '{node.value}' cannot be read ({detail})",
                "write a real date as YYYY-MM-DD (e.g. 2026-02-28), or quote the value to keep it as text",
            ) from None

    def _key(self, key_node: yaml.Node) -> Any:
        if not isinstance(key_node, yaml.ScalarNode):
            raise self._limit(
                key_node,
                "yaml-complex-key",
                "a mapping key is itself a mapping or a list",
                "keys must be plain names such as 'id' or 'label'",
            )
        key = self._scalar(key_node)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            key = str(key)
        return key

    def _merged(self, value_node: yaml.Node, path: Path_) -> dict:
        """The mapping(s) named by a merge key; earlier sources win, as YAML specifies."""
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        out: dict = {}
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise self._limit(
                    source,
                    "yaml-bad-merge",
                    "a merge key (<<) must name a mapping or a list of mappings",
                    "write '<<: *anchor' where the anchor is on a mapping",
                )
            merged = self.build(source, path)
            for key, value in merged.items():
                out.setdefault(key, value)
        return out

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict:
        out: dict = {}
        merged: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                for key, value in self._merged(value_node, path).items():
                    merged.setdefault(key, value)
                continue
            key = self._key(key_node)
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
        if not merged:
            return out
        self.values[path] = _span(node)  # a merged source recorded its own span at this path
        return {**{k: v for k, v in merged.items() if k not in out}, **out}


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


def _compose(text: str) -> yaml.Node | None:
    """Compose with libyaml when available (fast on long conditions); on a syntax error compose again
    with the pure-Python parser, whose messages and marks the problems are written for."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def parse_yaml(text: str, file: str | None = None) -> ParsedYaml:
    """Parse YAML ``text`` into plain data and a :class:`SourceMap`; never raises on bad YAML.

    >>> parsed = parse_yaml("a:\\n  b: 1\\n", "x.yaml")
    >>> parsed.data, str(parsed.source.locate(("a", "b")))
    ({'a': {'b': 1}}, 'x.yaml:2:6')
    """
    builder = _Builder(file)
    try:
        node = _compose(text)
        data = builder.build_root(node)
    except yaml.YAMLError as exc:
        return ParsedYaml(None, SourceMap(file, text), (_syntax_problem(exc, file),))
    except _TooLarge as exc:
        return ParsedYaml(None, SourceMap(file, text), (exc.problem,))
    except RecursionError:
        problem = Problem(
            "yaml-too-deep",
            "brackets or braces are nested too deeply to read",
            Location(file),
            hint="flatten the structure",
        )
        return ParsedYaml(None, SourceMap(file, text), (problem,))
    source = SourceMap(file, text, builder.values, builder.keys)
    return ParsedYaml(data, source, tuple(builder.problems))


def _unreadable(path: Path, reason: str, line: int | None = None, column: int | None = None) -> ParsedYaml:
    problem = Problem(
        "cannot-read",
        f"cannot read {path.name}: {reason}",
        Location(str(path), line, column),
        hint="check the path and save the file as UTF-8",
    )
    return ParsedYaml(None, SourceMap(str(path), ""), (problem,))


def read_yaml(path: str | Path) -> ParsedYaml:
    """Read and parse a YAML file (UTF-8, BOM tolerated); unreadable files become a Problem.

    Files larger than :data:`MAX_YAML_BYTES` are refused (a project or indicators file is a few
    kilobytes; a huge one is a mistake or an attack).
    """
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_YAML_BYTES:
            return _unreadable(path, f"it is larger than {MAX_YAML_BYTES // 1_000_000} MB")
        raw = path.read_bytes()
    except OSError as exc:
        return _unreadable(path, exc.strerror or "unreadable")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return _unreadable(path, f"it is not UTF-8 text (byte 0x{raw[exc.start]:02x})", line, column)
    return parse_yaml(text, str(path))
