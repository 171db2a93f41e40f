"""ODK Central exports: zip and CSV, group paths or not, split select_multiple, repeats via PARENT_KEY."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit.errors import LoadError
from tests.conftest import shared_path

ZIPS = ["central_default.zip", "central_split.zip", "central_nogroups.zip", "central_split_nogroups.zip"]


@pytest.mark.parametrize("name", ZIPS)
def test_every_central_zip_loads_with_its_repeat(perception, exports, name):
    data = st.load(exports(name), perception)
    assert data.format == "odk-central-zip"
    f = data.frame
    assert f["_record_id"].tolist() == [
        "uuid:11111111-1111-4111-8111-111111111111",
        "uuid:22222222-2222-4222-8222-222222222222",
    ]
    assert f["_submission_time"].iloc[0] == pd.Timestamp("2024-05-01 09:15:00.123", tz="UTC")
    assert f["_form_version"].tolist() == ["2024010101"] * 2
    assert f["_review_status"].tolist()[0] == "approved" and pd.isna(f["_review_status"].iloc[1])
    assert f["location"].iloc[0] == "12.3456 -1.2345 250.5 4.8"  # rebuilt from the -Latitude... columns
    assert data.children["hh_member"]["member_age"].tolist() == [34, 9]
    assert {"KEY", "SubmitterID", "ReviewState"} <= set(data.extra.columns)
    assert not data.problems.warnings


def test_split_columns_zeros_are_not_trusted_and_unseen_choices_are_re_expanded(perception, exports):
    data = st.load(exports("central_split.zip"), perception)
    f = data.frame
    # Central wrote 0 in resp-services/health for the skipped row: the empty summary wins
    assert f.loc[1, ["services/health", "services/education", "services/water"]].isna().all()
    # 'education' was never chosen so Central has no column for it; it is re-expanded from the form
    assert f["services/education"].tolist() == [False, pd.NA]


def test_central_csv_root_picks_up_sibling_repeat_files(tmp_path, perception, exports):
    with zipfile.ZipFile(exports("central_default.zip")) as zf:
        zf.extractall(tmp_path)
    data = st.load(tmp_path / "perception_survey.csv", perception)
    assert data.format == "odk-central-csv"
    assert data.children["hh_member"]["member_name"].tolist() == ["Amina", "Bakari"]


def test_central_csv_without_key_column_is_not_mistaken_for_central(tmp_path, perception):
    path = tmp_path / "plain.csv"
    path.write_text(
        "today,deviceid,age,feels_safe,services,location,KEY\n2024-05-01,d1,34,yes,water,,k1\n",
        encoding="utf-8",
    )
    data = st.load(path, perception)
    assert data.format == "csv"
    assert data.frame["age"].iloc[0] == 34


def test_nested_repeats_link_through_parent_key(tmp_path):
    from survey_toolkit.instrument import Group, Instrument, Question

    ins = Instrument(
        "N",
        "nested",
        "1",
        None,
        ("default",),
        (
            Question("village", "text"),
            Question("hh_name", "text", ("hh",), repeat="hh"),
            Question("person", "text", ("hh", "member"), repeat="member"),
        ),
        {},
        (Group("hh", ("hh",), repeat=True), Group("member", ("hh", "member"), repeat=True)),
    )
    root = "SubmissionDate,village,meta-instanceID,KEY,ReviewState\n2024-01-01T00:00:00Z,A,uuid:r1,uuid:r1,\n"
    hh = "hh_name,PARENT_KEY,KEY\nH1,uuid:r1,uuid:r1/hh[1]\nH2,uuid:r1,uuid:r1/hh[2]\n"
    member = "person,PARENT_KEY,KEY\nP1,uuid:r1/hh[2],uuid:r1/hh[2]/member[1]\n"
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("nested.csv", root)
        zf.writestr("nested-hh.csv", hh)
        zf.writestr("nested-member.csv", member)
    data = st.load(path, ins)
    members = data.children["member"]
    assert members["_record_id"].tolist() == ["uuid:r1"]
    assert members["_parent_key"].tolist() == ["uuid:r1/hh[2]"]
    assert data.children["hh"]["hh_name"].tolist() == ["H1", "H2"]


def test_zip_of_csvs_where_every_table_has_parent_key_is_an_unknown_layout(tmp_path):
    path = tmp_path / "children_only.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a-hh.csv", "x,PARENT_KEY,KEY\n1,uuid:a,uuid:a/hh[1]\n")
    with pytest.raises(LoadError) as err:
        st.load(path)
    assert err.value.problems[0].code == "unknown-layout"


def test_real_central_export_loads_without_its_form():
    folder = "odk_central_csv_ruODK_floraquadrat"
    data = st.load(shared_path("real", folder, "build_Flora-Quadrat-0-4_1564384341.csv"))
    assert data.format == "odk-central-csv"
    assert len(data.frame) == 2
    assert data.frame["_record_id"].str.startswith("uuid:").all()
    assert data.frame["_submission_time"].notna().all()
    assert data.frame["location-corner1-Latitude"].dtype == "Float64"
    taxa = data.children["taxon_encounter"]
    assert len(taxa) == 7
    assert set(taxa["_record_id"]) <= set(data.frame["_record_id"])
    assert taxa["voucher_specimen_barcode"].dropna().str.startswith("0").all()  # leading zeros kept
    assert len(data.children["vegetation_stratum"]) == 7
    codes = [p.code for p in data.problems.warnings]
    assert "no-instrument" in codes
    # this older Central leaves out the empty last field (Status) on every row: read, with a warning
    assert "trailing-fields-missing" in codes


@pytest.mark.parametrize("folder", ["odk_central_csv_ruODK_floraquadrat", "kobo_xlsx_export_kobocruncher"])
def test_every_real_kobo_and_odk_file_loads_or_fails_with_a_located_problem(folder):
    from survey_toolkit.errors import SurveyToolkitError

    for path in sorted(shared_path("real", folder).iterdir()):
        try:
            data = st.load(path)
        except SurveyToolkitError as err:  # e.g. the .odkbuild JSON and the XForm XML
            assert err.problems and all(p.location.file for p in err.problems), path.name
            assert all(p.hint for p in err.problems), path.name
        else:
            assert len(data.frame.columns) > 0, path.name
