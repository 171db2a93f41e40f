"""Deliberately broken indicator files: each yields the exact file:line:col and message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from survey_toolkit import cli
from survey_toolkit.errors import SpecError
from survey_toolkit.indicators import load_indicators, validate_indicators

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "spec"
FORM = ROOT / "instruments" / "cssp_core.xlsx"

# file -> [(line, column, code, message, hint)]; tier-2 cases need the instrument
CASES: dict[str, list[tuple[int, int, str, str, str | None]]] = {
    "unknown_question.yaml": [
        (7, 16, "unknown-question", "the condition refers to question 'b1_safe_drak', which is not in the form "
         "'cssp_core'", "did you mean 'b1_safe_dark'?"),
    ],
    "bad_code.yaml": [
        (7, 36, "unknown-code", "code 7 is not a choice of 'b1_safe_dark' (list 'safe_dark')",
         "valid codes: 1, 2, 3, 4, 5, 98, 99"),
    ],
    "syntax_error.yaml": [
        (8, 1, "yaml-syntax", "YAML syntax error: found unexpected end of stream (while scanning a quoted scalar "
         "started at line 6, column 12)", "check indentation (spaces, not tabs), a missing ':' or an unclosed "
         "quote or bracket"),
    ],
    "tab_indent.yaml": [
        (4, 1, "yaml-syntax", "YAML syntax error: found character '\\t' that cannot start any token (while "
         "scanning for the next token)", "check indentation (spaces, not tabs), a missing ':' or an unclosed "
         "quote or bracket"),
    ],
    "wrong_type.yaml": [
        (7, 22, "wrong-type", "'min_valid_items' must be a whole number, not text", None),
        (8, 16, "wrong-type", "'sensitive' must be true or false, not text", "write true or false without quotes"),
        (12, 43, "wrong-type", "'range' must be a list of two numbers [low, high], not [4, 1]",
         "the first number must be smaller than the second"),
    ],
    "missing_field.yaml": [
        (4, 5, "missing-key", "indicator 'safe_dark' has no 'label'", "add 'label:'"),
        (4, 5, "missing-key", "indicator 'safe_dark' of type 'proportion' has no 'numerator'", "add 'numerator:'"),
    ],
    "duplicate_id.yaml": [
        (8, 9, "duplicate-id", "id 'trust_police' is already used by the indicator at line 4",
         "rename one of them, e.g. 'trust_police_2'"),
    ],
    "duplicate_key.yaml": [
        (8, 5, "duplicate-key", "key 'numerator' appears twice in the same mapping (first at line 7)",
         "remove or rename one of them; YAML would silently keep only the last"),
    ],
    "circular_index.yaml": [
        (10, 20, "circular-reference", "circular reference: index_a -> index_b -> index_a",
         "an indicator cannot be built, even indirectly, from itself"),
    ],
    "bad_expression.yaml": [
        (7, 31, "bad-condition", "cannot read the condition: unexpected character '&&'",
         "use 'and' to combine conditions"),
    ],
    "curly_quotes.yaml": [  # pasted from Word: located at the quote, which the hint names
        (8, 33, "bad-condition", "cannot read the condition: typographic quote \u2018 (left single quotation mark) "
         "where a straight quote is expected", "replace the typographic quote \u2018 (left single quotation mark, "
         "character 18 of the expression) with a straight quote ', and any other (Word and Excel type them: turn off smart quotes or retype the quotes)"),
        (12, 61, "bad-condition", "cannot read the condition: unterminated quoted text", "close the quoted text "
         "with a matching quote on the same line; or, if it opens or closes quoted text, replace the typographic "
         "quote \u2019 (right single quotation mark, character 21 of the expression) with a straight quote ', "
         "and any other (Word and Excel type them: turn off smart quotes or retype the quotes)"),
    ],
    "unclosed_list.yaml": [
        (7, 37, "bad-condition", "cannot read the condition: expected ',' or ']' in the list of codes but found "
         "the end of the condition", None),
    ],
    "multiline_expression.yaml": [
        (10, 7, "bad-condition", "cannot read the condition: unknown function 'selectd'",
         "did you mean 'selected'?"),
    ],
    "unknown_key.yaml": [
        (5, 11, "bad-value", "'type' is 'proportoin', which is not allowed", "did you mean 'proportion'?"),
        (7, 5, "unknown-key", "unknown key 'numerater' in indicator 'trust_police'", "did you mean 'numerator'?"),
    ],
    "unscored_mean.yaml": [
        (7, 15, "unscored-select-one", "a mean of select_one 'd1_trust_police' needs 'scores' (code: value)",
         "add scores: {1: 0, 2: 1, ...}, or use type: distribution"),
    ],
    "select_multiple_misuse.yaml": [
        (7, 16, "select-multiple-compared", "'c7_rep_phys' is a select_multiple: it cannot be compared with a "
         "single code", "write selected(c7_rep_phys, 13) (or count-selected(...) for a number of answers)"),
        (8, 18, "select-one-as-multiple", "count-selected() needs a select_multiple; 'd1_trust_police' is a "
         "select_one", "compare the answer instead, e.g. d1_trust_police = 1"),
    ],
    "too_few_items.yaml": [
        (9, 7, "too-few-items", "index 'tiny_index' has 1 item; an index needs at least 2",
         "use a proportion or a mean for a single question"),
        (13, 22, "too-few-items", "index 'strict_index' requires 4 valid items but has only 2",
         "lower min_valid_items to at most 2 or add items"),
    ],
}


def _triples(report):
    return [(p.location.line, p.location.column, p.code, p.message, p.hint) for p in report.problems]


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file_problems(name):
    path = DATA / name
    report = validate_indicators(path, FORM)
    assert _triples(report) == CASES[name]
    assert all(p.location.file == str(path) for p in report.problems)


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file_raises_spec_error_with_every_problem(name):
    with pytest.raises(SpecError) as info:
        load_indicators(DATA / name, FORM)
    assert len(info.value.problems) == len(CASES[name])


runner = CliRunner()


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_check_renders_problems_and_exits_1(name):
    cli._register_commands()
    path = DATA / name
    result = runner.invoke(cli.app, ["indicators", "check", str(path), "--instrument", str(FORM)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    line, col, code, _message, _hint = CASES[name][0]
    assert f"{path}:{line}:{col}: error[{code}]" in result.output
    assert f"{len(CASES[name])} error(s)" in result.output


def test_tier1_problems_need_no_instrument():
    report = validate_indicators(DATA / "missing_field.yaml")
    assert [p.code for p in report.problems] == ["missing-key", "missing-key"]


def test_instrument_only_problems_are_silent_without_it():
    assert validate_indicators(DATA / "unknown_question.yaml").ok


def test_missing_translation_is_a_warning(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("spec_version: 1\nlanguages: [en, fr]\nindicators:\n  - id: a\n    type: proportion\n"
                    "    label: {en: Trust}\n    numerator: d1_trust_police = 4\n", encoding="utf-8")
    report = validate_indicators(path, FORM)
    assert report.ok
    (w,) = report.warnings
    assert (w.code, w.location.line, w.location.column, w.message) == ("missing-translation", 6, 12, "no fr text")
    assert load_indicators(path).ids == ("a",)
