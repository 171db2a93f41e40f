"""KoBoToolbox's CSV export with Spanish label headers and an HXL row: tests/data/real_kobo_es/SOURCE.md.

Reference values: R 4.2.2, survey 4.1-1, on animales_es_60.csv read with read.csv2 (the HXL row dropped):
des <- svydesign(ids=~1, strata=~estrato, weights=~peso, data=d)
"""

from __future__ import annotations

from pathlib import Path

import pytest

import survey_toolkit as st
from survey_toolkit.indicators import parse_indicators

DATA = Path(__file__).resolve().parents[1] / "data" / "real_kobo_es"
FORM = DATA / "animales.xlsx"
SYM = "What_kind_of_symmetry_do_you_have"

SPEC = f"""spec_version: 1
defaults:
  universe: all
indicators:
  - id: radial
    type: proportion
    label: Radial
    numerator: selected({SYM}, 'radial')
  - id: fluids
    type: distribution
    label: Fluids
    question: Do_you_have_body_flu_intracellular_space
  - id: segments
    type: mean
    label: Segments
    question: How_many_segments_does_your_body_have
"""


def test_spanish_labels_are_read_back_as_codes():
    data = st.load(DATA / "animales_es.csv", instrument=FORM)
    frame = data.frame
    assert frame[SYM].tolist() == ["spherical radial bilateral", "radial", "bilateral"]
    assert frame[f"{SYM}/radial"].tolist() == [True, True, False]
    assert frame["Do_you_have_body_flu_intracellular_space"].tolist() == [
        "yes__and_some_",
        "yes",
        "no___unsure",
    ]
    assert frame["Do_you_descend_from_unicellular_organism"].tolist() == ["no", "no", "yes"]
    assert frame["How_many_segments_does_your_body_have"].tolist() == [6, 3, 2]
    assert frame["_record_id"].iloc[0] == "uuid:48583952-1892-4931-8d9c-869e7b49bafb"
    assert not [p for p in data.problems if p.severity.name != "INFO"]


@pytest.fixture(scope="module")
def weighted():
    data = st.load(DATA / "animales_es_60.csv", instrument=FORM)
    # what the project's extra_columns: [estrato, peso] does: the analyst's columns brought into the frame
    frame = data.frame.assign(
        estrato=data.extra["estrato"].to_numpy(), peso=data.extra["peso"].astype(float).to_numpy()
    )
    return data, frame


def test_weighted_stratified_estimates_agree_with_r(weighted):
    data, frame = weighted
    spec = parse_indicators(SPEC, "es.yaml").spec
    out = st.compute(frame, spec, st.Design(strata="estrato", weights="peso"), instrument=data.instrument)
    all_ = out[out.group == "all"]
    row = all_.assign(
        key=all_.indicator_id + all_.category.map(lambda c: f"[{c}]" if isinstance(c, str) else "")
    ).set_index("key")
    # svymean(~radial, des)
    assert row.loc["radial", "estimate"] == pytest.approx(100 * 0.494472361809, abs=1e-8)
    assert row.loc["radial", "se"] == pytest.approx(100 * 0.075516400902, abs=1e-8)
    # svymean(~seg, des, na.rm=TRUE)
    assert row.loc["segments", "estimate"] == pytest.approx(6.633701515541, abs=1e-9)
    assert row.loc["segments", "se"] == pytest.approx(0.544196040799, abs=1e-9)
    # svymean(~factor(fl), subset(des, !is.na(fl)))
    for code, est, se in [("no___unsure", 0.348292951542, 0.075925317240), ("yes", 0.336729074890, 0.075516662368),
                          ("yes__and_some_", 0.314977973568, 0.074839423476)]:  # fmt: skip
        assert row.loc[f"fluids[{code}]", "estimate"] == pytest.approx(100 * est, abs=1e-8)
        assert row.loc[f"fluids[{code}]", "se"] == pytest.approx(100 * se, abs=1e-8)
    # svyby(~seg, ~estrato, des, svymean, na.rm=TRUE)
    by = st.compute(
        frame, spec, st.Design(strata="estrato", weights="peso"), by="estrato", instrument=data.instrument
    )
    seg = by[(by.indicator_id == "segments") & (by.group == "all")].set_index("estrato")
    for stratum, est, se in [("Este", 6.764705882353, 0.937024167652), ("Norte", 6.05, 0.865949433312),
                             ("Sur", 6.85, 0.782287469036)]:  # fmt: skip
        assert seg.loc[stratum, "estimate"] == pytest.approx(est, abs=1e-9)
        assert seg.loc[stratum, "se"] == pytest.approx(se, abs=1e-9)


def test_the_analysts_columns_used_by_the_design_are_not_flagged_as_unknown(weighted):
    import dataclasses

    data, frame = weighted
    before = st.check_quality(data).issues
    assert set(before.loc[before["check"] == "column-not-in-form", "column"]) == {"estrato", "peso"}
    after = st.check_quality(dataclasses.replace(data, frame=frame)).issues
    assert "column-not-in-form" not in set(after["check"])
