"""The AST of the condition language (both dialects) and the functions each dialect knows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..codes import canonical_code

__all__ = [
    "Node", "Ref", "Current", "Literal", "Call", "Compare", "InList", "IsMissing", "BoolOp", "Not", "Arith",
    "Neg", "Path", "Everyone", "Condition", "walk", "FUNCTIONS", "XLSFORM_FUNCTIONS", "ODK_FUNCTIONS",
]  # fmt: skip

#: Indicator functions: name -> (argument kinds, result kind). Kinds: q = question, code, list, num, bool.
FUNCTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "selected": (("q", "code"), "bool"),
    "any-selected": (("q", "list"), "bool"),
    "count-selected": (("q",), "num"),
    "answered": (("q",), "bool"),
    "valid": (("q",), "bool"),
    "dk": (("q",), "bool"),
    "refused": (("q",), "bool"),
}

#: XLSForm functions the toolkit evaluates (data-quality checks): name -> (number of arguments,
#: result kind). The table in docs/formats.md lists them; tests/test_expressions.py keeps the two in step.
XLSFORM_FUNCTIONS: dict[str, tuple[int, str]] = {
    "selected": (2, "bool"),
    "count-selected": (1, "num"),
    "not": (1, "bool"),
    "string-length": (1, "num"),
    "regex": (2, "bool"),
    "true": (0, "bool"),
    "false": (0, "bool"),
    "number": (1, "num"),
    "int": (1, "num"),
}

#: Every function an XLSForm may call (ODK XPath, pyxform and SurveyCTO additions): a name outside
#: this set is reported where the form uses it; one inside it but outside XLSFORM_FUNCTIONS makes
#: the check "not checked".
ODK_FUNCTIONS: frozenset[str] = frozenset(
    """abs acos area asin atan atan2 base64-decode boolean boolean-from-string ceiling checklist coalesce
    concat contains cos count count-non-empty count-selected current date date-time decimal-date
    decimal-date-time decimal-time digest distance duration ends-with exp exp10 false floor format-date
    format-date-time geofence id if indexed-repeat instance int jr:choice-name jr:itext join last lang
    linebreak local-name log log10 max min name normalize-space not now number once pi position pow
    pulldata random randomize regex round selected selected-at sin sqrt starts-with string
    string-length substr substring substring-after substring-before sum tan today translate true
    uuid version weighted-checklist username phonenumber deviceid simserial subscriberid
    plugin-metadata choice-label sort join-if de-duplicate distinct-values""".split()
)


# ---------------------------------------------------------------- AST


@dataclass(frozen=True)
class Ref:
    """A question name (``q`` in indicator conditions, ``${q}`` in XLSForm)."""

    name: str
    offset: int


@dataclass(frozen=True)
class Current:
    """``.`` in an XLSForm constraint: the question's own answer."""

    offset: int = 0


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
    """A function call: ``selected(q, 1)``, ``count-selected(q)``, ``string-length(.)``...

    ``args`` are nodes; :attr:`question` is the first argument and :attr:`codes` the literal codes
    after it (``any-selected(q, [1, 2])`` keeps its list as literal arguments).
    """

    func: str
    args: tuple = ()
    offset: int = 0

    @property
    def question(self):
        return self.args[0] if self.args else None

    @property
    def codes(self) -> tuple[Literal, ...]:
        return tuple(a for a in self.args[1:] if isinstance(a, Literal))


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node
    offset: int = 0


@dataclass(frozen=True)
class InList:
    left: Node
    items: tuple[Literal, ...]
    negated: bool = False
    offset: int = 0


@dataclass(frozen=True)
class IsMissing:
    """``q is missing`` (indicators); ``${q} = ''`` in XLSForm means the same."""

    question: Node
    negated: bool = False
    offset: int = 0


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple
    offset: int = 0


@dataclass(frozen=True)
class Not:
    operand: Node
    offset: int = 0


@dataclass(frozen=True)
class Arith:
    """``a + b - c`` as one flat node: ``ops[i]`` joins ``operands[i]`` and ``operands[i + 1]``."""

    ops: tuple[str, ...]
    operands: tuple
    offset: int = 0


@dataclass(frozen=True)
class Neg:
    operand: Node
    offset: int = 0


@dataclass(frozen=True)
class Path:
    """An XPath location path (``instance('x')/root/item[...]``, ``../q``): parsed, never evaluated."""

    text: str
    offset: int = 0
    parts: tuple = ()


@dataclass(frozen=True)
class Everyone:
    """``all``: True for every respondent (``universe: all`` when the survey has no consent question)."""

    offset: int = 0


Node = (
    Compare
    | InList
    | IsMissing
    | BoolOp
    | Not
    | Call
    | Everyone
    | Arith
    | Neg
    | Ref
    | Current
    | Literal
    | Path
)


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, depth first (question references and literals included)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (BoolOp, Arith)):
            stack.extend(reversed(n.operands))
        elif isinstance(n, (Not, Neg)):
            stack.append(n.operand)
        elif isinstance(n, Compare):
            stack.extend((n.right, n.left))
        elif isinstance(n, InList):
            stack.extend(reversed((n.left, *n.items)))
        elif isinstance(n, Call):
            stack.extend(reversed(n.args))
        elif isinstance(n, IsMissing):
            stack.append(n.question)
        elif isinstance(n, Path):
            stack.extend(reversed(n.parts))


@dataclass(frozen=True)
class Condition:
    """A parsed condition or form expression: the source text, its AST and its dialect."""

    text: str
    ast: Node = field(compare=False)
    dialect: str = field(default="indicator", compare=False)

    def questions(self) -> set[str]:
        """Names of every question the expression refers to."""
        return {n.name for n in walk(self.ast) if isinstance(n, Ref)}

    def references(self) -> list[Ref]:
        """Every question reference in order, with its offset in the text."""
        return [n for n in walk(self.ast) if isinstance(n, Ref)]

    def calls(self) -> list[Call]:
        """Every function call, in order."""
        return [n for n in walk(self.ast) if isinstance(n, Call)]

    def __str__(self) -> str:
        return self.text
