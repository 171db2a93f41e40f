"""Diagnostics: Kish design effect and effective sample size (non-zero weights), per group, margins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey_toolkit.weighting import effective_sample_size, kish_deff, margin_table, rake, weight_diagnostics


def test_kish_matches_the_reference_values(api, shared):
    # weighting_ci_oracles.txt (R 4.2.2): kish(weights(dstrat)) 1.186370985 / 168.581331281
    dstrat = api("apistrat")
    assert kish_deff(dstrat["pw"]) == pytest.approx(1.186370985, rel=1e-9)
    assert effective_sample_size(dstrat["pw"]) == pytest.approx(168.581331281, rel=1e-9)
    nhanes = pd.read_csv(shared("r-datasets", "nhanes.csv"))
    # kish(weights(dn)) 1.597827115 / 5376.676813733
    assert kish_deff(nhanes["WTMEC2YR"]) == pytest.approx(1.597827115, rel=1e-9)
    assert effective_sample_size(nhanes["WTMEC2YR"]) == pytest.approx(5376.676813733, rel=1e-9)


def test_zero_weights_are_not_counted():
    # balance counts the zero (1.556 for [0,1,2,3]); statistics.md §7 excludes it
    assert kish_deff([0, 1, 2, 3]) == pytest.approx(3 * 14 / 36)
    assert effective_sample_size([0, 1, 2, 3]) == pytest.approx(36 / 14)


def test_table_overall_and_per_stratum(api):
    df = api("apistrat")
    table = weight_diagnostics(df, "pw", by="stype")
    overall = table.iloc[0]
    assert (overall["by"], overall["group"], overall["n"]) == ("", "overall", 200)
    assert overall["ratio"] == pytest.approx(44.21 / 15.10, rel=1e-6)
    assert overall["cv"] ** 2 + 1 == pytest.approx(overall["deff_kish"])
    strata = table[table["by"] == "stype"].set_index("group")
    assert strata.loc[["E", "H", "M"], "n"].tolist() == [100, 50, 50]
    np.testing.assert_allclose(strata["deff_kish"], 1.0)  # constant weights within a stratum
    assert list(table.columns) == [
        "by",
        "group",
        "n",
        "n_zero",
        "sum_w",
        "min",
        "max",
        "ratio",
        "mean",
        "cv",
        "deff_kish",
        "ess",
    ]


def test_report_has_before_after_and_margins(api):
    df = api("apiclus1")
    margins = {"stype": {"E": 4421, "H": 755, "M": 1018}, "sch.wide": {"No": 1072, "Yes": 5122}}
    out = rake(df, margins, weights="pw", by=["stype"])
    diag = out.report.diagnostics()
    assert set(diag["stage"]) == {"before", "after"} and set(diag["group"]) >= {"overall", "E", "H", "M"}
    after = diag[(diag["stage"] == "after") & (diag["group"] == "overall")].iloc[0]
    assert after["deff_kish"] == pytest.approx(1.051656696, rel=1e-8)
    summary = out.report.summary()
    assert summary["convergence_converged"] and summary["deff_kish_before"] == pytest.approx(1.0)
    again = (
        margin_table(out, "rake_weight", margins)
        if False
        else margin_table(out.frame, "rake_weight", _margins(margins))
    )
    np.testing.assert_allclose(again["achieved"], again["target"], rtol=1e-10)


def _margins(mapping):
    from survey_toolkit.weighting import Margins

    return Margins.from_mapping(mapping)


def test_diagnostics_are_per_stratum_by_default_with_a_design(api):
    from survey_toolkit import Design

    df = api("apistrat")
    out = rake(df, {"sch.wide": {"No": 1072, "Yes": 5122}}, Design(weights="pw", strata="stype", fpc="fpc"))
    after = out.report.after
    assert after["group"].tolist() == ["overall", "E", "H", "M"] and set(after["by"]) == {"", "stype"}
    np.testing.assert_allclose(after["sum_w"].iloc[1:].sum(), after["sum_w"].iloc[0])
