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


def test_spec_is_the_indicators_package_under_its_old_name():
    import pkgutil

    import survey_toolkit.indicators as new

    for name in [n for n in sys.modules if n == "survey_toolkit.spec" or n.startswith("survey_toolkit.spec.")]:
        del sys.modules[name]
    with pytest.warns(DeprecationWarning, match=r"survey_toolkit.spec is deprecated.*use survey_toolkit.indicators"):
        old_model = importlib.import_module("survey_toolkit.spec.model")
    assert old_model is importlib.import_module("survey_toolkit.indicators.model")  # the same module, not a copy
    assert old_model.__spec__.name == "survey_toolkit.indicators.model"
    for module in pkgutil.iter_modules(new.__path__):
        assert importlib.import_module(f"survey_toolkit.spec.{module.name}") is importlib.import_module(
            f"survey_toolkit.indicators.{module.name}")
    from survey_toolkit.spec.codebook import render_codebook

    from survey_toolkit.spec import IndicatorSpec, load_indicators

    assert IndicatorSpec is new.IndicatorSpec and load_indicators is new.load_indicators
    assert render_codebook is importlib.import_module("survey_toolkit.indicators.codebook").render_codebook
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("survey_toolkit.spec.no_such_module")
    old_package = importlib.import_module("survey_toolkit.spec")
    with pytest.raises(AttributeError):
        old_package.no_such_name  # noqa: B018
    assert sum(getattr(f, "aliases", None) == "survey_toolkit.spec" for f in sys.meta_path) == 1


def test_weighted_weight_is_weight_column_under_its_old_name():
    import warnings

    import survey_toolkit as st

    frame = pd.DataFrame({"w": [1.0, 1.0, 2.0, 2.0], "sex": ["1", "2", "1", "2"]})
    raked = st.rake(frame, {"sex": {"1": 30, "2": 30}}, weights="w")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name and the values never warn
        column, values = raked.weight_column, raked.weights
    assert column == "rake_weight"
    assert values.tolist() == raked.frame["rake_weight"].tolist()
    with pytest.warns(DeprecationWarning, match=r"Weighted.weight is deprecated.*use Weighted.weight_column"):
        assert raked.weight == column
