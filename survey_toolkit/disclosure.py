"""Reporting rules applied inside the library, before any table, chart or export exists.

:func:`apply_rules` takes a tidy results table (one row per indicator x round x group, see
``docs/reports.md``) and returns the same table with five more columns:

- ``suppressed`` (bool): the estimate must not be published;
- ``suppression_reason``: ``;``-separated reason codes (``""`` when published);
- ``protects``: on a ``secondary`` row, the withheld cell it protects, as ``column=code`` pairs
  joined by ``;`` (``location=North;sex=2``; ``indicator=q[3]`` for a category of a distribution; a ``;``
  or ``%`` inside a code is written ``%3B`` / ``%25``, read back by :func:`protected_cell`);
  ``""`` elsewhere. It names the cell, never its value, so a report can say why the row is withheld;
- ``caution_reasons``: ``;``-separated caution codes for published estimates (``""`` when none);
- ``caution`` (bool): ``caution_reasons`` is not empty (the report shows the estimate in parentheses).

Every numeric value that could reveal a suppressed estimate (``estimate``, ``se``, CI, numerator,
weighted base, ...; see :attr:`ReportingRules.blank_columns`) is set to NaN on suppressed rows, so no
output built from the returned table can leak it. The unweighted base ``n`` stays visible: it explains
the suppression and reveals nothing once the numerator is blank.

Rules (``domain.md`` section 7.2; thresholds in :class:`ReportingRules`, the single home of defaults):

=================== ================================================================== =========
code                rule                                                               effect
=================== ================================================================== =========
``small-base``      unweighted base ``n`` < 30                                         suppress
``low-n-eff``       effective sample size ``n_eff`` < 30                               suppress
``wide-ci``         percentages: absolute CI width >= 30 percentage points              suppress
``wide-relative-ci`` percentages: 5 pp < width < 30 pp and width / estimate > 130%     suppress
                    (not at exactly 0% or 100%: see ``all-or-none``)
``no-estimate``     the estimate is missing (empty domain, failed variance)            suppress
``small-cell``      sensitive indicators: unweighted numerator 1-4 (threshold rule)    suppress
``sensitive-admin2`` sensitive indicators at admin2 level (unless allowed)              suppress
``secondary``       complementary suppression so no suppressed cell can be derived     suppress
``caution-base``    30 <= n < 50                                                       flag
``low-df``          design degrees of freedom < 8                                      flag
``high-dk``         don't know + refused share > 10% of the base                       flag
``all-or-none``     percentages of exactly 0% or 100%: SE 0, zero-events interval      flag
=================== ================================================================== =========

Secondary suppression: a reader sees every relation "total = sum of its parts" of the table: the
levels of one grouping column under the row where that column is the total (the other grouping
columns fixed), the locations of one level under their parent (``location_parent``; the national
row when it is missing) and the categories of a ``distribution`` indicator (which sum to the base).
A relation with exactly one *unknown* cell (suppressed, for any reason, and not empty) gives that
cell away by differencing, so the published, non-empty part with the smallest numerator (then the
smallest base) is suppressed too, or the total when no part is left. The passes repeat until no
relation has a single unknown cell. An empty cell (``n`` = 0, such as a third sex category nobody
chose) is known to contribute nothing, so it never counts as protection.

Example:
    >>> import pandas as pd
    >>> t = pd.DataFrame({"indicator_id": ["a", "a"], "round": ["R1", "R1"],
    ...                   "location": ["North", "South"], "estimate": [40.0, 55.0],
    ...                   "se": [3.0, 2.0], "ci_low": [34.0, 51.0], "ci_high": [46.0, 59.0],
    ...                   "n": [25, 400], "unit": ["percent", "percent"]})
    >>> out = apply_rules(t)
    >>> out["estimate"].tolist(), out["suppression_reason"].tolist(), out["caution_reasons"].tolist()  # North + South = the national total
    ([nan, nan], ['small-base', 'secondary'], ['', ''])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError, Location, Problem

__all__ = [
    "ReportingRules",
    "DEFAULT_RULES",
    "DEFAULT_GROUP_COLUMNS",
    "REQUIRED_COLUMNS",
    "SUPPRESSION_REASONS",
    "CAUTION_FLAGS",
    "DISCLOSURE_REASONS",
    "apply_rules",
    "group_columns_of",
    "is_total",
    "protected_cell",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("indicator_id", "round", "estimate", "n")
"""Columns :func:`apply_rules` cannot work without."""

DEFAULT_GROUP_COLUMNS: tuple[str, ...] = (
    "location",
    "sex",
    "a1_sex",
    "age_group",
    "disability",
    "area_type",
    "displacement",
    "a4_displacement",
    "youth_18_29",
)
"""Grouping columns recognised when ``group_columns`` is not given (only those present are used;
a table may also name its own in ``table.attrs["group_columns"]``)."""

SUPPRESSION_REASONS: dict[str, str] = {
    "small-base": "unweighted base below the minimum",
    "low-n-eff": "effective sample size below the minimum",
    "wide-ci": "confidence interval too wide",
    "wide-relative-ci": "confidence interval too wide relative to the estimate",
    "no-estimate": "no estimate could be computed",
    "small-cell": "fewer than 5 respondents in the numerator of a sensitive indicator",
    "sensitive-admin2": "sensitive indicator not published below admin1",
    "secondary": "suppressed so that another suppressed value cannot be derived",
}
"""Reason codes and their plain-English meaning (the report translates them)."""

CAUTION_FLAGS: dict[str, str] = {
    "caution-base": "small unweighted base: interpret with caution",
    "low-df": "few design degrees of freedom",
    "high-dk": "more than 10% don't know or refused",
    "all-or-none": "0% or 100%: every respondent in the group gave the same answer, so the standard error is 0; "
    "the interval is the Korn-Graubard interval for this case",
    "model-based": "model-based estimate (Fay-Herriot small-area model with the project's covariates), shown "
    "because the survey's own estimate for this location is withheld; its interval comes from the model's "
    "mean squared error, and no change is computed from it",
}
"""Caution codes and their plain-English meaning."""

DISCLOSURE_REASONS: frozenset[str] = frozenset({"small-cell", "sensitive-admin2", "secondary"})
"""Reasons that protect respondents (and so trigger secondary suppression)."""


@dataclass(frozen=True)
class ReportingRules:
    """Thresholds of the reporting rules (``domain.md`` section 7.2). The single home of defaults.

    Widths are in percentage points and apply to rows whose ``unit`` is a percentage; estimates
    stored as proportions (0-1) are rescaled by ``percent_scale`` (None: detected from the table).
    ``dk_share`` is a fraction of the base (0-1).
    """

    min_n: int = 30
    """Suppress when the unweighted base is below this."""
    caution_n: int = 50
    """Flag ``caution-base`` when the base is at least ``min_n`` and below this."""
    min_n_eff: float = 30.0
    """Suppress when the Kish effective sample size is below this."""
    max_ci_width: float = 30.0
    """Suppress percentages whose absolute CI width (pp) is at least this."""
    relative_ci_floor: float = 5.0
    """The relative-width rule applies only when the absolute width (pp) exceeds this."""
    max_relative_ci_width: float = 1.30
    """Suppress when width / estimate exceeds this (1.30 = 130%) above the floor."""
    min_df: float = 8.0
    """Flag ``low-df`` when the design degrees of freedom are below this."""
    max_dk_share: float = 0.10
    """Flag ``high-dk`` when the don't-know + refused share exceeds this."""
    small_cell_k: int = 5
    """Sensitive indicators: suppress when 1 <= unweighted numerator < k (threshold rule)."""
    secondary_suppression: bool = True
    """Protect small cells of sensitive indicators by complementary suppression."""
    sensitive_admin2: bool = False
    """Publish sensitive indicators at admin2 (needs a ``location_level`` column to take effect)."""
    total_label: str = "All"
    """Value of a grouping column meaning 'everyone' (missing values mean the same)."""
    percent_units: tuple[str, ...] = ("percent", "proportion", "share")
    """``unit`` values treated as percentages by the CI-width rules."""
    percent_scale: float | None = None
    """Multiply percentage estimates by this to get percentage points; None: 100 when every
    percentage row lies within [0, 1], else 1."""
    blank_columns: tuple[str, ...] = (
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "n_numerator",
        "n_weighted",
        "n_eff",
        "dk_share",
        "deff",
        "deff_wr",
        "cv",
        "moe",
    )
    """Columns set to NaN on suppressed rows (only those present)."""


