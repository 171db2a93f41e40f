"""Trimming inside raking: rake, trim, re-rake until the raked weights keep the bounds and hit the margins."""

from __future__ import annotations

import numpy as np
import pytest

from survey_toolkit.errors import WeightError
from survey_toolkit.weighting import TrimBounds, rake

MARGINS = {"stype": {"E": 4421, "H": 755, "M": 1018}, "sch.wide": {"No": 1072, "Yes": 5122}}


@pytest.mark.parametrize("redistribute", ["additive", "proportional"])
def test_raked_weights_keep_the_bounds_and_the_margins(api, redistribute):
    df = api("apiclus1")
    plain = rake(df, MARGINS, weights="pw")
    assert plain.weights.max() > 60
    out = rake(df, MARGINS, weights="pw", trim=TrimBounds(upper=60, redistribute=redistribute))
    assert out.weights.max() <= 60 * (1 + 1e-9)
    table = out.report.margins
    np.testing.assert_allclose(table["achieved"], table["target"], rtol=1e-9)
    assert out.report.convergence.method == "rake+trim" and out.report.convergence.converged
    assert out.report.trimming.passes >= 1
    assert out.report.trimming.n_trimmed_upper == int((plain.weights > 60).sum()) == 3
    assert out.report.summary()["trim_passes"] == out.report.trimming.passes


def test_relative_bounds_use_the_median(api):
    df = api("apiclus1")
    out = rake(df, MARGINS, weights="pw", trim=TrimBounds(upper=2.0, relative_to="median"))
    assert out.report.trimming.upper == pytest.approx(2.0 * np.median(rake(df, MARGINS, weights="pw").weights))
    assert out.weights.max() <= out.report.trimming.upper * (1 + 1e-9)


def test_bounds_that_the_margins_cannot_keep_are_an_error(api):
    # the 14 high schools must carry 755: each weight is at least 755/14 = 53.9 whatever the trimming
    df = api("apiclus1")
    with pytest.raises(WeightError) as err:
        rake(df, MARGINS, weights="pw", trim=TrimBounds(upper=45), trim_rounds=20)
    (problem,) = err.value.problems
    assert problem.code == "raking-not-converged" and "cannot both hold" in problem.message


def test_empty_bounds_are_rejected(api):
    with pytest.raises(WeightError):
        rake(api("apiclus1"), MARGINS, weights="pw", trim=TrimBounds())
