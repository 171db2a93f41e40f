"""Survey designs: what the weights, strata, clusters and fpc are, checked against a frame.

A :class:`Design` is a frozen specification (column names and options). Applying it to a frame with
:meth:`Design.prepare` checks every row and returns a :class:`PreparedDesign`: integer codes per stage,
the weights, sampling fractions and the lonely-PSU policy, ready for the variance engine in
:mod:`survey_toolkit.estimation`. Mistakes (missing or negative weights, missing codes, a PSU in two
strata, mixed fpc forms, a lone PSU under ``lonely_psu="fail"``) are collected as
:class:`~survey_toolkit.errors.Problem` objects and raised together in a
:class:`~survey_toolkit.errors.DesignError`.

Semantics follow R ``survey`` 4.1-1 ``svydesign`` (see ``docs/methodology.md``):

- ``psu`` lists cluster ids from the first stage down (``["district", "school"]``); no ``psu`` means
  every row is its own PSU. ``strata`` and ``fpc`` are given per stage (a single name = stage 1).
- Codes are labels: ``1``, ``1.0`` and ``"1"`` are the same label; they are never cast to numbers.
- ``nest=False``: a PSU label found in two strata is an error. ``nest=True``: PSU labels are relabelled
  within strata (NHANES/DHS style). Lower-stage clusters are always nested in their parent cluster.
- ``fpc`` per stage is a population size (all values >= 1) or a sampling fraction (all <= 1); a mix is
  an error, as is a population size smaller than the number of sampled units. A stratum with
  ``(N - n)/N < 1e-7`` is self-representing (certainty) and contributes no first-stage variance.
- Zero weights are allowed: such rows are outside every domain. Missing, negative or infinite weights
  are errors.

Calibration hook (contract for ``survey_toolkit.weighting``)
-----------------------------------------------------------
After post-stratification, raking or GREG calibration, standard errors must use the residuals of the
linearised values from a weighted regression on the calibration variables (statistics.md §2.6, §8).
Two equivalent ways are offered.

A. Generic (what ``survey_toolkit.weighting`` uses): ``Design(..., weights=<calibrated weight column>,
   calibration=obj)`` where ``obj.residualize(u)`` takes the linearised values ``u`` as a float array
   ``(n_rows, q)`` -- rows in frame order, one column per statistic x domain, on the total scale (already
   multiplied by the weight, zero outside the domain) -- and returns the residuals, same shape, without
   changing ``u``. The engine then forms cluster totals of the residuals as usual. Columns are passed in
   blocks, so ``residualize`` must treat columns independently. An object that also has
   ``domain_projector(clusters, n_clusters)`` (``survey_toolkit.weighting.Calibration`` does) gets the
   fast route: all domains from grouped sums, never an (n_rows x domains) matrix (docs/methodology.md).

B. Grouped projection (no per-row matrix, fastest): the steps below.

1. Build the calibrated weights ``w_cal`` (float array, one per row of the prepared frame, same row
   order) and a model matrix ``X`` (float array ``(n_rows, p)``) of the calibration variables for
   **all** rows: post-stratum dummies (``postStratify``), the stacked dummies of every raking margin,
   or the GREG covariates including the intercept column. Rank-deficient ``X`` is fine (a
   pseudo-inverse is used).
2. Call ``prepared.calibrated(w_cal, CalibrationModel(X))`` (or a tuple of models). It returns a new
   :class:`PreparedDesign` whose weights are ``w_cal`` (checked: finite and >= 0) and which carries
   the models; the original is unchanged.
3. The variance step then replaces every linearised column ``x`` (per-row contributions on the total
   scale, i.e. already multiplied by the weight) by ``x - W X b`` with
   ``b = (X' W X)^+ X' x`` and ``W = diag(model.weights or w_cal)``. Models in a tuple are applied in
   order, and the whole sequence is repeated ``sweeps`` times (``sweeps=10`` with one model per margin
   mimics R ``rake()``'s variance; a single model with all margins gives the exact projection).
4. Point estimates simply use ``w_cal``. Degrees of freedom are those of the design.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"w": [2.0, 2.0, 4.0, 4.0], "st": ["a", "a", "b", "b"],
    ...                       "cl": [1, 2, 3, 4]})
    >>> prep = Design(weights="w", strata="st", psu="cl").prepare(frame)
    >>> prep.n_rows, prep.stages[0].n_groups, prep.df
    (4, 2, 2)
"""

from __future__ import annotations

from .model import (
    CERTAINTY_TOL,
    LONELY_CENTRES,  # noqa: F401 (importable from survey_toolkit.design as before)
    LONELY_PSU_POLICIES,
    REPLICATE_TYPES,
    CalibrationModel,
    Design,
    PreparedDesign,
    PreparedReplicates,
    Replicates,
    Stage,
)
from .prepare import MAX_ROWS_NAMED  # noqa: F401 (importable from survey_toolkit.design as before)

__all__ = [
    "LONELY_PSU_POLICIES",
    "REPLICATE_TYPES",
    "Design",
    "Replicates",
    "PreparedReplicates",
    "PreparedDesign",
    "Stage",
    "CalibrationModel",
    "CERTAINTY_TOL",
]
