"""``compute()``: every indicator of an indicators file, estimated with the design, in one tidy table.

Each indicator is first scored per respondent (:mod:`survey_toolkit.indicators.scoring`: who is in the base,
what each respondent contributes), then estimated by :func:`survey_toolkit.estimation.estimate` over
the **full** design: respondents outside the base get a missing value, which the engine treats as a
domain (zero weight), never as a dropped row (statistics.md §3, §12).

Results table (one row per indicator x category x group), columns in this order:

==================== ==================================================================================
``indicator_id``     the indicator's id
``type``             proportion, mean, median, distribution, shares, ratio, mean_of_proportions, index
``sdg``              SDG code (official computations only), else NA
``category``         the choice code (distribution, shares), ``dk_refused`` (own_share), else NA
*by columns*         the ``by`` columns, as given (e.g. ``round``, ``admin1``)
``group``            the disaggregation column of the row, or ``"all"``
``level``            the value of that column, or ``"All"``
``estimate``         point estimate, in ``unit`` (percentages 0-100, index scores on their scale)
``se``               Taylor-linearised standard error (same unit)
``ci_low``/``ci_high`` confidence limits (logit for percentages, Wald-t otherwise; same unit)
``level_ci``         confidence level
``df``               design degrees of freedom of the domain
``deff``             design effect (vs SRS with replacement)
``n``                unweighted respondents in the base
``n_weighted``       weighted base
``n_numerator``      unweighted respondents in the numerator (percentages), else NA
``n_eff``            effective sample size (percentages)
``n_missing``        respondents of the universe left out because an answer needed was missing
``dk_share``         weighted share (0-1) of don't know / refused among the base and DK/RF respondents
``unit``             percent, mean, median, index_score, ratio, count
``sensitive``        the indicator is sensitive (small-cell rules apply)
``flag``             notes from the engine (empty_domain, p01_fallback, ...)
==================== ==================================================================================

Example (see ``docs/indicators.md``)::

    results = compute(data, load_indicators("indicators.yaml"), Design(weights="final_weight",
                      strata="stratum", psu="psu"), by=["round", "admin1"])
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .design import Design, PreparedDesign
from .errors import Location, Problem, SpecError, did_you_mean
from .estimation import estimate, prepare_design, wald_ci
from .indicators.datachecks import _present
from .indicators.loader import load_indicators
from .indicators.model import IndicatorSpec
from .indicators.repeatcheck import instrument_with_aggregates
from .indicators.scoring import Scored, score_all
from .indicators.semantics import instrument_kinds
from .instrument import Instrument
from .offlist import OffListRule
from .repeats import estimate_over_rows, repeat_frame, with_aggregates

DF_RULES = ("domain", "design")
"""The degrees-of-freedom rules of :func:`compute`: per domain, or the whole design's."""

__all__ = ["compute", "compute_many", "RESULT_COLUMNS"]

RESULT_COLUMNS = (
    "indicator_id",
    "type",
    "sdg",
    "category",
    "group",
    "level",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "level_ci",
    "df",
    "deff",
    "n",
    "n_weighted",
    "n_numerator",
    "n_eff",
    "n_missing",
    "dk_share",
    "unit",
    "sensitive",
    "flag",
)
_PERCENT = ("percent",)
_VALUE = "__value__"
_DEN = "__den__"


def _spec_of(indicators, instrument) -> IndicatorSpec:
    if isinstance(indicators, IndicatorSpec):
        return indicators
    return load_indicators(Path(indicators), instrument)


def _missing_columns(spec: IndicatorSpec, frame: pd.DataFrame, by: Sequence[str]) -> None:
    problems = []
    for col in by:
        if col not in frame.columns:
            problems.append(
                Problem(
                    "unknown-column",
                    f"by column '{col}' is not in the data",
                    Location(field=col),
                    hint=did_you_mean(col, [str(c) for c in frame.columns]),
                )
            )
    for ind in spec.indicators:
        for q in sorted(ind.questions() | set(ind.disaggregations)):
            if ind.repeat is None and not _present(frame, q):
                problems.append(
                    Problem(
                        "question-not-in-data",
                        f"indicator '{ind.id}' reads '{q}', which is not a column of the data",
                        ind.location,
                        hint=did_you_mean(q, [str(c) for c in frame.columns]),
                    )
                )
    if problems:
        raise SpecError(problems)


