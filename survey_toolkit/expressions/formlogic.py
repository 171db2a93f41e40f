"""A form's logic checked as ODK Validate would: every expression parses, calls known functions, no cycles.

:func:`form_logic_problems` parses each ``relevant``, ``constraint`` and ``calculation`` of the
survey sheet (and groups' ``relevant`` and ``repeat_count``) with the XLSForm dialect of
:mod:`survey_toolkit.expressions`, and follows ``relevant``/``calculation`` references (a question
also depends on its enclosing group) to find circular logic (``a`` calculated from ``b``, ``b``
relevant on ``a``). Every finding is located at the form file, sheet ``survey``, row and column:

- ``form-expression-syntax`` (error): Python habits (``==``, ``&&``, ``True``, ``not x``), bare
  names, unbalanced parentheses, expressions nested deeper than the limit;
- ``form-circular-logic`` (error): the cycle, element by element, with the column that links them;
- ``form-unknown-function`` (warning): a call to a function ODK does not have (a typo, or a
  platform extension the toolkit does not know);
- ``form-expression-too-long`` (error, checked before pyxform reads the form): an expression longer
  than :data:`MAX_FORM_EXPRESSION_LENGTH` characters (pyxform takes about a second per 1,000 ``or``
  terms; the longest expression in the real forms we test with has under 800 characters).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from ..errors import Location, Problem, Severity, did_you_mean
from .syntax import ODK_FUNCTIONS, Call, Condition, ConditionSyntaxError, parse_xlsform, walk

if TYPE_CHECKING:
    from ..instrument import Group, Instrument, Question

__all__ = ["form_logic_problems", "oversized_expressions", "FORM_COLUMNS", "MAX_FORM_EXPRESSION_LENGTH"]

#: The longest ``relevant``/``constraint``/``calculation``... a form may have, in characters.
MAX_FORM_EXPRESSION_LENGTH = 10_000
_EXPRESSION_HEADERS = ("relevant", "constraint", "calculation", "required", "choice_filter", "repeat_count",
                       "default", "trigger", "readonly")  # fmt: skip

#: The survey-sheet columns whose expressions are checked, per element kind.
FORM_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "question": ("relevant", "constraint", "calculation"),
    "group": ("relevant", "repeat_count"),
}
#: The columns whose references make an element depend on another (triggers, in ODK's terms).
_TRIGGERS = ("relevant", "calculation")


def _expressions(instrument: Instrument) -> Iterator[tuple[Question | Group, str, str]]:
    for q in instrument.questions:
        for column in FORM_COLUMNS["question"]:
            text = getattr(q, column)
            if text:
                yield q, column, text
    for g in instrument.groups:
        for column in FORM_COLUMNS["group"]:
            text = getattr(g, column)
            if text:
                yield g, column, text


def _where(instrument: Instrument, element: Question | Group, column: str) -> Location:
    return Location(file=instrument.source, sheet="survey", row=element.row, field=column)


def oversized_expressions(survey_rows: Iterable[Mapping], source: str | None) -> list[Problem]:
    """Expression cells of the survey sheet (rows as pyxform reads them) longer than the limit."""
    problems = []
    for number, row in enumerate(survey_rows, start=2):
        for header, value in row.items() if isinstance(row, Mapping) else ():
            column = str(header).strip()
            if column.split("::")[0] not in _EXPRESSION_HEADERS or not isinstance(value, str):
                continue
            if len(value) > MAX_FORM_EXPRESSION_LENGTH:
                problems.append(
                    Problem(
                        "form-expression-too-long",
                        f"the {column} of '{row.get('name', '')}' has {len(value):,} characters, more than "
                        f"{MAX_FORM_EXPRESSION_LENGTH:,}",
                        Location(file=source, sheet="survey", row=number, field=column),
                        hint="shorten it: a calculate holding part of it, or a choice filter, reads better",
                    )
                )
    return problems


def form_logic_problems(instrument: Instrument) -> list[Problem]:
    """Syntax errors, unknown functions and circular logic in ``instrument``'s expressions."""
    problems: list[Problem] = []
    parsed: dict[tuple[str, str], Condition] = {}
    for element, column, text in _expressions(instrument):
        try:
            condition = parse_xlsform(text)
        except ConditionSyntaxError as exc:
            problems.append(
                Problem(
                    "form-expression-syntax",
                    f"the {column} of '{element.name}' cannot be read: {exc.message} "
                    f"(at character {exc.offset + 1})",
                    _where(instrument, element, column),
                    expected="an XLSForm expression (https://xlsform.org/en/#formulas)",
                    got=text if len(text) <= 200 else text[:200] + "...",
                    hint=exc.hint,
                )
            )
            continue
        parsed[(element.name, column)] = condition
        problems += _unknown_functions(instrument, element, column, condition)
    problems += _cycles(instrument, parsed)
    return problems


