"""Plan the next round: per location and indicator, what change the next round can detect, and the
sample size a target change needs, derived from the design effects the last round actually had.

For an indicator with estimate ``p`` (a proportion, 0-1), design effect ``deff`` and ``n`` respondents
in a location, the variance of the estimate is ``V = deff * p * (1 - p) / n`` (for means and scores,
``V = se**2``, which already carries the design). Comparing the next round with this one, both of the
same size and design, with a share ``overlap`` of the sample re-interviewed and a correlation ``rho``
of the answers of the same respondents between rounds, the variance of the change is
``2 * V * (1 - overlap * rho)``. Then, for a two-sided test at level ``alpha`` with power ``power``:

- minimum detectable change: ``MDC = (z[1 - alpha/2] + z[power]) * sqrt(2 * V * (1 - overlap * rho))``;
- respondents needed per round for a target change ``delta``:
  ``n_needed = (z[1 - alpha/2] + z[power])**2 * 2 * deff * p * (1 - p) * (1 - overlap * rho) / delta**2``
  (means: ``n * 2 * se**2 * (1 - overlap * rho) * (z + z)**2 / delta**2``).

These are the usual planning formulas (independent samples of equal size; normal approximation); the
design effect comes from the engine (``deff``, against simple random sampling with replacement), so a
location whose clusters are very alike needs many more interviews than its head count suggests. A
design effect estimated from few respondents is itself uncertain: rows with ``n < min_n`` are flagged.
``docs/methodology.md`` ("Planning the next round") gives the formulas and a worked example.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .disclosure import group_columns_of, is_total
from .estimation.distributions import norm_ppf

__all__ = ["plan_next_round", "plan_project", "published_plan", "PLAN_COLUMNS", "minimum_detectable_change", "sample_size_needed"]

PLAN_COLUMNS = (
    "indicator_id",
    "round",
    "location_level",
    "location",
    "unit",
    "estimate",
    "se",
    "n",
    "deff",
    "n_eff",
    "mdc",
    "target_change",
    "n_needed",
    "n_extra",
    "flag",
)


def _z(alpha: float, power: float) -> float:
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must be between 0 and 1")
    return float(norm_ppf(1 - alpha / 2) + norm_ppf(power))


def minimum_detectable_change(variance: np.ndarray | float, *, alpha: float = 0.05, power: float = 0.8,
                              overlap: float = 0.0, correlation: float = 0.0) -> np.ndarray:
    """``(z[1-alpha/2] + z[power]) * sqrt(2 * variance * (1 - overlap * correlation))``, elementwise."""
    factor = 1 - overlap * correlation
    return _z(alpha, power) * np.sqrt(2 * np.asarray(variance, dtype=float) * factor)


def sample_size_needed(unit_variance: np.ndarray | float, delta: np.ndarray | float, *, alpha: float = 0.05,
                       power: float = 0.8, overlap: float = 0.0, correlation: float = 0.0) -> np.ndarray:
    """Respondents per round so that a change ``delta`` is detected: ``(z+z)^2 * 2 * unit_variance *
    (1 - overlap * correlation) / delta^2``, where ``unit_variance`` is the variance of one respondent's
    contribution times the design effect (``deff * p * (1 - p)``; means: ``n * se^2``)."""
    factor = 1 - overlap * correlation
    delta = np.asarray(delta, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _z(alpha, power) ** 2 * 2 * np.asarray(unit_variance, dtype=float) * factor / delta**2


def _check(alpha: float, power: float, overlap: float, correlation: float, target_change: float) -> None:
    _z(alpha, power)
    if not 0 <= overlap <= 1:
        raise ValueError("overlap is the share of the sample interviewed again: between 0 and 1")
    if not -1 <= correlation <= 1:
        raise ValueError("correlation must be between -1 and 1")
    if not target_change > 0:
        raise ValueError("target_change must be a positive change, in the indicator's unit")


def plan_next_round(
    table: pd.DataFrame,
    *,
    round_id: str | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    overlap: float = 0.0,
    correlation: float = 0.0,
    target_change: float = 10.0,
    indicators: Sequence[str] | None = None,
    min_n: int = 30,
) -> pd.DataFrame:
    """The planning table of a finished round, one row per indicator x location (national included).

    ``table`` is the reporting table (:func:`survey_toolkit.pipeline.reporting_table`, ``results.csv``):
    columns ``indicator_id``, ``round``, ``location_level``, ``location``, ``unit``, ``estimate``,
    ``se``, ``n``, ``deff``. Rows broken down by a group (sex, age...) are left out. ``round_id``:
    the round to plan from (default: the last one in the table). ``target_change`` is in the
    indicator's unit (percentage points for percentages). Columns: :data:`PLAN_COLUMNS`; ``n_extra``
    is ``n_needed - n`` (negative: the current size is enough); ``flag`` says when the design effect
    rests on fewer than ``min_n`` respondents or could not be estimated.
    """
    _check(alpha, power, overlap, correlation, target_change)
    groups = [c for c in group_columns_of(table) if c != "location"]
    plain = np.logical_and.reduce([is_total(table[c]).to_numpy() for c in groups]) if groups else True
    rows = table[plain] if groups else table
    if round_id is None:
        round_id = str(rows["round"].iloc[-1]) if len(rows) else None
    rows = rows[rows["round"].astype(str) == str(round_id)]
    if indicators is not None:
        rows = rows[rows["indicator_id"].isin(list(indicators))]
    keep = ["indicator_id", "round", "location_level", "location", "unit", "estimate", "se", "n", "deff"]
    out = rows[[c for c in keep if c in rows.columns]].copy().reset_index(drop=True)
    percent = out["unit"].eq("percent").to_numpy()
    est = out["estimate"].to_numpy(dtype=float)
    se = out["se"].to_numpy(dtype=float)
    n = out["n"].to_numpy(dtype=float)
    deff = out["deff"].to_numpy(dtype=float)
    p = est / 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        # variance of the estimate and of one respondent's contribution, in the indicator's unit
        var = np.where(percent, deff * p * (1 - p) / n * 100.0**2, se**2)
        unit_var = np.where(percent, deff * p * (1 - p) * 100.0**2, n * se**2)
        out["n_eff"] = np.where(deff > 0, n / deff, np.nan)
    out["mdc"] = minimum_detectable_change(var, alpha=alpha, power=power, overlap=overlap, correlation=correlation)
    out["target_change"] = float(target_change)
    needed = sample_size_needed(unit_var, target_change, alpha=alpha, power=power, overlap=overlap,
                                correlation=correlation)  # fmt: skip
    usable = np.isfinite(var) & (deff > 0)
    out["n_needed"] = np.where(usable, np.ceil(needed), np.nan)
    out["n_extra"] = out["n_needed"] - n
    out["flag"] = np.where(~usable, "deff_unavailable", np.where(n < min_n, f"deff_from_fewer_than_{min_n}", ""))
    out.loc[~usable, ["mdc", "n_needed", "n_extra"]] = np.nan
    for col in ("n", "n_needed", "n_extra"):
        out[col] = pd.array(np.where(np.isfinite(out[col].to_numpy(dtype=float)), out[col], np.nan)).astype("Int64")
    national = out["location_level"].eq("national").map({True: 0, False: 1})
    out = out.assign(_o=national).sort_values(["indicator_id", "_o", "location_level", "location"], kind="stable")
    out = out.drop(columns="_o")
    out.attrs.update(alpha=alpha, power=power, overlap=overlap, correlation=correlation, round=round_id)
    return out[[c for c in PLAN_COLUMNS if c in out.columns]].reset_index(drop=True)


def plan_project(
    project,
    *,
    round_id: str | None = None,
    output: str | None = None,
    write: bool = True,
    progress=None,
    **options,
) -> tuple[pd.DataFrame, list]:
    """Run a project up to the indicators and plan the next round from ``round_id`` (default: the
    latest round by date); write ``plan.csv``, ``plan.xlsx`` and ``plan.svg`` into the output folder.

    The plan uses the estimates before the disclosure rules (a location suppressed for a wide interval
    is exactly the one to plan for), but never shows a withheld estimate: where the published table
    suppresses a cell, ``estimate`` and ``se`` are left blank, and for sensitive indicators the
    detectable change and sample size too (flag ``suppressed_sensitive``). Returns the plan and the
    files written.
    """
    from . import pipeline
    from .report.plan import write_plan

    run = pipeline.run(project, until="compute", write=False, progress=progress)
    project = run.project
    raw = pipeline.reporting_table(run.results, project, run.inputs, rules=False)
    if round_id is None:
        order = pipeline._time_order(project)
        round_id = order[-1] if order else None
    settings = {**project.plan.options(), **options}
    plan = published_plan(raw, run.table, round_id=round_id, **settings)
    names = plan.attrs.get("names", {})
    files: list = []
    if write:
        out = project.report.output if output is None else output
        _check_output(project, out)
        files = write_plan(plan, out, names=names)
    return plan, files


def published_plan(raw: pd.DataFrame, ruled: pd.DataFrame, *, round_id: str | None = None, **options) -> pd.DataFrame:
    """The plan of :func:`plan_next_round` from the reporting table before the rules (``raw``), made safe
    to publish with the table after them (``ruled``): where the published table suppresses a cell,
    ``estimate`` and ``se`` are blank, and for sensitive indicators the detectable change and sample
    size too (flag ``suppressed_sensitive``). Adds the indicator's ``label`` (English)."""
    plan = plan_next_round(raw, round_id=round_id, **options)
    key = ["indicator_id", "round", "location_level", "location"]
    flags = ruled.loc[_plain_index(ruled), key + ["suppressed", "sensitive"]]
    merged = plan.merge(flags.drop_duplicates(key), on=key, how="left")
    hidden = merged["suppressed"].fillna(False).astype(bool).to_numpy()
    sensitive = hidden & merged["sensitive"].fillna(False).astype(bool).to_numpy()
    plan.loc[hidden, ["estimate", "se"]] = np.nan
    plan.loc[sensitive, ["mdc", "n_needed", "n_extra"]] = pd.NA
    plan.loc[sensitive, "flag"] = "suppressed_sensitive"
    names = {}
    if "label_en" in raw.columns:
        names = dict(zip(raw["indicator_id"], raw["label_en"].astype("string").fillna(raw["indicator_id"]), strict=True))
    ids = plan["indicator_id"].astype("string")
    plan.insert(1, "label", ids.map(names).astype("string").fillna(ids))  # no English labels: the ids
    plan.attrs["names"] = names
    return plan


def _plain_index(table: pd.DataFrame) -> pd.Index:
    groups = [c for c in group_columns_of(table) if c != "location"]
    if not groups:
        return table.index
    plain = np.logical_and.reduce([is_total(table[c]).to_numpy() for c in groups])
    return table.index[plain]


def _check_output(project, out) -> None:
    """The output folder must not be, or hold, an input of the project (the workflow's own check)."""
    from pathlib import Path

    from .errors import SpecError, ValidationReport
    from .project import output_problems

    ValidationReport.of(output_problems(project, Path(out))).raise_if_errors(SpecError)
