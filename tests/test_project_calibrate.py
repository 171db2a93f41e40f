"""``weighting: method: calibrate`` with ``calfun``, ``bounds`` and ``bounds_const`` in the project file."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from survey_toolkit import load_project, pipeline
from tests.test_project import DEMO, _problems, _write

MARGINS = f"weighting:\n  margins: {DEMO / 'census_margins.csv'}\n"


def test_calibrate_options_are_read_and_reach_calibrate(tmp_path, monkeypatch):
    path = _write(tmp_path, MARGINS + "  method: calibrate\n  calfun: logit\n  bounds: [0.4, 3]\n  bounds_const: false\n")
    project = load_project(path)
    w = project.weighting
    assert (w.method, w.calfun, w.bounds, w.bounds_const) == ("calibrate", "logit", (0.4, 3.0), False)
    seen = {}
    monkeypatch.setattr(pipeline.weights, "calibrate", lambda *a, **kw: seen.update(kw) or "done")
    assert pipeline._calibrate(SimpleNamespace(weight_column="w"), project, object()) == "done"
    assert seen == {"calfun": "logit", "bounds": (0.4, 3.0), "bounds_const": False}


def test_calibrate_defaults(tmp_path):
    w = load_project(_write(tmp_path, MARGINS + "  method: calibrate\n")).weighting
    assert (w.calfun, w.bounds, w.bounds_const) == ("linear", None, False)


def test_the_demo_rounds_calibrate_with_bounds(tmp_path):
    path = _write(tmp_path, MARGINS + "  method: calibrate\n  calfun: logit\n  bounds: [0.2, 5]\n")
    result = pipeline.run(load_project(path), until="weight", write=False)
    weighted = result.weighted["R1"]
    report = weighted.report
    assert report.step == "calibrate" and report.settings["calfun"] == "logit"
    assert report.settings["bounds"] == (0.2, 5.0)
    assert (report.margins["rel_gap"].abs() < 1e-9).all()
    frame = weighted.frame
    live = frame[report.source_weight] > 0
    ratio = frame.loc[live, "final_weight"] / frame.loc[live, report.source_weight]
    # the demo's base weights are not on the population scale: as R, they are rescaled first (a warning)
    assert "bounds-after-rescaling" in [p.code for p in report.problems]
    assert ratio.max() / ratio.min() <= 5 / 0.2 * (1 + 1e-12) and weighted.design.calibration is not None


@pytest.mark.parametrize(
    ("text", "code", "hint"),
    [
        (MARGINS + "  method: calibrate\n  calfun: cubic\n", "bad-value", "use one of"),
        (MARGINS + "  method: calibrate\n  bounds: [3, 0.5]\n", "bad-value", "bounds: [0.5, 3]"),
        (MARGINS + "  method: calibrate\n  bounds: [0.5]\n", "bad-value", "bounds: [0.5, 3]"),
        (MARGINS + "  method: calibrate\n  calfun: logit\n", "missing-key", "bounds"),
        (MARGINS + "  method: rake\n  calfun: logit\n", "bad-value", "method: calibrate"),
    ],
)
def test_bad_calibrate_options_are_located(tmp_path, text, code, hint):
    (problem,) = _problems(_write(tmp_path, text))
    assert problem.code == code and problem.location.line is not None
    assert hint in problem.hint
