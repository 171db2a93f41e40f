"""The docs cannot drift: the CLI reference is generated from --help, every command has help."""

from __future__ import annotations

from survey_toolkit.cli import _docs
from tests.conftest import ROOT


def test_cli_reference_is_up_to_date():
    committed = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == _docs.render(), (
        "docs/cli.md is out of date: run `python -m survey_toolkit.cli._docs > docs/cli.md`"
    )


def test_every_command_has_help_text():
    for path in _docs.command_paths():
        text = _docs.help_text(path)
        lines = [line for line in text.splitlines() if line.strip()]
        # usage line, then a description line that is not the options box
        assert len(lines) > 2 and not lines[1].lstrip().startswith("╭"), f"{path} has no help text"


def test_readme_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```bash") + 1 : lines.index("```bash") + 3]
    assert "survey-toolkit" in block[0] and "pip install" in block[0]
    assert "pytest" in block[1]
    assert "pytest" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_commands_are_listed_in_workflow_order_whatever_the_import_order():
    import importlib

    import typer.main

    from survey_toolkit import cli

    importlib.import_module("survey_toolkit.cli.run")  # imported first, as a test might
    cli._register_commands()
    group = typer.main.get_command(cli.app)
    names = group.list_commands(None)
    assert names[:4] == ["init", "pull", "validate", "inspect"]
    assert names.index("run") > names.index("report")
