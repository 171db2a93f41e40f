"""Don't know / refused declared only by value labels (999 "Decline to answer", -99 "Refused") are never
averaged as numbers (issue 9, silent wrong result 5): the loader detects them from the labels and the
indicators leave them out like the file's dk/refused codes."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest

import survey_toolkit as st
from survey_toolkit.indicators.loader import load_indicators

SPEC = """\
spec_version: 1
defaults: {universe: all}
indicators:
  - id: mean_age
    type: mean
    label: {en: Mean age}
    question: age
  - id: mean_income
    type: mean
    label: {en: Mean monthly income}
    question: income
  - id: trust
    type: proportion
    label: {en: Trust the police}
    numerator: trust in [1, 2]
"""


def _sav(tmp_path):
    frame = pd.DataFrame(
        {
            "age": [20.0, 30.0, 40.0, 999.0, 999.0],
            "income": [100.0, 200.0, -99.0, 300.0, 97.0],
            "trust": [1.0, 2.0, 3.0, 4.0, 8.0],
        }
    )
    path = tmp_path / "barometer.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        variable_value_labels={
            "age": {999.0: "Decline to answer"},
            "income": {-99.0: "Refused", 97.0: "Not applicable"},
            "trust": {1.0: "A lot", 2.0: "Somewhat", 3.0: "Not much", 4.0: "Not at all", 8.0: "Ne sait pas"},
        },
    )
    return path


def test_label_declared_codes_leave_means_and_bases(tmp_path):
    data = st.load(_sav(tmp_path))
    assert dict(data.variables["age"].special_codes) == {"999": "refused"}
    spec_path = tmp_path / "indicators.yaml"
    spec_path.write_text(SPEC, encoding="utf-8")
    spec = load_indicators(spec_path)
    out = st.compute(data, spec, st.Design()).set_index("indicator_id")
    assert out.loc["mean_age", "estimate"] == pytest.approx(30.0), "999 'Decline to answer' is not an age"
    assert out.loc["mean_age", "n"] == 3
    assert out.loc["mean_income", "estimate"] == pytest.approx(200.0), "-99 refused and 97 not applicable"
    # the DK of the proportion's question leaves the base under the default (excluded) rule
    assert out.loc["trust", "n"] == 4 and out.loc["trust", "estimate"] == pytest.approx(50.0)
