"""``survey-toolkit inspect``: load an export with its form and report its data-quality findings.

Python equivalent: ``survey_toolkit.quality.check_quality(survey_toolkit.load(export, instrument=form))``.
"""

from __future__ import annotations

import io
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..outputs import safe_output_path
from . import ShowValuesOpt, app, handle_errors
from ._render import err_console, plain, render_problems, render_written

if TYPE_CHECKING:  # pandas is imported when the command runs, so that --help stays fast
    import pandas as pd

_DETAIL_COLUMNS = ("check", "severity", "action", "record_id", "source_row", "column", "value", "message")


class DetailFormat(str, Enum):
    """How the per-record findings are written."""

    table = "table"
    csv = "csv"
    json = "json"


def _atomic_write(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (the one mechanism of ``report._common``)."""
    from ..report._common import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"))


def _missing(value: Any) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def _table(frame: pd.DataFrame, title: str, columns: tuple[str, ...] | None = None) -> Table:
    columns = columns or tuple(str(c) for c in frame.columns)
    table = Table(title=title, title_justify="left", show_lines=False)
    for c in columns:
        table.add_column(
            c, justify="right" if c in ("count", "rows", "flagged", "excluded", "source_row") else "left"
        )
    for row in frame[list(columns)].itertuples(index=False):  # the findings table: bounded by its own size
        table.add_row(*(plain("" if _missing(v) else v) for v in row))
    return table


def _detail_text(issues: pd.DataFrame, fmt: DetailFormat) -> str:
    """The findings in the requested format, as text."""
    if fmt is DetailFormat.csv:
        from ..report.tidy import excel_safe_text

        return excel_safe_text(issues).to_csv(index=False, lineterminator="\n")
    if fmt is DetailFormat.json:
        return issues.to_json(orient="records", force_ascii=False, indent=2) + "\n"
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, no_color=True, highlight=False, soft_wrap=False)
    if issues.empty:
        console.print("No findings.")
    else:
        console.print(_table(issues, "Findings", _DETAIL_COLUMNS))
    return buffer.getvalue()


def _render_summary(report: Any, export: Path) -> None:
    summary = report.summary
    err_console.print(
        f"[bold]{plain(export)}[/]: {report.rows} record(s) checked, {report.n_excluded} to exclude"
    )
    if summary.empty:
        err_console.print("[bold green]No findings.[/]")
    else:
        err_console.print(_table(summary, "Checks"))
    if not report.by_source.empty:
        err_console.print(_table(report.by_source, "Records per source"))


@app.command("inspect")
@handle_errors
def inspect(
    export: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="The export: KoBo XLSX/CSV, ODK Central CSV/zip, SPSS, Stata, CSV or Parquet.",
        ),
    ],
    instrument: Annotated[
        Path | None,
        typer.Option(
            "--instrument",
            "-i",
            exists=True,
            dir_okay=False,
            readable=True,
            help="The XLSForm (.xlsx) the data were collected with. Optional for an SPSS/Stata export "
            "(.sav, .zsav, .por, .dta): without it, its value and variable labels are the form.",
        ),
    ] = None,
    min_duration: Annotated[
        float | None,
        typer.Option(
            "--min-duration",
            min=0,
            help="Flag interviews shorter than this many minutes (library default: 10).",
        ),
    ] = None,
    fmt: Annotated[
        DetailFormat, typer.Option("--format", "-f", help="Format of the per-record findings.")
    ] = DetailFormat.table,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", dir_okay=False, help="Write the findings to this file instead of stdout."
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding", help="Text encoding of a CSV export (cp1252, latin-1...); default: detected."
        ),
    ] = None,
    show_values: ShowValuesOpt = False,
    na_values: Annotated[
        str | None,
        typer.Option(
            "--na-values",
            help="Comma-separated cells read as missing, replacing the default set (NA, N/A, n/a, #N/A, NULL, "
            "null, NaN, nan, <NA>, NaT, .); '' reads every cell as written. A choice code is never a marker.",
        ),
    ] = None,
) -> None:
    """Load EXPORT with its form and check its data quality: duplicates, consent, age, duration, codes outside the choice lists, constraints, missing or extra columns, form versions.

    A summary per check, and the records per source file and round, goes to stderr; the findings (one row per check and record) go to stdout or --output in the chosen format. Nothing is removed here: the action column says which records apply_exclusions would exclude. Exit code 1 when the export or the form cannot be read.

    Python: survey_toolkit.quality.check_quality(survey_toolkit.load(EXPORT, instrument=FORM)).

    Examples:

        survey-toolkit inspect round1.xlsx -i instruments/cssp_core.xlsx -f csv -o findings.csv

        survey-toolkit inspect barometer_2024.sav       # no form: the file's labels are the form
    """
    from .. import io as survey_io
    from ..instrument import read_instrument
    from ..instrument_from_data import instrument_from_export
    from ..project.keys import LABELLED_EXPORTS
    from ..quality import check_quality

    if instrument is None and export.suffix.lower() not in LABELLED_EXPORTS:
        raise typer.BadParameter(
            f"'{export.name}' has no value labels to stand in for the form: give the XLSForm with "
            "--instrument FORM.xlsx, or write a starter form with 'survey-toolkit init --from EXPORT DIR'",
            param_hint="'--instrument' / '-i'",
        )
    if output is not None:
        inputs = {"the export": export} if instrument is None else {"the export": export, "the form": instrument}
        safe_output_path(output, inputs=inputs)
    load_options: dict[str, object] = {"encoding": encoding} if encoding else {}
    if na_values is not None:
        load_options["na_values"] = [v.strip() for v in na_values.split(",") if v.strip()]
    form = read_instrument(instrument) if instrument is not None else instrument_from_export(export, **load_options)[0]
    data = survey_io.load(export, instrument=form, **load_options)
    options = {} if min_duration is None else {"min_duration": min_duration}
    report = check_quality(data, **options)
    if len(data.problems):
        render_problems(data.problems)
    _render_summary(report, export)
    from ..codes import printable  # pandas-free --help

    text = printable(_detail_text(report.issues, fmt))  # a record id may hold terminal escapes
    if output is None:
        typer.echo(text, nl=False)
        return
    _atomic_write(output, text)
    render_written([output])
