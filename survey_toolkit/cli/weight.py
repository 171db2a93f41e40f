"""``survey-toolkit weight``: quality checks and weights of every round, with diagnostics.

Python equivalent: ``survey_toolkit.pipeline.run(project, until="weight")``.
"""

from __future__ import annotations

from . import ShowValuesOpt, app, handle_errors
from .run import OutputOpt, ProjectArg, run_until


@app.command("weight")
@handle_errors
def weight(project: ProjectArg, output: OutputOpt = None, show_values: ShowValuesOpt = False) -> None:
    """Load every round, apply the quality exclusions and compute the weights.

    Writes weights.csv (each respondent's base, calibrated and final weight), weight_diagnostics.csv
    (Kish design effect, effective sample size, range, convergence per round), quality.csv and
    exclusions.csv into the output folder.

    Python: [cyan]survey_toolkit.pipeline.run(PROJECT, until="weight")[/]

    Example:

        survey-toolkit weight examples/demo
    """
    run_until(project, "weight", output)
