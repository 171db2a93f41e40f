"""The one evaluator of the condition language: any parsed expression, over every row at once.

:class:`Columns` says how a question maps to frame columns (select_one codes, select_multiple
``q/<code>`` columns or space-separated codes, numbers, text); :func:`evaluate_on` walks the AST
once and returns a nullable boolean Series. Both dialects (indicator conditions and XLSForm
expressions) are evaluated here, with the same three-valued rules:

- a comparison on an unanswered (skipped, blank) question is ``<NA>``, not False; ``and``/``or``/
  ``not`` follow Kleene logic (``False and NA`` is False, ``True or NA`` is True, ``not NA`` is NA);
- the missing checks (``is missing``, ``answered``, ``valid``, ``dk``, ``refused``, and XLSForm's
  ``${q} = ''``) are always True or False;
- codes compare as canonical strings (``1`` and ``'1'`` are code ``"1"``); ``<``/``>``, arithmetic
  and numeric questions compare numbers.

One difference is deliberate and documented (docs/formats.md): in XLSForm, as in ODK, an answer
that is the empty string is a value, so ``selected()`` is False, ``count-selected()`` and
``string-length()`` are 0 for it (an indicator condition treats it as unanswered).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .columns import DEFAULT_DK_CODES, DEFAULT_REFUSED_CODES, Columns, _as_number, _as_text, _is_number
from .syntax import (
    XLSFORM_FUNCTIONS,
    Arith,
    BoolOp,
    Call,
    Compare,
    Condition,
    Current,
    Everyone,
    InList,
    IsMissing,
    Literal,
    Neg,
    Node,
    Not,
    Path,
    Ref,
    UnsupportedExpression,
    parse_condition,
)

__all__ = ["Columns", "evaluate", "evaluate_on", "DEFAULT_DK_CODES", "DEFAULT_REFUSED_CODES"]


@dataclass(frozen=True)
class _Scope:
    cols: Columns
    current: str | None
    dialect: str

    @property
    def index(self) -> pd.Index:
        return self.cols.frame.index

    def name(self, node: Node) -> str | None:
        """The question a Ref or ``.`` stands for (None for other nodes)."""
        if isinstance(node, Ref):
            return node.name
        if isinstance(node, Current):
            if self.current is None:
                raise UnsupportedExpression("'.' has no meaning here (no current question)", node.offset)
            return self.current
        return None


_CMP = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}  # fmt: skip
_MIRROR = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ARITH = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "div": lambda a, b: a / b, "mod": lambda a, b: np.fmod(a, b),
}  # fmt: skip
_BOOL_CALLS = {
    "selected",
    "any-selected",
    "answered",
    "valid",
    "dk",
    "refused",
    "not",
    "regex",
    "true",
    "false",
}


def _compare_codes(values: pd.Series, op: str, right: Literal, numeric: bool) -> pd.Series:
    if numeric:
        num = right.number
        if num is None:
            return pd.Series(pd.NA, index=values.index, dtype="boolean").mask(values.notna(), False)
        return _CMP[op](values, num).astype("boolean")
    return _CMP[op](values, right.code).astype("boolean")


def _operand(scope: _Scope, left: Node, numeric: bool) -> pd.Series:
    if isinstance(left, Call):  # count-selected
        return _value(left, scope)
    q = scope.name(left)
    return scope.cols.numbers(q) if numeric else scope.cols.codes(q)


def _question_shaped(node: Node) -> bool:
    return isinstance(node, (Ref, Current)) or (isinstance(node, Call) and node.func == "count-selected")


def _eval_compare(node: Compare, scope: _Scope) -> pd.Series:
    left, op, right = node.left, node.op, node.right
    if isinstance(left, Literal) and _question_shaped(right):
        left, op, right = right, _MIRROR[op], left
    if _question_shaped(left) and isinstance(right, Literal):
        numeric = (
            op in ("<", "<=", ">", ">=")
            or isinstance(left, Call)
            or scope.cols.kind(scope.name(left)) == "numeric"
        )
        return _as_other(scope, left, _compare_codes(_operand(scope, left, numeric), op, right, numeric))
    a, b = _value(left, scope), _value(right, scope)
    if op in ("<", "<=", ">", ">=") or _is_number(a) or _is_number(b):
        a, b = _as_number(a), _as_number(b)
    else:
        a, b = _as_text(a), _as_text(b)
    out = _CMP[op](a, b)
    if not isinstance(out, pd.Series):
        return pd.Series(bool(out), index=scope.index, dtype="boolean")
    return out.astype("boolean")


def _as_other(scope: _Scope, left: Node, out: pd.Series) -> pd.Series:
    """Under ``off_list: other``, an off-list answer compared with codes or numbers is False, never
    unknown: the respondent answered something that is none of the listed choices."""
    q = scope.name(left)
    if q is None:
        return out
    other = scope.cols.other(q)
    return out.mask(other.to_numpy() & out.isna().to_numpy(), False) if other.any() else out


def _eval(node: Node, scope: _Scope) -> pd.Series:
    """A boolean node -> nullable boolean Series (values are read as XPath booleans)."""
    cols = scope.cols
    if isinstance(node, Everyone):
        return pd.Series(True, index=scope.index, dtype="boolean")
    if isinstance(node, BoolOp):
        operands = _as_lists(node, scope) if len(node.operands) > 2 else node.operands
        out = _eval(operands[0], scope)
        for child in operands[1:]:
            part = _eval(child, scope)
            out = (out & part) if node.op == "and" else (out | part)
        return out
    if isinstance(node, Not):
        return ~_eval(node.operand, scope)
    if isinstance(node, IsMissing):
        answered = cols.answered(scope.name(node.question)).fillna(False)
        return (answered if node.negated else ~answered).astype("boolean")
    if isinstance(node, Compare):
        return _eval_compare(node, scope)
    if isinstance(node, InList):
        if isinstance(node.left, Call) or cols.kind(scope.name(node.left)) == "numeric":
            values = _operand(scope, node.left, True)
            nums = [x.number for x in node.items if x.number is not None]
            out = values.isin(nums).astype("boolean").mask(values.isna(), pd.NA)
        else:
            codes = cols.codes(scope.name(node.left))
            out = codes.isin([x.code for x in node.items]).astype("boolean").mask(codes.isna(), pd.NA)
        out = _as_other(scope, node.left, out)
        return ~out if node.negated else out
    if isinstance(node, Call) and node.func in _BOOL_CALLS:
        return _eval_call(node, scope)
    return _truth(_value(node, scope), scope.index)


def _as_lists(node: BoolOp, scope: _Scope) -> tuple:
    """``q = 1 or q = 2 or ...`` as ``q in [1, 2, ...]`` (and ``!=`` chains joined by ``and`` as
    ``not in``): the same three-valued result, one pass over the column instead of one per term."""
    op = "=" if node.op == "or" else "!="
    groups: dict[str, list] = {}
    rest = []
    for child in node.operands:
        if isinstance(child, Compare) and child.op == op and isinstance(child.right, Literal):
            name = scope.name(child.left)
            numeric = name is not None and scope.cols.kind(name) == "numeric"
            if name is not None and not (numeric and child.right.number is None):
                groups.setdefault(name, []).append(child)
                continue
        rest.append(child)
    lists = [
        InList(members[0].left, tuple(m.right for m in members), op == "!=", members[0].offset)
        if len(members) > 1 else members[0]
        for members in groups.values()
    ]  # fmt: skip
    return (*lists, *rest)


def _truth(value: Any, index: pd.Index) -> pd.Series:
    """XPath boolean(): a number is true unless 0, text unless empty (missing stays unknown)."""
    if isinstance(value, pd.Series):
        if value.dtype == "boolean" or value.dtype == bool:
            return value.astype("boolean")
        if _is_number(value):
            return (value != 0).astype("boolean")
        return (_as_text(value).str.len() > 0).astype("boolean")
    return pd.Series(bool(value), index=index, dtype="boolean")


def _eval_call(node: Call, scope: _Scope) -> pd.Series:
    cols, func = scope.cols, node.func
    if func in ("true", "false"):
        return pd.Series(func == "true", index=scope.index, dtype="boolean")
    if func == "not":
        return ~_eval(node.args[0], scope)
    if func == "regex":
        pattern = node.args[1]
        if not isinstance(pattern, Literal):
            raise UnsupportedExpression("regex() needs a quoted pattern", node.offset)
        compiled = _regex(str(pattern.value), pattern.offset)
        text = _text_of(node.args[0], scope)
        too_long = text.str.len().gt(_MAX_REGEX_TEXT).fillna(False)
        with warnings.catch_warnings():  # a pattern with groups (forms use them) only warns that they are unused
            warnings.filterwarnings("ignore", "This pattern is interpreted as a regular expression", UserWarning)
            found = text.mask(too_long).str.contains(compiled, regex=True)
        return found.astype("boolean")
    q = scope.name(node.question)
    if func == "selected":
        code = node.args[1]
        if not isinstance(code, Literal):
            raise UnsupportedExpression("selected() needs a quoted code", node.offset)
        if q is None:
            text = " " + _text_of(node.question, scope).str.strip() + " "
            return text.str.contains(f" {code.code} ", regex=False).astype("boolean")
        out = cols.selected(q, code.code)
        return out.mask(cols.blank(q), False) if scope.dialect == "xlsform" else out
    if func == "any-selected":
        return cols.any_of(q, [c.code for c in node.codes])
    answered = cols.answered(q).fillna(False)
    if func == "answered":
        return answered.astype("boolean")
    dk = cols.any_of(q, list(cols.dk_of(q))).fillna(False)
    refused = cols.any_of(q, list(cols.refused_of(q))).fillna(False)
    if func == "valid":
        return (answered & ~dk & ~refused).astype("boolean")
    if func == "dk":
        return dk.astype("boolean")
    if func == "refused":
        return refused.astype("boolean")
    raise UnsupportedExpression(f"the function {func}() is not supported", node.offset)  # pragma: no cover


#: Answers longer than this are not matched against a form's regex() (the check says "cannot tell").
_MAX_REGEX_TEXT = 10_000
#: A repeated group that repeats inside, ``(a+)+``, ``(\w*)*``, ``(x|y+){2,}``: Python's backtracking
#: engine can take exponential time on such a pattern (a hostile form could hang the checks).
_NESTED_REPEAT = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")


def _regex(pattern: str, offset: int) -> re.Pattern:
    if _NESTED_REPEAT.search(pattern):
        raise UnsupportedExpression(
            f"the regular expression '{pattern}' repeats a group that repeats inside (it could take "
            "exponential time)",
            offset,
        )
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise UnsupportedExpression(
            f"the regular expression '{pattern}' is not valid in Python ({exc})", offset
        ) from None


def _text_of(node: Node, scope: _Scope) -> pd.Series:
    q = scope.name(node)
    if q is not None:
        return scope.cols.text(q)
    value = _value(node, scope)
    if isinstance(value, pd.Series):
        return _as_text(value)
    return pd.Series(_as_text(value), index=scope.index, dtype="string")


def _value(node: Node, scope: _Scope) -> Any:
    """A value node -> a scalar (literals) or a Series (numbers Float64, codes/text string)."""
    if isinstance(node, Literal):
        return node.value
    q = scope.name(node)
    if q is not None:
        return scope.cols.numbers(q) if scope.cols.kind(q) == "numeric" else scope.cols.codes(q)
    if isinstance(node, Arith):
        out = _as_number(_value(node.operands[0], scope))
        for op, operand in zip(node.ops, node.operands[1:], strict=True):
            out = _ARITH[op](out, _as_number(_value(operand, scope)))
        return out
    if isinstance(node, Neg):
        return -_as_number(_value(node.operand, scope))
    if isinstance(node, Call) and node.func not in _BOOL_CALLS:
        return _num_call(node, scope)
    if isinstance(node, Path):
        raise UnsupportedExpression(f"the path '{node.text}' is not supported", node.offset)
    return _eval(node, scope)


def _num_call(node: Call, scope: _Scope) -> Any:
    func = node.func
    if func == "count-selected":
        q = scope.name(node.question)
        if q is None:
            return _text_of(node.question, scope).str.split().str.len().astype("Float64")
        out = scope.cols.count_selected(q)
        return out.mask(scope.cols.blank(q), 0.0) if scope.dialect == "xlsform" else out
    if func == "string-length":
        return _text_of(node.args[0], scope).str.len().fillna(0).astype("Float64")
    if func in ("number", "int"):
        value = _as_number(_value(node.args[0], scope))
        return np.trunc(value) if func == "int" else value
    known = func in XLSFORM_FUNCTIONS
    raise UnsupportedExpression(
        f"the function {func}() is not supported" + ("" if known else " (not an XLSForm function)"),
        node.offset,
    )


def evaluate(
    condition: Condition | str,
    frame: pd.DataFrame,
    kinds: Mapping[str, str] | None = None,
    *,
    dk_codes: Sequence[str] = DEFAULT_DK_CODES,
    refused_codes: Sequence[str] = DEFAULT_REFUSED_CODES,
) -> pd.Series:
    """Evaluate ``condition`` on every row of ``frame`` at once -> nullable boolean Series.

    ``<NA>`` means "unknown" (a question in the condition was not answered); see the module
    docstring for the three-valued rules. ``kinds`` (question -> select_one / select_multiple /
    numeric) overrides what is inferred from the frame. A question absent from the frame raises
    ``KeyError`` (tier-2 validation reports it before any data is touched).

    >>> df = pd.DataFrame({"q": pd.Categorical(["1", "2", None, "98"])})
    >>> evaluate("q in [1, 2]", df).tolist()
    [True, True, <NA>, False]
    """
    choices = getattr(kinds, "choices", None) or {}
    cols = Columns(frame, dict(kinds or {}), tuple(dk_codes), tuple(refused_codes), choices)
    return evaluate_on(condition, cols)


def evaluate_on(condition: Condition | str, cols: Columns, current: str | None = None) -> pd.Series:
    """:func:`evaluate` on prepared :class:`Columns` (which cache column conversions between calls).

    ``current`` is the question ``.`` stands for in an XLSForm constraint. An XLSForm expression the
    evaluator does not support raises :class:`~survey_toolkit.expressions.UnsupportedExpression`.
    """
    cond = parse_condition(condition) if isinstance(condition, str) else condition
    scope = _Scope(cols, current, cond.dialect)
    return _eval(cond.ast, scope).astype("boolean").rename(None)
