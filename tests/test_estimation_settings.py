"""``estimation:`` in survey.yaml: the Wald interval and the whole design's df, as agencies publish them.

Real-shaped fixture: REACH's MSNA 2024 export (see tests/test_weight_columns.py), stratified, weighted.
"""

from __future__ import annotations

import pytest

from survey_toolkit import pipeline
from survey_toolkit.project import check_project
from tests.test_weight_columns import R_FEMALE, _project, export  # noqa: F401 - the fixture

# R 4.2.2, survey 4.1-1; des <- svydesign(ids=~1, strata=~stratum, weights=~weight, data=d), with
# d$female NA for the refusal 'pnta' (see tests/test_weight_columns.py); dd <- subset(des, !is.na(female))
#   m <- svymean(~female, dd); e -/+ qt(0.975, df) * SE(m)      (Wald; df = degf(des) = 238 or degf(dd) = 181)
R_WALD_ALL = {"design": (24.492735856492349, 40.058033667715080), "domain": (24.480190612022774, 40.070578912184658)}
#   b <- svyby(~female, ~admin1, dd, svyciprop, method="mean"); e <- coef(b)[1]; s <- SE(b)[1]
#   e -/+ qt(0.975, degf(des)) * s                                       (PCODE1, whole design's df 238)
R_WALD_PCODE1_DESIGN_DF = (18.648938904835532, 39.603263210696703)
#   e -/+ qt(0.975, degf(subset(dd, admin1 == "PCODE1"))) * s            (PCODE1, domain df 88: svyby's)
R_WALD_PCODE1_DOMAIN_DF = (18.556886145543164, 39.695315969989075)


def _rows(path):
    table = pipeline.run(path, until="compute", write=False).table
    table = table[table["indicator_id"] == "resp_female"].set_index("location")
    return table


@pytest.mark.parametrize(("df", "pcode1"), [("design", R_WALD_PCODE1_DESIGN_DF), ("domain", R_WALD_PCODE1_DOMAIN_DF)])
def test_wald_interval_with_either_df_rule_matches_r(export, tmp_path, df, pcode1):  # noqa: F811
    path = _project(tmp_path, export, "  weights: weight\n")
    text = path.read_text(encoding="utf-8") + f"locations:\n  levels: [admin1]\nestimation:\n  interval: wald\n  df: {df}\n"
    path.write_text(text, encoding="utf-8")
    rows = _rows(path)
    assert rows.loc["All", "estimate"] == pytest.approx(R_FEMALE[0], abs=1e-8)
    assert (rows.loc["All", "ci_low"], rows.loc["All", "ci_high"]) == pytest.approx(R_WALD_ALL[df], abs=1e-8)
    assert (rows.loc["PCODE1", "ci_low"], rows.loc["PCODE1", "ci_high"]) == pytest.approx(pcode1, abs=1e-8)
    assert rows.loc["PCODE1", "df"] == (238 if df == "design" else 88)


@pytest.mark.parametrize(("text", "key"), [("estimation:\n  interval: wold\n", "interval"),
                                           ("estimation:\n  df: full\n", "df"),
                                           ("estimation:\n  level: 0.9\n", "level")])  # fmt: skip
def test_estimation_keys_are_checked(tmp_path, text, key):
    (tmp_path / "f.xlsx").write_bytes(b"")
    (tmp_path / "i.yaml").write_text("x: 1\n", encoding="utf-8")
    (tmp_path / "r.csv").write_text("a\n1\n", encoding="utf-8")
    path = tmp_path / "survey.yaml"
    path.write_text("instrument: f.xlsx\nindicators: i.yaml\nrounds:\n  - id: R1\n    files: [r.csv]\n" + text)
    project, report = check_project(path)
    assert project is None
    (problem,) = [p for p in report if p.is_error]
    assert problem.location.line == 7 and key in problem.message
