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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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

DEFAULT_DK_CODES: tuple[str, ...] = ("98",)
DEFAULT_REFUSED_CODES: tuple[str, ...] = ("99",)

OFF_LIST_CODE = "\x00off-list"
"""What :meth:`Columns.codes` gives for a select_one answer outside its list under ``off_list: other``:
an answer that equals no code (a choice name cannot hold a NUL character)."""


@dataclass(frozen=True)
class Columns:
    """How questions map to frame columns, following ``survey_toolkit.io.base`` conventions.

    ``kinds`` maps a question to ``select_one``, ``select_multiple``, ``numeric`` or ``text``; a
    question not listed is inferred from the frame (``q/<code>`` columns -> select_multiple,
    categorical or text -> select_one, numbers -> numeric).
    """

    frame: pd.DataFrame
    kinds: Mapping[str, str] = field(default_factory=dict)
    dk_codes: tuple[str, ...] = DEFAULT_DK_CODES
    refused_codes: tuple[str, ...] = DEFAULT_REFUSED_CODES
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    special: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """question -> {code: dk / refused / not_applicable}: codes the export's labels declare (SPSS/Stata
    value labels, choice labels), on top of ``dk_codes``/``refused_codes``."""
    off_list: Mapping[str, str] = field(default_factory=dict)
    """question -> ``missing`` / ``other``: how an answer outside the question's list (``choices``) counts
    (``survey_toolkit.offlist``); a question not listed follows ``off_list_default``."""
    off_list_default: str = "missing"

    _inferred: dict = field(default_factory=dict, repr=False, compare=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def _cached(self, key: tuple, make) -> pd.Series:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def dk_of(self, q: str) -> tuple[str, ...]:
        """The don't-know codes of ``q``: the file's defaults and the codes its labels declare."""
        own = tuple(c for c, kind in (self.special.get(q) or {}).items() if kind == "dk")
        return tuple(self.dk_codes) + own

    def refused_of(self, q: str) -> tuple[str, ...]:
        """The refused (and not-applicable) codes of ``q``: the defaults and the declared ones."""
        own = tuple(
            c for c, kind in (self.special.get(q) or {}).items() if kind in ("refused", "not_applicable")
        )
        return tuple(self.refused_codes) + own

    def kind(self, q: str) -> str:
        if q in self.kinds:
            return self.kinds[q]
        if q not in self._inferred:
            self._inferred[q] = self._infer(q)
        return self._inferred[q]

    def _infer(self, q: str) -> str:
        prefix = q + "/"
        if any(str(c).startswith(prefix) for c in self.frame.columns):
            return "select_multiple"
        if q not in self.frame.columns:
            return "select_one"
        col = self.frame[q]
        if isinstance(col.dtype, pd.CategoricalDtype):
            return "select_one"
        if pd.api.types.is_numeric_dtype(col.dtype):
            return "numeric"
        # raw select_multiple answers are space-separated codes
        if col.astype("string").str.strip().str.contains(r"\s", regex=True).fillna(False).any():
            return "select_multiple"
        return "select_one"

    def column(self, q: str) -> pd.Series:
        if q not in self.frame.columns and self.kind(q) != "select_multiple":
            raise KeyError(q)
        return self.frame[q] if q in self.frame.columns else pd.Series(pd.NA, index=self.frame.index)

    def codes(self, q: str) -> pd.Series:
        """The answer as canonical code strings (``<NA>`` when unanswered)."""
        return self._cached(("codes", q), lambda: self._codes(q))

    def _raw_codes(self, q: str) -> pd.Series:
        col = self.column(q)
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        out = col.astype("string").str.strip()
        if pd.api.types.is_float_dtype(self.column(q).dtype):
            out = out.str.replace(r"\.0$", "", regex=True)
        return out.mask(out == "", pd.NA)

    def _codes(self, q: str) -> pd.Series:
        out = self._raw_codes(q)
        if self.kind(q) == "select_multiple":
            return self._listed_tokens(q, out) if self.off_list_rule(q) == "missing" else out
        return out.mask(self.invalid(q), OFF_LIST_CODE if self.off_list_rule(q) == "other" else pd.NA)

    def off_list_rule(self, q: str) -> str:
        """``missing`` or ``other``: how an answer of ``q`` outside its choice list counts."""
        return self.off_list.get(q, self.off_list_default)

    def _listed_tokens(self, q: str, raw: pd.Series) -> pd.Series:
        """A select_multiple answer without its off-list tokens (``<NA>`` when none is left)."""
        allowed = self.choices.get(q)
        if allowed is None:
            return raw
        keep = set(allowed)
        codes, uniques = pd.factorize(raw.astype(object), use_na_sentinel=True)
        kept = [" ".join(t for t in str(u).split() if t in keep) or None for u in uniques]  # distinct answers
        return pd.Series(pd.array([*kept, None], dtype="string")[codes], index=raw.index)

    def invalid(self, q: str) -> pd.Series:
        """True where a select_one answer is outside the question's choice list (``choices``).

        Such answers (free text typed into a select question) are invalid: under the ``missing`` rule
        (the default) :meth:`codes` gives ``<NA>`` for them, so every condition and indicator treats
        them as missing answers; under ``other`` it gives :data:`OFF_LIST_CODE`, an answer equal to no
        listed code.
        """
        return self._cached(("invalid", q), lambda: self._invalid(q))

    def off_list_answers(self, q: str) -> pd.Series:
        """True where an answer of ``q`` holds a code outside its list (any token of a select_multiple)."""
        return self._cached(("off_list", q), lambda: self._off_list_answers(q))

    def _off_list_answers(self, q: str) -> pd.Series:
        if self.kind(q) != "select_multiple":
            return self.invalid(q)
        allowed = self.choices.get(q)
        if allowed is None or q not in self.frame.columns:
            return pd.Series(False, index=self.frame.index)
        keep = set(allowed)
        codes, uniques = pd.factorize(self._raw_codes(q).astype(object), use_na_sentinel=True)
        off = np.array([any(t not in keep for t in str(u).split()) for u in uniques] + [False], dtype=bool)
        return pd.Series(off[codes], index=self.frame.index)  # per distinct answer, never per row

    def other(self, q: str) -> pd.Series:
        """True where an off-list answer of a select_one counts as "other" (``off_list: other``)."""
        if self.off_list_rule(q) != "other" or self.kind(q) == "select_multiple":
            return pd.Series(False, index=self.frame.index)
        return self.invalid(q)

    def _invalid(self, q: str) -> pd.Series:
        allowed = self.choices.get(q)
        if allowed is None or self.kind(q) != "select_one" or q not in self.frame.columns:
            return pd.Series(False, index=self.frame.index)
        raw = self._raw_codes(q)
        return (raw.notna() & ~raw.isin(list(allowed))).fillna(False).astype(bool)

    def text(self, q: str) -> pd.Series:
        """The answer as text, as an XLSForm expression sees it (blank stays ``""``, missing ``<NA>``)."""
        return self._cached(("text", q), lambda: _as_text(self.column(q)))

    def blank(self, q: str) -> pd.Series:
        """True where the answer is the empty string (a value in ODK, unlike a missing answer)."""
        return self._cached(("blank", q), lambda: self.text(q).str.strip().eq("").fillna(False).astype(bool))

    def numbers(self, q: str) -> pd.Series:
        return self._cached(("numbers", q), lambda: self._numbers(q))

    def _numbers(self, q: str) -> pd.Series:
        col = self.codes(q) if q in self.choices else self.column(q)
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        return pd.to_numeric(col, errors="coerce").astype("Float64")

    def answered(self, q: str) -> pd.Series:
        return self._cached(("answered", q), lambda: self._answered(q))

    def _answered(self, q: str) -> pd.Series:
        if self.kind(q) == "select_multiple":
            flags = self._flag_columns(q)
            if q in self.frame.columns:
                raw = self.codes(q)
                return raw.notna().astype("boolean")
            if flags:
                return self.frame[flags].notna().any(axis=1).astype("boolean")
            return pd.Series(False, index=self.frame.index, dtype="boolean")
        return self.codes(q).notna().astype("boolean")

    def _flag_columns(self, q: str) -> list[str]:
        prefix = q + "/"
        return [c for c in self.frame.columns if str(c).startswith(prefix)]

    def selected(self, q: str, code: str) -> pd.Series:
        """Nullable boolean: the code is selected (``<NA>`` when the question is unanswered)."""
        return self._cached(("selected", q, code), lambda: self._selected(q, code))

    def _selected(self, q: str, code: str) -> pd.Series:
        answered = self.answered(q)
        if self.kind(q) != "select_multiple":
            hit = self.codes(q) == code
        elif f"{q}/{code}" in self.frame.columns:
            hit = self.frame[f"{q}/{code}"].astype("boolean").fillna(False)
        elif q in self.frame.columns:
            pattern = rf"(?:^|\s){re.escape(code)}(?:\s|$)"
            hit = self.codes(q).str.contains(pattern, regex=True)
        else:
            hit = pd.Series(False, index=self.frame.index)
        hit = hit.astype("boolean").fillna(False)
        return hit.mask(~answered, pd.NA)

    def count_selected(self, q: str) -> pd.Series:
        answered = self.answered(q)
        flags = self._flag_columns(q)
        if flags:
            counts = self.frame[flags].astype("boolean").fillna(False).sum(axis=1).astype("Float64")
        else:
            counts = self.codes(q).str.split().str.len().astype("Float64")
        return counts.mask(~answered, pd.NA)

    def any_of(self, q: str, codes: Sequence[str]) -> pd.Series:
        """True when any of ``codes`` is the answer (select_one) or is selected (select_multiple)."""
        answered = self.answered(q)
        if self.kind(q) != "select_multiple":
            return self.codes(q).isin(list(codes)).astype("boolean").mask(~answered, pd.NA)
        hits = [self.selected(q, c).fillna(False) for c in codes]
        out = np.logical_or.reduce([h.to_numpy(dtype=bool) for h in hits]) if hits else False
        return pd.Series(out, index=self.frame.index, dtype="boolean").mask(~answered, pd.NA)


def _as_text(values: Any) -> Any:
    """A Series (or scalar) as text: float codes canonical (``1.0`` -> ``"1"``), NA kept."""
    from ..codes import canonical_code

    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if values.dtype.kind == "f" or isinstance(values.dtype, pd.Float64Dtype):
            values = values.map(canonical_code, na_action="ignore")
        return values.astype("string")
    if isinstance(values, float):
        return canonical_code(values)
    return str(values)


def _as_number(values: Any) -> Any:
    if isinstance(values, pd.Series):
        if (
            isinstance(values.dtype, pd.CategoricalDtype)
            or values.dtype == object
            or isinstance(values.dtype, pd.StringDtype)
        ):
            values = values.astype("string")
        if values.dtype == "boolean" or values.dtype == bool:
            values = values.astype("Float64")
        return pd.to_numeric(values, errors="coerce").astype("Float64")
    try:
        return float(values)
    except (TypeError, ValueError):
        return np.nan


def _is_number(v: Any) -> bool:
    if isinstance(v, pd.Series):
        return v.dtype.kind in "iuf" or isinstance(v.dtype, pd.Float64Dtype | pd.Int64Dtype)
    return isinstance(v, int | float) and not isinstance(v, bool)


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


def _is_bool(node: Node) -> bool:
    if isinstance(node, Call):
        return node.func in _BOOL_CALLS
    return isinstance(node, (Compare, InList, IsMissing, BoolOp, Not, Everyone))


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
        try:
            compiled = re.compile(str(pattern.value))
        except re.error as exc:
            raise UnsupportedExpression(
                f"the regular expression '{pattern.value}' is not valid in Python ({exc})", pattern.offset
            ) from None
        return _text_of(node.args[0], scope).str.contains(compiled, regex=True).astype("boolean")
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
