"""The frozen design specification: weights, strata, PSUs, fpc, lonely-PSU policy, replicates, and the prepared arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

LONELY_PSU_POLICIES = ("fail", "remove", "certainty", "adjust", "average")
LONELY_CENTRES = ("zero", "mean")
#: replicate-weight types, with R ``svrepdesign``'s names
REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap", "other")
#: a stratum is self-representing when (N - n)/N is below this (R survey's tolerance)
CERTAINTY_TOL = 1e-7


def _as_names(value: Any, what: str) -> tuple[str | None, ...]:
    """Normalise ``None`` / a name / a list of names (per stage) into a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence):
        out = tuple(None if v is None else str(v) for v in value)
        return out
    raise TypeError(f"{what} must be a column name or a list of column names, not {type(value).__name__}")


@dataclass(frozen=True)
class Replicates:
    """Replicate weights given in the data, as R ``svrepdesign`` declares them.

    Args:
        columns: the replicate weight columns, one per replicate.
        type: ``JK1``, ``JKn``, ``BRR``, ``Fay``, ``bootstrap``, ``subbootstrap`` or ``other`` (R's names).
        scale, rscales: v = scale * sum_r rscales_r (theta_r - centre)^2. Defaults as R: JK1 (R-1)/R
            (R replicates), BRR 1/R, Fay 1/(R (1 - rho)^2), bootstrap and subbootstrap 1/(R - 1), other 1; rscales 1. JKn
            needs ``rscales`` ((n_h - 1)/n_h of each replicate's stratum). BRR and Fay ignore a given
            scale, as R does.
        rho: Fay's coefficient (required for ``Fay``).
        mse: centre at the full-sample estimate (R ``mse=TRUE``) instead of the replicates' mean.
        combined_weights: the columns are the replicate analysis weights (default, R's default); with
            ``False`` they are multipliers of the sampling weights.
        df: design degrees of freedom; default the rank of the replicate weights minus 1 (per domain).
    """

    columns: tuple[str, ...]
    type: str = "other"
    scale: float | None = None
    rscales: Any = None
    rho: float | None = None
    mse: bool = False
    combined_weights: bool = True
    df: float | None = None

    def __post_init__(self) -> None:
        cols = (self.columns,) if isinstance(self.columns, str) else tuple(str(c) for c in self.columns)
        if not cols:
            raise ValueError("replicates need at least one replicate weight column")
        object.__setattr__(self, "columns", cols)
        if self.type not in REPLICATE_TYPES:
            raise ValueError(f"replicate type {self.type!r} is not one of {', '.join(REPLICATE_TYPES)}")
        if self.type == "Fay" and (self.rho is None or not 0 <= self.rho < 1):
            raise ValueError("type='Fay' needs rho, with 0 <= rho < 1 (R: 'you must supply the correct rho')")
        if self.rscales is not None:
            rs = np.atleast_1d(np.asarray(self.rscales, dtype=float))
            if rs.size not in (1, len(cols)):
                raise ValueError(f"rscales has length {rs.size}, should be 1 or {len(cols)} (one per replicate)")
            object.__setattr__(self, "rscales", tuple(float(v) for v in np.broadcast_to(rs, (len(cols),))))
        if self.type == "JKn" and self.rscales is None and self.combined_weights:
            raise ValueError("type='JKn' with combined weights needs rscales ((n_h - 1)/n_h per replicate)")

    def scales(self, weights: np.ndarray, analysis: np.ndarray) -> tuple[float, np.ndarray]:
        """(scale, rscales) for R replicates, with R ``svrepdesign``'s defaults."""
        R = len(self.columns)
        rscales = np.ones(R) if self.rscales is None else np.asarray(self.rscales, dtype=float)
        if self.type == "BRR":
            return 1.0 / R, rscales
        if self.type == "Fay":
            return 1.0 / (R * (1.0 - float(self.rho)) ** 2), rscales
        if self.scale is not None:
            return float(self.scale), rscales
        if self.type == "JK1":
            return (R - 1) / R, rscales
        if self.type in ("bootstrap", "subbootstrap"):
            return 1.0 / (R - 1), rscales
        return 1.0, rscales


@dataclass(frozen=True, eq=False)
class PreparedReplicates:
    """Replicate weights applied to a frame: ``factors`` (n x R) = replicate analysis weight / sampling
    weight (0 where the sampling weight is 0), ``scale``, ``rscales`` (R,), ``mse`` and the declared df."""

    factors: np.ndarray
    scale: float
    rscales: np.ndarray
    mse: bool
    df: float | None
    type: str

    @property
    def n_replicates(self) -> int:
        return int(self.factors.shape[1])


