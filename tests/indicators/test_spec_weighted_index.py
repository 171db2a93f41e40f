"""Weighted composite scores (index items with ``weight``) on a real household survey, against R ``survey``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, compute
from survey_toolkit.indicators import parse_indicators
from survey_toolkit.indicators.scoring import composite_scores

from ..conftest import shared_path

SPEC = """
spec_version: 1
defaults:
  universe: Site is not missing
indicators:
  - id: wash_score
    type: index
    label: WASH conditions score (weighted, 0-100)
    scale: [0, 100]
    min_valid_items: 2
    disaggregations: [Sex_HH]
    items:
      - {favourable: "ObsHandWashSOAP = 'SoapOrDeterg'", unfavourable: "ObsHandWashSOAP = 'AshOrMudOrSand'", weight: 2}
      - {favourable: "ObsHandWashWATER = 'Water_OK'", unfavourable: "ObsHandWashWATER = 'Water_NOT_OK'"}
      - {favourable: "ToiletFacilitySHARE = 'N'", unfavourable: "ToiletFacilitySHARE = 'Y'", weight: 3}
      - {favourable: "DrinkingWaterAvailability = 'Y'", unfavourable: "DrinkingWaterAvailability = 'N'", weight: 1.5}
  - id: wash_points
    type: index
    method: count
    label: WASH points (total weight of conditions met)
    min_valid_items: 2
    disaggregations: []
    items:
      - {favourable: "ObsHandWashSOAP = 'SoapOrDeterg'", unfavourable: "ObsHandWashSOAP = 'AshOrMudOrSand'", weight: 2}
      - {favourable: "ObsHandWashWATER = 'Water_OK'", unfavourable: "ObsHandWashWATER = 'Water_NOT_OK'"}
      - {favourable: "ToiletFacilitySHARE = 'N'", unfavourable: "ToiletFacilitySHARE = 'Y'", weight: 3}
      - {favourable: "DrinkingWaterAvailability = 'Y'", unfavourable: "DrinkingWaterAvailability = 'N'", weight: 1.5}
"""


def test_formula_mean_renormalises_over_valid_items_and_count_adds_weights():
    r = np.array([[1.0, 0.0, np.nan], [np.nan, np.nan, np.nan], [0.5, 1.0, 1.0]])
    w = np.array([2.0, 1.0, 3.0])
    mean = composite_scores(r, w, "mean", (0.0, 10.0))
    assert mean[0] == pytest.approx(10 * 2 / 3)  # (2*1 + 1*0) / (2 + 1): item 3 missing, its weight dropped
    assert np.isnan(mean[1])
    assert mean[2] == pytest.approx(10 * (1 + 1 + 3) / 6)
    count = composite_scores(r, w, "count", (0.0, 10.0))
    assert count[0] == 2.0 and np.isnan(count[1]) and count[2] == 5.0


def test_unit_weights_give_the_unweighted_index():
    r = np.array([[1.0, 0.0, np.nan], [0.25, 1.0, 1.0]])
    assert composite_scores(r, np.ones(3), "mean", (0.0, 1.0)) == pytest.approx([0.5, 2.25 / 3])


@pytest.mark.parametrize("bad", ["0", "-1", "'two'"])
def test_weight_must_be_a_positive_number(bad):
    text = SPEC.replace("weight: 3}", f"weight: {bad}}}", 1)
    checked = parse_indicators(text, "bad.yaml")
    codes = [p.code for p in checked.report.errors]
    assert codes and set(codes) <= {"bad-value", "wrong-type"}
    problem = checked.report.errors[0]
    assert problem.location.line == 15 and problem.location.path[-1] == "weight"


@pytest.fixture(scope="module")
def households() -> pd.DataFrame:
    path = shared_path("real", "ceat_wash_abidjan_nairobi", "data", "household_data.csv")
    frame = pd.read_csv(path, index_col=0, dtype=str, keep_default_na=False, na_values=[""])
    frame["w"] = frame["Site"].map({"Azito": 40.0, "Mabatini": 25.0, "Vietnam": 30.0, "Williamsville": 35.0})
    return frame


def test_weighted_index_matches_r_survey(households):
    spec = parse_indicators(SPEC, "wash.yaml").spec
    out = compute(households, spec, Design(weights="w", strata="Site"))
    # R 4.2.2, survey 4.1-1 (tests/data/r/weighted_index.R): score per household as in docs/indicators.md,
    # d <- svydesign(ids=~1, strata=~Site, weights=~w, data=h); s <- subset(d, ok)   # ok: >= 2 valid items
    # svymean(~score, s): 48.4336829837, SE 0.580070479582; svymean(~wcount, s): 3.25375, SE 0.0444218604041
    # svyby(~score, ~Sex_HH, s, svymean): F 45.1470742597841 (1.109853030472621), M 50.2893535930996 (0.783128761134656)
    score = out[(out.indicator_id == "wash_score") & (out.group == "all")].iloc[0]
    assert score.estimate == pytest.approx(48.4336829837, abs=1e-8)
    assert score.se == pytest.approx(0.580070479582, abs=1e-8)
    assert score.n == 1690 and score.df == 1686
    points = out[out.indicator_id == "wash_points"].iloc[0]
    assert points.estimate == pytest.approx(3.25375, abs=1e-8)
    assert points.se == pytest.approx(0.0444218604041, abs=1e-8)
    by_sex = out[(out.indicator_id == "wash_score") & (out.group == "Sex_HH")].set_index("level")
    assert by_sex.loc["F", "estimate"] == pytest.approx(45.1470742597841, abs=1e-8)
    assert by_sex.loc["F", "se"] == pytest.approx(1.109853030472621, abs=1e-8)
    assert by_sex.loc["M", "estimate"] == pytest.approx(50.2893535930996, abs=1e-8)
    assert by_sex.loc["M", "se"] == pytest.approx(0.783128761134656, abs=1e-8)


def test_codebook_shows_the_weights():
    from survey_toolkit.indicators.codebook import codebook_entries

    spec = parse_indicators(SPEC, "wash.yaml").spec
    entry = codebook_entries(spec)[0]
    assert [how.rsplit("; ", 1)[1] for _, how in entry.items] == ["weight 2", "weight 1", "weight 3", "weight 1.5"]
    assert dict((k, v) for k, v, _ in entry.rows)["Score"].startswith("weighted mean of the valid items on 0-100")
