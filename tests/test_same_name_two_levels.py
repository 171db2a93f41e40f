"""A name used by the respondent and by a repeat (``sex`` 1/2 of the respondent, ``sex`` m/f of each child).

The indicators check and ``compute`` took the last question of that name for every level: the
respondent's answers 1/2 were read against the children's list (m, f, x), so every respondent left the
base (n = 0) with no error. Reference values: tests/data/levels/README.md (R 4.2.2, survey 4.1-1).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import survey_toolkit as st
from survey_toolkit.indicators import validate_indicators

DATA = Path(__file__).resolve().parent / "data" / "levels"
FORM = DATA / "same_name_two_levels.xlsx"

SPEC = """spec_version: 1
defaults:
  universe: all
aggregates:
  - name: n_girls
    repeat: children
    function: count
    condition: sex = 'f'
indicators:
  - id: resp_female
    type: proportion
    label: Female respondents
    numerator: sex = 2
  - id: girls
    type: proportion
    label: Girls among children
    repeat: children
    numerator: sex = 'f'
  - id: child_sex
    type: distribution
    label: Sex of children
    repeat: children
    question: sex
  - id: with_girls
    type: proportion
    label: Respondents with a daughter
    numerator: n_girls >= 1
"""


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("levels") / "indicators.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def test_each_level_is_checked_against_its_own_question(spec_path):
    assert not validate_indicators(spec_path, FORM).problems
    wrong = spec_path.parent / "wrong.yaml"
    wrong.write_text(SPEC.replace("numerator: sex = 2", "numerator: sex = 'f'"), encoding="utf-8")
    [problem] = validate_indicators(wrong, FORM).problems
    assert problem.code == "unknown-code" and "list 'sex_r'" in problem.message


def test_each_level_is_scored_with_its_own_question_and_agrees_with_r(spec_path):
    data = st.load(DATA / "same_name_two_levels.csv", instrument=FORM)
    out = st.compute(data, spec_path, st.Design())
    row = out[out.group == "all"].set_index(["indicator_id", out.category.fillna("")])
    # svymean(~I(sex == 2), svydesign(ids = ~id, weights = ~1, data = d))
    assert row.loc[("resp_female", ""), "n"] == 40 and row.loc[("resp_female", ""), "n_missing"] == 0
    assert row.loc[("resp_female", ""), "estimate"] == pytest.approx(50.0)
    assert row.loc[("resp_female", ""), "se"] == pytest.approx(100 * 0.080064076903, abs=1e-8)
    # svyratio(~girls, ~kids, des): the children's 'sex', with the submissions as PSUs
    for key in (("girls", ""), ("child_sex", "f")):
        assert row.loc[key, "estimate"] == pytest.approx(100 * 0.589285714286, abs=1e-8)
        assert row.loc[key, "se"] == pytest.approx(100 * 0.076371007040, abs=1e-8)
    assert row.loc[("child_sex", "x"), "estimate"] == 0
    # the aggregate counts the children's 'f' answers: one respondent in two or more has a daughter
    kids = data.children["children"]
    with_girls = kids[kids["sex"] == "f"]["_record_id"].nunique() / len(data.frame)
    assert row.loc[("with_girls", ""), "estimate"] == pytest.approx(100 * with_girls)
