"""Choice names that look like missing values are codes; missing-value markers (R's ``NA``...) are read
as missing only where the cell is not a code of its list, with a counted warning (issue 9, items 1, 4)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit.io.values import NA_VALUES

# a list like REACH MSNA 2024's l_*_none lists, plus the spellings adopters use for "no answer"
CODES = ("none", "n/a", "na", "NA", "water", "food")


def _form(tmp_path: Path) -> st.Instrument:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in (
        ["type", "name", "label"],
        ["select_one need", "main_need", "Main need"],
        ["select_multiple need", "needs", "Needs"],
        ["select_one yn", "safe", "Feels safe"],
        ["integer", "age", "Age"],
        ["text", "comment", "Comment"],
    ):
        ws.append(row)
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label"])
    for code in CODES:
        ch.append(["need", code, f"label of {code}"])
    ch.append(["yn", "yes", "Yes"])
    ch.append(["yn", "no", "No"])
    wb.save(tmp_path / "form.xlsx")
    return st.read_instrument(tmp_path / "form.xlsx")


ROWS = {
    "main_need": ["none", "n/a", "na", "NA", "water", ""],
    "needs": ["none water", "n/a", "na food", "NA", "", "none"],
    "safe": ["yes", "NA", "no", "N/A", "#N/A", ""],
    "age": ["30", "NA", "41", "NULL", ".", ""],
    "comment": ["fine", "NA", "None", "n/a", "", "ok"],
}


def test_choice_names_that_look_missing_are_codes_of_the_instrument(tmp_path):
    form = _form(tmp_path)
    assert form.choice_lists["need"].codes == CODES


def _flags(s: pd.Series) -> list[bool | None]:
    return [None if pd.isna(v) else bool(v) for v in s]


def _check(data: st.SurveyData) -> None:
    f = data.frame
    assert f["main_need"].astype(object).tolist()[:5] == ["none", "n/a", "na", "NA", "water"]
    assert pd.isna(f["main_need"].iloc[5])
    assert _flags(f["needs/none"]) == [True, False, False, False, None, True]
    assert _flags(f["needs/n/a"])[:4] == [False, True, False, False]
    assert _flags(f["needs/NA"])[:4] == [False, False, False, True]
    # 'NA', 'N/A', '#N/A' are not codes of the yes/no list: markers, read as missing
    assert f["safe"].astype(object).tolist()[0] == "yes" and f["safe"].isna().sum() == 4
    assert f["age"].tolist()[0] == 30 and f["age"].isna().sum() == 4
    # free text: 'None' is an answer ("nothing"); 'NA' and 'n/a' are markers, counted
    assert f["comment"].iloc[0] == "fine" and f["comment"].iloc[2] == "None"
    assert f["comment"].isna().sum() == 3
    warning = next(p for p in data.problems if p.code == "na-values")
    assert warning.count == 8 and "'age' (3)" in warning.message and "'comment' (2)" in warning.message
    assert "na_values" in warning.hint and "main_need" not in warning.message
    assert not [p for p in data.problems if p.code in ("value-not-in-choices", "bad-number", "bad-value")]


def _ids(n: int) -> list[str]:
    return [f"uuid:{i:08d}-0000-4000-8000-000000000000" for i in range(n)]


def test_plain_csv_written_by_r(tmp_path):
    form = _form(tmp_path)
    path = tmp_path / "cleaned.csv"
    pd.DataFrame(ROWS).to_csv(path, index=False)
    _check(st.load(path, instrument=form))


def test_kobo_csv(tmp_path):
    form = _form(tmp_path)
    frame = pd.DataFrame(ROWS).assign(_uuid=[i[5:] for i in _ids(6)], _submission_time="2024-05-01T10:00:00")
    path = tmp_path / "kobo.csv"
    frame.to_csv(path, index=False, sep=";")
    data = st.load(path, instrument=form)
    assert data.format == "kobo-csv" or str(data.frame["_source_format"].iloc[0]).startswith("kobo")
    _check(data)


def test_kobo_xlsx(tmp_path):
    form = _form(tmp_path)
    frame = pd.DataFrame(ROWS).assign(_uuid=[i[5:] for i in _ids(6)], _index=range(1, 7))
    path = tmp_path / "kobo.xlsx"
    frame.replace("", None).to_excel(path, index=False)
    _check(st.load(path, instrument=form))


def test_odk_central_csv(tmp_path):
    form = _form(tmp_path)
    frame = pd.DataFrame(ROWS).assign(SubmissionDate="2024-05-01T10:00:00.000Z", KEY=_ids(6))
    frame = frame.rename(columns={"needs": "needs"})
    path = tmp_path / "central.csv"
    frame.to_csv(path, index=False)
    data = st.load(path, instrument=form)
    assert str(data.frame["_source_format"].iloc[0]).startswith("odk")
    _check(data)


def test_spss_string_variables(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    form = _form(tmp_path)
    frame = pd.DataFrame(ROWS)
    frame["age"] = pd.to_numeric(frame["age"], errors="coerce")
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(frame, str(path))
    data = st.load(path, instrument=form)
    f = data.frame
    assert f["main_need"].astype(object).tolist()[:5] == ["none", "n/a", "na", "NA", "water"]
    assert _flags(f["needs/none"]) == [True, False, False, False, None, True]
    assert f["safe"].isna().sum() == 4


def test_na_values_option_replaces_the_default_set(tmp_path):
    form = _form(tmp_path)
    path = tmp_path / "cleaned.csv"
    pd.DataFrame(ROWS | {"age": ["30", "-99", "41", "-99", "22", ""]}).to_csv(path, index=False)
    data = st.load(path, instrument=form, na_values=["-99", "NA"])
    assert data.frame["age"].isna().sum() == 3
    assert data.frame["main_need"].astype(object).iloc[3] == "NA"  # the choice still wins
    # 'N/A' is no longer a marker: an off-list code of 'safe', reported as such
    assert any(p.code == "value-not-in-choices" and p.location.field == "safe" for p in data.problems)
    kept = st.load(path, instrument=form, na_values=[])
    assert kept.frame["comment"].iloc[1] == "NA" and not [p for p in kept.problems if p.code == "na-values"]


def test_without_an_instrument_markers_count_too(tmp_path):
    path = tmp_path / "table.csv"
    pd.DataFrame({"age": ["30", "NA", "41"], "name": ["a", "b", "none"]}).to_csv(path, index=False)
    data = st.load(path)
    assert data.frame["age"].dtype == "Int64" and data.frame["age"].isna().sum() == 1
    assert data.frame["name"].iloc[2] == "none"
    assert next(p for p in data.problems if p.code == "na-values").count == 1


def test_default_markers_are_documented():
    text = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    assert all(f"`{m}`" in text for m in NA_VALUES)


def test_real_msna_none_answers_survive(shared):
    # REACH MSNA 2024: 14 lists have a choice 'none' (l_aap_priority_challenge, l_snfi_shelter_type...)
    root = ("real", "reach_humind_msna2024_tool")
    form = st.read_instrument(shared(*root, "REACH_2024_MSNA-kobo-tool_draft_v11.xlsx"))
    lists = {n for n, cl in form.choice_lists.items() if "none" in cl.codes}
    assert len(lists) == 14 and "" not in form.choice_lists["l_fsl_lcsi_other"].codes
    raw = pd.read_excel(shared(*root, "dummy_raw_data.xlsx"), sheet_name=0, dtype=str)
    data = st.load(shared(*root, "dummy_raw_data.xlsx"), instrument=form)
    checked = 0
    for q in form.leaves:
        if q.list_name not in lists or q.repeat is not None or q.name not in raw.columns:
            continue
        expected = int(raw[q.name].fillna("").str.split().map(lambda t: "none" in t).sum())
        if q.type.startswith("select_one"):
            got = int((data.frame[q.name].astype(object) == "none").sum())
        else:
            got = int(data.frame[f"{q.name}/none"].fillna(False).sum())
        assert got == expected, q.name
        checked += expected > 0
    assert checked >= 8


def _project(tmp_path: Path, top: str, round_extra: str) -> Path:
    from tests.conftest import ROOT

    text = (
        f"instrument: {ROOT / 'instruments' / 'cssp_core.xlsx'}\n"
        f"indicators: {ROOT / 'indicators.yaml'}\n"
        + top
        + "rounds:\n"
        + "  - id: R1\n"
        + f"    files: [{ROOT / 'examples' / 'demo' / 'round1_kobo.xlsx'}]\n"
        + round_extra
        + "  - id: R2\n"
        + f"    files: [{ROOT / 'examples' / 'demo' / 'round3_spss.sav'}]\n"
    )
    path = tmp_path / "survey.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_project_na_values_per_project_and_per_round(tmp_path):
    from survey_toolkit.project import check_project, load_project

    project = load_project(_project(tmp_path, "na_values: [NA, '-99', 'NULL']\n", "    na_values: []\n"))
    assert project.round("R1").load_options["na_values"] == ()
    assert project.round("R2").load_options["na_values"] == ("NA", "-99", "NULL")
    plain = load_project(_project(tmp_path, "", ""))
    assert "na_values" not in plain.round("R1").load_options
    _, report = check_project(_project(tmp_path, "na_values: {a: b}\n", ""))
    problem = next(p for p in report if p.code == "wrong-type")
    assert "na_values" in problem.message and problem.location.line == 3


def test_cli_inspect_na_values(tmp_path):
    from typer.testing import CliRunner

    from survey_toolkit import cli
    from survey_toolkit.cli import inspect  # noqa: F401  (registers the command)

    form_path = tmp_path / "form.xlsx"
    _form(tmp_path)
    path = tmp_path / "cleaned.csv"
    pd.DataFrame(ROWS).to_csv(path, index=False)
    runner = CliRunner()
    result = runner.invoke(cli.app, ["inspect", str(path), "-i", str(form_path), "--na-values", "NA,NULL"])
    assert result.exit_code == 0, result.output
    assert "na-values" in result.output and "'age' (2)" in result.output
