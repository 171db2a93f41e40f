"""Repeat groups in the indicator layer: aggregates onto the respondent, and indicators over repeat rows.

Two things, both declared in the indicators file (``docs/indicators.md``, "Repeat groups"):

- :func:`with_aggregates` adds the ``aggregates:`` columns to the respondent frame: any/all/count/
  sum/min/max/first over the rows of a repeat (the household roster, an incidents loop) linked by
  ``_record_id``. They are ordinary columns afterwards: conditions and disaggregations read them.
- :func:`repeat_frame` builds the table an indicator with ``repeat: <name>`` is scored on: the
  repeat's rows plus the respondent columns it reads, and the position of each row's respondent.
  :mod:`survey_toolkit.compute` then estimates such an indicator with the **respondents'** design:
  each repeat-level mean or share is the ratio of two respondent-level totals,
  ``sum_i w_i sum_j d_ij y_ij / sum_i w_i sum_j d_ij``, whose linearised variance is exactly that of
  R ``survey`` on the expanded repeat table with the respondent's PSU, stratum and weight (the rows of
  one submission are a cluster inside its PSU; respondents with no row in the domain contribute 0).

All operations are vectorised over rows (group-by on the respondent position); nothing loops per row.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError, Location, Problem, did_you_mean
from .estimation import estimate, p01_interval, proportion_ci
from .estimation.intervals import canonical_method
from .expressions import Columns, evaluate_on
from .indicators.model import Aggregate, IndicatorSpec
from .indicators.repeatcheck import instrument_with_aggregates

__all__ = ["with_aggregates", "repeat_frame", "RepeatRows", "instrument_with_aggregates", "PARENT_ROW"]

#: column of a repeat frame holding the position of the row's respondent in the respondent frame
PARENT_ROW = "__parent_row__"
_NUMERIC_FUNCTIONS = ("any", "all", "count", "sum", "min", "max")


def _no_child(repeat: str, children: Mapping[str, pd.DataFrame], location: Location, who: str) -> Problem:
    return Problem(
        "repeat-not-in-data",
        f"{who} reads repeat '{repeat}', which is not a child table of the data",
        location,
        expected="one of: " + (", ".join(sorted(children)) or "no repeat tables were loaded"),
        got=repeat,
        hint=did_you_mean(repeat, list(children))
        or "load the export with its repeat sheets/files (the loader keeps repeats as child tables)",
    )


@dataclass(frozen=True)
class RepeatRows:
    """The rows of one repeat, with the respondent columns joined and each row's respondent position."""

    frame: pd.DataFrame
    parent: np.ndarray  # int positions into the respondent frame

    def __len__(self) -> int:
        return len(self.frame)


def repeat_frame(
    frame: pd.DataFrame, child: pd.DataFrame, columns: set[str] | None = None
) -> RepeatRows:
    """The repeat rows whose respondent is in ``frame``, with the respondent ``columns`` they lack.

    Rows whose ``_record_id`` is not a respondent of ``frame`` (excluded by the quality step, or an
    orphan the loader reported) are left out: they are not in the sample being estimated.
    """
    index = pd.Index(frame["_record_id"].astype("string"))
    pos = index.get_indexer(child["_record_id"].astype("string"))
    keep = pos >= 0
    rows = child.loc[keep].reset_index(drop=True)
    parent = pos[keep]
    wanted = sorted(c for c in (columns or set()) if c in frame.columns and c not in rows.columns)
    if wanted:
        joined = frame[wanted].iloc[parent].reset_index(drop=True)
        rows = pd.concat([rows, joined], axis=1)
    return RepeatRows(rows, parent)


def _aggregate_columns(agg: Aggregate, rows: RepeatRows, n: int, cols: Columns) -> pd.Series:
    where = (
        np.ones(len(rows), dtype=bool)
        if agg.where is None
        else evaluate_on(agg.where, cols).fillna(False).to_numpy(dtype=bool)
    )
    parent = rows.parent
    if agg.function in ("any", "all", "count"):
        if agg.condition is None:
            hit = pd.array(np.ones(len(rows), dtype=bool), dtype="boolean")
        else:
            hit = evaluate_on(agg.condition, cols).array
        true = np.asarray(hit.fillna(False), dtype=bool) & where
        false = np.asarray((~hit).fillna(False), dtype=bool) & where
        unknown = where & ~true & ~false
        n_true = np.bincount(parent, weights=true, minlength=n)
        n_false = np.bincount(parent, weights=false, minlength=n)
        n_unknown = np.bincount(parent, weights=unknown, minlength=n)
        if agg.function == "count":
            return pd.Series(n_true, dtype="Float64").astype("Int64")
        if agg.function == "any":
            out = np.where(n_true > 0, 1.0, np.where(n_unknown > 0, np.nan, 0.0))
        else:
            out = np.where(n_false > 0, 0.0, np.where(n_unknown > 0, np.nan, 1.0))
        return pd.Series(out, dtype="Float64").astype("Int64")
    if agg.function == "first":
        source = rows.frame[agg.value]
        picked = pd.Series(np.flatnonzero(where)).groupby(parent[where]).first()
        taken = source.iloc[picked.to_numpy()]
        taken.index = picked.index
        return taken.reindex(range(n))
    values = cols.numbers(agg.value).astype(float).to_numpy(na_value=np.nan)
    ok = where & ~np.isnan(values)
    if agg.function == "sum":
        return pd.Series(np.bincount(parent[ok], weights=values[ok], minlength=n), dtype="Float64")
    grouped = pd.Series(values[ok]).groupby(parent[ok])
    found = grouped.min() if agg.function == "min" else grouped.max()
    out = np.full(n, np.nan)
    out[found.index.to_numpy()] = found.to_numpy()
    return pd.Series(out, dtype="Float64")


