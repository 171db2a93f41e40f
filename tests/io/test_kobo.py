"""KoBoToolbox exports: XLSX and CSV, XML and label headers, groups, select_multiple layouts, repeats."""

from __future__ import annotations

import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit.errors import LoadError
from survey_toolkit.instrument import Choice, ChoiceList, Group, Instrument, Question
from tests.conftest import shared_path
from tests.io.conftest import instrument_from_xlsform

META = [
    "_id",
    "_uuid",
    "_submission_time",
    "_validation_status",
    "_status",
    "_submitted_by",
    "__version__",
    "_index",
]


def _csv(path, header, rows, sep=";"):
    def q(c):
        return '"' + str(c).replace('"', '""') + '"'

    lines = [sep.join(q(c) for c in header)] + [sep.join(q(c) for c in r) for r in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def _meta(i: int, version: str = "v1") -> list[str]:
    return [
        str(1000 + i),
        f"uuid-{i}",
        "2024-05-01T10:15:00",
        "",
        "submitted_via_web",
        "enum1",
        version,
        str(i),
    ]


def test_kobo_xlsx_xml_reads_excel_dates_numbers_and_the_repeat_sheet(perception, exports):
    data = st.load(exports("kobo_xml.xlsx"), perception)
    assert data.format == "kobo-xlsx"
    f = data.frame
    assert f["start"].tolist() == [pd.Timestamp("2024-05-01 12:01:02"), pd.Timestamp("2024-05-02 12:01:02")]
    assert f["start/utc_offset"].isna().all()  # KoBo XLSX drops the time zone
    assert f["_submission_time"].iloc[0] == pd.Timestamp("2024-05-01 10:15", tz="UTC")
    assert f["_source_row"].tolist() == [2, 3]
    members = data.children["hh_member"]
    assert members["_record_id"].tolist() == [f["_record_id"].iloc[0]] * 2
    assert members["_source_row"].tolist() == [2, 3]
    assert "_index" in data.extra.columns and "_notes" in data.extra.columns
    assert not data.problems.warnings


def test_label_headers_are_detected_and_mapped_back_to_names(perception, exports):
    data = st.load(exports("kobo_labels_en_groups.csv"), perception)
    f = data.frame
    assert {"age", "feels_safe", "services/health", "location/latitude"} <= set(f.columns)
    assert f["feels_safe"].tolist() == ["yes", "no"]  # label values decoded to codes
    assert data.labels("feels_safe", "Français (fr)") == {"yes": "Oui", "no": "Non"}
    assert data.question_label("age", "English (en)") == "Age"
    assert data.select_multiple_columns["services"] == [
        "services/health",
        "services/education",
        "services/water",
    ]


def test_french_label_summary_without_dummies_is_split_back_by_label(tmp_path, perception):
    header = ["start", "Âge", "Vous sentez-vous en sécurité ?", "Quels services utilisez-vous ?", *META]
    rows = [
        ["2024-05-01", "34", "Oui", "Santé Eau", *_meta(1)],
        ["2024-05-01", "40", "Non", "Éducation", *_meta(2)],
        ["2024-05-01", "61", "Non", "", *_meta(3)],
    ]
    data = st.load(_csv(tmp_path / "fr.csv", header, rows), perception, min_match=0.3)
    f = data.frame
    assert f["feels_safe"].tolist() == ["yes", "no", "no"]
    assert f["services"].tolist()[:2] == ["health water", "education"]
    assert f["services/water"].tolist() == [True, False, pd.NA]


def test_dot_group_separator_and_details_only_dummies(tmp_path, perception):
    header = [
        "resp.age",
        "resp.feels_safe",
        "resp.services.health",
        "resp.services.education",
        "resp.services.water",
        *META,
    ]
    rows = [["34", "yes", "1", "0", "1", *_meta(1)], ["61", "no", "", "", "", *_meta(2)]]
    data = st.load(_csv(tmp_path / "dots.csv", header, rows), perception, min_match=0.3)
    f = data.frame
    assert f["services"].tolist() == ["health water", pd.NA]
    assert f["services/education"].tolist() == [False, pd.NA]


@pytest.mark.parametrize(("yes", "no"), [("True", "False"), ("TRUE", "FALSE"), ("1.0", "0.0"), ("1", "0")])
def test_legacy_dummy_spellings_without_summary(tmp_path, perception, yes, no):
    header = [
        "resp/age",
        "resp/feels_safe",
        "resp/services/health",
        "resp/services/education",
        "resp/services/water",
        *META,
    ]
    rows = [["34", "yes", yes, no, yes, *_meta(1)], ["61", "no", no, no, no, *_meta(2)]]
    data = st.load(_csv(tmp_path / "legacy.csv", header, rows, sep=","), perception, min_match=0.3)
    f = data.frame
    assert f["services/health"].tolist() == [True, pd.NA]  # nothing selected = unanswered
    assert f["services"].iloc[0] == "health water"


def test_summary_and_dummies_that_disagree_are_reported(tmp_path, perception):
    # issue 9: the summary used to win silently; now the 0/1 columns win by default (cleaning steps edit
    # them), the row is reported, and select_multiple_source='summary' restores the summary
    header = [
        "age",
        "feels_safe",
        "services",
        "services/health",
        "services/education",
        "services/water",
        *META,
    ]
    rows = [["34", "yes", "water", "1", "1", "0", *_meta(1)]]
    path = _csv(tmp_path / "conflict.csv", header, rows)
    data = st.load(path, perception, min_match=0.3)
    columns = ["services/health", "services/education", "services/water"]
    assert data.frame.loc[0, columns].tolist() == [True, True, False]
    assert next(p for p in data.problems if p.code == "select-multiple-disagree").count == 1
    summary = st.load(path, perception, min_match=0.3, select_multiple_source="summary")
    assert summary.frame.loc[0, columns].tolist() == [False, False, True]


def test_record_id_falls_back_from_root_uuid_to_uuid_to_id(tmp_path, perception):
    header = ["age", "feels_safe", "_id", "_uuid", "_submission_time", "__version__", "meta/rootUuid"]
    rows = [
        ["34", "yes", "1", "aaa", "2024-05-01T10:15:00", "v1", "uuid:root-a"],
        ["35", "yes", "2", "bbb", "2024-05-01T10:15:00", "v1", ""],
        ["36", "no", "3", "", "2024-05-01T10:15:00", "v2", ""],
    ]
    data = st.load(_csv(tmp_path / "ids.csv", header, rows), perception, min_match=0.2)
    assert data.frame["_record_id"].tolist() == ["uuid:root-a", "uuid:bbb", "3"]
    assert data.frame["_form_version"].tolist() == ["v1", "v1", "v2"]


def test_excel_serial_dates_in_text_are_converted_with_the_1900_system(tmp_path, perception):
    header = ["start", "today", "age", "feels_safe", *META]
    rows = [["45413.50071759259", "45413", "34", "yes", *_meta(1)]]
    data = st.load(_csv(tmp_path / "serial.csv", header, rows), perception, min_match=0.2)
    assert data.frame["start"].iloc[0] == pd.Timestamp("2024-05-01 12:01:02")
    assert data.frame["today"].iloc[0] == pd.Timestamp("2024-05-01")


def test_unknown_columns_go_to_extra_and_missing_questions_are_reported(tmp_path, perception):
    header = ["age", "feels_safe", "services", "interviewer_note", *META]
    rows = [["34", "yes", "health", "free text", *_meta(1)]]
    data = st.load(_csv(tmp_path / "extra.csv", header, rows), perception, min_match=0.3)
    codes = {p.code: p for p in data.problems}
    assert "interviewer_note" in codes["columns-not-in-instrument"].message
    assert data.extra["interviewer_note"].iloc[0] == "free text"
    missing = codes["questions-missing-from-export"]
    assert "location" in missing.message and "start" in missing.message
    assert data.frame["location/latitude"].isna().all()  # kept as typed empty columns
    assert str(data.frame["start"].dtype) == "datetime64[ns]"


def test_values_outside_the_choice_list_are_kept_and_reported(tmp_path, perception):
    header = ["age", "feels_safe", "services", *META]
    rows = [["34", "maybe", "health fishing", *_meta(1)], ["x", "yes", "", *_meta(2)]]
    data = st.load(_csv(tmp_path / "bad.csv", header, rows), perception, min_match=0.3)
    f = data.frame
    assert f["feels_safe"].iloc[0] == "maybe"
    assert list(f["feels_safe"].cat.categories) == ["yes", "no", "maybe"]
    assert f["services"].iloc[0] == "health fishing"
    assert f["services/health"].iloc[0]
    messages = " ".join(p.message for p in data.problems)
    assert "'maybe'" in messages and "'fishing'" in messages
    bad_age = [p for p in data.problems if p.code == "bad-number"][0]
    assert bad_age.location.row == 3 and bad_age.count == 1
    assert pd.isna(f["age"].iloc[1])


def _other_instrument() -> Instrument:
    yn = ChoiceList("yn", (Choice("1", {"default": "Yes"}), Choice("2", {"default": "No"})))
    qs = tuple(Question(f"q{i}", "select_one", (), {"default": f"Q{i}"}, list_name="yn") for i in range(8))
    return Instrument("Other", "other_form", "1", None, ("default",), qs, {"yn": yn})


def test_export_that_does_not_match_the_instrument_names_the_share(perception, exports):
    with pytest.raises(LoadError) as err:
        st.load(exports("kobo_xml.csv"), _other_instrument())
    (problem,) = err.value.problems
    assert problem.code == "instrument-mismatch"
    assert "0 of 8 questions (0%)" in problem.message


def test_several_instruments_pick_the_matching_one_or_name_the_closest(perception, exports):
    data = st.load(exports("kobo_xml.csv"), [_other_instrument(), perception])
    assert data.instrument is perception
    with pytest.raises(LoadError) as err:
        st.load(exports("kobo_xml.csv"), [_other_instrument(), _other_instrument()])
    assert "closest is 'other_form'" in err.value.problems[0].message


def test_same_name_in_two_groups_without_group_paths_is_ambiguous(tmp_path):
    qs = (
        Question("age", "integer", ("g1",), {"default": "Age 1"}),
        Question("age", "integer", ("g2",), {"default": "Age 2"}),
        Question("name", "text", (), {"default": "Name"}),
    )
    groups = (Group("g1", ("g1",)), Group("g2", ("g2",)))
    ins = Instrument("T", "t", "1", None, ("default",), qs, {}, groups)
    bad = _csv(tmp_path / "nogroups.csv", ["age", "name", *META], [["3", "x", *_meta(1)]])
    with pytest.raises(LoadError) as err:
        st.load(bad, ins)
    assert err.value.problems[0].code == "ambiguous-header"
    assert "g1/age" in err.value.problems[0].message and "g2/age" in err.value.problems[0].message
    good = _csv(tmp_path / "groups.csv", ["g1/age", "g2/age", "name", *META], [["3", "4", "x", *_meta(1)]])
    f = st.load(good, ins).frame
    assert f["g1/age"].iloc[0] == 3 and f["g2/age"].iloc[0] == 4


def test_without_instrument_loads_names_and_warns(exports):
    data = st.load(exports("kobo_xml.csv"))
    assert data.problems.warnings[0].code == "no-instrument"
    assert data.frame["age"].tolist() == [34, 61]
    assert data.frame["_record_id"].iloc[0].startswith("uuid:")


def test_real_kobocruncher_export_with_dot_groups_and_members_sheet():
    folder = "kobo_xlsx_export_kobocruncher"
    ins = instrument_from_xlsform(shared_path("real", folder, "sample_xlsform.xlsx"))
    data = st.load(shared_path("real", folder, "data.xlsx"), ins)
    f = data.frame
    assert len(f) == 5
    assert f["reason/safety"].dtype == "boolean"
    assert f["_record_id"].notna().all() and f["_record_id"].is_unique
    members = data.children["members"]
    assert len(members) == 12
    assert set(members["_record_id"]) <= set(f["_record_id"])
    assert {"age", "sex"} <= set(members.columns)
    assert pd.api.types.is_datetime64_any_dtype(f["_submission_time"])


def test_real_kobocruncher_likert_export():
    folder = "kobo_xlsx_export_kobocruncher"
    ins = instrument_from_xlsform(shared_path("real", folder, "form_likert.xlsx"))
    data = st.load(shared_path("real", folder, "data_likert.xlsx"), ins)
    assert len(data.frame) == 120
    assert isinstance(data.frame["violence"].dtype, pd.CategoricalDtype)
    assert data.frame["violence"].notna().sum() > 100


def test_several_form_versions_are_kept_apart_and_reported(tmp_path, perception):
    header = ["age", "feels_safe", "services", *META]
    rows = [
        ["34", "yes", "health", *_meta(1, "vA")],
        ["35", "no", "", *_meta(2, "vB")],
        ["36", "no", "", *_meta(3, "vB")],
    ]
    data = st.load(_csv(tmp_path / "versions.csv", header, rows), perception, min_match=0.3)
    assert data.frame["_form_version"].tolist() == ["vA", "vB", "vB"]
    (info,) = [p for p in data.problems if p.code == "several-form-versions"]
    assert "vB (2 rows)" in info.message and "vA (1 rows)" in info.message


def test_id_column_option_forces_the_record_id(tmp_path, perception):
    header = ["age", "feels_safe", "hh_code", *META]
    rows = [["34", "yes", "HH-9", *_meta(1)]]
    data = st.load(_csv(tmp_path / "idcol.csv", header, rows), perception, min_match=0.2, id_column="hh_code")
    assert data.frame["_record_id"].tolist() == ["HH-9"]


def test_real_msna_2024_multi_sheet_export_links_its_four_repeats():
    folder = "reach_humind_msna2024_tool"
    ins = instrument_from_xlsform(shared_path("real", folder, "REACH_2024_MSNA-kobo-tool_draft_v11.xlsx"))
    data = st.load(shared_path("real", folder, "dummy_raw_data.xlsx"), ins)
    assert data.frame.shape[0] == 241
    assert set(data.children) == {"roster", "edu_ind", "health_ind", "nut_ind"}
    for table in data.children.values():
        assert len(table) == 965
        assert table["_record_id"].isin(data.frame["_record_id"]).all()
    sm = data.select_multiple_columns
    assert "aap_priority_challenge/food" in sm["aap_priority_challenge"]
    assert data.frame["aap_priority_challenge/food"].dtype == "boolean"


def test_instrument_given_as_a_path_is_read(exports):
    data = st.load(exports("kobo_xml.csv"), instrument=exports("perception_survey.xlsx"))
    assert data.instrument is not None and data.instrument.form_id == "perception_survey"
    assert data.frame["feels_safe"].tolist() == ["yes", "no"]


def test_custom_group_separator_and_media_url_columns(tmp_path):
    qs = (
        Question("age", "integer", ("resp",), {"default": "Age"}),
        Question("photo", "image", ("resp",), {"default": "Photo"}),
        Question("name", "text", (), {"default": "Name"}),
    )
    ins = Instrument("T", "t", "1", None, ("default",), qs, {}, (Group("resp", ("resp",)),))
    header = ["resp|age", "resp|photo", "resp|photo_URL", "name", *META]
    path = _csv(tmp_path / "sep.csv", header, [["40", "a.jpg", "https://x/a.jpg", "n", *_meta(1)]])
    data = st.load(path, ins, group_sep="|")
    assert data.frame["age"].iloc[0] == 40 and data.frame["photo"].iloc[0] == "a.jpg"
    assert "resp|photo_URL" in data.extra.columns
    assert not [p for p in data.problems if p.code == "columns-not-in-instrument"]


def test_nested_repeat_sheets_chain_parent_index_to_index(tmp_path):
    import openpyxl

    qs = (
        Question("village", "text"),
        Question("hh_name", "text", ("hh",), repeat="hh"),
        Question("person", "text", ("hh", "member"), repeat="member"),
    )
    groups = (Group("hh", ("hh",), repeat=True), Group("member", ("hh", "member"), repeat=True))
    ins = Instrument("Nested", "nested", "1", None, ("default",), qs, {}, groups)
    wb = openpyxl.Workbook()
    main = wb.active
    main.title = "Nested"
    main.append(["village", "_id", "_uuid", "_submission_time", "_index"])
    main.append(["A", 1, "u-a", "2024-01-01T00:00:00", 1])
    main.append(["B", 2, "u-b", "2024-01-01T00:00:00", 2])
    hh = wb.create_sheet("hh")
    hh.append(["hh/hh_name", "_index", "_parent_table_name", "_parent_index", "_submission__uuid"])
    for i, (name, parent) in enumerate([("H1", 1), ("H2", 2), ("H3", 2)], start=1):
        hh.append([name, i, "Nested", parent, "u-a" if parent == 1 else "u-b"])
    member = wb.create_sheet("member")
    member.append(["hh/member/person", "_index", "_parent_table_name", "_parent_index", "_submission__uuid"])
    member.append(["P1", 1, "hh", 3, "u-b"])
    member.append(["P2", 2, "hh", 3, "u-b"])
    path = tmp_path / "nested.xlsx"
    wb.save(path)
    data = st.load(path, ins)
    hhs = data.children["hh"]
    assert hhs["_record_id"].tolist() == ["uuid:u-a", "uuid:u-b", "uuid:u-b"]
    assert hhs["_key"].tolist() == ["uuid:u-a/hh[1]", "uuid:u-b/hh[1]", "uuid:u-b/hh[2]"]
    members = data.children["member"]
    assert members["_parent_key"].tolist() == ["uuid:u-b/hh[2]"] * 2
    assert members["_record_id"].tolist() == ["uuid:u-b"] * 2
    assert members["_key"].tolist() == ["uuid:u-b/hh[2]/member[1]", "uuid:u-b/hh[2]/member[2]"]
    assert members["person"].tolist() == ["P1", "P2"]


def test_r_read_csv_spellings_of_a_kobo_export(tmp_path, perception):
    header = [
        "X.U.FEFF.start",
        "resp.age",
        "resp.feels_safe",
        "resp.services",
        "resp.services.health",
        "resp.services.education",
        "resp.services.water",
        "X_id",
        "X_uuid",
        "X_submission_time",
        "X__version__",
        "X_index",
        "meta.rootUuid",
    ]
    rows = [
        [
            "2024-05-01",
            "34",
            "yes",
            "health",
            "TRUE",
            "FALSE",
            "FALSE",
            "1",
            "u1",
            "2024-05-01T10:15:00",
            "v1",
            "1",
            "uuid:r1",
        ]
    ]
    data = st.load(_csv(tmp_path / "r.csv", header, rows, sep=","), perception, min_match=0.3)
    assert data.format == "kobo-csv"
    f = data.frame
    assert f["_record_id"].iloc[0] == "uuid:r1" and f["_form_version"].iloc[0] == "v1"
    assert f["age"].iloc[0] == 34 and f["services/health"].iloc[0]
    assert f["start"].iloc[0] == pd.Timestamp("2024-05-01")


def test_kobo_csv_says_repeats_need_the_xlsx_export(perception, exports):
    data = st.load(exports("kobo_xml.csv"), perception)
    (info,) = [p for p in data.problems if p.code == "repeats-not-in-export"]
    assert "hh_member" in info.message and "XLSX" in info.hint
    assert dict(data.children) == {}