DEFAULT_RULES = ReportingRules()


def apply_rules(
    results: pd.DataFrame,
    rules: ReportingRules | None = None,
    *,
    group_columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Apply the reporting rules to a tidy results table; return a new, suppressed and flagged table.

    Args:
        results: one row per indicator x round x group with at least ``indicator_id``, ``round``,
            ``estimate`` and ``n``; optional ``se``, ``ci_low``, ``ci_high``, ``df``,
            ``n_numerator``, ``n_eff``, ``dk_share``, ``unit``, ``sensitive``, ``location_level``,
            ``location_parent`` switch on the rules that need them.
        rules: thresholds; :data:`DEFAULT_RULES` when None.
        group_columns: the grouping columns that define partitions for secondary suppression;
            default: those of :data:`DEFAULT_GROUP_COLUMNS` present in the table.

    Returns:
        A copy of ``results`` with ``suppressed``, ``suppression_reason``, ``caution_reasons`` and
        ``caution``, and the :attr:`ReportingRules.blank_columns` blanked where suppressed.

    Raises:
        DataError: a required column is missing (one problem per column).
    """
    rules = rules or DEFAULT_RULES
    _check_columns(results)
    out = results.copy()
    groups = list(group_columns) if group_columns is not None else group_columns_of(out)
    primary = _primary_reasons(out, rules)
    reasons = pd.DataFrame(primary, index=out.index)
    protects = pd.Series("", index=out.index, dtype=object)
    if rules.secondary_suppression:
        reasons["secondary"], protects = _secondary(out, reasons.any(axis=1), groups, rules.total_label)
    suppressed = reasons.any(axis=1)
    flags = pd.DataFrame(_caution_flags(out, rules), index=out.index)
    flags = flags & ~suppressed.to_numpy()[:, None]
    out["suppressed"] = suppressed.to_numpy()
    out["suppression_reason"] = _join_codes(reasons)
    out["protects"] = protects.to_numpy(dtype=object)
    out["caution_reasons"] = _join_codes(flags)
    out["caution"] = flags.any(axis=1).to_numpy()
    blank = [c for c in rules.blank_columns if c in out.columns]
    for col in blank:
        out[col] = out[col].astype("float64").mask(out["suppressed"])
    return out


def group_columns_of(results: pd.DataFrame) -> list[str]:
    """The grouping columns of ``results``: ``attrs["group_columns"]`` then the recognised ones present."""
    declared = [str(c) for c in results.attrs.get("group_columns", ())]
    known = declared + [c for c in DEFAULT_GROUP_COLUMNS if c not in declared]
    return [c for c in known if c in results.columns]


def is_total(values: pd.Series, total_label: str = "All") -> pd.Series:
    """True where a grouping value means 'everyone': missing or equal to ``total_label``."""
    return values.isna() | (values.astype("string") == total_label).fillna(False).astype(bool)


def _check_columns(results: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in results.columns]
    if missing:
        raise DataError(
            [
                Problem(
                    "missing-result-column",
                    f"the results table has no column '{c}'",
                    Location(field=c),
                    expected=", ".join(REQUIRED_COLUMNS),
                    got=", ".join(map(str, results.columns)) or "no columns",
                    hint="pass the tidy table returned by survey_toolkit.compute",
                )
                for c in missing
            ]
        )


def _num(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[col], errors="coerce").astype("float64")


def _flag(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame[col].fillna(False).astype(bool)


def _percent_rows(frame: pd.DataFrame, rules: ReportingRules) -> pd.Series:
    if "unit" not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame["unit"].astype("string").str.lower().isin(rules.percent_units).fillna(False).astype(bool)


def _pp_scale(frame: pd.DataFrame, is_pct: pd.Series, rules: ReportingRules) -> float:
    if rules.percent_scale is not None:
        return rules.percent_scale
    vals = pd.concat([_num(frame, c)[is_pct] for c in ("estimate", "ci_low", "ci_high")])
    return 100.0 if vals.dropna().abs().le(1.0).all() else 1.0


def _primary_reasons(frame: pd.DataFrame, rules: ReportingRules) -> dict[str, pd.Series]:
    n, est = _num(frame, "n"), _num(frame, "estimate")
    is_pct = _percent_rows(frame, rules)
    scale = _pp_scale(frame, is_pct, rules)
    width = (_num(frame, "ci_high") - _num(frame, "ci_low")) * scale
    relative = width / (est * scale).abs()
    edge = _all_or_none(est, is_pct, scale)
    sensitive = _flag(frame, "sensitive")
    k = _num(frame, "n_numerator")
    level = frame.get("location_level", pd.Series(pd.NA, index=frame.index)).astype("string")
    return {
        "small-base": (n < rules.min_n) | n.isna(),
        "low-n-eff": _num(frame, "n_eff") < rules.min_n_eff,
        "wide-ci": is_pct & (width >= rules.max_ci_width),
        "wide-relative-ci": is_pct
        & (width > rules.relative_ci_floor)
        & (width < rules.max_ci_width)
        & (relative > rules.max_relative_ci_width)
        & ~edge,  # width / 0 is no measure of precision at 0% (nor, by symmetry, at 100%)
        "no-estimate": est.isna(),
        "small-cell": sensitive & (k >= 1) & (k < rules.small_cell_k),
        "sensitive-admin2": sensitive
        & (not rules.sensitive_admin2)
        & (level.str.lower() == "admin2").fillna(False).astype(bool),
    }


def _all_or_none(est: pd.Series, is_pct: pd.Series, scale: float) -> pd.Series:
    """Percentage rows whose estimate is exactly 0% or 100% (``scale``: see :func:`_pp_scale`)."""
    points = (est * scale).to_numpy()
    edge = np.isclose(points, 0.0, rtol=0.0, atol=1e-10) | np.isclose(points, 100.0, rtol=0.0, atol=1e-10)
    return is_pct & pd.Series(edge, index=est.index)


def _caution_flags(frame: pd.DataFrame, rules: ReportingRules) -> dict[str, pd.Series]:
    n = _num(frame, "n")
    is_pct = _percent_rows(frame, rules)
    return {
        "caution-base": (n >= rules.min_n) & (n < rules.caution_n),
        "low-df": _num(frame, "df") < rules.min_df,
        "high-dk": _num(frame, "dk_share") > rules.max_dk_share,
        "all-or-none": _all_or_none(_num(frame, "estimate"), is_pct, _pp_scale(frame, is_pct, rules)),
    }


def _join_codes(table: pd.DataFrame) -> np.ndarray:
    """``;``-joined names of the True columns of each row ("" when none), vectorised per column."""
    joined = pd.Series("", index=table.index, dtype="object")
    for col in table.columns:
        hit = table[col].to_numpy(dtype=bool)
        sep = np.where(joined.to_numpy() == "", "", ";")
        joined = pd.Series(np.where(hit, joined.to_numpy() + sep + col, joined.to_numpy()), index=table.index)
    return joined.to_numpy(dtype=object)


def _key(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """One string per row joining ``columns`` (missing values spelled ``<NA>``)."""
    key = pd.Series("", index=frame.index, dtype="string")
    for col in columns:
        key = key + "\x1f" + frame[col].astype("string").fillna("<NA>")
    return key


def _equations(frame: pd.DataFrame, groups: list[str], total_label: str) -> pd.DataFrame:
    """Every published "total = sum of its parts" relation of the table, one row per member.

    Columns: ``eq`` (the relation), ``pos`` (the row position in ``frame``) and ``parent`` (True for
    the total). Relations: the levels of one grouping column under the row with that column total
    (the other grouping columns fixed); the locations of one level under their parent location (the
    national row when ``location_parent`` is missing); the categories of a ``distribution``
    indicator (their total is the base, 100%, so they have no parent row).
    """
    pos = pd.Series(np.arange(len(frame)), index=frame.index)
    totals = pd.DataFrame({g: is_total(frame[g], total_label) for g in groups}, index=frame.index)
    ident = ["indicator_id", "round"]
    loc_extra = [c for c in ("location_level", "location_parent") if c in frame.columns]
    parts: list[pd.DataFrame] = []
    for dim in groups:
        others = [g for g in groups if g != dim]
        if dim == "location":
            parent_name = frame.get("location_parent", pd.Series(pd.NA, index=frame.index)).astype("string")
            parent_name = parent_name.fillna(total_label)
            shared = _key(frame, ident + others) + "\x1f" + dim
            eq = shared + "\x1f" + parent_name + "\x1f" + _key(frame, loc_extra[:1])
            lookup = shared + "\x1f" + parent_name
            self_key = shared + "\x1f" + frame["location"].astype("string").fillna(total_label)
        else:
            shared = _key(frame, ident + others + loc_extra) + "\x1f" + dim
            eq = lookup = shared
            self_key = shared
        is_part = ~totals[dim]
        members = pd.DataFrame({"eq": eq[is_part], "pos": pos[is_part], "parent": False})
        links = pd.DataFrame({"eq": eq[is_part], "lookup": lookup[is_part]}).drop_duplicates("eq")
        candidates = pd.DataFrame({"lookup": self_key, "pos": pos})
        if dim != "location":
            candidates = candidates[totals[dim].to_numpy()]
        parents = links.merge(candidates, on="lookup", how="inner")[["eq", "pos"]].assign(parent=True)
        parts += [members, parents]
    if "type" in frame.columns and "base_indicator_id" in frame.columns and "category" in frame.columns:
        dist = (frame["type"].astype("string") == "distribution").fillna(False).to_numpy() & frame[
            "category"
        ].notna().to_numpy()
        eq = "category" + _key(frame, ["base_indicator_id", "round", *groups, *loc_extra])
        parts.append(pd.DataFrame({"eq": eq[dist], "pos": pos[dist], "parent": False}))
    if not parts:
        return pd.DataFrame({"eq": pd.Series(dtype="string"), "pos": pd.Series(dtype="int64"),
                             "parent": pd.Series(dtype=bool)})  # fmt: skip
    members = pd.concat(parts, ignore_index=True)
    members["eq"] = pd.factorize(members["eq"])[0]
    size = members.loc[~members["parent"]].groupby("eq").size()
    return members[members["eq"].isin(size.index[size >= 1])].reset_index(drop=True)


def _secondary(
    frame: pd.DataFrame, suppressed: pd.Series, groups: list[str], total_label: str
) -> tuple[pd.Series, pd.Series]:
    """Complementary suppression: no relation of :func:`_equations` keeps exactly one unknown cell.

    A cell is *unknown* when it is suppressed and not empty (``n`` > 0; an empty cell is known to
    contribute nothing, so it never protects another). While some relation has exactly one unknown
    member, the published, non-empty part of that relation with the smallest numerator (then the
    smallest base) is suppressed too, or its total when no part is left; the passes repeat until
    no relation has a single unknown member (a fixed point: suppression only grows).

    Returns the secondary flags and, on each secondary row, the cell it protects (:func:`_cell_name`
    of the relation's single unknown member when it was chosen; ``""`` elsewhere).
    """
    secondary = np.zeros(len(frame), dtype=bool)
    protected = np.full(len(frame), -1, dtype=np.int64)
    none = pd.Series("", index=frame.index, dtype=object)
    if not groups:
        return pd.Series(secondary, index=frame.index), none
    members = _equations(frame, groups, total_label)
    if members.empty:
        return pd.Series(secondary, index=frame.index), none
    n = _num(frame, "n").to_numpy()
    nonempty = ~(np.isnan(n) | (n <= 0))
    k = _num(frame, "n_numerator").to_numpy()
    rank = np.lexsort((np.arange(len(frame)), n, np.where(np.isnan(k), np.inf, k)))  # smallest k, then n
    order = np.empty(len(frame), dtype=np.int64)
    order[rank] = np.arange(len(frame))
    eq, pos, is_parent = members["eq"].to_numpy(), members["pos"].to_numpy(), members["parent"].to_numpy()
    supp0 = suppressed.to_numpy(dtype=bool)
    lone = np.full(eq.max() + 1, -1, dtype=np.int64)
    while True:
        hidden = supp0 | secondary
        unknown = hidden & nonempty
        count = np.bincount(eq, weights=unknown[pos].astype(float), minlength=eq.max() + 1)
        needy = count[eq] == 1
        if not needy.any():
            break
        open_ = needy & ~hidden[pos] & nonempty[pos]
        # parts first (parent flag sorts after), then the smallest numerator and base
        cand = pd.DataFrame({"eq": eq[open_], "pos": pos[open_], "parent": is_parent[open_],
                             "order": order[pos[open_]]})  # fmt: skip
        chosen = cand.sort_values(["eq", "parent", "order"]).drop_duplicates("eq")
        if not len(chosen):
            break
        lonely = needy & unknown[pos]  # the one unknown member of each needy relation
        lone[eq[lonely]] = pos[lonely]
        first = chosen.drop_duplicates("pos")  # a cell chosen by two relations names the first
        protected[first["pos"].to_numpy()] = lone[first["eq"].to_numpy()]
        secondary[chosen["pos"].to_numpy()] = True
    secondary &= ~supp0
    names = np.full(len(frame), "", dtype=object)
    rows = np.flatnonzero(secondary & (protected >= 0))
    if len(rows):
        names[rows] = _cell_name(frame, protected[rows], groups, total_label)
    return pd.Series(secondary, index=frame.index), pd.Series(names, index=frame.index)


def protected_cell(protects: object) -> list[tuple[str, str]]:
    """The ``(column, code)`` pairs of a ``protects`` value (``[]`` when empty or missing).

    Example:
        >>> protected_cell("location=North;sex=2")
        [('location', 'North'), ('sex', '2')]
    """
    if not isinstance(protects, str) or not protects:
        return []
    pairs = [pair.partition("=") for pair in protects.split(";")]
    return [(col, code.replace("%3B", ";").replace("%25", "%")) for col, _, code in pairs if col]


def _cell_name(frame: pd.DataFrame, positions: np.ndarray, groups: list[str], total_label: str) -> np.ndarray:
    """``column=code`` pairs naming the cells at ``positions``: a category of a distribution by its
    indicator id (``indicator=q[3]``), the location, then each grouping column that is not the total
    (never a value of the estimate)."""
    cells = frame.iloc[positions]
    name = pd.Series("", index=cells.index, dtype="string")
    columns = (["indicator_id"] if "category" in cells.columns else []) + [g for g in groups if g == "location"]
    columns += [g for g in groups if g != "location"]
    for col in columns:
        values = cells[col].astype("string")
        if col == "indicator_id":  # a category of a distribution: named by its own id (q[3])
            shown = cells["category"].notna()
        else:
            shown = values.notna() if col == "location" else ~is_total(cells[col], total_label)
        if col == "location":
            values = values.fillna(total_label)
            shown = pd.Series(True, index=cells.index)
        values = values.str.replace("%", "%25", regex=False).str.replace(";", "%3B", regex=False)
        pair = (col.removesuffix("_id") + "=" + values).where(shown.to_numpy(), "")
        sep = pd.Series(np.where((name == "") | (pair == ""), "", ";"), index=cells.index)
        name = name + sep + pair.fillna("")
    return name.fillna("").to_numpy(dtype=object)
