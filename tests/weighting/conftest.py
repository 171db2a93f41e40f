"""A minimal Taylor-linearised variance for the weighting tests (one stage, strata, clusters, fpc).

Only here so the weighting tests do not depend on the estimation engine's internals; it follows
statistics.md §2.1 (PSU totals, stratum centring, (1 - f_h) n_h / (n_h - 1)) and applies the
calibration residuals of :mod:`survey_toolkit.weighting.variance` before the PSU totals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey_toolkit.weighting import calibration_residuals


def _variance(u: np.ndarray, strata: np.ndarray, psu: np.ndarray, fpc: np.ndarray | None) -> float:
    frame = pd.DataFrame({"h": strata, "i": psu, "u": u})
    z = frame.groupby(["h", "i"], sort=True)["u"].sum().reset_index()
    total = 0.0
    for h, part in z.groupby("h", sort=True):
        n_h = len(part)
        f_h = 0.0 if fpc is None else n_h / float(fpc[strata == h][0])
        zc = part["u"].to_numpy() - part["u"].mean()
        total += (1 - f_h) * n_h / (n_h - 1) * float(zc @ zc)
    return total


def mean_and_se(y, w, strata, psu, fpc=None, calibration=None) -> tuple[float, float]:
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    mean = float((w * y).sum() / w.sum())
    u = calibration_residuals(w * (y - mean) / w.sum(), calibration)
    return mean, float(np.sqrt(_variance(u, strata, psu, fpc)))


def total_and_se(y, w, strata, psu, fpc=None, calibration=None) -> tuple[float, float]:
    y = np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float)
    u = calibration_residuals(w * y, calibration)
    return float((w * y).sum()), float(np.sqrt(_variance(u, strata, psu, fpc)))


class Taylor:
    """The helpers above as a fixture object."""

    mean_and_se = staticmethod(mean_and_se)
    total_and_se = staticmethod(total_and_se)


@pytest.fixture
def taylor() -> type[Taylor]:
    return Taylor


@pytest.fixture
def api(shared):
    """``api('apiclus1')`` -> the R dataset as a DataFrame (skips when ../shared is absent)."""

    def load(name: str) -> pd.DataFrame:
        return pd.read_csv(shared("r-datasets", f"{name}.csv"))

    return load
