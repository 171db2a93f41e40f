"""How questions map to frame columns for the evaluator: codes, numbers, text, selections, missing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Columns", "DEFAULT_DK_CODES", "DEFAULT_REFUSED_CODES"]

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
            rows, answers = self._distinct_answers(q)
            hit = pd.Series(np.array([code in a for a in answers] + [False], dtype=bool)[rows], index=self.frame.index)
        else:
            hit = pd.Series(False, index=self.frame.index)
        hit = hit.astype("boolean").fillna(False)
        return hit.mask(~answered, pd.NA)

    def _distinct_answers(self, q: str) -> tuple[np.ndarray, list[frozenset[str]]]:
        """The space-separated answers of ``q`` as (row -> distinct answer, -1 when missing; each distinct
        answer's set of codes): a code is looked for once per distinct answer, not once per row."""

        def split() -> tuple[np.ndarray, list[frozenset[str]]]:
            rows, uniques = pd.factorize(self.codes(q), use_na_sentinel=True)
            return rows, [frozenset(str(u).split()) for u in uniques]

        return self._cached(("distinct", q), split)

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
