"""Forms with ``allow_choice_duplicates`` (cascading lists: one district name under several regions)
load: a choice is list + name + filter, the answer is its name (issue 9, crashes on valid inputs)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

import survey_toolkit as st


def _cascade_form(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in (
        ["type", "name", "label", "choice_filter"],
        ["select_one region", "region", "Region", ""],
        ["select_one district", "district", "District", "region=${region}"],
        ["select_multiple district", "visited", "Districts visited", "region=${region}"],
    ):
        ws.append(row)
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label", "region"])
    for row in (
        ["region", "north", "North", ""],
        ["region", "south", "South", ""],
        ["district", "central", "Central (north)", "north"],
        ["district", "central", "Central (south)", "south"],
        ["district", "d2", "D2", "south"],
    ):
        ch.append(row)
    settings = wb.create_sheet("settings")
    settings.append(["form_id", "allow_choice_duplicates"])
    settings.append(["cascade", "yes"])
    wb.save(tmp_path / "form.xlsx")
    return tmp_path / "form.xlsx"


def test_cascading_list_with_duplicate_names_loads(tmp_path):
    form = st.read_instrument(_cascade_form(tmp_path))
    districts = form.choice_lists["district"]
    assert districts.codes == ("central", "d2") and len(districts.choices) == 3
    assert [c.extra.get("region") for c in districts.choices] == ["north", "south", "south"]
    path = tmp_path / "data.csv"
    pd.DataFrame(
        {
            "region": ["north", "south", "south"],
            "district": ["central", "central", "d2"],
            "visited": ["central", "central d2", ""],
        }
    ).to_csv(path, index=False)
    data = st.load(path, instrument=form)
    assert data.frame["district"].cat.categories.tolist() == ["central", "d2"]
    assert data.frame["district"].astype(object).tolist() == ["central", "central", "d2"]
    assert data.frame["visited/central"].tolist()[:2] == [True, True]
    assert not [p for p in data.problems if p.code == "value-not-in-choices"]


def test_real_cascading_list_of_a_kobo_form(shared):
    # kobocruncher's Likert form sets allow_choice_duplicates: list 'organis' repeats names per filter
    form = st.read_instrument(shared("real", "kobo_xlsx_export_kobocruncher", "form_likert.xlsx"))
    organis = form.choice_lists["organis"]
    assert len(organis.choices) == 377 and len(organis.codes) == 193 == len(set(organis.codes))
    data = st.load(shared("real", "kobo_xlsx_export_kobocruncher", "data_likert.xlsx"), instrument=form)
    assert len(data.frame) == 120


def test_select_one_external_loads_with_its_answers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in (
        ["type", "name", "label", "choice_filter"],
        ["select_one region", "region", "Region", ""],
        ["select_one_external district", "district", "District", "region=${region}"],
    ):
        ws.append(row)
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label"])
    ch.append(["region", "north", "North"])
    ch.append(["region", "south", "South"])
    ext = wb.create_sheet("external_choices")
    ext.append(["list_name", "name", "label", "region"])
    ext.append(["district", "central", "Central", "north"])
    ext.append(["district", "d2", "D2", "south"])
    wb.save(tmp_path / "ext.xlsx")
    form = st.read_instrument(tmp_path / "ext.xlsx")
    path = tmp_path / "data.csv"
    path.write_text("region,district\nnorth,central\nsouth,d2\n", encoding="utf-8")
    data = st.load(path, instrument=form)
    assert data.frame["district"].astype(object).tolist() == ["central", "d2"]
    assert not [p for p in data.problems if p.is_error]
