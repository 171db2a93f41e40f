"""Tidy CSV / Parquet writers: suppressed values absent, spreadsheet-safe text, atomic, deterministic."""

from __future__ import annotations

import pandas as pd
import pytest

from survey_toolkit.comparison import compare_rounds
from survey_toolkit.report import write_tidy
from survey_toolkit.report.tidy import excel_safe_text, parquet_available, write_csv

from .conftest import LOCATIONS, make_results


def test_csv_and_parquet_written(tmp_path):
    results = make_results()
    paths = write_tidy(tmp_path, results, compare_rounds(results))
    names = sorted(p.name for p in paths)
    expected = ["comparisons.csv", "results.csv"]
    if parquet_available():
        expected = ["comparisons.csv", "comparisons.parquet", "results.csv", "results.parquet"]
    assert names == expected
    back = pd.read_csv(tmp_path / "results.csv")
    assert len(back) == len(results) and {"suppressed", "suppression_reason", "caution_reasons"} <= set(back.columns)
    hidden = back[back["suppressed"]]
    assert (
        len(hidden) == 8  # 5 by the rules and 3 secondary (a lone small-base location = All minus the rest)
        and hidden[["estimate", "se", "ci_low", "ci_high", "n_numerator"]].isna().all().all()
    )
    secondary = back[back["suppression_reason"] == "secondary"].set_index(["indicator_id", "round"])
    assert secondary.loc[("tf_harassment", "R3"), "protects"] == "location=R01D01"
    assert secondary.loc[("tf_harassment", "R3"), "suppression_note"] == (
        "withheld so that the withheld value for R01D01 cannot be worked out from the total and the other "
        "published values"  # no meta given: the location's code
    )
    assert back.loc[back["suppression_reason"] != "secondary", "suppression_note"].isna().all()
    if parquet_available():
        pq = pd.read_parquet(tmp_path / "results.parquet")
        assert pq["location"].tolist() == results["location"].tolist()  # typed output keeps text as is


def test_formula_text_is_inert_in_csv(tmp_path):
    write_csv(tmp_path / "r.csv", make_results())
    text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert "trust_police,R1,\"'=HYPERLINK(" in text
    assert ",=HYPERLINK" not in text and ',"=HYPERLINK' not in text
    raw = write_csv(tmp_path / "raw.csv", make_results(), excel_safe=False).read_text(encoding="utf-8")
    assert ',"=HYPERLINK' in raw


def test_excel_safe_text_leaves_numbers_alone():
    frame = pd.DataFrame({"a": ["-x", "+1", "@me", "ok", None], "b": [-1.0, 2.0, 3.0, 4.0, 5.0]})
    safe = excel_safe_text(frame)
    assert safe["a"].tolist()[:4] == ["'-x", "'+1", "'@me", "ok"] and pd.isna(safe["a"].iloc[4])
    assert safe["b"].tolist() == frame["b"].tolist()
    assert frame["a"].iloc[0] == "-x"  # input unchanged


def test_deterministic_csv(tmp_path):
    a = write_csv(tmp_path / "a.csv", make_results()).read_bytes()
    b = write_csv(tmp_path / "b.csv", make_results()).read_bytes()
    assert a == b and b"\r\n" not in a


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "results.csv"
    target.write_text("previous", encoding="utf-8")

    class Broken(pd.DataFrame):
        def to_csv(self, *a, **k):
            raise OSError("disk full")

    with pytest.raises(OSError):
        write_csv(target, Broken(make_results()), excel_safe=False)
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]


def test_locations_fixture_has_risky_names():
    assert LOCATIONS[3].startswith("=")


def test_excel_safe_text_escapes_categorical_columns():
    from survey_toolkit.report.tidy import excel_safe_text

    frame = pd.DataFrame(
        {"location": pd.Categorical(['=HYPERLINK("http://x","a")', "ok", "ok"]), "s": ["=1+1", "x", "y"]}
    )
    out = excel_safe_text(frame)
    assert isinstance(out["location"].dtype, pd.CategoricalDtype)
    assert out["location"].tolist() == ['\'=HYPERLINK("http://x","a")', "ok", "ok"]
    assert out["s"].tolist() == ["'=1+1", "x", "y"]
    assert frame["location"].iloc[0].startswith("=")  # the input is not modified


def test_labels_beside_codes_and_integer_counts(tmp_path):
    from survey_toolkit.report.tidy import write_tidy

    from .conftest import make_meta, make_results

    paths = write_tidy(tmp_path, make_results(), meta=make_meta(), parquet=False)
    text = (tmp_path / "results.csv").read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    assert header[header.index("location") + 1] == "location_name"
    assert header[header.index("round") + 1] == "round_label"
    rows = pd.read_csv(tmp_path / "results.csv", dtype=str)
    assert set(rows.loc[rows["location"] == "R01D01", "location_name"]) == {"Riverside"}
    assert set(rows.loc[rows["location"] == "All", "location_name"]) == {"All locations"}
    assert rows["n"].str.fullmatch(r"\d+").all()  # 410, not 410.0
    assert not (tmp_path / "results.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert [p.name for p in paths] == ["results.csv"]


def test_byte_order_mark_for_excel_on_windows(tmp_path):
    from survey_toolkit.report.tidy import write_csv

    path = write_csv(tmp_path / "x.csv", pd.DataFrame({"lieu": ["Bord-de-Rivière"]}), bom=True)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "Bord-de-Rivière" in data.decode("utf-8-sig")
