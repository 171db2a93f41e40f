"""Problems as data: formatting, reports and error classes."""

from __future__ import annotations

import pytest

from survey_toolkit.errors import (
    DataError,
    LoadError,
    Location,
    Problem,
    Severity,
    SpecError,
    SurveyToolkitError,
    ValidationReport,
    did_you_mean,
)


def test_yaml_location_is_compiler_style():
    loc = Location(file="indicators.yaml", line=14, column=10)
    assert str(loc) == "indicators.yaml:14:10"


def test_data_location_names_row_record_and_column():
    loc = Location(file="round2.sav", row=213, record_id="uuid:5f2c", field="final_weight")
    assert str(loc) == "round2.sav: row 213, record uuid:5f2c, column 'final_weight'"


def test_problem_str_has_severity_code_and_hint():
    p = Problem("unknown-question", "no question 'x'", Location(file="f.yaml", line=1, column=2), hint="h")
    assert str(p) == "f.yaml:1:2: error[unknown-question] no question 'x' (hint: h)"


def test_report_splits_errors_and_warnings_and_tabulates():
    report = ValidationReport.of(
        [Problem("a", "m1"), Problem("b", "m2", severity=Severity.WARNING), Problem("c", "m3")]
    )
    assert not report.ok
    assert [p.code for p in report.errors] == ["a", "c"]
    assert [p.code for p in report.warnings] == ["b"]
    frame = report.to_frame()
    assert list(frame["code"]) == ["a", "b", "c"]
    assert list(frame["severity"]) == ["error", "warning", "error"]


def test_report_with_only_warnings_is_ok_and_does_not_raise():
    report = ValidationReport.of([Problem("w", "m", severity=Severity.WARNING)])
    assert report.ok
    report.raise_if_errors(SpecError)


def test_raise_if_errors_carries_every_problem():
    report = ValidationReport.of([Problem("a", "m1"), Problem("b", "m2")])
    with pytest.raises(SpecError) as info:
        report.raise_if_errors(SpecError)
    assert [p.code for p in info.value.problems] == ["a", "b"]
    assert "m1" in str(info.value) and "m2" in str(info.value)


def test_error_from_a_message_uses_the_class_default_code():
    err = LoadError("cannot read x.xlsx", location=Location(file="x.xlsx"), hint="re-export it")
    assert isinstance(err, SurveyToolkitError)
    (problem,) = err.problems
    assert problem.code == "cannot-load"
    assert problem.location.file == "x.xlsx"
    assert problem.hint == "re-export it"
    assert DataError("x").problems[0].code == "bad-data"


def test_problems_are_immutable():
    p = Problem("a", "m")
    with pytest.raises(AttributeError):
        p.code = "b"  # type: ignore[misc]


def test_did_you_mean_suggests_close_names_only():
    assert did_you_mean("b1_safe_drak", ["b1_safe_dark", "a2_age"]) == "did you mean 'b1_safe_dark'?"
    assert did_you_mean("zzz", ["b1_safe_dark"]) is None
