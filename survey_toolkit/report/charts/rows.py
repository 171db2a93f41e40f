"""The rows a chart reads: headline rows of an indicator, model-based figures, units, series by round."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...disclosure import group_columns_of
from .._common import (
    ReportMeta,
    indicator_label,
    unit_name,
)
from .style import _key


def _headline_rows(results: pd.DataFrame) -> pd.Series:
    """Rows without a breakdown other than location (sex, age group... all totals)."""
    keep = pd.Series(True, index=results.index)
    for col in group_columns_of(results):
        if col != "location":
            keep &= results[col].isna() | (results[col].astype("string") == "All").fillna(False).astype(bool)
    return keep


def _indicator_rows(results: pd.DataFrame, indicator: str) -> pd.DataFrame:
    rows = results[(results["indicator_id"].astype(str) == indicator) & _headline_rows(results)]
    if "location" not in rows.columns:
        rows = rows.assign(location="All")
    return rows


def _model_based(rows: pd.DataFrame) -> pd.Series:
    """True on the rows whose figure is model-based (small-area estimate standing in for a withheld one)."""
    if "estimate_type" not in rows.columns:
        return pd.Series(False, index=rows.index)
    return rows["estimate_type"].astype("string").eq("model-based").fillna(False).astype(bool)


def _direct_only(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the model-based figures blanked: a trend joins survey estimates only."""
    model = _model_based(rows)
    if not model.any():
        return rows
    cols = [c for c in ("estimate", "ci_low", "ci_high") if c in rows.columns]
    return rows.assign(**{c: rows[c].astype("float64").mask(model) for c in cols})


def _scale(rows: pd.DataFrame, factor: float) -> float:
    unit = rows["unit"].iloc[0] if "unit" in rows.columns and len(rows) else ""
    return factor if str(unit) in ("percent", "proportion") else 1.0


def _is_percent(rows: pd.DataFrame) -> bool:
    return "unit" in rows.columns and len(rows) > 0 and str(rows["unit"].iloc[0]) in ("percent", "proportion")


def _axis_label(rows: pd.DataFrame, lang: str) -> str:
    unit = rows["unit"].iloc[0] if "unit" in rows.columns and len(rows) else ""
    return unit_name(unit, lang) if unit else ""


def _series(rows: pd.DataFrame, order: list[str], scale: float) -> dict[str, np.ndarray]:
    """Estimate, CI low and high of each location (key: :func:`_key`) by round, as arrays (rounds x 3).

    ``rows`` are one indicator's headline rows (a few dozen), read column-wise once."""
    col = {r: i for i, r in enumerate(order)}
    locs = [_key(v) for v in rows["location"]]
    rnds = rows["round"].astype(str).map(col).to_numpy()
    values = np.column_stack([
        pd.to_numeric(rows[c], errors="coerce").to_numpy(dtype=float) * scale if c in rows.columns
        else np.full(len(rows), np.nan)
        for c in ("estimate", "ci_low", "ci_high")
    ])  # fmt: skip
    out: dict[str, np.ndarray] = {}
    for loc, r, vals in zip(locs, rnds, values, strict=True):
        if pd.isna(r):
            continue
        arr = out.setdefault(loc, np.full((len(order), 3), np.nan))
        if np.isnan(arr[int(r), 0]):
            arr[int(r)] = vals
    return out


def _labels(results: pd.DataFrame, meta: ReportMeta, inds: list[str], lang: str) -> list[str]:
    """Indicator labels looked up once (not once per indicator over the whole table)."""
    first = results.drop_duplicates("indicator_id")
    small = first[first["indicator_id"].astype(str).isin(inds)]
    return [indicator_label(small, meta, i, lang) for i in inds]


def _short(text: str, limit: int = 44) -> str:
    """Text cut to about ``limit`` characters; a final '(...)' (a category) is kept so rows stay distinct."""
    if len(text) <= limit:
        return text
    tail = text[text.rfind(" (") :] if text.endswith(")") and " (" in text else ""
    head = text[: max(limit - len(tail) - 1, 14)].rstrip() + "…"
    if len(head) + len(tail) > limit + 16:  # a long category label is cut too
        tail = tail[: max(limit + 16 - len(head) - 2, 4)].rstrip() + "…)"
    return head + tail
