"""Choice codes: the one canonical spelling of a code, and how a raw value may be shown in a message.

Every layer (instrument, loaders, indicator conditions, weighting margins, data-quality checks)
compares codes through :func:`canonical_code`, so ``1``, ``1.0``, ``"1.0"``, ``" 1 "`` and ``True``
are the same code ``"1"`` everywhere.

:func:`display_value` decides whether a value found in the data may be printed (messages,
``quality.csv``, ``inspect``): only values that look like a choice code or a plausible number are;
anything else (a name, a phone number, a date of birth, free text) becomes ``<text, N characters>``.
It is the one place that decides: every message, problems table and findings file that names a
value from the data goes through it (or :func:`display_values` for a list). A user who needs the
values themselves asks for them: ``--show-values`` on the command line, ``show_values=True`` in
:func:`survey_toolkit.pipeline.run`, or ``with showing_values():`` around any call; control
characters are still escaped then (:func:`printable`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "canonical_code",
    "display_value",
    "display_values",
    "looks_like_code",
    "is_number_text",
    "printable",
    "showing_values",
    "values_shown",
    "special_code_kind",
    "SPECIAL_CODE_LABELS",
]

_INTEGRAL_TEXT = re.compile(r"^([+-]?\d+)\.0*$")

#: A code-like token: lower-case letters, digits, ``_`` or ``-`` (XLSForm names), at most 12 characters
#: with at least one letter or ``_``, or a short upper-case token (``A``, ``DK``); mixed case such
#: as ``Jane`` is treated as text.
#: Also an upper-case code mixing letters and digits such as ``R01D04`` or ``R01D04-2`` (location and
#: stratum codes), with no run of more than 4 digits (so an id or phone number never matches).
_CODE_TOKEN = re.compile(
    r"^(?=.*[a-z_])[a-z0-9_\-]{1,12}$|^[A-Z][A-Z0-9_]{0,3}$|^(?!.*\d{5})(?=.*\d)[A-Z][A-Z0-9]*(?:[_\-][A-Z0-9]+)*$"
)
_MAX_CODE = 16
#: C0/C1 control characters, DEL, and the bidirectional overrides that reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SHOW_VALUES: ContextVar[bool] = ContextVar("survey_toolkit_show_values", default=False)
#: A plausible number: at most 4 integer digits (codes 98/-99, ages, counts), so phone numbers,
#: ids and dates never match.
_SHORT_NUMBER = re.compile(r"^[+-]?\d{1,4}(\.\d{1,4})?$")


def canonical_code(value: Any) -> str | None:
    """The canonical string of one choice code, or None when the value is missing.

    ``1``, ``1.0``, ``"1.0"`` and ``" 1 "`` give ``"1"``; booleans give ``"1"``/``"0"`` (KoBo
    select_multiple dummies); None, NaN, ``pd.NA``, ``NaT`` and blank text give None; other
    numbers are written positionally (``2.5`` -> ``"2.5"``); other text is only stripped. Words such as
    ``"none"``, ``"n/a"``, ``"na"`` or ``"NA"`` are codes like any other: only an empty cell is missing
    (markers such as R's ``NA`` are the loaders' job, see ``survey_toolkit.io.values.NA_VALUES``).

    >>> [canonical_code(v) for v in (1, 1.0, "1.0", " yes ", True, float("nan"), 2.5, "none", "")]
    ['1', '1', '1', 'yes', '1', None, '2.5', 'none', None]
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
    if not text:
        return None
    m = _INTEGRAL_TEXT.match(text)
    if m:
        return m.group(1).lstrip("+")
    return text


