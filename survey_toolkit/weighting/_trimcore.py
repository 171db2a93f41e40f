"""The trimming arithmetic (R ``trimWeights`` passes), shared by :func:`trim` and trimming inside raking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import Problem

__all__ = ["TrimBounds", "trim_weights", "bound_problems"]


def bound_problems(upper: float | None, lower: float | None) -> list[Problem]:
    """Trim bounds that cannot be meant: an upper bound of 0 or below, a negative lower bound,
    a non-finite bound, or a lower bound not below the upper one."""
    problems = []
    for name, value, ok, rule in (
        ("upper", upper, lambda v: v > 0, "a number above 0"),
        ("lower", lower, lambda v: v >= 0, "a number of 0 or more"),
    ):
        if value is None:
            continue
        if not np.isfinite(value) or not ok(value):
            problems.append(
                Problem(
                    "bad-trim-bounds",
                    f"the {name} trim bound {value:g} is not {rule}",
                    expected=rule,
                    got=f"{value:g}",
                    hint="bounds are weights (or multiples of the median weight with relative_to: median), "
                    "e.g. upper: 3.5, lower: 0.3",
                )
            )
    if not problems and upper is not None and lower is not None and lower >= upper:
        problems.append(
            Problem(
                "bad-trim-bounds",
                f"the lower trim bound {lower:g} is not below the upper bound {upper:g}",
                expected="lower < upper",
                got=f"lower {lower:g}, upper {upper:g}",
                hint="swap or correct the bounds",
            )
        )
    return problems


@dataclass(frozen=True)
class TrimBounds:
    """Bounds for trimming inside :func:`~survey_toolkit.weighting.rake`.

    ``upper``/``lower`` are weights, or multiples of the median non-zero weight when
    ``relative_to="median"`` (the median of the first raked weights); ``redistribute`` as in ``trim``.
    """

    upper: float | None = None
    lower: float | None = None
    relative_to: Literal["absolute", "median"] = "absolute"
    redistribute: Literal["additive", "proportional"] = "additive"

    def absolute(self, weights: np.ndarray) -> tuple[float | None, float | None]:
        """The bounds in weight units for these weights."""
        scale = float(np.median(weights[weights > 0])) if self.relative_to == "median" else 1.0
        return (
            None if self.lower is None else self.lower * scale,
            None if self.upper is None else self.upper * scale,
        )


def trim_weights(
    weights: np.ndarray,
    lower: float | None,
    upper: float | None,
    *,
    redistribute: Literal["additive", "proportional"] = "additive",
    strict: bool = True,
    maxit: int = 10_000,
    tolerance: float = 1e-12,
) -> tuple[np.ndarray, int, float]:
    """Trim a weight vector (bounds in weight units): (new weights, passes, largest remaining violation)."""
    w = np.asarray(weights, dtype=float).copy()
    live = w > 0
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    passes = 0
    while passes < maxit:
        over = live & (w > hi + tolerance * abs(hi))
        under = live & (w < lo - tolerance * abs(lo))
        if not (over.any() or under.any()):
            break
        passes += 1
        excess = float((w[over] - hi).sum() + (w[under] - lo).sum())
        w[over] = hi
        w[under] = lo
        rest = live & ~over & ~under
        if not rest.any():
            break
        if redistribute == "additive":
            w[rest] += excess / rest.sum()
        else:
            w[rest] *= 1.0 + excess / w[rest].sum()
        if not strict:
            break
    violation = float(max(np.max(w[live] - hi, initial=0.0), np.max(lo - w[live], initial=0.0)))
    return w, passes, violation
