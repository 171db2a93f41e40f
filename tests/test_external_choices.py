"""Choice lists outside the choices sheet: select_one_external (external_choices sheet, itemsets.csv)
and select_*_from_file (a CSV beside the form), loaded so that indicators read them like any list.

The form is shaped like an MSNA household tool: English/French labels, a cascading admin list whose
admin2 names repeat under two admin1 (allow_choice_duplicates), admin2 on the external_choices sheet,
camps and services in CSV files beside the form, a KoBo XLSX export with group paths in headers.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from survey_toolkit import Design, cli, compute, load, read_instrument
from survey_toolkit.indicators import parse_indicators

runner = CliRunner()

SURVEY = [
    ["type", "name", "label::English (en)", "label::Français (fr)", "choice_filter", "parameters"],
    ["begin_group", "location", "Location", "Localisation", "", ""],
    ["select_one admin1", "admin1", "Region", "Région", "", ""],
    ["select_one_external admin2", "admin2", "District", "District", "admin1=${admin1}", ""],
    ["select_one_from_file camps.csv", "camp", "Camp", "Camp", "admin2=${admin2}", ""],
    ["end_group", "", "", "", "", ""],
    ["select_multiple_from_file services.csv", "services", "Services used", "Services utilisés", "",
     "value=code label=label_en"],
    ["select_one yn", "safe", "Do you feel safe?", "Vous sentez-vous en sécurité ?", "", ""],
]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Français (fr)"],
    ["admin1", "north", "North", "Nord"],
    ["admin1", "south", "South", "Sud"],
    ["yn", "1", "Yes", "Oui"],
    ["yn", "0", "No", "Non"],
]
EXTERNAL = [
    ["list_name", "name", "label::English (en)", "label::Français (fr)", "admin1"],
    ["admin2", "central", "Central (North)", "Centre (Nord)", "north"],
    ["admin2", "hills", "Hills", "Collines", "north"],
    ["admin2", "central", "Central (South)", "Centre (Sud)", "south"],  # the same name under another admin1
    ["admin2", "coast", "Coast", "Côte", "south"],
]
CAMPS = "name,label::English (en),label::Français (fr),admin2\nc1,Camp A,Camp A,central\nc2,Camp B,Camp B,coast\n"
SERVICES = "code,label_en\nhealth,Health\nwater,Water\nschool,School\n"


def _form(folder: Path, external: list[list[str]] | None = EXTERNAL) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in SURVEY:
        ws.append(row)
    ch = wb.create_sheet("choices")
    for row in CHOICES:
        ch.append(row)
    ext = wb.create_sheet("external_choices")
    for row in external if external is not None else [EXTERNAL[0]]:
        ext.append(row)
    st = wb.create_sheet("settings")
    st.append(["form_id", "allow_choice_duplicates"])
    st.append(["msna_like", "yes"])
    folder.mkdir(parents=True, exist_ok=True)
    wb.save(folder / "form.xlsx")
    (folder / "camps.csv").write_text(CAMPS, encoding="utf-8")
    (folder / "services.csv").write_text(SERVICES, encoding="utf-8")
    return folder / "form.xlsx"


def _export(folder: Path) -> Path:
    rows = [
        ("north", "central", "c1", "health water", "1"),
        ("north", "hills", "", "water", "0"),
        ("south", "central", "", "school", "1"),
        ("south", "coast", "c2", "", "1"),
        ("south", "coast", "c2", "health", "0"),
        ("north", "central", "c1", "health", "1"),
    ]
    frame = pd.DataFrame(
        {
            "start": ["2024-05-01T09:00:00"] * len(rows),
            "location/admin1": [r[0] for r in rows],
            "location/admin2": [r[1] for r in rows],
            "location/camp": [r[2] for r in rows],
            "services": [r[3] for r in rows],
            **{f"services/{c}": [int(c in r[3].split()) if r[3] else "" for r in rows]
               for c in ("health", "water", "school")},
            "safe": [r[4] for r in rows],
            "_uuid": [f"u{i}" for i in range(len(rows))],
        }
    )  # fmt: skip
    path = folder / "export.xlsx"
    frame.to_excel(path, index=False, sheet_name="msna_like")
    return path


def test_external_and_file_lists_are_choice_lists(tmp_path):
    form = read_instrument(_form(tmp_path))
    admin2 = form.choices_for("admin2")
    assert admin2 is not None and admin2.codes == ("central", "hills", "coast")
    assert [c.extra["admin1"] for c in admin2.choices] == ["north", "north", "south", "south"]
    assert admin2.choices[2].label("Français (fr)") == "Centre (Sud)"
    assert form.choices_for("camp").labels("English (en)") == {"c1": "Camp A", "c2": "Camp B"}
    services = form.choices_for("services")  # parameters value=code label=label_en
    assert services.codes == ("health", "water", "school") and services.labels()["water"] == "Water"
    assert not [p for p in form.problems if p.code == "external-choices-not-found"]


def test_answers_are_checked_against_external_lists(tmp_path):
    form_path = _form(tmp_path)
    form = read_instrument(form_path)
    export = _export(tmp_path)
    data = load(export, instrument=form)
    assert isinstance(data.frame["admin2"].dtype, pd.CategoricalDtype)
    assert data.frame["admin2"].astype(str).tolist()[:3] == ["central", "hills", "central"]
    assert data.frame["services/water"].tolist()[:2] == [True, True]
    assert not [p for p in data.problems if p.code == "value-not-in-choices"]
    broken = pd.read_excel(export, dtype=str, engine="calamine").fillna("")
    broken.loc[1, "location/admin2"] = "hils"
    broken.to_excel(tmp_path / "broken.xlsx", index=False, sheet_name="msna_like")
    problems = [p for p in load(tmp_path / "broken.xlsx", instrument=form).problems if p.code == "value-not-in-choices"]
    assert problems and "hils" in problems[0].message and "admin2" in problems[0].message


def test_indicators_on_external_lists(tmp_path):
    form = read_instrument(_form(tmp_path))
    data = load(_export(tmp_path), instrument=form)
    text = """spec_version: 1
