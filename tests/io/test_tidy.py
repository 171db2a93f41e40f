"""The shared tidy step: header matching from generated candidates and typing from the instrument."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from survey_toolkit.instrument import Choice, ChoiceList, Group, Instrument, Question
from survey_toolkit.io.headers import match_headers, normalise_header
from survey_toolkit.io.tidy import tidy_frame
from survey_toolkit.io.values import canonical_code, to_datetime, to_flags

AGREE = ChoiceList(
    "agree",
    tuple(
        Choice(c, {"en": lbl})
        for c, lbl in [("1", "Agree"), ("2", "Disagree"), ("98", "Don't know"), ("99", "Refused")]
    ),
)
MODES = ChoiceList("modes", tuple(Choice(c, {"en": c.title()}) for c in ["bus", "car", "foot"]))


def _instrument() -> Instrument:
    qs = (
        Question("when", "dateTime", ("sec-a",), {"en": "When"}),
        Question("day", "date", ("sec-a",), {"en": "Day"}),
        Question("safe.night", "select_one", ("sec-a",), {"en": "Safe at night"}, list_name="agree"),
        Question("modes", "select_multiple", ("sec-a",), {"en": "Modes"}, list_name="modes"),
        Question("spot", "geopoint", (), {"en": "Spot"}),
        Question("n", "integer", (), {"en": "N"}),
        Question("w", "decimal", (), {"en": "W"}),
        Question("note1", "note", (), {"en": "A note"}),
    )
    return Instrument(
        "T",
        "t",
        "1",
        "en",
        ("en",),
        qs,
        {"agree": AGREE, "modes": MODES},
        (Group("sec-a", ("sec-a",), {"en": "Section A"}),),
    )


def _tidy(raw: pd.DataFrame, **kw):
    return tidy_frame(raw, _instrument(), source_file="mem.csv", source_format="csv", **kw)


def test_numeric_looking_codes_are_canonical_strings():
    raw = pd.DataFrame({"sec-a/safe.night": [1.0, "2", "98.0", " 99 ", "", None], "n": [1, 2, 3, 4, 5, 6]})
    col = _tidy(raw, min_match=0.1).frame["safe.night"]
    assert col.tolist()[:4] == ["1", "2", "98", "99"]
    assert col.isna().tolist()[4:] == [True, True]
    assert list(col.cat.categories) == ["1", "2", "98", "99"]
    assert canonical_code(2.5) == "2.5" and canonical_code("007") == "007"


def test_names_with_dashes_and_dots_match_without_splitting_headers():
    headers = [
        "sec-a-safe.night",
        "sec-a/modes/bus",
        "sec-a.modes.car",
        "spot-Latitude",
        "_spot_longitude",
        "n",
    ]
    m = match_headers(headers, _instrument())
    assert m.mapping["sec-a-safe.night"].question == "safe.night"
    assert m.mapping["sec-a/modes/bus"].part == "bus"
    assert m.mapping["sec-a.modes.car"].part == "car"
    assert m.mapping["spot-Latitude"].part == "latitude"
    assert m.mapping["_spot_longitude"].part == "longitude"


def test_r_mangled_headers_match_loosely():
    m = match_headers(["X.U.FEFF.n", "sec.a.safe.night", "W"], _instrument())
    assert {h: t.question for h, t in m.mapping.items()} == {
        "X.U.FEFF.n": "n",
        "sec.a.safe.night": "safe.night",
        "W": "w",
    }
    assert set(m.loose) == {"X.U.FEFF.n", "sec.a.safe.night"}  # "W" is the label of w
    assert normalise_header("X_uuid") == "uuid"


def test_label_headers_in_the_form_language():
    m = match_headers(["Section A/Safe at night", "Section A/Modes/Bus", "N"], _instrument())
    assert m.mode == "label" and m.language == "en"
    assert m.mapping["Section A/Modes/Bus"].part == "bus"


@pytest.mark.parametrize(
    ("value", "expected", "offset"),
    [
        ("2024-05-01T12:01:02.000+03:00", "2024-05-01 12:01:02", 180),
        ("2024-05-01T12:01:02Z", "2024-05-01 12:01:02", 0),
        ("2024-05-01T12:01:02-0530", "2024-05-01 12:01:02", -330),
        ("2024-07-30T15:50:17+0200", "2024-07-30 15:50:17", 120),
        ("2024-05-01 12:01:02", "2024-05-01 12:01:02", None),
        (45413.50071759259, "2024-05-01 12:01:02", None),
        (dt.datetime(2024, 5, 1, 12, 1, 2), "2024-05-01 12:01:02", None),
    ],
)
def test_datetimes_from_iso_offsets_serials_and_cells(value, expected, offset):
    local, off, bad = to_datetime(pd.Series([value], dtype=object), "datetime")
    assert local.iloc[0] == pd.Timestamp(expected)
    assert pd.isna(off.iloc[0]) if offset is None else off.iloc[0] == offset
    assert not bad.any()


def test_dates_and_bad_dates():
    local, _, bad = to_datetime(pd.Series(["2024-05-01", dt.date(2024, 5, 2), "45413", "soon", ""]), "date")
    assert local.tolist()[:3] == [
        pd.Timestamp("2024-05-01"),
        pd.Timestamp("2024-05-02"),
        pd.Timestamp("2024-05-01"),
    ]
    assert bad.tolist() == [False, False, False, True, False]


def test_dummy_spellings():
    flags, bad = to_flags(
        pd.Series([1, 0, 1.0, 0.0, True, False, "1", "0", "TRUE", "False", "", None, "x"], dtype=object)
    )
    assert flags.tolist()[:10] == [True, False] * 5
    assert flags.isna().tolist()[10:] == [True, True, True]
    assert bad.tolist()[-1] is True or bool(bad.iloc[-1])


def test_geopoint_from_the_raw_value_only():
    raw = pd.DataFrame({"spot": ["1.5 2.5 100 5", "1 2", ""], "n": [1, 2, 3]})
    f = _tidy(raw, min_match=0.1).frame
    assert f["spot/latitude"].tolist()[:2] == [1.5, 1.0]
    assert pd.isna(f["spot/altitude"].iloc[1])
    assert f["spot"].tolist()[:2] == ["1.5 2.5 100 5", "1 2"]
    assert pd.isna(f["spot"].iloc[2])


def test_numbers_and_integer_columns_with_fractions_fall_back_to_float():
    raw = pd.DataFrame({"n": ["1", "2", ""], "w": ["1.5", "x", "3"]})
    data = _tidy(raw, min_match=0.1)
    assert str(data.frame["n"].dtype) == "Int64"
    assert str(data.frame["w"].dtype) == "Float64"
    assert pd.isna(data.frame["w"].iloc[1])
    (bad,) = [p for p in data.problems if p.code == "bad-number"]
    assert bad.location.field == "w" and bad.location.row == 3
    raw2 = pd.DataFrame({"n": [1.5, 2.0]})
    assert str(_tidy(raw2, min_match=0.1).frame["n"].dtype) == "Float64"


def test_metadata_columns_and_variables():
    raw = pd.DataFrame({"n": ["1", "2"], "uuid": ["a", "b"]})
    data = _tidy(raw, min_match=0.1, source_rows=pd.Series([5, 9]))
    f = data.frame
    assert f["_record_id"].tolist() == ["a", "b"]
    assert f["_source_row"].tolist() == [5, 9]
    assert f["_source_format"].iloc[0] == "csv"
    assert "uuid" not in [p.got for p in data.problems if p.code == "columns-not-in-instrument"]
    assert data.variables["modes/bus"].question == "modes"
    assert data.labels("safe.night", "en")["98"] == "Don't know"
    assert "note1" not in f.columns


def test_no_instrument_infers_numbers_and_keeps_text():
    raw = pd.DataFrame({"a": ["1", "2"], "b": ["x", "1"], "c": ["001", "002"], "KEY": ["k1", "k2"]})
    data = tidy_frame(raw, None, source_file="m.csv", source_format="csv", platform="odk")
    f = data.frame
    assert (
        str(f["a"].dtype) == "Int64" and str(f["b"].dtype) == "string" and f["c"].tolist() == ["001", "002"]
    )
    assert f["_record_id"].tolist() == ["k1", "k2"]
    assert "KEY" in data.extra.columns


def test_vectorised_typing_is_linear_enough():
    n = 20000
    rng = np.random.default_rng(1)
    raw = pd.DataFrame(
        {
            "sec-a/safe.night": rng.choice(["1", "2", "98", ""], n),
            "sec-a/modes": rng.choice(["bus", "car foot", "", "bus foot"], n),
            "sec-a/when": "2024-05-01T12:01:02.000+03:00",
            "n": rng.integers(0, 100, n).astype(str),
        }
    )
    f = _tidy(raw, min_match=0.1).frame
    assert len(f) == n and f["modes/foot"].notna().sum() == (raw["sec-a/modes"] != "").sum()


def test_select_one_from_a_categorical_column_decodes_only_observed_categories():
    from survey_toolkit.io.values import to_select_one

    raw = pd.Series(pd.Categorical(["1", None, "98", "1"], categories=["1", "2", "98", "97"]))
    col, unknown = to_select_one(raw, ["1", "2", "98", "99"])
    assert col.tolist()[0] == "1" and pd.isna(col.iloc[1]) and col.tolist()[2:] == ["98", "1"]
    assert unknown == []  # '97' is a category nobody answered
    col, unknown = to_select_one(pd.Series(pd.Categorical([1.0, 5.0])), ["1", "2"])
    assert col.tolist() == ["1", "5"] and unknown == ["5"]


def test_review_status_is_translated_on_distinct_values():
    from survey_toolkit.io.tidy import build_metadata

    raw = pd.DataFrame(
        {"_uuid": ["a", "b", "c"], "_validation_status": ["validation_status_approved", "", "On Hold"]}
    )
    meta, _ = build_metadata(raw, platform="kobo", source_file="x.csv", source_format="kobo-csv")
    assert (
        meta["_review_status"].tolist()[0] == "approved" and meta["_review_status"].tolist()[2] == "on_hold"
    )
    assert pd.isna(meta["_review_status"].iloc[1]) and str(meta["_review_status"].dtype) == "string"
    empty, _ = build_metadata(
        raw.assign(_validation_status=None), platform="kobo", source_file="x", source_format="k"
    )
    assert empty["_review_status"].isna().all()


def test_codes_outside_the_list_name_the_rows_and_the_fix():
    raw = pd.DataFrame(
        {"sec-a/safe.night": ["1", "7", "2", "7"], "sec-a/modes": ["bus", "bus taxi", "", "car"]}
    )
    problems = [p for p in _tidy(raw, min_match=0.1).problems if p.code == "value-not-in-choices"]
    many, one = sorted(problems, key=lambda p: p.location.field)
    assert one.location.field == "sec-a/safe.night" and one.location.row == 3 and one.count == 2
    assert "'7'" in one.message and "2 row(s), first at row 3" in one.message
    assert one.expected.startswith("one of 1, 2, 98, 99") and one.got == "7"
    assert "add the code to the list 'agree'" in one.hint
    assert many.location.row == 3 and many.count == 1 and "'taxi'" in many.message


def test_several_form_versions_say_what_was_expected():
    raw = pd.DataFrame({"sec-a/safe.night": ["1", "2"], "n": ["1", "2"], "__version__": ["v1", "v2"]})
    (p,) = [p for p in _tidy(raw, min_match=0.1).problems if p.code == "several-form-versions"]
    assert p.expected.startswith("one form version") and p.got == "v1, v2" and "rows are kept" in p.hint
