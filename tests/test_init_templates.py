"""The survey.yaml written by 'survey-toolkit init' (standard form) and 'init --from EXPORT' (no form) names,
as commented YAML, the optional keys adopters look for; the file validates as written, and uncommenting
the block gives known, well-typed keys (issue 9)."""

from __future__ import annotations

from pathlib import Path

from survey_toolkit import pipeline
from survey_toolkit.project import check_project
from survey_toolkit.starter import scaffold_from_export
from tests.conftest import shared_path

KEYS = ("na_values", "select_multiple_source", "off_list", "off_list_questions", "off_list_max_share",
        "cleaning_log", "extra_columns", "derive", "estimation", "interval", "df", "missing_weights",
        "universe: all", "repeat", "aggregates")  # fmt: skip


def _uncommented(text: str) -> str:
    """The optional block with its YAML lines uncommented (the prose about indicators.yaml left out)."""
    head, block = text.split("# ---- Optional keys", 1)
    lines = block.splitlines()[1:]
    yaml_lines = []
    for line in lines:
        if line.startswith("# In indicators.yaml"):
            break
        yaml_lines.append(line[2:])
    return head + "\n".join(yaml_lines) + "\n"


def test_init_template_names_the_optional_keys_and_they_are_valid(tmp_path):
    folder = tmp_path / "new"
    pipeline.scaffold(folder)
    path = folder / "survey.yaml"
    text = path.read_text(encoding="utf-8")
    assert all(key in text for key in KEYS)
    _, report = check_project(path)
    assert {p.code for p in report} == {"missing-file"}  # as written: only the exports and tables to add
    path.write_text(_uncommented(text), encoding="utf-8")
    _, report = check_project(path)
    assert {p.code for p in report} == {"missing-file"}, str(report)  # no unknown or ill-typed key
    assert "cleaning_log.xlsx" in {Path(p.got).name for p in report}


def test_init_from_export_template_names_the_optional_keys_and_validates(tmp_path):
    folder = tmp_path / "barometer"
    scaffold_from_export(shared_path("exports", "perception_survey.sav"), folder)
    path = folder / "survey.yaml"
    text = path.read_text(encoding="utf-8")
    assert all(key in text for key in KEYS)
    project, report = pipeline.validate_project(path)
    assert report.ok and project is not None, str(report)
    path.write_text(_uncommented(text), encoding="utf-8")
    _, report = check_project(path)
    assert {p.code for p in report} == {"missing-file"}, str(report)
    assert {Path(p.got).name for p in report} == {"cleaning_log.xlsx"}
