"""Deprecated location of the condition language: it lives in :mod:`survey_toolkit.expressions`.

Kept for one release so that ``from survey_toolkit.spec.conditions import parse_condition`` (the old package name) keeps
working; new code imports from :mod:`survey_toolkit.expressions`.

The indicator dialect in brief: ``q in [1, 2] and not dk(r)``, ``selected(m, 3)``,
``count-selected(m) >= 2``, ``age is missing``, ``all``; three-valued (Kleene) logic where an
unanswered question makes a comparison ``<NA>``. See :mod:`survey_toolkit.expressions.syntax`.

>>> cond = parse_condition("b1_safe_dark in [1, 2] and not dk(c1_assault)")
>>> sorted(cond.questions())
['b1_safe_dark', 'c1_assault']
"""

from __future__ import annotations

from ..codes import canonical_code
from ..expressions.evaluate import DEFAULT_DK_CODES, DEFAULT_REFUSED_CODES, Columns, evaluate, evaluate_on
from ..expressions.syntax import (
    FUNCTIONS,
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_LENGTH,
    BoolOp,
    Call,
    Compare,
    Condition,
    ConditionSyntaxError,
    Everyone,
    InList,
    IsMissing,
    Literal,
    Node,
    Not,
    Ref,
    Token,
    parse_condition,
    tokenize,
    walk,
)

__all__ = [
    "ConditionSyntaxError",
    "Node",
    "Ref",
    "Literal",
    "Call",
    "Compare",
    "InList",
    "IsMissing",
    "BoolOp",
    "Not",
    "Everyone",
    "Condition",
    "parse_condition",
    "evaluate",
    "evaluate_on",
    "Columns",
    "canonical_code",
    "FUNCTIONS",
    "DEFAULT_DK_CODES",
    "DEFAULT_REFUSED_CODES",
    "MAX_CONDITION_DEPTH",
    "MAX_CONDITION_LENGTH",
    "Token",
    "tokenize",
    "walk",
]
