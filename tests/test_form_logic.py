"""A form's logic (relevant, constraint, calculation) and project-file conditions: broken, circular,
deep or huge expressions end in a located error, never a RecursionError, a hang or a silent accept."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from survey_toolkit import cli
from survey_toolkit.errors import InstrumentError, Severity
from survey_toolkit.expressions.formlogic import MAX_FORM_EXPRESSION_LENGTH
from survey_toolkit.instrument import instrument_from_sheets, read_instrument
from survey_toolkit.project import check_project
from survey_toolkit.quality import check_quality

FORMS = Path(__file__).parent / "data" / "forms"


def problems(path: Path) -> list[tuple]:
    with pytest.raises(InstrumentError) as info:
        read_instrument(path)
    return [(p.code, p.location.sheet, p.location.row, p.location.field, p.message) for p in info.value.problems]


def test_python_like_and_broken_expressions_are_located_at_sheet_row_and_column():
    assert problems(FORMS / "python_like_logic.xlsx") == [
        ("form-expression-syntax", "survey", 3, "relevant",
         "the relevant of 'age' cannot be read: '==' is not XLSForm (at character 12)"),
        ("form-expression-syntax", "survey", 4, "relevant",
         "the relevant of 'adults' cannot be read: unexpected character '&&' (at character 18)"),
        ("form-expression-syntax", "survey", 5, "relevant",
         "the relevant of 'why' cannot be read: 'True' is not a value in XLSForm (at character 1)"),
        ("form-expression-syntax", "survey", 6, "constraint",
         "the constraint of 'kids' cannot be read: a chained comparison ('<=' then '<=') does not mean what it "
         "says in XLSForm (at character 8)"),
        ("form-expression-syntax", "survey", 7, "calculation",
         "the calculation of 'total' cannot be read: expected ')' to close the '(' at column 1 but found the "
         "end of the expression (at character 21)"),
        ("form-expression-syntax", "survey", 8, "relevant",
         "the relevant of 'rooms' cannot be read: 'not' is not XLSForm (at character 1)"),
        ("form-unknown-function", "survey", 9, "constraint",
         "the constraint of 'fine' calls selectd(), which is not an XLSForm (ODK) function"),
    ]  # fmt: skip


def test_python_like_errors_carry_the_fix_as_a_hint():
    with pytest.raises(InstrumentError) as info:
        read_instrument(FORMS / "python_like_logic.xlsx")
    hints = [p.hint for p in info.value.problems]
    assert hints[:3] == ["write '=' to compare", "use 'and' to combine conditions", "write true() (a function call)"]
    assert hints[-1] == "did you mean 'selected'?"
    assert info.value.problems[0].got == "${consent} == '1'"


def test_circular_calculate_and_relevant_are_reported_with_the_cycle():
    assert problems(FORMS / "circular_logic.xlsx") == [
        ("form-circular-logic", "survey", 6, "relevant",
         "circular logic: g -> inside -> g (the relevant of 'g' uses 'inside'; 'inside' is inside the group 'g')"),
        ("form-circular-logic", "survey", 3, "calculation",
         "circular logic: a -> b -> c -> a (the calculation of 'a' uses 'b'; the calculation of 'b' uses 'c'; "
         "the relevant of 'c' uses 'a')"),
        ("form-circular-logic", "survey", 9, "relevant",
         "circular logic: selfish -> selfish (the relevant of 'selfish' uses 'selfish')"),
    ]  # fmt: skip


def test_a_two_question_cycle_from_sheets():
    with pytest.raises(InstrumentError) as info:
        instrument_from_sheets(
            [{"type": "calculate", "name": "a", "calculation": "${b} + 1"},
             {"type": "calculate", "name": "b", "calculation": "${a} + 1"}]
        )  # fmt: skip
    (problem,) = info.value.problems
    assert problem.code == "form-circular-logic" and "a -> b -> a" in problem.message
    assert (problem.location.sheet, problem.location.row) == ("survey", 2)


def test_an_unknown_function_alone_is_a_warning_kept_with_the_form():
    form = instrument_from_sheets(
        [{"type": "integer", "name": "a", "label": "A", "constraint": "between(., 1, 5)"}]
    )
    (warning,) = [p for p in form.problems if p.code == "form-unknown-function"]
    assert warning.severity is Severity.WARNING and warning.location.row == 2


def test_valid_odk_logic_loads():
    form = instrument_from_sheets(
        [{"type": "select_one yn", "name": "consent", "label": "C"},
         {"type": "begin_group", "name": "g", "label": "G", "relevant": "${consent} = '1'"},
         {"type": "integer", "name": "age", "label": "A", "constraint": ". >= 18 and . <= 110"},
         {"type": "calculate", "name": "label", "calculation": "jr:choice-name(${consent}, '${consent}')"},
         {"type": "calculate", "name": "older", "calculation": "if(${age} > 60, 1, 0)"},
         {"type": "text", "name": "note", "label": "N", "relevant": "${older} = 1 and ${age} != ''"},
         {"type": "end_group"}],
        [{"list_name": "yn", "name": "1", "label": "Yes"}, {"list_name": "yn", "name": "2", "label": "No"}],
    )  # fmt: skip
    assert not [p for p in form.problems if p.code.startswith("form-")]
    assert [(q.name, q.row) for q in form.questions if q.row] == [
        ("consent", 2), ("age", 4), ("label", 5), ("older", 6), ("note", 7),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("relevant", "code", "message"),
    [
        ("(" * 1000 + "${a} = 1" + ")" * 1000, "form-expression-syntax", "more than 50 levels deep"),
        ("-" * 3000 + "${a} > 1", "form-expression-syntax", "more than 50 levels deep"),
        ("not(" * 2000 + "${a} = 1" + ")" * 2000, "form-expression-too-long", "more than 10,000"),
    ],
)
def test_deeply_nested_form_logic_is_a_located_error(relevant, code, message):
    with pytest.raises(InstrumentError) as info:
        instrument_from_sheets(
            [{"type": "integer", "name": "a", "label": "A"},
             {"type": "integer", "name": "b", "label": "B", "relevant": relevant}]
        )  # fmt: skip
    (problem,) = info.value.problems
    assert problem.code == code and message in problem.message
    assert (problem.location.row, problem.location.field) == (3, "relevant")


def test_a_20000_term_relevant_is_refused_at_once_with_the_limit():
    relevant = " or ".join(f"${{a}} = '{i % 3}'" for i in range(20_000))
    start = time.process_time()
    with pytest.raises(InstrumentError) as info:
        instrument_from_sheets(
            [{"type": "integer", "name": "a", "label": "A"},
             {"type": "integer", "name": "b", "label": "B", "relevant": relevant}]
        )  # fmt: skip
    assert time.process_time() - start < 1.0  # pyxform would take about 15 s on it
    (problem,) = info.value.problems
    assert problem.code == "form-expression-too-long" and f"{MAX_FORM_EXPRESSION_LENGTH:,}" in problem.message
    assert (problem.location.row, problem.location.field) == (3, "relevant")


def test_the_cli_reports_broken_form_logic_with_exit_1_and_no_traceback(tmp_path):
    cli._register_commands()
    export = tmp_path / "data.csv"
    export.write_text("consent,age\n1,30\n", encoding="utf-8")
    result = CliRunner().invoke(cli.app, ["inspect", str(export), "-i", str(FORMS / "circular_logic.xlsx")])
    assert result.exit_code == 1, result.output
    assert "form-circular-logic" in result.output and "row 3" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------- quality checks: what is not checked


def test_an_unsupported_constraint_is_listed_as_not_checked_with_its_row_and_reason():
    form = instrument_from_sheets(
        [{"type": "integer", "name": "age", "label": "A", "constraint": ". >= 18"},
         {"type": "date", "name": "when", "label": "W", "constraint": ". <= today()"},
         {"type": "integer", "name": "kids", "label": "K", "constraint": "pulldata('hh', 'kids', 'id', ${age}) >= ."}]
    )  # fmt: skip
    from survey_toolkit.io.base import SurveyData

    frame = pd.DataFrame({"age": pd.array([17, 30], dtype="Int64"), "when": ["2024-01-01"] * 2, "kids": [1, 2]})
    issues = check_quality(SurveyData(frame=frame, instrument=form)).issues
    skipped = issues[(issues["check"] == "not-checked") & issues["message"].str.startswith("constraint")]
    assert skipped["message"].tolist() == [
        "constraint of 'when' (form survey sheet, row 3) not checked: the function today() is not supported",
        "constraint of 'kids' (form survey sheet, row 4) not checked: the function pulldata() is not supported",
    ]
    assert issues[issues["check"] == "constraint-violated"]["column"].tolist() == ["age"]


# ------------------------------------------------------------------------- project-file conditions


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("(" * 1000 + "b1_safe_dark = 1" + ")" * 1000, "more than 50 levels deep"),
        ("not " * 3000 + "b1_safe_dark = 1", "more than 50 levels deep"),
        ("b1_safe_dark == 1 &&", "unexpected character '&&'"),
    ],
)
def test_deep_or_broken_derive_conditions_are_located_errors(tmp_path, condition, message):
    from tests.test_pipeline import reduced_project

    path = reduced_project(tmp_path, extra=f'derive:\n  - name: g\n    when:\n      - {{if: "{condition}", value: a}}\n')
    project, report = check_project(path)
    assert project is None
    (problem,) = [p for p in report if p.is_error]
    assert problem.code == "condition-syntax" and message in problem.message
    assert problem.location.line is not None


def test_a_20000_term_derive_condition_loads_in_linear_time(tmp_path):
    from tests.test_pipeline import reduced_project

    condition = " or ".join(f"b1_safe_dark = {i % 4 + 1}" for i in range(20_000))
    path = reduced_project(tmp_path, extra=f'derive:\n  - name: g\n    when:\n      - {{if: "{condition}", value: a}}\n')
    start = time.process_time()
    project, report = check_project(path)
    elapsed = time.process_time() - start
    assert project is not None, [str(p) for p in report if p.is_error]
    assert len(project.derive[0].rules[0].condition.ast.operands) == 20_000
    assert elapsed < 5.0  # the YAML reader and the project checks included; the parse itself is < 1 s


# ------------------------------------------------------------------ skip logic: the form's relevant


def _skip_form():
    return instrument_from_sheets(
        [{"type": "select_one yn", "name": "consent", "label": "C"},
         {"type": "begin_group", "name": "g", "label": "G", "relevant": "${consent} = '1'"},
         {"type": "integer", "name": "age", "label": "A"},
         {"type": "text", "name": "why", "label": "W", "relevant": "${age} < 18"},
         {"type": "select_multiple yn", "name": "m", "label": "M", "relevant": "${age} >= 18 and ${why} = ''"},
         {"type": "date", "name": "d", "label": "D", "relevant": "${age} > today()"},
         {"type": "end_group"}],
        [{"list_name": "yn", "name": "1", "label": "Yes"}, {"list_name": "yn", "name": "2", "label": "No"}],
    )  # fmt: skip


def test_answers_where_the_form_skips_the_question_are_flagged_without_their_value():
    from survey_toolkit.io.base import SurveyData

    frame = pd.DataFrame(
        {
            "consent": pd.Categorical(["1", "2", "1", "1", "1"]),
            "age": pd.array([30, 40, 12, None, 25], dtype="Int64"),
            "why": pd.array(["Annabelle's secret", None, "x", "y", None], dtype="string"),
            "m": pd.array([None, None, "1", None, "1 2"], dtype="string"),
            "d": [None, "2024-01-01", None, None, None],
        }
    )
    issues = check_quality(SurveyData(frame=frame, instrument=_skip_form())).issues
    found = issues[issues["check"] == "answered-when-skipped"]
    # row 0: 'why' asked only under 18; row 2: 'm' asked only from 18; row 3: age unknown, so 'why' may be
    # asked (not flagged); row 1 has no consent: left to no-consent; row 4 follows the skips
    assert list(zip(found["column"], found["frame_index"], strict=True)) == [("why", 0), ("m", 2)]
    assert found["value"].isna().all() and not found["message"].str.contains("Annabelle").any()
    assert found["message"].iloc[0] == (
        "'why' is answered although the form skips it here (relevant: (${consent} = '1') and (${age} < 18))"
    )
    assert set(found["action"]) == {"flagged"}
    (skipped,) = issues[(issues["check"] == "not-checked") & issues["message"].str.startswith("skip logic")]["message"]
    assert skipped == "skip logic of 1 question(s) not checked: 'd' (the function today() is not supported)"


def test_the_reach_msna_2024_tool_s_skip_logic_on_its_export(shared):
    """Real-shaped: the REACH MSNA 2024 KoBo tool (170 relevants on the main table, selected(), groups)
    and its dummy export, which follows the skips: nothing flagged, every relevant evaluated. An answer
    planted where the form skips the question is found, at its record."""
    import dataclasses
    import warnings

    import survey_toolkit as st

    folder = shared("real", "reach_humind_msna2024_tool")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = st.load(folder / "dummy_raw_data.xlsx", instrument=folder / "REACH_2024_MSNA-kobo-tool_draft_v11.xlsx")
    issues = check_quality(data).issues
    assert (issues["check"] == "answered-when-skipped").sum() == 0
    assert not issues["message"].str.startswith("skip logic").any()  # no relevant left unevaluated

    from survey_toolkit.quality.constraints import evaluate_constraint

    form = data.instrument
    for question in form.leaves:  # the first question with a skipped row and an answer elsewhere
        relevant = form.effective_relevant(question) if question.repeat is None else None
        if not relevant or question.name not in data.frame.columns or data.frame[question.name].isna().all():
            continue
        asked = evaluate_constraint(relevant, data.frame, question.name, form)
        if asked.eq(False).fillna(False).any():
            break
    row = asked.index[asked.eq(False).fillna(False)][0]
    frame = data.frame.copy()
    value = frame[question.name].dropna().iloc[0]
    if isinstance(frame[question.name].dtype, pd.CategoricalDtype):
        frame[question.name] = frame[question.name].astype(object)
    frame.loc[row, question.name] = value
    issues = check_quality(dataclasses.replace(data, frame=frame)).issues
    found = issues[issues["check"] == "answered-when-skipped"]
    assert found[["column", "frame_index"]].values.tolist() == [[question.name, row]]


def test_skip_logic_evaluates_a_shared_relevant_once_and_a_dot_relevant_per_question(monkeypatch):
    """The questions of a group share its relevant: one evaluation for all of them; an expression
    reading ``.`` depends on the question and is evaluated for each."""
    import pandas as pd

    from survey_toolkit.quality import checks

    calls = []
    real = checks.evaluate_constraint

    def counting(condition, frame, current, form=None):
        calls.append(current)
        return real(condition, frame, current, form)

    monkeypatch.setattr(checks, "evaluate_constraint", counting)
    frame = pd.DataFrame({"a": ["1", "2", "1"], "b": ["x", None, "y"], "c": ["5", None, "6"], "d": ["", "", "3"]})
    cache: dict = {}
    first = checks._asked("${a} = '1'", frame, "b", None, cache)
    second = checks._asked("${a} = '1'", frame, "c", None, cache)
    assert calls == ["b"] and first.tolist() == second.tolist() == [True, False, True]
    checks._asked(". != ''", frame, "c", None, cache)
    checks._asked(". != ''", frame, "d", None, cache)
    assert calls == ["b", "c", "d"]
