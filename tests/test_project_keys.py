"""Every project key is checked by ``validate`` (``check_project``), so ``run`` never fails on one later."""

from __future__ import annotations

import pytest

from survey_toolkit.project import check_project

BASE = "instrument: f.xlsx\nindicators: i.yaml\nrounds:\n  - id: R1\n    files: [r.csv]\n"


def _check(tmp_path, text: str):
    (tmp_path / "f.xlsx").write_bytes(b"")
    (tmp_path / "i.yaml").write_text("x: 1\n", encoding="utf-8")
    (tmp_path / "r.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "frame.csv").write_text("stratum,households\nA,10\n", encoding="utf-8")
    path = tmp_path / "survey.yaml"
    path.write_text(BASE + text, encoding="utf-8")
    return check_project(path)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("design:\n  base_weights:\n    sample_frame: frame.csv\n    sample: []\n", 9, "one or more"),
        ("design:\n  base_weights:\n    sample_frame: frame.csv\n    eligible_cap: 0\n", 9, ">= 1"),
        ("report:\n  languages: []\n", 7, "one or more"),
        ("report:\n  compare: []\n", 7, "one or more"),
        ("report:\n  indicators: []\n", 7, "one or more"),
        ("report:\n  charts: []\n", 7, "one or more"),
        ("weighting:\n  method: none\n  trim: {upper: 0}\n", 8, "> 0"),
        ("weighting:\n  method: none\n  trim: {upper: 2, lower: 3}\n", 8, "crossed"),
        ("weighting:\n  method: none\n  trim: {relative_to: median}\n", 8, "no bound"),
        ("quality:\n  min_age: -1\n", 7, ">= 0"),
        ("quality:\n  exclude: [no-consnt]\n", 7, "did you mean 'no-consent'"),
        ("locations:\n  levels: [admin1, admin1]\n", 7, "twice"),
    ],
)
def test_a_bad_key_is_a_located_error_before_any_data_is_read(tmp_path, text, line, words):
    project, report = _check(tmp_path, text)
    assert project is None
    errors = [p for p in report if p.is_error]
    assert len(errors) == 1, [str(p) for p in report]
    problem = errors[0]
    assert problem.location.line == line and problem.location.column is not None
    assert words in f"{problem.message} {problem.expected} {problem.hint}"


def test_good_values_of_the_same_keys_pass(tmp_path):
    text = ("design:\n  base_weights:\n    sample_frame: frame.csv\n    sample: [households]\n    eligible_cap: 3\n"
            "weighting:\n  method: none\n  trim: {upper: 5, lower: 0.2}\nquality:\n  min_age: 16\n"
            "  exclude: [no-consent]\nlocations:\n  levels: [admin1, admin2]\n")  # fmt: skip
    project, report = _check(tmp_path, text)
    assert project is not None, [str(p) for p in report]
    assert project.design.base_weights.sample == ("households",) and project.weighting.trim_lower == 0.2
