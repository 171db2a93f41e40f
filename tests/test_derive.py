"""Derived variables (same condition language as the indicators) and an analyst's extra export column,
used in indicator conditions, as disaggregations and as a location level."""

from __future__ import annotations

import pandas as pd
import pytest

from survey_toolkit import pipeline
from survey_toolkit.derive import Derived, Rule, derive_columns
from survey_toolkit.errors import SpecError
from survey_toolkit.indicators.conditions import parse_condition
from survey_toolkit.project import check_project
from tests.test_pipeline import DEMO, reduced_project

INDICATORS = """\
spec_version: 1
version: t
title: {en: derived}
languages: [en]
indicators:
  - id: safe_derived
    type: proportion
    label: {en: Feel safe (derived variable)}
    numerator: feels_safe = 'safe'
    denominator: feels_safe in ['safe', 'unsafe']
    disaggregations: [age_band, young_woman, zone]
  - id: safe_direct
    type: proportion
    label: {en: Feel safe (from the question)}
    numerator: b1_safe_dark in [1, 2]
    denominator: b1_safe_dark in [1, 2, 3, 4]
"""

DERIVE = """\
extra_columns: [zone]
derive:
  - name: feels_safe
    label: {en: Feels safe after dark}
    when:
      - {if: "b1_safe_dark in [1, 2]", value: safe, label: {en: Safe}}
      - {if: "b1_safe_dark in [3, 4]", value: unsafe, label: {en: Unsafe}}
  - name: age_band
    when:
      - {if: "a2_age < 30", value: "18-29"}
      - {if: "a2_age >= 30", value: "30+"}
  - name: young_woman
    when:
      - {if: "a1_sex = 2 and age_band = '18-29'", value: "yes"}
    else: "no"
"""


def test_rules_first_match_wins_else_and_missing():
    frame = pd.DataFrame({"q": pd.Categorical(["1", "3", None, "98"])})
    d = Derived("g", (Rule(parse_condition("q in [1, 2]"), "low"), Rule(parse_condition("q in [1..4]"), "any")), None)
    out = derive_columns(frame, [d])
    assert out["g"].astype(object).where(out["g"].notna(), None).tolist() == ["low", "any", None, None]
    assert list(out["g"].cat.categories) == ["low", "any"]


@pytest.fixture(scope="module")
def derived_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("derive")
    raw = pd.read_excel(DEMO / "round1_kobo.xlsx", dtype=str, engine="openpyxl")
    raw["zone"] = raw["admin2"].map(lambda v: "east" if str(v).startswith("R01") else "west")  # not in the form
    raw.to_excel(folder / "round1_zone.xlsx", index=False)
    (folder / "ind.yaml").write_text(INDICATORS, encoding="utf-8")
    path = reduced_project(folder, indicators=("safe_derived", "safe_direct"), extra=DERIVE)
    text = path.read_text(encoding="utf-8").replace(str(DEMO / "round1_kobo.xlsx"), str(folder / "round1_zone.xlsx"))
    text = text.replace("disaggregate: false", "disaggregate: true").replace("levels: [admin1, admin2]", "levels: [zone]")
    text = text.replace(f"indicators: {DEMO.parent.parent / 'indicators.yaml'}", "indicators: ind.yaml")
    path.write_text(text, encoding="utf-8")
    return pipeline.run(path, until="compute", write=False)


def test_derived_variable_gives_the_same_estimate_as_the_question(derived_run):
    t = derived_run.table
    overall = t[(t["location"] == "All") & t["age_band"].isna() & t["young_woman"].isna() & t["zone"].isna()]
    by_id = overall.set_index("indicator_id")["estimate"]
    assert by_id["safe_derived"] == pytest.approx(by_id["safe_direct"], abs=1e-12)


def test_derived_and_extra_columns_are_breakdowns_and_locations(derived_run):
    t = derived_run.table
    mine = t[t["indicator_id"] == "safe_derived"]
    assert set(mine["age_band"].dropna()) == {"18-29", "30+"}
    assert set(mine["young_woman"].dropna()) == {"yes", "no"}
    assert {"east", "west"} <= set(mine["location"])
    frame = derived_run.frame
    young = (frame["a1_sex"].astype("string") == "2") & (pd.to_numeric(frame["a2_age"]) < 30)
    assert (frame.loc[young, "young_woman"].astype(str) == "yes").all()


def test_derive_mistakes_are_located(tmp_path):
    path = reduced_project(tmp_path, extra="derive:\n  - name: g\n    when:\n      - {if: \"b1_safe_dark in [1, \", value: a}\n"
                           "  - name: h\n    when:\n      - {if: \"b1_safe_drak = 1\", value: a}\n")  # fmt: skip
    project, report = check_project(path)
    assert project is None
    (syntax,) = [p for p in report if p.is_error]
    assert syntax.code == "condition-syntax" and syntax.location.line is not None
    path.write_text(path.read_text(encoding="utf-8").replace("[1, \"", "[1]\""), encoding="utf-8")
    with pytest.raises(SpecError) as err:
        pipeline.validate_inputs(path)
    (unknown,) = [p for p in err.value.problems if p.code == "unknown-question"]
    assert unknown.got == "b1_safe_drak" and unknown.hint == "did you mean 'b1_safe_dark'?"
    assert unknown.location.line is not None
