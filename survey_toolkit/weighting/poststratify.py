"""Post-stratification: weights scaled to the population total of each post-stratum (R postStratify)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._compat import renamed_keywords
from ..errors import Problem, WeightError, did_you_mean
from ._common import describe_codes
from ._step import _as_margins, _check, _has_replicates, _ordered, _zero_target_warnings, finish, start
from .diagnostics import matched_margin_table
from .margins import Margins, match_margins
from .result import Weighted
from .variance import CalibrationStep


@renamed_keywords(weight="weights")
def post_stratify(
    data: Any,
    margins: Margins | Mapping[str, Mapping[Any, float]] | str,
    design: Any = None,
    *,
    weights: str | None = None,
    name: str = "ps_weight",
    variable: str | None = None,
    partial: bool = False,
    population_total: float | None = None,
    total_tolerance: float = 1e-6,
    by: Sequence[str] = (),
) -> Weighted:
    """Post-stratify the weights to the population counts of one variable (or an ``"a:b"`` cell variable).

    ``w*_k = w_k N_c / N̂_c``. Errors (WeightError, all at once): sample cells absent from the margins,
    population cells absent from the sample (dropped with a warning when ``partial=True``, as R
    ``postStratify(partial=TRUE)``), missing values, bad weights. R parity:
    ``postStratify(dclus1, ~stype, pop.types)`` gives mean api00 642.31079 (SE 23.92049). ``margins`` and
    ``design`` may come in either order.
    """
    margins, design = _ordered(margins, design)
    margins = _as_margins(margins)
    if variable is not None:
        chosen = margins.get(variable)
        if chosen is None:
            raise WeightError(
                Problem(
                    "unknown-margin-variable",
                    f"'{variable}' is not in the margins",
                    hint=did_you_mean(variable, margins.variables),
                )
            )
        margins = Margins((chosen,))
    if len(margins) != 1:
        raise WeightError(
            Problem(
                "several-post-strata-variables",
                f"post-stratification uses one variable but the margins have {describe_codes(margins.variables)}",
                expected="one variable (cells of several variables: name it 'a:b' with categories '1:2')",
                hint="use rake() for several margins, or pass variable='...'",
            )
        )
    st = start(data, weights, design, margins.margins[0].file, replicates_ok=True)
    matched, problems = match_margins(
        st.frame,
        margins,
        st.weights,
        population_total=population_total,
        total_tolerance=total_tolerance,
        partial=partial,
    )
    warnings = _check(problems)
    m = matched[0]
    k = len(m.categories)
    valid = m.codes >= 0
    sums = np.bincount(m.codes[valid], weights=st.weights[valid], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(sums > 0, m.targets / np.where(sums > 0, sums, 1.0), 0.0)
    new = np.where(valid, st.weights * factor[np.where(valid, m.codes, 0)], 0.0)
    warnings += _zero_target_warnings(matched, st.weights)
    table = matched_margin_table(new, matched)
    if partial:
        table = table[table["n"] > 0].reset_index(drop=True)
    cal = CalibrationStep("poststratify", new, st.weights, groups=(m.codes,), variables=(m.variable,))
    reps = None
    if _has_replicates(st):
        from .replicate_weights import poststratify_replicates, replicate_analysis

        reps = poststratify_replicates(replicate_analysis(st.frame, st.design, st.weights), m.codes, m.targets)
    return finish(
        st,
        "post_stratify",
        name,
        new,
        by=by,
        margins=table,
        problems=warnings,
        settings={"variable": m.variable, "partial": partial},
        calibration_step=cal,
        replicates=reps,
    )
