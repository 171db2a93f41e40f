"""Old names and import paths keep working for one release, each with a DeprecationWarning (CHANGELOG.md)."""

from __future__ import annotations

import importlib
import sys

import pandas as pd
import pytest

from survey_toolkit.results import reporting_table


def _fresh_import(name: str):
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def compute_like() -> pd.DataFrame:
    return pd.DataFrame({"indicator_id": ["safe", "safe"], "round": ["R1", "R1"], "admin2": [pd.NA, "D1"],
                         "group": ["all", "all"], "level": ["All", "All"], "estimate": [40.0, 42.0],
                         "se": [2.0, 3.0], "n": [300, 150]})


def test_report_adapt_is_the_results_module_under_its_old_name():
    with pytest.warns(DeprecationWarning, match=r"survey_toolkit.report.adapt is deprecated.*survey_toolkit.results"):
        adapt = _fresh_import("survey_toolkit.report.adapt")
    with pytest.warns(DeprecationWarning, match="from_compute is deprecated.*reporting_table"):
        old = adapt.from_compute(compute_like())
    pd.testing.assert_frame_equal(old, reporting_table(compute_like()))


def test_render_report_is_render_under_its_old_name(tmp_path):
    from survey_toolkit import report

    with pytest.warns(DeprecationWarning, match="render_report is deprecated.*report.render"):
        files = report.render_report(compute_like(), tmp_path, languages=("en",), parquet=False)
    assert [p.name for p in files["html"]] == ["report.en.html"]
