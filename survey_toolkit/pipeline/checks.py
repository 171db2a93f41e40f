"""Step 'quality': the data-quality checks of every round, exclusions logged with their reasons."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..errors import DataError
from ..io.base import SurveyData
from ..offlist import TABLE_COLUMNS as OFF_LIST_COLUMNS
from ..offlist import off_list_problems, off_list_table
from ..parallel import forked_map
from ..project import Project
from ..quality import QualityReport, apply_exclusions, check_quality
from ..weightgaps import fill_weight_gaps
from .common import Progress, _noop, counting


@dataclass(frozen=True, eq=False)
class Checked:
    """The data after the quality checks: kept rows per round, the reports, and the exclusion log."""

    data: Mapping[str, SurveyData]
    reports: Mapping[str, QualityReport]
    exclusions: pd.DataFrame
    off_list: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OFF_LIST_COLUMNS))
    """Per round and question, the answers outside the choice list and what was done with them
    (:func:`survey_toolkit.offlist.off_list_table`; written as ``off_list.csv``)."""

    def summary(self) -> pd.DataFrame:
        """One row per round x check: ``round``, ``check``, ``severity``, ``action``, ``count``."""
        parts = [rep.summary.assign(round=rid) for rid, rep in self.reports.items()]
        if not parts:
            return pd.DataFrame(columns=["round", "check", "severity", "action", "count"])
        table = pd.concat(parts, ignore_index=True)
        return table[["round", "check", "severity", "action", "count"]]


def _quality_options(project: Project) -> dict[str, Any]:
    q = project.quality
    options = {"min_duration": q.min_duration, "min_age": q.min_age, "exclude": q.exclude}
    return {k: v for k, v in options.items() if v is not None}


def check_rounds(
    data: Mapping[str, SurveyData], project: Project, *, progress: Progress | None = None
) -> Checked:
    """Run the data-quality checks on each round and remove the excluded records (all logged).

    Then count, per round and question, the answers outside the choice list of the kept records
    (``off_list``): a warning ``off-list-answers`` each; more than ``off_list_max_share`` of a
    question's answers is an error (``off-list-share``).

    Raises:
        DataError: a question with too many off-list answers, in any round (all listed together).
    """
    progress = progress or _noop
    kept, reports, logs, off_tables, errors = {}, {}, [], [], []
    rounds = list(data.items())
    checked = forked_map(lambda job: _check_round(*job, project), rounds, shared=[project, *_instruments(data)],
                         done=counting(progress, "quality", len(rounds)))  # fmt: skip
    for (rid, _), (clean, report, log, gaps, off_table, off_problems) in zip(rounds, checked, strict=True):
        errors += [p for p in off_problems if p.is_error]
        off_tables.append(off_table)
        kept[rid] = clean
        reports[rid] = report
        logs += [log.assign(round=rid), gaps.assign(round=rid)]
    if errors:
        raise DataError(errors)
    off_tables = [t for t in off_tables if not t.empty]
    off_list = pd.concat(off_tables, ignore_index=True) if off_tables else pd.DataFrame(columns=OFF_LIST_COLUMNS)
    off_list["source_file"] = off_list["source_file"].map(lambda f: None if f is None else Path(str(f)).name)
    logs = [log for log in logs if not log.empty]
    exclusions = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()
    if not exclusions.empty:
        exclusions = exclusions[["round", "record_id", "source_file", "source_row", "reasons"]]
        exclusions["source_file"] = exclusions["source_file"].map(lambda s: Path(str(s)).name)
    return Checked(MappingProxyType(kept), MappingProxyType(reports), exclusions, off_list)


def _check_round(rid: str, d: SurveyData, project: Project) -> tuple:
    """One round's checks: the kept data, the quality report, the exclusion and weight-gap logs, the
    off-list table and its problems."""
    report = check_quality(d, **_quality_options(project))
    clean, log = apply_exclusions(d, report)
    clean = dataclasses.replace(clean, frame=clean.frame.reset_index(drop=True))
    clean, gaps, gap_problems = fill_weight_gaps(clean, project, _strata_of(clean.frame, project))
    off_table = off_list_table(clean, project.off_list, rid)
    off_problems = off_list_problems(off_table, project.off_list)
    clean = dataclasses.replace(clean, problems=clean.problems + gap_problems + off_problems)
    return clean, report, log, gaps, off_table, off_problems


def _instruments(data: Mapping[str, SurveyData]) -> list:
    """The rounds' forms (the same object for most rounds): shared, not copied, by forked checks."""
    return list({id(d.instrument): d.instrument for d in data.values()}.values())


def _strata_of(frame: pd.DataFrame, project: Project) -> pd.Series | None:
    """Each row's stratum (``design.strata``, built from ``strata_from`` when asked), None without strata."""
    strata = project.design.strata
    if not strata or project.design.missing_weights != "impute":
        return None
    built = _with_design_columns(frame, project, None) if project.design.strata_from else frame
    return built[strata] if strata in built.columns else None


def _with_design_columns(frame: pd.DataFrame, project: Project, sample_frame: pd.DataFrame | None) -> pd.DataFrame:
    design = project.design
    out = frame.copy()
    if design.strata and design.strata_from:
        parts = [out[c].astype("string") for c in design.strata_from]
        joined = parts[0]
        for p in parts[1:]:
            joined = joined + design.strata_separator + p
        out[design.strata] = joined
    base = design.base_weights
    if base is not None and base.fpc and sample_frame is not None and design.strata:
        sizes = dict(zip(sample_frame[base.stratum], pd.to_numeric(sample_frame[base.fpc], errors="coerce"), strict=False))
        out[base.fpc] = out[design.strata].map(sizes).astype("Float64")
    return out
