"""``survey-toolkit compute``: every indicator by round and location, reporting rules applied.

Python equivalent: ``survey_toolkit.pipeline.run(project, until="compute")``.
"""

from __future__ import annotations

from . import ShowValuesOpt, app, handle_errors
from .run import OutputOpt, ProjectArg, run_until


@app.command("compute")
@handle_errors
def compute(project: ProjectArg, output: OutputOpt = None, show_values: ShowValuesOpt = False) -> None:
    """Weight every round and estimate every indicator by round, location and disaggregation.

    Writes results.csv (one row per indicator x round x location or group, with the estimate, its
    standard error and confidence interval, bases, and the suppression and caution flags) besides the
    files of the weight command: the same table, columns and labels (indicator, round, location and
    group names beside the codes) as the results.csv of the run command.

    Python: [cyan]survey_toolkit.pipeline.run(PROJECT, until="compute")[/]

    Example:

        survey-toolkit compute examples/demo --output /tmp/results
    """
    run_until(project, "compute", output)