def is_number_text(text: str) -> bool:
    """True when ``text`` reads as a number (``float(text)`` accepts it: ``"1"``, ``"2.5"``, ``"-99"``)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def looks_like_code(value: Any) -> bool:
    """True when ``value`` may be printed: a code-like token or a short, plausible number.

    >>> [looks_like_code(v) for v in ("dk", "R01D04-2", 98, "Jane", "+237699123456", "AB1234567")]
    [True, True, True, False, False, False]
    """
    text = value if isinstance(value, str) else canonical_code(value)
    if text is None:
        return False
    text = text.strip()
    if len(text) > _MAX_CODE:
        return False
    return bool(_CODE_TOKEN.match(text) or _SHORT_NUMBER.match(text))


def printable(text: Any) -> str:
    """``text`` with control characters (terminal escapes, NUL, bidi overrides) shown as ``\\xNN`` escapes.

    Newlines and tabs are kept. Applied to everything the CLI prints and to ``str(problem)``.

    >>> print(printable("ok\\x1b[31m red"))
    ok\\x1b[31m red
    """
    text = str(text)
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@contextmanager
def showing_values(show: bool = True) -> Iterator[None]:
    """Within the block, :func:`display_value` shows the data's values themselves (``--show-values``)."""
    token = _SHOW_VALUES.set(bool(show))
    try:
        yield
    finally:
        _SHOW_VALUES.reset(token)


def values_shown() -> bool:
    """True inside :func:`showing_values` (the user asked to see the data's values)."""
    return _SHOW_VALUES.get()


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
    if values_shown():
        return printable(text)
    return f"<text, {len(text)} characters>"


def display_values(values: Iterable[Any], limit: int = 6) -> str:
    """Several values for a message: ``'1', '2', '<text, 8 characters>'`` (``...`` after ``limit``).

    >>> display_values(["1", "Jane Doe"])
    "'1', '<text, 8 characters>'"
    """
    values = list(values)
    shown = ", ".join(f"'{display_value(v)}'" for v in values[:limit])
    return shown + (", ..." if len(values) > limit else "")


#: Label beginnings that declare a non-substantive answer, per kind, in English, French, Spanish,
#: Portuguese and Arabic (compared after case folding, accents and punctuation removed). A label
#: *starting* with one of them counts ("DON'T KNOW WHEN DECIDED"); one that only contains it
#: ("SURPRISED -- DON'T KNOW WHY") does not.
SPECIAL_CODE_LABELS: dict[str, tuple[str, ...]] = {
    "dk": (
        "dk", "don t know", "dont know", "do not know", "not sure", "ne sait pas", "ne sais pas", "nsp",
        "no sabe", "no se", "ns", "nao sabe", "nao sei", "لا أعرف", "لا اعرف", "لا يعرف", "لا أدري", "لا ادري",
    ),
    "refused": (
        "refused", "refuse", "refuses", "refusal", "rf", "decline", "declined", "declines", "prefer not",
        "prefers not", "refus", "refuse de repondre", "prefere ne pas", "se niega", "se nego", "rechaza",
        "no responde", "prefiere no", "recusa", "recusou", "prefiro nao", "prefere nao", "رفض", "يرفض",
        "أفضل عدم", "افضل عدم",
    ),
    "not_applicable": (
        "not applicable", "n a", "inap", "inapplicable", "non applicable", "sans objet", "ne s applique pas",
        "no aplica", "no aplicable", "no corresponde", "nao se aplica", "nao aplicavel", "لا ينطبق",
    ),
}  # fmt: skip


def _normalise_label(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", str(text).casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch) or "\u0600" <= ch <= "\u06ff")
    plain = re.sub(r"^\s*[-+]?\d+\s*[.:=)\-]?\s*", "", plain)  # "98. Don't know" -> "don't know"
    return " ".join(re.sub(r"[^\w\u0600-\u06ff]+", " ", plain).split())


_SPECIAL_PATTERNS = {
    kind: tuple(_normalise_label(p) for p in patterns) for kind, patterns in SPECIAL_CODE_LABELS.items()
}


def special_code_kind(label: Any) -> str | None:
    """``"dk"``, ``"refused"`` or ``"not_applicable"`` when a value/choice label declares that kind of
    non-answer (``"Don't know"``, ``"Ne sait pas"``, ``"Decline to answer"``, ``"-99 Refused"``,
    ``"لا أعرف"``), else None.

    >>> [special_code_kind(t) for t in ("Don't know", "Refusé", "Prefer not to say", "Sans objet", "Yes")]
    ['dk', 'refused', 'refused', 'not_applicable', None]
    """
    if label is None:
        return None
    text = _normalise_label(label)
    if not text:
        return None
    for kind in ("not_applicable", "refused", "dk"):  # "no se aplica" is not "no sé"
        for p in _SPECIAL_PATTERNS[kind]:
            if text == p or text.startswith(p + " "):
                return kind
    return None
