"""Locations and groups with no respondent are left out of the reporting table (so of every chart)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from survey_toolkit import pipeline
from survey_toolkit.project import load_project
from tests.test_pipeline import reduced_project


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    """Round 1 of the demo, by sex: the form's sex list has 'refused' (99), which no respondent chose."""
    path = reduced_project(tmp_path_factory.mktemp("empty"), indicators=("sdg_16_1_4",))
    path.write_text(path.read_text(encoding="utf-8").replace("disaggregate: false", "disaggregate: true"),
                    encoding="utf-8")  # fmt: skip
    return pipeline.run(path, until="compute", write=False)


def _table(result, show_empty: bool) -> pd.DataFrame:
    project = result.project
    project = dataclasses.replace(project, report=dataclasses.replace(project.report, show_empty=show_empty))
    return pipeline.reporting_table(result.results, project, result.inputs)


def test_groups_without_respondents_are_left_out_by_default(computed):
    assert computed.project.report.show_empty is False
    kept = _table(computed, show_empty=True)
    empty = kept[kept["a1_sex"].astype("string") == "99"]
    assert len(empty) and (empty["n"] == 0).all()  # the form's code, with nobody in it
    table = computed.table
    assert not (table["a1_sex"].astype("string") == "99").any()
    assert set(table["a1_sex"].dropna().astype(str)) == {"1", "2"}
    assert len(table) == len(kept) - len(kept[kept["n"].eq(0) & kept["a1_sex"].astype("string").eq("99")])


def test_an_indicator_with_an_empty_base_in_a_populated_group_keeps_its_row():
    table = pd.DataFrame({"round": ["R1"] * 4, "location": ["All", "All", "North", "South"],
                          "indicator_id": ["a", "b", "a", "a"], "n": [10, 0, 0, 5]})  # fmt: skip
    out = pipeline.drop_empty_groups(table, [])
    assert out["location"].tolist() == ["All", "All", "South"]  # 'b' kept: All has respondents


def test_show_empty_is_a_checked_project_key(computed, tmp_path):
    path = computed.project.path
    text = path.read_text(encoding="utf-8").replace("  output: out\n", "  output: out\n  show_empty: yes please\n")
    broken = tmp_path / "survey.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match="show_empty"):
        load_project(broken)