def _unknown_functions(
    instrument: Instrument, element: Question | Group, column: str, condition: Condition
) -> list[Problem]:
    seen = dict.fromkeys(
        n.func for n in walk(condition.ast) if isinstance(n, Call) and n.func not in ODK_FUNCTIONS
    )
    return [
        Problem(
            "form-unknown-function",
            f"the {column} of '{element.name}' calls {func}(), which is not an XLSForm (ODK) function",
            _where(instrument, element, column),
            severity=Severity.WARNING,
            hint=did_you_mean(func, sorted(ODK_FUNCTIONS))
            or "check the spelling; the toolkit cannot check or evaluate this expression",
        )
        for func in seen
    ]


def _graph(instrument: Instrument, parsed: Mapping[tuple[str, str], Condition]) -> dict[str, dict[str, str]]:
    """element -> {element it depends on: the column that says so}."""
    graph: dict[str, dict[str, str]] = {}
    for element in (*instrument.groups, *instrument.questions):
        edges = graph.setdefault(element.name, {})
        for column in _TRIGGERS:
            condition = parsed.get((element.name, column))
            for ref in condition.references() if condition is not None else ():
                edges.setdefault(ref.name, column)
        parent = element.path[-2] if hasattr(element, "repeat_count") and len(element.path) > 1 else None
        if not hasattr(element, "repeat_count") and element.path:
            parent = element.path[-1]
        if parent is not None and parent != element.name:
            edges.setdefault(parent, "group")
    return graph


def _cycles(instrument: Instrument, parsed: Mapping[tuple[str, str], Condition]) -> list[Problem]:
    graph = _graph(instrument, parsed)
    elements = {e.name: e for e in (*instrument.questions, *instrument.groups)}
    problems = []
    for component in _strongly_connected(graph):
        start = component[0]
        if len(component) == 1 and start not in graph.get(start, {}):
            continue
        cycle = _one_cycle(graph, start, set(component))
        links = "; ".join(_link(graph, a, b) for a, b in zip(cycle, cycle[1:], strict=False))
        first = elements.get(start)
        column = graph[start][cycle[1]]
        problems.append(
            Problem(
                "form-circular-logic",
                f"circular logic: {' -> '.join(cycle)} ({links})",
                Location(file=instrument.source, sheet="survey", row=getattr(first, "row", None),
                         field=column if column != "group" else "relevant"),
                hint="an answer cannot depend on itself: break the cycle (ODK Validate rejects the form)",
            )
        )  # fmt: skip
    return problems


def _link(graph: Mapping[str, Mapping[str, str]], a: str, b: str) -> str:
    why = graph[a][b]
    return f"'{a}' is inside the group '{b}'" if why == "group" else f"the {why} of '{a}' uses '{b}'"


def _one_cycle(graph: Mapping[str, Mapping[str, str]], start: str, members: set[str]) -> list[str]:
    """A cycle through ``start`` inside one strongly connected component (breadth first: shortest)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for target in graph.get(node, {}):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if target in members and target not in previous:
                    previous[target] = node
                    nxt.append(target)
        frontier = nxt
    return [start, start]  # pragma: no cover (a component always has a cycle)


def _strongly_connected(graph: Mapping[str, Mapping[str, str]]) -> list[list[str]]:
    """Tarjan's algorithm without recursion (forms have thousands of questions)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph.get(root, {})))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in graph:
                    continue  # a reference to something that is not an element (pyxform reports it)
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, {}))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(list(reversed(component)))
    return out
