"""Choice codes: the one canonical spelling of a code, and how a raw value may be shown in a message.

Every layer (instrument, loaders, indicator conditions, weighting margins, data-quality checks)
compares codes through :func:`canonical_code`, so ``1``, ``1.0``, ``"1.0"``, ``" 1 "`` and ``True``
are the same code ``"1"`` everywhere.

:func:`display_value` decides whether a value found in the data may be printed (messages,
``quality.csv``, ``inspect``): only values that look like a choice code or a plausible number are;
anything else (a name, a phone number, a date of birth, free text) becomes ``<text, N characters>``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["canonical_code", "display_value", "looks_like_code"]

_INTEGRAL_TEXT = re.compile(r"^([+-]?\d+)\.0*$")
_MISSING_TEXT = frozenset({"", "nan", "<na>", "none", "nat", "n/a"})

#: A code-like token: lower-case letters, digits, ``_`` or ``-`` (XLSForm names), at most 12 characters
#: with at least one letter or ``_``, or a short upper-case token (``A``, ``DK``); mixed case such
#: as ``Jane`` is treated as text.
_CODE_TOKEN = re.compile(r"^(?=.*[a-z_])[a-z0-9_\-]{1,12}$|^[A-Z][A-Z0-9_]{0,3}$")
#: A plausible number: at most 4 integer digits (codes 98/-99, ages, counts), so phone numbers,
#: ids and dates never match.
_SHORT_NUMBER = re.compile(r"^[+-]?\d{1,4}(\.\d{1,4})?$")


def canonical_code(value: Any) -> str | None:
    """The canonical string of one choice code, or None when the value is missing.

    ``1``, ``1.0``, ``"1.0"`` and ``" 1 "`` give ``"1"``; booleans give ``"1"``/``"0"`` (KoBo
    select_multiple dummies); None, NaN, ``pd.NA`` and blank/``"nan"`` text give None; other
    numbers are written positionally (``2.5`` -> ``"2.5"``); other text is only stripped.

    >>> [canonical_code(v) for v in (1, 1.0, "1.0", " yes ", True, float("nan"), 2.5)]
    ['1', '1', '1', 'yes', '1', None, '2.5']
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if f != f or f in (float("inf"), float("-inf")):
            return None if f != f else str(f)
        return str(int(f)) if f.is_integer() else np.format_float_positional(f, trim="-")
    text = str(value).strip()
    if text.lower() in _MISSING_TEXT:
        return None
    m = _INTEGRAL_TEXT.match(text)
    if m:
        return m.group(1).lstrip("+")
    return text


def looks_like_code(value: Any) -> bool:
    """True when ``value`` may be printed: a code-like token or a short, plausible number."""
    text = value if isinstance(value, str) else canonical_code(value)
    if text is None:
        return False
    text = text.strip()
    return bool(_CODE_TOKEN.match(text) or _SHORT_NUMBER.match(text))


def display_value(value: Any) -> str:
    """``value`` as it may appear in a message or table: the code itself, or ``<text, N characters>``.

    >>> display_value(5), display_value("dk"), display_value("Jane Doe +237699123456")
    ('5', 'dk', '<text, 22 characters>')
    """
    text = canonical_code(value)
    if text is None:
        return "<missing>"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        text = str(value)  # a number keeps its own spelling (6.0 minutes)
    if looks_like_code(text):
        return text
    return f"<text, {len(text)} characters>"
