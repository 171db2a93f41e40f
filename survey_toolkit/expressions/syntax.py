"""The parser of the one condition language, with two front ends (tokens: tokens.py, AST: nodes.py).

``indicator`` is the language of ``indicators.yaml`` and the project file (``derive:`` rules,
aggregates): ``q in [1, 2] and not dk(r)``. ``xlsform`` is the XPath subset of XLSForm ``relevant``,
``constraint`` and ``calculation`` columns: ``${q} = '1' and count-selected(.) <= 3``. Both share
one tokenizer, one set of AST nodes, one parser class (the boolean layer, nesting limit and located
errors are common) and one evaluator (:mod:`survey_toolkit.expressions.evaluate`). User text is
never passed to ``eval``.

Indicator grammar (lowest precedence first)::

    condition  := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | primary
    primary    := "all" | "(" condition ")" | test_call
                | operand ("=" | "!=" | "<" | "<=" | ">" | ">=") literal
                | operand ["not"] "in" "[" item ("," item)* "]"
                | NAME "is" ["not"] "missing"
    operand    := NAME | "${" NAME "}" | "count-selected" "(" NAME ")"
    item       := literal | INTEGER ".." INTEGER
    literal    := NUMBER | 'text' | "text"

XLSForm grammar (XPath 1.0 as ODK reads it)::

    expr       := and_x ("or" and_x)*
    and_x      := cmp_x ("and" cmp_x)*
    cmp_x      := add_x [("=" | "!=" | "<" | "<=" | ">" | ">=") add_x]     # no chains: 1 < . < 5 is an error
    add_x      := mul_x (("+" | "-") mul_x)*
    mul_x      := unary_x (("*" | "div" | "mod") unary_x)*
    unary_x    := "-" unary_x | path_x
    path_x     := primary_x (("/" | "//") step | "[" expr "]")*
    primary_x  := "${" NAME "}" | "." | ".." | NUMBER | STRING | "(" expr ")" | FUNCTION "(" [expr ("," expr)*] ")"
                | "/" step                                       # absolute paths
    step       := NAME | "." | ".." | "*" | FUNCTION "(" ... ")"  # bare names only inside paths and predicates

Python habits (``==``, ``&&``, ``||``, ``!``, ``True``, ``not x``, ``1 < x < 5``) and bare question
names are errors with a hint. Paths (``instance('l')/root/item[...]``, ``../x``) parse but are not
evaluated.

Limits (both dialects): :data:`MAX_CONDITION_LENGTH` characters and :data:`MAX_CONDITION_DEPTH`
levels of parentheses, ``not``, unary minus, function calls and predicates; ``and``/``or`` and
``+``/``-``/``*`` chains are flat (n-ary) nodes, so parsing and evaluation are linear in the length.
"""

from __future__ import annotations

from ..errors import did_you_mean
from .nodes import (
    FUNCTIONS,
    ODK_FUNCTIONS,
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
    walk,
)
from .tokens import (
    MAX_CONDITION_DEPTH,
    MAX_CONDITION_LENGTH,
    ConditionSyntaxError,
    Dialect,
    ExpressionError,
    Token,
    UnsupportedExpression,
    tokenize,
    typographic_quote_hint,
)

__all__ = [
    "Dialect",
    "ConditionSyntaxError",
    "UnsupportedExpression",
    "ExpressionError",
    "Token",
    "tokenize",
    "Node",
    "Ref",
    "Current",
    "Literal",
    "Call",
    "Compare",
    "InList",
    "IsMissing",
    "BoolOp",
    "Not",
    "Arith",
    "Neg",
    "Path",
    "Everyone",
    "Condition",
    "walk",
    "parse",
    "parse_condition",
    "parse_xlsform",
    "FUNCTIONS",
    "XLSFORM_FUNCTIONS",
    "ODK_FUNCTIONS",
    "MAX_CONDITION_LENGTH",
    "MAX_CONDITION_DEPTH",
    "unsupported",
]


# ---------------------------------------------------------------- parser


