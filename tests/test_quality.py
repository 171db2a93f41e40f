"""Data-quality checks on hand-built SurveyData frames that follow the io.base column conventions."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from survey_toolkit.errors import Severity
from survey_toolkit.instrument import instrument_from_sheets
from survey_toolkit.io.base import SurveyData
from survey_toolkit.quality import (
    DEFAULT_EXCLUDED,
    ISSUE_COLUMNS,
    UnsupportedExpression,
    apply_exclusions,
    check_quality,
    evaluate_constraint,
    parse_constraint,
)

FORM = instrument_from_sheets(
    survey=[
        {"type": "start", "name": "start"},
        {"type": "end", "name": "end"},
        {"type": "select_one yesno", "name": "consent", "label": "Agree?"},
        {"type": "begin_group", "name": "a", "label": "A", "relevant": "${consent} = '1'"},
        {"type": "integer", "name": "a2_age", "label": "Age", "constraint": ". >= 18 and . <= 110"},
        {"type": "text", "name": "resp_name", "label": "Name", "constraint": "string-length(.) <= 5"},
        {"type": "select_one safe", "name": "b1_safe_dark", "label": "Safe?"},
        {"type": "select_multiple threats", "name": "b6_threats", "label": "Threats",
         "constraint": "count-selected(.) = 1 or not(selected(., '97') or selected(., '98'))"},
        {"type": "integer", "name": "hh_adults", "label": "Adults", "constraint": ". >= 1 and . <= ${a2_age}"},
        {"type": "date", "name": "when", "label": "When", "constraint": ". <= today()"},
        {"type": "end_group"},
        {"type": "begin_repeat", "name": "member", "label": "Member"},
        {"type": "integer", "name": "m_age", "label": "Age", "constraint": ". < 150"},
        {"type": "end_repeat"},
    ],
    choices=[
        {"list_name": "yesno", "name": "1", "label": "Yes"},
        {"list_name": "yesno", "name": "2", "label": "No"},
        *({"list_name": "safe", "name": str(c), "label": f"S{c}"} for c in (1, 2, 3, 4, 98, 99)),
        *({"list_name": "threats", "name": str(c), "label": f"T{c}"} for c in (1, 2, 3, 97, 98)),
    ],
    settings={"form_id": "qc", "version": "v2"},
    source="qc.xlsx",
)  # fmt: skip

N = 6


def categorical(values, list_name):
    codes = list(FORM.choice_lists[list_name].codes)
    extra = sorted({v for v in values if v is not None and v not in codes})
    return pd.Categorical(values, categories=codes + extra)


def frame(**overrides) -> pd.DataFrame:
    """A clean 6-row frame; keyword arguments replace columns."""
    base = {
        "start": pd.to_datetime(["2024-05-01 10:00"] * N),
        "end": pd.to_datetime(["2024-05-01 10:30"] * N),
        "consent": categorical(["1"] * N, "yesno"),
        "a2_age": pd.array([30, 40, 50, 60, 70, 80], dtype="Int64"),
        "resp_name": pd.array(["Ann", "Bo", "Cy", "Di", "Ed", "Fa"], dtype="string"),
        "b1_safe_dark": categorical(["1", "2", "3", "4", "98", "99"], "safe"),
        "b6_threats": pd.array(["1", "1 2", "97", "98", "2 3", None], dtype="string"),
        "hh_adults": pd.array([1, 2, 3, 1, 2, 3], dtype="Int64"),
        "when": pd.to_datetime(["2024-05-01"] * N),
        "_record_id": [f"uuid:{i}" for i in range(N)],
        "_submission_id": [f"sub:{i}" for i in range(N)],
        "_form_version": ["v2"] * N,
        "_source_file": ["round1.xlsx"] * N,
        "_source_row": list(range(2, N + 2)),
    }
    base.update(overrides)
    return pd.DataFrame(base)


def data(f: pd.DataFrame | None = None, **kw) -> SurveyData:
    return SurveyData(frame=frame() if f is None else f, instrument=FORM, source="round1.xlsx", **kw)


def findings(report, check):
    return report.issues[report.issues["check"] == check]


# ------------------------------------------------------------------------------------ clean data


def test_clean_data_has_only_not_checked_findings():
    report = check_quality(data())
    assert list(report.issues.columns) == list(ISSUE_COLUMNS)
    assert set(report.issues["check"]) == {"not-checked"}
    (row,) = report.issues.itertuples()
    assert row.column == "when" and "today() is not supported" in row.message
    assert report.rows == N and report.n_excluded == 0


def test_no_instrument_runs_the_form_free_checks_only():
    report = check_quality(SurveyData(frame=frame(_record_id=["x"] * N)))
    assert set(report.issues["check"]) == {"duplicate-record-id", "not-checked"}


# ------------------------------------------------------------------------------------ duplicates


def test_duplicate_record_and_submission_ids_keep_the_first_row():
    f = frame(_record_id=["a", "b", "a", "c", "d", "a"], _submission_id=["s1", "s2", "s3", "s4", "s4", "s6"])
    report = check_quality(data(f))
    dup = findings(report, "duplicate-record-id")
    assert dup["frame_index"].tolist() == [2, 5] and dup["source_row"].tolist() == [4, 7]
    assert set(dup["action"]) == {"excluded"}
    sub = findings(report, "duplicate-submission-id")
    assert sub["frame_index"].tolist() == [4] and sub["column"].tolist() == ["_submission_id"]
    assert (
        dup["message"].tolist()
        == ["same id in '_record_id' as row 2, which is kept; this copy is a duplicate submission"] * 2
    )
    assert "as row 5, which is kept" in sub["message"].iloc[0]
    assert dup["value"].isna().all()


def test_identical_id_columns_are_reported_once():
    f = frame(_record_id=["a", "b", "a", "c", "d", "e"])
    f["_submission_id"] = f["_record_id"]
    report = check_quality(data(f))
    assert findings(report, "duplicate-record-id")["frame_index"].tolist() == [2]
    assert findings(report, "duplicate-submission-id").empty


def test_duplicate_ids_in_raw_columns_kept_in_extra():
    extra = pd.DataFrame({"KEY": ["k1", "k2", "k1", "k4", "k5", "k6"]})
    report = check_quality(data(extra=extra), id_columns=("KEY",))
    assert findings(report, "duplicate-record-id")["frame_index"].tolist() == [2]


def test_fully_identical_rows_are_flagged_not_excluded():
    f = frame()
    f.loc[3, [c for c in f.columns if not c.startswith("_")]] = f.loc[
        1, [c for c in f.columns if not c.startswith("_")]
    ]
    report = check_quality(data(f))
    same = findings(report, "duplicate-row")
    assert same["frame_index"].tolist() == [3] and same["action"].tolist() == ["flagged"]
    assert same["record_id"].tolist() == ["uuid:3"]
    assert same["message"].iloc[0].startswith("every answer is identical to row 3 ")


def test_a_broken_constraint_quotes_the_form_s_constraint_message():
    form = instrument_from_sheets(
        [{"type": "integer", "name": "a2_age", "label": "Age", "constraint": ". >= 18",
          "constraint_message": "Only adults (18+) are interviewed"}]
    )  # fmt: skip
    f = pd.DataFrame({"a2_age": pd.array([30, 12], dtype="Int64"), "_record_id": ["a", "b"]})
    report = check_quality(SurveyData(frame=f, instrument=form), min_duration=None, exclude=())
    (message,) = findings(report, "constraint-violated")["message"]
    assert (
        message
        == "'a2_age' = '12' breaks the constraint '. >= 18' (the form says: Only adults (18+) are interviewed)"
    )


# ------------------------------------------------------------------------------ consent and age


def test_no_consent_when_refused_or_missing():
    f = frame(consent=categorical(["1", "2", None, "1", "1", "1"], "yesno"))
    report = check_quality(data(f))
    rows = findings(report, "no-consent")
    assert rows["frame_index"].tolist() == [1, 2]
    assert rows["value"].tolist() == ["2", None]
    assert rows["message"].tolist() == [
        "consent is '2' (only '1' = yes is consent)",
        "consent is 'missing' (only '1' = yes is consent)",
    ]
    assert set(rows["action"]) == {"excluded"}


def test_consent_read_as_numbers_is_compared_canonically():
    f = frame(consent=[1.0, 1.0, 2.0, 1.0, 1.0, 1.0])
    assert findings(check_quality(data(f)), "no-consent")["frame_index"].tolist() == [2]


def test_consent_check_is_skipped_when_the_form_has_no_consent():
    f = frame(consent=["2"] * N)
    report = check_quality(data(f), consent_question="not_in_form")
    assert findings(report, "no-consent").empty


def test_under_age_respondents():
    f = frame(a2_age=pd.array([17, 18, None, 30, 12, 40], dtype="Int64"))
    report = check_quality(data(f))
    rows = findings(report, "under-age")
    assert rows["frame_index"].tolist() == [0, 4]
    assert rows["message"].iloc[0] == "'a2_age' is 17, below the minimum age 18"
    assert findings(check_quality(data(f), min_age=13), "under-age")["frame_index"].tolist() == [4]


def test_age_question_is_configurable_and_reported_when_absent():
    f = frame().rename(columns={"a2_age": "edad"})
    f["edad"] = [10, 30, 30, 30, 30, 30]
    report = check_quality(data(f))
    assert "respondent age not checked" in findings(report, "not-checked")["message"].str.cat()
    assert findings(check_quality(data(f), age_question="edad"), "under-age")["frame_index"].tolist() == [0]


# -------------------------------------------------------------------------------------- duration


def test_short_and_negative_interviews():
    f = frame(
        end=pd.to_datetime(
            ["2024-05-01 10:05", "2024-05-01 10:30", "2024-05-01 09:50"] + ["2024-05-01 10:10"] * 3
        )
    )
    report = check_quality(data(f), min_duration=15)
    short = findings(report, "too-short")
    assert short["frame_index"].tolist() == [0, 3, 4, 5]
    assert (
        short["message"].iloc[0] == "interview lasted 5.0 min, less than 15 min: check it with the field team"
    )
    assert set(short["action"]) == {"flagged"}
    bad = findings(report, "bad-duration")
    assert bad["frame_index"].tolist() == [2] and bad["value"].tolist() == ["-10.0"]
    assert findings(check_quality(data(f), min_duration=None), "too-short").empty


def test_short_interviews_without_consent_are_not_flagged_as_too_short():
    f = frame(
        end=pd.to_datetime(["2024-05-01 10:03"] * 3 + ["2024-05-01 10:30"] * 3),
        consent=categorical(["2", None, "1", "2", "1", "1"], "yesno"),
    )
    report = check_quality(data(f), min_duration=10)
    assert findings(report, "too-short")["frame_index"].tolist() == [2]  # rows 0, 1 refused: excluded anyway
    assert findings(report, "no-consent")["frame_index"].tolist() == [0, 1, 3]
    no_consent_check = check_quality(data(f), min_duration=10, consent_question=None)
    assert findings(no_consent_check, "too-short")["frame_index"].tolist() == [0, 1, 2]


def test_duration_uses_utc_offsets_when_the_loader_kept_them():
    f = frame(end=pd.to_datetime(["2024-05-01 11:05"] * N))  # 65 min wall clock
    f["start/utc_offset"] = pd.array([0] * N, dtype="Int64")
    f["end/utc_offset"] = pd.array([60, 0, 0, 0, 0, 0], dtype="Int64")  # the device crossed a time zone
    report = check_quality(data(f), min_duration=10)
    assert findings(report, "too-short")["frame_index"].tolist() == [0]


def test_duration_with_time_zone_aware_columns():
    f = frame(
        start=pd.to_datetime(["2024-05-01T10:00:00+03:00"] * N),
        end=pd.to_datetime(["2024-05-01T07:05:00+00:00"] * N),
    )
    assert len(findings(check_quality(data(f)), "too-short")) == N


def test_duration_not_checked_without_start_and_end():
    report = check_quality(data(frame().drop(columns=["start", "end"])))
    assert "interview duration not checked" in findings(report, "not-checked")["message"].str.cat()


# ---------------------------------------------------------------------------- choices, constraints


def test_values_outside_choice_lists():
    f = frame(
        b1_safe_dark=categorical(["1", "7", "3", "4", "98", "99"], "safe"),
        b6_threats=pd.array(["1 5", "1 2", "97", "x 6", None, ""], dtype="string"),
    )
    rows = findings(check_quality(data(f)), "value-not-in-choices")
    assert list(zip(rows["column"], rows["frame_index"], rows["value"], strict=True)) == [
        ("b1_safe_dark", 1, "7"),
        ("b6_threats", 0, "5"),
        ("b6_threats", 3, "x 6"),
    ]
    assert rows["message"].iloc[0] == "'b1_safe_dark' has code(s) '7' that are not in the list 'safe'"


def test_select_one_read_as_plain_numbers():
    f = frame(b1_safe_dark=[1.0, 2.0, 5.0, None, 98.0, 99.0])
    rows = findings(check_quality(data(f)), "value-not-in-choices")
    assert rows["frame_index"].tolist() == [2] and rows["value"].tolist() == ["5"]


def test_constraints_numeric_range_references_and_exclusive_codes():
    f = frame(
        a2_age=pd.array([17, 111, None, 30, 40, 50], dtype="Int64"),
        hh_adults=pd.array([1, 2, 3, 31, 0, None], dtype="Int64"),
        b6_threats=pd.array(["1", "97 1", "98", "1 2 3", None, "2"], dtype="string"),
    )
    rows = findings(check_quality(data(f)), "constraint-violated")
    got = list(zip(rows["column"], rows["frame_index"], strict=True))
    assert got == [("a2_age", 0), ("a2_age", 1), ("b6_threats", 1), ("hh_adults", 3), ("hh_adults", 4)]
    first = rows.iloc[0]
    assert (
        first["value"] == "17"
        and first["message"] == "'a2_age' = '17' breaks the constraint '. >= 18 and . <= 110'"
    )


def test_free_text_never_appears_in_findings():
    f = frame(resp_name=pd.array(["Annabelle", "Bo", "Cy", "Di", "Ed", "Fa"], dtype="string"))
    report = check_quality(data(f))
    rows = findings(report, "constraint-violated")
    assert rows["frame_index"].tolist() == [0] and rows["value"].isna().all()
    assert not report.issues.astype(str).apply(lambda c: c.str.contains("Annabelle")).any().any()


def test_unsupported_constraint_is_reported_as_not_checked():
    rows = findings(check_quality(data()), "not-checked")
    assert rows["column"].tolist() == ["when"]
    assert rows["severity"].tolist() == ["info"] and rows["action"].tolist() == ["not checked"]


# ------------------------------------------------------------------------ versions and coverage


def test_several_form_versions():
    f = frame(_form_version=["v2", "v1", "v2", "v1", "v2", None])
    rows = findings(check_quality(data(f)), "several-form-versions")
    assert rows["frame_index"].tolist() == [1, 3]
    assert "not 'v2'" in rows["message"].iloc[0] and "'v1' (2)" in rows["message"].iloc[0]


def test_one_form_version_is_fine():
    assert findings(check_quality(data(frame(_form_version=["v1"] * N))), "several-form-versions").empty


def test_questions_missing_and_columns_not_in_form():
    extra = pd.DataFrame({"_id": range(N), "KEY": ["k"] * N, "old_question": [1] * N, "photo_URL": ["u"] * N})
    report = check_quality(data(frame().drop(columns=["hh_adults"]), extra=extra))
    missing = findings(report, "question-not-in-export")
    assert missing["column"].tolist() == ["hh_adults"] and missing["record_id"].isna().all()
    assert findings(report, "column-not-in-form")["column"].tolist() == ["old_question"]


# -------------------------------------------------------------------------- summary, exclusions


def messy() -> SurveyData:
    f = frame(
        _record_id=["a", "b", "a", "c", "d", "e"],
        consent=categorical(["1", "2", "1", "1", "1", "1"], "yesno"),
        a2_age=pd.array([30, 40, 30, 16, 50, 60], dtype="Int64"),
        end=pd.to_datetime(["2024-05-01 10:30"] * 5 + ["2024-05-01 10:02"]),
    )
    child = pd.DataFrame({"_record_id": ["a", "a", "b", "c", "e"], "_parent_key": ["a", "a", "b", "c", "e"],
                          "_key": ["a/member[1]", "a/member[2]", "b/member[1]", "c/member[1]", "e/member[1]"],
                          "m_age": [30, 5, 40, 16, 60]})  # fmt: skip
    return data(f, children={"member": child})


def test_summary_counts_and_default_actions():
    report = check_quality(messy())
    summary = report.summary.set_index("check")
    assert summary.loc["duplicate-record-id", "count"] == 1
    assert summary.loc["no-consent", "action"] == "excluded"
    assert summary.loc["under-age", "count"] == 1
    assert summary.loc["too-short", "action"] == "flagged"
    assert report.n_excluded == 3
    assert report.by_source.to_dict("records") == [
        {"source_file": "round1.xlsx", "rows": 6, "flagged": 2, "excluded": 3}
    ]
    problems = {p.code: p for p in report.problems}
    assert problems["no-consent"].count == 1 and problems["no-consent"].severity is Severity.WARNING


def test_apply_exclusions_removes_rows_and_logs_every_one():
    d = messy()
    report = check_quality(d)
    clean, log = apply_exclusions(d, report)
    assert clean.frame["_record_id"].tolist() == ["a", "d", "e"]
    assert log.to_dict("records") == [
        {"record_id": "b", "source_file": "round1.xlsx", "source_row": 3, "frame_index": 1, "reasons": "no-consent"},
        {"record_id": "a", "source_file": "round1.xlsx", "source_row": 4, "frame_index": 2,
         "reasons": "duplicate-record-id"},
        {"record_id": "c", "source_file": "round1.xlsx", "source_row": 5, "frame_index": 3, "reasons": "under-age"},
    ]  # fmt: skip
    assert log["reasons"].tolist() == ["no-consent", "duplicate-record-id", "under-age"]
    assert len(clean.frame) + len(log) == len(d.frame)
    # children of removed records go with them; record 'a' is kept (its first row), so its members stay
    assert clean.children["member"]["_record_id"].tolist() == ["a", "a", "e"]
    assert {p.code for p in clean.problems} == {"rows-excluded"}
    assert len(d.frame) == N and len(d.children["member"]) == 5  # the input is untouched


def test_exclude_option_turns_flags_into_exclusions():
    d = messy()
    report = check_quality(d, exclude={*DEFAULT_EXCLUDED, "too-short"})
    _, log = apply_exclusions(d, report)
    assert "too-short" in log["reasons"].tolist()
    report = check_quality(d, exclude=())
    clean, log = apply_exclusions(d, report)
    assert log.empty and len(clean.frame) == N


def test_report_is_immutable():
    report = check_quality(data())
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.rows = 0  # type: ignore[misc]


# ------------------------------------------------------------------------------ the expression parser


def test_parse_numeric_range():
    assert parse_constraint(".>= 18 and .<= 120") == (
        "bin", "and", ("bin", ">=", ("dot",), ("lit", 18.0)), ("bin", "<=", ("dot",), ("lit", 120.0)),
    )  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('x')",
        ". > today()",
        "${a} = 1 )",
        "pulldata('f', 'x', 'y', 'z')",
        ". >>= 2",
        "",
    ],
)
def test_unsupported_expressions_raise(text):
    with pytest.raises(UnsupportedExpression):
        parse_constraint(text)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (". >= 18 and . <= 110", [False, True, True, None]),
        (". > 20 or . = 17", [True, False, True, None]),
        ("not(. = 18)", [True, False, True, None]),
        (". mod 2 = 0", [False, True, True, None]),
        (". + 1 > ${other}", [True, False, True, None]),
        ("-. < -17", [False, True, True, None]),
        ("true()", [True, True, True, True]),
        ("int(. div 10) = 1", [True, True, False, None]),
    ],
)
def test_evaluate_expressions(expr, expected):
    f = pd.DataFrame(
        {"x": pd.array([17, 18, 50, None], dtype="Int64"), "other": pd.array([1, 30, 2, 4], dtype="Int64")}
    )
    got = evaluate_constraint(parse_constraint(expr), f, "x")
    assert [None if pd.isna(v) else bool(v) for v in got] == expected


def test_evaluate_text_and_select_functions():
    f = pd.DataFrame({"t": pd.array(["E1", "bad id", "x", None], dtype="string")})
    got = evaluate_constraint(
        parse_constraint(r"regex(., '^[A-Za-z0-9_-]{1,20}$') and string-length(.) >= 2"), f, "t"
    )
    assert got.tolist()[:3] == [True, False, False]
    s = pd.DataFrame({"m": pd.array(["1 2", "97", "97 1", ""], dtype="string")})
    got = evaluate_constraint(parse_constraint("count-selected(.) = 1 or not(selected(., '97'))"), s, "m")
    assert got.tolist() == [True, True, False, True]


def test_unknown_reference_cannot_be_evaluated():
    with pytest.raises(UnsupportedExpression, match="nope"):
        evaluate_constraint(parse_constraint(". > ${nope}"), pd.DataFrame({"x": [1]}), "x")


# ------------------------------------------------------------------- what the loaders hand over


def test_declared_missing_codes_are_not_treated_as_answers():
    from survey_toolkit.io.base import VariableMeta

    f = frame(a2_age=pd.array([-99, 40, 50, 16, 70, 80], dtype="Int64"))
    variables = {"a2_age": VariableMeta("a2_age", "integer", missing_codes=("-99",), question="a2_age")}
    report = check_quality(data(f, variables=variables))
    assert findings(report, "under-age")["frame_index"].tolist() == [3]
    assert findings(report, "constraint-violated")["frame_index"].tolist() == [3]


def test_questions_the_loader_kept_as_empty_columns_are_reported_missing():
    from survey_toolkit.errors import Problem, ValidationReport

    f = frame(
        hh_adults=pd.array([None] * N, dtype="Int64"), end=pd.Series([pd.NaT] * N, dtype="datetime64[ns]")
    )
    loader_says = Problem("questions-missing-from-export", "2 question(s) ...", got="end, hh_adults", count=2)
    report = check_quality(data(f, problems=ValidationReport((loader_says,))))
    assert findings(report, "question-not-in-export")["column"].tolist() == ["end", "hh_adults"]
    assert "the column 'end' is empty" in findings(report, "not-checked")["message"].str.cat()


def test_form_notes_exported_as_columns_are_not_extra_columns():
    form = instrument_from_sheets(
        [{"type": "note", "name": "nb", "label": "Read this"}, {"type": "integer", "name": "a2_age", "label": "Age"},
         {"type": "begin_group", "name": "g", "label": "G"}, {"type": "note", "name": "n2", "label": "N"},
         {"type": "end_group"}, {"type": "audit", "name": "audit"}]
    )  # fmt: skip
    extra = pd.DataFrame({"nb": [""] * 2, "g-n2": [""] * 2, "meta-audit": ["a.csv"] * 2, "other": [1, 2]})
    f = pd.DataFrame({"a2_age": pd.array([30, 40], dtype="Int64"), "_record_id": ["a", "b"]})
    report = check_quality(SurveyData(frame=f, instrument=form, extra=extra))
    assert findings(report, "column-not-in-form")["column"].tolist() == ["other"]


def test_repeat_answers_are_checked_in_their_child_table_and_only_flagged():
    child = pd.DataFrame(
        {"_record_id": ["uuid:0", "uuid:0", "uuid:1"], "_key": ["k1", "k2", "k3"], "_source_row": [2, 3, 4],
         "m_age": pd.array([30, 200, 5], dtype="Int64")}
    )  # fmt: skip
    report = check_quality(data(children={"member": child}), exclude={"constraint-violated"})
    rows = findings(report, "constraint-violated")
    assert rows[["table", "record_id", "source_row", "value", "action"]].values.tolist() == [
        ["member", "uuid:0", 3, "200", "flagged"]
    ]
    assert rows["source_file"].tolist() == ["round1.xlsx"]
    clean, log = apply_exclusions(data(children={"member": child}), report)
    assert log.empty and len(clean.children["member"]) == 3
