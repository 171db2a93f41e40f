"""SPSS/Stata missing values: user-missing codes and ranges, Survey Solutions' markers, and their reports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...codes import canonical_code
from ...errors import Location, Problem, Severity
from .file import _Raw

#: Survey Solutions writes these for questions that were enabled but not answered.
SUSO_MISSING_NUMBER = -999999999.0
SUSO_MISSING_TEXT = "##N/A##"


def _missing_codes(meta: Any, column: str) -> tuple[str, ...]:
    """Declared user-missing codes of ``column`` as strings (ranges as ``"lo..hi"``)."""
    out: list[str] = []
    for rng in (getattr(meta, "missing_ranges", None) or {}).get(column, []):
        lo, hi = rng.get("lo"), rng.get("hi")
        out.append(canonical_code(lo) if lo == hi else f"{canonical_code(lo)}..{canonical_code(hi)}")
    for letter in (getattr(meta, "missing_user_values", None) or {}).get(column, []):
        out.append(f".{letter}" if not str(letter).startswith(".") else str(letter))
    return tuple(out)


def _user_missing_mask(series: pd.Series, meta: Any, column: str) -> np.ndarray:
    """Boolean mask of the values of ``series`` that are declared user-missing."""
    mask = np.zeros(len(series), dtype=bool)
    ranges = (getattr(meta, "missing_ranges", None) or {}).get(column, [])
    letters = (getattr(meta, "missing_user_values", None) or {}).get(column, [])
    if series.dtype == object:
        # Stata extended missing values come back as letters inside a numeric column
        as_text = series.map(lambda v: isinstance(v, str))
        mask |= as_text.to_numpy(dtype=bool)
        return mask
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        for rng in ranges:
            mask |= (values >= float(rng["lo"])) & (values <= float(rng["hi"]))
    elif ranges:
        values = series.astype("string")
        for rng in ranges:
            mask |= ((values >= str(rng["lo"])) & (values <= str(rng["hi"]))).fillna(False).to_numpy(bool)
    del letters
    return mask


def _blank_to_na(series: pd.Series) -> pd.Series:
    """String column with empty/blank strings and Survey Solutions' ``##N/A##`` as NA."""
    s = series.astype("string")
    stripped = s.str.strip()
    return s.mask(stripped.eq("") | stripped.eq(SUSO_MISSING_TEXT))


def _suso_to_na(series: pd.Series) -> tuple[pd.Series, int]:
    if pd.api.types.is_float_dtype(series.dtype):
        hit = series.to_numpy() == SUSO_MISSING_NUMBER
        # latitude/longitude written as float32 give -1e9 rather than exactly -999999999
        hit |= np.isclose(series.to_numpy(), SUSO_MISSING_NUMBER, rtol=1e-6, atol=0)
        n = int(hit.sum())
        return (series.mask(hit) if n else series), n
    return series, 0


def _user_missing_problems(
    path: Path,
    kept: Sequence[tuple[str, tuple[str, ...], int]],
    lost: Sequence[tuple[str, tuple[str, ...], int]],
) -> list[Problem]:
    """One summarising problem for the columns whose user-missing values were kept as codes (info)
    and one for Stata missing letters that a numeric question could not keep (warning)."""
    out = []
    for entries, code, severity in (
        (kept, "user-missing", Severity.INFO),
        (lost, "user-missing-lost", Severity.WARNING),
    ):
        if not entries:
            continue
        total = sum(n for *_, n in entries)
        listing = ", ".join(f"{c} ({n}: {', '.join(codes)})" for c, codes, n in entries[:20])
        listing += " ..." if len(entries) > 20 else ""
        if code == "user-missing":
            message = f"{total} user-missing value(s) in {len(entries)} column(s) were kept as their codes: {listing}"
            hint = (
                "these are answers such as don't know / refused, not blanks; each column's declared codes "
                "are in SurveyData.variables[column].missing_codes"
            )
        else:
            message = (
                f"{total} Stata extended missing value(s) in {len(entries)} numeric question(s) were read as "
                f"missing: {listing}"
            )
            hint = "recode them to numeric codes (e.g. 98/99) in Stata if they must stay distinguishable"
        out.append(
            Problem(
                code,
                message,
                Location(file=str(path), field=entries[0][0] if len(entries) == 1 else None),
                severity,
                expected="column=number of values declared missing by the file",
                got=", ".join(f"{c}={n}" for c, _, n in entries),
                count=total,
                hint=hint,
            )
        )
    return out


def _marker_problems(path: Path, entries: Sequence[tuple[str, int]]) -> list[Problem]:
    """One info problem listing the columns where Survey Solutions' 'not answered' markers became NA."""
    if not entries:
        return []
    total = sum(n for _, n in entries)
    listing = ", ".join(f"{c} ({n})" for c, n in entries[:20]) + (" ..." if len(entries) > 20 else "")
    return [
        Problem(
            "not-answered-marker",
            f"{total} Survey Solutions 'not answered' marker(s) ({SUSO_MISSING_NUMBER:.0f} / {SUSO_MISSING_TEXT}) "
            f"were read as missing in {len(entries)} column(s): {listing}",
            Location(file=str(path), field=entries[0][0] if len(entries) == 1 else None),
            Severity.INFO,
            expected="column=number of 'not answered' markers",
            got=", ".join(f"{c}={n}" for c, n in entries),
            count=total,
            hint="nothing to do: Survey Solutions writes these markers for questions not answered",
        )
    ]


def _is_suso(frame: pd.DataFrame) -> bool:
    lower = {str(c).lower() for c in frame.columns}
    return "interview__id" in lower or "interview__key" in lower


def _without_markers(series: pd.Series, suso: bool) -> pd.Series:
    if not suso:
        return series
    if pd.api.types.is_float_dtype(series.dtype):
        return _suso_to_na(series)[0]
    if pd.api.types.is_string_dtype(series.dtype):
        return _blank_to_na(series)
    return series


def _missing_value_problems(raw: _Raw, suso: bool, lost: frozenset[str] = frozenset()) -> list[Problem]:
    """The summarised ``user-missing`` / ``user-missing-lost`` / ``not-answered-marker`` problems of a
    file (one vectorised pass per column that declares missing codes)."""
    kept_cols: list[tuple[str, tuple[str, ...], int]] = []
    lost_cols: list[tuple[str, tuple[str, ...], int]] = []
    markers: list[tuple[str, int]] = []
    for col in raw.frame.columns:
        codes = _missing_codes(raw.meta, col)
        if codes:
            count = int(_user_missing_mask(raw.frame[col], raw.meta, col).sum())
            if count:
                (lost_cols if col in lost else kept_cols).append((col, codes, count))
        if suso and pd.api.types.is_float_dtype(raw.frame[col].dtype):
            n = _suso_to_na(raw.frame[col])[1]
            if n:
                markers.append((col, n))
    return _user_missing_problems(raw.path, kept_cols, lost_cols) + _marker_problems(raw.path, markers)
