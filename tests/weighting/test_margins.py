"""Margins CSV: reading, shares vs counts, canonical codes, and every mistake located (file, line, column)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from survey_toolkit.errors import WeightError
from survey_toolkit.weighting import Margins, read_margins
from survey_toolkit.weighting._common import canonical_code, canonical_codes

DATA = Path(__file__).resolve().parents[1] / "data" / "weighting"


def codes_of(err: pytest.ExceptionInfo[WeightError]) -> list[str]:
    return [p.code for p in err.value.problems]


def test_reads_counts_and_shares_with_line_numbers():
    margins = read_margins(DATA / "margins_ok.csv")
    assert margins.variables == ("sex", "age_group", "region")
    sex, age, region = margins
    assert (sex.kind, age.kind, region.kind) == ("count", "share", "count")
    assert sex.categories == ("1", "2") and sex.population == (4900.0, 5100.0)
    assert age.lines == (4, 5, 6)
    assert region.lines == (9, 10)  # comment and blank lines skipped, numbering kept
    assert margins.to_frame().shape == (7, 4)


def test_missing_header_column_is_located_with_a_suggestion():
    with pytest.raises(WeightError) as err:
        read_margins(DATA / "broken_missing_column.csv")
    (problem,) = err.value.problems
    assert problem.code == "margins-missing-column"
    assert problem.location.line == 1 and problem.location.file.endswith("broken_missing_column.csv")
    assert "categry" in problem.got and problem.hint == "rename column 'categry' to 'category'"


def test_bad_populations_are_all_reported_with_line_and_column():
    with pytest.raises(WeightError) as err:
        read_margins(DATA / "broken_bad_population.csv")
    problems = err.value.problems
    assert [p.code for p in problems] == ["margins-bad-population", "margins-bad-population"]
    assert [(p.location.line, p.location.column) for p in problems] == [(3, 3), (4, 3)]
    assert "five thousand" in problems[0].got
    assert "broken_bad_population.csv:3:3" in str(problems[0])


def test_duplicate_codes_after_canonicalisation_and_blank_categories():
    with pytest.raises(WeightError) as err:
        read_margins(DATA / "broken_duplicate_blank.csv")
    assert codes_of(err) == ["margins-duplicate-category", "margins-blank-category"]
    assert "first on line 2" in err.value.problems[0].message
    assert err.value.problems[1].location.line == 4


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(WeightError) as err:
        read_margins(tmp_path / "nope.csv")
    assert codes_of(err) == ["margins-not-found"]
    empty = tmp_path / "empty.csv"
    empty.write_text("variable,category,population\n", encoding="utf-8")
    with pytest.raises(WeightError) as err:
        read_margins(empty)
    assert codes_of(err) == ["empty-margins"]


def test_input_file_is_not_modified(tmp_path):
    path = tmp_path / "m.csv"
    text = "variable,category,population\nsex,1,10\nsex,2,12\n"
    path.write_text(text, encoding="utf-8")
    read_margins(path)
    assert path.read_text(encoding="utf-8") == text


def test_from_frame_and_mapping_agree():
    frame = pd.DataFrame({"variable": ["sex", "sex"], "category": [1, 2], "population": [10, 12]})
    assert Margins.from_frame(frame).margins[0].categories == ("1", "2")
    assert Margins.from_mapping({"sex": {1.0: 10, "2": 12}}).margins[0].categories == ("1", "2")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (1, "1"),
        (1.0, "1"),
        ("1", "1"),
        (" 1.0 ", "1"),
        ("01", "01"),
        (2.5, "2.5"),
        ("female", "female"),
        (True, "1"),
        (None, None),
        (float("nan"), None),
    ],
)
def test_canonical_code(value, code):
    assert canonical_code(value) == code


def test_canonical_codes_are_vectorised_and_ordered():
    codes, labels = canonical_codes(pd.Series([2, 1.0, None, "10", "b", "a", 2]))
    assert labels == ("1", "2", "10", "a", "b")
    assert codes.tolist() == [1, 0, -1, 2, 4, 3, 1]
