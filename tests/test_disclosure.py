"""Reporting rules (domain.md section 7.2) on crafted results tables."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from survey_toolkit.disclosure import DEFAULT_RULES, ReportingRules, apply_rules, is_total, protected_cell
from survey_toolkit.errors import DataError
from survey_toolkit.estimation import p01_interval


def row(**kw):
    base = dict(
        indicator_id="trust_police",
        round="R1",
        location="All",
        estimate=50.0,
        se=2.0,
        ci_low=46.0,
        ci_high=54.0,
        df=40.0,
        n=400,
        n_numerator=200,
        n_weighted=1000.0,
        n_eff=300.0,
        dk_share=0.02,
        unit="percent",
        sensitive=False,
    )
    base.update(kw)
    return base


def table(*rows):
    return pd.DataFrame(list(rows))


def one(**kw):
    return apply_rules(table(row(**kw))).iloc[0]


def test_clean_row_is_published_unchanged():
    out = one()
    assert not out["suppressed"] and out["suppression_reason"] == "" and out["caution_reasons"] == ""
    assert out["estimate"] == 50.0 and out["ci_high"] == 54.0 and not out["caution"]


@pytest.mark.parametrize(
    ("n", "suppressed", "caution_reasons"),
    [(29, True, ""), (30, False, "caution-base"), (49, False, "caution-base"), (50, False, "")],
)
def test_minimum_base_boundaries(n, suppressed, caution_reasons):
    out = one(n=n)
    assert out["suppressed"] is np.True_ or out["suppressed"] == suppressed
    assert bool(out["suppressed"]) == suppressed
    assert out["caution_reasons"] == caution_reasons
    if suppressed:
        assert out["suppression_reason"] == "small-base"
        assert np.isnan(out["estimate"]) and np.isnan(out["se"]) and np.isnan(out["ci_low"])
        assert out["n"] == n  # the base stays visible to explain the dash


def test_effective_sample_size_rule():
    assert one(n_eff=29.9)["suppression_reason"] == "low-n-eff"
    assert not one(n_eff=30.0)["suppressed"]


def test_absolute_ci_width_rule_in_percent_and_proportion_scale():
    assert one(ci_low=35.0, ci_high=65.0)["suppression_reason"] == "wide-ci"
    assert not one(ci_low=35.1, ci_high=65.0)["suppressed"]
    prop = one(estimate=0.5, ci_low=0.35, ci_high=0.65)  # same rule on a 0-1 table
    assert prop["suppression_reason"] == "wide-ci"


def test_relative_ci_width_rule():
    # width 6 pp over an estimate of 4%: relative width 150% > 130% and width > 5 pp
    assert one(estimate=4.0, ci_low=1.0, ci_high=7.0)["suppression_reason"] == "wide-relative-ci"
    # width 5 pp exactly: not above the 5 pp floor, so published
    assert not one(estimate=2.0, ci_low=0.5, ci_high=5.5)["suppressed"]
    # width 6 pp over 5%: relative width 120% is fine
    assert not one(estimate=5.0, ci_low=2.0, ci_high=8.0)["suppressed"]


def test_zero_or_hundred_percent_is_published_with_an_honest_note_not_withheld_as_a_wide_relative_ci():
    # apistrat high schools, I(api00 < 400): nobody. R 4.2.2, survey 4.1-1: svymean 0 with SE 0 and
    # svyciprop(method="beta") NaN NaN; the engine's NCHS Korn-Graubard interval for n = 50, df = 49 is
    # [0, 0.07112173646] (docs/methodology.md): 7.1 points wide over an estimate of 0
    lo, hi = p01_interval(np.array([0.0, 1.0]), np.array([49.0, 49.0]), np.array([50.0, 50.0]))
    assert hi[0] == pytest.approx(0.07112173646, abs=1e-10) and lo[1] == pytest.approx(1 - 0.07112173646, abs=1e-10)
    cells = [dict(estimate=0.0, ci_low=lo[0], ci_high=hi[0]), dict(estimate=1.0, ci_low=lo[1], ci_high=hi[1])]
    rows = [row(se=0.0, n=50, n_numerator=k, n_eff=np.nan, **c) for k, c in zip((0, 50), cells, strict=True)]
    out = apply_rules(table(*rows, row(estimate=0.5, ci_low=0.45, ci_high=0.55)))  # a 0-1 table
    assert out["suppressed"].tolist() == [False, False, False]
    assert out["caution_reasons"].tolist() == ["all-or-none", "all-or-none", ""]
    assert out["estimate"].tolist()[:2] == [0.0, 1.0]
    in_points = one(estimate=0.0, se=0.0, ci_low=0.0, ci_high=100 * hi[0])  # same on a 0-100 table
    assert not in_points["suppressed"] and in_points["caution_reasons"] == "all-or-none"


def test_zero_percent_is_still_withheld_for_an_honest_reason():
    small = one(estimate=0.0, se=0.0, ci_low=0.0, ci_high=12.0, n=25)
    assert small["suppression_reason"] == "small-base" and small["caution_reasons"] == ""
    assert one(estimate=0.0, se=0.0, ci_low=0.0, ci_high=31.0)["suppression_reason"] == "wide-ci"
    # 1% on a 0-100 table is not 100%: the relative rule applies as before
    assert one(estimate=1.0, ci_low=0.1, ci_high=7.0)["suppression_reason"] == "wide-relative-ci"
    assert one(unit="index", estimate=0.0, ci_low=0.0, ci_high=3.0)["caution_reasons"] == ""  # not a percentage


def test_ci_width_rules_skip_means_and_indices():
    out = one(unit="index", estimate=55.0, ci_low=20.0, ci_high=90.0)
    assert not out["suppressed"]


def test_missing_estimate_is_suppressed():
    assert one(estimate=np.nan)["suppression_reason"] == "no-estimate"


def test_low_df_and_high_dk_are_flags_not_suppression():
    out = one(df=7.0, dk_share=0.11)
    assert not out["suppressed"] and out["caution_reasons"] == "low-df;high-dk" and out["caution"]
    assert one(df=8.0, dk_share=0.10)["caution_reasons"] == ""


def test_several_reasons_are_all_listed():
    out = one(n=20, n_eff=10.0, ci_low=10.0, ci_high=90.0)
    assert out["suppression_reason"] == "small-base;low-n-eff;wide-ci"


def test_flags_not_reported_on_suppressed_rows():
    assert one(n=20, df=3.0)["caution_reasons"] == ""


def test_small_numerator_cell_only_for_sensitive_indicators():
    assert one(sensitive=True, n_numerator=4)["suppression_reason"] == "small-cell"
    assert one(sensitive=True, n_numerator=1)["suppressed"]
    assert not one(sensitive=True, n_numerator=0)["suppressed"]
    assert not one(sensitive=True, n_numerator=5)["suppressed"]
    assert not one(sensitive=False, n_numerator=2)["suppressed"]
    assert np.isnan(one(sensitive=True, n_numerator=3)["n_numerator"])


def sensitive_locations(numerators, bases=None):
    bases = bases or [200] * len(numerators)
    names = [f"D{i}" for i in range(len(numerators))]
    rows = [
        row(
            indicator_id="sv",
            location=loc,
            n_numerator=k,
            n=b,
            sensitive=True,
            estimate=100 * k / b,
            ci_low=max(0.0, 100 * k / b - 2),
            ci_high=100 * k / b + 2,
        )
        for loc, k, b in zip(names, numerators, bases, strict=True)
    ]
    total = row(indicator_id="sv", location="All", n_numerator=sum(numerators), n=sum(bases), sensitive=True)
    return table(total, *rows)


def test_secondary_suppression_hides_the_next_smallest_cell():
    out = apply_rules(sensitive_locations([3, 40, 12, 25])).set_index("location")
    assert out.loc["D0", "suppression_reason"] == "small-cell"
    assert out.loc["D2", "suppression_reason"] == "secondary"  # smallest remaining numerator
    assert not out.loc["D1", "suppressed"] and not out.loc["D3", "suppressed"]
    assert not out.loc["All", "suppressed"]
    assert np.isnan(out.loc["D2", "n_numerator"]) and np.isnan(out.loc["D2", "estimate"])
    # the suppressed numerator can no longer be derived from the total minus the published cells
    published = out.drop(index="All")["n_numerator"].sum()
    assert out.loc["All", "n_numerator"] - published == 3 + 12


def test_no_secondary_when_two_cells_already_suppressed():
    out = apply_rules(sensitive_locations([3, 40, 2, 25])).set_index("location")
    assert out["suppression_reason"].tolist() == ["", "small-cell", "", "small-cell", ""]


def test_secondary_suppression_protects_every_suppressed_cell_not_only_small_cells():
    # a cell suppressed for its small base is as recoverable from the total as a small cell
    t = sensitive_locations([10, 40, 12, 25], bases=[20, 200, 200, 200]).assign(sensitive=False)
    out = apply_rules(t).set_index("location")
    assert out.loc["D0", "suppression_reason"] == "small-base"
    assert out.loc["D2", "suppression_reason"] == "secondary"
    assert out["suppressed"].sum() == 2
    assert not apply_rules(sensitive_locations([30, 40, 12, 25]).assign(sensitive=False))["suppressed"].any()


def test_secondary_suppression_can_be_switched_off():
    t = sensitive_locations([3, 40, 12, 25])
    out = apply_rules(t, ReportingRules(secondary_suppression=False))
    assert out["suppression_reason"].tolist() == ["", "small-cell", "", "", ""]


def test_an_empty_cell_does_not_protect_a_suppressed_one():
    # a third sex category nobody chose is suppressed (no estimate) but reveals nothing: men = total - women
    rows = [
        row(indicator_id="sv", sensitive=True, n=450, n_numerator=14),
        row(indicator_id="sv", sensitive=True, sex="1", n=200, n_numerator=3),
        row(indicator_id="sv", sensitive=True, sex="2", n=250, n_numerator=11),
        row(indicator_id="sv", sensitive=True, sex="99", n=0, n_numerator=0, estimate=np.nan),
    ]
    out = apply_rules(table(*rows))
    assert out["suppression_reason"].tolist() == ["", "small-cell", "secondary", "small-base;no-estimate"]


def test_a_lone_suppressed_total_is_protected_through_its_parts():
    # the total is suppressed (wide relative CI) but its two parts are published: their sum gives it away
    rows = [
        row(location="All", ci_low=1.0, ci_high=20.0, estimate=6.0),
        row(location="North", location_level="admin1", n=200, n_numerator=10),
        row(location="South", location_level="admin1", n=200, n_numerator=14),
    ]
    out = apply_rules(table(*rows))
    assert out["suppression_reason"].tolist() == ["wide-relative-ci", "secondary", ""]


def test_districts_are_protected_within_their_region_and_regions_within_the_country():
    rows = [row(location="All", location_level="national", n=800, n_numerator=100)]
    rows += [row(location=r, location_level="admin1", n=400, n_numerator=50) for r in ("R1", "R2")]
    rows += [row(location=f"{r}D{i}", location_level="admin2", location_parent=r, n=200, n_numerator=25)
             for r in ("R1", "R2") for i in (1, 2)]  # fmt: skip
    t = table(*rows)
    t.loc[t["location"] == "R1D1", "n"] = 20  # small base: suppressed
    out = apply_rules(t).set_index("location")
    assert out.loc["R1D1", "suppression_reason"] == "small-base"
    assert out.loc["R1D2", "suppression_reason"] == "secondary"  # R1 = R1D1 + R1D2
    assert not out.loc[["All", "R1", "R2", "R2D1", "R2D2"], "suppressed"].any()


def test_categories_of_a_distribution_sum_to_the_base_and_are_protected():
    cats = {"1": 40, "2": 3, "3": 100, "4": 57}
    rows = [row(indicator_id=f"q[{c}]", base_indicator_id="q", category=c, type="distribution", sensitive=True,
                n=200, n_numerator=k) for c, k in cats.items()]  # fmt: skip
    out = apply_rules(table(*rows)).set_index("category")
    assert out.loc["2", "suppression_reason"] == "small-cell"
    assert out.loc["1", "suppression_reason"] == "secondary"  # the smallest other category
    assert out["suppressed"].sum() == 2


def test_secondary_suppression_is_per_round_and_indicator():
    r1 = sensitive_locations([3, 40, 12, 25])
    r2 = sensitive_locations([30, 40, 12, 25]).assign(round="R2")
    out = apply_rules(pd.concat([r1, r2], ignore_index=True))
    assert out.loc[out["round"] == "R1", "suppressed"].sum() == 2
    assert out.loc[out["round"] == "R2", "suppressed"].sum() == 0


def test_secondary_suppression_in_a_two_way_table_repeats_until_safe():
    # location x sex for a sensitive indicator; the (D0, female) cell is small
    cells = {("D0", "female"): 2, ("D0", "male"): 30, ("D1", "female"): 20, ("D1", "male"): 35}
    rows = [
        row(indicator_id="sv", location=loc, sex=sex, n_numerator=k, n=300, sensitive=True)
        for (loc, sex), k in cells.items()
    ]
    out = apply_rules(table(*rows)).set_index(["location", "sex"])
    supp = out["suppressed"]
    # every row (location fixed) and every column (sex fixed) has 0 or >= 2 suppressed cells
    for level in ("location", "sex"):
        counts = supp.groupby(level=level).sum()
        assert not (counts == 1).any(), counts
    assert supp.sum() == 4


def test_sensitive_indicators_not_published_at_admin2_by_default():
    t = table(
        row(sensitive=True, location="D1", location_level="admin2"),
        row(sensitive=True, location="North", location_level="admin1"),
    )
    out = apply_rules(t)
    assert out["suppression_reason"].tolist() == ["sensitive-admin2", ""]
    allowed = apply_rules(t, ReportingRules(sensitive_admin2=True))
    assert not allowed["suppressed"].any()


def test_thresholds_are_configurable():
    rules = ReportingRules(min_n=100, caution_n=200)
    assert apply_rules(table(row(n=99)), rules)["suppressed"].iloc[0]
    assert apply_rules(table(row(n=150)), rules)["caution_reasons"].iloc[0] == "caution-base"


def test_rules_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_RULES.min_n = 10  # type: ignore[misc]


def test_input_is_not_modified_and_optional_columns_may_be_absent():
    t = table(row(n=10)).drop(columns=["n_eff", "df", "dk_share", "unit", "sensitive", "n_numerator"])
    before = t.copy()
    out = apply_rules(t)
    pd.testing.assert_frame_equal(t, before)
    assert out["suppression_reason"].iloc[0] == "small-base"


def test_missing_required_columns_are_reported_together():
    with pytest.raises(DataError) as err:
        apply_rules(pd.DataFrame({"indicator_id": ["a"], "value": [1.0]}))
    codes = [(p.code, p.location.field) for p in err.value.problems]
    assert codes == [
        ("missing-result-column", "round"),
        ("missing-result-column", "estimate"),
        ("missing-result-column", "n"),
    ]
    assert "survey_toolkit.compute" in err.value.problems[0].hint


def test_is_total():
    s = pd.Series(["All", None, "North", np.nan])
    assert is_total(s).tolist() == [True, True, False, True]


def test_a_secondary_cell_names_the_withheld_cell_it_protects_never_its_value():
    out = apply_rules(sensitive_locations([3, 40, 12, 25])).set_index("location")
    assert out.loc["D2", "protects"] == "location=D0"
    assert (out.drop(index="D2")["protects"] == "").all()  # primary and published rows protect nothing
    two_way = {("D0", "female"): 2, ("D0", "male"): 30, ("D1", "female"): 20, ("D1", "male"): 35}
    rows = [row(indicator_id="sv", location=loc, sex=sex, n_numerator=k, n=300, sensitive=True)
            for (loc, sex), k in two_way.items()]  # fmt: skip
    out = apply_rules(table(*rows)).set_index(["location", "sex"])["protects"]
    assert out.loc[("D0", "male")] == "location=D0;sex=female"  # D0 = D0 female + D0 male
    assert out.loc[("D1", "female")].startswith("location=D")  # chained: protects a withheld cell too


def test_a_secondary_total_or_category_names_the_cell_it_protects():
    rows = [
        row(location="All", ci_low=1.0, ci_high=20.0, estimate=6.0),
        row(location="North", location_level="admin1", n=200, n_numerator=10),
        row(location="South", location_level="admin1", n=200, n_numerator=14),
    ]
    assert apply_rules(table(*rows))["protects"].tolist() == ["", "location=All", ""]
    cats = {"1": 40, "2": 3, "3": 100, "4": 57}
    rows = [row(indicator_id=f"q[{c}]", base_indicator_id="q", category=c, type="distribution", sensitive=True,
                n=200, n_numerator=k) for c, k in cats.items()]  # fmt: skip
    out = apply_rules(table(*rows)).set_index("category")
    assert out.loc["1", "protects"] == "indicator=q[2];location=All"


def test_a_code_holding_the_separator_is_named_back_unchanged():
    rows = [row(location="All", n=400, n_numerator=20)]
    rows += [row(location=loc, n=n, n_numerator=10) for loc, n in (("North;1", 20), ("50%;South", 380))]
    out = apply_rules(table(*rows)).set_index("location")
    assert out.loc["50%;South", "suppression_reason"] == "secondary"
    assert protected_cell(out.loc["50%;South", "protects"]) == [("location", "North;1")]
    assert protected_cell("") == [] and protected_cell(np.nan) == []
