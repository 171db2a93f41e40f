"""The analysis variables read from the frame: numeric values with their validity, category levels and 0/1 indicators, unknown columns as errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EstimationError, Location, Problem, did_you_mean


def _raw_float(s: pd.Series) -> np.ndarray:
    """The column as float64 with NaN for missing (no copy for a float64 column)."""
    if s.dtype == np.float64:
        return s.to_numpy()
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("float64")
    return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(na_value=np.nan)


def _numeric(frame: pd.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray]:
    """Values (0 where missing) and validity of a numeric column."""
    vals = _raw_float(frame[col])
    valid = np.isfinite(vals)
    return np.where(valid, vals, 0.0), valid


def _is_categorical(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)) or isinstance(
        s.dtype, pd.CategoricalDtype
    )


def _levels(s: pd.Series, categories: Any) -> list:
    if categories is not None:
        return list(categories)
    if isinstance(s.dtype, pd.CategoricalDtype):
        return list(s.cat.categories)
    _, uniq = _factorize(s)
    vals = list(uniq)
    try:
        return sorted(vals)
    except TypeError:
        return sorted(vals, key=str)


def _factorize(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy().astype(np.int64), pd.Index(s.cat.categories)
    codes, uniq = pd.factorize(s)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniq)


def _category_indicators(s: pd.Series, levels: list) -> tuple[list[np.ndarray], np.ndarray]:
    """One 0/1 float array per level (a level absent from the data gives zeros), and validity."""
    if not isinstance(s.dtype, pd.CategoricalDtype) and (
        pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)
    ):  # numbers: compare directly, no hashing
        raw = _raw_float(s)
        valid = np.isfinite(raw)
        out = []
        for lv in levels:
            try:
                level = float(lv)
            except (TypeError, ValueError):
                out.append(np.zeros(len(s)))
                continue
            out.append(raw == level)  # bool; NaN never equals a level
        return out, valid
    codes, uniq = _factorize(s)
    valid = codes >= 0
    out = []
    for lv in levels:
        hit = np.flatnonzero(uniq == lv) if len(uniq) else np.array([], dtype=int)
        out.append((codes == hit[0]).astype(float) if hit.size else np.zeros(len(s)))
    return out, valid


def _check_columns(frame: pd.DataFrame, cols: Sequence[str]) -> None:
    problems = [
        Problem(
            "unknown-column",
            f"variable '{c}' is not in the data",
            Location(field=c),
            expected="a column of the frame",
            got="no such column",
            hint=did_you_mean(c, [str(x) for x in frame.columns]),
        )
        for c in cols
        if c not in frame.columns
    ]
    if problems:
        raise EstimationError(problems)


def _require_numeric(s: pd.Series, var: str) -> None:
    if _is_categorical(s):
        raise EstimationError(
            Problem(
                "not-numeric",
                f"variable '{var}' is not numeric",
                Location(field=var),
                expected="numbers",
                got=str(s.dtype),
                hint="ratios and quantiles need numeric columns",
            )
        )
