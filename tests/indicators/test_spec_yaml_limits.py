"""Hostile YAML (issue 10): alias bombs, recursive aliases, deep nesting, huge files -> located
problems within a second; merge keys (``<<:``) are standard YAML and accepted."""

from __future__ import annotations

import time

import pytest

from survey_toolkit.indicators.loader import parse_indicators
from survey_toolkit.indicators.yamlsource import MAX_YAML_BYTES, parse_yaml, read_yaml


def _laughs(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _codes(parsed) -> list[str]:
    return [p.code for p in parsed.problems]


def test_billion_laughs_is_a_located_problem_quickly():
    start = time.perf_counter()
    parsed = parse_yaml(_laughs(), "bomb.yaml")
    assert time.perf_counter() - start < 5
    assert parsed.data is None
    assert _codes(parsed) == ["yaml-too-large"]
    assert parsed.problems[0].location.file == "bomb.yaml"
    assert parsed.problems[0].location.line is not None


def test_billion_laughs_in_a_label_of_an_indicators_file():
    text = _laughs(8) + "indicators:\n  - id: x\n    label: {en: *a8}\n"
    report = parse_indicators(text, "ind.yaml").report
    assert [p.code for p in report.errors] == ["yaml-too-large"]


def test_moderate_alias_use_is_fine():
    parsed = parse_yaml(_laughs(3), "ok.yaml")
    assert parsed.problems == ()
    assert len(parsed.data["a3"]) == 9 and len(parsed.data["a3"][0][0]) == 9


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a {b: 1, <<: *a}\n"])
def test_recursive_alias_is_a_located_problem(text):
    parsed = parse_yaml(text, "rec.yaml")
    assert _codes(parsed) == ["yaml-recursive-alias"]
    assert (parsed.problems[0].location.line, parsed.problems[0].location.column) == (1, 4)


def test_deep_nesting_is_a_problem_not_a_recursion_error():
    assert _codes(parse_yaml("a: " + "[" * 5000 + "]" * 5000, "deep.yaml")) == ["yaml-too-deep"]
    block = "".join("  " * i + f"k{i}:\n" for i in range(150)) + "  " * 150 + "v\n"
    assert _codes(parse_yaml(block, "deep.yaml")) == ["yaml-too-deep"]


def test_a_key_that_is_a_mapping_is_a_problem():
    assert _codes(parse_yaml("? {a: 1}\n: 2\n", "k.yaml")) == ["yaml-complex-key"]


def test_merge_keys_explicit_keys_win_and_no_duplicate_key_problem():
    text = "base: &b {id: x, type: mean, n: 1}\nitem:\n  <<: *b\n  id: y\n  n: 2\n"
    parsed = parse_yaml(text, "m.yaml")
    assert parsed.problems == ()
    assert parsed.data["item"] == {"type": "mean", "id": "y", "n": 2}
    assert str(parsed.source.locate(("item", "id"))) == "m.yaml:4:7"


def test_merge_of_a_list_of_mappings_earlier_wins():
    parsed = parse_yaml("x: {<<: [{e: 1, f: 1}, {e: 2, g: 2}]}\n", "m.yaml")
    assert parsed.data == {"x": {"e": 1, "f": 1, "g": 2}}


def test_merge_of_a_scalar_is_a_problem():
    assert _codes(parse_yaml("x: {<<: 3}\n", "m.yaml")) == ["yaml-bad-merge"]


def test_indicator_built_with_a_merge_key_is_accepted():
    text = """\
spec_version: 1
indicators:
  - &safe
    id: safe
    type: proportion
    label: {en: Safe}
    numerator: b1 in [1, 2]
    denominator: answered(b1)
  - <<: *safe
    id: safe_very
    numerator: b1 = 1
"""
    checked = parse_indicators(text, "m.yaml")
    assert checked.report.errors == ()
    assert [i.id for i in checked.spec.indicators] == ["safe", "safe_very"]


def test_files_too_large_or_not_utf8_are_located(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * (MAX_YAML_BYTES + 1) + b"\n")
    assert "larger than" in read_yaml(big).problems[0].message
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("a: 1\nb: Sécurité\n".encode("cp1252"))
    problem = read_yaml(latin).problems[0]
    assert (problem.location.line, problem.location.column) == (2, 5)
    assert "0xe9" in problem.message
    assert read_yaml(tmp_path).problems[0].code == "cannot-read"
