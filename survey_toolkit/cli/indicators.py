"""``survey-toolkit indicators``: check an indicators file, export its JSON Schema, render a codebook.

Python equivalents: :func:`survey_toolkit.validate_indicators`,
:func:`survey_toolkit.indicators.jsonschema.json_schema`, :func:`survey_toolkit.indicators.codebook.render_codebook`.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import SpecError
from ..outputs import safe_output_path
from . import app, handle_errors
from ._render import err_console, plain, render_problems, render_written

indicators_app = typer.Typer(
    name="indicators",
    help="Check indicators.yaml against the form, export its JSON Schema, render a codebook.",
    no_args_is_help=True,
)
app.add_typer(indicators_app, name="indicators")


class CodebookFormat(str, Enum):
    md = "md"
    html = "html"


_FILE = typer.Argument(exists=True, dir_okay=False, readable=True, help="The indicators YAML file.")
_FORM = typer.Option(
    "--instrument",
    "-i",
    exists=True,
    dir_okay=False,
    readable=True,
    help="The XLSForm (.xlsx) the indicators are defined on.",
)


def _atomic_write(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (the one mechanism of ``report._common``)."""
    from ..report._common import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"))


@indicators_app.command("check")
@handle_errors
def check(
    file: Annotated[Path, _FILE],
    instrument: Annotated[Path | None, _FORM] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            "-d",
            exists=True,
            dir_okay=False,
            help="An export to check the definitions against (tier 3).",
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
) -> None:
    """Check FILE: its structure, then (with --instrument) the questions and codes, then (with --data) the rows.

    Every problem is reported as file:line:col with a hint; exit code 1 when there is any error.
    Python: survey_toolkit.validate_indicators(file, instrument, data).

    Example:

        survey-toolkit indicators check indicators.yaml --instrument instruments/cssp_core.xlsx
    """
    from ..indicators.loader import validate_indicators

    dataset = None
    if data is not None:
        from .. import load  # type: ignore[attr-defined]

        dataset = load(data, instrument=instrument) if instrument else load(data)
    report = validate_indicators(file, instrument, dataset)
    if report.problems:
        render_problems(report.problems)
    if report.errors or (strict and report.warnings):
        raise typer.Exit(1)
    err_console.print(f"[bold green]ok[/] {plain(file)}: no errors")


@indicators_app.command("schema")
@handle_errors
def schema(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", dir_okay=False, help="Write the schema to this file instead of stdout."
        ),
    ] = None,
) -> None:
    """Print (or write) the JSON Schema of indicators.yaml, for editor autocompletion and checks.

    Python: survey_toolkit.indicators.jsonschema.json_schema().

    Example:

        survey-toolkit indicators schema --output indicators.schema.json
    """
    from ..indicators.jsonschema import json_schema_text

    text = json_schema_text()
    if output is None:
        typer.echo(text, nl=False)
        return
    safe_output_path(output)
    _atomic_write(output, text)
    render_written([output])


@indicators_app.command("docs")
@handle_errors
def docs(
    file: Annotated[Path, _FILE],
    output: Annotated[
        Path, typer.Option("--output", "-o", dir_okay=False, help="The codebook file to write.")
    ],
    instrument: Annotated[Path | None, _FORM] = None,
    format: Annotated[
        CodebookFormat | None,
        typer.Option("--format", "-f", help="md or html (default: from the output suffix)."),
    ] = None,
    language: Annotated[str | None, typer.Option("--language", "-l", help="Label language, e.g. fr.")] = None,
) -> None:
    """Render the indicators of FILE as a Markdown or HTML codebook (what is counted, out of whom, from which questions).

    The file is checked first (as by 'check'); nothing is written when it has errors.
    Python: survey_toolkit.indicators.codebook.render_codebook(load_indicators(file, instrument)).

    Example:

        survey-toolkit indicators docs indicators.yaml -i instruments/cssp_core.xlsx --output codebook.html
    """
    from ..indicators.codebook import render_codebook
    from ..indicators.loader import check_indicators

    safe_output_path(output, inputs={"the indicators file": file, "the form": instrument})
    fmt = format.value if format else ("html" if output.suffix.lower() in (".html", ".htm") else "md")
    checked = check_indicators(file, instrument)
    if checked.report.errors:
        raise SpecError(checked.report.problems)
    if checked.report.warnings:
        render_problems(checked.report.warnings)
    assert checked.spec is not None
    _atomic_write(output, render_codebook(checked.spec, checked.instrument, format=fmt, language=language))
    render_written([output])
