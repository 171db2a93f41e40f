"""Tokens of the condition language: one pass of one pattern, the limits, and the error classes."""

from __future__ import annotations

import re
from typing import Literal as _Lit
from typing import NamedTuple

__all__ = [
    "Dialect", "ExpressionError", "ConditionSyntaxError", "UnsupportedExpression", "Token", "tokenize",
    "MAX_CONDITION_LENGTH", "MAX_CONDITION_DEPTH", "TYPOGRAPHIC_QUOTES", "typographic_quote_hint",
]  # fmt: skip

Dialect = _Lit["indicator", "xlsform"]

#: Limits on one condition or form expression (docs/indicators.md, docs/formats.md): its length in
#: characters and how deeply parentheses, ``not``, unary minus, calls and predicates may nest.
#: Deeper expressions are a located error, not a crash.
MAX_CONDITION_LENGTH = 1_000_000
MAX_CONDITION_DEPTH = 50


class ExpressionError(ValueError):
    """An expression that cannot be used; ``offset`` is the 0-based position in the text."""

    def __init__(self, message: str, offset: int = 0, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint


class ConditionSyntaxError(ExpressionError):
    """An expression that cannot be parsed (a syntax error, a limit exceeded)."""


class UnsupportedExpression(ExpressionError):
    """A well-formed XLSForm expression using something the toolkit does not evaluate (a function,
    a path, a question outside the table): the check it belongs to is listed as not checked."""


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    \s*(?:
    (?P<ref>\$\{[^}\n]*\})
  | (?P<range>\.\.)
  | (?P<number>(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<dot>\.)
  | (?P<name>[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)
  | (?P<string>'[^'\n]*'|"[^"\n]*")
  | (?P<op>!=|<=|>=|==|=|<|>|\+|-|\*|//|/)
  | (?P<punct>[()\[\],])
  | (?P<bad>\S)
    )""",
    re.VERBOSE | re.DOTALL,
)
_REF_NAME = re.compile(r"\s*([A-Za-z_][\w.\-]*)\s*")
_KEYWORDS = {
    "indicator": frozenset({"and", "or", "not", "in", "is", "missing"}),
    "xlsform": frozenset({"and", "or", "div", "mod"}),
}
#: Tokens a dialect does not have: reported as bad characters.
_NOT_IN = {"indicator": frozenset({"dot", "+", "*", "/", "//"}), "xlsform": frozenset()}


_PLAIN = frozenset({"number", "string", "op", "punct"})


class Token(NamedTuple):
    kind: str  # name, keyword, number, string, op, punct, range, dot, end
    text: str
    offset: int


def tokenize(text: str, dialect: Dialect = "indicator") -> list[Token]:
    """Split ``text`` into tokens; raise :class:`ConditionSyntaxError` at the first bad character.

    One pass of the compiled pattern over the text (linear: 20,000 terms take a fraction of a second).
    """
    tokens: list[Token] = []
    append = tokens.append
    keywords, missing = _KEYWORDS[dialect], _NOT_IN[dialect]
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        start, end = m.span(kind)
        word = text[start:end]
        if kind in _PLAIN and word not in missing:
            append(Token(kind, word, start))
            continue
        if kind == "name":
            if ":" in word and dialect == "indicator":
                raise _bad_character(text, start + word.index(":"))
            if word in keywords:
                kind = "keyword"
        elif kind == "ref":
            inner = _REF_NAME.fullmatch(word[2:-1])
            if inner is None:
                raise ConditionSyntaxError(
                    f"'{word}' is not a question reference", start, "write ${name} with the question's name"
                )
            kind, word = "name" if dialect == "indicator" else "ref", inner.group(1)
        elif kind == "bad":
            raise _bad_character(text, start)
        if kind in missing or (kind == "op" and word in missing):
            raise _bad_character(text, start)
        append(Token(kind, word, start))
    append(Token("end", "", len(text)))
    return tokens


_QUOTE_HINT = "close the quoted text with a matching quote on the same line"

#: Quotes that Word, Excel and e-mail put in place of ' and " ("smart quotes"), with the straight
#: quote each stands for and its Unicode name.
TYPOGRAPHIC_QUOTES: dict[str, tuple[str, str]] = {
    "\u2018": ("'", "left single quotation mark"),
    "\u2019": ("'", "right single quotation mark"),
    "\u201a": ("'", "single low-9 quotation mark"),
    "\u201b": ("'", "single high-reversed-9 quotation mark"),
    "\u2032": ("'", "prime"),
    "\u00b4": ("'", "acute accent"),
    "`": ("'", "grave accent"),
    "\u201c": ('"', "left double quotation mark"),
    "\u201d": ('"', "right double quotation mark"),
    "\u201e": ('"', "double low-9 quotation mark"),
    "\u201f": ('"', "double high-reversed-9 quotation mark"),
    "\u2033": ('"', "double prime"),
    "\u00ab": ('"', "left-pointing double angle quotation mark"),
    "\u00bb": ('"', "right-pointing double angle quotation mark"),
}
_TYPOGRAPHIC = re.compile("[" + "".join(TYPOGRAPHIC_QUOTES) + "]")


def typographic_quote_hint(text: str, pos: int = 0, end: int | None = None) -> str | None:
    """The fix for the first typographic quote of ``text[pos:end]``, or None when there is none.

    >>> typographic_quote_hint("${q} = \u20181\u2019")
    "replace the typographic quote \u2018 (left single quotation mark, character 8 of the expression) with a straight quote ', and any other (Word and Excel type them: turn off smart quotes or retype the quotes)"
    """
    found = _TYPOGRAPHIC.search(text, pos, len(text) if end is None else end)
    if found is None:
        return None
    straight, name = TYPOGRAPHIC_QUOTES[found.group()]
    return (
        f"replace the typographic quote {found.group()} ({name}, character {found.start() + 1} of the expression) "
        f"with a straight "
        f"quote {straight}, and any other (Word and Excel type them: turn off smart quotes or retype the quotes)"
    )


def _bad_character(text: str, pos: int) -> ConditionSyntaxError:
    ch = text[pos]
    hints = {
        "&": "use 'and' to combine conditions",
        "|": "use 'or' to combine conditions",
        "!": "use 'not' or '!='",
        "'": _QUOTE_HINT,
        '"': _QUOTE_HINT,
        "$": "write a question reference as ${name}",
    }
    if ch in TYPOGRAPHIC_QUOTES:
        message = f"typographic quote {ch} ({TYPOGRAPHIC_QUOTES[ch][1]}) where a straight quote is expected"
        return ConditionSyntaxError(message, pos, typographic_quote_hint(text, pos))
    if text.startswith(("&&", "||"), pos):
        ch = text[pos : pos + 2]
    message = "unterminated quoted text" if ch in "'\"" else f"unexpected character '{ch}'"
    return ConditionSyntaxError(message, pos, hints.get(ch[0]))
