"""Respondents without a design weight (or selection probability) in the data: excluded or imputed.

``design.missing_weights`` in ``survey.yaml`` says what happens to a row whose ``design.weights`` (or
``design.probabilities``) cell is empty or not a number:

- ``error`` (default): the weighting step stops with ``missing-weight`` naming the rows;
- ``exclude``: the rows are removed before weighting and listed in ``exclusions.csv`` (reason
  ``missing-weight``), with one warning per round;
- ``impute``: the row gets the mean design weight of the respondents of its stratum (``design.strata``;
  of every respondent when the design has no strata or the stratum has no weight at all), with one
  warning per round. For a probability column the imputed probability is ``1 / (that mean weight)``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .errors import Problem, Severity
from .io.base import SurveyData
from .project import Project
from .weighting._common import row_location

__all__ = ["fill_weight_gaps", "LOG_COLUMNS"]

LOG_COLUMNS = ["record_id", "source_file", "source_row", "reasons"]


def _log(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    picked = frame.iloc[rows]
    get = {"record_id": "_record_id", "source_file": "_source_file", "source_row": "_source_row"}
    out = pd.DataFrame({k: picked[c].to_numpy() if c in picked.columns else None for k, c in get.items()})
    return out.assign(reasons="missing-weight")


def fill_weight_gaps(data: SurveyData, project: Project, strata: pd.Series | None = None
                     ) -> tuple[SurveyData, pd.DataFrame, list[Problem]]:  # fmt: skip
    """Apply ``design.missing_weights`` to one round: the data, the exclusion log rows, the warnings.

    ``strata`` is the stratum of each row (``design.strata`` once built), used by ``impute``.
    """
    design = project.design
    column = design.weights or design.probabilities
    empty = pd.DataFrame(columns=LOG_COLUMNS)
    if column is None or column not in data.frame.columns or design.missing_weights == "error":
        return data, empty, []
    frame = data.frame
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    missing = values.isna().to_numpy()
    if not missing.any():
        return data, empty, []
    rows = np.flatnonzero(missing)
    key = "weights" if design.weights else "probabilities"
    action = "excluded (listed in exclusions.csv)" if design.missing_weights == "exclude" else "imputed"
    problem = Problem(
        "missing-weight",
        f"design.{key} '{column}' is empty or not a number in {len(rows)} row(s): {action}",
        row_location(frame, rows, column, data.source),
        severity=Severity.WARNING,
        count=len(rows),
        expected="a design weight in every row",
        hint="correct the weights in the export, or choose design.missing_weights: error, exclude or impute",
    )
    if design.missing_weights == "exclude":
        kept = frame.iloc[np.flatnonzero(~missing)].reset_index(drop=True)
        return dataclasses.replace(data, frame=kept), _log(frame, rows), [problem]
    weights = values if design.weights else 1.0 / values
    overall = float(weights.mean())
    if strata is not None:
        fill = weights.groupby(strata.to_numpy(), dropna=False).transform("mean").fillna(overall)
    else:
        fill = pd.Series(overall, index=frame.index)
    imputed = weights.fillna(fill)
    out = frame.assign(**{column: imputed if design.weights else 1.0 / imputed})
    return dataclasses.replace(data, frame=out), empty, [problem]
