"""Answers outside the choice list (off-list codes) count as the project says, are reported on every run,
and stop ``validate``/``run`` above a share (issue 9, silent wrong results item 6).

Real-shaped fixtures: the KoBo export of a perception survey with Likert questions
(``../shared/fixtures/real/kobo_xlsx_export_kobocruncher``: 120 respondents, ``violence`` answered
likely / neutral / unlikely) and REACH's MSNA 2024 tool with its KoBo-shaped export
(``reach_humind_msna2024_tool``: select_multiple ``aap_priority_challenge``). Off-list codes are planted
in copies in ``tmp_path``; the shared files are never modified.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import survey_toolkit as st
from survey_toolkit import cli, pipeline
from survey_toolkit.errors import DataError
from survey_toolkit.offlist import OffListRule, off_list_problems, off_list_table
from survey_toolkit.project import check_project
from tests.conftest import shared_path

LIKERT = ("real", "kobo_xlsx_export_kobocruncher")
FREE_TEXT = "Jane Doe +237699123456"

# The planted export (below): 12 of the 120 answers of 'violence' are off-list (11 'very_likely', one free
# text); 82 respondents answered 'likely'. Reference values, R 4.2.2, survey 4.1-1, on the planted
# answers with every off-list answer recoded to "OFF" (d), equal weights:
#   des <- svydesign(ids = ~1, weights = ~w, data = d)
#   svymean(~I(violence == "likely"), subset(des, violence != "OFF"))    # off_list: missing
R_MISSING = (0.759259259259259, 0.041311894287259)  # = 82 / 108
#   svymean(~I(violence == "likely"), des)                               # off_list: other
R_OTHER = (0.683333333333333, 0.042642631535546)  # = 82 / 120
#   svymean(~I(violence == "OFF"), des)                                  # the 'off_list' category
R_OTHER_SHARE = (0.100000000000000, 0.027500954910846)  # = 12 / 120

INDICATORS = """\
spec_version: 1
languages: [en]
defaults: {universe: all}
indicators:
  - id: violence_likely
    type: proportion
    label: {en: Violence likely}
    numerator: violence = 'likely'
  - id: violence_dist
    type: distribution
    label: {en: Violence}
    question: violence
