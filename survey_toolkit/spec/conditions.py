"""The condition language of ``indicators.yaml``: a tokenizer, a recursive-descent parser and a
vectorised evaluator. User text is never passed to ``eval``.

Grammar (lowest precedence first)::

    condition  := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | primary
    primary    := "all"                                       # every respondent (universe: all)
                | "(" condition ")"
                | test_call                                   # selected(q, 1), answered(q), ...
                | operand ("=" | "!=" | "<" | "<=" | ">" | ">=") literal
                | operand ["not"] "in" "[" item ("," item)* "]"
                | NAME "is" ["not"] "missing"
    operand    := NAME | "${" NAME "}" | "count-selected" "(" NAME ")"
    item       := literal | INTEGER ".." INTEGER                 # 13..19 = 13, 14, ..., 19
    literal    := NUMBER | 'text' | "text"

``all`` alone is always True: ``universe: all`` for a survey without a consent question (a question
named ``all`` can still be compared, ``all = 1``).

Functions: ``selected(q, code)`` (as in XLSForm), ``any-selected(q, [codes])``,
``count-selected(q)`` (a number, to compare), and the missing checks ``answered(q)`` (not skipped /
not blank), ``valid(q)`` (answered and not don't know / refused), ``dk(q)``, ``refused(q)``.

Three-valued logic: a comparison on an unanswered (skipped, blank) question is ``<NA>``, not False;
``and``/``or``/``not`` follow Kleene logic (``False and NA`` is False, ``True or NA`` is True,
``not NA`` is NA). The missing checks (``is missing``, ``answered``, ``valid``, ``dk``, ``refused``)
are always True or False. Don't know (98) and refused (99) are answers, not missing: ``q = 1`` is
False for a respondent who said "don't know"; use ``valid(q)`` to exclude them.

Codes are compared as canonical strings (``1`` and ``'1'`` both mean code ``"1"``); ``<``/``>`` and
numeric questions compare numbers.

>>> cond = parse_condition("b1_safe_dark in [1, 2] and not dk(c1_assault)")
>>> sorted(cond.questions())
['b1_safe_dark', 'c1_assault']
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..codes import canonical_code
from ..errors import did_you_mean

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
]

#: Limits on one condition (documented in docs/indicators.md): its length in characters and how
#: deeply parentheses and ``not`` may nest. Deeper conditions are a located error, not a crash.
MAX_CONDITION_LENGTH = 1_000_000
MAX_CONDITION_DEPTH = 50

DEFAULT_DK_CODES: tuple[str, ...] = ("98",)
DEFAULT_REFUSED_CODES: tuple[str, ...] = ("99",)

#: function name -> (argument kinds, result kind). Kinds: q = question, code, list, num, bool.
FUNCTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "selected": (("q", "code"), "bool"),
    "any-selected": (("q", "list"), "bool"),
    "count-selected": (("q",), "num"),
    "answered": (("q",), "bool"),
    "valid": (("q",), "bool"),
    "dk": (("q",), "bool"),
    "refused": (("q",), "bool"),
}
_MISSING_CHECKS = {"answered", "valid", "dk", "refused"}


class ConditionSyntaxError(ValueError):
    """A condition that cannot be parsed; ``offset`` is the 0-based position in the text."""

    def __init__(self, message: str, offset: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    \s*(?:
    (?P<ref>\$\{\s*[A-Za-z_][\w.\-]*\s*\})
  | (?P<range>\.\.)
  | (?P<number>-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<name>[A-Za-z_][\w.\-]*)
  | (?P<string>'[^'\n]*'|"[^"\n]*")
  | (?P<op>!=|<=|>=|==|=|<|>)
  | (?P<punct>[()\[\],])
  | (?P<bad>\S)
    )""",
    re.VERBOSE | re.DOTALL,
)
_KEYWORDS = {"and", "or", "not", "in", "is", "missing"}


