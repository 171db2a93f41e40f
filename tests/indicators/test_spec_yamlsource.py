"""YAML text -> plain data + positions; syntax errors and duplicate keys as located problems."""

from __future__ import annotations

import pytest

from survey_toolkit.indicators.yamlsource import parse_yaml, read_yaml

TEXT = """\
indicators:
  - id: a
    numerator: b1 in [1, 2]
    label: {en: "Safe", fr: 'Sûr'}
  - id: b
    numerator: >
      c1 = 1
      or c2 = 1
    denominator: |
      valid(c1)
      and valid(c2)
    quoted: "x = 1 and y = 2"
"""


def test_values_and_positions():
    parsed = parse_yaml(TEXT, "f.yaml")
    assert parsed.problems == ()
    assert parsed.data["indicators"][0]["label"] == {"en": "Safe", "fr": "Sûr"}
    assert str(parsed.source.locate(("indicators", 0, "numerator"))) == "f.yaml:3:16"
    assert str(parsed.source.locate(("indicators", 0, "numerator"), key=True)) == "f.yaml:3:5"
    assert str(parsed.source.locate(("indicators", 1))) == "f.yaml:5:5"


def test_missing_path_falls_back_to_parent_key():
    parsed = parse_yaml(TEXT, "f.yaml")
    loc = parsed.source.locate(("indicators", 0, "nope"))
    assert (loc.line, loc.column) == (2, 5)


@pytest.mark.parametrize(
    ("path", "needle", "line", "column"),
    [
        (("indicators", 0, "numerator"), "[", 3, 22),
        (("indicators", 1, "numerator"), "or", 8, 7),
        (("indicators", 1, "numerator"), "c2", 8, 10),
        (("indicators", 1, "denominator"), "and", 11, 7),
        (("indicators", 1, "quoted"), "y", 12, 24),
    ],
)
def test_offsets_inside_scalars_map_to_the_file(path, needle, line, column):
    parsed = parse_yaml(TEXT, "f.yaml")
    value = parsed.data
    for p in path:
        value = value[p]
    loc = parsed.source.locate_in_scalar(path, value.index(needle))
    assert (loc.line, loc.column) == (line, column)
    assert TEXT.splitlines()[line - 1][column - 1 :].startswith(needle)


def test_syntax_error_is_a_problem_with_the_mark():
    parsed = parse_yaml("a: [1, 2\nb: 3\n", "bad.yaml")
    assert parsed.data is None
    (p,) = parsed.problems
    assert p.code == "yaml-syntax"
    assert p.location.file == "bad.yaml" and p.location.line == 2
    assert p.message.startswith("YAML syntax error")


def test_duplicate_key_reported_at_second_occurrence():
    parsed = parse_yaml("a: 1\nb: 2\na: 3\n", "d.yaml")
    (p,) = parsed.problems
    assert (p.code, p.location.line, p.location.column) == ("duplicate-key", 3, 1)
    assert "first at line 1" in p.message
    assert parsed.data == {"a": 1, "b": 2}


def test_unreadable_file(tmp_path):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("label: caf\xe9\n".encode("latin-1"))
    parsed = read_yaml(bad)
    (p,) = parsed.problems
    assert p.code == "cannot-read" and "UTF-8" in p.message
