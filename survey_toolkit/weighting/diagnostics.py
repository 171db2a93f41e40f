"""Weight diagnostics: Kish design effect, effective sample size, range, CV, margins achieved.

All statistics use the rows with a **non-zero** weight (zero weights are outside the sample, and
counting them inflates the design effect; statistics.md §7, pitfall 10):

- ``deff_kish = n Σw² / (Σw)² = 1 + CV²`` with the CV computed with divisor n;
- ``ess = n / deff_kish``;
- ``ratio = max / min``.

Reference values (R 4.2.2, survey 4.1-1, ``weighting_ci_oracles.txt``): dstrat 1.186370985 / 168.581331281;
nhanes 1.597827115 / 5376.676813733.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._compat import renamed_keywords
from ..errors import WeightError
from ._common import canonical_codes, frame_of, weight_array

__all__ = ["kish_deff", "effective_sample_size", "weight_diagnostics", "margin_table", "DIAGNOSTIC_COLUMNS"]

DIAGNOSTIC_COLUMNS = [
    "by",
    "group",
    "n",
    "n_zero",
    "sum_w",
    "min",
    "max",
    "ratio",
    "mean",
    "cv",
    "deff_kish",
    "ess",
]


def kish_deff(weights: Sequence[float] | np.ndarray) -> float:
    """Kish's design effect of the weights, ``n Σw² / (Σw)²`` over non-zero weights (NaN if none).

    >>> round(kish_deff([1, 1, 2, 2]), 6)
    1.111111
    """
    w = np.asarray(weights, dtype=float)
    w = w[w != 0]
    if len(w) == 0:
        return float("nan")
    return float(len(w) * np.dot(w, w) / w.sum() ** 2)


def effective_sample_size(weights: Sequence[float] | np.ndarray) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` over non-zero weights.

    >>> effective_sample_size([1, 1, 2, 2])
    3.6
    """
    w = np.asarray(weights, dtype=float)
    w = w[w != 0]
    return float(w.sum() ** 2 / np.dot(w, w)) if len(w) else float("nan")


def _group_stats(w: np.ndarray, codes: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Per-group statistics of the weights, vectorised with bincount (codes in 0..k-1)."""
    nz = w != 0
    c = codes[nz]
    wn = w[nz]
    n = np.bincount(c, minlength=k).astype(float)
    n_zero = np.bincount(codes[~nz], minlength=k)
    s1 = np.bincount(c, weights=wn, minlength=k)
    s2 = np.bincount(c, weights=wn * wn, minlength=k)
    wmin = np.full(k, np.inf)
    wmax = np.full(k, -np.inf)
    if k == 1:
        if len(wn):
            wmin[0], wmax[0] = wn.min(), wn.max()
    else:
        np.minimum.at(wmin, c, wn)
        np.maximum.at(wmax, c, wn)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        deff = n * s2 / s1**2
        cv = np.sqrt(np.maximum(deff - 1.0, 0.0))
        ess = s1**2 / s2
        ratio = wmax / wmin
    empty = n == 0
    for arr in (wmin, wmax, mean, deff, cv, ess, ratio):
        arr[empty] = np.nan
    return {
        "n": n.astype(np.int64),
        "n_zero": n_zero.astype(np.int64),
        "sum_w": s1,
        "min": wmin,
        "max": wmax,
        "ratio": ratio,
        "mean": mean,
        "cv": cv,
        "deff_kish": deff,
        "ess": ess,
    }


def weight_table(
    weights: np.ndarray, frame: pd.DataFrame | None = None, by: Sequence[str] = ()
) -> pd.DataFrame:
    """Diagnostics of a weight vector, overall and per category of each ``by`` column."""
    w = np.asarray(weights, dtype=float)
    parts = []
    overall = _group_stats(w, np.zeros(len(w), dtype=np.int64), 1)
    parts.append(pd.DataFrame({"by": [""], "group": ["overall"], **overall}))
    for column in by:
        assert frame is not None
        codes, labels = canonical_codes(frame[column])
        k = len(labels) + 1
        stats = _group_stats(w, np.where(codes < 0, len(labels), codes), k)
        groups = list(labels) + ["<missing>"]
        table = pd.DataFrame({"by": column, "group": groups, **stats})
        if stats["n"][-1] == 0 and stats["n_zero"][-1] == 0:
            table = table.iloc[:-1]
        parts.append(table)
    return pd.concat(parts, ignore_index=True)[DIAGNOSTIC_COLUMNS]


@renamed_keywords(weight="weights")
def weight_diagnostics(data: Any, weights: str, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """The diagnostics table of a weight column: overall, then per category of each ``by`` column.

    Columns: ``by``, ``group``, ``n`` (non-zero weights), ``n_zero``, ``sum_w``, ``min``, ``max``,
    ``ratio`` (max/min), ``mean``, ``cv``, ``deff_kish``, ``ess``.
    """
    frame = frame_of(data)
    w, problems = weight_array(frame, weights)
    if w is None:
        raise WeightError(problems)
    by_columns = [by] if isinstance(by, str) else list(by or ())
    return weight_table(w, frame, by_columns)


@renamed_keywords(weight="weights")
def margin_table(
    data: Any, weights: str, margins: Any, *, population_total: float | None = None
) -> pd.DataFrame:
    """Margins achieved by ``weights`` against their targets: one row per variable and category.

    Columns: ``variable``, ``category``, ``target``, ``achieved``, ``gap`` (achieved - target),
    ``rel_gap`` (gap / target), ``n`` (respondents with a non-zero weight).
    """
    from .margins import resolve_totals

    frame = frame_of(data)
    w, problems = weight_array(frame, weights)
    if w is None:
        raise WeightError(problems)
    targets, _, _ = resolve_totals(margins, float(w.sum()), population_total, np.inf)
    rows = []
    for margin in margins:
        codes, labels = canonical_codes(frame[margin.variable])
        valid = codes >= 0
        achieved = np.bincount(codes[valid], weights=w[valid], minlength=len(labels))
        counts = np.bincount(codes[valid & (w != 0)], minlength=len(labels))
        index = {lab: i for i, lab in enumerate(labels)}
        for cat, target in zip(margin.categories, targets[margin.variable], strict=False):
            i = index.get(cat)
            rows.append(
                (
                    margin.variable,
                    cat,
                    float(target),
                    float(achieved[i]) if i is not None else 0.0,
                    int(counts[i]) if i is not None else 0,
                )
            )
    table = pd.DataFrame(rows, columns=["variable", "category", "target", "achieved", "n"])
    table["gap"] = table["achieved"] - table["target"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["rel_gap"] = table["gap"] / table["target"]
    return table[["variable", "category", "target", "achieved", "gap", "rel_gap", "n"]]


def matched_margin_table(weights: np.ndarray, matched: Sequence[Any]) -> pd.DataFrame:
    """Like :func:`margin_table` for margins already matched to the rows (used by the weighting steps)."""
    rows = []
    w = np.asarray(weights, dtype=float)
    for m in matched:
        valid = m.codes >= 0
        k = len(m.categories)
        achieved = np.bincount(m.codes[valid], weights=w[valid], minlength=k)
        counts = np.bincount(m.codes[valid & (w != 0)], minlength=k)
        for j, cat in enumerate(m.categories):
            rows.append((m.variable, cat, float(m.targets[j]), float(achieved[j]), int(counts[j])))
    table = pd.DataFrame(rows, columns=["variable", "category", "target", "achieved", "n"])
    table["gap"] = table["achieved"] - table["target"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["rel_gap"] = table["gap"] / table["target"]
    return table[["variable", "category", "target", "achieved", "gap", "rel_gap", "n"]]
