"""The shipped indicators on the example project: every base non-empty; values pinned to pandas and R.

Reference SEs: R 4.2.2, survey 4.1-1 (2026-11-21, re-run on the regenerated demo), script tests/data/spec/oracle_example_r1.R on round 1
of examples/demo with the design weight of examples/README.md:
svydesign(ids=~cluster_id, strata=~stratum, weights=~w); svymean on subset() domains; 16.7.2 as the
average of two svyratio() estimates with their covariance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, compute, load, load_indicators, read_instrument, validate_indicators

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo"

# indicator -> (estimate in percent / score, SE) from R survey (see module docstring)
R_ORACLE = {
    "sdg_16_1_4": (35.9110438142, 2.2324481768),
    "sdg_16_1_4_valid": (36.8201671879, 2.2889930409),
    "police_legitimacy_index": (4.528539451745, 0.114094676017),
    "sdg_16_7_2": (49.4459140415, 1.9684413758),
}
#: the engine and R agree to floating-point accuracy; 1e-6 relative leaves room for summation order
RTOL = 1e-6


@pytest.fixture(scope="module")
def round1():
    if not (DEMO / "round1_kobo.xlsx").exists():
        pytest.skip("examples/demo is not generated")
    form = read_instrument(ROOT / "instruments" / "cssp_core.xlsx")
    data = load(DEMO / "round1_kobo.xlsx", form)
    frame = data.frame.copy()
    plan = pd.read_csv(DEMO / "sample_frame.csv")
    frame["stratum"] = frame["admin2"].astype(str) + "-" + frame["area_type"].astype(str)
    frame = frame.merge(plan[["stratum", "households", "psu_sampled", "households_per_psu"]], on="stratum",
                        how="left")
    frame["w"] = frame.households / (frame.psu_sampled * frame.households_per_psu) * frame.hh_adults.astype(float)
    return form, data, frame


DESIGN = Design(weights="w", strata="stratum", psu="cluster_id")


@pytest.mark.slow
def test_every_indicator_has_a_base_on_the_example(round1):
    form, data, frame = round1
    assert validate_indicators(ROOT / "indicators.yaml", form, data).problems == ()
    spec = load_indicators(ROOT / "indicators.yaml", form)
    out = compute(frame, spec, DESIGN, by="survey_round", instrument=form, disaggregate=False)
    assert set(out.indicator_id) == set(spec.ids)
    assert (out.n > 0).all() and out.estimate.notna().all()


@pytest.mark.slow
def test_pinned_against_pandas_and_r(round1):
    form, _data, frame = round1
    spec = load_indicators(ROOT / "indicators.yaml", form)
    out = compute(frame, spec, DESIGN, ids=list(R_ORACLE), disaggregate=False, instrument=form)
    overall = out[out.category.isna()].set_index("indicator_id")
    for ident, (est, se) in R_ORACLE.items():
        assert overall.loc[ident, "estimate"] == pytest.approx(est, rel=RTOL), ident
        assert overall.loc[ident, "se"] == pytest.approx(se, rel=RTOL), ident
    # the point estimate by hand with pandas
    consent = frame.consent.astype(object) == "1"
    b1 = frame.b1_safe_dark.astype(object)
    base = consent & b1.notna()
    safe = b1.isin(["1", "2"])
    expected = np.sum(frame.w[base] * safe[base]) / np.sum(frame.w[base]) * 100
    assert overall.loc["sdg_16_1_4", "estimate"] == pytest.approx(expected)


@pytest.mark.slow
def test_cli_check_with_data(tmp_path):
    from typer.testing import CliRunner

    from survey_toolkit import cli

    if not (DEMO / "round1_kobo.xlsx").exists():
        pytest.skip("examples/demo is not generated")
    cli._register_commands()
    form = ROOT / "instruments" / "cssp_core.xlsx"
    args = ["indicators", "check", str(ROOT / "indicators.yaml"), "-i", str(form), "--data",
            str(DEMO / "round1_kobo.xlsx")]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    broken = tmp_path / "one.yaml"
    broken.write_text("spec_version: 1\nindicators:\n  - id: never\n    type: proportion\n    label: Never\n"
                      "    numerator: d1_trust_police = 4\n    denominator: d1_trust_police = 4 and "
                      "d1_trust_police = 1\n", encoding="utf-8")
    result = CliRunner().invoke(cli.app, ["indicators", "check", str(broken), "-i", str(form), "--data",
                                          str(DEMO / "round1_kobo.xlsx")])
    assert result.exit_code == 1
    assert f"{broken}:3:9: error[empty-denominator] indicator 'never' has no respondent in its base in " \
           "round1_kobo.xlsx" in result.output
