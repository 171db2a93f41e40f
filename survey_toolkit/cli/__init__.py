"""The ``survey-toolkit`` command line: a thin adapter over the library.

Each command parses its options, makes one library call and hands the result to ``_render``.
Errors about user input (:class:`~survey_toolkit.errors.SurveyToolkitError`) are rendered as located
problems and exit with code 1; usage errors exit with code 2 (click's default); any other exception
is a bug and prints a short message (the traceback only with ``--debug``).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from .. import __version__
from ..errors import SurveyToolkitError
from ._render import err_console, render_problems

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
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


def handle_errors(fn: F) -> F:
    """Decorator for commands: SurveyToolkitError -> rendered problems, exit 1; bugs -> short message."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except SurveyToolkitError as exc:
            if _state["debug"]:
                err_console.print_exception(show_locals=False)
            render_problems(exc.problems)
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
    """Console entry point."""
    _register_commands()
    app(prog_name="survey-toolkit")


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(0)