class Token(NamedTuple):
    kind: str  # name, keyword, number, string, op, punct, range, end
    text: str
    offset: int


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; raise :class:`ConditionSyntaxError` at the first bad character.

    One pass of the compiled pattern over the text (linear; a condition of 20,000 terms takes a
    fraction of a second).
    """
    tokens: list[Token] = []
    append = tokens.append
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        word = m.group(kind)
        if kind == "name":
            if word in _KEYWORDS:
                kind = "keyword"
        elif kind == "ref":
            kind, word = "name", word[2:-1].strip()
        elif kind == "bad":
            raise _bad_character(text, m.start("bad"))
        append(Token(kind, word, m.start(m.lastgroup)))
    append(Token("end", "", len(text)))
    return tokens


def _bad_character(text: str, pos: int) -> ConditionSyntaxError:
    ch = text[pos]
    hints = {
        "&": "use 'and' to combine conditions",
        "|": "use 'or' to combine conditions",
        "!": "use 'not' or '!='",
        "'": "close the quoted text with a matching quote on the same line",
        '"': "close the quoted text with a matching quote on the same line",
    }
    if text.startswith(("&&", "||"), pos):
        ch = text[pos : pos + 2]
    message = "unterminated quoted text" if ch in "'\"" else f"unexpected character '{ch}'"
    return ConditionSyntaxError(message, pos, hints.get(ch[0]))


# ---------------------------------------------------------------- AST


@dataclass(frozen=True)
class Ref:
    """A question name."""

    name: str
    offset: int


@dataclass(frozen=True)
class Literal:
    """A number or quoted text; ``code`` is its canonical choice-code string."""

    value: float | str
    offset: int

    @property
    def code(self) -> str:
        return canonical_code(self.value)

    @property
    def number(self) -> float | None:
        try:
            return float(self.value)
        except ValueError:
            return None


@dataclass(frozen=True)
class Call:
    """A function call: ``selected(q, 1)``, ``count-selected(q)``, ``answered(q)``..."""

    func: str
    question: Ref
    codes: tuple[Literal, ...] = ()
    offset: int = 0


@dataclass(frozen=True)
class Compare:
    op: str
    left: Ref | Call
    right: Literal
    offset: int = 0


@dataclass(frozen=True)
class InList:
    left: Ref | Call
    items: tuple[Literal, ...]
    negated: bool = False
    offset: int = 0


@dataclass(frozen=True)
class IsMissing:
    question: Ref
    negated: bool = False
    offset: int = 0


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]
    offset: int = 0


@dataclass(frozen=True)
class Not:
    operand: Node
    offset: int = 0


@dataclass(frozen=True)
class Everyone:
    """``all``: True for every respondent (``universe: all`` when the survey has no consent question)."""

    offset: int = 0


Node = Compare | InList | IsMissing | BoolOp | Not | Call | Everyone


def walk(node: Node) -> Iterator[Node | Ref | Literal]:
    """Every node of the tree, depth first (including the question references and literals)."""
    yield node
    if isinstance(node, BoolOp):
        for child in node.operands:
            yield from walk(child)
    elif isinstance(node, Not):
        yield from walk(node.operand)
    elif isinstance(node, (Compare, InList)):
        yield from walk(node.left) if isinstance(node.left, Call) else iter((node.left,))
        yield from (node.right,) if isinstance(node, Compare) else node.items
    elif isinstance(node, Call):
        yield node.question
        yield from node.codes
    elif isinstance(node, IsMissing):
        yield node.question


@dataclass(frozen=True)
class Condition:
    """A parsed condition: the source text and its AST."""

    text: str
    ast: Node = field(compare=False)

    def questions(self) -> set[str]:
        """Names of every question the condition refers to."""
        return {n.name for n in walk(self.ast) if isinstance(n, Ref)}

    def references(self) -> list[Ref]:
        """Every question reference in order, with its offset in the text."""
        return [n for n in walk(self.ast) if isinstance(n, Ref)]

    def __str__(self) -> str:
        return self.text


# ---------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def deeper(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_CONDITION_DEPTH:
            raise ConditionSyntaxError(
                f"the condition nests parentheses and 'not' more than {MAX_CONDITION_DEPTH} levels deep",
                tok.offset,
                "simplify it: 'not not x' is x, and 'and'/'or' chains need no parentheses",
            )

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        tok = self.tok
        if tok.kind == kind and (text is None or tok.text == text):
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, text: str, what: str) -> Token:
        tok = self.accept(kind, text)
        if tok is None:
            raise self.error(f"expected {what}")
        return tok

    def error(self, expected: str, hint: str | None = None) -> ConditionSyntaxError:
        tok = self.tok
        found = "the end of the condition" if tok.kind == "end" else f"'{tok.text}'"
        return ConditionSyntaxError(f"{expected} but found {found}", tok.offset, hint)

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ConditionSyntaxError("the condition is empty", 0, "write a condition such as: q = 1")
        node = self.or_expr()
        if self.tok.kind != "end":
            hint = None
            if self.tok.kind in ("name", "number", "string"):
                hint = "combine conditions with 'and' or 'or'"
            raise self.error("expected 'and', 'or' or the end of the condition", hint)
        return node

    def or_expr(self) -> Node:
        return self._chain("or", self.and_expr)

    def and_expr(self) -> Node:
        return self._chain("and", self.not_expr)

    def _chain(self, op: str, sub) -> Node:
        start = self.tok.offset
        operands = [sub()]
        while self.accept("keyword", op):
            operands.append(sub())
        return operands[0] if len(operands) == 1 else BoolOp(op, tuple(operands), start)

    def not_expr(self) -> Node:
        nots: list[Token] = []
        while (tok := self.accept("keyword", "not")) is not None:
            self.deeper(tok)
            nots.append(tok)
        node = self.primary()
        for tok in reversed(nots):
            node = Not(node, tok.offset)
        self.depth -= len(nots)
        return node

    def primary(self) -> Node:
        tok = self.tok
        if self.accept("punct", "("):
            self.deeper(tok)
            node = self.or_expr()
            if not self.accept("punct", ")"):
                raise self.error("expected ')' to close the '(' at column " + str(tok.offset + 1))
            self.depth -= 1
            return node
        if tok.kind != "name":
            raise self.error("expected a question name, a function such as selected(q, 1), 'not' or '('")
        if tok.text == "all" and (self.tokens[self.i + 1].kind == "end" or self.tokens[self.i + 1].text in (")", "and", "or")):
            self.take()
            return Everyone(tok.offset)
        if self.tokens[self.i + 1].text == "(":
            call = self.call()
            if FUNCTIONS[call.func][1] == "bool":
                return call
            return self.comparison(call)
        ref = Ref(self.take().text, tok.offset)
        if self.accept("keyword", "is"):
            negated = bool(self.accept("keyword", "not"))
            self.expect("keyword", "missing", "'missing' after 'is'")
            return IsMissing(ref, negated, tok.offset)
        return self.comparison(ref)

    def comparison(self, left: Ref | Call) -> Node:
        start = left.offset
        op = self.accept("op")
        if op:
            right = self.literal()
            return Compare("=" if op.text == "==" else op.text, left, right, start)
        negated = False
        if self.tok.kind == "keyword" and self.tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.take()
            negated = True
        if self.accept("keyword", "in"):
            return InList(left, self.code_list(), negated, start)
        what = left.name if isinstance(left, Ref) else left.func + "(...)"
        raise self.error(
            f"expected a comparison after '{what}' (=, !=, <, <=, >, >=, in [...], is missing)",
            "a question alone is not a condition: write e.g. " + f"{what} = 1",
        )

    def literal(self) -> Literal:
        tok = self.tok
        if self.accept("number"):
            value = float(tok.text)
            return Literal(int(value) if value.is_integer() and "." not in tok.text else value, tok.offset)
        if self.accept("string"):
            return Literal(tok.text[1:-1], tok.offset)
        hint = None
        if tok.kind == "name":
            hint = f"quote text codes ('{tok.text}'); questions can only be compared with values"
        raise self.error("expected a number or a quoted code", hint)

    def code_list(self) -> tuple[Literal, ...]:
        self.expect("punct", "[", "'[' to start the list of codes")
        items: list[Literal] = []
        while True:
            items.extend(self.list_item())
            if self.accept("punct", "]"):
                return tuple(items)
            if not self.accept("punct", ","):
                raise self.error("expected ',' or ']' in the list of codes")

    def list_item(self) -> list[Literal]:
        first = self.literal()
        if not self.accept("range"):
            return [first]
        last = self.literal()
        lo, hi = first.value, last.value
        if not (isinstance(lo, int) and isinstance(hi, int)) or hi < lo or hi - lo > 1000:
            raise ConditionSyntaxError(
                "a code range needs two whole numbers, the first not larger than the second",
                first.offset,
                "write for example 13..19",
            )
        return [Literal(v, first.offset) for v in range(lo, hi + 1)]

    def call(self) -> Call:
        tok = self.take()
        if tok.text not in FUNCTIONS:
            hint = did_you_mean(tok.text, FUNCTIONS) or "functions: " + ", ".join(FUNCTIONS)
            raise ConditionSyntaxError(f"unknown function '{tok.text}'", tok.offset, hint)
        kinds = FUNCTIONS[tok.text][0]
        self.expect("punct", "(", "'('")
        question = self._question_arg(tok.text)
        codes: tuple[Literal, ...] = ()
        if len(kinds) == 2:
            if not self.accept("punct", ","):
                raise self.error(
                    f"expected ',' and a {'code' if kinds[1] == 'code' else 'list of codes'}",
                    f"write {tok.text}(question, {'1' if kinds[1] == 'code' else '[1, 2]'})",
                )
            codes = (self.literal(),) if kinds[1] == "code" else self.code_list()
        if not self.accept("punct", ")"):
            raise self.error(f"expected ')' to close {tok.text}(")
        return Call(tok.text, question, codes, tok.offset)

    def _question_arg(self, func: str) -> Ref:
        tok = self.tok
        if not self.accept("name"):
            raise self.error(f"expected a question name inside {func}(")
        return Ref(tok.text, tok.offset)


def parse_condition(text: str) -> Condition:
    """Parse ``text`` into a :class:`Condition`; raise :class:`ConditionSyntaxError` with an offset."""
    if not isinstance(text, str):
        raise ConditionSyntaxError("a condition must be text", 0, "quote the condition")
    if len(text) > MAX_CONDITION_LENGTH:
        raise ConditionSyntaxError(
            f"the condition is longer than {MAX_CONDITION_LENGTH:,} characters",
            0,
            "split it into several indicators or use a list: q in [1, 2, 3]",
        )
    return Condition(text, _Parser(text).parse())


# ---------------------------------------------------------------- evaluation


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
        own = tuple(c for c, kind in (self.special.get(q) or {}).items() if kind in ("refused", "not_applicable"))
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
        return out.mask(self.invalid(q), pd.NA)

    def invalid(self, q: str) -> pd.Series:
        """True where a select_one answer is outside the question's choice list (``choices``).

        Such answers (free text typed into a select question) are invalid: :meth:`codes` gives
        ``<NA>`` for them, so every condition and indicator treats them as missing answers.
        """
        return self._cached(("invalid", q), lambda: self._invalid(q))

    def _invalid(self, q: str) -> pd.Series:
        allowed = self.choices.get(q)
        if allowed is None or self.kind(q) != "select_one" or q not in self.frame.columns:
            return pd.Series(False, index=self.frame.index)
        raw = self._raw_codes(q)
        return (raw.notna() & ~raw.isin(list(allowed))).fillna(False).astype(bool)

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


def _compare(values: pd.Series, op: str, right: Literal, numeric: bool) -> pd.Series:
    if numeric:
        num = right.number
        if num is None:
            return pd.Series(pd.NA, index=values.index, dtype="boolean").mask(values.notna(), False)
        a, b = values, num
    else:
        a, b = values, right.code
    result = {
        "=": lambda: a == b,
        "!=": lambda: a != b,
        "<": lambda: a < b,
        "<=": lambda: a <= b,
        ">": lambda: a > b,
        ">=": lambda: a >= b,
    }[op]()
    return result.astype("boolean")


def _operand(cols: Columns, left: Ref | Call, numeric: bool) -> pd.Series:
    if isinstance(left, Call):  # count-selected
        return cols.count_selected(left.question.name)
    if numeric:
        return cols.numbers(left.name)
    return cols.codes(left.name)


def _eval(node: Node, cols: Columns) -> pd.Series:
    if isinstance(node, Everyone):
        return pd.Series(True, index=cols.frame.index, dtype="boolean")
    if isinstance(node, BoolOp):
        parts = [_eval(child, cols) for child in node.operands]
        out = parts[0]
        for part in parts[1:]:
            out = (out & part) if node.op == "and" else (out | part)
        return out
    if isinstance(node, Not):
        return ~_eval(node.operand, cols)
    if isinstance(node, IsMissing):
        answered = cols.answered(node.question.name).fillna(False)
        return (answered if node.negated else ~answered).astype("boolean")
    if isinstance(node, Call):
        return _eval_call(node, cols)
    if isinstance(node, Compare):
        numeric = (
            node.op in ("<", "<=", ">", ">=")
            or isinstance(node.left, Call)
            or cols.kind(node.left.name) == "numeric"
        )
        return _compare(_operand(cols, node.left, numeric), node.op, node.right, numeric)
    if isinstance(node, InList):
        if isinstance(node.left, Call) or cols.kind(node.left.name) == "numeric":
            values = _operand(cols, node.left, True)
            nums = [x.number for x in node.items if x.number is not None]
            out = values.isin(nums).astype("boolean").mask(values.isna(), pd.NA)
        else:
            codes = cols.codes(node.left.name)
            out = codes.isin([x.code for x in node.items]).astype("boolean").mask(codes.isna(), pd.NA)
        return ~out if node.negated else out
    raise TypeError(f"not a condition node: {node!r}")  # pragma: no cover


def _eval_call(node: Call, cols: Columns) -> pd.Series:
    q = node.question.name
    if node.func == "selected":
        return cols.selected(q, node.codes[0].code)
    if node.func == "any-selected":
        return cols.any_of(q, [c.code for c in node.codes])
    answered = cols.answered(q).fillna(False)
    if node.func == "answered":
        return answered.astype("boolean")
    dk = cols.any_of(q, list(cols.dk_of(q))).fillna(False)
    refused = cols.any_of(q, list(cols.refused_of(q))).fillna(False)
    if node.func == "valid":
        return (answered & ~dk & ~refused).astype("boolean")
    if node.func == "dk":
        return dk.astype("boolean")
    if node.func == "refused":
        return refused.astype("boolean")
    raise TypeError(f"{node.func} is not a condition")  # pragma: no cover


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


def evaluate_on(condition: Condition | str, cols: Columns) -> pd.Series:
    """:func:`evaluate` on prepared :class:`Columns` (which cache column conversions between calls)."""
    cond = parse_condition(condition) if isinstance(condition, str) else condition
    return _eval(cond.ast, cols).astype("boolean").rename(None)
