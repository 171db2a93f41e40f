"""Fay-Herriot small-area estimates against an independent R computation, and the project workflow.

Reference: tests/data/sae/fh_reference.R (R 4.2.2, survey 4.1-1): direct estimates of the mean API
score by county from the public `apisrs` sample (svyby/svymean), REML by optimize() + uniroot() on the
restricted likelihood's score (no Fisher scoring), EBLUP and Prasad-Rao/Datta-Lahiri MSE by the
textbook formulas. Printed by the script:
    A 389.685321987718   beta0 843.928914293248   beta1 -3.836307911820
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey_toolkit.errors import EstimationError, SpecError
from survey_toolkit.sae import fay_herriot
from survey_toolkit.small_areas import read_covariates, small_area_table

DATA = Path(__file__).parent / "data" / "sae"


def test_fay_herriot_reml_eblup_and_mse_agree_with_r():
    areas = pd.read_csv(DATA / "api_counties.csv")
    ref = pd.read_csv(DATA / "fh_reference_out.csv")
    fit = fay_herriot(areas["direct"], areas["direct_se"], areas[["meals"]], areas=areas["county"])
    assert fit.converged
    assert fit.variance == pytest.approx(389.685321987718, rel=1e-9)
    assert fit.beta.to_numpy() == pytest.approx([843.928914293248, -3.836307911820], rel=1e-9)
    np.testing.assert_allclose(fit.areas["eblup"], ref["eblup"], rtol=1e-9)
    np.testing.assert_allclose(fit.areas["mse"], ref["mse"], rtol=1e-8)
    np.testing.assert_allclose(fit.areas["gamma"], ref["gamma"], rtol=1e-8)
    # shrinkage: small counties lean on the model, so their root MSE is below their direct SE
    shrink = fit.shrinkage()
    assert (shrink["precision_ratio"] < 1).mean() > 0.8
    assert shrink.loc[shrink["gamma"] < 0.5, "precision_ratio"].max() < 1


def test_areas_without_a_usable_direct_estimate_get_the_synthetic_prediction():
    areas = pd.read_csv(DATA / "api_counties.csv")
    direct = areas["direct"].to_numpy().copy()
    se = areas["direct_se"].to_numpy().copy()
    direct[0], se[1] = np.nan, 0.0
    fit = fay_herriot(direct, se, areas[["meals"]], areas=areas["county"])
    first, second = fit.areas.iloc[0], fit.areas.iloc[1]
    assert first["eblup"] == pytest.approx(first["synthetic"]) and not first["in_sample"]
    assert "no direct estimate" in first["method"] and "standard error is 0" in second["method"]
    assert first["mse"] > fit.variance


@pytest.mark.parametrize(
    "direct, se, x, text",
    [
        ([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], [[1.0], [2.0], [3.0]], "cannot fit"),
        ([1.0, 2.0, 3.0, 4.0, 5.0], [1.0] * 5, [[1.0]] * 5, "collinear"),
        ([1.0, 2.0, 3.0, 4.0, 5.0], [1.0] * 5, [[1.0], [np.nan], [2.0], [3.0], [4.0]], "covariates are missing"),
    ],
)
def test_models_that_cannot_be_fitted_say_why(direct, se, x, text):
    with pytest.raises(EstimationError) as err:
        fay_herriot(direct, se, np.asarray(x))
    assert text in str(err.value)


def test_covariates_file_errors_are_located(tmp_path):
    bad = tmp_path / "cov.csv"
    bad.write_text("admin2,urban_share\nR01D01,0.5\nR01D01,0.4\nR01D02,lots\n", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        read_covariates(bad, "admin2", ("urban_share",))
    codes = {(p.code, p.location.row) for p in err.value.problems}
    assert ("duplicate-location", 2) in codes and ("bad-covariate", 4) in codes
    with pytest.raises(SpecError) as err:
        read_covariates(bad, "district", None)
    assert err.value.problems[0].code == "missing-column"


def _tables():
    rng = np.random.default_rng(1)
    locs = [f"D{i}" for i in range(8)]
    raw = pd.DataFrame({"indicator_id": "safe", "round": "R1", "location_level": "admin2", "location": locs,
                        "unit": "percent", "estimate": rng.uniform(20, 80, 8), "se": rng.uniform(3, 9, 8),
                        "n": rng.integers(20, 90, 8), "sensitive": False, "label_en": "Feel safe"})  # fmt: skip
    sens = raw.assign(indicator_id="violence", sensitive=True)
    raw = pd.concat([raw, sens], ignore_index=True)
    published = raw.assign(suppressed=raw["n"] < 30)
    cov = pd.DataFrame({"urban": rng.uniform(0, 1, 8)}, index=pd.Index(locs, name="location"))
    return raw, published, cov


def test_project_table_labels_model_based_hides_withheld_direct_and_skips_sensitive():
    raw, published, cov = _tables()
    est, models = small_area_table(raw, published, cov, level="admin2")
    assert set(est["indicator_id"]) == {"safe"}, "sensitive indicators are not modelled"
    assert est["method"].str.startswith("model-based").all()
    withheld = published[(published.indicator_id == "safe") & published.suppressed]["location"]
    assert est.set_index("location").loc[list(withheld), "direct"].isna().all()
    assert ((est["ci_low"] >= 0) & (est["ci_high"] <= 100)).all()
    assert len(models) == 1 and models["converged"].all()
    with pytest.raises(SpecError):
        small_area_table(raw, published, cov.drop(index="D3"), level="admin2")


@pytest.mark.slow
def test_small_areas_on_the_demo(tmp_path):
    from survey_toolkit.small_areas import small_areas_project

    est, models, files = small_areas_project("examples/demo", round_id="R3", output=str(tmp_path))
    assert sorted(f.name for f in files) == ["small_areas.csv", "small_areas.svg", "small_areas.xlsx"]
    assert set(est["location"]) == {f"R0{a}D0{d}" for a in (1, 2) for d in (1, 2, 3, 4)}
    assert est["method"].str.startswith("model-based").all()
    assert (est.groupby("indicator_id")["location"].count() == 8).all()
    fitted = est[est["method"].str.contains("EBLUP")]
    assert (fitted["rmse"] <= fitted["direct_se"] * 1.0001).mean() > 0.9 or fitted["direct_se"].isna().any()
