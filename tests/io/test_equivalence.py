"""Every KoBo and ODK Central layout of the same two submissions gives the same tidy frame."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

import survey_toolkit as st
from survey_toolkit.io.base import SOURCE_COLUMNS

LAYOUTS = [
    "kobo_xml.csv",
    "kobo_labels_en_groups.csv",
    "kobo_xml.xlsx",
    "kobo_labels_en.xlsx",
    "central_default.zip",
    "central_split.zip",
    "central_nogroups.zip",
    "central_split_nogroups.zip",
]

#: Metadata whose fixture values differ by platform (KoBo's server time / version uid vs Central's).
PLATFORM_SPECIFIC = ["_submission_time", "_form_version"]

#: KoBo XLSX with "store date and number responses as text" off drops the time zone (formats.md §1.9).
NO_OFFSET_LAYOUTS = {"kobo_xml.xlsx"}


def _comparable(data: st.SurveyData, drop_offsets: bool) -> pd.DataFrame:
    frame = data.frame.drop(columns=[*SOURCE_COLUMNS, *PLATFORM_SPECIFIC])
    if drop_offsets:
        frame = frame.drop(columns=[c for c in frame.columns if c.endswith("/utc_offset")])
    return frame


def test_all_kobo_and_odk_layouts_give_equal_tidy_frames(perception, exports):
    loaded = {name: st.load(exports(name), perception) for name in LAYOUTS}
    reference = loaded["kobo_xml.csv"]
    for name, data in loaded.items():
        drop = name in NO_OFFSET_LAYOUTS
        pd.testing.assert_frame_equal(
            _comparable(data, drop), _comparable(reference, drop), check_exact=True, obj=name
        )
        assert not [p for p in data.problems if p.severity.value != "info"], (
            name,
            [str(p) for p in data.problems],
        )
        if "hh_member" in data.children:
            pd.testing.assert_frame_equal(
                data.children["hh_member"].drop(columns="_source_row"),
                loaded["kobo_xml.xlsx"].children["hh_member"].drop(columns="_source_row"),
                obj=f"{name} hh_member",
            )
        else:
            assert name.endswith(".csv")  # KoBo CSV exports carry no repeat data

    f = reference.frame
    first, second = f.iloc[0], f.iloc[1]
    # submission 1
    assert first["_record_id"] == "uuid:11111111-1111-4111-8111-111111111111"
    assert first["age"] == 34 and first["feels_safe"] == "yes"
    assert first["services"] == "health water"
    assert [first["services/health"], first["services/education"], first["services/water"]] == [
        True,
        False,
        True,
    ]
    assert first["location"] == "12.3456 -1.2345 250.5 4.8"
    assert [first[f"location/{p}"] for p in ("latitude", "longitude", "altitude", "precision")] == [
        12.3456,
        -1.2345,
        250.5,
        4.8,
    ]
    assert first["start"] == pd.Timestamp("2024-05-01 12:01:02") and first["start/utc_offset"] == 180
    assert first["today"] == pd.Timestamp("2024-05-01")
    assert first["_review_status"] == "approved"
    # submission 2: services skipped -> NA everywhere (never Central's 0s), no GPS
    assert second["age"] == 61 and second["feels_safe"] == "no"
    assert pd.isna(second["services"])
    assert f.loc[1, ["services/health", "services/education", "services/water"]].isna().all()
    assert pd.isna(second["location"]) and pd.isna(second["location/latitude"])
    # dtypes
    assert str(f["age"].dtype) == "Int64"
    assert isinstance(f["feels_safe"].dtype, pd.CategoricalDtype)
    assert list(f["feels_safe"].cat.categories) == ["yes", "no"]
    assert str(f["services/water"].dtype) == "boolean"
    assert str(f["location/latitude"].dtype) == "Float64"
    assert str(f["start"].dtype) == "datetime64[ns]"
    assert str(f["_submission_time"].dtype) == "datetime64[ns, UTC]"
    members = loaded["central_default.zip"].children["hh_member"]
    assert members["member_name"].tolist() == ["Amina", "Bakari"]
    assert members["member_age"].tolist() == [34, 9]
    assert (members["_record_id"] == first["_record_id"]).all()
    assert members["_key"].tolist() == [
        "uuid:11111111-1111-4111-8111-111111111111/hh_member[1]",
        "uuid:11111111-1111-4111-8111-111111111111/hh_member[2]",
    ]


@pytest.fixture(scope="module")
def kobo_lines(tmp_path_factory):
    """A 12-row KoBo CSV built from the fixture's two rows with fresh uuids."""
    from tests.conftest import shared_path

    lines = shared_path("exports", "kobo_xml.csv").read_text(encoding="utf-8").splitlines()
    header, body = lines[0], lines[1:]
    rows = []
    for i in range(12):
        src = body[i % 2]
        rows.append(
            src.replace("1111-4111-8111-111111111111", f"1111-4111-8111-{i:012d}").replace(
                "2222-4222-8222-222222222222", f"2222-4222-8222-{i:012d}"
            )
        )
    return header, rows


@pytest.fixture(scope="module")
def straight_rows(tmp_path_factory, perception, kobo_lines):
    header, rows = kobo_lines
    path = tmp_path_factory.mktemp("straight") / "straight.csv"
    path.write_text("\r\n".join([header, *rows]) + "\r\n", encoding="utf-8")
    return _sorted_rows(st.load(path, perception))


def _sorted_rows(data: st.SurveyData) -> pd.DataFrame:
    frame = data.frame.drop(columns=list(SOURCE_COLUMNS))
    return frame.sort_values("_record_id").reset_index(drop=True)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=hst.permutations(list(range(12))))
def test_row_order_of_the_export_does_not_change_the_tidy_rows(
    tmp_path_factory, perception, kobo_lines, straight_rows, order
):
    header, rows = kobo_lines
    shuffled = tmp_path_factory.mktemp("order") / "shuffled.csv"
    shuffled.write_text("\r\n".join([header, *[rows[i] for i in order]]) + "\r\n", encoding="utf-8")
    pd.testing.assert_frame_equal(_sorted_rows(st.load(shuffled, perception)), straight_rows)