class _Parser:
    """One recursive-descent parser; ``dialect`` picks the grammar below the boolean layer."""

    def __init__(self, text: str, dialect: Dialect) -> None:
        self.text = text
        self.dialect = dialect
        self.tokens = tokenize(text, dialect)
        self.i = 0
        self.depth = 0
        self.in_path = 0  # > 0 inside predicates and instance(...) paths: bare names are steps

    # -- shared machinery

    def deeper(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_CONDITION_DEPTH:
            what = "the condition" if self.dialect == "indicator" else "the expression"
            nests = "parentheses and 'not'" if self.dialect == "indicator" else "parentheses, calls and signs"
            raise ConditionSyntaxError(
                f"{what} nests {nests} more than {MAX_CONDITION_DEPTH} levels deep",
                tok.offset,
                "simplify it: 'not not x' is x, and 'and'/'or' chains need no parentheses",
            )

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        tok = self.tokens[self.i]  # the hot path of long chains: plain tuple indexing
        if tok[0] == kind and (text is None or tok[1] == text):
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
        end = "the end of the condition" if self.dialect == "indicator" else "the end of the expression"
        found = end if tok.kind == "end" else f"'{tok.text}'"
        return ConditionSyntaxError(f"{expected} but found {found}", tok.offset, hint)

    def parse(self) -> Node:
        if self.tok.kind == "end":
            if self.dialect == "indicator":
                raise ConditionSyntaxError("the condition is empty", 0, "write a condition such as: q = 1")
            raise ConditionSyntaxError(
                "the expression is empty", 0, "write an expression such as: ${q} = '1'"
            )
        node = self.or_expr()
        if self.tok.kind != "end":
            if self.dialect == "xlsform":
                raise self._x_trailing()
            hint = None
            if self.tok.kind in ("name", "number", "string"):
                hint = "combine conditions with 'and' or 'or'"
            raise self.error("expected 'and', 'or' or the end of the condition", hint)
        return node

    def or_expr(self) -> Node:
        return self._chain("or", self.and_expr)

    def and_expr(self) -> Node:
        return self._chain("and", self.not_expr if self.dialect == "indicator" else self.x_compare)

    def _chain(self, op: str, sub) -> Node:
        start = self.tok.offset
        operands = [sub()]
        while self.accept("keyword", op):
            operands.append(sub())
        return operands[0] if len(operands) == 1 else BoolOp(op, tuple(operands), start)

    # -- indicator front end

    def _prefixed(self, kind: str, text: str, operand, make) -> Node:
        """Repeated prefix operators (``not not x``, ``--x``): each counts one nesting level."""
        ops: list[Token] = []
        while (tok := self.accept(kind, text)) is not None:
            self.deeper(tok)
            ops.append(tok)
        node = operand()
        for tok in reversed(ops):
            node = make(node, tok.offset)
        self.depth -= len(ops)
        return node

    def not_expr(self) -> Node:
        return self._prefixed("keyword", "not", self.primary, Not)

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
        after = self.peek()
        if tok.text == "all" and (after.kind == "end" or after.text in (")", "and", "or")):
            self.take()
            return Everyone(tok.offset)
        if after.text == "(":
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
        if op and op.text in ("=", "!=", "<", "<=", ">", ">=", "=="):
            right = self.literal()
            return Compare("=" if op.text == "==" else op.text, left, right, start)
        if op:
            self.i -= 1
        negated = False
        if self.tok.kind == "keyword" and self.tok.text == "not" and self.peek().text == "in":
            self.take()
            negated = True
        if self.accept("keyword", "in"):
            return InList(left, self.code_list(), negated, start)
        what = left.name if isinstance(left, Ref) else left.func + "(...)"
        raise self.error(
            f"expected a comparison after '{what}' (=, !=, <, <=, >, >=, in [...], is missing)",
            "a question alone is not a condition: write e.g. " + f"{what} = 1"
            + (f", or selected({what}, 1) for a select_multiple question" if isinstance(left, Ref) else ""),
        )

    def literal(self) -> Literal:
        tok = self.tok
        sign = ""
        if tok.kind == "op" and tok.text == "-" and self.peek().kind == "number":
            self.take()
            sign = "-"
        num = self.tok
        if self.accept("number"):
            value = float(sign + num.text)
            whole = value.is_integer() and "." not in num.text
            return Literal(int(value) if whole else value, tok.offset)
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
        return Call(tok.text, (question, *codes), tok.offset)

    def _question_arg(self, func: str) -> Ref:
        tok = self.tok
        if not self.accept("name"):
            raise self.error(f"expected a question name inside {func}(")
        return Ref(tok.text, tok.offset)

    # -- XLSForm front end

    _CMP = ("=", "!=", "<", "<=", ">", ">=")

    def x_compare(self) -> Node:
        left = self.x_add()
        tok = self.tokens[self.i]
        if tok.kind == "op" and tok.text == "==":
            raise ConditionSyntaxError("'==' is not XLSForm", tok.offset, "write '=' to compare")
        if not (tok.kind == "op" and tok.text in self._CMP):
            return left
        self.take()
        if self.tokens[self.i].kind == "op" and self.tokens[self.i].text in ("<", ">", "="):
            bad = tok.text + self.tokens[self.i].text
            raise ConditionSyntaxError(
                f"'{bad}' is not an operator", tok.offset, "write <=, >= or != (one operator, no space)"
            )
        right = self.x_add()
        nxt = self.tokens[self.i]
        if nxt.kind == "op" and nxt.text in (*self._CMP, "=="):
            raise ConditionSyntaxError(
                f"a chained comparison ('{tok.text}' then '{nxt.text}') does not mean what it says in XLSForm",
                nxt.offset,
                "write each comparison separately: . > 1 and . < 5",
            )
        return self._x_compare_node(tok.text, left, right)

    @staticmethod
    def _x_compare_node(op: str, left: Node, right: Node) -> Node:
        """``${q} = ''`` is "q is not answered" (ODK: a blank answer is the empty string)."""
        for a, b in ((left, right), (right, left)):
            if (
                op in ("=", "!=")
                and isinstance(b, Literal)
                and b.value == ""
                and isinstance(a, (Ref, Current))
            ):
                return IsMissing(a, op == "!=", a.offset)
        return Compare(op, left, right, left.offset if hasattr(left, "offset") else 0)

    def _x_flat(self, ops: tuple[str, ...], sub) -> Node:
        start = self.tokens[self.i].offset
        operands = [sub()]
        signs: list[str] = []
        while True:
            tok = self.tokens[self.i]
            if (tok.kind == "op" and tok.text in ops) or (tok.kind == "keyword" and tok.text in ops):
                self.take()
                signs.append(tok.text)
                operands.append(sub())
            else:
                break
        return operands[0] if not signs else Arith(tuple(signs), tuple(operands), start)

    def x_add(self) -> Node:
        return self._x_flat(("+", "-"), self.x_mul)

    def x_mul(self) -> Node:
        return self._x_flat(("*", "div", "mod"), self.x_unary)

    def x_unary(self) -> Node:
        return self._prefixed("op", "-", self.x_path, Neg)

    def x_path(self) -> Node:
        start = self.tokens[self.i]
        node = self.x_primary()
        parts: list = [node]
        while True:
            tok = self.tokens[self.i]
            if tok.kind == "op" and tok.text in ("/", "//"):
                self.take()
                parts.append(self.x_step())
            elif tok.kind == "punct" and tok.text == "[":
                self.take()
                self.deeper(tok)
                self.in_path += 1
                parts.append(self.or_expr())
                self.in_path -= 1
                self.depth -= 1
                if not self.accept("punct", "]"):
                    raise self.error("expected ']' to close the '[' at column " + str(tok.offset + 1))
            else:
                break
        if len(parts) == 1 and not isinstance(node, Path):
            return node
        return Path(self.text[start.offset : self.tokens[self.i].offset].strip(), start.offset, tuple(parts))

    def x_step(self) -> Node:
        tok = self.tok
        if tok.kind in ("name", "keyword") and self.peek().text != "(":
            self.take()
            return Path(tok.text, tok.offset)
        if tok.kind in ("dot", "range") or (tok.kind == "op" and tok.text == "*"):
            self.take()
            return Path(tok.text, tok.offset)
        if tok.kind == "name":
            return self.x_call()
        raise self.error("expected a name after '/' in the path")

    def x_primary(self) -> Node:
        tok = self.tokens[self.i]
        kind = tok.kind
        if kind == "ref":
            self.take()
            return Ref(tok.text, tok.offset)
        if kind == "number":
            self.take()
            return Literal(float(tok.text), tok.offset)
        if kind == "string":
            self.take()
            return Literal(tok.text[1:-1], tok.offset)
        if kind == "dot":
            self.take()
            return Current(tok.offset)
        if kind == "range":
            self.take()
            return Path("..", tok.offset)
        if kind == "punct" and tok.text == "(":
            self.take()
            self.deeper(tok)
            node = self.or_expr()
            if not self.accept("punct", ")"):
                raise self.error("expected ')' to close the '(' at column " + str(tok.offset + 1))
            self.depth -= 1
            return node
        if kind == "op" and tok.text in ("/", "//"):
            self.take()
            if self.tokens[self.i].kind in ("name", "keyword", "dot", "range"):
                return Path("/", tok.offset, (self.x_step(),))
            return Path("/", tok.offset)
        if kind == "name" and self.peek().text == "(":
            return self.x_call()
        if kind in ("name", "keyword"):
            return self._x_bare_name(tok)
        if kind == "op" and tok.text == "==":
            raise ConditionSyntaxError("'==' is not XLSForm", tok.offset, "write '=' to compare")
        raise self.error("expected a value: ${name}, '.', a number, quoted text, a function call or '('")

    def _x_bare_name(self, tok: Token) -> Node:
        word = tok.text
        if self.in_path:  # a child element name in a predicate: instance('x')/root/item[name = ${q}]
            self.take()
            return Path(word, tok.offset)
        if word.lower() in ("true", "false"):
            raise ConditionSyntaxError(
                f"'{word}' is not a value in XLSForm", tok.offset, f"write {word.lower()}() (a function call)"
            )
        if word in ("not", "in", "is", "none", "None", "null"):
            hint = {"not": "'not' is a function in XLSForm: write not(...)",
                    "in": "write selected(${q}, 'code') or a list of comparisons joined by 'or'"}.get(
                word, "compare with '' for a blank answer: ${q} = ''"
            )  # fmt: skip
            raise ConditionSyntaxError(f"'{word}' is not XLSForm", tok.offset, hint)
        if word in ("and", "or", "div", "mod"):
            raise self.error("expected a value before '" + word + "'")
        raise ConditionSyntaxError(
            f"'{word}' is a bare name: XLSForm refers to a question as ${{{word}}}",
            tok.offset,
            f"write ${{{word}}} (or quote '{word}' if it is a code)",
        )

    def x_call(self) -> Call:
        tok = self.take()
        self.take()  # "("
        self.deeper(tok)
        if tok.text == "instance":
            self.in_path += 1
        args: list[Node] = []
        if not self.accept("punct", ")"):
            while True:
                args.append(self.or_expr())
                if self.accept("punct", ")"):
                    break
                if not self.accept("punct", ","):
                    raise self.error(f"expected ',' or ')' in {tok.text}(")
        if tok.text == "instance":
            self.in_path -= 1
        self.depth -= 1
        arity = XLSFORM_FUNCTIONS.get(tok.text, (None,))[0]
        if arity is not None and len(args) != arity:
            raise ConditionSyntaxError(
                f"{tok.text}() takes {arity} argument(s), got {len(args)}", tok.offset,
                "see the XLSForm functions in docs/formats.md",
            )  # fmt: skip
        return Call(tok.text, tuple(args), tok.offset)

    def _x_trailing(self) -> ConditionSyntaxError:
        tok = self.tok
        if tok.kind == "op" and tok.text == "==":
            return ConditionSyntaxError("'==' is not XLSForm", tok.offset, "write '=' to compare")
        if tok.kind == "punct" and tok.text == ")":
            return ConditionSyntaxError("')' has no matching '('", tok.offset, "remove it or add the '('")
        hint = (
            "combine conditions with 'and' or 'or'"
            if tok.kind in ("ref", "name", "number", "string")
            else None
        )
        return self.error("expected an operator (and, or, =, +, ...) or the end of the expression", hint)


def _check_length(text: object, what: str) -> None:
    if not isinstance(text, str):
        raise ConditionSyntaxError(f"{what} must be text", 0, "quote the condition")
    if len(text) > MAX_CONDITION_LENGTH:
        raise ConditionSyntaxError(
            f"the {what.split()[-1]} is longer than {MAX_CONDITION_LENGTH:,} characters",
            0,
            "split it into several indicators or use a list: q in [1, 2, 3]",
        )


def parse(text: str, dialect: Dialect = "indicator") -> Condition:
    """Parse ``text`` in ``dialect``; raise :class:`ConditionSyntaxError` with an offset."""
    _check_length(text, "a condition" if dialect == "indicator" else "an expression")
    try:
        return Condition(text, _Parser(text, dialect).parse(), dialect)
    except ConditionSyntaxError as exc:
        # a typographic quote closing quoted text ('yes’) breaks the parse further on: name it
        unterminated = exc.message == "unterminated quoted text"  # its offset is the opening quote
        curly = typographic_quote_hint(text, 0, None if unterminated else exc.offset + 1)
        if curly is None or (exc.hint or "").startswith("replace the typographic quote"):
            raise
        curly = f"if it opens or closes quoted text, {curly}"
        raise ConditionSyntaxError(exc.message, exc.offset, f"{exc.hint}; or, {curly}" if exc.hint else curly) from exc


def parse_condition(text: str) -> Condition:
    """Parse an indicator condition (``q in [1, 2] and valid(r)``).

    >>> sorted(parse_condition("b1_safe_dark in [1, 2] and not dk(c1_assault)").questions())
    ['b1_safe_dark', 'c1_assault']
    """
    return parse(text, "indicator")


def parse_xlsform(text: str) -> Condition:
    """Parse an XLSForm ``relevant``/``constraint``/``calculation`` expression.

    >>> parse_xlsform("${a} = '1' and . <= 110").questions()
    {'a'}
    """
    return parse(text, "xlsform")


def unsupported(cond: Condition) -> UnsupportedExpression | None:
    """Why the evaluator cannot evaluate ``cond`` (an unsupported function, a path), or None."""
    for node in walk(cond.ast):
        if isinstance(node, Call) and cond.dialect == "xlsform" and node.func not in XLSFORM_FUNCTIONS:
            return UnsupportedExpression(f"the function {node.func}() is not supported", node.offset)
        if isinstance(node, Path):
            return UnsupportedExpression(f"the path '{node.text}' is not supported", node.offset)
    return None