defaults: {universe: all}
indicators:
  - {id: district, type: distribution, label: Households by district, question: admin2}
  - {id: in_camp_a, type: proportion, label: In camp A, numerator: camp = 'c1'}
  - id: water
    type: proportion
    label: Use water services
    numerator: selected(services, 'water')
  - id: safe
    type: proportion
    label: Feel safe
    numerator: safe = 1
    disaggregations: [admin2]
"""
    checked = parse_indicators(text, "ind.yaml", form)
    assert checked.report.ok, str(checked.report)
    out = compute(data, checked.spec, Design())
    dist = out[(out.indicator_id == "district") & (out.group == "all")].set_index("category")["estimate"]
    assert dist.to_dict() == pytest.approx({"central": 50.0, "hills": 100 / 6, "coast": 100 / 3})
    camp = out[(out.indicator_id == "in_camp_a") & (out.group == "all")].iloc[0]
    assert camp.estimate == pytest.approx(100 * 2 / 4)  # two households have no camp (unknown)
    water = out[(out.indicator_id == "water") & (out.group == "all")].iloc[0]
    assert water.estimate == pytest.approx(100 * 2 / 5)  # one household answered nothing
    by = out[(out.indicator_id == "safe") & (out.group == "admin2")].set_index("level")["estimate"]
    assert by["central"] == pytest.approx(100.0) and by["coast"] == pytest.approx(50.0)


def test_a_code_unknown_to_an_external_list_is_a_located_indicator_error(tmp_path):
    form = read_instrument(_form(tmp_path))
    text = "spec_version: 1\ndefaults: {universe: all}\nindicators:\n" \
           "  - {id: x, type: proportion, label: X, numerator: admin2 = 'hils'}\n"
    report = parse_indicators(text, "ind.yaml", form).report
    assert [p.location.line for p in report.errors] == [4]
    assert "hils" in str(report)


def test_itemsets_csv_beside_the_form_when_the_sheet_is_empty(tmp_path):
    form_path = _form(tmp_path, external=None)  # the external_choices sheet has its header only
    pd.DataFrame(EXTERNAL[1:], columns=EXTERNAL[0]).to_csv(tmp_path / "itemsets.csv", index=False)
    form = read_instrument(form_path)
    assert form.choices_for("admin2").codes == ("central", "hills", "coast")


def test_an_empty_external_sheet_without_itemsets_is_an_error_naming_both_fixes(tmp_path):
    from survey_toolkit.errors import InstrumentError

    form_path = _form(tmp_path, external=None)
    with pytest.raises(InstrumentError) as err:
        read_instrument(form_path)
    (problem,) = err.value.problems
    assert "external_choices" in problem.hint and "itemsets.csv" in problem.hint


def test_missing_list_files_are_warnings_naming_the_file(tmp_path):
    form_path = _form(tmp_path)
    (tmp_path / "camps.csv").unlink()
    form = read_instrument(form_path)
    found = {p.location.field: p for p in form.problems if p.code == "external-choices-not-found"}
    assert set(found) == {"camp"}
    assert "camps.csv" in found["camp"].message and "camps.csv" in found["camp"].hint
    assert form.choices_for("camp") is None and form.choices_for("admin2") is not None
    assert all(p.severity.name == "WARNING" for p in found.values())
    data = load(_export(tmp_path), instrument=form)  # answers kept as written, not reported as off-list
    assert data.frame["camp"].astype(str).tolist()[0] == "c1"
    assert not [p for p in data.problems if p.code == "value-not-in-choices"]


def test_a_project_with_external_lists_runs_through_the_cli(tmp_path):
    cli._register_commands()
    form_path = _form(tmp_path)
    export = _export(tmp_path)
    (tmp_path / "indicators.yaml").write_text(
        "spec_version: 1\ndefaults: {universe: all}\nindicators:\n"
        "  - {id: district, type: distribution, label: Households by district, question: admin2}\n",
        encoding="utf-8",
    )
    (tmp_path / "survey.yaml").write_text(
        f"version: 1\ninstrument: {form_path.name}\nindicators: indicators.yaml\n"
        f"rounds:\n  - id: R1\n    files: [{export.name}]\n"
        "report: {suppression: {min_n: 1, min_n_eff: 0, max_ci_width: 101, max_relative_ci_width: 1000}}\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli.app, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli.app, ["run", str(tmp_path)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "output" / "results.csv")
    district = table[table.base_indicator_id == "district"]
    assert set(district["category"]) == {"central", "hills", "coast"}
    assert district.set_index("category")["estimate"]["coast"] == pytest.approx(100 / 3)


@pytest.mark.parametrize("external_name", ["external_choices.csv", "itemsets.csv"])
def test_a_form_kept_as_csv_sheets_with_its_external_list(tmp_path, external_name):
    def write(name, rows):
        pd.DataFrame(rows[1:], columns=rows[0]).to_csv(tmp_path / name, index=False)

    write("kobo survey.csv", SURVEY)
    write("kobo choices.csv", CHOICES)
    write(external_name, EXTERNAL)
    write("settings.csv", [["form_id", "allow_choice_duplicates"], ["msna_like", "yes"]])
    (tmp_path / "camps.csv").write_text(CAMPS, encoding="utf-8")
    (tmp_path / "services.csv").write_text(SERVICES, encoding="utf-8")
    form = read_instrument(tmp_path / "kobo survey.csv")
    assert form.choices_for("admin2").codes == ("central", "hills", "coast")
    assert form.choices_for("admin1").codes == ("north", "south")  # the choices sheet, not the external one
    assert form.choices_for("camp").codes == ("c1", "c2")


def test_an_xml_list_file_is_reported_as_not_read(tmp_path):
    form_path = _form(tmp_path)
    wb = openpyxl.load_workbook(form_path)
    wb["survey"].append(["select_one_from_file places.xml", "place", "Place", "Lieu", "", ""])
    wb.save(form_path)
    (tmp_path / "places.xml").write_text("<root><item><name>p1</name></item></root>", encoding="utf-8")
    form = read_instrument(form_path)
    (problem,) = [p for p in form.problems if p.code == "external-choices-not-found"]
    assert problem.location.field == "place" and "only CSV lists are read" in problem.message
    assert form.choices_for("place") is None and form.choices_for("camp") is not None
