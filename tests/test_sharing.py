"""``share``: de-identified microdata with k-anonymity, individual risk and a disclosure report."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from survey_toolkit.sharing import direct_identifiers, individual_risk, share_frame


def _frame(n: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "_record_id": [f"uuid:{i:04d}" for i in range(n)],
            "respondent_name": [f"Person {i}" for i in range(n)],
            "phone_number": [f"+2507{i:07d}" for i in range(n)],
            "gps_lat": rng.uniform(-2, 2, n),
            "admin2": rng.choice(["D1", "D2", "D3", "D4"], n),
            "a1_sex": rng.choice(["1", "2"], n),
            "a2_age": rng.integers(18, 95, n),
            "disability": rng.choice(["0", "1"], n, p=[0.9, 0.1]),
            "b1_safe_dark": rng.choice(["1", "2", "3", "4"], n),
            "final_weight": rng.uniform(50, 150, n),
        }
    )


def test_direct_identifiers_are_dropped_and_listed():
    frame = _frame()
    result = share_frame(frame, quasi=["admin2", "a1_sex", "a2_age", "disability"], k=5, weights="final_weight",
                         coarsen={"a2_age": "age_bands"})  # fmt: skip
    assert not {"respondent_name", "phone_number", "gps_lat"} & set(result.data.columns)
    assert {"respondent_name", "phone_number", "gps_lat"} <= set(result.removed["column"])
    assert result.data["_record_id"].str.fullmatch(r"\d+").all(), "ids replaced by sequential codes"
    assert "final_weight" in result.data and "b1_safe_dark" in result.data
    assert (result.data["b1_safe_dark"] == frame["b1_safe_dark"]).all(), "answers are untouched"
    assert set(result.data["a2_age"].dropna()) <= {"18-24", "25-34", "35-49", "50-64", "65-79", "80+"}


def test_k_anonymity_is_reached_by_local_suppression():
    frame = _frame()
    quasi = ["admin2", "a1_sex", "a2_age", "disability"]
    result = share_frame(frame, quasi=quasi, k=5, weights="final_weight")  # age NOT banded: many unique keys
    data = result.data
    informative = data[quasi].notna().any(axis=1)
    keys = data[quasi].astype("string").fillna("<blank>").agg("|".join, axis=1)
    sizes = keys.map(keys.value_counts())
    assert (sizes[informative] >= 5).all()
    risk = dict(zip(result.risk["measure"], result.risk["value"], strict=True))
    assert risk["records in keys smaller than k, before suppression"] > 0
    assert risk["records in keys smaller than k, after"] == 0
    assert risk["k reached (smallest key with a quasi-identifier)"] >= 5
    assert result.suppressed.set_index("quasi_identifier").loc["a2_age", "values_blanked"] > 0
    # the most identifying variable (age, most categories) is blanked first
    assert result.suppressed["values_blanked"].idxmax() == result.suppressed.index[result.suppressed["quasi_identifier"] == "a2_age"][0]


def test_individual_risk_matches_the_benedetti_franconi_formulas():
    p = 0.01
    r1 = p / (1 - p) * math.log(1 / p)
    r2 = p / (1 - p) - (p / (1 - p)) ** 2 * math.log(1 / p)
    r5 = (5 / 500) / (5 - (1 - 5 / 500))
    got = individual_risk(np.array([1, 2, 5, 3]), np.array([100, 200, 500, 3]))
    assert got[:3] == pytest.approx([r1, r2, r5], rel=1e-12)
    assert got[3] == 1.0, "a key whose population is the sample itself is certain"


def test_identifiers_found_from_the_form_types():
    class Q:
        def __init__(self, name, type_):
            self.name, self.type = name, type_

    class Form:
        questions = [Q("where", "geopoint"), Q("photo_house", "image"), Q("comment", "text"), Q("hh_size", "integer")]

    found = direct_identifiers(["where", "photo_house", "comment", "hh_size", "household_head_name"], Form())
    assert set(found) == {"where", "photo_house", "comment", "household_head_name"}
    assert "GPS" in found["where"] and "free text" in found["comment"]


def test_bad_k_is_refused():
    with pytest.raises(ValueError):
        share_frame(_frame(), k=1)


@pytest.mark.slow
def test_share_on_the_demo(tmp_path):
    from survey_toolkit.sharing import share_project

    result, files = share_project("examples/demo", output=tmp_path)
    assert sorted(f.name for f in files) == ["disclosure_report.html", "microdata.csv", "removed_columns.csv"]
    data = pd.read_csv(tmp_path / "shared" / "microdata.csv", dtype=str)
    assert not {"deviceid", "enumerator_id", "start", "_submission_time"} & set(data.columns)
    assert "final_weight" in data.columns
    risk = dict(zip(result.risk["measure"], result.risk["value"], strict=True))
    assert risk["k reached (smallest key with a quasi-identifier)"] >= 5
    html = (tmp_path / "shared" / "disclosure_report.html").read_text(encoding="utf-8")
    assert "Headline indicators" in html and "Disclosure risk" in html
    # national headline estimates are unchanged by the protection (no quasi-identifier in their base)
    assert result.comparison["difference"].abs().max() < 1e-9
