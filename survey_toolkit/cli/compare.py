"""``survey-toolkit compare``: the latest round against the previous one and the baseline.

Python equivalent: ``survey_toolkit.pipeline.run(project, until="compare")``.
"""

from __future__ import annotations

from . import ShowValuesOpt, app, handle_errors
from .run import OutputOpt, ProjectArg, run_until


@app.command("compare")
@handle_errors
def compare(project: ProjectArg, output: OutputOpt = None, show_values: ShowValuesOpt = False) -> None:
    """Estimate every indicator and compare the latest round with the previous one and the baseline.

    Writes comparisons.csv (change, its standard error, confidence interval, p-value, the
    Benjamini-Hochberg adjusted q-value and a plain-language interpretation) besides results.csv.
    The rounds compared are report.compare in the project file (default: all, by date).

    Python: [cyan]survey_toolkit.pipeline.run(PROJECT, until="compare")[/]

    Example:

        survey-toolkit compare examples/demo
    """
    run_until(project, "compare", output)
