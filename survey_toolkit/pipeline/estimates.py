"""Steps 'compute' and 'compare': indicators by round and location level, the reporting table, comparisons."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..codes import canonical_code, looks_like_code
from ..comparison import compare_rounds
from ..compute import compute_many
from ..disclosure import apply_rules
from ..errors import DataError, Location, Problem
from ..indicators.model import IndicatorSpec
from ..io.base import SurveyData
from ..labels import INTERVIEWER_CUES
from ..parallel import forked_map
from ..project import Project
from ..results import reporting_table as reshape_results
from ..weighting import Weighted
from .common import ROUND_COLUMN, Inputs, Progress, _noop, counting, shared_objects


def _levels(project: Project) -> list[str]:
    return list(project.locations.levels)


def compute_results(
    weighted: Mapping[str, Weighted],
    project: Project,
    inputs: Inputs,
    *,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Every indicator by round x location (overall, then each location level) and disaggregations.

    Disaggregations (the indicators' ``disaggregations``) are estimated for the overall rows only
    (``report.disaggregate: false`` turns them off). Returns the stacked :func:`~survey_toolkit.compute`
    tables.
    """
    progress = progress or _noop
    ids = list(project.report.indicators) if project.report.indicators else None
    calls = [([ROUND_COLUMN], project.report.disaggregate)]
    levels = _levels(project)
    calls += [([ROUND_COLUMN, level], False) for level in levels]
    total = len(weighted)

    def one(w: Weighted) -> list[pd.DataFrame]:
        data = _known_groups(w.data, project, inputs)
        tables = compute_many(data, inputs.indicators, w.design, calls, ids=ids,
                              ci_method=project.estimation.interval, df=project.estimation.df,
                              off_list=project.off_list)  # fmt: skip
        return [_with_parent_location(t, w.frame, levels, by[-1]) for t, (by, _) in zip(tables, calls, strict=True)]

    per_round = forked_map(one, list(weighted.values()), shared=shared_objects(project, inputs),
                           done=counting(progress, "compute", total))  # fmt: skip
    chunks = [t for tables in per_round for t in tables]
    return pd.concat(chunks, ignore_index=True)


def _known_groups(data: SurveyData, project: Project, inputs: Inputs) -> SurveyData:
    """``data`` with the location and breakdown values that are not codes set to missing.

    A value outside the column's choice list (or, for a column without one, a value that does not
    look like a code) would otherwise become a location or group of the published tables under
    its own spelling (a name typed into ``admin2``); its respondents count as "missing" instead.
    The project's ``extra_columns`` (the analyst's own grouping columns: place names such as
    ``Nairobi``) and the form's calculated and numeric questions (``age_group`` = ``35-49``) keep
    every value. A column without a choice list (a text question, an export column) that holds
    values that are not codes is an error (``names-not-codes``), never a group silently emptied.
    """
    columns = {*_levels(project), *(d for ind in inputs.indicators.indicators
                                      for d in (getattr(ind, "disaggregations", None) or ()))}  # fmt: skip
    frame = data.frame
    changed = {}
    form = inputs.analysis or inputs.instrument  # derived variables have their own lists
    lost: list[tuple[str, int, int]] = []
    for col in sorted(c for c in columns if c in frame.columns):
        choices = form.choices_for(col) if col in form else None
        if choices is None and (col in project.extra_columns or _computed(form, col)):
            continue
        known = set(choices.codes) | set(project.locations.names) if choices is not None else None
        values = frame[col]
        categorical = isinstance(values.dtype, pd.CategoricalDtype)
        codes, uniques = (values.cat.codes.to_numpy(), values.cat.categories) if categorical else pd.factorize(values)
        ok = np.array([looks_like_code(u) if known is None else canonical_code(u) in known for u in uniques] + [True])
        bad = ~ok[codes]  # one test per distinct value; -1 (missing) maps to the trailing True
        if choices is None and not ok[:-1].all():
            lost.append((col, int((~ok[:-1]).sum()), len(uniques)))
        if categorical and not ok[:-1].all():  # an unused category would still become an (empty) group
            changed[col] = values.mask(bad).cat.remove_categories(list(uniques[~ok[:-1]]))
        elif bad.any():
            changed[col] = values.mask(bad)
    if lost:
        raise DataError([Problem("names-not-codes", f"'{col}' holds names, not codes: {bad} of its {n} distinct "
                                 "value(s) cannot be a published location or group as written",
                                 Location(file=data.source, field=col),
                                 expected="codes (a choice list in the form) or a column the project declares",
                                 got=f"{bad} distinct text value(s) (not shown: they may name people)",
                                 hint=f"add '{col}' to extra_columns in survey.yaml to use its values as written "
                                      "(place names), or recode it with derive:")
                         for col, bad, n in lost])  # fmt: skip
    return dataclasses.replace(data, frame=frame.assign(**changed)) if changed else data


_COMPUTED_TYPES = frozenset({"calculate", "integer", "decimal", "range"})


