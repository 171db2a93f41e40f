"""Plain CSV and Parquet tables whose headers are question names."""

from __future__ import annotations

import builtins
import functools
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import survey_toolkit
from survey_toolkit.errors import LoadError
from survey_toolkit.io.tabular import read_csv_frame, read_csv_plain, read_parquet

CSV = (
    "uuid,resp/age,feels_safe,services,location,comment\n"
    "a1,34,yes,health water,12.3456 -1.2345 250.5 4.8,Très bien\n"
    "a2,61,no,,,\n"
)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _cats(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series.astype(object)]


def _check_documented_values(f: pd.DataFrame) -> None:
    assert f["age"].tolist() == [34, 61]
    assert str(f["age"].dtype) == "Int64"
    assert _cats(f["feels_safe"]) == ["yes", "no"]
    assert f["services"].iloc[0] == "health water" and pd.isna(f["services"].iloc[1])
    assert [f[f"services/{c}"].iloc[0] for c in ("health", "education", "water")] == [True, False, True]
    assert all(pd.isna(f[f"services/{c}"].iloc[1]) for c in ("health", "education", "water"))
    assert f["location/latitude"].iloc[0] == pytest.approx(12.3456)


# --------------------------------------------------------------------------------------------------
# CSV


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path, perception, sep):
    path = _write(tmp_path / "plain.csv", CSV.replace(",", sep))
    data = read_csv_plain(path, perception)
    _check_documented_values(data.frame)
    assert data.frame["_record_id"].tolist() == ["a1", "a2"]
    assert data.format == "csv"
    assert "comment" in data.extra.columns


def test_csv_with_bom_crlf_and_quotes(tmp_path, perception):
    text = "\ufeff" + CSV.replace("Très bien", '"Très, ""bien"""').replace("\n", "\r\n")
    data = read_csv_plain(_write(tmp_path / "bom.csv", text), perception)
    _check_documented_values(data.frame)
    assert data.extra["comment"].iloc[0] == 'Très, "bien"'


@pytest.mark.parametrize("sep", [".", "/"])
def test_group_paths_and_dummy_columns(tmp_path, perception, sep):
    text = (
        f"resp{sep}age,resp{sep}feels_safe,resp{sep}services{sep}health,resp{sep}services{sep}education,"
        f"resp{sep}services{sep}water\n34,yes,1,0,1\n61,no,,,\n"
    )
    f = read_csv_plain(_write(tmp_path / "groups.csv", text), perception, min_match=0.3).frame
    assert f["age"].tolist() == [34, 61]
    assert f["services"].iloc[0] == "health water"
    assert pd.isna(f["services/water"].iloc[1])


def test_csv_without_instrument_infers_numbers_and_text(tmp_path):
    data = read_csv_plain(_write(tmp_path / "plain.csv", CSV))
    f = data.frame
    assert f["resp/age"].tolist() == [34, 61]
    assert f["feels_safe"].tolist() == ["yes", "no"]
    assert pd.isna(f["services"].iloc[1])
    assert f["_source_row"].tolist() == [2, 3]
    assert any(p.code == "no-instrument" for p in data.problems.warnings)


def test_csv_encoding_error_names_the_line_and_the_fix(tmp_path):
    path = _write(tmp_path / "legacy.csv", CSV, encoding="cp1252")
    with pytest.raises(LoadError) as err:
        read_csv_plain(path)
    p = err.value.problems[0]
    assert p.code == "wrong-encoding" and p.location.line == 2 and "encoding=" in p.hint
    assert "legacy.csv" in str(err.value)
    data = read_csv_plain(path, encoding="cp1252")
    assert data.frame["comment"].iloc[0] == "Très bien"


def test_unknown_encoding_name(tmp_path):
    with pytest.raises(LoadError) as err:
        read_csv_plain(_write(tmp_path / "x.csv", CSV), encoding="no-such-codec")
    assert err.value.problems[0].code == "unknown-encoding"


def test_duplicated_headers_are_listed(tmp_path):
    path = _write(tmp_path / "dups.csv", "age,sex,age,sex,x\n1,f,2,m,3\n")
    with pytest.raises(LoadError) as err:
        read_csv_plain(path)
    found = {(p.location.field, p.location.column) for p in err.value.problems}
    assert found == {("age", 3), ("sex", 4)}
    assert all(p.code == "duplicate-header" and "dups.csv" in str(p) for p in err.value.problems)


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n"])
def test_empty_csv(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(LoadError) as err:
        read_csv_plain(path)
    assert err.value.problems[0].code == "empty-file"


def test_header_only_csv_loads_with_a_warning(tmp_path):
    frame, problems = read_csv_frame(_write(tmp_path / "head.csv", "a,b\n"))
    assert list(frame.columns) == ["a", "b"] and frame.empty
    assert [p.code for p in problems] == ["no-rows"]


def test_binary_file_named_csv(tmp_path, shared):
    path = tmp_path / "export.csv"
    path.write_bytes(shared("exports", "kobo_xml.xlsx").read_bytes())
    with pytest.raises(LoadError) as err:
        read_csv_plain(path)
    assert err.value.problems[0].code == "wrong-file-type" and "zip" in err.value.problems[0].message


def test_missing_csv(tmp_path):
    with pytest.raises(LoadError) as err:
        read_csv_plain(tmp_path / "nope.csv")
    assert err.value.problems[0].code == "file-not-found"


@functools.cache
def _form():
    from tests.conftest import shared_path
    from tests.io.conftest import instrument_from_xlsform

    return instrument_from_xlsform(shared_path("exports", "perception_survey.xlsx"))


_ANSWERS = st.lists(
    st.tuples(st.integers(18, 99), st.sampled_from(["yes", "no", ""])), min_size=1, max_size=15
)


@settings(max_examples=20, deadline=None)
@given(rows=_ANSWERS, seed=st.integers(0, 1000))
def test_csv_row_order_does_not_change_the_tidy_rows(rows, seed):
    form = _form()
    frame = pd.DataFrame(
        {
            "uuid": [f"id{i}" for i in range(len(rows))],
            "age": [r[0] for r in rows],
            "feels_safe": [r[1] for r in rows],
        }
    )
    shuffled = frame.sample(frac=1.0, random_state=seed)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / "a.csv", Path(tmp) / "b.csv"]
        frame.to_csv(paths[0], index=False)
        shuffled.to_csv(paths[1], index=False)
        a, b = (read_csv_plain(p, form, min_match=0.2).frame for p in paths)
    cols = ["_record_id", "age", "feels_safe"]

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
# Parquet


