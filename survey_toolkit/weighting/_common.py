"""Shared helpers of the weighting package: canonical codes, row locations, weight checks.

Category codes are matched as **canonical strings** everywhere in weighting: an integer ``1``, a float
``1.0`` read from a CSV export, and the text ``"1"`` or ``" 1 "`` are all the code ``"1"``. Text codes
keep their case (``"Female"`` is not ``"female"``; the error hint says so). Missing values stay missing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..codes import canonical_code, display_values
from ..errors import Location, Problem, Severity

_NUMERIC_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

#: Frame columns that, when present (they are added by the loaders), locate a row in its source file.
SOURCE_ROW = "_source_row"
RECORD_ID = "_record_id"


def canonical_codes(values: pd.Series | Sequence[Any]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer codes (``-1`` = missing) and the canonical category strings of a column, vectorised.

    The column is factorised first, so only its distinct values are converted
    (:func:`survey_toolkit.codes.canonical_code` gives each its canonical string).

    >>> codes, labels = canonical_codes(["2", 1.0, None, "1.0", "b"])
    >>> codes.tolist(), labels
    ([1, 0, -1, 0, 2], ('1', '2', 'b'))
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
    canon = [canonical_code(u) for u in np.asarray(uniques, dtype=object)]
    labels = sorted({c for c in canon if c is not None}, key=_code_sort_key)
    position = {label: i for i, label in enumerate(labels)}
    lookup = np.array([position[c] if c is not None else -1 for c in canon] + [-1], dtype=np.int64)
    codes = lookup[np.where(raw_codes < 0, len(canon), raw_codes)]
    return codes, tuple(labels)


def joint_codes(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Integer codes (-1 if any part is missing) of the cross-classification of ``columns``, and labels.

    Labels join the canonical codes with ``:`` (``"north:1"``); groups are numbered in order of first
    appearance. Only the distinct groups are turned into text.
    """
    n = len(frame)
    key = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    parts = []
    for column in columns:
        codes, labels = canonical_codes(frame[column])
        parts.append((codes, labels))
        missing |= codes < 0
        key = key * (len(labels) + 1) + (codes + 1)
        key = pd.factorize(key)[0].astype(np.int64)
    size = int(key.max()) + 1 if n else 1
    present = np.bincount(key[~missing], minlength=size) > 0
    remap = np.where(present, np.cumsum(present) - 1, -1)
    out = np.where(missing, -1, remap[key])
    rows = np.flatnonzero(~missing)
    first = np.empty(int(present.sum()), dtype=np.int64)
    first[out[rows][::-1]] = rows[::-1]  # the first row of each group
    texts = [":".join(labels[codes[i]] for codes, labels in parts) for i in first]
    return out, texts


def _code_sort_key(code: str) -> tuple[int, float, str]:
    """Numeric codes in numeric order first, then text codes alphabetically."""
    if _NUMERIC_TEXT.match(code):
        return (0, float(code), code)
    return (1, 0.0, code)


def is_numeric_code(code: str) -> bool:
    """True when the canonical code looks like a number (``"1"``, ``"2.5"``)."""
    return bool(_NUMERIC_TEXT.match(code))


def describe_codes(codes: Sequence[str], limit: int = 6) -> str:
    """``'1', '2', '3'`` (with ``...`` after ``limit`` codes) for messages; text that is not code-like is hidden."""
    return display_values(codes, limit)


def row_location(
    frame: pd.DataFrame, positions: np.ndarray, column: str | None = None, file: str | None = None
) -> Location:
    """The location of the first row among ``positions`` (0-based), using the loader's metadata columns."""
    if len(positions) == 0:
        return Location(file=file, field=column)
    first = int(positions[0])
    row = None
    record = None
    if SOURCE_ROW in frame.columns:
        value = frame[SOURCE_ROW].iloc[first]
        row = None if pd.isna(value) else int(value)
    if RECORD_ID in frame.columns:
        value = frame[RECORD_ID].iloc[first]
        record = None if pd.isna(value) else str(value)
    return Location(file=file, row=row, field=column, record_id=record)


def weight_array(
    frame: pd.DataFrame, column: str, what: str = "weight", source: str | None = None
) -> tuple[np.ndarray | None, list[Problem]]:
    """The weights as float64, or None plus problems (unknown column, missing, negative, non-finite)."""
    if column not in frame.columns:
        from ..errors import did_you_mean

        return None, [
            Problem(
                "unknown-weight-column",
                f"the {what} column '{column}' is not in the data",
                Location(file=source, field=column),
                expected="a numeric column of the data",
                got=f"{len(frame.columns)} columns",
                hint=did_you_mean(column, frame.columns)
                or "name the weight column with weights=... or the design",
            )
        ]
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    problems: list[Problem] = []
    blank = frame[column].astype("string").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
    bad_text = frame[column].notna().to_numpy() & ~blank & np.isnan(values)  # an empty cell is missing
    missing = np.isnan(values) & ~bad_text
    for mask, code, text in (
        (bad_text, "non-numeric-weight", "is not a number"),
        (missing, "missing-weight", "is missing"),
        (np.isinf(values), "non-finite-weight", "is infinite"),
        (values < 0, "negative-weight", "is negative"),
    ):
        where = np.flatnonzero(mask)
        if len(where):
            problems.append(
                Problem(
                    code,
                    f"the {what} {text} in {len(where)} row(s)",
                    row_location(frame, where, column, source),
                    expected="a finite weight >= 0",
                    count=len(where),
                    hint="fix or drop these rows before weighting",
                )
            )
    return (None if problems else values), problems


def with_column(data: Any, frame: pd.DataFrame) -> Any:
    """``data`` with its frame replaced: a DataFrame is returned as is, a SurveyData is copied."""
    if isinstance(data, pd.DataFrame):
        return frame
    return replace(data, frame=frame)


def frame_of(data: Any) -> pd.DataFrame:
    """The respondent frame of a DataFrame or a :class:`~survey_toolkit.io.base.SurveyData`."""
    if isinstance(data, pd.DataFrame):
        return data
    frame = getattr(data, "frame", None)
    if isinstance(frame, pd.DataFrame):
        return frame
    raise TypeError(f"expected a pandas DataFrame or a SurveyData, got {type(data).__name__}")


def add_weight_column(frame: pd.DataFrame, name: str, weights: np.ndarray) -> pd.DataFrame:
    """A shallow copy of ``frame`` with column ``name`` set to ``weights`` (the input is not touched)."""
    out = frame.copy(deep=False)
    out[name] = weights
    return out


def as_warning(problem: Problem) -> Problem:
    """The same problem with warning severity."""
    return replace(problem, severity=Severity.WARNING)