def _computed(form, col: str) -> bool:
    """True for a form question whose values the form computes or constrains to numbers (a calculate
    such as ``age_group`` = ``35-49``): never free text, so every value is a group as written."""
    question = form.question(col) if col in form else None
    return question is not None and str(question.type) in _COMPUTED_TYPES


def _with_parent_location(chunk: pd.DataFrame, frame: pd.DataFrame, levels: list[str], level: str) -> pd.DataFrame:
    """``chunk`` with the coarser location of each ``level`` row, so that every location names its parent.

    The parent comes from the data (each ``level`` code's one coarser code); a code found under
    several parents keeps none. Secondary suppression needs it: a region's total is the sum of its
    districts.
    """
    if level not in levels or levels.index(level) == 0 or level not in chunk.columns:
        return chunk
    parent = levels[levels.index(level) - 1]
    if parent not in frame.columns or level not in frame.columns:
        return chunk
    pairs = frame[[level, parent]].dropna().drop_duplicates()
    pairs = pairs[~pairs[level].duplicated(keep=False)]
    mapping = pd.Series(pairs[parent].to_numpy(), index=pairs[level].to_numpy())
    return chunk.assign(**{parent: chunk[level].map(mapping)})


def cues_of(project: Project) -> tuple[str, ...]:
    """Interviewer cues removed from published labels: the toolkit's and the project's."""
    return INTERVIEWER_CUES + project.report.interviewer_cues


def reporting_table(results: pd.DataFrame, project: Project, inputs: Inputs, *, rules: bool = True) -> pd.DataFrame:
    """The compute tables reshaped for reporting (``round``, ``location``...) with the rules applied
    (``rules=False``: before the disclosure rules, for internal use such as planning)."""
    levels = list(reversed(_levels(project)))  # finest first
    languages = project.report.languages
    table = reshape_results(results, round_column=ROUND_COLUMN, location_columns=levels,
                            indicators=inputs.indicators, languages=languages,
                            instrument=inputs.instrument, cues=cues_of(project))  # fmt: skip
    dates = {r.id: r.date.isoformat() for r in project.rounds if r.date is not None}
    if len(dates) == len(project.rounds):
        table["round_date"] = table["round"].map(dates)
    if not rules:  # internal uses (planning, small areas) see every location, respondents or not
        return table
    return published_table(table, project, inputs)


def published_table(raw: pd.DataFrame, project: Project, inputs: Inputs) -> pd.DataFrame:
    """The reporting table before the rules (``reporting_table(..., rules=False)``) as published: empty
    groups dropped (unless ``show_empty``) and the disclosure rules applied; ``raw`` is not modified."""
    table = raw if project.report.show_empty else drop_empty_groups(raw, _group_columns(inputs.indicators, raw))
    return apply_rules(table, project.report.rules)


def _group_columns(spec: IndicatorSpec, table: pd.DataFrame) -> list[str]:
    wanted = {g for ind in spec.indicators for g in (getattr(ind, "disaggregations", None) or ())}
    wanted |= set(spec.defaults.disaggregations)
    return [c for c in table.columns if c in wanted]


def drop_empty_groups(table: pd.DataFrame, group_columns: list[str]) -> pd.DataFrame:
    """The reporting table without the locations and groups that have no respondent in a round.

    A (round, location, group) has no respondent when no indicator has any respondent in its base
    there (``n`` is 0 in every row); an indicator with an empty base in a group that has respondents
    for other indicators keeps its row (shown as not published).
    """
    keys = [c for c in ("round", "location", *group_columns) if c in table.columns]
    if not keys or "n" not in table.columns or table.empty:
        return table
    populated = table.groupby(keys, dropna=False, sort=False)["n"].transform("max").fillna(0) > 0
    return table[populated.to_numpy()].reset_index(drop=True)


def compare(table: pd.DataFrame, project: Project) -> pd.DataFrame:
    """Latest round against the previous one and the baseline, with FDR control across every test."""
    options: dict[str, Any] = {"rounds": _compare_rounds(table, project)}
    if project.report.alpha is not None:
        options["alpha"] = project.report.alpha
    if project.report.fdr is not None:
        options["fdr"] = project.report.fdr
    keep = table["round"].isin(options["rounds"])
    return compare_rounds(table[keep], **options)


def _time_order(project: Project) -> list[str]:
    """Every round, oldest first: ``report.compare`` when it lists them all, else by date (file order)."""
    compare_ids = list(project.report.compare or ())
    if set(compare_ids) == set(project.round_ids):
        return compare_ids
    if all(r.date is not None for r in project.rounds):
        return [r.id for r in sorted(project.rounds, key=lambda r: r.date)]
    return list(project.round_ids)


def _compare_rounds(table: pd.DataFrame, project: Project) -> list[str]:
    present = set(table["round"].astype(str))
    wanted = list(project.report.compare) if project.report.compare else _time_order(project)
    return [r for r in wanted if r in present]
