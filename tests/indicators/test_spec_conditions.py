"""The condition language: parsing, precedence, three-valued evaluation and located errors."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_toolkit.indicators.conditions import (
    BoolOp,
    ConditionSyntaxError,
    InList,
    Not,
    evaluate,
    parse_condition,
)

NA = pd.NA


@pytest.fixture
def frame() -> pd.DataFrame:
    """Rows: 0 yes/selected 1 2, 1 no/selected 3, 2 unanswered, 3 don't know, 4 refused."""
    return pd.DataFrame(
        {
            "q": pd.Categorical(["1", "2", None, "98", "99"], categories=["1", "2", "98", "99"]),
            "r": pd.Categorical(["2", "1", "1", None, "2"], categories=["1", "2", "98", "99"]),
            "age": pd.array([20, 35, None, 50, 70], dtype="Int64"),
            "m": pd.array(["1 2", "3", None, "98", "99"], dtype="string"),
            "m/1": pd.array([True, False, None, False, False], dtype="boolean"),
            "m/2": pd.array([True, False, None, False, False], dtype="boolean"),
            "m/3": pd.array([False, True, None, False, False], dtype="boolean"),
            "m/98": pd.array([False, False, None, True, False], dtype="boolean"),
            "m/99": pd.array([False, False, None, False, True], dtype="boolean"),
        }
    )


def ev(text, frame):
    return evaluate(text, frame).tolist()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("q = 1", [True, False, NA, False, False]),
        ("q != 1", [False, True, NA, True, True]),
        ("q = '1'", [True, False, NA, False, False]),
        ("${q} == 1", [True, False, NA, False, False]),
        ("q in [1, 2]", [True, True, NA, False, False]),
        ("q not in [1, 2]", [False, False, NA, True, True]),
        ("q in [1..2]", [True, True, NA, False, False]),
        ("q <= 2", [True, True, NA, False, False]),
        ("q > 2", [False, False, NA, True, True]),
        ("age >= 35", [False, True, NA, True, True]),
        ("age < 35", [True, False, NA, False, False]),
        ("age in [20, 70]", [True, False, NA, False, True]),
        ("q is missing", [False, False, True, False, False]),
        ("q is not missing", [True, True, False, True, True]),
        ("answered(q)", [True, True, False, True, True]),
        ("valid(q)", [True, True, False, False, False]),
        ("dk(q)", [False, False, False, True, False]),
        ("refused(q)", [False, False, False, False, True]),
        ("selected(m, 1)", [True, False, NA, False, False]),
        ("selected(m, 3)", [False, True, NA, False, False]),
        ("any-selected(m, [2, 3])", [True, True, NA, False, False]),
        ("count-selected(m) >= 2", [True, False, NA, False, False]),
        ("valid(m)", [True, True, False, False, False]),
        ("dk(m)", [False, False, False, True, False]),
        ("selected(q, 1)", [True, False, NA, False, False]),
    ],
)
def test_atoms(frame, text, expected):
    assert ev(text, frame) == expected


def test_select_multiple_from_raw_codes_only(frame):
    raw = frame[["m"]]
    assert ev("selected(m, 1)", raw) == ev("selected(m, 1)", frame)
    assert ev("any-selected(m, [2, 3])", raw) == [True, True, NA, False, False]
    assert ev("count-selected(m) = 1", raw) == [False, True, NA, True, True]
    # code 1 must not match inside 13
    assert evaluate("selected(m, 1)", pd.DataFrame({"m": ["13 21"]}), {"m": "select_multiple"}).tolist() == [False]


def test_kleene_truth_tables():
    t, f = "a = 1", "a = 2"
    frame = pd.DataFrame({"a": pd.Categorical(["1"]), "n": pd.Categorical([None], categories=["1"])})
    u = "n = 1"  # unknown
    table = {
        f"{t} and {u}": NA, f"{f} and {u}": False, f"{u} and {u}": NA,
        f"{t} or {u}": True, f"{f} or {u}": NA, f"{u} or {u}": NA,
        f"not {u}": NA, f"not {t}": False, f"not {f}": True,
        f"{t} and {t}": True, f"{t} or {f}": True, f"{f} or {f}": False,
    }
    for text, expected in table.items():
        assert evaluate(text, frame).tolist() == [expected], text