def _groupings(
    by: list[str], spec: IndicatorSpec, wanted: list[str], disaggregate: bool
) -> dict[str, list[str]]:
    """Grouping name -> indicator ids estimated with it ("all" = the by columns only)."""
    out: dict[str, list[str]] = {"all": list(wanted)}
    if disaggregate:
        for ident in wanted:
            for d in spec[ident].disaggregations:
                if d not in by:
                    out.setdefault(d, []).append(ident)
    return out


def _masked(values: pd.Series, domain: pd.Series) -> np.ndarray:
    return np.where(domain.to_numpy(), values.to_numpy(dtype=float), np.nan)


def _group_sums(work: pd.DataFrame, cols: list[str], series: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Sums of ``series`` per group of ``cols`` (one row when there are no columns), NaN keys kept.

    The groups are numbered once and each series summed by ``np.bincount`` (hundreds of series: one
    frame of them all would copy every value)."""
    if not cols:
        return pd.DataFrame({name: [float(np.sum(values))] for name, values in series.items()})
    codes = work.groupby(cols, dropna=False, observed=True, sort=False).ngroup().to_numpy()
    groups, first = np.unique(codes, return_index=True)
    keys = work[cols].iloc[first].reset_index(drop=True)
    sums = {name: np.bincount(codes, weights=np.asarray(values, dtype=float), minlength=groups.size)
            for name, values in series.items()}  # fmt: skip
    return pd.concat([keys, pd.DataFrame(sums)], axis=1)


def _attach(table: pd.DataFrame, sums: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """``sums`` aligned to the rows of ``table`` (by the group columns)."""
    if not cols:
        return pd.concat([sums] * len(table), ignore_index=True)
    return table[cols].reset_index(drop=True).merge(sums, how="left", on=cols)


class _Batch:
    """All engine variables of one grouping: masked value columns plus what each one means."""

    def __init__(self, frame: pd.DataFrame, cols: list[str]) -> None:
        self.cols = cols
        self.data: dict[str, np.ndarray] = {}
        self.meta: dict[str, tuple[str, str | None]] = {}  # variable -> (indicator id, category)
        self.sums: dict[str, np.ndarray] = {}
        self.frame = frame
        self.props: list[str] = []
        self.means: list[str] = []
        self.single: list[tuple[str, str, str | None]] = []  # (variable, statistic, denominator)

    def add(self, s: Scored) -> None:
        ind = s.indicator
        for j, name in enumerate(s.values.columns):
            var = f"{_VALUE}{ind.id}__{j}"
            self.data[var] = _masked(s.values[name], s.domain)
            category = None if name == "value" else str(name)
            self.meta[var] = (ind.id, category)
            self.sums[f"num:{var}"] = (
                s.domain.to_numpy() & (s.values[name].to_numpy(dtype=float) == 1.0)
            ).astype(float)
            if s.statistic == "ratio":
                self.data[f"{var}{_DEN}"] = _masked(s.denominator, s.domain)
                self.single.append((var, "ratio", f"{var}{_DEN}"))
            elif s.statistic == "median":
                self.single.append((var, "quantile", None))
            elif ind.unit in _PERCENT or ind.type in ("proportion", "distribution", "shares"):
                self.props.append(var)
            else:
                self.means.append(var)
        if s.missing is not None:
            self.sums[f"miss:{ind.id}"] = s.missing.to_numpy().astype(float)
        if s.dk_refused is not None:
            w = self.weights
            dk = s.dk_refused.to_numpy()
            self.sums[f"dkw:{ind.id}"] = w * dk
            self.sums[f"basew:{ind.id}"] = w * (s.domain.to_numpy() | dk)

    def run(self, prep: PreparedDesign, level: float, ci_method: str | None = None,
            df: float | None = None) -> pd.DataFrame:  # fmt: skip
        work = self.frame[self.cols].copy() if self.cols else pd.DataFrame(index=self.frame.index)
        work = pd.concat([work, pd.DataFrame(self.data, index=self.frame.index)], axis=1)
        by = self.cols or None
        tables = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the engine's notes are kept in 'flag'
            if self.props:
                tables.append(
                    estimate(
                        work,
                        prep,
                        self.props,
                        "proportion",
                        categories=[0.0, 1.0],
                        category=1.0,
                        by=by,
                        level=level,
                        ci_method=ci_method,
                        df=df,
                    )
                )
            if self.means:
                tables.append(estimate(work, prep, self.means, "mean", by=by, level=level, df=df))
            for var, stat, den in self.single:
                t = estimate(work, prep, var, stat, denominator=den, quantiles=0.5, by=by, level=level, df=df)
                tables.append(t.assign(variable=var))
        table = pd.concat(tables, ignore_index=True)
        return self._extras(work, table)

    def _extras(self, work: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
        names = list(self.sums)
        sums = _attach(table, _group_sums(work, self.cols, self.sums), self.cols)
        matrix = np.column_stack([sums[n].to_numpy(dtype=float) for n in names] + [np.full(len(table), np.nan)])
        where = {n: j for j, n in enumerate(names)}
        rows = np.arange(len(table))
        variables = table["variable"].to_numpy()
        meta = {v: self.meta[v] for v in dict.fromkeys(variables)}
        ids = [meta[v][0] for v in variables]

        def col(prefix: str, keys: list[str]) -> np.ndarray:
            """Row i: the sum named prefix:keys[i] of row i's group (NaN when there is none)."""
            index = {k: where.get(f"{prefix}:{k}", len(names)) for k in dict.fromkeys(keys)}
            return matrix[rows, np.array([index[k] for k in keys], dtype=np.intp)]

        table = table.copy()
        table["indicator_id"] = ids
        table["_category"] = [meta[v][1] for v in variables]
        table["n_numerator"] = col("num", list(variables))
        table["n_missing"] = col("miss", ids)
        with np.errstate(invalid="ignore", divide="ignore"):
            table["dk_share"] = col("dkw", ids) / col("basew", ids)
        return table

    @property
    def weights(self) -> np.ndarray:
        return self._weights

    @weights.setter
    def weights(self, value: np.ndarray) -> None:
        self._weights = value


def _mean_of_proportions(
    batch: _Batch, table: pd.DataFrame, s: Scored, prep: PreparedDesign, level: float, df: float | None = None
) -> pd.DataFrame:
    """Average of K component proportions; SE by linearisation: z_i = (1/K) sum_k d_ik (y_ik - R_k) / N_k."""
    comps: tuple[Scored, ...] = s.extra["components"]  # type: ignore[assignment]
    cols = batch.cols
    parts = [table[table["indicator_id"] == c.indicator.id].reset_index(drop=True) for c in comps]
    k = len(parts)
    keys = batch.frame[cols].reset_index(drop=True) if cols else None
    z = np.zeros(len(batch.frame))
    for c, part in zip(comps, parts, strict=True):
        r = part[cols + ["estimate", "n_weighted"]]
        if cols:
            joined = keys.merge(r, how="left", on=cols)
            rk, nk = joined["estimate"].to_numpy(), joined["n_weighted"].to_numpy()
        else:
            rk, nk = float(r["estimate"].iloc[0]), float(r["n_weighted"].iloc[0])
        y = c.values["value"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            contrib = np.where(c.domain.to_numpy(), (y - rk) / nk, 0.0)
        z += np.nan_to_num(contrib) / k
    work = batch.frame[cols].copy() if cols else pd.DataFrame(index=batch.frame.index)
    work["__z__"] = z
    tot = estimate(work, prep, "__z__", "total", by=cols or None, level=level, df=df)
    out = parts[0].copy()
    est = sum(p["estimate"].to_numpy() for p in parts) / k
    se = tot["se"].to_numpy()
    dfv = tot["df"].to_numpy(dtype=float)
    lo, hi = wald_ci(est, se, dfv, level)
    out["estimate"], out["se"], out["ci_low"], out["ci_high"], out["df"] = est, se, lo, hi, dfv
    any_dom = pd.concat([c.domain for c in comps], axis=1).any(axis=1).to_numpy().astype(float)
    out["n"] = _attach(out, _group_sums(batch.frame, cols, {"n": any_dom}), cols)["n"].to_numpy()
    for col in ("n_weighted", "deff_wr", "n_eff", "n_numerator", "n_missing", "dk_share"):
        out[col] = np.nan
    out["ci_method"] = "wald-t"
    out["indicator_id"] = s.indicator.id
    out["_category"] = None
    return out


def _tidy(table: pd.DataFrame, spec: IndicatorSpec, by: list[str], group: str) -> pd.DataFrame:
    inds = [spec[i] for i in table["indicator_id"]]
    out = pd.DataFrame({"indicator_id": table["indicator_id"].to_numpy()})
    out["type"] = [i.type for i in inds]
    out["sdg"] = pd.array([i.sdg for i in inds], dtype="string")
    out["category"] = pd.array(list(table["_category"]), dtype="string")
    for col in by:
        out[col] = table[col].to_numpy()
    out["group"] = group
    out["level"] = table[group].astype("string").to_numpy() if group != "all" else "All"
    scale = np.array([100.0 if i.unit in _PERCENT else 1.0 for i in inds])
    for col in ("estimate", "se", "ci_low", "ci_high"):
        out[col] = table[col].to_numpy(dtype=float) * scale
    out["level_ci"] = float(table["level"].iloc[0]) if "level" in table and len(table) else np.nan
    out["df"] = table["df"].to_numpy()
    out["deff"] = table["deff_wr"].to_numpy() if "deff_wr" in table else np.nan
    for col in ("n", "n_weighted", "n_numerator", "n_eff", "n_missing", "dk_share"):
        out[col] = table[col].to_numpy() if col in table else np.nan
    percent = np.array([i.unit in _PERCENT for i in inds])
    out["n_eff"] = np.where(percent, out["n_eff"], np.nan)
    out["n_numerator"] = np.where(percent, out["n_numerator"], np.nan)
    out["unit"] = [i.unit for i in inds]
    out["sensitive"] = [i.sensitive for i in inds]
    out["flag"] = table["flag"].fillna("").to_numpy() if "flag" in table else ""
    return out


def compute(
    data,
    indicators: IndicatorSpec | str | Path,
    design: Design | PreparedDesign,
    by: str | Sequence[str] | None = None,
    *,
    disaggregate: bool = True,
    ids: Sequence[str] | None = None,
    instrument: Instrument | None = None,
    level: float = 0.95,
    ci_method: str | None = None,
    df: str = "domain",
    children: Mapping[str, pd.DataFrame] | None = None,
    off_list: OffListRule | None = None,
) -> pd.DataFrame:
    """Estimate every indicator with the design; one tidy table (columns in the module docstring).

    Args:
        data: a :class:`~survey_toolkit.SurveyData` (its instrument types the questions) or a DataFrame.
        indicators: an :class:`~survey_toolkit.indicators.model.IndicatorSpec` or the path of a YAML file.
        design: the survey design (weights, strata, PSUs) for ``data``.
        by: estimation keys applied to every row (e.g. ``["round", "admin1"]``).
        disaggregate: also break each indicator down by its ``disaggregations`` (one at a time, within
            ``by``).
        ids: only these indicators (and the ones they are built from).
        instrument: the form, when ``data`` is a DataFrame (else ``data.instrument``).
        level: confidence level.
        ci_method: the interval of percentages: ``None`` (the engine's default, ``xlogit``, as R's
            ``svyciprop(method="xlogit")``), ``"wald"`` (estimate ± t × SE, as many agencies publish),
            or ``logit``, ``korn-graubard``, ``wilson``, ``asin``. Other types always use Wald-t.
        df: the degrees of freedom of every interval: ``"domain"`` (PSUs minus strata with members in
            the domain) or ``"design"`` (PSUs minus strata of the whole design: R's ``degf(design)``,
            what ``svyciprop``/``confint(..., df=degf(design))`` use).
        children: the repeat tables by repeat name, when ``data`` is a DataFrame (else
            ``data.children``); read by ``aggregates:`` and by indicators with ``repeat:``.
        off_list: how answers outside a question's choice list count: ``OffListRule()`` (the default)
            counts them as missing, ``OffListRule("other")`` keeps them in the base as an answer equal
            to no listed choice (category ``off_list`` of distributions); per question with
            ``OffListRule(questions={"q": "other"})``. See :mod:`survey_toolkit.offlist`.

    Raises:
        SpecError: the file has errors, or a question it reads is not a column of the data.
    """
    return compute_many(data, indicators, design, [(by, disaggregate)], ids=ids, instrument=instrument,
                        level=level, ci_method=ci_method, df=df, children=children, off_list=off_list)[0]  # fmt: skip


def compute_many(
    data,
    indicators: IndicatorSpec | str | Path,
    design: Design | PreparedDesign,
    groupings: Sequence[tuple[str | Sequence[str] | None, bool]],
    *,
    ids: Sequence[str] | None = None,
    instrument: Instrument | None = None,
    level: float = 0.95,
    ci_method: str | None = None,
    df: str = "domain",
    children: Mapping[str, pd.DataFrame] | None = None,
    off_list: OffListRule | None = None,
) -> list[pd.DataFrame]:
    """:func:`compute` once per ``(by, disaggregate)`` of ``groupings`` on the same data: one table each,
    equal to ``compute(data, ..., by=by, disaggregate=disaggregate)``, with the respondents scored and
    the design prepared once (e.g. a round by itself, by region, by district)."""
    frame = data if isinstance(data, pd.DataFrame) else data.frame
    form = instrument or getattr(data, "instrument", None)
    spec = _spec_of(indicators, form)
    children = dict(getattr(data, "children", None) or {}) if children is None else dict(children)
    if form is not None:
        form = instrument_with_aggregates(form, spec)
    kinds = instrument_kinds(form) if form is not None else None
    repeat_kinds = {r: instrument_kinds(form, r) for r in {i.repeat for i in spec.indicators} | {a.repeat for a in
                    spec.aggregates} if r is not None and form is not None}  # fmt: skip
    frame = with_aggregates(frame, children, spec, kinds, repeat_kinds)
    calls = [([] if by is None else ([by] if isinstance(by, str) else list(by)), dis) for by, dis in groupings]
    _missing_columns(spec, frame, list(dict.fromkeys(c for by_cols, _ in calls for c in by_cols)))
    if df not in DF_RULES:
        raise ValueError(f"df must be one of {DF_RULES}, got {df!r}")
    prep = prepare_design(frame, design)
    df_value = float(prep.df) if df == "design" else None
    respondent = dataclasses.replace(spec, indicators=tuple(i for i in spec.indicators if i.repeat is None))
    special = {name: dict(meta.special_codes) for name, meta in (getattr(data, "variables", None) or {}).items()
               if getattr(meta, "special_codes", None)}  # fmt: skip
    scored = score_all(respondent, frame, kinds, special, off_list)
    wanted = _with_references(spec, list(ids) if ids else list(spec.ids))
    on_rows = [i for i in wanted if spec[i].repeat is not None]
    wanted = [i for i in wanted if spec[i].repeat is None]
    out = []
    for by_cols, disaggregate in calls:
        chunks = []
        for group, members in _groupings(by_cols, spec, wanted, disaggregate).items():
            if members:
                chunks.append(_grouping_table(frame, spec, scored, prep, by_cols, group, members, level, ci_method,
                                              df_value))  # fmt: skip
        chunks += _repeat_chunks(frame, children, spec, on_rows, prep, by_cols, disaggregate, repeat_kinds, level,
                                 ci_method, df_value, off_list)  # fmt: skip
        out.append(_ordered(chunks, spec, by_cols))
    return out


def _grouping_table(frame, spec, scored, prep, by_cols, group, members, level, ci_method, df_value) -> pd.DataFrame:
    """The tidy rows of ``members`` estimated by ``by_cols`` (and ``group`` unless it is "all")."""
    cols = by_cols + ([] if group == "all" else [group])
    batch = _Batch(frame, cols)
    batch.weights = prep.weights
    mops = []
    for ident in members:
        if scored[ident].statistic == "mean_of_proportions":
            mops.append(ident)
        else:
            batch.add(scored[ident])
    for ident in mops:  # their components are needed in this grouping too
        for comp in scored[ident].extra["components"]:
            if comp.indicator.id not in members:
                batch.add(comp)
    table = batch.run(prep, level, ci_method, df_value)
    tables = [table[table["indicator_id"].isin(members)]]
    tables += [_mean_of_proportions(batch, table, scored[i], prep, level, df_value) for i in mops]
    return _tidy(pd.concat(tables, ignore_index=True), spec, by_cols, group)


def _ordered(chunks: list[pd.DataFrame], spec: IndicatorSpec, by_cols: list[str]) -> pd.DataFrame:
    """The chunks stacked in the file's indicator order, columns as documented."""
    if not chunks:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    out = pd.concat(chunks, ignore_index=True)
    rank = {ident: i for i, ident in enumerate(spec.ids)}
    out["_order"] = out["indicator_id"].map(rank)
    out = out.sort_values(["_order"], kind="stable").drop(columns="_order").reset_index(drop=True)
    order = ["indicator_id", "type", "sdg", "category", *by_cols] + list(RESULT_COLUMNS[4:])
    return out[order]


def _repeat_chunks(frame, children, spec, ids, prep, by_cols, disaggregate, repeat_kinds, level,
                   ci_method=None, df_value=None, off_list=None) -> list[pd.DataFrame]:  # fmt: skip
    """Indicators with ``repeat:``: scored on the repeat's rows, estimated with the respondents' design;
    ``repeat_kinds`` are the question kinds of each repeat's rows (a name may be used at two levels)."""
    chunks = []
    by_repeat: dict[str, list[str]] = {}
    for ident in ids:
        by_repeat.setdefault(spec[ident].repeat, []).append(ident)
    problems = []
    for name, idents in by_repeat.items():
        if name not in children:
            problems += [_repeat_missing(spec[i], name, children) for i in idents]
            continue
        family = tuple(i for i in spec.indicators if i.repeat == name)
        needed = set(by_cols).union(*(i.questions() | set(i.disaggregations) for i in family))
        rows = repeat_frame(frame, children[name], needed)
        for ind in family:
            for q in sorted(ind.questions() | set(ind.disaggregations)):
                if ind.id in idents and not _present(rows.frame, q):
                    problems.append(
                        Problem(
                            "question-not-in-data",
                            f"indicator '{ind.id}' reads '{q}', which is neither a column of the repeat "
                            f"'{name}' nor of the respondents' data",
                            ind.location,
                            hint=did_you_mean(q, [str(c) for c in rows.frame.columns]),
                        )
                    )
        if problems:
            continue
        scored = score_all(dataclasses.replace(spec, indicators=family), rows.frame, repeat_kinds.get(name),
                           off_list=off_list)  # fmt: skip
        for ident in idents:
            ind = spec[ident]
            groups = ["all"] + ([d for d in ind.disaggregations if d not in by_cols] if disaggregate else [])
            for group in groups:
                table = estimate_over_rows(
                    scored[ident], rows, frame, prep, by_cols, None if group == "all" else group, level,
                    ind.unit in _PERCENT, ci_method, df_value,
                )
                chunks.append(_tidy(table, spec, by_cols, group))
    if problems:
        raise SpecError(problems)
    return chunks


def _repeat_missing(ind, name: str, children) -> Problem:
    return Problem(
        "repeat-not-in-data",
        f"indicator '{ind.id}' is estimated over repeat '{name}', which is not a child table of the data",
        ind.location,
        expected="one of: " + (", ".join(sorted(children)) or "no repeat tables were loaded"),
        got=name,
        hint=did_you_mean(name, list(children)) or "load the export with its repeat sheets/files",
    )


def _with_references(spec: IndicatorSpec, wanted: list[str]) -> list[str]:
    """``wanted`` in file order (ids are validated by the caller)."""
    for ident in wanted:
        spec[ident]  # KeyError for an unknown id
    keep = set(wanted)
    return [i for i in spec.ids if i in keep]
