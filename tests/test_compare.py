"""Round comparisons: independent-rounds SE, df, p-values, FDR and direction-aware wording."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from survey_toolkit.comparison import compare_rounds, fdr_bh, round_difference, round_order
from survey_toolkit.disclosure import ReportingRules
from survey_toolkit.errors import DataError

# statistics.md section 9 / compare_rounds.txt (R 4.2.2, survey 4.1-1): two independent rounds of
# apistrat stacked with round x stype strata; svyttest gives df 393.
R1, SE1 = 629.39484, 10.0969867
R2, SE2 = 662.28736, 9.5361323
R_SE, R_T, R_DF, R_P = 13.8884, 2.36835, 393, 0.018351
R_CI = (5.5877147, 60.1973221)

# R 4.2.2: p.adjust(c(0.04, 0.001, 0.5, 0.03, 0.03, 0.2, 0.011, 0.9), "BH")
BH_P = [0.04, 0.001, 0.5, 0.03, 0.03, 0.2, 0.011, 0.9]
BH_R = [0.064, 0.008, 0.571428571428571, 0.06, 0.06, 0.266666666666667, 0.044, 0.9]


def res(round_, estimate, se, *, df=100.0, n=400, indicator="trust_police", location="All", **kw):
    base = dict(
        indicator_id=indicator,
        round=round_,
        location=location,
        estimate=estimate,
        se=se,
        ci_low=estimate - 2 * se,
        ci_high=estimate + 2 * se,
        df=df,
        n=n,
        unit="percent",
        direction="higher_better",
        label_en="Trust the police",
    )
    base.update(kw)
    return base


def test_independent_rounds_match_r_stacked_design():
    t = pd.DataFrame([res("1", R1, SE1, df=R_DF, unit="mean"), res("2", R2, SE2, df=R_DF, unit="mean")])
    c = compare_rounds(t, df_method="min").iloc[0]
    assert c["change"] == pytest.approx(R2 - R1, abs=1e-9)
    assert c["se"] == pytest.approx(R_SE, abs=5e-5)
    assert c["t"] == pytest.approx(R_T, abs=5e-5)
    assert c["df"] == R_DF
    assert c["p_value"] == pytest.approx(R_P, abs=5e-7)
    assert (c["ci_low"], c["ci_high"]) == pytest.approx(R_CI, abs=5e-4)
    assert c["significant"] and c["interpretation"] == "improved"


def test_satterthwaite_df():
    r = round_difference([10.0], [2.0], [10.0], [15.0], [1.0], [40.0])
    v1, v2 = 4.0, 1.0
    assert r["df"][0] == pytest.approx((v1 + v2) ** 2 / (v1**2 / 10 + v2**2 / 40))
    assert r["se"][0] == pytest.approx(np.sqrt(5.0))
    assert r["p_value"][0] == pytest.approx(2 * stats.t.sf(5 / np.sqrt(5), r["df"][0]))
    low = round_difference([10.0], [2.0], [10.0], [15.0], [1.0], [40.0], df_method="min")
    assert low["df"][0] == 10.0
    normal = round_difference([10.0], [2.0], [np.nan], [15.0], [1.0], [np.nan])
    assert np.isinf(normal["df"][0])
    assert normal["p_value"][0] == pytest.approx(2 * stats.norm.sf(5 / np.sqrt(5)))


def test_zero_se_gives_no_test():
    r = round_difference([10.0], [0.0], [10.0], [10.0], [0.0], [10.0])
    assert np.isnan(r["p_value"][0]) and np.isnan(r["t"][0])


def test_bad_df_method():
    with pytest.raises(ValueError, match="df_method"):
        round_difference([1.0], [1.0], [1.0], [1.0], [1.0], [1.0], df_method="welch")


def test_fdr_bh_matches_r_and_scipy():
    q = fdr_bh(BH_P)
    np.testing.assert_allclose(q, BH_R, rtol=1e-12)
    np.testing.assert_allclose(q, stats.false_discovery_control(BH_P), rtol=1e-12)


def test_fdr_bh_ignores_missing_p_values():
    q = fdr_bh([0.01, np.nan, 0.02])
    np.testing.assert_allclose(q[[0, 2]], stats.false_discovery_control([0.01, 0.02]))
    assert np.isnan(q[1])
    assert np.isnan(fdr_bh([np.nan])).all()


def three_rounds():
    rows = []
    for loc, (a, b, c) in {"North": (40, 42, 55), "South": (60, 61, 60.5), "All": (50, 51, 57)}.items():
        rows += [
            res("R1", a, 2.0, location=loc),
            res("R2", b, 2.0, location=loc),
            res("R3", c, 2.0, location=loc),
        ]
    return pd.DataFrame(rows)


def test_latest_vs_previous_and_baseline():
    out = compare_rounds(three_rounds())
    assert sorted(set(zip(out["comparison"], out["round_from"], out["round_to"], strict=True))) == [
        ("baseline", "R1", "R3"),
        ("previous", "R2", "R3"),
    ]
    north = out[(out["location"] == "North")].set_index("comparison")
    assert north.loc["previous", "change"] == pytest.approx(13.0)
    assert north.loc["baseline", "change"] == pytest.approx(15.0)
    assert north.loc["previous", "interpretation"] == "improved"
    south = out[(out["location"] == "South")].set_index("comparison")
    assert south.loc["previous", "interpretation"] == "no significant change"
    assert out["label_en"].eq("Trust the police").all()  # descriptive columns carried over


def test_fdr_all_adjusts_every_test_of_the_run_together():
    out = compare_rounds(three_rounds(), fdr_families="all")
    assert out["fdr_family"].eq("all").all()
    np.testing.assert_allclose(out["q_value"], stats.false_discovery_control(out["p_value"]))
    assert (out["significant"] == (out["p_value"] < 0.05)).all()
    assert (out["significant_fdr"] == (out["q_value"] < 0.05)).all()


def families_table() -> pd.DataFrame:
    """Headline rows by location level, a sub-group breakdown and the categories of a distribution."""
    rows = []
    for rnd, shift in (("R1", 0.0), ("R2", 1.0), ("R3", 9.0)):
        rows.append(res(rnd, 50 + shift, 2.0, location="All", location_level="national"))
        for d in ("D1", "D2"):
            rows.append(res(rnd, 40 + shift, 3.0, location=d, location_level="admin2"))
        for sex in ("1", "2"):
            rows.append(res(rnd, 50 + shift / 3, 2.0, location="All", location_level="national", a1_sex=sex))
        for cat in ("1", "2", "3"):
            rows.append(res(rnd, 30 + shift / 3, 2.0, location="All", location_level="national", category=cat,
                            indicator=f"dist[{cat}]"))  # fmt: skip
    return pd.DataFrame(rows)


def test_fdr_families_per_comparison_kind_and_level():
    out = compare_rounds(families_table())
    keys = out[["comparison", "location"]].assign(
        sex=out["a1_sex"].astype("string").fillna(""), cat=out["category"].astype("string").fillna("")
    )
    fam = dict(zip(keys.itertuples(index=False, name=None), out["fdr_family"], strict=True))
    assert fam[("previous", "All", "", "")] == "previous:headline:national"
    assert fam[("baseline", "D1", "", "")] == "baseline:headline:admin2"
    assert fam[("previous", "All", "1", "")] == "previous:breakdown:national"
    assert fam[("baseline", "All", "", "2")] == "baseline:category:national"
    for _, part in out.groupby("fdr_family"):  # BH within each family, both flags kept
        np.testing.assert_allclose(part["q_value"], stats.false_discovery_control(part["p_value"]))
    assert (out["significant_fdr"] == (out["q_value"] < 0.05)).all()
    assert (out["significant"] == (out["p_value"] < 0.05)).all()
    # a family of one is not adjusted: the national headline keeps q == p
    one = out[out["fdr_family"] == "baseline:headline:national"]
    assert len(one) == 1 and one["q_value"].iloc[0] == pytest.approx(one["p_value"].iloc[0])


def test_families_are_less_diluted_than_one_global_family():
    table = families_table()
    nulls = [res(r, 50.0, 2.0, location="All", location_level="national", category=f"c{i}",
                 indicator=f"null[{i}]") for i in range(40) for r in ("R1", "R2", "R3")]  # fmt: skip
    table = pd.concat([table, pd.DataFrame(nulls)], ignore_index=True)
    fam = compare_rounds(table)
    glob = compare_rounds(table, fdr_families="all")
    key = (fam["comparison"] == "baseline") & (fam["location"] == "D1")
    assert fam.loc[key, "q_value"].iloc[0] < glob.loc[key, "q_value"].iloc[0]
    assert (fam["p_value"].to_numpy() == glob["p_value"].to_numpy()).all()


def test_bad_fdr_families():
    with pytest.raises(ValueError, match="fdr_families"):
        compare_rounds(three_rounds(), fdr_families="per-test")


def test_adjusted_and_unadjusted_flags_can_differ():
    # many null comparisons plus one borderline: significant unadjusted, not after FDR
    rows = [res("R1", 50, 2.0, location="X"), res("R2", 55.8, 2.0, location="X")]
    for i in range(10):
        rows += [res("R1", 50, 2.0, location=f"L{i}"), res("R2", 50.1, 2.0, location=f"L{i}")]
    out = compare_rounds(pd.DataFrame(rows)).set_index("location")
    assert out.loc["X", "significant"] and not out.loc["X", "significant_fdr"]
    assert out.loc["X", "interpretation_unadjusted"] == "improved"
    assert out.loc["X", "interpretation"] == "no significant change"


@pytest.mark.parametrize(
    ("direction", "delta", "word"),
    [
        ("higher_better", 10, "improved"),
        ("higher_better", -10, "worsened"),
        ("higher_worse", 10, "worsened"),
        ("higher_worse", -10, "improved"),
        ("higher_is_better", -10, "worsened"),
        ("higher_is_worse", -10, "improved"),
        ("neutral", 10, "increased"),
        (None, 10, "increased"),
        (None, -10, "decreased"),
    ],
)
def test_direction_aware_interpretation(direction, delta, word):
    t = pd.DataFrame(
        [res("R1", 50, 1.0, direction=direction), res("R2", 50 + delta, 1.0, direction=direction)]
    )
    assert compare_rounds(t)["interpretation"].iloc[0] == word


def test_suppressed_inputs_give_suppressed_changes():
    t = pd.DataFrame(
        [
            res("R1", 50, 2.0, location="North", n=20),  # small base in round 1
            res("R2", 60, 2.0, location="North"),
            res("R1", 50, 2.0, location="South"),
            res("R2", 60, 2.0, location="South"),
        ]
    )
    # without secondary suppression: North + South would otherwise hide South R1 as well
    out = compare_rounds(t, rules=ReportingRules(secondary_suppression=False)).set_index("location")
    assert out.loc["North", "suppressed"] and out.loc["North", "suppression_reason"] == "input-suppressed:R1"
    assert np.isnan(out.loc["North", ["change", "se", "p_value", "q_value", "ci_low"]].astype(float)).all()
    assert out.loc["North", "interpretation"] == "suppressed"
    assert not out.loc["South", "suppressed"]
    # the suppressed comparison is not counted as a test in the FDR adjustment
    assert out.loc["South", "q_value"] == pytest.approx(out.loc["South", "p_value"])
    # custom rules are honoured when the table has not been through them yet
    relaxed = compare_rounds(t, rules=ReportingRules(min_n=10, secondary_suppression=False)).set_index("location")
    assert not relaxed.loc["North", "suppressed"]


def test_missing_group_values_match_across_rounds():
    t = pd.DataFrame([res("R1", 50, 2.0, sex=None), res("R2", 60, 2.0, sex=None)])
    out = compare_rounds(t)
    assert len(out) == 1 and out["change"].iloc[0] == pytest.approx(10.0)


def test_round_order_natural_and_explicit():
    t = pd.DataFrame([res(r, 50, 1.0) for r in ("R10", "R2", "R1")])
    assert round_order(t) == ["R1", "R2", "R10"]
    assert round_order(t, ["R2", "R10", "R1"]) == ["R2", "R10", "R1"]
    dated = t.assign(round_date=pd.to_datetime(["2024-01-01", "2025-01-01", "2023-01-01"]))
    assert round_order(dated) == ["R1", "R10", "R2"]


def test_unknown_round_is_a_located_problem():
    t = pd.DataFrame([res("R1", 50, 1.0), res("R2", 52, 1.0)])
    with pytest.raises(DataError) as err:
        compare_rounds(t, rounds=["R1", "R3"])
    problem = err.value.problems[0]
    assert problem.code == "unknown-round" and problem.got == "R3" and "R1" in problem.hint


def test_single_round_gives_empty_table():
    out = compare_rounds(pd.DataFrame([res("R1", 50, 1.0)]))
    assert out.empty and {"change", "q_value", "interpretation"} <= set(out.columns)


def test_missing_se_column_is_reported():
    t = pd.DataFrame([res("R1", 50, 1.0), res("R2", 52, 1.0)]).drop(columns=["se"])
    with pytest.raises(DataError) as err:
        compare_rounds(t)
    assert [p.location.field for p in err.value.problems] == ["se"]
