"""Generate the CLI reference (``docs/cli.md``) from the live ``--help`` of every command.

Run ``python -m survey_toolkit.cli._docs > docs/cli.md`` after changing a command; a test fails when
the committed reference differs from the generated one, so the docs cannot drift from ``--help``.
"""

from __future__ import annotations

import os
import re

import typer.main
from typer.testing import CliRunner

HEADER = """# Command-line reference

Generated from the live `--help` by `python -m survey_toolkit.cli._docs > docs/cli.md`; do not edit by
hand (a test checks it). Every command exits with code 0 on success, 1 when the inputs have problems
(each reported with its file and line, or row, column and record id) and 2 on a usage mistake. Put
`--debug` before the command name to see a full traceback for an unexpected error.

The Python equivalent of each command is named in its help text; see `docs/python-api.md`.
"""

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def command_paths() -> list[list[str]]:
    """Every command path below the root, depth first, sorted by name."""
    from . import _register_commands, app

    _register_commands()
    root = typer.main.get_command(app)

    def walk(command, path):
        out = [path]
        for name in sorted(getattr(command, "commands", {}) or {}):
            sub = command.commands[name]
            if not getattr(sub, "hidden", False):
                out.extend(walk(sub, [*path, name]))
        return out

    return walk(root, [])


def help_text(path: list[str]) -> str:
    """The plain-text ``--help`` of one command, at a fixed width."""
    from . import app

    env = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        result = CliRunner().invoke(app, [*path, "--help"], prog_name="survey-toolkit", color=False)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    lines = [line.rstrip() for line in _ANSI.sub("", result.output).splitlines()]
    return "\n".join(lines).strip("\n")


def render() -> str:
    """The whole reference as Markdown."""
    parts = [HEADER]
    for path in command_paths():
        parts.append(f"## `{' '.join(['survey-toolkit', *path])}`\n")
        parts.append("```text\n" + help_text(path) + "\n```\n")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