"""


@functools.cache
def _likert_form():
    return st.read_instrument(shared_path(*LIKERT, "form_likert.xlsx"))


def _planted(tmp_path: Path) -> Path:
    """A copy of the real export with 12 off-list answers to 'violence' (every tenth respondent)."""
    wb = openpyxl.load_workbook(shared_path(*LIKERT, "data_likert.xlsx"))
    ws = wb.worksheets[0]
    column = [c.value for c in ws[1]].index("group_ei8jz33.violence") + 1
    for row in range(11, ws.max_row + 1, 10):  # spreadsheet rows 11, 21, ..., 121
        ws.cell(row, column).value = FREE_TEXT if row == 121 else "very_likely"
    path = tmp_path / "likert_planted.xlsx"
    wb.save(path)
    return path


@pytest.fixture
def planted(tmp_path):
    data = st.load(_planted(tmp_path), instrument=_likert_form())
    data.frame["w"] = 1.0
    return data


def _spec(tmp_path: Path):
    path = tmp_path / "indicators.yaml"
    path.write_text(INDICATORS, encoding="utf-8")
    return st.load_indicators(path, _likert_form())


def _row(out: pd.DataFrame, ident: str, category: str | None = None) -> pd.Series:
    rows = out[out["indicator_id"] == ident]
    rows = rows[rows["category"].isna()] if category is None else rows[rows["category"] == category]
    return rows.iloc[0]


@pytest.mark.parametrize(("rule", "expected", "n"), [("missing", R_MISSING, 108), ("other", R_OTHER, 120)])
def test_the_published_proportion_follows_the_rule(planted, tmp_path, rule, expected, n):
    out = st.compute(planted, _spec(tmp_path), st.Design(weights="w"), off_list=OffListRule(rule))
    row = _row(out, "violence_likely")
    assert row["estimate"] == pytest.approx(100 * expected[0], abs=1e-10)
    assert row["se"] == pytest.approx(100 * expected[1], abs=1e-10)
    assert row["n"] == n


def test_other_is_an_explicit_category_and_never_a_listed_choice(planted, tmp_path):
    out = st.compute(planted, _spec(tmp_path), st.Design(weights="w"), off_list=OffListRule("other"))
    dist = out[out["indicator_id"] == "violence_dist"]
    assert set(dist["category"]) == {"likely", "neutral", "unlikely", "off_list"}
    assert dist["estimate"].sum() == pytest.approx(100.0)
    off = _row(out, "violence_dist", "off_list")
    assert (off["estimate"], off["se"]) == pytest.approx(
        (100 * R_OTHER_SHARE[0], 100 * R_OTHER_SHARE[1]), abs=1e-10
    )
    missing = st.compute(planted, _spec(tmp_path), st.Design(weights="w"))  # the default: missing
    assert "off_list" not in set(missing["category"].dropna())
    assert missing[missing["indicator_id"] == "violence_dist"]["estimate"].sum() == pytest.approx(100.0)
    assert not out.astype(str).apply(lambda c: c.str.contains("Jane")).any().any()


def test_conditions_under_other_are_false_not_unknown():
    frame = pd.DataFrame({"q": pd.Categorical(["1", "2", "7", None], categories=["1", "2", "3", "7"])})
    kinds = {"q": "select_one"}

    def cols(rule):
        return st.spec.conditions.Columns(frame, kinds, choices={"q": ("1", "2", "3")}, off_list_default=rule)

    from survey_toolkit.expressions import evaluate_on

    assert evaluate_on("q in [1, 2]", cols("missing")).tolist() == [True, True, pd.NA, pd.NA]
    assert evaluate_on("q in [1, 2]", cols("other")).tolist() == [True, True, False, pd.NA]
    assert evaluate_on("q != 1", cols("other")).tolist() == [False, True, True, pd.NA]
    assert evaluate_on("q >= 2", cols("other")).tolist() == [
        False,
        True,
        False,
        pd.NA,
    ]  # 7 is not a 'big' code


def test_every_run_reports_the_off_list_answers(planted):
    table = off_list_table(planted, OffListRule(max_share=0.2), "R1")
    assert table[["question", "answers", "off_list", "rule"]].values.tolist() == [
        ["violence", 120, 12, "missing"]
    ]
    assert table["share"].iloc[0] == pytest.approx(0.1)
    assert table["record_ids"].iloc[0] == "row-11, row-21, row-31, row-41, row-51"
    assert "very_likely" in table["codes"].iloc[0] and "Jane" not in table["codes"].iloc[0]
    (problem,) = off_list_problems(table, OffListRule(max_share=0.2))
    assert (problem.code, problem.is_error, problem.count) == ("off-list-answers", False, 12)
    assert "round R1" in problem.message and "counted as missing" in problem.message
    assert problem.location.field == "violence" and problem.location.record_id == "row-11"
    assert problem.location.row == 11
    assert "Jane" not in str(problem) and "+237" not in str(problem)


def test_above_the_share_it_is_an_error_naming_the_key(planted):
    (problem,) = off_list_problems(off_list_table(planted, OffListRule(), "R1"), OffListRule())
    assert problem.code == "off-list-share" and problem.is_error
    assert "10.0% of 120 answers" in problem.message and "5.0%" in problem.message
    assert "off_list_max_share" in problem.hint and "off_list_questions" in problem.hint
    assert str(problem).startswith(str(Path(planted.source)))


# ---------------------------------------------------------------------------------- select_multiple

MSNA = ("real", "reach_humind_msna2024_tool")
Q = "aap_priority_challenge"


@functools.cache
def _msna_raw() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.read_excel(shared_path(*MSNA, "dummy_raw_data.xlsx"), sheet_name=0, dtype=str)


def test_select_multiple_tokens_follow_the_same_rule(tmp_path):
    raw = _msna_raw().copy()
    answered = raw.index[raw[Q].notna()]
    only, mixed = answered[:2], answered[2:4]
    # as KoBo exports them: the code in the summary column, 0 in every choice column of the form's list
    raw.loc[only, Q] = "water_tanks"  # an answer made only of an off-list code
    raw.loc[only, [c for c in raw.columns if c.startswith(f"{Q}/")]] = "0"
    raw.loc[mixed, Q] = raw.loc[mixed, Q] + " water_tanks"  # a listed answer plus an off-list code
    path = tmp_path / "msna.xlsx"
    raw.to_excel(path, index=False)
    form = st.read_instrument(shared_path(*MSNA, "REACH_2024_MSNA-kobo-tool_draft_v11.xlsx"))
    data = st.load(path, instrument=form)
    data.frame["w"] = 1.0
    spec_path = tmp_path / "ind.yaml"
    spec_path.write_text(
        "spec_version: 1\nlanguages: [en]\ndefaults: {universe: all}\nindicators:\n"
        f"  - id: food\n    type: proportion\n    label: {{en: Food}}\n    numerator: selected({Q}, 'food')\n",
        encoding="utf-8",
    )
    spec = st.load_indicators(spec_path, form)
    # by hand: respondents answering don't know / prefer not to answer (and not 'food') leave the base
    # (dk_refused: excluded); the two answers made only of an off-list code leave it under 'missing'
    tokens = data.frame[Q].fillna("").str.split()
    food = tokens.map(lambda t: "food" in t)
    dk = tokens.map(lambda t: bool({"dnk", "pnta"} & set(t)))
    eligible = int((data.frame[Q].notna() & ~(dk & ~food)).sum())
    n_food = int(food.sum())
    # R 4.2.2, survey 4.1-1 on the planted answers (food, dk = dnk or pnta, only_off = only 'water_tanks'):
    #   base <- subset(svydesign(ids = ~1, weights = ~w, data = d), !(dk & !food))
    #   svymean(~food, subset(base, !only_off))   # missing: 0.557823129251701, SE 0.041047858336563
    #   svymean(~food, base)                      # other:   0.550335570469799, SE 0.040838316004239
    r_values = {"missing": (0.557823129251701, 0.041047858336563), "other": (0.550335570469799, 0.040838316004239)}
    for rule, base in (("missing", eligible - 2), ("other", eligible)):
        out = st.compute(data, spec, st.Design(weights="w"), off_list=OffListRule(rule))
        row = out[out["indicator_id"] == "food"].iloc[0]
        assert row["n"] == base
        assert row["estimate"] == pytest.approx(100 * n_food / base, abs=1e-10)
        assert (row["estimate"], row["se"]) == pytest.approx(tuple(100 * v for v in r_values[rule]), abs=1e-10)
    table = off_list_table(data, OffListRule(), "R1")
    row = table[table["question"] == Q].iloc[0]
    assert row["off_list"] == 4 and row["select_multiple"] and row["codes"] == "water_tanks"


# --------------------------------------------------------------------------------- project and CLI


def _project(tmp_path: Path, keys: str = "") -> Path:
    export = _planted(tmp_path)
    (tmp_path / "indicators.yaml").write_text(INDICATORS, encoding="utf-8")
    path = tmp_path / "survey.yaml"
    path.write_text(
        f"version: 1\ninstrument: {shared_path(*LIKERT, 'form_likert.xlsx')}\nindicators: indicators.yaml\n"
        f"rounds:\n  - id: R1\n    files: [{export.name}]\n{keys}"
        "report:\n  languages: [en]\n  disaggregate: false\n  output: out\n",
        encoding="utf-8",
    )
    return path


def test_run_stops_above_the_share_and_publishes_both_rules_below_it(tmp_path):
    with pytest.raises(DataError) as caught:
        pipeline.run(_project(tmp_path), until="compute", write=False)
    (problem,) = [p for p in caught.value.problems if p.code == "off-list-share"]
    assert problem.location.field == "violence" and "round R1" in problem.message

    for rule, expected in (("missing", R_MISSING), ("other", R_OTHER)):
        path = _project(tmp_path, f"off_list: {rule}\noff_list_max_share: 0.1\n")
        result = pipeline.run(path, until="compute", write=False)
        row = result.table[
            (result.table["indicator_id"] == "violence_likely") & (result.table["location"] == "All")
        ]
        assert float(row["estimate"].iloc[0]) == pytest.approx(100 * expected[0], abs=1e-10)
        assert [p.code for p in result.problems if p.code.startswith("off-list")] == ["off-list-answers"]
        assert result.checked.off_list["rule"].tolist() == [rule]


def test_a_question_can_have_its_own_rule(tmp_path):
    path = _project(tmp_path, "off_list_questions: {violence: other}\noff_list_max_share: 0.1\n")
    result = pipeline.run(path, until="compute", write=False)
    row = result.table[
        (result.table["indicator_id"] == "violence_likely") & (result.table["location"] == "All")
    ]
    assert float(row["estimate"].iloc[0]) == pytest.approx(100 * R_OTHER[0], abs=1e-10)


@pytest.mark.parametrize(
    ("keys", "code", "line"),
    [
        ("off_list: others\n", "bad-value", 7),
        ("off_list_max_share: 5\n", "bad-value", 7),
        ("off_list_questions: {violence: skip}\n", "bad-value", 7),
    ],
)
def test_bad_keys_are_located(tmp_path, keys, code, line):
    project, report = check_project(_project(tmp_path, keys))
    assert project is None
    (problem,) = report.problems
    assert problem.code == code and problem.location.line == line


def test_an_unknown_question_is_an_error(tmp_path):
    _, report = pipeline.validate_project(
        _project(tmp_path, "off_list_questions: {violense: other}\n"), data=False
    )
    (problem,) = [p for p in report.problems if p.code == "unknown-question"]
    assert problem.is_error and "violence" in problem.hint and problem.location.line == 7


runner = CliRunner()


def test_cli_validate_and_run_exit_1_above_the_share_0_below(tmp_path):
    cli._register_commands()
    path = _project(tmp_path)
    result = runner.invoke(cli.app, ["validate", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "off-list-share" in result.output and "off_list_max_share" in result.output
    assert "Jane" not in result.output
    assert runner.invoke(cli.app, ["run", str(tmp_path)]).exit_code == 1
    assert not (tmp_path / "out" / "results.csv").exists()

    path.write_text(path.read_text(encoding="utf-8") + "off_list_max_share: 0.1\n", encoding="utf-8")
    result = runner.invoke(cli.app, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "off-list-answers" in result.output
    result = runner.invoke(cli.app, ["run", str(tmp_path)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Answers outside the choice lists: R1 'violence' 12 of 120 (10.0%) counted as missing" in said
    table = pd.read_csv(tmp_path / "out" / "off_list.csv")
    assert table[["round", "question", "off_list", "rule"]].values.tolist() == [
        ["R1", "violence", 12, "missing"]
    ]
    html = (tmp_path / "out" / "report.en.html").read_text(encoding="utf-8")
    annex = html.split('id="methodology"', 1)[1]  # the report says it too: counts, never the answers
    section = annex.split("<h3>Answers outside the choice lists</h3>", 1)[1].split("<h3>", 1)[0]
    assert "(violence)</td><td>120</td><td>12</td><td>10.0</td><td>as missing: out of the base" in section
    assert FREE_TEXT not in html and "Jane" not in html and "very_likely" not in section


def test_derived_variables_never_read_an_off_list_code_as_a_listed_one():
    from survey_toolkit.derive import derive_columns
    from survey_toolkit.indicators.semantics import QuestionKinds

    frame = pd.DataFrame({"q": pd.Categorical(["1", "4", "5", None], categories=["1", "2", "3", "4", "5"])})
    kinds = QuestionKinds({"q": "select_one"}, {"q": ("1", "2", "3", "4")})
    rules = [{"if": "q >= 3", "value": "unsafe"}, {"if": "q < 3", "value": "safe"}]
    (derived,) = _derived(rules)
    for rule in ("missing", "other"):  # a '5' on a 1-4 scale is not 'unsafe' (it was, before)
        out = derive_columns(frame, [derived], kinds, off_list=OffListRule(rule))["band"]
        assert out.tolist()[:2] == ["safe", "unsafe"] and pd.isna(out.iloc[2])


def _derived(rules):
    from survey_toolkit.derive import Derived, Rule
    from survey_toolkit.expressions import parse_condition

    return (Derived("band", tuple(Rule(parse_condition(r["if"]), r["value"]) for r in rules)),)