@dataclass(frozen=True)
class Design:
    """A survey design, as column names and options; immutable (use :meth:`replace`).

    Args:
        weights: column of sampling weights (1/pi). ``None``: taken from ``probs``, else computed from
            population-size fpc (product over stages of N/n), else all 1.
        strata: stratum column, or a list with one entry (or ``None``) per stage.
        psu: cluster id column(s) from the first stage down. ``None``, ``"1"`` or ``"0"``: each row is
            its own PSU.
        fpc: population size or sampling fraction column(s), one per stage (``None`` = with replacement).
        probs: column of inclusion probabilities (alternative to ``weights``).
        nest: relabel PSUs within strata (ids 1, 2, 3 repeating in each stratum).
        lonely_psu: what a stratum with a single PSU contributes: ``fail`` (error, default), ``remove``,
            ``certainty``, ``adjust`` or ``average`` (R ``survey.lonely.psu`` meanings).
        lonely_centre: for ``adjust``: ``"zero"`` centres the lone PSU total at 0 (R survey 4.1-1,
            default) or ``"mean"`` at the mean PSU total over all PSUs (survey 4.5). They differ for
            totals only.
        adjust_domain_lonely: also treat strata with a single PSU *inside a domain* as lonely (only with
            ``adjust``/``average``; R ``survey.adjust.domain.lonely``).
        population_scale: the weights estimate population counts, so ``deff_wor`` is reported.
        record_id: optional column used to name records in problems (default ``_record_id`` if present).
        replicates: a :class:`Replicates`: variances from replicate weights (no strata, psu or fpc then).
        calibration: set by the weighting step: an object whose ``residualize(u)`` maps linearised
            values ``(n_rows, q)`` to calibration residuals (see "Calibration hook" above).
    """

    weights: str | None = None
    strata: Any = None
    psu: Any = None
    fpc: Any = None
    probs: str | None = None
    nest: bool = False
    lonely_psu: str = "fail"
    lonely_centre: str = "zero"
    adjust_domain_lonely: bool = False
    population_scale: bool = False
    record_id: str | None = None
    calibration: Any = None
    replicates: Replicates | None = None

    def __post_init__(self) -> None:
        if self.replicates is not None:
            if not isinstance(self.replicates, Replicates):
                raise TypeError("replicates must be a survey_toolkit.design.Replicates")
            if any(n is not None for v in (self.strata, self.psu, self.fpc) for n in _as_names(v, "x")):
                raise ValueError("a replicate-weight design takes no strata, psu or fpc: the replicate "
                                 "weights carry the design")
            if self.calibration is not None:
                raise ValueError("calibrate replicate designs replicate by replicate (not supported yet)")
        if self.calibration is not None and not callable(getattr(self.calibration, "residualize", None)):
            raise TypeError(
                "calibration must have a residualize(u) method (survey_toolkit.weighting.Calibration)"
            )
        psu = _as_names(self.psu, "psu")
        if len(psu) == 1 and psu[0] in ("1", "0"):
            psu = ()
        strata = _as_names(self.strata, "strata")
        fpc = _as_names(self.fpc, "fpc")
        n_stages = max(len(psu), 1)
        for name, val in (("strata", strata), ("fpc", fpc)):
            if len(val) > n_stages:
                raise ValueError(f"{name} has {len(val)} stages but psu defines {n_stages}")
        object.__setattr__(self, "psu", psu)
        object.__setattr__(self, "strata", strata + (None,) * (n_stages - len(strata)))
        object.__setattr__(self, "fpc", fpc + (None,) * (n_stages - len(fpc)))
        if self.lonely_psu not in LONELY_PSU_POLICIES:
            raise ValueError(f"lonely_psu={self.lonely_psu!r} is not one of {', '.join(LONELY_PSU_POLICIES)}")
        if self.lonely_centre not in LONELY_CENTRES:
            raise ValueError(f"lonely_centre={self.lonely_centre!r} is not one of {LONELY_CENTRES}")
        if self.weights is not None and self.probs is not None:
            raise ValueError("give weights or probs, not both")

    @property
    def n_stages(self) -> int:
        return max(len(self.psu), 1)

    def replace(self, **changes: Any) -> Design:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def columns(self) -> list[str]:
        """Every column the design reads."""
        names = [self.weights, self.probs, *self.strata, *self.psu, *self.fpc,
                 *(self.replicates.columns if self.replicates is not None else ())]
        return [n for n in dict.fromkeys(names) if n is not None]

    def prepare(self, frame: pd.DataFrame) -> PreparedDesign:
        """Check the design against ``frame`` and return integer-coded arrays for estimation.

        Raises:
            DesignError: with one problem per kind of mistake (rows named, summarised when many).
        """
        from .prepare import _prepare

        return _prepare(self, frame)


