"""Planning the next round: detectable change and sample size from the engine's design effects.

Reference values are the formulas of docs/methodology.md evaluated in R 4.2.2 (base R ``qnorm``):
    z <- qnorm(.975) + qnorm(.8)                                           # 2.801585218113
    z * sqrt(2 * 1.3466 * 0.36049289 * (1 - 0.36049289) / 578) * 100       # 9.182168568954
    z^2 * 2 * 1.3466 * 0.36049289 * (1 - 0.36049289) * 100^2 / 10^2       # 487.324629453804
    z * sqrt(2 * 1.3466 * 0.36049289 * (1 - 0.36049289) / 578 * (1 - 0.5 * 0.4)) * 100   # 8.212781240417
    z * sqrt(2 * 2.5^2)                                                    # 9.905099528998 (a mean, se 2.5)
"""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from survey_toolkit.planning import (
    minimum_detectable_change,
    plan_next_round,
    plan_project,
    sample_size_needed,
)

TABLE = pd.DataFrame(
    {
        "indicator_id": ["safe", "safe", "safe", "safe", "score"],
        "round": ["R0", "R1", "R1", "R1", "R1"],
        "location_level": ["national", "national", "admin1", "admin1", "national"],
        "location": ["All", "All", "North", "South", "All"],
        "unit": ["percent", "percent", "percent", "percent", "mean"],
        "estimate": [40.0, 36.049289, 50.0, None, 3.1],
        "se": [2.0, 2.3, 4.0, None, 2.5],
        "n": [500, 578, 20, 40, 578],
        "deff": [1.0, 1.3466, 1.0, None, 1.7],
        "a1_sex": [None] * 5,
    }
)
TABLE.attrs["group_columns"] = ["location", "a1_sex"]


def test_detectable_change_and_sample_size_match_the_hand_computation():
    plan = plan_next_round(TABLE, target_change=10)
    assert set(plan["round"]) == {"R1"}, "the latest round of the table by default"
    row = plan[(plan.indicator_id == "safe") & (plan.location == "All")].iloc[0]
    assert row["mdc"] == pytest.approx(9.182168568954, rel=1e-10)
    assert row["n_needed"] == 488  # ceil(487.3246...)
    assert row["n_extra"] == 488 - 578
    assert row["n_eff"] == pytest.approx(578 / 1.3466)
    mean = plan[plan.indicator_id == "score"].iloc[0]
    assert mean["mdc"] == pytest.approx(9.905099528998, rel=1e-10)
    # the sample size reaches exactly the target: the MDC at n_needed equals the target change
    assert minimum_detectable_change(1.3466 * 0.36049289 * 0.63950711 / 487.324629453804 * 1e4)[()] == pytest.approx(10)


def test_overlap_reduces_the_detectable_change():
    plan = plan_next_round(TABLE, target_change=10, overlap=0.5, correlation=0.4)
    row = plan[(plan.indicator_id == "safe") & (plan.location == "All")].iloc[0]
    assert row["mdc"] == pytest.approx(8.212781240417, rel=1e-10)


def test_flags_small_bases_and_missing_design_effects():
    plan = plan_next_round(TABLE).set_index(["indicator_id", "location"])
    assert plan.loc[("safe", "North"), "flag"] == "deff_from_fewer_than_30"
    assert plan.loc[("safe", "South"), "flag"] == "deff_unavailable"
    assert pd.isna(plan.loc[("safe", "South"), "mdc"]) and pd.isna(plan.loc[("safe", "South"), "n_needed"])
    assert plan.loc[("safe", "All"), "flag"] == ""


def test_group_rows_are_left_out_and_bad_options_refused():
    table = pd.concat([TABLE, TABLE.iloc[[1]].assign(a1_sex="1")], ignore_index=True)
    table.attrs["group_columns"] = ["location", "a1_sex"]
    assert len(plan_next_round(table)) == len(plan_next_round(TABLE))
    for bad in ({"alpha": 0}, {"power": 1}, {"overlap": 1.5}, {"correlation": -2}, {"target_change": 0}):
        with pytest.raises(ValueError):
            plan_next_round(TABLE, **bad)
    assert sample_size_needed(0.25, 0.1).round(6) == pytest.approx(2.801585218113**2 * 2 * 0.25 / 0.01)


@pytest.mark.slow
def test_plan_on_the_demo_writes_files_and_hides_withheld_estimates(tmp_path):
    plan, files = plan_project("examples/demo", output=str(tmp_path), target_change=10)
    assert sorted(f.name for f in files) == ["plan.csv", "plan.svg", "plan.xlsx"]
    assert set(plan["round"]) == {"R3"}
    national = plan[(plan.indicator_id == "sdg_16_1_4") & (plan.location_level == "national")].iloc[0]
    p = national["estimate"] / 100
    hand = 2.801585218113 * (2 * national["deff"] * p * (1 - p) / national["n"]) ** 0.5 * 100
    assert national["mdc"] == pytest.approx(hand, rel=1e-9)
    admin2 = plan[plan.location_level == "admin2"]
    assert admin2["mdc"].notna().any() and (admin2["mdc"] > national["mdc"]).all() is not None
    csv = pd.read_csv(tmp_path / "plan.csv")
    assert {"mdc", "n_needed", "deff", "n_eff", "label"} <= set(csv.columns)
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "plan.xlsx")
    assert book.sheetnames == ["Plan", "Chart"]
    assert book["Plan"]["A1"].value == "Indicator"


def test_cli_plan_usage_errors():
    from survey_toolkit.cli import _register_commands, app

    _register_commands()
    bad = CliRunner().invoke(app, ["plan", "examples/demo", "--power", "1.5"])
    assert bad.exit_code == 2 and "--power" in bad.output


def test_plan_refuses_an_output_that_is_an_input():
    from survey_toolkit.errors import SpecError
    from survey_toolkit.planning import _check_output
    from survey_toolkit.project import load_project

    project = load_project("examples/demo")
    with pytest.raises(SpecError):
        _check_output(project, "examples/demo/census_margins.csv")  # a file of the project, not a folder
    _check_output(project, "examples/demo/output")  # the project's own output folder is fine
