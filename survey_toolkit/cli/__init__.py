"""The ``survey-toolkit`` command line: a thin adapter over the library.

Each command parses its options, makes one library call and hands the result to ``_render``.
Errors about user input (:class:`~survey_toolkit.errors.SurveyToolkitError`) and of the file system
(:class:`OSError`: no permission, disk full, a file where a folder is needed) are rendered as located
problems and exit with code 1; usage errors exit with code 2 (click's default); any other exception
is a bug and prints a short message (the traceback only with ``--debug``).
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
import typer.core

from .. import __version__
from ..errors import Location, Problem, SurveyToolkitError
from ._render import err_console, render_problems

F = TypeVar("F", bound=Callable[..., Any])
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]  # click's UsageError (vendored or not)

#: Commands in the order of a round's work; any other command follows, alphabetically.
WORKFLOW_ORDER = ("init", "pull", "validate", "inspect", "weight", "compute", "compare", "report", "run", "plan", "small-areas", "share", "indicators", "doctor")


class _WorkflowGroup(typer.core.TyperGroup):
    """Lists commands in workflow order, whatever order their modules were imported in."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(WORKFLOW_ORDER)}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


app = typer.Typer(
    cls=_WorkflowGroup,
    name="survey-toolkit",
    help="Turn community safety perception survey exports into trustworthy, comparable indicators.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode="rich",
)

_state = {"debug": False}


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"survey-toolkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks for unexpected errors.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Turn community safety perception survey exports into trustworthy, comparable indicators."""
    _state["debug"] = debug


_OTHER_FOLDER = "or write somewhere else with --output (or report.output in survey.yaml)"
_OS_TEXT: tuple[tuple[type[OSError], str, str, str], ...] = (
    (PermissionError, "permission-denied", "permission denied for '{name}'",
     "check that you may write there (and that the file is not open in Excel), " + _OTHER_FOLDER),
    (FileExistsError, "file-exists", "'{name}' already exists and is not a folder",
     "rename or remove that file, " + _OTHER_FOLDER),
    (IsADirectoryError, "is-a-folder", "'{name}' is a folder where a file was expected",
     "rename or remove that folder, or give the path of a file"),
    (NotADirectoryError, "not-a-folder", "a part of the path '{name}' is a file, not a folder",
     "rename or remove that file, " + _OTHER_FOLDER),
    (FileNotFoundError, "file-not-found", "'{name}' does not exist",
     "check the path (relative paths start at the project file's folder)"),
)  # fmt: skip


def os_problem(exc: OSError) -> Problem:
    """A located problem for an error of the file system (no permission, disk full, a file in the way)."""
    name = exc.filename if exc.filename is not None else "(unknown file)"
    location = Location(file=str(exc.filename)) if exc.filename is not None else Location()
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Problem("disk-full", f"no space left on the device while writing '{name}'", location,
                       got=exc.strerror, hint="free some disk space, " + _OTHER_FOLDER)  # fmt: skip
    for kind, code, message, hint in _OS_TEXT:
        if isinstance(exc, kind):
            return Problem(code, message.format(name=name), location, got=exc.strerror, hint=hint)
    return Problem("cannot-access-file", f"cannot read or write '{name}': {exc.strerror or type(exc).__name__}",
                   location, got=exc.strerror, hint="check the path and its permissions, " + _OTHER_FOLDER)  # fmt: skip


ShowValuesOpt = Annotated[
    bool,
    typer.Option(
        "--show-values",
        help="Show the data's own values (names, free text) in messages and findings; by default a value "
        "that is not a code is shown as <text, N characters>.",
    ),
]
"""The option of every command that can show a value from the data (read by :func:`handle_errors`)."""


def handle_errors(fn: F) -> F:
    """Decorator for commands: SurveyToolkitError and OSError -> rendered problems, exit 1; bugs -> short message.

    A command with a ``show_values`` parameter (:data:`ShowValuesOpt`) runs inside
    :func:`~survey_toolkit.codes.showing_values` when the user passed ``--show-values``.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            from ..codes import showing_values  # imported when a command runs: --help stays fast

            with showing_values(bool(kwargs.get("show_values", False))):
                return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit, _UsageError):  # usage errors exit with 2
            raise
        except SurveyToolkitError as exc:
            if _state["debug"]:
                err_console.print_exception(show_locals=False)
            render_problems(exc.problems)
            raise typer.Exit(1) from None
        except OSError as exc:  # the file system refused: say which file and what to do, not "a bug"
            if _state["debug"]:
                err_console.print_exception(show_locals=False)
            render_problems([os_problem(exc)])
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("Interrupted.")
            raise typer.Exit(130) from None
        except Exception as exc:  # a bug: never show respondent data, show how to get details
            if _state["debug"]:
                raise
            err_console.print(
                f"[bold red]internal error[/] {type(exc).__name__}: this is a bug in survey-toolkit. "
                "Re-run with --debug for the traceback and report it."
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _register_commands() -> None:
    """Import the command modules; each registers itself on ``app``."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def main() -> None:
    """Console entry point. Leaves with the command's exit code without tearing the interpreter down
    (:func:`_leave`); an unexpected exception (``--debug``) propagates as usual."""
    _register_commands()
    try:
        app(prog_name="survey-toolkit")
    except SystemExit as exc:
        _leave(exc.code)
    _leave(0)


def _leave(code: object) -> None:
    """Flush the output and the logs and end the process at once: freeing a run's objects one by one
    (the data of every round, the results, the report) takes a few tenths of a second at exit and
    nothing needs it. The exit code is the command's (a message as code is printed, exit 1). Under a
    profiler or a coverage tracer the usual exit runs, so that they can write their results."""
    import logging

    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    if sys.getprofile() is not None or sys.gettrace() is not None:  # a profiler or coverage writes at exit
        raise SystemExit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(0)