def with_aggregates(
    frame: pd.DataFrame,
    children: Mapping[str, pd.DataFrame],
    spec: IndicatorSpec,
    kinds: Mapping[str, str] | None = None,
    repeat_kinds: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """``frame`` plus one column per aggregate of ``spec`` (a new frame; the input is not changed).

    ``repeat_kinds`` (repeat name -> question kinds of its rows) wins over ``kinds`` for an aggregate's
    repeat (a name such as ``sex`` may be used by the respondent and by the roster, with other codes).

    Raises:
        DataError: ``repeat-not-in-data`` for an aggregate whose repeat is not a child table, and
            ``aggregate-name-taken`` when the name is already a column of the data.
    """
    if not spec.aggregates:
        return frame
    problems = []
    for agg in spec.aggregates:
        if agg.repeat not in children:
            problems.append(_no_child(agg.repeat, children, agg.location, f"aggregate '{agg.name}'"))
        if agg.name in frame.columns:
            problems.append(
                Problem(
                    "aggregate-name-taken",
                    f"aggregate '{agg.name}' would replace the column '{agg.name}' of the data",
                    agg.location,
                    hint="give the aggregate another name",
                )
            )
    if problems:
        raise DataError(problems)
    out = {}
    for agg in spec.aggregates:
        level = (repeat_kinds or {}).get(agg.repeat, kinds)
        choices = getattr(level, "choices", None) or {}
        rows = repeat_frame(frame, children[agg.repeat], agg.questions())
        cols = Columns(rows.frame, dict(level or {}), spec.defaults.dk_codes, spec.defaults.refused_codes, choices)
        column = _aggregate_columns(agg, rows, len(frame), cols)
        column.index = frame.index
        out[agg.name] = column
    return pd.concat([frame, pd.DataFrame(out, index=frame.index)], axis=1)


# ---------------------------------------------------------------- indicators over repeat rows


def _levels(values: pd.Series) -> list:
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().astype(str))
        levels = [c for c in values.cat.categories if str(c) in present]
    else:
        levels = sorted(values.dropna().unique().tolist(), key=str)
    return levels + ([None] if values.isna().any() else [])


def _in_level(values: pd.Series, level) -> np.ndarray:
    if level is None:
        return values.isna().to_numpy()
    return (values.astype("string") == str(level)).fillna(False).to_numpy(dtype=bool)


