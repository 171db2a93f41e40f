"""Hostile conditions (issue 10): deep nesting is a located error, long chains load in linear time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from survey_toolkit.indicators.conditions import (
    MAX_CONDITION_DEPTH,
    ConditionSyntaxError,
    parse_condition,
    tokenize,
)
from survey_toolkit.indicators.loader import parse_indicators

FORM = Path(__file__).resolve().parents[2] / "instruments" / "cssp_core.xlsx"
HEAD = "spec_version: 1\nindicators:\n  - id: x\n    type: proportion\n    label: {en: X}\n    numerator: "


def _indicators(condition: str) -> str:
    return HEAD + condition + "\n    denominator: answered(b1_safe_dark)\n"


@pytest.mark.parametrize(
    ("condition", "column"),
    [
        ("(" * 1000 + "b1_safe_dark = 1" + ")" * 1000, MAX_CONDITION_DEPTH + 1),
        ("not " * 3000 + "b1_safe_dark = 1", 4 * MAX_CONDITION_DEPTH + 1),
        ("(not " * 40 + "b1_safe_dark = 1" + ")" * 40, 5 * 25 + 1),
    ],
)
def test_deep_nesting_is_a_located_error_not_a_recursion_error(condition, column):
    report = parse_indicators(_indicators(condition), "deep.yaml").report
    [problem] = report.errors
    assert problem.code == "bad-condition"
    assert "levels deep" in problem.message
    assert (problem.location.line, problem.location.column) == (6, 16 + column - 1)


def test_nesting_up_to_the_limit_is_accepted_and_evaluates():
    import pandas as pd

    from survey_toolkit.indicators.conditions import evaluate

    cond = "not " * MAX_CONDITION_DEPTH + "q = 1"
    frame = pd.DataFrame({"q": pd.Categorical(["1", "2"])})
    assert evaluate(cond, frame).tolist() == [True, False]  # an even number of 'not'
    parse_condition("(" * MAX_CONDITION_DEPTH + "q = 1" + ")" * MAX_CONDITION_DEPTH)


def test_too_long_condition_is_an_error():
    with pytest.raises(ConditionSyntaxError, match="longer than"):
        parse_condition("q = 1 or " * 200_000 + "q = 1")


def test_tokenizer_handles_whitespace_and_bad_characters():
    assert [t.text for t in tokenize("  a  =\t1 ")] == ["a", "=", "1", ""]
    with pytest.raises(ConditionSyntaxError) as info:
        tokenize("a = 1 && b = 2")
    assert info.value.offset == 6


def test_a_20000_term_or_chain_loads_in_linear_time():
    from survey_toolkit import read_instrument

    form = read_instrument(FORM)
    condition = " or ".join(f"b1_safe_dark = {i % 2 + 1}" for i in range(20_000))
    start = time.perf_counter()
    checked = parse_indicators(_indicators(condition), "long.yaml", form)
    elapsed = time.perf_counter() - start
    assert checked.report.errors == ()
    assert len(checked.spec.indicators[0].numerator.ast.operands) == 20_000
    assert elapsed < 15  # was quadratic: about 40 s for 1,500 terms, hours for 20,000 (issue 10)


def test_a_late_unknown_question_in_a_long_chain_is_located():
    condition = " or ".join(["b1_safe_dark = 1"] * 5000 + ["b1_safe_drak = 1"])
    from survey_toolkit import read_instrument

    form = read_instrument(FORM)
    report = parse_indicators(_indicators(condition), "long.yaml", form).report
    [problem] = report.errors
    assert problem.code == "unknown-question"
    assert problem.location.column == 16 + condition.index("b1_safe_drak")
