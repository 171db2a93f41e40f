"""Tier 2: indicator definitions checked against each other and against the instrument.

Without an instrument: references between indicators (components, indicator items) exist, have a
usable type and form no cycle; indices have enough items. With an instrument: every question and
choice code exists (with a did-you-mean), conditions use select_one and select_multiple questions
correctly, means and medians of a select_one declare scores, disaggregation columns can group rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from ..codes import is_number_text
from ..errors import Location, Problem, Severity, did_you_mean
from ..expressions import Call, Compare, Condition, InList, IsMissing, Literal, Ref, walk
from ..instrument import Instrument, Question
from .model import DEFAULT_UNIVERSE, Indicator, IndicatorSpec
from .repeatcheck import check_repeats, instrument_with_aggregates
from .yamlsource import SourceMap

__all__ = ["check_references", "check_against_instrument", "question_kind", "instrument_kinds", "QuestionKinds"]

_NUMERIC = {"integer", "decimal", "range"}
_SELECT = {"select_one", "select_multiple"}


def question_kind(q: Question) -> str:
    """The evaluator kind of a question: select_one, select_multiple, numeric, calculate or text."""
    base = q.type.split()[0] if q.type else ""
    base = {"select_one_from_file": "select_one", "select_one_external": "select_one",
            "select_multiple_from_file": "select_multiple"}.get(base, base)  # fmt: skip
    if base in _SELECT:
        return base
    if base in _NUMERIC:
        return "numeric"
    if base == "calculate":
        return "calculate"
    return "text"


class QuestionKinds(dict):
    """question name -> evaluator kind, plus ``choices``: question -> the codes of its choice list.

    Scoring reads ``choices`` so that an indicator's categories come only from the form, and an
    answer outside the list (free text typed into a select question) is an invalid answer.
    """

    def __init__(self, kinds: Mapping[str, str], choices: Mapping[str, tuple[str, ...]] | None = None) -> None:
        super().__init__(kinds)
        self.choices: Mapping[str, tuple[str, ...]] = MappingProxyType(dict(choices or {}))


def level_questions(instrument: Instrument, level: str | None = None) -> dict[str, Question]:
    """name -> question for the rows of ``level`` (None: the respondents, else a repeat's rows).

    A name used at several levels (``sex`` of the respondent and ``sex`` in the roster, with other
    codes) is the question of ``level`` when there is one, else the respondent's, else the first in
    form order.
    """
    rank = {level: 0, None: 1}
    out: dict[str, Question] = {}
    for q in sorted(instrument.questions, key=lambda q: rank.get(q.repeat, 2)):  # per question, never per row
        out.setdefault(q.name, q)
    return out


def instrument_kinds(instrument: Instrument, level: str | None = None) -> QuestionKinds:
    """question name -> evaluator kind, for the questions whose kind is certain (a dict), on the rows
    of ``level`` (None: the respondents; a repeat's name: its rows, see :func:`level_questions`).

    The result's ``choices`` attribute maps each select question with a choice list in the form to
    the list's codes.
    """
    questions = level_questions(instrument, level)
    kinds = {name: question_kind(q) for name, q in questions.items()}
    choices = {}
    for name, q in questions.items():  # per question, never per row
        cl = instrument.choices_for(q) if kinds[name] in ("select_one", "select_multiple") else None
        if cl is not None:
            choices[name] = tuple(cl.codes)
    return QuestionKinds({k: v for k, v in kinds.items() if v != "calculate"}, choices)


class _Checker:
    def __init__(self, spec: IndicatorSpec, source: SourceMap | None) -> None:
        self.spec = spec
        self.source = source or SourceMap(spec.source, "")
        self.problems: list[Problem] = []

    def add(
        self,
        code: str,
        message: str,
        loc: Location,
        *,
        hint: str | None = None,
        expected: str | None = None,
        got: str | None = None,
        severity=Severity.ERROR,
    ) -> None:
        self.problems.append(Problem(code, message, loc, severity, expected, got, hint))

    def at(self, ind: Indicator, *rest, key: bool = False) -> Location:
        return self.source.locate((*ind.location.path, *rest), key=key)

    def in_condition(self, path: tuple, offset: int) -> Location:
        return self.source.locate_in_scalar(path, offset)


# ---------------------------------------------------------------- references between indicators


def _reference_problems(chk: _Checker) -> None:
    by_id = {ind.id: ind for ind in chk.spec.indicators}
    for ind in chk.spec.indicators:
        for i, comp in enumerate(ind.components):
            target = by_id.get(comp)
            where = chk.at(ind, "components", i)
            if target is None:
                chk.add(
                    "unknown-indicator",
                    f"component '{comp}' of '{ind.id}' is not an indicator in this file",
                    where,
                    hint=did_you_mean(comp, by_id) or "list the ids of proportion indicators",
                )
            elif target.type not in ("proportion", "mean_of_proportions"):
                chk.add(
                    "bad-component",
                    f"component '{comp}' of '{ind.id}' is a {target.type}, not a proportion",
                    where,
                    expected="a proportion indicator",
                    got=target.type,
                )
        for i, item in enumerate(ind.items):
            if item.indicator is None:
                continue
            target = by_id.get(item.indicator)
            where = chk.at(ind, "items", i, "indicator")
            if target is None:
                chk.add(
                    "unknown-indicator",
                    f"index item '{item.indicator}' of '{ind.id}' is not an indicator in this file",
                    where,
                    hint=did_you_mean(item.indicator, by_id),
                )
            elif target.type not in ("proportion", "index"):
                chk.add(
                    "bad-item",
                    f"index item '{item.indicator}' is a {target.type}; an item must be a "
                    "proportion or an index",
                    where,
                    expected="proportion or index",
                    got=target.type,
                )
    _variant_problems(chk, by_id)
    _cycle_problems(chk, by_id)


def _variant_problems(chk: _Checker, by_id: dict[str, Indicator]) -> None:
    """A toolkit variant names an existing indicator and is never labelled with an SDG code."""
    for ind in chk.spec.indicators:
        if ind.variant_of is None:
            continue
        if ind.variant_of not in by_id:
            chk.add("unknown-indicator", f"'{ind.id}' is a variant of '{ind.variant_of}', which is not an indicator "
                    "in this file", chk.at(ind, "variant_of"), hint=did_you_mean(ind.variant_of, by_id))
        if ind.sdg:
            chk.add("sdg-on-variant", f"'{ind.id}' is a toolkit variant and cannot carry the SDG code {ind.sdg}",
                    chk.at(ind, "sdg"), expected="no 'sdg' on a variant", got=ind.sdg,
                    hint="keep 'sdg' on the official computation only; the variant keeps 'variant_of'")


def _cycle_problems(chk: _Checker, by_id: dict[str, Indicator]) -> None:
    reported: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(ident: str, stack: list[str]) -> None:
        state[ident] = 1
        stack.append(ident)
        for ref in by_id[ident].references():
            if ref not in by_id:
                continue
            if state.get(ref) == 1:
                cycle = stack[stack.index(ref) :] + [ref]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    first = by_id[cycle[0]]
                    role = "components" if cycle[1] in first.components else "items"
                    pos = _ref_position(first, cycle[1], role)
                    chk.add(
                        "circular-reference",
                        "circular reference: " + " -> ".join(cycle),
                        chk.at(first, *pos),
                        hint="an indicator cannot be built, even indirectly, from itself",
                    )
            elif state.get(ref) is None:
                visit(ref, stack)
        stack.pop()
        state[ident] = 2

    for ident in by_id:
        if ident not in state:
            visit(ident, [])


def _ref_position(ind: Indicator, target: str, role: str) -> tuple:
    if role == "components":
        return ("components", ind.components.index(target))
    for i, item in enumerate(ind.items):
        if item.indicator == target:
            return ("items", i, "indicator")
    return ()


def _index_shape_problems(chk: _Checker) -> None:
    for ind in chk.spec.indicators:
        if ind.type != "index":
            continue
        n = len(ind.items)
        if n < 2:
            chk.add(
                "too-few-items",
                f"index '{ind.id}' has {n} item; an index needs at least 2",
                chk.at(ind, "items"),
                expected="2 or more items",
                got=str(n),
                hint="use a proportion or a mean for a single question",
            )
        elif ind.min_valid_items > n:
            chk.add(
                "too-few-items",
                f"index '{ind.id}' requires {ind.min_valid_items} valid items but has only {n}",
                chk.at(ind, "min_valid_items") if _has(chk, ind, "min_valid_items") else chk.at(ind, "items"),
                expected=f"min_valid_items <= {n}",
                got=str(ind.min_valid_items),
                hint=f"lower min_valid_items to at most {n} or add items",
            )
        if ind.min_valid_items < 1:
            chk.add(
                "bad-value",
                f"min_valid_items of '{ind.id}' must be at least 1",
                chk.at(ind, "min_valid_items"),
            )
        if ind.method == "count" and any(item.kind == "question" for item in ind.items):
            chk.add(
                "bad-item",
                f"index '{ind.id}' counts conditions met: its items must be favourable/"
                "unfavourable conditions or proportions",
                chk.at(ind, "method"),
                hint="use method: mean for rescaled questions",
            )


def _has(chk: _Checker, ind: Indicator, key: str) -> bool:
    return (*ind.location.path, key) in chk.source.values


def check_references(spec: IndicatorSpec, source: SourceMap | None = None) -> list[Problem]:
    """Tier 2 without an instrument: references between indicators, cycles and index shape."""
    chk = _Checker(spec, source)
    _reference_problems(chk)
    _index_shape_problems(chk)
    return chk.problems


# ---------------------------------------------------------------- against the instrument


class _Form:
    """Fast look-ups into an instrument, for the indicators of one level (the respondent, or a repeat).

    A name used at several levels (``age`` of the respondent and ``age`` of the roster) is the question of
    ``level`` when there is one, else the respondent's, else the first in form order.
    """

    def __init__(self, instrument: Instrument, level: str | None = None) -> None:
        self.instrument = instrument
        self.questions = {n: q for n, q in level_questions(instrument, level).items() if q.type not in ("note",)}

    def kind(self, name: str) -> str:
        return question_kind(self.questions[name])

    def codes(self, name: str) -> tuple[str, ...] | None:
        q = self.questions[name]
        if q.list_name and q.list_name in self.instrument.choice_lists:
            return self.instrument.choice_lists[q.list_name].codes
        return None


def _unknown_question(chk: _Checker, form: _Form, name: str, loc: Location, role: str) -> bool:
    if name in form.questions:
        return False
    chk.add(
        "unknown-question",
        f"{role} refers to question '{name}', which is not in the form '{form.instrument.form_id}'",
        loc,
        hint=did_you_mean(name, form.questions) or "check the name column of the form's survey sheet",
        expected="a question name of the form",
        got=name,
    )
    return True


def _check_codes(chk: _Checker, form: _Form, q: str, lits: Iterable[Literal], path: tuple) -> None:
    codes = form.codes(q)
    if codes is None:
        return
    for lit in lits:
        if lit.code not in codes:
            chk.add(
                "unknown-code",
                f"code {lit.code} is not a choice of '{q}' (list '{form.questions[q].list_name}')",
                chk.in_condition(path, lit.offset),
                expected="one of " + ", ".join(codes),
                got=lit.code,
                hint=did_you_mean(lit.code, codes) or "valid codes: " + ", ".join(codes),
            )


def _check_condition(chk: _Checker, form: _Form, cond: Condition, path: tuple) -> None:
    for node in walk(cond.ast):
        if isinstance(node, Ref) and node.name not in form.questions:  # locate only what is reported
            _unknown_question(chk, form, node.name, chk.in_condition(path, node.offset), "the condition")
    for node in walk(cond.ast):
        if isinstance(node, (Compare, InList)) and isinstance(node.left, Ref):
            _check_comparison(chk, form, node, path)
        elif isinstance(node, Call):
            _check_call(chk, form, node, path)
        elif isinstance(node, IsMissing):
            pass


def _check_comparison(chk: _Checker, form: _Form, node: Compare | InList, path: tuple) -> None:
    ref = node.left
    assert isinstance(ref, Ref)
    if ref.name not in form.questions:
        return
    kind = form.kind(ref.name)
    loc = chk.in_condition(path, ref.offset)
    lits = (node.right,) if isinstance(node, Compare) else node.items
    if kind == "select_multiple":
        codes = ", ".join(f"'{lit.code}'" if isinstance(lit.value, str) else lit.code for lit in lits)
        hint = (
            f"write selected({ref.name}, {codes})"
            if len(lits) == 1
            else f"write any-selected({ref.name}, [{codes}])"
        )
        chk.add(
            "select-multiple-compared",
            f"'{ref.name}' is a select_multiple: it cannot be compared with a single code",
            loc,
            hint=hint + " (or count-selected(...) for a number of answers)",
        )
        return
    if kind == "numeric":
        for lit in lits:
            if lit.number is None:
                chk.add(
                    "text-for-number",
                    f"'{ref.name}' is a number but is compared with text '{lit.value}'",
                    chk.in_condition(path, lit.offset),
                    hint="remove the quotes",
                )
        return
    if kind == "select_one":
        ordered = isinstance(node, Compare) and node.op in ("<", "<=", ">", ">=")
        if ordered:
            if lits[0].number is None:
                chk.add("text-for-number", f"'{ref.name}' is compared with '<' or '>' to text", loc)
            return
        _check_codes(chk, form, ref.name, lits, path)


def _check_call(chk: _Checker, form: _Form, node: Call, path: tuple) -> None:
    q = node.question.name
    if q not in form.questions:
        return
    kind = form.kind(q)
    loc = chk.in_condition(path, node.offset)
    if (
        node.func in ("count-selected", "any-selected")
        and kind == "select_one"
        and node.func == "count-selected"
    ):
        chk.add(
            "select-one-as-multiple",
            f"count-selected() needs a select_multiple; '{q}' is a select_one",
            loc,
            hint=f"compare the answer instead, e.g. {q} = 1",
        )
        return
    if node.func in ("selected", "any-selected", "count-selected") and kind not in _SELECT | {"calculate"}:
        chk.add(
            "not-a-select",
            f"{node.func}() needs a select question; '{q}' is {form.questions[q].type}",
            loc,
            hint=f"compare the value instead, e.g. {q} = 1",
        )
        return
    if node.codes:
        _check_codes(chk, form, q, node.codes, path)


def _check_question_field(
    chk: _Checker,
    form: _Form,
    ind: Indicator,
    key: str,
    name: str | None,
    allowed: tuple[str, ...],
    what: str,
) -> None:
    if name is None:
        return
    loc = chk.at(ind, key)
    if _unknown_question(chk, form, name, loc, f"'{key}' of '{ind.id}'"):
        return
    kind = form.kind(name)
    if kind not in allowed and kind != "calculate":
        hint = {
            "select_multiple": "use type: shares for a select_multiple",
            "select_one": "use type: distribution for a select_one",
        }.get(kind)
        chk.add(
            "wrong-question-type",
            f"a {ind.type} needs {what}; '{name}' is {form.questions[name].type}",
            loc,
            expected=what,
            got=form.questions[name].type,
            hint=hint,
        )


def _check_numeric_dk_rule(chk: _Checker, form: _Form, ind: Indicator) -> None:
    """``dk_refused: own_share`` set on a mean/median/ratio of numeric questions cannot apply: an error.

    (A mean has no category to hold the share.) Inherited from ``defaults`` it is read as
    ``excluded`` for these indicators, so a spec-wide default never blocks them.
    """
    if ind.type not in ("mean", "median", "ratio") or ind.scores or ind.dk_refused != "own_share":
        return
    stated = _has(chk, ind, "dk_refused") or ind.dk_refused != chk.spec.defaults.dk_refused
    names = [ind.question] if ind.type != "ratio" else [ind.numerator_question, ind.denominator_question]
    numeric = [n for n in names if n in form.questions and form.kind(n) == "numeric"]
    if not (stated and numeric):
        return
    chk.add(
        "dk-refused-not-applicable",
        f"dk_refused: own_share cannot apply to the {ind.type} '{ind.id}' of the numeric question "
        f"'{numeric[0]}': a {ind.type} has no category to report the share in",
        chk.at(ind, "dk_refused"),
        expected="excluded (DK/refused codes leave the base; dk_share reports them) or counted (they stay as numbers)",
        got="own_share",
        hint="use dk_refused: excluded (the default), or counted when 98/99 are real values of the question",
    )


def _check_indicator(chk: _Checker, form: _Form, ind: Indicator) -> None:
    base = ind.location.path
    for role, cond in ind.conditions().items():
        if role == "universe" and cond is chk.spec.defaults.universe:
            continue
        if role.startswith("items["):
            i, sub = role[6:].split("].")
            path = (*base, "items", int(i), sub)
        else:
            path = (*base, role)
        _check_condition(chk, form, cond, path)
    if ind.type in ("mean", "median"):
        _check_question_field(
            chk,
            form,
            ind,
            "question",
            ind.question,
            ("numeric", "select_one"),
            "a numeric or scored select_one question",
        )
        _check_scores(chk, form, ind)
    elif ind.type == "distribution":
        _check_question_field(
            chk, form, ind, "question", ind.question, ("select_one",), "a select_one question"
        )
    elif ind.type == "shares":
        _check_question_field(
            chk, form, ind, "question", ind.question, ("select_multiple",), "a select_multiple question"
        )
    elif ind.type == "ratio":
        for key in ("numerator_question", "denominator_question"):
            _check_question_field(chk, form, ind, key, getattr(ind, key), ("numeric",), "a numeric question")
    _check_numeric_dk_rule(chk, form, ind)
    if ind.codes and ind.question in form.questions:
        lits = [Literal(c, 0) for c in ind.codes]
        codes = form.codes(ind.question) or ()
        for i, lit in enumerate(lits):
            if codes and lit.code not in codes:
                chk.add(
                    "unknown-code",
                    f"code {lit.code} is not a choice of '{ind.question}'",
                    chk.at(ind, "codes", i),
                    expected="one of " + ", ".join(codes),
                    got=lit.code,
                )
    for i, item in enumerate(ind.items):
        if item.question:
            _check_item_question(chk, form, ind, i)
    own = ind.disaggregations is not chk.spec.defaults.disaggregations
    for i, col in enumerate(ind.disaggregations if own else ()):
        _check_disaggregation(chk, form, col, chk.at(ind, "disaggregations", i), f"'{ind.id}'")


def _check_scores(chk: _Checker, form: _Form, ind: Indicator) -> None:
    q = ind.question
    if q not in form.questions or form.kind(q) != "select_one":
        return
    if not ind.scores:
        chk.add(
            "unscored-select-one",
            f"a {ind.type} of select_one '{q}' needs 'scores' (code: value)",
            chk.at(ind, "question"),
            hint="add scores: {1: 0, 2: 1, ...}, or use type: distribution",
        )
        return
    codes = form.codes(q) or ()
    for code in ind.scores:
        if codes and code not in codes:
            chk.add(
                "unknown-code",
                f"scored code {code} is not a choice of '{q}'",
                chk.at(ind, "scores", key=True),
                expected="one of " + ", ".join(codes),
                got=code,
                hint=did_you_mean(code, codes),
            )


def _check_item_question(chk: _Checker, form: _Form, ind: Indicator, i: int) -> None:
    item = ind.items[i]
    loc = chk.at(ind, "items", i, "question")
    if _unknown_question(chk, form, item.question, loc, f"item {i + 1} of '{ind.id}'"):
        return
    kind = form.kind(item.question)
    if kind not in ("numeric", "select_one", "calculate"):
        chk.add(
            "wrong-question-type",
            f"index item '{item.question}' is {form.questions[item.question].type}; "
            "a rescaled item must be numeric or a select_one",
            loc,
            hint="use favourable/unfavourable conditions for a select_multiple",
        )
        return
    codes = form.codes(item.question)
    if kind == "select_one" and codes and item.range:
        numeric = sorted(float(c) for c in codes if is_number_text(c))
        lo, hi = item.range
        if not numeric or lo not in numeric or hi not in numeric:
            chk.add(
                "bad-range",
                f"range [{lo:g}, {hi:g}] of '{item.question}' does not match its codes",
                chk.at(ind, "items", i, "range"),
                expected="codes of the scale, e.g. [1, 4]",
                got=", ".join(codes),
            )


def _check_disaggregation(chk: _Checker, form: _Form, col: str, loc: Location, who: str) -> None:
    if _unknown_question(chk, form, col, loc, f"disaggregation of {who}"):
        return
    kind = form.kind(col)
    if kind in ("select_multiple",) or form.questions[col].type in ("text", "geopoint"):
        chk.add(
            "bad-disaggregation",
            f"cannot disaggregate by '{col}' ({form.questions[col].type}): use a "
            "select_one or a calculated grouping",
            loc,
        )


def check_against_instrument(
    spec: IndicatorSpec, instrument: Instrument, source: SourceMap | None = None
) -> list[Problem]:
    """Tier 2 against the form: questions, choice codes, question types, scores, disaggregations."""
    chk = _Checker(spec, source)
    chk.problems += check_repeats(spec, instrument, source)
    analysed = instrument_with_aggregates(instrument, spec)
    form = _Form(analysed)
    forms = {None: form} | {r: _Form(analysed, r) for r in {i.repeat for i in spec.indicators} if r is not None}
    before = len(chk.problems)
    _check_condition(chk, form, spec.defaults.universe, ("defaults", "universe"))
    if spec.defaults.universe.text == DEFAULT_UNIVERSE:  # the library default, perhaps never written
        chk.problems[before:] = [
            dataclasses.replace(p, hint=f"the universe defaults to '{DEFAULT_UNIVERSE}'; write 'defaults: "
                                "{universe: all}' for a survey without a consent question, or the form's "
                                "consent condition (e.g. universe: consent = 'yes')")  # fmt: skip
            for p in chk.problems[before:]
        ]
    for i, col in enumerate(spec.defaults.disaggregations):
        _check_disaggregation(
            chk, form, col, chk.source.locate(("defaults", "disaggregations", i)), "defaults"
        )
    for ind in spec.indicators:
        _check_indicator(chk, forms[ind.repeat], ind)
    return _dedupe(chk.problems)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set = set()
    out = []
    for p in problems:
        key = (p.code, p.message, p.location.line, p.location.column)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
