"""Domains (by-groups) as integer codes over the full frame; rows are never dropped.

Example:
    >>> import pandas as pd
    >>> f = pd.DataFrame({"loc": ["a", "b", None], "sex": pd.Categorical(["f", "f", "m"])})
    >>> part, table = make_partition(f, ["loc", "sex"])
    >>> part.dom.tolist(), len(table)
    ([0, 2, 5], 6)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import EstimationError, Location, Problem, did_you_mean
from ._engine import Partition

__all__ = ["make_partition", "BY_NA"]

BY_NA = ("group", "drop")


def _column_levels(s: pd.Series, by_na: str) -> tuple[np.ndarray, list]:
    """Integer codes (-1 for dropped NA) and the level values of one by column."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.int64)
        levels = list(s.cat.categories)
    else:
        try:
            codes, uniq = pd.factorize(s, sort=True)
        except TypeError:
            codes, uniq = pd.factorize(s.astype(str).where(s.notna()), sort=True)
        codes = np.asarray(codes, dtype=np.int64)
        levels = list(uniq)
    if by_na == "group" and np.any(codes < 0):
        codes = np.where(codes < 0, len(levels), codes)
        levels.append(np.nan)
    return codes, levels


def make_partition(
    frame: pd.DataFrame,
    by: str | Sequence[str] | None,
    by_na: str = "group",
    complete: bool = True,
) -> tuple[Partition, pd.DataFrame]:
    """Domain codes for ``by`` and a table of the domains (one row per domain, in output order).

    ``complete=True`` keeps every combination of levels (categorical dtypes contribute all their
    categories, used or not), so tables line up across rounds; empty domains give rows with n = 0.
    ``by_na="group"`` makes missing by-values an explicit NaN level, ``"drop"`` leaves those rows out
    of every domain (they still count in the design).
    """
    if by_na not in BY_NA:
        raise ValueError(f"by_na={by_na!r} is not one of {BY_NA}")
    n = len(frame)
    if by is None or (not isinstance(by, str) and len(by) == 0):
        return Partition(np.zeros(n, dtype=np.int64), 1), pd.DataFrame(index=range(1))
    cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise EstimationError(
            [
                Problem(
                    "unknown-column",
                    f"by column '{c}' is not in the data",
                    Location(field=c),
                    hint=did_you_mean(c, [str(x) for x in frame.columns]),
                )
                for c in missing
            ]
        )
    codes, levels = zip(*(_column_levels(frame[c], by_na) for c in cols), strict=False)
    bad = np.zeros(n, dtype=bool)
    key = np.zeros(n, dtype=np.int64)
    sizes = [max(len(lv), 1) for lv in levels]
    for c, size in zip(codes, sizes, strict=False):
        bad |= c < 0
        key = key * size + np.maximum(c, 0)
    if complete:
        D = int(np.prod(sizes))
        dom = np.where(bad, -1, key)
        grid = np.indices(sizes).reshape(len(sizes), -1)
        table = pd.DataFrame(
            {
                col: pd.Series([lv[i] for i in g], dtype=object) if lv else pd.Series([], dtype=object)
                for col, lv, g in zip(cols, levels, grid, strict=False)
            }
        )
    else:
        uniq, inv = np.unique(key[~bad], return_inverse=True)
        dom = np.full(n, -1, dtype=np.int64)
        dom[~bad] = inv
        D = int(uniq.size)
        grid = np.stack(np.unravel_index(uniq, sizes)) if D else np.zeros((len(cols), 0), dtype=int)
        table = pd.DataFrame(
            {
                col: pd.Series([lv[i] for i in g], dtype=object)
                for col, lv, g in zip(cols, levels, grid, strict=False)
            }
        )
    for col in cols:
        src = frame[col]
        if isinstance(src.dtype, pd.CategoricalDtype):
            table[col] = pd.Categorical(table[col], categories=src.cat.categories, ordered=src.cat.ordered)
        else:
            try:
                table[col] = table[col].astype(src.dtype)
            except (TypeError, ValueError):
                pass
    return Partition(dom.astype(np.int64), D), table
