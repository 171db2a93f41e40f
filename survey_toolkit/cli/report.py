"""``survey-toolkit report``: the HTML report, the Excel workbook, tidy tables and charts.

Python equivalent: ``survey_toolkit.pipeline.run(project, until="report")``.
"""

from __future__ import annotations

from . import ShowValuesOpt, app, handle_errors
from .run import OutputOpt, ProjectArg, run_until


@app.command("report")
@handle_errors
def report(project: ProjectArg, output: OutputOpt = None, show_values: ShowValuesOpt = False) -> None:
    """Build the reports: one self-contained HTML file and one Excel workbook per language.

    Also writes the tidy results and comparisons (CSV, and Parquet when pyarrow is installed) and the
    charts as PNG and SVG files for slides. Same as run.

    Python: [cyan]survey_toolkit.pipeline.run(PROJECT, until="report")[/]

    Example:

        survey-toolkit report examples/demo --output shared-folder/round3
    """
    run_until(project, "report", output, timestamp=True)
