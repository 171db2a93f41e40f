"""Tidy results as CSV (and Parquet when pyarrow is installed), written atomically and deterministically.

The tables written are the ones after the reporting rules (:mod:`survey_toolkit.disclosure`):
suppressed values are empty, with ``suppressed``, ``suppression_reason`` and ``caution_reasons`` beside them.
CSV is UTF-8 with ``\\n`` line ends and full-precision floats, so two runs on the same inputs give
identical files.

Spreadsheet safety: CSV files are often opened in Excel, which runs text starting with
``= + - @`` as a formula. With ``excel_safe=True`` (the default) such text cells are written with a
leading ``'`` so they stay inert; numbers are never changed. Parquet keeps the text unchanged
(it is typed and not opened by spreadsheets).
"""

from __future__ import annotations

import importlib.util
import io
import os
from pathlib import Path

import pandas as pd

from ..disclosure import group_columns_of
from ._common import (
    ReportMeta,
    atomic_write_bytes,
    atomic_write_with,
    cell_text,
    group_value,
    indicator_texts,
    is_formula_like,
    is_missing,
    location_name,
    prepare_results,
    round_name,
    t,
)

__all__ = ["write_csv", "write_parquet", "write_tidy", "parquet_available", "excel_safe_text"]


def parquet_available() -> bool:
    """True when pyarrow is installed (Parquet output is then written too)."""
    return importlib.util.find_spec("pyarrow") is not None


def excel_safe_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells starting with = + - @ (or tab / CR) get a leading ``'``."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.CategoricalDtype):  # escape the categories, keep the dtype
            cats = series.cat.categories
            risky_cats = pd.Series(cats, dtype=object).map(is_formula_like).astype(bool).to_numpy()
            if risky_cats.any():
                renamed = [f"'{c}" if r else c for c, r in zip(cats, risky_cats, strict=True)]
                if len(set(renamed)) == len(renamed):
                    out[col] = series.cat.rename_categories(renamed)
                else:  # an escaped category would clash with an existing one: plain text instead
                    text = series.astype(object)
                    risky = text.map(is_formula_like).astype(bool)
                    out[col] = text.where(~risky, "'" + text.astype("string"))
        elif series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            risky = series.map(is_formula_like).astype(bool)
            if risky.any():
                out[col] = series.astype(object).where(~risky, "'" + series.astype("string"))
    return out


def write_csv(
    path: str | os.PathLike[str], table: pd.DataFrame, *, excel_safe: bool = True, bom: bool = False
) -> Path:
    """Write ``table`` as UTF-8 CSV atomically (no index, ``\\n`` line ends).

    ``bom=True`` starts the file with a UTF-8 byte order mark, which Excel on Windows needs to read
    accented and non-Latin text correctly when the file is double-clicked.
    """
    frame = excel_safe_text(table) if excel_safe else table
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n")
    return atomic_write_bytes(path, buf.getvalue().encode("utf-8-sig" if bom else "utf-8"))


COUNT_COLUMNS = ("n", "n_numerator", "n_missing", "n_to", "n_from")
"""Respondent counts: written as integers (``410``, not ``410.0``)."""


def with_labels(table: pd.DataFrame, meta: ReportMeta, lang: str = "en") -> pd.DataFrame:
    """The table with a display label beside each code a reader would otherwise have to look up:
    ``location_name`` after ``location``, ``round_label`` after ``round`` (and after ``round_from`` /
    ``round_to``), ``<group>_label`` after each disaggregation column; counts as integers."""
    meta = meta.for_language(lang)
    out = table.copy()
    for col in COUNT_COLUMNS:
        if col in out.columns:
            values = pd.to_numeric(out[col], errors="coerce")
            if values.dropna().eq(values.dropna().round()).all():
                out[col] = values.round().astype("Int64")
    labels: dict[str, pd.Series] = {}
    if "location" in out.columns:
        names = {v: location_name(meta, v, lang) for v in pd.unique(out["location"])}
        labels["location"] = out["location"].map(names)
    for col in ("round", "round_from", "round_to"):
        if col in out.columns:
            labels[col] = out[col].map(lambda r: round_name(meta, r) if not is_missing(r) else r)
    for col in group_columns_of(out):
        if col != "location":
            values = {v: group_value(meta, col, v, lang) for v in pd.unique(out[col].dropna())}
            labels[col] = out[col].map(values)
    columns = []
    for col in out.columns:
        columns.append(col)
        if col in labels:
            columns.append("location_name" if col == "location" else f"{col}_label")
    for col, series in labels.items():
        out["location_name" if col == "location" else f"{col}_label"] = series
    if "protects" in out.columns:  # in words, after the codes: which withheld cell a secondary one protects
        protects = out["protects"].astype("string").fillna("")
        labels = indicator_texts(table, meta, lang) if protects.str.contains("indicator=", regex=False).any() else {}
        words = {p: t(lang, "secondary_for", cell=cell_text(meta, p, lang, labels)) if p else ""
                 for p in pd.unique(protects)}  # fmt: skip
        out["suppression_note"] = protects.map(words)
        columns.insert(columns.index("protects") + 1, "suppression_note")
    return out[columns]


def write_parquet(path: str | os.PathLike[str], table: pd.DataFrame) -> Path:
    """Write ``table`` as Parquet atomically (needs pyarrow)."""
    if not parquet_available():
        raise ImportError("Parquet output needs pyarrow: pip install 'survey-toolkit[parquet]'")
    return atomic_write_with(path, lambda tmp: table.to_parquet(tmp, index=False, engine="pyarrow"))


def write_tidy(
    out_dir: str | os.PathLike[str],
    results: pd.DataFrame,
    comparisons: pd.DataFrame | None = None,
    *,
    meta: ReportMeta | None = None,
    parquet: bool | None = None,
    lang: str = "en",
    bom: bool = False,
) -> list[Path]:
    """Write ``results.csv`` and ``comparisons.csv`` (and ``.parquet`` twins) into ``out_dir``.

    Each table has the labels of ``lang`` beside its codes (:func:`with_labels`) and integer counts.
    ``parquet=None`` writes Parquet when pyarrow is installed; ``bom=True`` writes the CSV files with a
    UTF-8 byte order mark (Excel on Windows). Returns the paths written.
    """
    meta = meta or ReportMeta()
    out = Path(out_dir)
    table = prepare_results(results, meta.rules)
    tables = {"results": with_labels(table, meta, lang)}
    if comparisons is not None:
        tables["comparisons"] = with_labels(comparisons, meta, lang)
    with_parquet = parquet_available() if parquet is None else parquet
    written = []
    for name, frame in tables.items():
        written.append(write_csv(out / f"{name}.csv", frame, bom=bom))
        if with_parquet:
            written.append(write_parquet(out / f"{name}.parquet", frame))
    return written
