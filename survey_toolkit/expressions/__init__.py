"""The condition language, one implementation: tokenizer, parser, AST and vectorised evaluator.

Used by indicator conditions (``indicators.yaml``), derived variables and aggregates (the project
file), and XLSForm ``relevant``/``constraint``/``calculation`` expressions (form checks and data
quality). :mod:`.tokens` splits the text, :mod:`.syntax` parses both dialects into one AST
(:mod:`.nodes`); :mod:`.evaluate` evaluates it over the columns of a frame (:mod:`.columns` maps
questions to columns); :mod:`.formlogic` checks a form's expressions (syntax, functions, cycles).
"""

from __future__ import annotations

from .evaluate import DEFAULT_DK_CODES, DEFAULT_REFUSED_CODES, Columns, evaluate, evaluate_on
from .syntax import (
    FUNCTIONS,
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_LENGTH,
    ODK_FUNCTIONS,
    XLSFORM_FUNCTIONS,
    Arith,
    BoolOp,
    Call,
    Compare,
    Condition,
    ConditionSyntaxError,
    Current,
    Dialect,
    Everyone,
    ExpressionError,
    InList,
    IsMissing,
    Literal,
    Neg,
    Node,
    Not,
    Path,
    Ref,
    Token,
    UnsupportedExpression,
    parse,
    parse_condition,
    parse_xlsform,
    tokenize,
    unsupported,
    walk,
)

__all__ = [
    "Arith", "BoolOp", "Call", "Columns", "Compare", "Condition", "ConditionSyntaxError", "Current",
    "DEFAULT_DK_CODES", "DEFAULT_REFUSED_CODES", "Dialect", "Everyone", "ExpressionError", "FUNCTIONS",
    "InList", "IsMissing", "Literal", "MAX_CONDITION_DEPTH", "MAX_CONDITION_LENGTH", "Neg", "Node", "Not",
    "ODK_FUNCTIONS", "Path", "Ref", "Token", "UnsupportedExpression", "XLSFORM_FUNCTIONS", "evaluate",
    "evaluate_on", "parse", "parse_condition", "parse_xlsform", "tokenize", "unsupported", "walk",
]  # fmt: skip
