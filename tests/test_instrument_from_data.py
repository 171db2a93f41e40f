"""No form at hand: an instrument from an export's labels, the XLSForm written from it, ``init --from``."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from survey_toolkit import cli, load, read_instrument
from survey_toolkit.instrument_from_data import instrument_from_data, write_xlsform

from .conftest import shared_path

runner = CliRunner()


@pytest.fixture(autouse=True)
def _commands():
    cli._register_commands()


def _built(path, tmp_path):
    data = load(path)
    form, report = instrument_from_data(data)
    written = write_xlsform(form, tmp_path / "form.xlsx")
    return data, form, report, read_instrument(written)


def test_spss_labels_become_the_instrument(tmp_path):
    data, form, report, reread = _built(shared_path("exports", "perception_survey.sav"), tmp_path)
    assert report.problems == ()  # labelled metadata: nothing guessed
    safe = form.question("feels_safe")
    assert safe.type == "select_one" and safe.labels == {"default": "Do you feel safe?"}
    assert form.choice_lists["feels_safe"].labels() == {"1": "Yes", "2": "No"}
    assert form.question("age").type == "integer"
    assert reread.choice_lists["feels_safe"].labels() == {"1": "Yes", "2": "No"}
    assert reread.question("age").labels  # the variable label survived the XLSForm round trip
    again = load(shared_path("exports", "perception_survey.sav"), instrument=reread)
    assert again.frame["feels_safe"].astype(str).tolist() == data.frame["feels_safe"].astype(str).tolist()


def test_stata_labels_become_the_instrument(tmp_path):
    _, form, _, reread = _built(shared_path("exports", "perception_survey.dta"), tmp_path)
    assert form.choice_lists["feels_safe"].codes == ("1", "2")
    assert reread.question("feels_safe").type == "select_one"


def test_portable_file_of_1948(tmp_path):
    path = shared_path("real", "anes1948_spss_por", "NES1948", "NES1948.POR")
    data, form, _, reread = _built(path, tmp_path)
    selects = [q for q in form.questions if q.type == "select_one"]
    assert len(selects) >= 50 and len(reread.questions) > len(form.questions) - 1
    assert all(q.name in reread for q in form.questions)


def test_non_ascii_labels_survive(tmp_path):
    _, form, _, reread = _built(shared_path("real", "spss_edgecases_pyreadstat_haven", "haven__umlauts.sav"), tmp_path)
    labels = [c.label() for cl in reread.choice_lists.values() for c in cl.choices]
    assert labels == [c.label() for cl in form.choice_lists.values() for c in cl.choices]
    assert any(not label.isascii() for label in labels)


def test_hostile_labels_are_written_safely(tmp_path):
    # a Stata export whose truncated variable label ends in an XLSForm reference '${a_e'
    data, form, _, reread = _built(shared_path("real", "ipa_surveycto_backcheck_dta", "household_backcheck.dta"), tmp_path)
    original = form.question("c_consent_understand").labels["default"]
    assert "${" in original
    assert "${" not in reread.question("c_consent_understand").labels["default"]
    assert reread.choice_lists["i_mosquito_net"].codes == form.choice_lists["i_mosquito_net"].codes  # codes untouched
    import dataclasses

    from survey_toolkit.instrument import Question

    evil = dataclasses.replace(form, questions=(Question("x", "text", labels={"default": "=HYPERLINK(1)"}),))
    write_xlsform(evil, tmp_path / "evil.xlsx")
    cell = pd.read_excel(tmp_path / "evil.xlsx", sheet_name="survey")["label"].iloc[0]
    assert cell == "'=HYPERLINK(1)"


def test_csv_types_are_inferred_conservatively_and_reported(tmp_path):
    path = shared_path("real", "ceat_wash_abidjan_nairobi", "data", "household_data.csv")
    data = load(path)
    form, report = instrument_from_data(data)
    assert form.question("Site").type == "select_one"
    assert set(form.choice_lists["Site"].codes) == {"Azito", "Mabatini", "Vietnam", "Williamsville"}
    assert form.question("HHROOMS").type == "integer"
    guessed = {p.location.field for p in report.problems if p.code == "inferred-type"}
    assert "Site" in guessed and "HHROOMS" not in guessed
    assert all(not p.is_error for p in report.problems)


def test_csv_free_text_stays_text(tmp_path):
    path = tmp_path / "export.csv"
    names = [f"person {i}" for i in range(40)]
    pd.DataFrame({"name": names, "district": ["a", "b"] * 20, "size": range(40)}).to_csv(path, index=False)
    form, report = instrument_from_data(load(path))
    assert [form.question(n).type for n in ("name", "district", "size")] == ["text", "select_one", "integer"]
    assert [p.location.field for p in report.problems] == ["district"]
    assert "person" not in str(report)  # respondent values never appear in messages


def test_init_from_export_writes_a_project_that_validates_and_runs(tmp_path):
    export = shared_path("exports", "perception_survey.sav")
    folder = tmp_path / "barometer"
    result = runner.invoke(cli.app, ["init", "--from", str(export), str(folder)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in folder.iterdir()} == {"form.xlsx", "indicators.yaml", "survey.yaml"}
    text = (folder / "indicators.yaml").read_text(encoding="utf-8")
    assert "where: age not in [-99]" in text  # the labelled 'Refused' code is never averaged
    result = runner.invoke(cli.app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli.app, ["run", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "output" / "results.csv").is_file()
    from survey_toolkit import Design, compute, load_indicators

    form = read_instrument(folder / "form.xlsx")
    data = load(export, instrument=form)
    results = compute(data, load_indicators(folder / "indicators.yaml", form), Design())
    ages = load(export).frame["age"]
    assert (ages == -99).any()
    age = results[(results.indicator_id == "age_mean") & (results.group == "all")].iloc[0]
    assert age.estimate == pytest.approx(ages[ages != -99].mean()) and age.n == int((ages != -99).sum())


def test_init_from_refuses_to_overwrite_and_reports_a_missing_export(tmp_path):
    export = shared_path("exports", "perception_survey.sav")
    folder = tmp_path / "p"
    assert runner.invoke(cli.app, ["init", "--from", str(export), str(folder)]).exit_code == 0
    again = runner.invoke(cli.app, ["init", "--from", str(export), str(folder)])
    assert again.exit_code == 1 and "file-exists" in again.output and "--force" in again.output
    assert runner.invoke(cli.app, ["init", "--from", str(export), str(folder), "--force"]).exit_code == 0
    missing = runner.invoke(cli.app, ["init", "--from", str(tmp_path / "nope.sav"), str(tmp_path / "q")])
    assert missing.exit_code == 1 and "file-not-found" in missing.output
    assert not (tmp_path / "q").exists()
