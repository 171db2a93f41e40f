"""Every weighting error path: a clear WeightError naming the variable and categories, never a silent result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey_toolkit.errors import Severity, WeightError
from survey_toolkit.weighting import (
    adjust_nonresponse,
    base_weights,
    calibrate,
    post_stratify,
    rake,
    read_margins,
    trim,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "weighting"


@pytest.fixture
def sample() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    return pd.DataFrame(
        {
            "sex": np.tile([1, 2], n // 2),
            "age_group": np.repeat([1, 2, 3], n // 3),
            "region": np.where(np.arange(n) % 5 < 3, "north", "south"),
            "w": rng.uniform(50, 150, n),
            "_source_row": np.arange(n) + 2,
            "_record_id": [f"uuid-{i}" for i in range(n)],
        }
    )


def problems_of(err):
    return {p.code: p for p in err.value.problems}


def test_margin_category_absent_from_sample(sample):
    with pytest.raises(WeightError) as err:
        rake(sample, read_margins(DATA / "broken_absent_category.csv"), weights="w")
    problem = problems_of(err)["category-not-in-sample"]
    assert "'sex'" in problem.message and "'3'" in problem.message
    assert problem.location.line == 4 and problem.location.file.endswith("broken_absent_category.csv")
    assert "collapse" in problem.hint


def test_sample_category_absent_from_margins(sample):
    with pytest.raises(WeightError) as err:
        post_stratify(sample, read_margins(DATA / "broken_sample_category_missing.csv"), weights="w")
    problem = problems_of(err)["category-not-in-margins"]
    assert "'sex'" in problem.message and "'2'" in problem.message
    assert problem.count == 30
    assert problem.location.row == 3 and problem.location.record_id == "uuid-1"


def test_codes_against_labels_explains_the_type_mismatch(sample):
    with pytest.raises(WeightError) as err:
        rake(sample, read_margins(DATA / "broken_labels_vs_codes.csv"), weights="w")
    found = problems_of(err)
    assert set(found) >= {"category-not-in-margins", "category-not-in-sample"}
    for problem in found.values():
        assert "numeric codes ('1', '2')" in problem.hint and "labels ('female', 'male')" in problem.hint


@pytest.mark.parametrize("codes", [[1, 2], [1.0, 2.0], ["1", "2"], [" 1", "2.0"]])
def test_int_float_and_text_codes_match_as_canonical_strings(sample, codes):
    sample = sample.assign(sex=np.tile(np.array(codes, dtype=object), len(sample) // 2))
    out = rake(sample, {"sex": {1: 3000, "2": 3200}}, weights="w")
    assert out.report.margins["achieved"].to_numpy() == pytest.approx([3000, 3200])


def test_case_mismatch_gets_a_case_hint(sample):
    sample = sample.assign(region=sample["region"].str.capitalize())
    with pytest.raises(WeightError) as err:
        rake(sample, {"region": {"north": 6, "south": 4}}, weights="w")
    assert "case-sensitively" in problems_of(err)["category-not-in-sample"].hint


def test_margins_with_different_totals(sample):
    with pytest.raises(WeightError) as err:
        rake(sample, read_margins(DATA / "broken_totals_differ.csv"), weights="w")
    problem = problems_of(err)["margin-totals-differ"]
    assert "sex 10000" in problem.message and "age_group 9000" in problem.message


def test_shares_take_the_total_of_the_counts(sample):
    out = rake(sample, read_margins(DATA / "margins_ok.csv"), weights="w")
    table = out.report.margins.set_index(["variable", "category"])["target"]
    assert table[("age_group", "2")] == pytest.approx(0.45 * 10000)
    assert out.weights.sum() == pytest.approx(10000)


def conflicting():
    # structural zeros: only (sex 1, age 1) and (sex 2, age 2) exist, but the margins disagree
    df = pd.DataFrame({"sex": [1, 1, 2, 2], "age": [1, 1, 2, 2], "w": [1.0, 1.0, 1.0, 1.0]})
    return df, {"sex": {1: 50, 2: 50}, "age": {1: 30, 2: 70}}


def test_raking_that_cycles_is_an_error_naming_the_margin():
    # R 4.2.2 / survey 4.1-1 returns this silently, without a warning:
    #   rake(svydesign(id=~1, weights=~w, data=data.frame(sex=c(1,1,2,2), age=c(1,1,2,2), w=1)),
    #        list(~sex, ~age), list(data.frame(sex=c(1,2), Freq=c(50,50)), data.frame(age=c(1,2), Freq=c(30,70))),
    #        control=list(maxit=25, epsilon=1e-10))  -> weights 15 15 35 35, sex margin 30/70 instead of 50/50
    df, margins = conflicting()
    with pytest.raises(WeightError) as err:
        rake(df, margins, weights="w", maxit=25)
    problem = problems_of(err)["raking-not-converged"]
    assert "after 25 iterations" in problem.message
    assert "cycle" in problem.message and "'sex' category '1'" in problem.message


def test_too_few_iterations_is_an_error(api):
    df = api("apiclus1")
    with pytest.raises(WeightError) as err:
        rake(
            df,
            {"stype": {"E": 4421, "H": 755, "M": 1018}, "sch.wide": {"No": 1072, "Yes": 5122}},
            weights="pw",
            maxit=2,
        )
    problem = problems_of(err)["raking-not-converged"]
    assert "after 2 iterations" in problem.message and "still changes" in problem.message


def test_non_convergence_can_be_a_flagged_warning():
    df, margins = conflicting()
    out = rake(df, margins, weights="w", maxit=25, on_nonconvergence="warn")
    assert out.report.convergence.converged is False
    assert out.report.convergence.max_margin_gap == pytest.approx(20)
    assert [p.code for p in out.report.problems.warnings] == ["raking-not-converged"]


def test_missing_values_unknown_variable_and_bad_weights_are_collected(sample):
    sample = sample.copy()
    sample.loc[4, "sex"] = np.nan
    with pytest.raises(WeightError) as err:
        rake(sample, {"sex": {1: 30, 2: 30}, "regoin": {"north": 36, "south": 24}}, weights="w")
    found = problems_of(err)
    assert found["missing-margin-value"].location.row == 6
    assert found["unknown-margin-variable"].hint == "did you mean 'region'?"
    sample.loc[7, "w"] = -1
    sample.loc[8, "w"] = np.nan
    with pytest.raises(WeightError) as err:
        rake(sample, {"sex": {1: 30, 2: 30}}, weights="w")
    assert set(problems_of(err)) == {"negative-weight", "missing-weight"}
    with pytest.raises(WeightError) as err:
        rake(sample, {"sex": {1: 30, 2: 30}}, weights="wt")
    assert problems_of(err)["unknown-weight-column"].hint == "did you mean 'w'?"
    with pytest.raises(WeightError) as err:
        rake(sample, {"sex": {1: 30, 2: 30}})
    assert "no-design-weight" in problems_of(err)


def test_post_stratify_partial_drops_empty_cells_with_a_warning(sample):
    margins = read_margins(DATA / "broken_absent_category.csv")
    out = post_stratify(sample, margins, weights="w", partial=True)
    assert [p.code for p in out.report.problems] == ["category-not-in-sample"]
    assert out.report.problems.problems[0].severity is Severity.WARNING
    assert out.weights.sum() == pytest.approx(4800 + 5100)


def test_post_stratify_needs_one_variable(sample):
    with pytest.raises(WeightError) as err:
        post_stratify(sample, {"sex": {1: 1, 2: 1}, "age_group": {1: 1, 2: 1, 3: 1}}, weights="w")
    assert "several-post-strata-variables" in problems_of(err)


def test_zero_weight_rows_are_ignored_not_errors(sample):
    sample = sample.assign(w=np.where(sample["sex"] == 2, 0.0, sample["w"]))
    out = post_stratify(sample, {"sex": {1: 100, 2: 0}}, weights="w")
    assert out.weights[sample["sex"].to_numpy() == 2].tolist() == [0.0] * 30


def test_calibration_errors(sample):
    with pytest.raises(WeightError) as err:
        calibrate(sample.assign(one=1.0), {"sex": {1: 30, 2: 30}}, weights="w", totals={"one": 60})
    assert "collinear-calibration" in problems_of(err)
    bad = sample.assign(x=np.where(np.arange(len(sample)) == 3, np.nan, 1.5))
    with pytest.raises(WeightError) as err:
        calibrate(bad, {"sex": {1: 30, 2: 30}}, weights="w", totals={"x": 80, "y": 2})
    found = problems_of(err)
    assert found["missing-total-value"].location.row == 5
    assert "unknown-total-variable" in found
    with pytest.raises(WeightError) as err:
        calibrate(sample, weights="w")
    assert "no-margins" in problems_of(err)


def test_trim_errors(sample):
    with pytest.raises(WeightError) as err:
        trim(sample, weights="w")
    assert "no-trim-bounds" in problems_of(err)
    with pytest.raises(WeightError) as err:
        trim(sample, weights="w", upper=1.0)
    assert "infeasible-trim-bounds" in problems_of(
        err
    )  # R's trimWeights recurses until the C stack overflows
    with pytest.raises(WeightError) as err:
        trim(sample, weights="w", upper=2, lower=3, relative_to="median")
    assert "bad-trim-bounds" in problems_of(err)


def test_nonresponse_errors(sample):
    sample = sample.assign(resp=np.where(sample["region"] == "south", 0, 1))
    with pytest.raises(WeightError) as err:
        adjust_nonresponse(sample, weights="w", respondent="resp", classes="region")
    problem = problems_of(err)["class-without-respondents"]
    assert "'south'" in problem.message and "collapse" in problem.hint
    with pytest.raises(WeightError) as err:
        adjust_nonresponse(sample.assign(resp="maybe"), weights="w", respondent="resp")
    assert "bad-response-status" in problems_of(err)


def test_base_weight_errors(sample):
    with pytest.raises(WeightError) as err:
        base_weights(sample.assign(p=np.where(sample.index == 2, 1.5, 0.1)), probability="p")
    assert problems_of(err)["bad-probability"].location.row == 4
    with pytest.raises(WeightError) as err:
        base_weights(sample, stratum="region", stratum_population={"north": 100, "sout": 80})
    problem = problems_of(err)["size-not-given"]
    assert "'south'" in problem.message and "did you mean 'sout'" in problem.hint
    with pytest.raises(WeightError) as err:
        base_weights(sample, stratum="region", stratum_population={"north": 10, "south": 80})
    assert "population-below-sample" in problems_of(err)
    with pytest.raises(WeightError) as err:
        base_weights(sample)
    assert "base-weight-source" in problems_of(err)
    with pytest.raises(WeightError) as err:
        base_weights(sample.assign(adults=0), stratum_population=1000, eligible="adults")
    assert "bad-eligible-count" in problems_of(err)


def test_messages_never_contain_respondent_values(sample):
    sample = sample.assign(name=["Amina Diallo"] * len(sample))
    sample.loc[0, "sex"] = np.nan
    with pytest.raises(WeightError) as err:
        rake(sample, {"sex": {1: 30, 2: 30}}, weights="w")
    assert "Amina" not in str(err.value)


def test_unsupported_calibration_function_is_an_error(sample):
    with pytest.raises(WeightError) as err:
        calibrate(sample, {"sex": {1: 30, 2: 30}}, weights="w", calfun="cubic")
    assert "bad-calfun" in problems_of(err)
    with pytest.raises(WeightError) as err:  # logit is offered, with bounds
        calibrate(sample, {"sex": {1: 30, 2: 30}}, weights="w", calfun="logit")
    assert "logit-needs-bounds" in problems_of(err)


def test_raking_calibration_out_of_reach_is_an_error(sample):
    # x is 0 or 1, so its total cannot exceed the population of 60 with positive weights
    x = (np.arange(len(sample)) % 3 == 0).astype(float)
    with pytest.raises(WeightError) as err:
        calibrate(
            sample.assign(x=x),
            {"sex": {1: 30, 2: 30}},
            weights="w",
            totals={"x": 90},
            calfun="raking",
            maxit=30,
        )
    assert "calibration-not-converged" in problems_of(err)
