"""Form constraints for the quality checks: the old parse_constraint/evaluate_constraint over expressions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..expressions import (
    Columns,
    Condition,
    ConditionSyntaxError,
    UnsupportedExpression,
    evaluate_on,
    parse_xlsform,
    unsupported,
)
from ..instrument import Instrument


def _unique_rows(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct rows of ``frame[columns]`` and, per row of ``frame``, the position of its distinct row.

    Checks run on the distinct values only (few: codes, ages) and are spread back with one take.
    """
    keys = frame[list(columns)]
    hashes = pd.util.hash_pandas_object(keys, index=False).to_numpy()
    codes, _ = pd.factorize(hashes)
    first = np.unique(codes, return_index=True)[1]
    return keys.iloc[first], codes


class _Legacy(tuple):
    """:func:`parse_constraint`'s result: the old tuple form, carrying the parsed expression."""

    condition: Condition


def parse_constraint(text: str) -> tuple:
    """Parse an XLSForm constraint (or relevant) expression (deprecated: use
    :func:`survey_toolkit.expressions.parse_xlsform`).

    Returns the expression as nested tuples (``("bin", op, left, right)``, ``("lit", value)``,
    ``("dot",)``, ``("ref", name)``, ``("call", name, args)``, ``("neg", x)``). A syntax error or a
    function the checks do not evaluate raises :class:`UnsupportedExpression`.

    >>> parse_constraint(". >= 18 and . <= 110")
    ('bin', 'and', ('bin', '>=', ('dot',), ('lit', 18.0)), ('bin', '<=', ('dot',), ('lit', 110.0)))
    """
    condition = _parse_checked(text)
    out = _Legacy(_as_tuple(condition.ast))
    out.condition = condition
    return out


def _parse_checked(text: str) -> Condition:
    """The parsed expression, or :class:`UnsupportedExpression` saying why it cannot be evaluated."""
    try:
        condition = parse_xlsform(text)
    except ConditionSyntaxError as exc:
        raise UnsupportedExpression(
            f"{exc.message} (at character {exc.offset + 1})", exc.offset, exc.hint
        ) from None
    problem = unsupported(condition)
    if problem is not None:
        raise problem
    return condition


def _as_tuple(node) -> tuple:
    """The old nested-tuple form of an expression node (chains become left-nested binary tuples)."""
    from ..expressions import syntax as x

    if isinstance(node, x.Literal):
        return ("lit", node.value)
    if isinstance(node, x.Current):
        return ("dot",)
    if isinstance(node, x.Ref):
        return ("ref", node.name)
    if isinstance(node, x.Neg):
        return ("neg", _as_tuple(node.operand))
    if isinstance(node, x.Call):
        return ("call", node.func, tuple(_as_tuple(a) for a in node.args))
    if isinstance(node, x.Compare):
        return ("bin", node.op, _as_tuple(node.left), _as_tuple(node.right))
    if isinstance(node, x.IsMissing):
        return ("bin", "!=" if node.negated else "=", _as_tuple(node.question), ("lit", ""))
    if isinstance(node, (x.BoolOp, x.Arith)):
        ops = (node.op,) * (len(node.operands) - 1) if isinstance(node, x.BoolOp) else node.ops
        out = _as_tuple(node.operands[0])
        for op, operand in zip(ops, node.operands[1:], strict=True):
            out = ("bin", op, out, _as_tuple(operand))
        return out
    raise UnsupportedExpression(f"'{node}' is not supported")  # pragma: no cover


def evaluate_constraint(
    tree: tuple | Condition | str, frame: pd.DataFrame, current: str, instrument: Instrument | None = None
) -> pd.Series:
    """Evaluate an XLSForm expression on every row of ``frame`` with ``.`` = the column ``current``.

    ``tree`` is an expression (text), a parsed :class:`~survey_toolkit.expressions.Condition` or
    :func:`parse_constraint`'s result. Returns a nullable boolean Series: True (satisfied), False
    (broken) or <NA> (cannot tell, for example when a referenced answer is missing). Vectorised:
    evaluated once per distinct combination of the columns it reads.
    """
    condition = _condition_of(tree)
    columns = list(dict.fromkeys([current, *(r.name for r in condition.references())]))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UnsupportedExpression(f"it refers to '{missing[0]}', which is not a column of the main table")
    distinct, where = _unique_rows(frame, columns)
    distinct = distinct.reset_index(drop=True)
    kinds = _kinds(instrument, columns)
    result = evaluate_on(condition, Columns(distinct, kinds), current=current)
    return pd.Series(result.array[where], index=frame.index)


def _condition_of(tree: tuple | Condition | str) -> Condition:
    if isinstance(tree, Condition):
        return tree
    if isinstance(tree, str):
        return _parse_checked(tree)
    condition = getattr(tree, "condition", None)
    if condition is None:
        raise UnsupportedExpression("pass the expression text or parse_constraint()'s result")
    return condition


def _kinds(instrument: Instrument | None, columns: Sequence[str]) -> dict[str, str]:
    """Question kinds from the form (numeric, select_one, select_multiple, text) for ``columns``."""
    if instrument is None:
        return {}
    from ..indicators.semantics import instrument_kinds

    kinds = instrument_kinds(instrument)
    return {c: kinds[c] for c in columns if c in kinds}
