"""Change between survey rounds: each indicator by location (and other groups) and overall.

:func:`compare_rounds` takes a tidy results table (the output of ``survey_toolkit.compute``, with or
without the reporting rules already applied) and compares the **latest** round with the
**previous** one and with the **baseline** (the first round). Rounds are independent
cross-sections (a fresh sample each round), so (``statistics.md`` section 9)::

    change = estimate_to - estimate_from
    se     = sqrt(se_from**2 + se_to**2)
    df     = Satterthwaite (v1 + v2)**2 / (v1**2 / df1 + v2**2 / df2), v = se**2   (default)
             or min(df1, df2)                                    (``df_method="min"``, conservative)
             or infinite (Normal)                                 (``df_method="normal"``)
    t      = change / se,  p = 2 * P(T_df > |t|),  CI = change -/+ t_{df, 1 - alpha/2} * se

When rows carry no ``df`` the Normal distribution is used. If rounds share PSUs or respondents,
the covariance must come from a pooled design instead (the estimation engine); this module does
not apply then.

Multiple testing: p-values are adjusted with the Benjamini-Hochberg procedure (:func:`fdr_bh`)
within **families** of related tests (``fdr_families="standard"``, the default; see
:func:`fdr_family`): one family per comparison (vs previous / vs baseline) x kind of estimate
(``headline``: the indicator's own estimate; ``category``: one answer category of a distribution;
``breakdown``: a sub-group such as sex or age group) x geographic level (``national``, ``admin1``,
``admin2``...). So the headline changes of every indicator by district form one family, and the
hundreds of sub-group and answer-category tests do not dilute it. ``fdr_families="all"`` adjusts
every test of the call together (the most conservative choice). The family is in ``fdr_family``;
the table shows both ``significant`` (unadjusted p < alpha) and ``significant_fdr`` (q < fdr). The
plain-language ``interpretation`` uses the adjusted flag and the indicator's ``direction``
(``higher_is_better`` / ``higher_is_worse``, also spelt ``higher_better`` / ``higher_worse``;
anything else, e.g. ``neutral``, has no direction): ``improved``, ``worsened``, ``increased``/``decreased``
(no direction), ``no significant change``, or ``suppressed``.

Disclosure: when either input estimate is suppressed (reporting rules in
:mod:`survey_toolkit.disclosure`, applied here first if the table has no ``suppressed`` column),
the change is suppressed too and its numbers are NaN.

Example (``statistics.md`` section 9, two independent rounds; df 393 as in R's ``svyttest``):
    >>> import pandas as pd
    >>> t = pd.DataFrame({"indicator_id": ["api", "api"], "round": ["1", "2"],
    ...                   "estimate": [629.39484, 662.28736], "se": [10.0969867, 9.5361323],
    ...                   "df": [393, 393], "n": [200, 200], "unit": "mean"})
    >>> c = compare_rounds(t, df_method="min").iloc[0]
    >>> [round(float(c[k]), 6) for k in ("change", "se", "p_value")]
    [32.89252, 13.888375, 0.018351]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .disclosure import ReportingRules, apply_rules, group_columns_of
from .errors import DataError, Location, Problem, did_you_mean
from .estimation.distributions import t_ppf, t_sf
from .results import as_reporting_table

__all__ = [
    "DF_METHODS",
    "MEASURE_COLUMNS",
    "compare_rounds",
    "round_difference",
    "fdr_bh",
    "fdr_family",
    "FDR_FAMILIES",
    "round_order",
]

FDR_FAMILIES = ("standard", "all")
"""Ways to group tests for false discovery rate control (see :func:`fdr_family`)."""

DF_METHODS = ("satterthwaite", "min", "normal")
"""Ways to choose the degrees of freedom of a change between independent rounds."""

MEASURE_COLUMNS = (
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "n",
    "n_numerator",
    "n_weighted",
    "n_eff",
    "dk_share",
    "deff",
    "deff_wr",
    "cv",
    "moe",
    "suppressed",
    "suppression_reason",
    "caution_reasons",
    "caution",
)
"""Per-round columns of a results table (the rest describe the indicator or the group)."""


def round_difference(
    est_from: np.ndarray,
    se_from: np.ndarray,
    df_from: np.ndarray,
    est_to: np.ndarray,
    se_to: np.ndarray,
    df_to: np.ndarray,
    *,
    df_method: str = "satterthwaite",
    level: float = 0.95,
) -> dict[str, np.ndarray]:
    """Change between two independent estimates, vectorised over arrays.

    Returns a dict of arrays: ``change``, ``se``, ``df``, ``t``, ``p_value``, ``ci_low``,
    ``ci_high``. NaN ``df`` means the Normal distribution; a zero SE gives NaN ``t`` and ``p``.

    >>> r = round_difference([629.39484], [10.0969867], [np.inf], [662.28736], [9.5361323], [np.inf])
    >>> round(float(r["se"][0]), 4)
    13.8884
    """
    if df_method not in DF_METHODS:
        raise ValueError(f"df_method must be one of {DF_METHODS}, got {df_method!r}")
    e1, s1, d1, e2, s2, d2 = (
        np.asarray(a, dtype="float64") for a in (est_from, se_from, df_from, est_to, se_to, df_to)
    )
    d1, d2 = np.where(np.isnan(d1), np.inf, d1), np.where(np.isnan(d2), np.inf, d2)
    change = e2 - e1
    v1, v2 = s1**2, s2**2
    se = np.sqrt(v1 + v2)
    df = _combined_df(v1, v2, d1, d2, df_method)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, change / se, np.nan)
    p = 2 * t_sf(np.abs(t), df)
    crit = t_ppf(0.5 + level / 2, df)
    return {
        "change": change,
        "se": se,
        "df": df,
        "t": t,
        "p_value": p,
        "ci_low": change - crit * se,
        "ci_high": change + crit * se,
    }


def _combined_df(v1: np.ndarray, v2: np.ndarray, d1: np.ndarray, d2: np.ndarray, method: str) -> np.ndarray:
    if method == "normal":
        return np.full(np.broadcast(v1, v2).shape, np.inf)
    low = np.minimum(d1, d2)
    if method == "min":
        return low
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = v1**2 / d1 + v2**2 / d2
        sat = (v1 + v2) ** 2 / denom
    return np.where(np.isfinite(sat) & (denom > 0), sat, np.where(denom == 0, np.inf, low))


def fdr_bh(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN inputs stay NaN and are not counted.

    Same as R ``p.adjust(p, "BH")`` and ``scipy.stats.false_discovery_control(p)``.

    >>> fdr_bh([0.01, 0.04, 0.03, np.nan]).round(4).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(p_values, dtype="float64")
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv, kind="stable")
    ranked = pv[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out = np.empty(m)
    out[order] = adjusted
    q[ok] = out
    return q


def round_order(results: pd.DataFrame, rounds: Sequence[str] | None = None) -> list[str]:
    """The rounds of ``results`` from first to latest.

    ``rounds`` when given (every listed round must be in the table); otherwise by ``round_date``
    when that column exists; otherwise a natural sort of the round ids (``R2`` before ``R10``).
    """
    present = [str(r) for r in pd.unique(results["round"].astype("string").dropna())]
    if rounds is not None:
        unknown = [r for r in map(str, rounds) if r not in present]
        if unknown:
            raise DataError(
                [
                    Problem(
                        "unknown-round",
                        f"round '{r}' is not in the results table",
                        Location(field="round"),
                        expected=", ".join(present),
                        got=r,
                        hint=did_you_mean(r, present)
                        or f"use one of the rounds in the results: {', '.join(present)}",
                    )
                    for r in unknown
                ]
            )
        return [str(r) for r in rounds]
    if "round_date" in results.columns:
        dates = results.groupby(results["round"].astype("string"), sort=False)["round_date"].min()
        return [str(r) for r in dates.sort_values(kind="stable").index]
    return sorted(present, key=_natural_key)


def _natural_key(text: str) -> list:
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part
    ]


def compare_rounds(
    results: pd.DataFrame,
    *,
    rounds: Sequence[str] | None = None,
    df_method: str = "satterthwaite",
    level: float = 0.95,
    alpha: float = 0.05,
    fdr: float | None = None,
    rules: ReportingRules | None = None,
    group_columns: Sequence[str] | None = None,
    fdr_families: str = "standard",
    indicators: Any = None,
    instrument: Any = None,
) -> pd.DataFrame:
    """Compare the latest round with the previous round and with the baseline.

    Args:
        results: ``compute()`` output (by ``round`` and locations), or the reporting table, one row per
            indicator x round x group (``indicator_id``, ``round``, ``estimate``, ``se``, ``n`` and
            optionally ``df``, ``direction``, ``unit``, labels...).
        rounds: the rounds in time order (default: :func:`round_order`).
        df_method: ``"satterthwaite"`` (default), ``"min"`` or ``"normal"``.
        level: confidence level of the change's CI.
        alpha: significance level of the unadjusted test.
        fdr: false discovery rate for the adjusted flag (default ``alpha``).
        rules: reporting rules applied first when ``results`` has no ``suppressed`` column.
        group_columns: grouping columns (default: the recognised ones present).
        fdr_families: ``"standard"`` (Benjamini-Hochberg within each family of :func:`fdr_family`)
            or ``"all"`` (one family holding every test).
        indicators, instrument: for ``compute()`` output, the indicators (labels and the ``direction``
            that tells an improvement from a worsening) and the form (category labels); see
            :func:`survey_toolkit.results.reporting_table`.

    Returns:
        One row per indicator x group x comparison (``previous`` and, when there are three rounds
        or more, ``baseline``; with two rounds the previous round is the baseline) with
        ``round_from``, ``round_to``, ``estimate_from``, ``estimate_to``, ``change``, ``se``,
        ``df``, ``ci_low``, ``ci_high``, ``t``, ``p_value``, ``fdr_family``, ``q_value``,
        ``significant``, ``significant_fdr``, ``interpretation``, ``interpretation_unadjusted``, ``suppressed``,
        ``suppression_reason``, plus the descriptive columns of the latest round's rows.
    """
    if df_method not in DF_METHODS:
        raise ValueError(f"df_method must be one of {DF_METHODS}, got {df_method!r}")
    if fdr_families not in FDR_FAMILIES:
        raise ValueError(f"fdr_families must be one of {FDR_FAMILIES}, got {fdr_families!r}")
    results = as_reporting_table(results, indicators=indicators, instrument=instrument)
    table = results if "suppressed" in results.columns else apply_rules(results, rules)
    _check_compare_columns(table)
    order = round_order(table, rounds)
    keys = ["indicator_id", *(list(group_columns) if group_columns is not None else group_columns_of(table))]
    keys += [c for c in ("location_level", "location_parent") if c in table.columns and c not in keys]
    _check_unique(table, keys)
    pairs = _pairs(order)
    if not pairs:
        return _empty_result(table, keys)
    parts = [_pair_frame(table, keys, a, b, label) for label, a, b in pairs]
    out = pd.concat(parts, ignore_index=True)
    groups = [k for k in keys if k not in ("indicator_id", "location_level", "location_parent")]
    out["fdr_family"] = fdr_family(out, groups) if fdr_families == "standard" else "all"
    return _finish(out, df_method, level, alpha, alpha if fdr is None else fdr)


def fdr_family(comparisons: pd.DataFrame, group_columns: Sequence[str] | None = None) -> pd.Series:
    """The false discovery rate family of each comparison: ``<comparison>:<kind>:<level>``.

    ``kind`` is ``breakdown`` when a grouping column other than ``location`` holds a sub-group
    (not missing, not ``"All"``), else ``category`` when the row is one answer category of a
    distribution (``category`` not missing), else ``headline``. ``level`` is ``location_level``
    (``national`` when the column is missing or empty). Families keep the headline change of each
    indicator by location, the question programme managers ask, from being diluted by the many
    sub-group and answer-category tests, while every test stays inside a family.

    >>> c = pd.DataFrame({"comparison": ["previous", "baseline", "previous"],
    ...                   "location_level": ["admin2", "admin2", "national"],
    ...                   "category": [None, None, "1"], "location": ["D1", "D1", "All"]})
    >>> fdr_family(c).tolist()
    ['previous:headline:admin2', 'baseline:headline:admin2', 'previous:category:national']
    """
    index = comparisons.index
    cols = group_columns_of(comparisons) if group_columns is None else list(group_columns)
    sub = pd.Series(False, index=index)
    for col in (c for c in cols if c != "location" and c in comparisons.columns):
        value = comparisons[col].astype("string")
        sub |= (value.notna() & (value != "All")).fillna(False).astype(bool)
    has_cat = (
        comparisons["category"].notna()
        if "category" in comparisons.columns
        else pd.Series(False, index=index)
    )
    kind = pd.Series(
        np.select([sub.to_numpy(), has_cat.to_numpy()], ["breakdown", "category"], "headline"), index=index
    )
    level = (
        comparisons["location_level"].astype("string").fillna("national")
        if "location_level" in comparisons.columns
        else pd.Series("national", index=index, dtype="string")
    )
    level = level.mask(level == "", "national")
    comparison = comparisons.get("comparison", pd.Series("all", index=index)).astype("string")
    return (comparison + ":" + kind + ":" + level).astype(object)


def _check_compare_columns(table: pd.DataFrame) -> None:
    missing = [c for c in ("indicator_id", "round", "estimate", "se") if c not in table.columns]
    if missing:
        raise DataError(
            [
                Problem(
                    "missing-result-column",
                    f"the results table has no column '{c}', needed to compare rounds",
                    Location(field=c),
                    hint="pass the tidy table returned by survey_toolkit.compute",
                )
                for c in missing
            ]
        )


def _check_unique(table: pd.DataFrame, keys: list[str]) -> None:
    """One row per indicator x round x group, or the rounds cannot be matched."""
    frame = _key_frame(table, ["round", *keys])
    dup = frame.duplicated(keep=False)
    if not dup.any():
        return
    first = frame[dup].drop_duplicates()
    problems = [
        Problem(
            "duplicate-result-rows",
            f"indicator '{row['indicator_id']}' has several rows for round '{row['round']}' and the same group",
            Location(field="indicator_id"),
            expected="one row per indicator x round x group",
            got=", ".join(f"{k}={v}" for k, v in row.items() if v != "\x00NA"),
            hint="give each breakdown its own column (survey_toolkit.reporting_table does this)",
            count=int(dup.sum()),
        )
        for row in first.head(5).to_dict("records")
    ]
    raise DataError(problems)


def _pairs(order: list[str]) -> list[tuple[str, str, str]]:
    if len(order) < 2:
        return []
    latest = order[-1]
    pairs = [("previous", order[-2], latest)]
    if len(order) >= 3:
        pairs.append(("baseline", order[0], latest))
    return pairs


def _key_frame(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Merge keys as strings with an explicit sentinel so missing group values match each other."""
    return frame[keys].astype("string").fillna("\x00NA")