def _parquet_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "uuid": ["a1", "a2"],
            "age": [34, 61],
            "feels_safe": ["yes", "no"],
            "services/health": [True, None],
            "services/education": [False, None],
            "services/water": [True, None],
            "today": pd.to_datetime(["2024-05-01", "2024-05-02"]),
            "location": ["12.3456 -1.2345 250.5 4.8", None],
        }
    )


def test_parquet_with_instrument(tmp_path, perception):
    path = tmp_path / "round.parquet"
    _parquet_frame().astype(
        {"services/health": "boolean", "services/education": "boolean", "services/water": "boolean"}
    ).to_parquet(path)
    data = read_parquet(path, perception)
    _check_documented_values(data.frame)
    assert data.frame["today"].iloc[1] == pd.Timestamp("2024-05-02")
    assert data.format == "parquet"


def test_parquet_without_instrument_keeps_its_types(tmp_path):
    path = tmp_path / "round.parquet"
    _parquet_frame().to_parquet(path)
    f = read_parquet(path).frame
    assert str(f["age"].dtype) == "Int64" and f["age"].tolist() == [34, 61]
    assert pd.api.types.is_datetime64_any_dtype(f["today"].dtype)
    assert f["feels_safe"].tolist() == ["yes", "no"]
    assert f["_source_row"].tolist() == [1, 2]


def test_truncated_parquet(tmp_path):
    good = tmp_path / "good.parquet"
    _parquet_frame().to_parquet(good)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises(LoadError) as err:
        read_parquet(bad)
    assert err.value.problems[0].code == "corrupt-file" and "bad.parquet" in err.value.problems[0].message


def test_text_named_parquet(tmp_path):
    path = _write(tmp_path / "x.parquet", CSV)
    with pytest.raises(LoadError) as err:
        read_parquet(path)
    assert err.value.problems[0].code == "wrong-file-type" and "text" in err.value.problems[0].message


def test_parquet_with_duplicated_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "dups.parquet"
    pq.write_table(pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["age", "age"]), path)
    with pytest.raises(LoadError) as err:
        read_parquet(path)
    assert err.value.problems[0].code == "duplicate-header"


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "round.parquet"
    _parquet_frame().to_parquet(path)
    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError("No module named 'pyarrow'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(LoadError) as err:
        read_parquet(path)
    p = err.value.problems[0]
    assert p.code == "missing-dependency" and "pip install" in p.hint


# --------------------------------------------------------------------------------------------------
# through survey_toolkit.load


def test_load_dispatches_plain_csv_parquet_and_spss(tmp_path, perception, shared):
    csv_path = _write(tmp_path / "plain.csv", CSV)
    pq_path = tmp_path / "round.parquet"
    _parquet_frame().astype(
        {"services/health": "boolean", "services/education": "boolean", "services/water": "boolean"}
    ).to_parquet(pq_path)
    before = sorted(os.listdir(tmp_path))
    assert survey_toolkit.load(csv_path, instrument=perception).format == "csv"
    assert survey_toolkit.load(pq_path, instrument=perception).format == "parquet"
    sav = survey_toolkit.load(shared("exports", "perception_survey.sav"), instrument=perception)
    assert sav.format == "spss-sav" and _cats(sav.frame["feels_safe"]) == ["yes", "no"]
    dta = survey_toolkit.load(shared("exports", "perception_survey.dta"), instrument=perception)
    assert dta.format == "stata-dta"
    assert sorted(os.listdir(tmp_path)) == before  # nothing written


def test_blank_lines_before_the_header_and_a_comma_inside_text(tmp_path, perception):
    text = "\n\n" + CSV.replace(",", ";").replace("Très bien", "bien, merci")
    data = read_csv_plain(_write(tmp_path / "blank.csv", text), perception)
    _check_documented_values(data.frame)
    assert data.extra["comment"].iloc[0] == "bien, merci"


def test_blank_header_gets_a_name_and_a_warning(tmp_path):
    frame, problems = read_csv_frame(_write(tmp_path / "blank_header.csv", "a,,c\n1,2,3\n"))
    assert list(frame.columns) == ["a", "unnamed_2", "c"]
    assert [(p.code, p.location.column) for p in problems] == [("blank-header", 2)]