@dataclass(frozen=True)
class CalibrationModel:
    """Calibration variables for the variance after weighting (see the module docstring).

    ``X`` is ``(n_rows, p)``; ``weights`` (optional, ``(n_rows,)``) are the regression weights,
    defaulting to the prepared design's (calibrated) weights.
    """

    X: np.ndarray
    weights: np.ndarray | None = None

    def __post_init__(self) -> None:
        X = np.asarray(self.X, dtype=float)
        if X.ndim == 1:
            X = X[:, None]
        if not np.all(np.isfinite(X)):
            raise ValueError("calibration matrix X has missing or infinite values")
        object.__setattr__(self, "X", X)
        if self.weights is not None:
            object.__setattr__(self, "weights", np.asarray(self.weights, dtype=float))


@dataclass(frozen=True, eq=False)
class Stage:
    """One sampling stage, as integer codes.

    ``cluster`` (per row) numbers the clusters of this stage across the whole design (sorted by
    stratum-group then label: the canonical summation order). ``group`` (per cluster) is the variance
    group the cluster belongs to: the stratum at stage 1, (parent cluster, stratum) below.
    ``n`` (per group) is the number of clusters; ``f`` (per group) the sampling fraction (0 = with
    replacement); ``mult`` (per group) the product of the sampling fractions of the stages above
    (1 at stage 1, Bellhouse recursion). ``group_parent`` (per group) is the cluster of the stage
    above that the group sits in (0 at stage 1: one root), and ``n_parents`` the number of such
    clusters; ``lonely_psu="average"`` rescales per parent (R ``onestage`` runs per parent cluster).
    """

    cluster: np.ndarray
    n_clusters: int
    cluster_group: np.ndarray
    n_groups: int
    n: np.ndarray
    f: np.ndarray
    mult: np.ndarray
    group_labels: tuple[str, ...] = ()
    has_fpc: bool = False
    group_parent: np.ndarray | None = None
    n_parents: int = 1


@dataclass(frozen=True, eq=False)
class PreparedDesign:
    """A design applied to one frame: weights and integer codes per stage (see :class:`Stage`)."""

    design: Design
    weights: np.ndarray
    stages: tuple[Stage, ...]
    index: pd.Index
    calibration: tuple[CalibrationModel, ...] = ()
    sweeps: int = 1
    row_labels: np.ndarray | None = field(default=None, repr=False)
    replicates: PreparedReplicates | None = None

    @property
    def n_rows(self) -> int:
        return int(self.weights.shape[0])

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata, over rows with non-zero weight."""
        st = self.stages[0]
        pos = self.weights > 0
        clusters = np.unique(st.cluster[pos])
        return int(clusters.size - np.unique(st.cluster_group[clusters]).size)

    def calibrated(
        self,
        weights: np.ndarray,
        models: CalibrationModel | Sequence[CalibrationModel],
        sweeps: int = 1,
    ) -> PreparedDesign:
        """A copy with calibrated weights and the calibration model(s) used for variances."""
        w = np.asarray(weights, dtype=float)
        if w.shape != self.weights.shape:
            raise ValueError(f"weights have shape {w.shape}, expected {self.weights.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("calibrated weights must be finite and >= 0")
        if isinstance(models, CalibrationModel):
            models = (models,)
        for m in models:
            if m.X.shape[0] != w.shape[0]:
                raise ValueError(f"calibration X has {m.X.shape[0]} rows, expected {w.shape[0]}")
        return replace(self, weights=w, calibration=self.calibration + tuple(models), sweeps=int(sweeps))

    def with_weights(self, weights: np.ndarray) -> PreparedDesign:
        """A copy with other weights (e.g. trimmed) and no calibration model."""
        w = np.asarray(weights, dtype=float)
        if w.shape != self.weights.shape or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("weights must be finite, >= 0 and one per row")
        return replace(self, weights=w, calibration=())