def _pair_frame(table: pd.DataFrame, keys: list[str], r_from: str, r_to: str, label: str) -> pd.DataFrame:
    rnd = table["round"].astype("string")
    old, new = table[rnd == r_from], table[rnd == r_to]
    measures = [c for c in ("estimate", "se", "df", "n", "suppressed") if c in table.columns]
    left = pd.concat([_key_frame(old, keys).add_prefix("_k_"), old[measures].add_suffix("_from")], axis=1)
    descriptive = [c for c in new.columns if c not in MEASURE_COLUMNS and c != "round"]
    right = pd.concat(
        [_key_frame(new, keys).add_prefix("_k_"), new[descriptive], new[measures].add_suffix("_to")], axis=1
    )
    merged = right.merge(left, on=[f"_k_{k}" for k in keys], how="inner", validate="one_to_one")
    merged = merged.drop(columns=[f"_k_{k}" for k in keys])
    merged.insert(0, "comparison", label)
    merged.insert(1, "round_from", r_from)
    merged.insert(2, "round_to", r_to)
    return merged


def _num(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64")


def _finish(out: pd.DataFrame, df_method: str, level: float, alpha: float, fdr: float) -> pd.DataFrame:
    diff = round_difference(
        _num(out, "estimate_from"),
        _num(out, "se_from"),
        _num(out, "df_from"),
        _num(out, "estimate_to"),
        _num(out, "se_to"),
        _num(out, "df_to"),
        df_method=df_method,
        level=level,
    )
    supp_from = out.get("suppressed_from", pd.Series(False, index=out.index)).fillna(False).astype(bool)
    supp_to = out.get("suppressed_to", pd.Series(False, index=out.index)).fillna(False).astype(bool)
    suppressed = (supp_from | supp_to).to_numpy()
    for name, values in diff.items():
        out[name] = np.where(suppressed, np.nan, values)
    family = out["fdr_family"] if "fdr_family" in out.columns else pd.Series("all", index=out.index)
    out["q_value"] = out["p_value"].groupby(family.to_numpy(), sort=False).transform(fdr_bh)
    out["significant"] = (out["p_value"] < alpha).to_numpy()
    out["significant_fdr"] = (out["q_value"] < fdr).to_numpy()
    out["suppressed"] = suppressed
    reason = np.where(supp_from, "input-suppressed:" + out["round_from"].astype(str), "")
    reason = np.where(
        supp_to,
        np.where(reason == "", "", reason + ";") + "input-suppressed:" + out["round_to"].astype(str),
        reason,
    )
    out["suppression_reason"] = reason
    direction = out.get("direction", pd.Series("", index=out.index)).astype("string").fillna("")
    out["interpretation"] = _interpret(out["change"], out["significant_fdr"], direction, suppressed)
    out["interpretation_unadjusted"] = _interpret(out["change"], out["significant"], direction, suppressed)
    out = out.drop(columns=[c for c in ("suppressed_from", "suppressed_to") if c in out.columns])
    return out.reset_index(drop=True)


def _interpret(
    change: pd.Series, significant: pd.Series, direction: pd.Series, suppressed: np.ndarray
) -> np.ndarray:
    up = change.to_numpy() > 0
    norm = direction.str.lower().str.replace("_is_", "_", regex=False)
    better = norm.eq("higher_better").to_numpy()
    worse = norm.eq("higher_worse").to_numpy()
    moved = np.select(
        [better & up, better & ~up, worse & up, worse & ~up, up],
        ["improved", "worsened", "worsened", "improved", "increased"],
        default="decreased",
    )
    text = np.where(significant.to_numpy(dtype=bool), moved, "no significant change")
    return np.where(suppressed, "suppressed", text).astype(object)


def _empty_result(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    cols = [
        "comparison",
        "round_from",
        "round_to",
        *keys,
        "estimate_from",
        "estimate_to",
        "change",
        "se",
        "df",
    ]
    cols += ["ci_low", "ci_high", "t", "p_value", "fdr_family", "q_value", "significant", "significant_fdr"]
    cols += ["suppressed", "suppression_reason", "interpretation", "interpretation_unadjusted"]
    return pd.DataFrame(columns=cols)
