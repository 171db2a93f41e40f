"""SPSS (.sav/.zsav/.por) and Stata (.dta) loading: codes, labels, user-missing values, errors."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import survey_toolkit
from survey_toolkit.errors import LoadError
from survey_toolkit.instrument import Choice, ChoiceList, Instrument, Question
from survey_toolkit.io.spss import canonical_code, read_spss, read_stata, sniff_file_kind

EDGE = "real/spss_edgecases_pyreadstat_haven"


# --------------------------------------------------------------------------------------------------
# helpers


def _perception_instrument(shared) -> Instrument:
    path = shared("exports", "perception_survey.xlsx")
    try:
        return survey_toolkit.read_instrument(path)
    except NotImplementedError:
        pytest.skip("read_instrument is not implemented yet")


def _coded_instrument() -> Instrument:
    """A tiny form with numeric codes (1 yes / 2 no / 98 don't know / 99 refused)."""
    yes_no = ChoiceList(
        "yn",
        (
            Choice("1", {"en": "Yes"}),
            Choice("2", {"en": "No"}),
            Choice("98", {"en": "Don't know"}),
            Choice("99", {"en": "Refused"}),
        ),
    )
    sexes = ChoiceList("sex", (Choice("f", {"en": "Female"}), Choice("m", {"en": "Male"})))
    qs = (
        Question("safe", "select_one", (), {"en": "Feel safe?"}, list_name="yn"),
        Question("sex", "select_one", (), {"en": "Sex"}, list_name="sex"),
        Question("age", "integer", (), {"en": "Age"}),
        Question("note", "text", (), {"en": "Note"}),
    )
    return Instrument("t", "t", "1", "en", ("en",), qs, {"yn": yes_no, "sex": sexes})


def _write_sav(path: Path, frame: pd.DataFrame, **kwargs) -> Path:
    pyreadstat.write_sav(frame, str(path), **kwargs)
    return path


def _listing(folder: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in folder.iterdir()}


def _cats(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series.astype(object)]


# --------------------------------------------------------------------------------------------------
# the fixture exports


@pytest.mark.parametrize("name", ["perception_survey.sav", "perception_survey.dta", "hh_member.dta"])
def test_every_export_loads_without_instrument(shared, name):
    path = shared("exports", name)
    reader = read_stata if name.endswith(".dta") else read_spss
    data = reader(path)
    assert len(data.frame) == 2
    assert Path(data.frame["_source_file"].iloc[0]).name == name
    assert not data.problems.errors


def test_sav_without_instrument_turns_value_labels_into_choice_lists(shared):
    data = read_spss(shared("exports", "perception_survey.sav"))
    assert _cats(data.frame["feels_safe"]) == ["1", "2"]
    assert dict(data.variables["feels_safe"].value_labels["default"]) == {"1": "Yes", "2": "No"}
    assert data.variables["feels_safe"].type == "select_one"
    assert dict(data.variables["age"].labels) == {"default": "Age"}
    # age is only partly labelled (-99 "Refused"): it stays numeric, the user-missing code kept
    assert data.frame["age"].tolist() == [34.0, -99.0]
    assert data.variables["age"].missing_codes == ("-99",)
    assert data.frame["comment"].iloc[0] == "Très bien" and pd.isna(data.frame["comment"].iloc[1])


@pytest.mark.parametrize("name", ["perception_survey.sav", "perception_survey.dta"])
def test_exports_with_instrument_give_the_documented_submissions(shared, name):
    form = _perception_instrument(shared)
    reader = read_stata if name.endswith(".dta") else read_spss
    data = reader(shared("exports", name), form)
    f = data.frame
    # submission 1: age 34, yes, health water, GPS 12.3456 -1.2345
    assert f["age"].iloc[0] == 34
    assert _cats(f["feels_safe"]) == ["yes", "no"]
    assert list(f["feels_safe"].cat.categories) == ["yes", "no"]
    assert f["services"].iloc[0] == "health water"
    assert [f[f"services/{c}"].iloc[0] for c in ("health", "education", "water")] == [True, False, True]
    assert f["location/latitude"].iloc[0] == pytest.approx(12.3456)
    assert f["location/longitude"].iloc[0] == pytest.approx(-1.2345)
    assert data.select_multiple_columns == {
        "services": ["services/health", "services/education", "services/water"]
    }
    assert data.labels("feels_safe", "Français (fr)") == {"yes": "Oui", "no": "Non"}
    codes = [p.code for p in data.problems]
    assert "codes-mapped-by-label" in codes


def test_sav_with_instrument_keeps_user_missing_and_system_missing_apart(shared):
    data = read_spss(shared("exports", "perception_survey.sav"), _perception_instrument(shared))
    f = data.frame
    assert f["age"].iloc[1] == -99  # user-missing "Refused" kept as its code
    assert data.variables["age"].missing_codes == ("-99",)
    assert data.labels("age") == {"-99": "Refused"}  # the file's label for a code outside any list
    um = [p for p in data.problems if p.code == "user-missing"]
    assert [(p.location.field, p.count) for p in um] == [("age", 1)]
    # submission 2 skipped services: the summary and every dummy are NA (system-missing)
    assert pd.isna(f["services"].iloc[1])
    assert all(pd.isna(f[f"services/{c}"].iloc[1]) for c in ("health", "education", "water"))
    assert f["start"].iloc[0] == pd.Timestamp("2024-05-01 12:01:02")
    assert f["today"].iloc[1] == pd.Timestamp("2024-05-02")
    assert list(data.extra.columns) == ["comment"]


def test_stata_survey_solutions_layout(shared):
    data = read_stata(shared("exports", "perception_survey.dta"), _perception_instrument(shared))
    f = data.frame
    assert pd.isna(f["age"].iloc[1])  # -999999999 "enabled but not answered" -> NA, reported
    (markers,) = [p for p in data.problems if p.code == "not-answered-marker"]
    assert "age (1)" in markers.message and "location__Latitude (1)" in markers.message
    assert f["location/altitude"].iloc[0] == pytest.approx(250.5)
    assert f["location/precision"].iloc[0] == pytest.approx(4.8)
    assert f["_record_id"].tolist() == [
        "5b3c8288289646699580e16f5d1b6d1e",
        "31ba4bb9b5414458a6886efd695d12d1",
    ]
    assert f["_review_status"].tolist() == ["Completed", "ApprovedBySupervisor"]
    # services__2/__3 carry no label: matched by position, with a warning
    assert any(p.code == "dummies-mapped-by-position" for p in data.problems.warnings)
    assert "interview__id" in data.extra.columns
    assert not any(p.code == "columns-not-in-instrument" for p in data.problems)


def test_stata_roster_file_links_to_its_parent(shared):
    data = read_stata(shared("exports", "hh_member.dta"), _perception_instrument(shared))
    f = data.frame
    assert f["member_age"].tolist() == [34, 9]
    assert f["_record_id"].tolist() == ["5b3c8288289646699580e16f5d1b6d1e"] * 2
    assert f["_key"].tolist() == [
        "5b3c8288289646699580e16f5d1b6d1e/hh_member[1]",
        "5b3c8288289646699580e16f5d1b6d1e/hh_member[2]",
    ]
    assert not any(p.code == "questions-missing-from-export" for p in data.problems)


def test_roster_files_beside_the_main_file_become_children(shared):
    data = read_stata(shared("exports", "perception_survey.dta"), _perception_instrument(shared))
    members = data.children["hh_member"]
    assert members["member_name"].tolist() == ["Amina", "Bakari"]
    assert set(members["_record_id"]) <= set(data.frame["_record_id"])
    assert any(p.code == "roster-file-attached" for p in data.problems)


@pytest.mark.parametrize("name", ["perception_survey.sav", "perception_survey.dta"])
def test_same_answers_as_the_kobo_export(shared, name):
    form = _perception_instrument(shared)
    kobo = survey_toolkit.load(shared("exports", "kobo_xml.csv"), instrument=form).frame
    reader = read_stata if name.endswith(".dta") else read_spss
    other = reader(shared("exports", name), form).frame
    # both submissions: feels_safe and services (skipped in submission 2) agree everywhere
    for col in ["feels_safe", "services", "services/health", "services/education", "services/water"]:
        assert _cats(other[col]) == _cats(kobo[col]), col
        assert other[col].dtype == kobo[col].dtype, col
    # submission 1 agrees on age and GPS; submission 2's age is 'Refused' (-99, .sav) or not
    # answered (-999999999, .dta) in these files, by design of the fixtures
    assert other["age"].iloc[0] == kobo["age"].iloc[0] == 34
    for part in ("latitude", "longitude"):
        assert float(other[f"location/{part}"].iloc[0]) == pytest.approx(
            float(kobo[f"location/{part}"].iloc[0])
        )


# --------------------------------------------------------------------------------------------------
# real SPSS edge cases


EDGE_FILES = [
    "haven__labelled-num-na.sav",
    "haven__labelled-str.sav",
    "haven__umlauts.sav",
    "pyreadstat__missing_char.sav",
    "pyreadstat__missing_test.sav",
    "pyreadstat__sample.por",
    "pyreadstat__sample.sav",
    "pyreadstat__sample.zsav",
    "pyreadstat__sample_missing.sav",
    "pyreadstat__simple_alltypes.sav",
]


@pytest.mark.parametrize("name", EDGE_FILES)
def test_every_edge_case_file_loads(shared, name):
    data = read_spss(shared(*EDGE.split("/"), name))
    assert len(data.frame) > 0
    assert not data.problems.errors
    assert set(data.variables) == {c for c in data.frame.columns if not c.startswith("_")}


@pytest.mark.parametrize("name", ["pyreadstat__sample.sav", "pyreadstat__sample_missing.sav"])
def test_dates_before_1678_load_as_missing_with_a_located_warning(shared, name):
    """Real pyreadstat files hold 1583-01-01 (date and datetime): with a form built from the file they
    crashed with OutOfBoundsDatetime. They load as missing, reported per column; no other date moves."""
    from survey_toolkit.instrument_from_data import instrument_from_data

    path = shared(*EDGE.split("/"), name)
    bare = read_spss(path)
    form, _ = instrument_from_data(bare)
    data = read_spss(path, instrument=form)
    for column in ("mydate", "dtime"):
        assert data.frame[column].dtype == "datetime64[ns]"
        assert pd.isna(data.frame[column].iloc[3])  # 1583-01-01
        kept = data.frame[column].iloc[[0, 1, 2]].dt.normalize().tolist()
        assert kept == [pd.Timestamp("2018-05-06"), pd.Timestamp("1880-05-06"), pd.Timestamp("1960-01-01")]
    far = {p.location.field: p for p in data.problems if p.code == "date-out-of-range"}
    assert set(far) == {"mydate", "dtime"}
    assert all(p.count == 1 and p.location.row == 4 and p.severity.name == "WARNING" for p in far.values())
    assert not [p for p in data.problems if p.code == "bad-date"]


def test_edge_case_folder_has_no_untested_file(shared):
    folder = shared(*EDGE.split("/"))
    assert sorted(p.name for p in folder.iterdir() if p.suffix != ".md") == sorted(EDGE_FILES)


def test_discrete_and_range_user_missing_stay_distinguishable(shared):
    data = read_spss(shared(*EDGE.split("/"), "pyreadstat__sample_missing.sav"))
    f, v = data.frame, data.variables
    # mynum declares the range 2000..3000 and the code -1: 2500 and -1 are kept, the blank is NA
    assert f["mynum"].iloc[5] == -1.0 and f["mynum"].iloc[6] == 2500.0
    assert v["mynum"].missing_codes == ("2000..3000", "-1")
    # labelled variables: user-missing -1 kept as a category; system-missing is NA
    assert f["mylabl"].iloc[5] == "-1" and pd.isna(f["mylabl"].iloc[6])
    assert v["mylabl"].missing_codes == ("-1",)
    assert f["myord"].iloc[5] == "-1" and f["myord"].iloc[6] == "-3"
    assert v["myord"].missing_codes == ("-1", "-2", "-3")
    (um,) = [p for p in data.problems if p.code == "user-missing"]
    assert um.count == 5 and um.got == "mynum=2, mylabl=1, myord=2"
    assert "mynum (2: 2000..3000, -1)" in um.message and "myord (2: -1, -2, -3)" in um.message


def test_user_missing_in_strings_and_labelled_numbers(shared):
    folder = EDGE.split("/")
    chars = read_spss(shared(*folder, "pyreadstat__missing_char.sav"))
    assert _cats(chars.frame["mychar"]) == ["Z", "a"]
    assert chars.variables["mychar"].missing_codes == ("Z",)
    num = read_spss(shared(*folder, "haven__labelled-num-na.sav"))
    assert _cats(num.frame["VAR00002"]) == ["1", "9"]
    assert num.variables["VAR00002"].missing_codes == ("9",)
    both = read_spss(shared(*folder, "pyreadstat__missing_test.sav"))
    assert both.frame["var1"].tolist() == [1.0, 2.0]  # 1 is labelled "missing" and declared missing
    assert both.variables["var1"].missing_codes == ("1",)


def test_missing_ranges_and_discrete_codes_in_alltypes(shared):
    data = read_spss(shared(*EDGE.split("/"), "pyreadstat__simple_alltypes.sav"))
    f, v = data.frame, data.variables
    assert _cats(f["x"]) == ["1", "2", "3", "4", "8", "9"]  # 8 is user-missing, kept
    assert v["x"].missing_codes == ("7", "8", "99")
    assert f["z"].iloc[0] == -9.0 and f["z"].iloc[3] == 999.0  # inside -999..0 and the code 999
    assert pd.isna(f["z"].iloc[1]) and pd.isna(f["z"].iloc[5])  # system-missing
    assert v["z"].missing_codes == ("-999..0", "999")
    assert dict(v["x"].labels) == {"default": "Numeric variable with value labels"}
    assert f["y"].iloc[3] == pd.Timestamp("1776-07-04")


def test_sav_zsav_and_por_agree(shared):
    folder = EDGE.split("/")
    sav = read_spss(shared(*folder, "pyreadstat__sample.sav")).frame
    zsav = read_spss(shared(*folder, "pyreadstat__sample.zsav")).frame
    por = read_spss(shared(*folder, "pyreadstat__sample.por")).frame
    por.columns = [c if c.startswith("_") else c.lower() for c in por.columns]
    for col in ["mychar", "mynum", "mydate", "dtime", "mylabl", "myord"]:
        assert _cats(sav[col]) == _cats(zsav[col]) == _cats(por[col]), col
    assert sav["dtime"].iloc[0] == pd.Timestamp("2018-05-06 10:10:10")
    assert _cats(sav["myord"]) == ["1", "2", "3", "1", "1"]


def test_umlaut_labels_survive(shared):
    data = read_spss(shared(*EDGE.split("/"), "haven__umlauts.sav"))
    assert dict(data.variables["var1"].value_labels["default"]) == {
        "1": "the ä umlaut",
        "2": "the ü umlaut",
        "3": "the ö umlaut",
    }
    assert data.variables["var1"].labels["default"] == "This is an ä-umlaut"


def test_stata_extended_missing_values(tmp_path):
    frame = pd.DataFrame(
        {"safe": [1.0, "a", np.nan, 2.0, "b"], "age": [30.0, "a", 40.0, np.nan, 50.0]}, dtype=object
    )
    path = tmp_path / "ext.dta"
    pyreadstat.write_dta(
        frame,
        str(path),
        missing_user_values={"safe": ["a", "b"], "age": ["a"]},
        variable_value_labels={"safe": {1: "Yes", 2: "No"}},
    )
    plain = read_stata(path)
    assert _cats(plain.frame["safe"]) == ["1", ".a", None, "2", ".b"]  # .a/.b kept, . is NA
    assert plain.variables["safe"].type == "select_one"
    assert plain.variables["safe"].missing_codes == (".a", ".b")
    data = read_stata(path, _coded_instrument(), min_match=0.4)
    assert _cats(data.frame["safe"]) == ["1", ".a", None, "2", ".b"]
    assert data.frame["age"].tolist()[::2] == [30, 40, 50] and pd.isna(data.frame["age"].iloc[1])
    codes = {(p.code, p.location.field) for p in data.problems}
    assert ("user-missing", "safe") in codes and ("user-missing-lost", "age") in codes


# --------------------------------------------------------------------------------------------------
# mapping codes to an instrument


def test_codes_map_by_code_or_by_label_in_any_language(tmp_path):
    frame = pd.DataFrame(
        {
            "safe": [1.0, 2.0, 98.0, 99.0, np.nan],
            "sex": [1.0, 2.0, 2.0, np.nan, 1.0],
            "age": [30.0, 41.0, -9.0, 25.0, 60.0],
            "note": ["a", "", "b", "c", "d"],
        }
    )
    path = _write_sav(
        tmp_path / "coded.sav",
        frame,
        variable_value_labels={
            "safe": {1: "Yes", 2: "No", 98: "DK", 99: "Refused"},
            "sex": {1: "Female", 2: "MALE"},
            "age": {-9: "Refused"},
        },
        missing_ranges={"safe": [98, 99], "age": [-9]},
        column_labels={"safe": "Do you feel safe?", "age": "Age"},
    )
    data = read_spss(path, _coded_instrument())
    f = data.frame
    assert _cats(f["safe"]) == ["1", "2", "98", "99", None]  # codes are the form's codes already
    assert data.variables["safe"].missing_codes == ("98", "99")
    assert _cats(f["sex"]) == ["f", "m", "m", None, "f"]  # 1 "Female" -> f (labels, case-insensitive)
    assert f["age"].tolist()[2] == -9.0 and data.variables["age"].missing_codes == ("-9",)
    assert pd.isna(f["note"].iloc[1])
    assert list(f["sex"].cat.categories) == ["f", "m"]


def test_swapped_value_labels_are_flagged(tmp_path):
    path = _write_sav(
        tmp_path / "swapped.sav",
        pd.DataFrame({"safe": [1.0, 2.0], "age": [30.0, 40.0]}),
        variable_value_labels={"safe": {1: "No", 2: "Yes"}},
    )
    data = read_spss(path, _coded_instrument())
    assert _cats(data.frame["safe"]) == ["1", "2"]  # codes win ...
    warn = [p for p in data.problems.warnings if p.code == "value-labels-disagree"]
    assert len(warn) == 1 and warn[0].location.field == "safe"  # ... but the clash is reported


def test_string_codes_and_label_strings_map_to_choice_codes(tmp_path):
    frame = pd.DataFrame({"sex": ["Female", "m", "MALE", ""], "safe": ["1", "2", "Yes", "99"]})
    path = _write_sav(tmp_path / "strings.sav", frame)
    f = read_spss(path, _coded_instrument()).frame
    assert _cats(f["sex"]) == ["f", "m", "m", None]
    assert _cats(f["safe"]) == ["1", "2", "1", "99"]


def test_select_multiple_from_dummies_in_every_naming_style(tmp_path, shared):
    form = _perception_instrument(shared)
    for sep in ("_", "__", "."):
        frame = pd.DataFrame(
            {
                f"services{sep}health": [1.0, 0.0, np.nan],
                f"services{sep}water": [1.0, 1.0, np.nan],
                f"services{sep}education": [0.0, 0.0, np.nan],
                "age": [30.0, 40.0, 50.0],
            }
        )
        if sep == ".":
            frame.columns = [c.replace(".", "_DOT_") for c in frame.columns]
        path = tmp_path / f"sm{len(sep)}.sav"
        _write_sav(path, frame)
        if sep == ".":  # SPSS names cannot hold '.', so test the dotted style through a Stata-free rename
            continue
        f = read_spss(path, form).frame
        assert _cats(f["services"]) == ["health water", "water", None], sep
        assert f["services/health"].tolist()[:2] == [True, False]
        assert pd.isna(f["services/education"].iloc[2])


def test_select_multiple_from_a_space_separated_string(tmp_path, shared):
    form = _perception_instrument(shared)
    path = _write_sav(
        tmp_path / "summary.sav",
        pd.DataFrame({"services": ["water health", "", "education"], "age": [20.0, 30.0, 40.0]}),
    )
    f = read_spss(path, form).frame
    assert [f[f"services/{c}"].tolist() for c in ("health", "education", "water")] == [
        [True, pd.NA, False],
        [False, pd.NA, True],
        [True, pd.NA, False],
    ]


def test_no_matching_variable_is_an_error_naming_the_form(tmp_path, shared):
    path = _write_sav(tmp_path / "other.sav", pd.DataFrame({"v1": [1.0], "v2": [2.0]}))
    with pytest.raises(LoadError) as err:
        read_spss(path, _perception_instrument(shared))
    assert err.value.problems[0].code == "instrument-mismatch"
    assert "perception_survey" in str(err.value) and "0 of" in str(err.value)


# --------------------------------------------------------------------------------------------------
# round trip and row order


def test_round_trip_keeps_codes_labels_and_missing(tmp_path):
    frame = pd.DataFrame(
        {
            "q1": [1.0, 2.0, 99.0, np.nan, 1.0],
            "score": [1.5, 2.0, -9.0, 4.0, np.nan],
            "name": ["a", "b", "c", "", "e"],
            "day": [dt.date(2024, 1, d) for d in range(1, 6)],
        }
    )
    labels = {"q1": {1: "Yes", 2: "No", 99: "Refused"}}
    path = _write_sav(
        tmp_path / "rt.sav",
        frame,
        variable_value_labels=labels,
        missing_ranges={"q1": [99], "score": [{"lo": -10, "hi": -1}]},
        column_labels={"q1": "Question one", "score": "Score"},
        variable_measure={"q1": "nominal"},
    )
    data = read_spss(path)
    f, v = data.frame, data.variables
    assert _cats(f["q1"]) == ["1", "2", "99", None, "1"]
    assert dict(v["q1"].value_labels["default"]) == {"1": "Yes", "2": "No", "99": "Refused"}
    assert v["q1"].labels["default"] == "Question one" and v["q1"].missing_codes == ("99",)
    assert f["score"].iloc[2] == -9.0 and v["score"].missing_codes == ("-10..-1",)
    assert pd.isna(f["score"].iloc[4])
    assert f["day"].iloc[4] == pd.Timestamp("2024-01-05")
    assert pd.isna(f["name"].iloc[3])
    raw, _ = pyreadstat.read_sav(str(path), user_missing=True)
    assert raw["q1"].tolist()[:3] == [1.0, 2.0, 99.0]  # the file itself is untouched


@pytest.mark.parametrize("suffix", [".zsav", ".dta"])
def test_round_trip_compressed_sav_and_stata(tmp_path, suffix):
    frame = pd.DataFrame({"q1": [1.0, 2.0, 98.0, np.nan], "txt": ["a", "b", "", "d"]})
    labels = {"q1": {1: "Yes", 2: "No", 98: "Don't know"}}
    path = tmp_path / f"rt{suffix}"
    if suffix == ".dta":
        pyreadstat.write_dta(
            frame, str(path), variable_value_labels=labels, column_labels=["Question one", "Text"]
        )
        data = read_stata(path)
    else:
        pyreadstat.write_sav(
            frame,
            str(path),
            variable_value_labels=labels,
            compress=True,
            column_labels=["Question one", "Text"],
        )
        assert sniff_file_kind(path) == "zsav"
        data = read_spss(path)
    assert _cats(data.frame["q1"]) == ["1", "2", "98", None]
    assert dict(data.variables["q1"].value_labels["default"]) == {"1": "Yes", "2": "No", "98": "Don't know"}
    assert data.variables["q1"].labels["default"] == "Question one"
    assert _cats(data.frame["txt"]) == ["a", "b", None, "d"]


_ROWS = st.lists(
    st.tuples(st.sampled_from([1.0, 2.0, 98.0, 99.0, None]), st.integers(18, 90)), min_size=1, max_size=12
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_ROWS, seed=st.integers(0, 2**16))
def test_row_order_does_not_change_the_tidy_rows(rows, seed):
    frame = pd.DataFrame(
        {
            "uuid": [f"id{i}" for i in range(len(rows))],
            "safe": [r[0] if r[0] is not None else np.nan for r in rows],
            "age": [float(r[1]) for r in rows],
        }
    )
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    kwargs = {
        "variable_value_labels": {"safe": {1: "Yes", 2: "No", 98: "DK", 99: "Refused"}},
        "missing_ranges": {"safe": [98, 99]},
    }
    with tempfile.TemporaryDirectory() as tmp:
        a = read_spss(_write_sav(Path(tmp) / "a.sav", frame, **kwargs), _coded_instrument()).frame
        b = read_spss(_write_sav(Path(tmp) / "b.sav", shuffled, **kwargs), _coded_instrument()).frame
    cols = ["_record_id", "safe", "age"]

    def norm(f):
        return (
            f[cols]
            .astype(object)
            .where(f[cols].notna(), None)
            .sort_values("_record_id")
            .reset_index(drop=True)
        )

    pd.testing.assert_frame_equal(norm(a), norm(b))


# --------------------------------------------------------------------------------------------------
# errors: each one a LoadError naming the file and the fix, nothing written


def test_missing_file_suggests_a_close_name(tmp_path):
    (tmp_path / "round1.sav").write_bytes(b"x")
    with pytest.raises(LoadError) as err:
        read_spss(tmp_path / "round_1.sav")
    p = err.value.problems[0]
    assert p.code == "file-not-found" and "round_1.sav" in p.message and "round1.sav" in p.hint


def test_file_without_cases_loads_with_a_warning(tmp_path):
    frame = pd.DataFrame({"safe": pd.Series([], dtype=float), "note": pd.Series([], dtype=str)})
    data = read_spss(_write_sav(tmp_path / "nocases.sav", frame, variable_value_labels={"safe": {1: "Yes"}}))
    assert data.frame.empty and "safe" in data.frame.columns
    assert [p.code for p in data.problems.warnings] == ["no-rows"]


def test_empty_file(tmp_path):
    path = tmp_path / "empty.sav"
    path.write_bytes(b"")
    with pytest.raises(LoadError) as err:
        read_spss(path)
    assert err.value.problems[0].code == "empty-file" and "export" in err.value.problems[0].hint


@pytest.mark.parametrize("keep", [8, 100, 600, 1200, -20])
def test_truncated_sav_is_a_clear_error(shared, tmp_path, keep):
    data = shared("exports", "perception_survey.sav").read_bytes()
    path = tmp_path / "broken.sav"
    path.write_bytes(data[:keep])
    before = _listing(tmp_path)
    with pytest.raises(LoadError) as err:
        read_spss(path)
    p = err.value.problems[0]
    assert p.code == "corrupt-file" and p.location.file == str(path)
    assert "truncated or corrupt" in p.message and "again" in p.hint
    assert _listing(tmp_path) == before


def test_checked_in_truncated_fixture(request):
    path = Path(request.config.rootpath) / "tests" / "data" / "spss" / "truncated.sav"
    with pytest.raises(LoadError, match="truncated or corrupt"):
        read_spss(path)


@pytest.mark.parametrize(
    ("src", "dst", "reader", "got"),
    [
        ("perception_survey.dta", "renamed.sav", read_spss, "Stata"),
        ("perception_survey.sav", "renamed.dta", read_stata, "SPSS .sav"),
        ("kobo_xml.csv", "export.sav", read_spss, "text file"),
        ("kobo_xml.xlsx", "export.dta", read_stata, "zip archive"),
    ],
)
def test_content_not_matching_the_suffix(shared, tmp_path, src, dst, reader, got):
    path = tmp_path / dst
    path.write_bytes(shared("exports", src).read_bytes())
    with pytest.raises(LoadError) as err:
        reader(path)
    p = err.value.problems[0]
    assert p.code == "wrong-file-type" and got in p.message and dst in p.message and "rename" in p.hint


def _legacy_sav(tmp_path: Path) -> Path:
    """A .sav that declares UTF-8 but holds Windows-1252 bytes (as old files do)."""
    good = _write_sav(
        tmp_path / "good.sav",
        pd.DataFrame({"comment": ["Très bien", "ok"], "q": [1.0, 2.0]}),
        variable_value_labels={"q": {1: "Élevé", 2: "Bas"}},
    )
    data = good.read_bytes()
    assert data.count("Très".encode()) == 1
    data = data.replace("Très".encode(), b"Tr\xe8s ").replace("Élevé".encode(), b"\xc9lev\xe9  ")
    path = tmp_path / "legacy.sav"
    path.write_bytes(data)
    good.unlink()
    return path


def test_undecodable_text_suggests_encoding(tmp_path):
    path = _legacy_sav(tmp_path)
    with pytest.raises(LoadError) as err:
        read_spss(path)
    p = err.value.problems[0]
    assert p.code == "wrong-encoding" and "legacy.sav" in p.message and "encoding=" in p.hint
    data = read_spss(path, encoding="WINDOWS-1252")
    assert data.frame["comment"].iloc[0].startswith("Très")
    assert data.variables["q"].value_labels["default"]["1"].startswith("Élevé")


def test_unknown_encoding_name(shared):
    with pytest.raises(LoadError) as err:
        read_spss(shared("exports", "perception_survey.sav"), encoding="no-such-codepage")
    assert err.value.problems[0].code == "wrong-encoding"


def test_nothing_is_written(shared, tmp_path):
    path = tmp_path / "copy.sav"
    path.write_bytes(shared("exports", "perception_survey.sav").read_bytes())
    before = _listing(tmp_path)
    read_spss(path, _perception_instrument(shared))
    assert _listing(tmp_path) == before
    assert sorted(os.listdir(tmp_path)) == ["copy.sav"]


# --------------------------------------------------------------------------------------------------
# small pure helpers


@pytest.mark.parametrize(
    ("value", "code"),
    [(1.0, "1"), (98.0, "98"), (-9.0, "-9"), (2.5, "2.5"), (np.int64(3), "3"), (" a ", "a"), (True, "1")],
)
def test_canonical_code(value, code):
    assert canonical_code(value) == code


def test_sniff_file_kind(shared):
    assert sniff_file_kind(shared("exports", "perception_survey.sav")) == "sav"
    assert sniff_file_kind(shared("exports", "perception_survey.dta")) == "dta"
    assert sniff_file_kind(shared(*EDGE.split("/"), "pyreadstat__sample.zsav")) == "zsav"
    assert sniff_file_kind(shared(*EDGE.split("/"), "pyreadstat__sample.por")) == "por"
    assert sniff_file_kind(shared("exports", "kobo_xml.csv")) == "text"


def test_multiple_response_sets_become_select_multiple(shared):
    data = read_spss(shared(*EDGE.split("/"), "pyreadstat__simple_alltypes.sav"))
    f = data.frame
    assert data.select_multiple_columns["mymrset"] == ["mymrset/bool1", "mymrset/bool2", "mymrset/bool3"]
    assert _cats(f["mymrset"]) == ["bool1 bool2", "bool1", "bool2", None, "bool2", "bool1 bool2"]
    assert pd.isna(f["mymrset/bool1"].iloc[3])  # nothing selected: unanswered
    assert _cats(f["categorical_array"])[:2] == ["a b", "a b c"]
    assert data.variables["mymrset"].labels["default"] == "My multiple response set"
    assert f["bool1"].iloc[0] == 1.0  # the member variables stay


def test_kobo_metadata_spelled_the_spss_way(tmp_path):
    frame = pd.DataFrame(
        {
            "safe": [1.0, 2.0],
            "age": [30.0, 41.0],
            "uuid": ["0b1c", "9f8e"],
            "submission_time": pd.to_datetime(["2024-05-01 10:15:00", "2024-05-02 09:00:00"]),
        }
    )
    data = read_spss(_write_sav(tmp_path / "kobo_in_spss.sav", frame), _coded_instrument())
    f = data.frame
    assert f["_record_id"].tolist() == ["uuid:0b1c", "uuid:9f8e"]
    assert f["_submission_time"].iloc[0] == pd.Timestamp("2024-05-01 10:15:00", tz="UTC")
    assert not any(p.code == "columns-not-in-instrument" for p in data.problems)


def test_usecols_reads_only_some_variables(shared):
    data = read_spss(shared("exports", "perception_survey.sav"), usecols=["age", "feels_safe"])
    assert [c for c in data.frame.columns if not c.startswith("_")] == ["age", "feels_safe"]


def test_unknown_usecols_name_is_an_error(shared):
    with pytest.raises(LoadError) as err:
        read_spss(shared("exports", "perception_survey.sav"), usecols=["age", "feels_saef"])
    p = err.value.problems[0]
    assert p.code == "unknown-variable" and "feels_saef" in p.message and "feels_safe" in p.hint


def test_empty_summary_column_falls_back_to_the_dummies(tmp_path, shared):
    frame = pd.DataFrame(
        {
            "services": ["", "", ""],
            "services_health": [1.0, 0.0, np.nan],
            "services_water": [1.0, 1.0, np.nan],
            "age": [30.0, 40.0, 50.0],
        }
    )
    f = read_spss(_write_sav(tmp_path / "blank_summary.sav", frame), _perception_instrument(shared)).frame
    assert _cats(f["services"]) == ["health water", "water", None]
    assert f["services/education"].tolist()[:2] == [False, False]


def test_select_multiple_written_with_labels_in_any_language(tmp_path, shared):
    frame = pd.DataFrame({"services": ["Health Water", "Éducation", "", "water health"], "age": [1.0] * 4})
    f = read_spss(_write_sav(tmp_path / "labels.sav", frame), _perception_instrument(shared)).frame
    assert _cats(f["services"]) == ["health water", "education", None, "water health"]
    assert f["services/water"].tolist()[:2] == [True, False]


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_spss_and_stata_use_the_same_problem_codes_as_kobo_and_odk(tmp_path, suffix):
    from survey_toolkit.quality import check_quality

    frame = pd.DataFrame({"safe": [1.0, 2.0], "age": [30.0, 41.0], "remark": ["a", "b"]})  # no 'sex', 'note'
    path = tmp_path / f"round{suffix}"
    (pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta)(frame, str(path))
    data = survey_toolkit.load(path, instrument=_coded_instrument())
    codes = {p.code: p for p in data.problems}
    assert codes["questions-missing-from-export"].got == "sex, note"
    assert codes["columns-not-in-instrument"].got == "remark"
    assert not {"questions-not-in-export", "columns-not-in-form"} & set(codes)
    report = check_quality(data, min_duration=None)
    assert set(report.issues.loc[report.issues["check"] == "question-not-in-export", "column"]) == {
        "sex",
        "note",
    }
    assert report.issues.loc[report.issues["check"] == "column-not-in-form", "column"].tolist() == ["remark"]
