"""Weight trimming with redistribution (R ``trimWeights`` semantics by default).

One pass: weights above ``upper`` are set to ``upper``, weights below ``lower`` to ``lower``, and the net
amount removed is redistributed over the weights that were inside the bounds in that pass, so Σw is
preserved: **equally** (``redistribute="additive"``, R) or **in proportion to the weights**
(``"proportional"``, which changes small weights less). With ``strict=True`` (default) passes repeat until
no weight breaks a bound (R ``strict=TRUE``): redistribution can push other weights over a bound, and
weights already at a bound may receive a share again in a later pass, exactly as R does.

Bounds are absolute, or multiples of the median non-zero weight (``relative_to="median"``:
``upper=3.5`` means 3.5 x median). Zero weights stay 0. The trimmed weights are then design weights (no
variance adjustment, as R). R parity: ``trimWeights(dstrat, upper=40)`` gives E 40 / H 19.31 / M 24.57,
Σw 6194, mean api00 659.34974 (SE 8.92786).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from .._compat import renamed_keywords
from ..errors import Location, Problem, Severity, WeightError
from ._step import finish, start
from ._trimcore import TrimBounds, bound_problems, trim_weights
from .result import TrimReport, Weighted

__all__ = ["trim", "trim_weights", "TrimBounds"]


@renamed_keywords(weight="weights")
def trim(
    data: Any,
    design: Any = None,
    *,
    weights: str | None = None,
    upper: float | None = None,
    lower: float | None = None,
    relative_to: Literal["absolute", "median"] = "absolute",
    redistribute: Literal["additive", "proportional"] = "additive",
    strict: bool = True,
    maxit: int = 10_000,
    name: str = "trim_weight",
    by: Sequence[str] = (),
) -> Weighted:
    """Trim weights to ``[lower, upper]`` with redistribution; see the module docstring for the rules.

    Errors: no bound given, bounds in the wrong order, bounds that cannot hold while Σw is kept
    (``n x upper < Σw`` or ``n x lower > Σw``), an unknown ``redistribute``. Trimming a calibrated result drops
    its calibration (the margins no longer hold) and says so in a warning: trim before calibrating.
    """
    st = start(data, weights, design)
    problems: list[Problem] = []
    if upper is None and lower is None:
        problems.append(
            Problem(
                "no-trim-bounds",
                "trimming needs an upper and/or a lower bound",
                hint="e.g. upper=3.5, relative_to='median'",
            )
        )
    if redistribute not in ("additive", "proportional"):
        problems.append(
            Problem(
                "bad-trim-option",
                f"redistribute={redistribute!r} is not known",
                expected="'additive' or 'proportional'",
            )
        )
    if relative_to not in ("absolute", "median"):
        problems.append(
            Problem(
                "bad-trim-option",
                f"relative_to={relative_to!r} is not known",
                expected="'absolute' or 'median'",
            )
        )
    problems += bound_problems(upper, lower)
    if problems:
        raise WeightError(problems)
    live = st.weights > 0
    scale = float(np.median(st.weights[live])) if relative_to == "median" else 1.0
    hi = None if upper is None else upper * scale
    lo = None if lower is None else lower * scale
    n, total = int(live.sum()), float(st.weights.sum())
    if hi is not None and lo is not None and lo > hi:
        problems.append(
            Problem(
                "bad-trim-bounds",
                f"lower bound {lo:.6g} is above upper bound {hi:.6g}",
                expected="lower <= upper",
            )
        )
    if hi is not None and n * hi < total * (1 - 1e-12):
        problems.append(
            Problem(
                "infeasible-trim-bounds",
                f"upper bound {hi:.6g} x {n} weights = {n * hi:.6g} is below the weight total "
                f"{total:.6g}: no trimming can keep the total",
                Location(field=st.weight),
                hint="raise the upper bound",
            )
        )
    if lo is not None and n * lo > total * (1 + 1e-12):
        problems.append(
            Problem(
                "infeasible-trim-bounds",
                f"lower bound {lo:.6g} x {n} weights = {n * lo:.6g} is above the weight total {total:.6g}",
                Location(field=st.weight),
                hint="lower the lower bound",
            )
        )
    if problems:
        raise WeightError(problems)
    new, passes, violation = trim_weights(
        st.weights, lo, hi, redistribute=redistribute, strict=strict, maxit=maxit
    )
    warnings: list[Problem] = []
    if strict and violation > 1e-9 * max(abs(hi or 0.0), abs(lo or 0.0), 1.0):
        raise WeightError(
            Problem(
                "trimming-not-converged",
                f"after {passes} passes a weight still breaks a bound by {violation:.3g}",
                hint="widen the bounds",
            )
        )
    calibrated = st.previous is not None and st.previous.calibration is not None
    if calibrated:
        warnings.append(
            Problem(
                "trim-after-calibration",
                "trimming changed calibrated weights: the margins "
                "no longer hold exactly and the calibration is dropped from the variance",
                severity=Severity.WARNING,
                hint="trim the design weights, then calibrate",
            )
        )
    n_upper = int((live & (st.weights > (hi if hi is not None else np.inf))).sum())
    n_lower = int((live & (st.weights < (lo if lo is not None else -np.inf))).sum())
    report = TrimReport(
        lo, hi, n_lower, n_upper, float(0.5 * np.abs(new - st.weights).sum()), passes, redistribute, violation
    )
    return finish(
        st,
        "trim",
        name,
        new,
        by=by,
        trimming=report,
        problems=warnings,
        settings={
            "upper": upper,
            "lower": lower,
            "relative_to": relative_to,
            "redistribute": redistribute,
            "strict": strict,
        },
    )
