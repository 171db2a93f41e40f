"""A round's repeat group delivered as its own CSV file: ``rounds: - repeats: {Rep_Bio_HH: members.csv}``.

Real fixture: the CEAT WASH household survey (household_data.csv, 1,714 households; individual_data.csv,
6,284 members = the ``Rep_Bio_HH`` repeat, linked by ``KEY``). Form: tests/data/ceat_wash_repeat_form
(two household questions and the repeat's Sex and Diarrhoea, from the authors' Nairobi_2021.xls).

Reference values, R 4.2.2, survey 4.1-1 (members expanded with their household's design, unweighted,
the household is the PSU):
    m <- read.csv("individual_data.csv", na.strings="")
    dm <- svydesign(ids=~KEY, weights=~1, data=m)
    svymean(~I(Sex == "F"), subset(dm, !is.na(Sex)))                   # 0.531349458943348, SE 0.00555583139215345, degf 1713
    svymean(~I(Diarrhoea == "Y"), subset(dm, Diarrhoea %in% c("Y","N")))  # 0.129754996776273, SE 0.00577396108473733
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from survey_toolkit import cli

from .conftest import shared_path

FORM = Path(__file__).parent / "data" / "ceat_wash_repeat_form" / "survey.csv"
R_FEMALE = (0.531349458943348, 0.00555583139215345)
R_DIARRHOEA = (0.129754996776273, 0.00577396108473733)

INDICATORS = """
spec_version: 1
languages: [en]
defaults: {universe: all, dk_refused: counted}
indicators:
  - id: female_member
    type: proportion
    label: {en: Household members who are female}
    repeat: Rep_Bio_HH
    numerator: Sex = 'F'
    denominator: answered(Sex)
  - id: diarrhoea
    type: proportion
    label: {en: Members with diarrhoea in the last 2 weeks}
    repeat: Rep_Bio_HH
    numerator: Diarrhoea = 'Y'
    denominator: answered(Diarrhoea)
"""


def _project(folder: Path, main: Path, repeats: str) -> Path:
    (folder / "indicators.yaml").write_text(INDICATORS, encoding="utf-8")
    (folder / "survey.yaml").write_text(
        f"version: 1\ninstrument: {FORM}\nindicators: indicators.yaml\n"
        f"rounds:\n  - id: R1\n    files: [{main}]\n    repeats: {repeats}\nreport: {{languages: [en]}}\n",
        encoding="utf-8",
    )
    return folder


def _invoke(*args: object):
    cli._register_commands()
    return CliRunner().invoke(cli.app, [str(a) for a in args])


@pytest.fixture(scope="module")
def ceat():
    return shared_path("real", "ceat_wash_abidjan_nairobi", "data")


def test_member_indicators_from_the_roster_file_agree_with_r(ceat, tmp_path):
    folder = _project(tmp_path, ceat / "household_data.csv", f"{{Rep_Bio_HH: {ceat / 'individual_data.csv'}}}")
    result = _invoke("compute", folder, "--output", tmp_path / "out")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out" / "results.csv").set_index("indicator_id")
    for ident, (estimate, se) in (("female_member", R_FEMALE), ("diarrhoea", R_DIARRHOEA)):
        assert table.loc[ident, "estimate"] == pytest.approx(100 * estimate, abs=1e-10), ident
        assert table.loc[ident, "se"] == pytest.approx(100 * se, abs=1e-10), ident
    assert table.loc["female_member", "df"] == 1713


def test_unknown_repeat_name_is_located_with_did_you_mean(ceat, tmp_path):
    folder = _project(tmp_path, ceat / "household_data.csv", f"{{Rep_Bio: {ceat / 'individual_data.csv'}}}")
    result = _invoke("validate", folder)
    assert result.exit_code == 1
    assert "unknown-repeat" in result.output and "Rep_Bio_HH" in result.output
    assert "survey.yaml:7:24" in result.output


def test_missing_repeat_file_is_located(ceat, tmp_path):
    folder = _project(tmp_path, ceat / "household_data.csv", "{Rep_Bio_HH: members.csv}")
    result = _invoke("validate", folder)
    assert result.exit_code == 1
    assert "missing-file" in result.output and "survey.yaml:7:27" in result.output


def test_repeat_file_without_a_parent_key_column_is_an_error(ceat, tmp_path):
    members = pd.read_csv(ceat / "individual_data.csv", dtype=str).drop(columns=["KEY"]).head(50)
    members.to_csv(tmp_path / "members.csv", index=False)
    folder = _project(tmp_path, ceat / "household_data.csv", "{Rep_Bio_HH: members.csv}")
    result = _invoke("validate", folder, "--no-data")  # found up front, at the project line
    assert result.exit_code == 1, result.output
    assert "repeat-file-unlinked" in result.output and "PARENT_KEY -> KEY" in result.output
    assert "survey.yaml:7:27" in result.output and "Traceback" not in result.output


def test_loader_reports_a_repeat_file_without_parent_key(ceat, tmp_path):
    from survey_toolkit import load
    from survey_toolkit.errors import LoadError
    from survey_toolkit.io.repeatfiles import read_repeat_files

    pd.DataFrame({"Sex": ["F", "M"]}).to_csv(tmp_path / "members.csv", index=False)
    data = load(ceat / "household_data.csv", instrument=FORM, min_match=0.1)
    with pytest.raises(LoadError) as err:
        read_repeat_files(data, {"Rep_Bio_HH": tmp_path / "members.csv"}, data.instrument)
    assert [p.code for p in err.value.problems] == ["repeat-file-unlinked"]
    assert err.value.problems[0].location.file == str(tmp_path / "members.csv")


def test_members_of_absent_households_are_counted_and_left_out(ceat, tmp_path):
    members = pd.read_csv(ceat / "individual_data.csv", dtype=str, keep_default_na=False)
    orphans = members.head(3).assign(KEY="uuid:not-a-household")
    pd.concat([members, orphans]).to_csv(tmp_path / "members.csv", index=False)
    folder = _project(tmp_path, ceat / "household_data.csv", "{Rep_Bio_HH: members.csv}")
    result = _invoke("validate", folder, "--data")
    assert "unlinked-repeat-rows" in result.output and "3 row(s)" in result.output, result.output
    out = _invoke("compute", folder, "--output", tmp_path / "out")
    assert out.exit_code == 0, out.output
    table = pd.read_csv(tmp_path / "out" / "results.csv").set_index("indicator_id")
    assert table.loc["female_member", "estimate"] == pytest.approx(100 * R_FEMALE[0], abs=1e-10)
