"""Weighting: base weights, non-response adjustment, trimming, post-stratification, raking, calibration.

Every function takes the data (a DataFrame, a SurveyData, or the :class:`Weighted` result of a previous
step), starts from the design weights, and returns a new :class:`Weighted` (the input is never changed)
with a new weight column, a :class:`WeightingReport` and, after calibration, the :class:`Calibration`
that the variance uses. Order of operations (statistics.md §8): base weights, non-response adjustment,
trimming, then post-stratification or raking.

>>> import pandas as pd
>>> df = pd.DataFrame({"sex": [1, 1, 2, 2, 2], "w": [10.0, 10.0, 10.0, 10.0, 10.0]})
>>> out = rake(df, {"sex": {"1": 30, "2": 30}}, weights="w")
>>> out.frame["rake_weight"].tolist()
[15.0, 15.0, 10.0, 10.0, 10.0]
>>> out.report.convergence.converged
True
"""

from __future__ import annotations

from .base import adjust_nonresponse, base_weights
from .calibration import DEFAULT_EPSILON, DEFAULT_MAXIT, calibrate, post_stratify, rake
from .diagnostics import effective_sample_size, kish_deff, margin_table, weight_diagnostics
from .margins import Margin, Margins, read_margins
from .result import ConvergenceReport, TrimReport, Weighted, WeightingReport
from .trim import TrimBounds, trim
from .variance import Calibration, CalibrationStep, calibration_residuals

__all__ = [
    "base_weights",
    "adjust_nonresponse",
    "post_stratify",
    "rake",
    "calibrate",
    "trim",
    "TrimBounds",
    "read_margins",
    "Margin",
    "Margins",
    "Weighted",
    "WeightingReport",
    "ConvergenceReport",
    "TrimReport",
    "Calibration",
    "CalibrationStep",
    "calibration_residuals",
    "kish_deff",
    "effective_sample_size",
    "weight_diagnostics",
    "margin_table",
    "DEFAULT_EPSILON",
    "DEFAULT_MAXIT",
]
