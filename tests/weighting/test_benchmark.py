"""The on-demand benchmark still runs (tiny size, without R)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_benchmark_smoke():
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "weighting.py"),
            "--n",
            "5000",
            "--repeat",
            "1",
            "--skip-r",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's package, not the installed one
    )
    assert done.returncode == 0, done.stderr
    assert "survey_toolkit.rake" in done.stdout and "converged=True" in done.stdout
