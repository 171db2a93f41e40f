"""Tier 2 for repeat groups: ``aggregates:`` and indicators with ``repeat:`` checked against the form.

A question inside a repeat (the household roster) has one value per repeat row, not per respondent.
An indicator without ``repeat:`` that reads such a question would silently read nothing (the
respondent table has no such column), so it is an error that names the two ways out: estimate over
the rows (``repeat: <name>``) or aggregate the rows onto the respondent (``aggregates:``).

:func:`instrument_with_aggregates` adds the aggregates to the form as respondent-level questions, so
that every other check (codes, question types, disaggregations) and the scoring kinds treat them like
questions.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import Location, Problem, did_you_mean
from ..instrument import Instrument, Question
from .model import Aggregate, Indicator, IndicatorSpec
from .yamlsource import SourceMap

__all__ = ["instrument_with_aggregates", "check_repeats"]


def instrument_with_aggregates(instrument: Instrument, spec: IndicatorSpec) -> Instrument:
    """The form plus one respondent-level question per aggregate.

    any/all/count give an ``integer`` (0/1 or a count), sum/min/max a ``decimal``; ``first`` has the
    type, labels and choice list of the question it takes.
    """
    if not spec.aggregates:
        return instrument
    known = {q.name: q for q in instrument.questions}
    extra = []
    for agg in spec.aggregates:
        if agg.name in known:
            continue
        if agg.function == "first" and agg.value in known:
            src = known[agg.value]
            extra.append(Question(agg.name, src.type, labels=src.labels, list_name=src.list_name))
        elif agg.function in ("any", "all", "count"):
            extra.append(Question(agg.name, "integer"))
        else:
            extra.append(Question(agg.name, "decimal"))
    return replace(instrument, questions=instrument.questions + tuple(extra))


def _at(source: SourceMap | None, fallback: Location, *path) -> Location:
    return source.locate(tuple(path)) if source is not None else fallback


def _repeat_of(instrument: Instrument) -> dict[str, tuple[str | None, ...]]:
    """name -> the levels (None: the respondent, else a repeat) holding a question of that name.

    A name may be used at several levels (``age`` of the respondent and ``age`` in the roster).
    """
    out: dict[str, tuple[str | None, ...]] = {}
    for q in instrument.questions:
        if q.repeat not in out.get(q.name, ()):
            out[q.name] = (*out.get(q.name, ()), q.repeat)
    return out


def _misplaced(levels: tuple[str | None, ...], unit: str | None) -> str | None:
    """The repeat a question read on the rows of ``unit`` belongs to, when no question of that name is
    of ``unit`` or of the respondent; None when it can be read there."""
    if None in levels or unit in levels:
        return None
    return levels[0]


def _unknown_repeat(name: str, instrument: Instrument, loc: Location, who: str) -> Problem | None:
    repeats = [g.name for g in instrument.repeats]
    if name in repeats:
        return None
    return Problem(
        "unknown-repeat",
        f"{who} names repeat '{name}', which is not a repeat group of the form '{instrument.form_id}'",
        loc,
        expected="one of: " + (", ".join(repeats) or "(the form has no repeat group)"),
        got=name,
        hint=did_you_mean(name, repeats) or "use the name of a begin_repeat row of the form",
    )


def _out_of_scope(q: str, where: str | None, repeat: str | None, loc: Location, who: str) -> Problem:
    if repeat is None:
        return Problem(
            "repeat-question",
            f"{who} reads '{q}', a question of repeat '{where}' (one value per row of the repeat, not "
            "per respondent)",
            loc,
            expected="a respondent-level question",
            got=q,
            hint=f"estimate over the rows with 'repeat: {where}', or turn the rows into a respondent "
            f"column with an 'aggregates:' entry (repeat: {where})",
        )
    return Problem(
        "not-in-repeat",
        f"{who} reads '{q}', a question of repeat '{where}', but works on the rows of '{repeat}'",
        loc,
        expected=f"a question of '{repeat}' or of the respondent",
        got=q,
        hint=f"aggregate '{where}' onto the respondent with 'aggregates:' first",
    )


def _aggregate_problems(agg: Aggregate, i: int, form: Instrument, scope, source) -> list[Problem]:
    loc = agg.location
    bad = _unknown_repeat(agg.repeat, form, _at(source, loc, "aggregates", i, "repeat"), f"aggregate '{agg.name}'")
    if bad is not None:
        return [bad]
    out = []
    if agg.name in scope:
        out.append(
            Problem(
                "aggregate-name-taken",
                f"aggregate '{agg.name}' has the name of a question of the form",
                _at(source, loc, "aggregates", i, "name"),
                hint="give the aggregate another name",
            )
        )
    for q in sorted(agg.questions()):
        where = _misplaced(scope.get(q, (None,)), agg.repeat)
        if where is not None:
            out.append(_out_of_scope(q, where, agg.repeat, loc, f"aggregate '{agg.name}'"))
    return out


def _indicator_problems(ind: Indicator, spec: IndicatorSpec, form: Instrument, scope, source) -> list[Problem]:
    loc = ind.location
    if ind.repeat is not None:
        bad = _unknown_repeat(ind.repeat, form, _at(source, loc, *loc.path, "repeat"), f"indicator '{ind.id}'")
        if bad is not None:
            return [bad]
    out = []
    for q in sorted(ind.questions() | set(ind.disaggregations)):
        where = _misplaced(scope.get(q, (None,)), ind.repeat)
        if where is not None:
            out.append(_out_of_scope(q, where, ind.repeat, loc, f"indicator '{ind.id}'"))
    for ref in ind.references():
        other = next((i for i in spec.indicators if i.id == ref), None)
        if other is not None and other.repeat != ind.repeat:
            out.append(
                Problem(
                    "bad-component",
                    f"indicator '{ind.id}' (rows of {ind.repeat or 'respondents'}) uses '{ref}' "
                    f"(rows of {other.repeat or 'respondents'}): both must have the same unit",
                    loc,
                    hint="give both the same 'repeat:'",
                )
            )
    return out


def check_repeats(spec: IndicatorSpec, instrument: Instrument, source: SourceMap | None = None) -> list[Problem]:
    """Repeat names exist, questions are read at the right level, aggregate names are free."""
    scope = _repeat_of(instrument)
    out: list[Problem] = []
    for i, agg in enumerate(spec.aggregates):
        out += _aggregate_problems(agg, i, instrument, scope, source)
    for ind in spec.indicators:
        out += _indicator_problems(ind, spec, instrument, scope, source)
    return out
