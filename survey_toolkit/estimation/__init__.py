"""Design-based estimation: estimates, standard errors, intervals and comparisons by domain.

Public entry points: :func:`estimate` (tidy table of means, proportions, totals, ratios and quantiles
by domain), :func:`compare` / :func:`compare_independent` (differences and ratios with their
covariance) and :func:`crosstab_test` (Rao-Scott and Wald tests of association, R ``svychisq``), :func:`regression` /
:func:`wald_test` (design-based linear and logistic regression, R ``svyglm`` / ``regTermTest``). Lower-level pieces: :mod:`.intervals` (CI formulas), :mod:`.quantiles` (quantile rules),
:mod:`.domains` (by-group codes) and :mod:`._engine` (the grouped-sum variance).
"""

from __future__ import annotations

from .compare import compare, compare_independent
from .estimate import COLUMNS, STATISTICS, estimate, prepare_design
from .glm import FAMILIES, Regression, regression, wald_test
from .intervals import p01_interval, proportion_ci, wald_ci
from .replicates import as_replicates
from .tests_assoc import TEST_STATISTICS, crosstab_test

__all__ = [
    "estimate",
    "as_replicates",
    "compare",
    "compare_independent",
    "crosstab_test",
    "TEST_STATISTICS",
    "regression",
    "wald_test",
    "Regression",
    "FAMILIES",
    "prepare_design",
    "proportion_ci",
    "wald_ci",
    "p01_interval",
    "COLUMNS",
    "STATISTICS",
]
