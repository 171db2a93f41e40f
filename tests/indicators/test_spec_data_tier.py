"""Tier 3 (definitions against data rows) and the shipped file computed end to end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from survey_toolkit import Design, compute, read_instrument
from survey_toolkit.indicators import load_indicators, validate_indicators

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "indicators.yaml"
FORM = ROOT / "instruments" / "cssp_core.xlsx"


@pytest.fixture(scope="module")
def form():
    return read_instrument(FORM)


def test_empty_denominator_and_missing_column(tmp_path, form):
    path = tmp_path / "ind.yaml"
    path.write_text(
        "spec_version: 1\nindicators:\n"
        "  - id: never\n    type: proportion\n    label: Nobody\n"
        "    numerator: d1_trust_police = 4\n    denominator: d1_trust_police = 98\n"
        "  - id: trust\n    type: proportion\n    label: Trust\n    numerator: d1_trust_police = 4\n"
        "    disaggregations: [a1_sex]\n",
        encoding="utf-8",
    )
    frame = pd.DataFrame({"consent": pd.Categorical(["1", "1"]), "d1_trust_police": pd.Categorical(["4", "1"])})
    report = validate_indicators(path, form, frame)
    got = [(p.code, p.location.line, p.location.column, p.message) for p in report.problems]
    assert got == [
        ("empty-denominator", 3, 9, "indicator 'never' has no respondent in its base in the data"),
        ("question-not-in-data", 8, 9, "indicator 'trust' reads 'a1_sex', which is not a column of the data"),
    ]


@pytest.mark.slow
def test_shipped_file_computes_with_non_empty_bases(form, synthetic):
    frame = synthetic(form, n=300)
    spec = load_indicators(SHIPPED, form)
    assert validate_indicators(SHIPPED, form, frame).ok
    out = compute(frame, spec, Design(weights="final_weight", strata="stratum", psu="psu"),
                  by="survey_round", instrument=form)
    overall = out[out.group == "all"]
    assert set(overall.indicator_id) == set(spec.ids)
    assert (overall.n > 0).all()
    assert overall.estimate.notna().all()
    pct = overall[overall.unit == "percent"]
    assert pct.estimate.between(0, 100).all()
    assert 0 <= overall.set_index("indicator_id").loc["police_legitimacy_index", "estimate"] <= 10
