"""A weight column is a weight, a probability column a probability; rows without a weight are handled.

Real-shaped fixture: REACH's MSNA 2024 tool and its KoBo-shaped export (``../shared/fixtures/real/
reach_humind_msna2024_tool``), whose ``weight`` column is normalised (0.43, 0.85, 1.72: values below 1),
with ``universe: all`` (the survey's consent question is coded yes/no, not 1).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from survey_toolkit import pipeline
from survey_toolkit.errors import SurveyToolkitError
from survey_toolkit.project import check_project
from tests.conftest import shared_path

# R 4.2.2, survey 4.1-1 (answer 'pnta' is labelled "Prefer not to answer" in the form, so it is a refusal
# and leaves the base, as 98/99 would; issue 9 item 5):
#   d <- main sheet of dummy_raw_data.xlsx
#   d$female <- ifelse(d$resp_gender == "pnta", NA, as.numeric(d$resp_gender == "female"))
#   svymean(~female, svydesign(ids=~1, strata=~stratum, weights=~weight, data=d), na.rm=TRUE)
R_FEMALE = (32.275384762103712, 3.950620241332100)
#   the same without rows 1 and 5 (their weight blanked): d2 <- d[-c(1, 5), ]
R_FEMALE_WITHOUT_1_5 = (32.102379203197664, 3.957378635699313)

INDICATORS = """\
spec_version: 1
version: "t"
title: {en: MSNA}
languages: [en]
defaults:
  universe: all
indicators:
  - id: resp_female
    type: proportion
    label: {en: Respondent is female}
    numerator: resp_gender = 'female'
    denominator: answered(resp_gender)
"""


def _project(folder: Path, export: Path, design: str) -> Path:
    tool = shared_path("real", "reach_humind_msna2024_tool", "REACH_2024_MSNA-kobo-tool_draft_v11.xlsx")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "indicators.yaml").write_text(INDICATORS, encoding="utf-8")
    path = folder / "survey.yaml"
    path.write_text(
        f"version: 1\ninstrument: {tool}\nindicators: indicators.yaml\nrounds:\n  - id: R1\n    files: [{export}]\n"
        f"design:\n  strata: stratum\n{design}report:\n  languages: [en]\n  disaggregate: false\n  output: out\n",
        encoding="utf-8",
    )
    return path


def _estimate(path: Path) -> tuple[float, float]:
    result = pipeline.run(path, until="compute", write=False)
    row = result.table[(result.table["indicator_id"] == "resp_female") & (result.table["location"] == "All")]
    return float(row["estimate"].iloc[0]), float(row["se"].iloc[0])


@pytest.fixture(scope="module")
def export():
    return shared_path("real", "reach_humind_msna2024_tool", "dummy_raw_data.xlsx")


@pytest.fixture(scope="module")
def blanked(export, tmp_path_factory):
    """The export's main sheet with the weight of its first and fifth respondents removed."""
    frame = pd.read_excel(export, sheet_name="main", dtype=str, engine="openpyxl")
    frame.loc[[0, 4], "weight"] = None
    path = tmp_path_factory.mktemp("blanked") / "msna_main.xlsx"
    frame.to_excel(path, index=False, sheet_name="main")
    return path


def test_normalised_weights_are_weights(export, tmp_path):
    estimate, se = _estimate(_project(tmp_path, export, "  weights: weight\n"))
    assert estimate == pytest.approx(R_FEMALE[0], abs=1e-8)
    assert se == pytest.approx(R_FEMALE[1], abs=1e-8)


def test_weights_read_as_probabilities_are_refused_by_the_probability_rule(export, tmp_path):
    with pytest.raises(SurveyToolkitError) as err:
        _estimate(_project(tmp_path, export, "  probabilities: weight\n"))
    assert [p.code for p in err.value.problems] == ["bad-probability"]


def test_a_missing_weight_stops_with_the_key_that_fixes_it(blanked, tmp_path):
    with pytest.raises(SurveyToolkitError) as err:
        _estimate(_project(tmp_path, blanked, "  weights: weight\n"))
    (problem,) = err.value.problems
    assert problem.code == "missing-weight" and problem.count == 2 and problem.location.row == 2
    assert "design.missing_weights: exclude" in problem.hint


def test_missing_weights_excluded_are_listed(blanked, tmp_path):
    path = _project(tmp_path, blanked, "  weights: weight\n  missing_weights: exclude\n")
    estimate, se = _estimate(path)
    assert estimate == pytest.approx(R_FEMALE_WITHOUT_1_5[0], abs=1e-8)
    assert se == pytest.approx(R_FEMALE_WITHOUT_1_5[1], abs=1e-8)
    result = pipeline.run(path, until="quality", write=True)
    log = pd.read_csv(tmp_path / "out" / "exclusions.csv")
    listed = log[log["reasons"] == "missing-weight"]
    assert sorted(listed["source_row"].tolist()) == [2, 6]
    assert any(p.code == "missing-weight" and p.count == 2 for p in result.problems)


def test_missing_weights_imputed_with_the_stratum_mean(blanked, tmp_path):
    """The fixture's weights are constant within stratum: the stratum mean restores them exactly."""
    estimate, se = _estimate(_project(tmp_path, blanked, "  weights: weight\n  missing_weights: impute\n"))
    assert estimate == pytest.approx(R_FEMALE[0], abs=1e-8)
    assert se == pytest.approx(R_FEMALE[1], abs=1e-8)


@pytest.mark.parametrize(
    ("design", "code", "key"),
    [
        ("  weights: w\n  probabilities: p\n", "bad-value", "probabilities"),
        ("  missing_weights: exclude\n", "bad-value", "missing_weights"),
        ("  weights: w\n  missing_weights: drop\n", "bad-value", "missing_weights"),
    ],
)
def test_weight_keys_are_checked_up_front(tmp_path, design, code, key):
    path = tmp_path / "survey.yaml"
    (tmp_path / "f.xlsx").write_bytes(b"")
    (tmp_path / "i.yaml").write_text("x: 1\n")
    (tmp_path / "r.csv").write_text("a\n1\n")
    path.write_text(f"instrument: f.xlsx\nindicators: i.yaml\nrounds:\n  - id: R1\n    files: [r.csv]\ndesign:\n{design}")
    project, report = check_project(path)
    assert project is None
    (problem,) = [p for p in report if p.is_error]
    assert problem.code == code and problem.location.line is not None and key in str(problem.location.path) + problem.message
