"""An analyst's grouping column (``extra_columns``) holding place names is a location level with every
one of its values (issue 9). The CEAT WASH household survey (``../shared/fixtures/real/
ceat_wash_abidjan_nairobi``: 1,714 KoBo households, ``City``/``Site`` columns added by its authors,
``Site`` = Azito, Williamsville, Mabatini, Vietnam) lost every location row because names such as
``Nairobi`` do not look like codes: the run stopped with an internal ``duplicate-result-rows`` error
(and a mix of code-like and name-like values would have dropped the named places silently).

The form is ``tests/data/ceat_wash_form`` (two questions of the authors' Nairobi_2021.xls, as CSV
sheets: that .xls repeats question names and pyxform refuses it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_toolkit import pipeline
from tests.conftest import shared_path

FORM = Path(__file__).parent / "data" / "ceat_wash_form" / "survey.csv"
# R 4.2.2, survey 4.1-1 (d = household_data.csv read with na.strings = ""):
#   des <- svydesign(ids = ~1, data = d)
#   svyby(~fridge, ~Site, des, svymean)     # fridge = as.numeric(HHITEMS.Refrigerator == 1)
#   svyby(~pub, ~Site, subset(des, !is.na(DrinkingWaterGroup)), svymean)   # pub = as.numeric(DrinkingWaterGroup == "Public")
R_FRIDGE = {  # Site: (proportion, SE)
    "Azito": (0.650375939849624, 0.0292461564039967),
    "Mabatini": (0.0138888888888889, 0.00487766717937492),
    "Vietnam": (0.00175131348511384, 0.00175028992445255),
    "Williamsville": (0.252491694352159, 0.0250481144570198),
}
R_PUBLIC = {
    "Azito": (0.0, 0.0),
    "Mabatini": (0.772173913043478, 0.0174965367443122),
    "Vietnam": (0.831578947368421, 0.0156797535094403),
    "Williamsville": (0.0232558139534884, 0.00868959767270109),
}

INDICATORS = """\
spec_version: 1
languages: [en]
defaults: {universe: all, dk_refused: counted}
indicators:
  - id: fridge
    type: proportion
    label: {en: Household has a refrigerator}
    numerator: selected(HHITEMS, 'Refrigerator')
  - id: public_water
    type: proportion
    label: {en: Drinking water from a public source}
    numerator: DrinkingWaterGroup = 'Public'
    denominator: answered(DrinkingWaterGroup)
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    export = shared_path("real", "ceat_wash_abidjan_nairobi", "data", "household_data.csv")
    folder = tmp_path_factory.mktemp("ceat")
    (folder / "indicators.yaml").write_text(INDICATORS, encoding="utf-8")
    (folder / "survey.yaml").write_text(
        f"version: 1\ninstrument: {FORM}\nindicators: indicators.yaml\nextra_columns: [City, Site]\n"
        f"rounds:\n  - id: R1\n    files: [{export}]\nlocations:\n  levels: [City, Site]\n"
        "report: {languages: [en]}\n",
        encoding="utf-8",
    )
    return pipeline.run(folder, until="compute", write=False).table


def test_place_names_of_an_extra_column_are_locations(results):
    mine = results[results["indicator_id"] == "fridge"]
    assert set(mine["location"]) == {"All", "Abidjan", "Nairobi", "Azito", "Williamsville", "Mabatini", "Vietnam"}
    sites = mine[mine["location_level"] == "Site"].set_index("location")
    assert sites.loc["Azito", "location_parent"] == "Abidjan" and sites.loc["Vietnam", "location_parent"] == "Nairobi"
    assert sites["n"].to_dict() == {"Azito": 266, "Mabatini": 576, "Vietnam": 571, "Williamsville": 301}


@pytest.mark.parametrize(("indicator", "reference"), [("fridge", R_FRIDGE), ("public_water", R_PUBLIC)])
def test_site_estimates_agree_with_r(results, indicator, reference):
    sites = results[(results["indicator_id"] == indicator) & (results["location_level"] == "Site")]
    for site, (estimate, se) in reference.items():
        row = sites[sites["location"] == site].iloc[0]
        if se == 0:  # a 0% cell is withheld by the reporting rules; its base is still the site's
            continue
        assert row["estimate"] == pytest.approx(100 * estimate, abs=1e-10), site
        assert row["se"] == pytest.approx(100 * se, abs=1e-10), site
