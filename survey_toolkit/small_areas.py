"""Small-area estimates for a project: Fay-Herriot EBLUPs by location from the round's direct estimates
and the covariates file the project names (``small_areas:`` in ``survey.yaml``).

One model per indicator and round, over the locations of ``small_areas.level``; the direct estimate
and its design-based standard error come from the engine, the covariates from the file (census or
administrative data per location). Sensitive indicators are not modelled: with the published
shrinkage, a suppressed direct figure could be recovered from the EBLUP. Every output row says the
figure is model-based. Statistics in :mod:`survey_toolkit.sae`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import EstimationError, Location, Problem, SpecError
from .estimation.distributions import norm_ppf
from .sae import fay_herriot

__all__ = ["read_covariates", "small_area_table", "small_areas_project", "substitute_model_based", "substitutable", "SMALL_AREA_COLUMNS",
           "STATISTICAL_REASONS"]

STATISTICAL_REASONS = frozenset({"small-base", "low-n-eff", "wide-ci", "wide-relative-ci"})
"""Suppression reasons a model-based figure may stand in for: the direct estimate is too imprecise,
not secret. A cell withheld to protect respondents (small cells, sensitive, secondary) never is."""

SMALL_AREA_COLUMNS = (
    "indicator_id",
    "label",
    "round",
    "location",
    "n",
    "direct",
    "direct_se",
    "eblup",
    "rmse",
    "ci_low",
    "ci_high",
    "gamma",
    "method",
)


def read_covariates(path: Path, location_column: str, use: tuple[str, ...] | None) -> pd.DataFrame:
    """The covariates file indexed by location code; every problem located at file/row/column."""
    where = str(path)
    try:
        frame = pd.read_csv(path, dtype={location_column: "string"}, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise SpecError(Problem("bad-covariates", f"the covariates file cannot be read ({type(err).__name__})",
                                Location(file=where), hint="save it from Excel as 'CSV UTF-8', one row per location")) from None  # fmt: skip
    problems = []
    if location_column not in frame.columns:
        raise SpecError(Problem("missing-column", f"the covariates file has no column '{location_column}'",
                                Location(file=where, line=1), expected=location_column, got=", ".join(map(str, frame.columns)),
                                hint="name the location-code column with small_areas.location_column"))  # fmt: skip
    codes = frame[location_column].astype("string").str.strip()
    dupes = codes[codes.duplicated(keep=False) & codes.notna()]
    for row in dupes.index[:10]:
        problems.append(Problem("duplicate-location", f"location '{codes[row]}' has two rows", Location(file=where, row=int(row) + 2, field=location_column),
                                hint="keep one row per location"))  # fmt: skip
    wanted = list(use) if use else [c for c in frame.columns if c != location_column]
    for col in wanted:
        if col not in frame.columns:
            problems.append(Problem("missing-column", f"the covariates file has no column '{col}'", Location(file=where, line=1),
                                    got=", ".join(map(str, frame.columns)), hint="fix small_areas.use"))  # fmt: skip
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = frame.index[values.isna() | ~np.isfinite(values.fillna(0))]
        if use is None and len(bad) == len(frame):
            wanted = [c for c in wanted if c != col]  # a text column (a name): not a covariate
            continue
        for row in bad[:5]:
            problems.append(Problem("bad-covariate", f"covariate '{col}' is not a number", Location(file=where, row=int(row) + 2, field=col),
                                    expected="a number", hint="fill every covariate for every location"))  # fmt: skip
    if problems:
        raise SpecError(problems)
    out = frame[wanted].apply(pd.to_numeric).set_axis(codes.to_numpy(), axis=0)
    out.index.name = "location"
    return out


def small_area_table(table: pd.DataFrame, published: pd.DataFrame, covariates: pd.DataFrame, *, level: str,
                     indicators: list[str] | None = None, round_id: str | None = None,
                     level_ci: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """EBLUPs per indicator x round x location, and the models' parameters.

    ``table`` is the reporting table before the disclosure rules (the direct estimates and SEs),
    ``published`` the same after them (to blank the direct figures the report withholds).
    """
    rows = table[table["location_level"].eq(level)]
    if round_id is not None:
        rows = rows[rows["round"].astype(str) == str(round_id)]
    sensitive = rows["sensitive"].fillna(False).astype(bool) if "sensitive" in rows else False
    eligible = rows["unit"].isin(["percent", "mean", "index_score"]) & ~sensitive
    if indicators:
        eligible &= rows["indicator_id"].isin(indicators)
    else:
        eligible &= ~rows["indicator_id"].astype(str).str.contains("[", regex=False)
    rows = rows[eligible]
    missing = sorted(set(rows["location"].astype(str)) - set(covariates.index))
    if missing:
        raise SpecError(Problem("missing-covariates", f"{len(missing)} location(s) have no row in the covariates file",
                                Location(), got=", ".join(missing[:10]), hint="add a row for each location of the level"))  # fmt: skip
    key = ["indicator_id", "round", "location"]
    withheld = published[published["location_level"].eq(level)].set_index(key)["suppressed"]
    z = float(norm_ppf(0.5 + level_ci / 2))
    parts, keys, models = [], [], []
    for (ind, rnd), group in rows.groupby(["indicator_id", "round"], sort=True):
        group = group.drop_duplicates("location")
        if group["estimate"].notna().sum() < covariates.shape[1] + 3:
            continue
        X = covariates.loc[group["location"].astype(str)]
        try:
            fit = fay_herriot(group["estimate"].to_numpy(float), group["se"].to_numpy(float), X,
                              areas=group["location"].astype(str).tolist())  # fmt: skip
        except EstimationError as err:
            models.append({"indicator_id": ind, "round": rnd, "areas": len(group), "skipped": err.problems[0].message})
            continue
        parts.append(fit.areas)
        keys.append((ind, rnd, group["n"].to_numpy(), group["label_en"].iloc[0] if "label_en" in group else ind,
                     bool((group["unit"] == "percent").all())))  # fmt: skip
        models.append({"indicator_id": ind, "round": rnd, "areas": int(fit.areas["in_sample"].sum()), "variance_A": fit.variance,
                       "iterations": fit.iterations, "converged": fit.converged,
                       **{f"beta[{k}]": v for k, v in fit.beta.items()}, **{f"se[{k}]": v for k, v in fit.beta_se.items()}})  # fmt: skip
    if not parts:
        return pd.DataFrame(columns=SMALL_AREA_COLUMNS), pd.DataFrame(models)
    result = _with_model_keys(parts, keys, z).rename(columns={"area": "location"})
    hidden = withheld.reindex(pd.MultiIndex.from_frame(result[key])).fillna(False).to_numpy(bool)
    result.loc[hidden, ["direct", "direct_se"]] = np.nan
    return result[list(SMALL_AREA_COLUMNS)], pd.DataFrame(models)


def _with_model_keys(parts: list[pd.DataFrame], keys: list[tuple], z: float) -> pd.DataFrame:
    """The models' area tables stacked, each row with its indicator, round, n, label and interval
    (clipped to 0-100 for percentages), in one pass over all of them."""
    sizes = [len(p) for p in parts]
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "indicator_id", np.repeat([k[0] for k in keys], sizes))
    out.insert(1, "round", np.repeat([k[1] for k in keys], sizes))
    out["n"] = np.concatenate([k[2] for k in keys])
    out["label"] = np.repeat(np.array([k[3] for k in keys], dtype=object), sizes)
    low, high = out["eblup"] - z * out["rmse"], out["eblup"] + z * out["rmse"]
    percent = np.repeat([k[4] for k in keys], sizes)
    out["ci_low"] = low.where(~percent, low.clip(0, 100))
    out["ci_high"] = high.where(~percent, high.clip(0, 100))
    return out


def small_areas_project(project, *, round_id: str | None = None, output: str | None = None, write: bool = True,
                        progress=None) -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """Run a project up to the indicators and fit the Fay-Herriot model the project declares; write
    ``small_areas.csv``, ``small_areas.xlsx`` and ``small_areas.svg``. Returns (estimates, models, files)."""
    from . import pipeline
    from .report.small_areas import write_small_areas

    project = pipeline._as_project(project)
    settings = project.small_areas
    if settings is None:
        raise SpecError(Problem("no-small-areas", "the project file has no 'small_areas:' section",
                                Location(file=str(project.path)),
                                hint="add small_areas: {level: admin2, covariates: covariates.csv} (docs/project-file.md)"))  # fmt: skip
    covariates = read_covariates(settings.covariates, settings.location_column or settings.level, settings.use)
    run = pipeline.run(project, until="compute", write=False, progress=progress)
    raw = pipeline.reporting_table(run.results, run.project, run.inputs, rules=False)
    estimates, models = small_area_table(raw, run.table, covariates, level=settings.level,
                                         indicators=list(settings.indicators) if settings.indicators else None,
                                         round_id=round_id)  # fmt: skip
    files = []
    if write:
        from .planning import _check_output

        out = project.report.output if output is None else output
        _check_output(project, out)
        files = write_small_areas(estimates, models, out)
    return estimates, models, files


def substitutable(table: pd.DataFrame, *, level: str) -> np.ndarray:
    """Per row of the published ``table``: a whole location of ``level`` withheld only for
    :data:`STATISTICAL_REASONS`, of a non-sensitive indicator (a model-based figure may stand in)."""
    from .disclosure import group_columns_of, is_total

    if "suppressed" not in table.columns or table.empty:
        return np.zeros(len(table), bool)
    groups = [c for c in group_columns_of(table) if c != "location"]
    plain = np.logical_and.reduce([is_total(table[c]).to_numpy() for c in groups]) if groups else np.ones(len(table), bool)
    reasons = table["suppression_reason"].astype("string").fillna("")
    only = {text: bool(set(text.split(";")) - {""}) and set(text.split(";")) - {""} <= STATISTICAL_REASONS
            for text in pd.unique(reasons)}  # per distinct reason text, not per row
    statistical = reasons.map(only).astype(bool).to_numpy(bool)
    sensitive = (table["sensitive"].fillna(False).astype(bool).to_numpy() if "sensitive" in table
                 else np.zeros(len(table), bool))  # fmt: skip
    return (plain & table["location_level"].eq(level).to_numpy() & table["suppressed"].fillna(False).astype(bool).to_numpy()
            & statistical & ~sensitive)  # fmt: skip


def substitute_model_based(table: pd.DataFrame, estimates: pd.DataFrame, *, level: str, rules=None) -> pd.DataFrame:
    """The published table with the model-based figure in place of each direct estimate of ``level``
    withheld only for :data:`STATISTICAL_REASONS` (whole location, no breakdown by group).

    A substituted row is published with ``estimate`` = the EBLUP, ``se`` = its root MSE, the interval
    of ``estimates``, the caution flag ``model-based`` (every writer shows it) and
    ``estimate_type = "model-based"``; every other row gets ``estimate_type = "direct"``. Sensitive
    indicators are never substituted (and never modelled). The model-based interval must itself pass
    the interval rules of ``rules`` (``max_ci_width``, relative width): a figure the model cannot make
    precise enough stays withheld. Vectorised: one merge.
    """
    from .disclosure import DEFAULT_RULES, _primary_reasons

    out = table.copy()
    out["estimate_type"] = "direct"
    if estimates.empty or "suppressed" not in out.columns:
        return out
    eligible = substitutable(out, level=level)
    if not eligible.any():
        return out
    key = ["indicator_id", "round", "location"]
    model = estimates[key + ["eblup", "rmse", "ci_low", "ci_high"]].astype({"round": "string", "location": "string"})
    cand = out.loc[eligible, key].astype({"round": "string", "location": "string"}).reset_index()
    found = cand.merge(model, on=key, how="inner").dropna(subset=["eblup"])
    if found.empty:
        return out
    trial = out.copy()
    trial.loc[found["index"].to_numpy(), ["estimate", "ci_low", "ci_high"]] = found[["eblup", "ci_low", "ci_high"]].to_numpy()
    wide = _primary_reasons(trial, rules or DEFAULT_RULES)
    too_wide = (wide["wide-ci"] | wide["wide-relative-ci"]).to_numpy(bool)[trial.index.get_indexer(found["index"])]
    found = found[~too_wide]
    if found.empty:
        return out
    rows = found["index"].to_numpy()
    out.loc[rows, "estimate"] = found["eblup"].to_numpy()
    out.loc[rows, "ci_low"] = found["ci_low"].to_numpy()
    out.loc[rows, "ci_high"] = found["ci_high"].to_numpy()
    if "se" in out.columns:
        out.loc[rows, "se"] = found["rmse"].to_numpy()
    out.loc[rows, "suppressed"] = False
    out.loc[rows, "suppression_reason"] = ""
    out.loc[rows, "caution_reasons"] = "model-based"
    out.loc[rows, "caution"] = True
    out.loc[rows, "estimate_type"] = "model-based"
    return out