def test_precedence_not_and_or():
    cond = parse_condition("not a = 1 and b = 2 or c = 3")
    assert isinstance(cond.ast, BoolOp) and cond.ast.op == "or"
    left = cond.ast.operands[0]
    assert isinstance(left, BoolOp) and left.op == "and"
    assert isinstance(left.operands[0], Not)
    grouped = parse_condition("not (a = 1 and (b = 2 or c = 3))")
    assert isinstance(grouped.ast, Not)


def test_precedence_changes_results(frame):
    # q = 2 or q = 1 and r = 1  ==  q = 2 or (q = 1 and r = 1)
    assert ev("q = 2 or q = 1 and r = 1", frame) == ev("q = 2 or (q = 1 and r = 1)", frame)
    assert ev("(q = 2 or q = 1) and r = 1", frame) == [False, True, NA, False, False]


def test_questions_and_ranges():
    cond = parse_condition("any-selected(c7, [13..15, 21]) and not valid(b1)")
    assert cond.questions() == {"c7", "b1"}
    call = cond.ast.operands[0]
    assert [lit.code for lit in call.codes] == ["13", "14", "15", "21"]
    assert isinstance(parse_condition("x not in [1]").ast, InList)


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("", 0, "the condition is empty"),
        ("q = ", 4, "expected a number or a quoted code but found the end of the condition"),
        ("q && r", 2, "unexpected character '&&'"),
        ("q = 1 r = 2", 6, "expected 'and', 'or' or the end of the condition but found 'r'"),
        ("selectd(q, 1)", 0, "unknown function 'selectd'"),
        ("(q = 1", 6, "expected ')' to close the '(' at column 1 but found the end of the condition"),
        ("q", 1, "expected a comparison after 'q' (=, !=, <, <=, >, >=, in [...], is missing) but found the end "
              "of the condition"),
        ("q in [1, ", 9, "expected a number or a quoted code but found the end of the condition"),
        ("q = 'abc", 4, "unterminated quoted text"),
        ("q in [5..2]", 6, "a code range needs two whole numbers, the first not larger than the second"),
        ("selected(q)", 10, "expected ',' and a code but found ')'"),
        ("q is nothing", 5, "expected 'missing' after 'is' but found 'nothing'"),
        ("q = b1", 4, "expected a number or a quoted code but found 'b1'"),
    ],
)
def test_syntax_errors_have_offsets(text, offset, message):
    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition(text)
    assert (info.value.offset, info.value.message) == (offset, message)


def test_did_you_mean_for_functions():
    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition("count_selected(q) > 1")
    assert info.value.hint == "did you mean 'count-selected'?"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_parser_never_fails_otherwise(text):
    try:
        parse_condition(text)
    except ConditionSyntaxError as exc:
        assert 0 <= exc.offset <= len(text)


def test_unknown_column_is_a_key_error(frame):
    with pytest.raises(KeyError):
        evaluate("zz = 1", frame)


_codes = st.sampled_from(["1", "2", "3", "98", None])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_codes, _codes), min_size=1, max_size=12))
def test_kleene_laws_and_in_list_on_random_answers(rows):
    frame = pd.DataFrame({"a": pd.Categorical([r[0] for r in rows], categories=["1", "2", "3", "98"]),
                          "b": pd.Categorical([r[1] for r in rows], categories=["1", "2", "3", "98"])})
    a, b = "a in [1, 2]", "b = 3"
    left = evaluate(f"not ({a} and {b})", frame)
    right = evaluate(f"not {a} or not {b}", frame)
    assert left.isna().tolist() == right.isna().tolist()
    assert left.fillna(False).tolist() == right.fillna(False).tolist()
    expected = [None if x is None else x in ("1", "2") for x, _ in rows]
    got = evaluate(a, frame).astype(object).where(evaluate(a, frame).notna(), None).tolist()
    assert got == expected
    assert evaluate("valid(a) or a is missing or dk(a)", frame).all()
