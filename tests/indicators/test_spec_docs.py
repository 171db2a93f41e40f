"""docs/indicators.md cannot drift: its YAML examples validate, its key reference and codebook match the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from survey_toolkit import read_instrument
from survey_toolkit.indicators import parse_indicators
from survey_toolkit.indicators.codebook import render_markdown
from survey_toolkit.indicators.jsonschema import reference_markdown

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC, flags=re.S)


@pytest.fixture(scope="module")
def form():
    return read_instrument(ROOT / "instruments" / "cssp_core.xlsx")


def test_there_are_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_yaml_examples_validate_against_the_instrument(index, form):
    checked = parse_indicators(BLOCKS[index], f"docs/indicators.md#example{index + 1}", form)
    assert checked.report.problems == (), str(checked.report)


def test_key_reference_matches_the_model():
    block = DOC.split("<!-- keys:start -->\n", 1)[1].split("<!-- keys:end -->", 1)[0]
    assert block.strip() == reference_markdown().strip()


def test_codebook_example_matches_the_renderer():
    block = re.search(r"```markdown\n(.*?)\n```", DOC, flags=re.S).group(1)
    spec = parse_indicators(BLOCKS[0], "example.yaml").spec
    assert block.strip() == render_markdown(spec).strip()


def test_every_problem_code_is_documented():
    codes = set()
    for path in (ROOT / "survey_toolkit" / "indicators").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'(?:add|Problem)\(\s*"([a-z]+(?:-[a-z]+)+)"', text))
    assert codes, "no problem codes found"
    missing = sorted(c for c in codes if f"`{c}`" not in DOC and c != "cannot-read")
    assert missing == []