def _sum(parent: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(parent, weights=weights.astype(float), minlength=n)


def _repeat_ci(table: pd.DataFrame, level: float, ci_method: str | None = None) -> pd.DataFrame:
    """The interval of a percentage over repeat rows, as for respondent proportions: ``ci_method``
    (None: xlogit; the project's ``estimation.interval``) with the NCHS fallback at 0 and 1.
    ``table["n"]`` is the number of repeat rows in the domain here (Korn-Graubard and the fallback)."""
    est, se, dfv = (table[c].to_numpy(dtype=float) for c in ("estimate", "se", "df"))
    n = table["n"].to_numpy(dtype=float)
    # a likelihood interval profiles a model refitted on the rows: not available here; xlogit, flagged
    profile = (ci_method or "").lower() == "likelihood"
    method = "xlogit" if profile else canonical_method(ci_method or "xlogit")
    lo, hi = proportion_ci(est, se, dfv, n, method, level)
    edge = np.isfinite(est) & ((est <= 0) | (est >= 1) | (se == 0))
    flo, fhi = p01_interval(est, dfv, n, level)
    table = table.copy()
    table["ci_low"] = np.where(edge, flo, lo)
    table["ci_high"] = np.where(edge, fhi, hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["n_eff"] = np.where(edge, np.nan, est * (1 - est) / se**2)
    flags = table["flag"].fillna("").astype(str)
    table["flag"] = np.where(edge, np.where(flags == "", "p01_fallback", flags + ";p01_fallback"), flags)
    if profile:
        flags = table["flag"]
        table["flag"] = np.where(flags == "", "xlogit_not_likelihood", flags + ";xlogit_not_likelihood")
    return table


def estimate_over_rows(scored, rows: RepeatRows, frame: pd.DataFrame, prep, by_cols: list[str],
                       group: str | None, level: float, percent: bool, ci_method: str | None = None,
                       df: float | None = None) -> pd.DataFrame:  # fmt: skip
    """One indicator scored on repeat rows, estimated with the respondents' design (ratio of totals).

    ``group``: a disaggregation; a column of the repeat (member's sex) gives one ratio per level, a
    respondent column is passed to the engine as a domain. ``ci_method`` and ``df`` are those of
    :func:`survey_toolkit.compute.compute` (the project's ``estimation: {interval, df}``).

    Returns the engine's table with the indicator's columns (``indicator_id``, ``_category``, counts,
    ``dk_share``). The counts are in **respondents** (the parent records, e.g. households), the unit
    of the sample and of the reporting rules: ``n`` = respondents with at least one row in the base,
    ``n_numerator`` = with at least one row in the numerator (per category), ``n_missing`` = with at
    least one row left out for a missing answer. ``n_weighted`` is the weighted number of rows.
    """
    n = len(frame)
    parent = rows.parent
    child_group = group is not None and group in rows.frame.columns and group not in frame.columns
    cols = by_cols + ([group] if group is not None and not child_group else [])
    levels = _levels(rows.frame[group]) if child_group else [None]
    domain = scored.domain.to_numpy(dtype=bool)
    weights = prep.weights
    tables = []
    for lv in levels:
        m = domain & (_in_level(rows.frame[group], lv) if child_group else True)
        count = _sum(parent, m, n)
        out_of_domain = count == 0
        work = frame[cols].copy() if cols else pd.DataFrame(index=frame.index)
        data = {}
        names = []
        for j, name in enumerate(scored.values.columns):
            v = scored.values[name].to_numpy(dtype=float)
            data[f"__num{j}"] = np.where(out_of_domain, np.nan, _sum(parent, m * v, n))
            names.append(f"__num{j}")
        den = m * (1.0 if scored.denominator is None else scored.denominator.to_numpy(dtype=float))
        data["__den"] = np.where(out_of_domain, np.nan, _sum(parent, den, n))
        work = pd.concat([work, pd.DataFrame(data, index=frame.index)], axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            table = estimate(work, prep, names, "ratio", denominator="__den", by=cols or None, level=level, df=df)
        sums = {"rows": count, "n": (count > 0).astype(float)}
        in_level = m if not child_group else _in_level(rows.frame[group], lv)
        for j, name in enumerate(scored.values.columns):
            hit = m & (scored.values[name].to_numpy(dtype=float) == 1.0)
            sums[f"num{j}"] = (_sum(parent, hit, n) > 0).astype(float)
        sums["n_weighted"] = weights * count
        if scored.missing is not None:
            sums["n_missing"] = (_sum(parent, scored.missing.to_numpy(dtype=bool) & in_level, n) > 0).astype(float)
        if scored.dk_refused is not None:
            dk = scored.dk_refused.to_numpy(dtype=bool) & in_level
            sums["dkw"] = weights * _sum(parent, dk, n)
            sums["basew"] = weights * _sum(parent, (domain | dk) & in_level, n)
        from .compute import (  # shared with respondent indicators (compute imports this module)
            _attach,
            _group_sums,
        )

        grouped = _group_sums(frame, cols, sums)
        per_var = len(table) // len(names)
        attached = pd.concat([_attach(table.iloc[:per_var], grouped, cols)] * len(names), ignore_index=True)
        table = table.reset_index(drop=True)
        for col in ("rows", "n", "n_weighted", "n_missing"):
            table[col] = attached[col].to_numpy() if col in attached else np.nan
        table["n_numerator"] = np.concatenate(
            [attached[f"num{j}"].to_numpy()[j * per_var : (j + 1) * per_var] for j in range(len(names))]
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            table["dk_share"] = attached["dkw"] / attached["basew"] if "dkw" in attached else np.nan
        table["deff_wr"] = np.nan
        table["_category"] = np.repeat(
            [None if c == "value" else str(c) for c in scored.values.columns], per_var
        ).tolist()
        if child_group:
            table[group] = pd.array([lv] * len(table), dtype="string") if lv is not None else pd.NA
        if percent:  # intervals on the rows (as R on the expanded table), counts in respondents
            table = _repeat_ci(table.assign(n=table["rows"]), level, ci_method).assign(n=table["n"])
        tables.append(table.drop(columns="rows"))
    out = pd.concat(tables, ignore_index=True)
    out["indicator_id"] = scored.indicator.id
    return out


