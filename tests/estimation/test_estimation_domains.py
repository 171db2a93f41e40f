"""Domains, empty cells, missing values, flags and API errors of estimate()."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, estimate
from survey_toolkit.errors import EstimationError

from .conftest import DN, r_close

DESIGN = Design(weights="w", strata="st", psu="cl")


@pytest.fixture()
def small() -> pd.DataFrame:
    return pd.DataFrame({
        "w": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0],
        "st": ["a", "a", "a", "a", "b", "b", "b", "b"],
        "cl": [1, 1, 2, 2, 3, 3, 4, 4],
        "loc": pd.Categorical(["x", "x", "y", "y", "x", "y", "x", "y"], categories=["x", "y", "z"]),
        "rnd": [1, 2, 1, 2, 1, 2, 1, 2],
        "ans": ["yes", "no", "yes", "yes", None, "no", "yes", "no"],
        "y": [1.0, 3.0, 2.0, np.nan, 5.0, 4.0, 2.0, 1.0],
    })


def test_output_columns_and_order(small):
    out = estimate(small, DESIGN, ["y"], by=["loc", "rnd"])
    assert list(out.columns) == [
        "variable", "category", "loc", "rnd", "statistic", "estimate", "se", "ci_low", "ci_high", "level",
        "ci_method", "df", "deff_wor", "deff_wr", "cv", "n", "n_weighted", "n_missing", "n_eff",
        "domain_lonely_strata", "flag",
    ]
    # every combination, categorical levels in category order (z unused), then rnd
    assert list(zip(out["loc"], out["rnd"], strict=True)) == [
        ("x", 1), ("x", 2), ("y", 1), ("y", 2), ("z", 1), ("z", 2)]
    assert isinstance(out["loc"].dtype, pd.CategoricalDtype)


def test_empty_domain_is_a_zero_row(small):
    out = estimate(small, DESIGN, "y", by="loc").set_index("loc")
    z = out.loc["z"]
    assert z.n == 0 and z.n_weighted == 0 and math.isnan(z.estimate) and z.flag == "empty_domain"
    assert len(estimate(small, DESIGN, "y", by="loc", complete=False)) == 2


def test_empty_category_kept_across_domains(small):
    with pytest.warns(UserWarning, match="exactly 0 or 1"):
        out = estimate(small, DESIGN, "ans", by="rnd", categories=["yes", "no", "dk"])
    assert list(out["category"]) == ["yes", "yes", "no", "no", "dk", "dk"]
    dk = out[out["category"] == "dk"]
    assert (dk["estimate"] == 0).all() and dk["flag"].str.contains("p01_fallback").all()


def test_missing_by_values_group_or_drop(small):
    data = small.assign(g=["p", "p", None, "q", "q", None, "p", "q"])
    grouped = estimate(data, DESIGN, "y", by="g")
    assert grouped["g"].isna().sum() == 1 and len(grouped) == 3
    dropped = estimate(data, DESIGN, "y", by="g", by_na="drop")
    assert len(dropped) == 2
    # dropping the group does not change the other groups (rows stay in the design)
    pd.testing.assert_series_equal(grouped["se"].iloc[:2], dropped["se"], check_names=False)


def test_item_missingness_as_domain(small):
    r = estimate(small, DESIGN, "y").iloc[0]
    assert (r.n, r.n_missing) == (7, 1)
    manual = small.dropna(subset=["y"])
    assert r.estimate == pytest.approx(np.average(manual["y"], weights=manual["w"]))
    strict = estimate(small, DESIGN, "y", na_rm=False).iloc[0]
    assert math.isnan(strict.estimate) and strict.flag == "missing_values"


def test_single_psu_domain_has_no_interval(small):
    data = small.assign(one=small["cl"] == 1)
    r = estimate(data, DESIGN, "y", by="one").set_index("one").loc[True]
    assert r.df == 0 and math.isnan(r.ci_low) and "df_nonpositive" in r.flag


def test_proportions_of_categorical_and_numeric(small):
    out = estimate(small, DESIGN, "ans")
    assert list(out["category"]) == ["no", "yes"]
    assert out["estimate"].sum() == pytest.approx(1.0)
    assert (out["n_missing"] == 1).all()
    binary = small.assign(b=(small["ans"] == "yes").astype(float).where(small["ans"].notna()))
    one = estimate(binary, DESIGN, "b", "proportion", category=1.0).iloc[0]
    assert one.estimate == pytest.approx(out.set_index("category").loc["yes", "estimate"])
    counts = estimate(small, DESIGN, "ans", "total")
    assert counts["statistic"].eq("total").all()
    assert counts["estimate"].sum() == pytest.approx(small["w"][small["ans"].notna()].sum())


def test_total_equals_mean_times_size(small):
    t = estimate(small, DESIGN, "y", "total").iloc[0]
    m = estimate(small, DESIGN, "y").iloc[0]
    assert t.estimate == pytest.approx(m.estimate * m.n_weighted)


def test_domain_lonely_flag_and_adjustment(nhanes):
    # R 4.2.2, survey 4.1-1:
    # options(survey.lonely.psu="adjust", survey.adjust.domain.lonely=TRUE)
    # svyby(~HI_CHOL, ~race, dn, svymean, na.rm=TRUE); then the same with "average";
    # and svyby(~WTMEC2YR, ~race, dn, svytotal, na.rm=TRUE) under "adjust"
    adj = estimate(nhanes, DN.replace(lonely_psu="adjust", adjust_domain_lonely=True), "HI_CHOL",
                   by="race").set_index("race")
    r_close(adj.loc[1, "se"], "0.00624584330875")
    r_close(adj.loc[3, "se"], "0.01042185337188")
    r_close(adj.loc[4, "se"], "0.02493828135753")
    assert adj.loc[4, "domain_lonely_strata"] == 2
    avg = estimate(nhanes, DN.replace(lonely_psu="average", adjust_domain_lonely=True), "HI_CHOL",
                   by="race").set_index("race")
    r_close(avg.loc[3, "se"], "0.01071047597332")
    r_close(avg.loc[4, "se"], "0.02620028521101")
    tot = estimate(nhanes, DN.replace(lonely_psu="adjust", adjust_domain_lonely=True), "WTMEC2YR", "total",
                   by="race").set_index("race")
    r_close(tot.loc[3, "se"], "93199882416.2")
    r_close(tot.loc[4, "se"], "189199031988.1")


def test_unknown_variable_and_statistic(small):
    with pytest.raises(EstimationError) as err:
        estimate(small, DESIGN, "yy")
    p = err.value.problems[0]
    assert (p.code, p.message, p.hint) == ("unknown-column", "variable 'yy' is not in the data", "did you mean 'y'?")
    with pytest.raises(EstimationError) as err:
        estimate(small, DESIGN, "y", "median")
    assert err.value.problems[0].code == "unknown-statistic"
    with pytest.raises(EstimationError) as err:
        estimate(small, DESIGN, "y", by="lcc")
    assert err.value.problems[0].hint == "did you mean 'loc'?"
    with pytest.raises(EstimationError) as err:
        estimate(small, DESIGN, "y", "ratio")
    assert err.value.problems[0].code == "missing-denominator"
    with pytest.raises(EstimationError) as err:
        estimate(small, DESIGN, "ans", "quantile")
    assert err.value.problems[0].code == "not-numeric"
    with pytest.raises(ValueError, match="unknown ci_method"):
        estimate(small, DESIGN, "ans", ci_method="exact")


def test_quantile_rules_on_equal_weights():
    data = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "w": 1.0})
    d = Design(weights="w")
    got = {rule: estimate(data, d, "x", "quantile", quantile_rule=rule).estimate[0]
           for rule in ("math", "school", "hf7")}
    assert got == {"math": 2.0, "school": 2.5, "hf7": 2.5}
    assert estimate(data, d, "x", "quantile", quantiles=0.1, quantile_rule="hf7").estimate[0] == pytest.approx(
        np.quantile(data["x"], 0.1))


def test_quantiles_by_domain_match_separate_calls(small):
    out = estimate(small, DESIGN, "y", "quantile", by="rnd", quantiles=[0.5], quantile_rule="math")
    for rnd, row in out.set_index("rnd").iterrows():
        sub = small[(small["rnd"] == rnd) & small["y"].notna()].sort_values("y")
        cum = sub["w"].cumsum() / sub["w"].sum()
        assert row.estimate == sub["y"][cum >= 0.5].iloc[0]


def test_columns_are_documented(small):
    from survey_toolkit.estimation import COLUMNS
    from tests.conftest import ROOT

    out = estimate(small, DESIGN, "y", by="rnd")
    assert [c for c in out.columns if c != "rnd"] == list(COLUMNS)
    doc = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    table = doc[doc.index("### Output columns"):]
    for col in COLUMNS:
        assert f"`{col}`" in table, f"column {col} is not in docs/methodology.md"


@pytest.mark.parametrize("module", ["survey_toolkit.design", "survey_toolkit.estimation.estimate",
                                    "survey_toolkit.estimation.intervals", "survey_toolkit.estimation.quantiles",
                                    "survey_toolkit.estimation.domains"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


def test_nullable_dtypes_from_loaders():
    data = pd.DataFrame({
        "w": [1.0, 2.0, 3.0, 4.0],
        "b": pd.array([True, False, None, True], dtype="boolean"),
        "i": pd.array([1, None, 0, 1], dtype="Int64"),
        "s": pd.array(["a", None, "b", "a"], dtype="string"),
        "c": pd.Categorical(["x", "y", None, "x"]),
    })
    d = Design(weights="w")
    assert estimate(data, d, "b").estimate[0] == pytest.approx(5 / 7)
    assert estimate(data, d, "i").estimate[0] == pytest.approx(5 / 8)
    s = estimate(data, d, "s", "proportion")
    assert list(s["category"]) == ["a", "b"] and s["estimate"].tolist() == pytest.approx([5 / 8, 3 / 8])
    c = estimate(data, d, "c", "proportion")
    assert list(c["category"]) == ["x", "y"] and (c["n_missing"] == 1).all()


def test_quantile_domain_without_values_is_empty_not_an_error():
    # a domain whose rows all miss the value (found by the row-order property test)
    frame = pd.DataFrame({"st": ["s0", "s0", "s1", "s1"], "cl": [1, 2, 3, 4], "w": 1.0,
                          "y": [np.nan, np.nan, 0.0, np.nan], "d": [False, False, False, True]})
    out = estimate(frame, Design(weights="w", strata="st", psu="cl", lonely_psu="adjust"), "y", "quantile",
                   by="d").set_index("d")
    assert out.loc[False, "estimate"] == 0.0
    assert np.isnan(out.loc[True, "estimate"]) and "empty_domain" in out.loc[True, "flag"]
