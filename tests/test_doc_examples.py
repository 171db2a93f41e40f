"""The examples in the docs run: every ```python block of ``docs/*.md`` and ``README.md``.

The python blocks of one file run in order in one namespace, with the repository root as working
directory, so a guide reads like a notebook. A failure names the file, the block number and the line;
tracebacks point at the Markdown file's own line numbers.

Markers (keep them rare):

- ```` ```python no-run ```` or an HTML comment ``<!-- no-run -->`` on the line before the fence: an
  illustrative block; it is only compiled (it must still be valid Python), never run.
- ``<!-- run -->`` before a ```console`` / ```bash`` block whose commands start with ``$ survey-toolkit``:
  each command is run with subprocess and must exit with code 0 (``<!-- run: exit=1 -->`` expects 1).
  Lines after a command are its expected output (stdout, then stderr), compared line by line after
  stripping trailing spaces; a line ``...`` stands for any number of lines. Console blocks without the
  marker are not run.

Docs owned by other engineers whose examples do not run yet are listed in ``KNOWN_FAILURES`` with the
block expected to fail first: the test then reports them as xfail with the error, and fails as soon as
the failure moves or disappears, so that the list is kept honest.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import os
import re
import shlex
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

import survey_toolkit
from survey_toolkit.cli import _docs
from tests.conftest import ROOT

FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
MARKER = re.compile(r"<!--\s*(?P<kind>no-run|run)(?:\s*:\s*exit\s*=\s*(?P<exit>\d+))?\s*-->")
PYTHON = {"python", "py", "python3"}
CONSOLE = {"console", "bash", "sh", "shell"}
CLI_PREFIX = "$ survey-toolkit"

#: Docs of other engineers whose python examples fail today: file -> (first failing block, reason).
#: Remove an entry when its doc is fixed (the test fails until you do).
KNOWN_FAILURES: dict[str, tuple[int, str]] = {}

#: The docs this test's author owns: their no-run blocks must stay rare.
OWN_DOCS = (
    "docs/index.md",
    "docs/guide-analyst.md",
    "docs/guide-programme-designer.md",
    "docs/python-api.md",
)


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    path: str  # relative to the repository root
    number: int  # 1-based among the blocks of the same kind (python or console) of the file
    line: int  # line of the first code line (1-based)
    language: str
    options: tuple[str, ...]  # the rest of the info string, e.g. ("no-run",)
    marker: str | None  # "run" / "no-run" from an HTML comment right before the fence
    exit_code: int  # expected exit code of console commands
    code: str

    @property
    def runs(self) -> bool:
        if self.language in PYTHON:
            return "no-run" not in self.options and self.marker != "no-run"
        return self.language in CONSOLE and self.marker == "run"

    @property
    def where(self) -> str:
        kind = "python" if self.language in PYTHON else "console"
        return f"{self.path}: {kind} block {self.number} (line {self.line})"


def parse_blocks(text: str, path: str) -> list[Block]:
    """Every fenced block of ``text``; python and console blocks are numbered separately from 1."""
    lines = text.splitlines()
    blocks: list[Block] = []
    counts = {"python": 0, "console": 0}
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        words = opening["info"].split()
        end = i + 1
        while end < len(lines) and not _closes(lines[end], fence):
            end += 1
        body = "\n".join(_dedent(line, indent) for line in lines[i + 1 : end])
        language = words[0].lower() if words else ""
        kind = "python" if language in PYTHON else "console" if language in CONSOLE else None
        if kind:
            counts[kind] += 1
            marker, exit_code = _marker_before(lines, i)
            blocks.append(
                Block(path, counts[kind], i + 2, language, tuple(words[1:]), marker, exit_code, body)
            )
        i = end + 1
    return blocks


def _dedent(line: str, indent: int) -> str:
    """Remove the fence's own indentation (a block inside a list item) from one code line."""
    if indent == 0:
        return line
    return line[indent:] if line[:indent].isspace() else line.lstrip()


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


def _marker_before(lines: list[str], fence_index: int) -> tuple[str | None, int]:
    """The ``<!-- run -->`` / ``<!-- no-run -->`` comment on the nearest non-blank line above a fence."""
    j = fence_index - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    found = MARKER.fullmatch(lines[j].strip()) if j >= 0 else None
    if not found:
        return None, 0
    return found["kind"], int(found["exit"] or 0)


def doc_files() -> list[str]:
    files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))
    return files + ["README.md"] if (ROOT / "README.md").exists() else files


def blocks_of(path: str) -> list[Block]:
    return parse_blocks((ROOT / path).read_text(encoding="utf-8"), path)


class DocExampleError(AssertionError):
    """A doc example failed; ``block`` is the block at fault."""

    def __init__(self, block: Block, detail: str) -> None:
        super().__init__(f"{block.where} failed:\n{detail}")
        self.block = block


def run_python(block: Block, namespace: dict) -> None:
    """Run one python block in ``namespace``; line numbers in tracebacks are the Markdown file's."""
    source = "\n" * (block.line - 1) + block.code
    try:
        exec(compile(source, block.path, "exec"), namespace)  # noqa: S102 - the docs' own examples
    except Exception as exc:  # report every failure with the block that caused it
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-6))
        raise DocExampleError(block, detail) from exc


def cli_commands(block: Block) -> list[tuple[str, list[str]]]:
    """The ``$ survey-toolkit ...`` commands of a console block, each with its expected output lines."""
    commands: list[tuple[str, list[str]]] = []
    pending = ""
    for line in block.code.splitlines():
        if pending or line.startswith("$ "):
            text = (pending + " " + line.strip()) if pending else line[2:].strip()
            pending = text[:-1].rstrip() if text.endswith("\\") else ""
            if not pending:
                commands.append((text, []))
        elif commands:
            commands[-1][1].append(line.rstrip())
    return commands


def cli_executable() -> list[str]:
    script = Path(sys.executable).with_name("survey-toolkit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "survey_toolkit"]


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Line-by-line equality where an expected line ``...`` matches any number of actual lines."""
    expected = _trim(expected)
    actual = _trim(actual)
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(output_matches(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and output_matches(expected[1:], actual[1:])


def _trim(lines: list[str]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


@functools.lru_cache(maxsize=64)
def run_cli(argv: tuple[str, ...]) -> tuple[int, list[str]]:
    """Run ``survey-toolkit ARGV`` from the repository root: exit code and output (stdout, then stderr).

    Cached: the same command shown twice is run once (each run starts Python and reads the form).
    """
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(cli_executable() + list(argv), cwd=ROOT, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)  # fmt: skip
    return done.returncode, (done.stdout + done.stderr).splitlines()


def run_console(block: Block) -> None:
    """Run every command of a ``<!-- run -->`` console block; check its exit code and shown output."""
    commands = cli_commands(block)
    if not commands or not block.code.lstrip().startswith(CLI_PREFIX):
        raise DocExampleError(block, f"a <!-- run --> block must start with '{CLI_PREFIX}'")
    for command, expected in commands:
        argv = shlex.split(command)
        if argv[0] != "survey-toolkit":
            raise DocExampleError(block, f"only survey-toolkit commands are run, not: {command}")
        code, actual = run_cli(tuple(argv[1:]))
        if code != block.exit_code:
            output = "\n".join(actual)
            raise DocExampleError(
                block, f"$ {command}\nexit code {code}, expected {block.exit_code}\n{output}"
            )
        if expected and not output_matches(expected, actual):
            shown, got = "\n".join(_trim(expected)), "\n".join(_trim(actual))
            raise DocExampleError(
                block, f"$ {command}\noutput differs.\n--- shown\n{shown}\n--- actual\n{got}"
            )


def run_doc(path: str) -> int:
    """Run every runnable block of one file in order; return how many ran."""
    namespace: dict = {"__name__": "__doc_example__"}
    ran = 0
    for block in blocks_of(path):
        if block.language in PYTHON and block.runs:
            run_python(block, namespace)
        elif block.runs:
            run_console(block)
        else:
            continue
        ran += 1
    return ran


def _is_heavy(path: str) -> bool:
    """Files that load the demo data or run the CLI take more than a few seconds."""
    code = "\n".join(b.code for b in blocks_of(path) if b.runs)
    words = ("read_instrument", "load(", "load_indicators", "load_project", "pipeline", CLI_PREFIX)
    return any(word in code for word in words)


def _params() -> list:
    return [pytest.param(p, id=p, marks=[pytest.mark.slow] if _is_heavy(p) else []) for p in doc_files()]


# ------------------------------------------------------------------------------------------- the docs


@pytest.mark.parametrize("path", _params())
def test_doc_examples_run(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setattr(sys, "path", list(sys.path))  # a page may add a folder (instruments/)
    modules_before = set(sys.modules)
    known = KNOWN_FAILURES.get(path)
    try:
        run_doc(path)
    except DocExampleError as exc:
        if known and exc.block.number == known[0] and exc.block.language in PYTHON:
            lines = str(exc).splitlines()
            pytest.xfail(f"known failure of another engineer's page ({known[1]}): {lines[0]} {lines[-1]}")
        raise
    finally:
        _forget_page_modules(modules_before)
    assert known is None, f"{path} now runs: remove it from KNOWN_FAILURES in {Path(__file__).name}"


def _forget_page_modules(before: set[str]) -> None:
    """Unload modules a page imported from the repository's own folders (``instruments/build.py``)."""
    for name in set(sys.modules) - before:
        file = getattr(sys.modules[name], "__file__", None) or ""
        if file and Path(file).resolve().parent in {
            ROOT / "instruments",
            ROOT / "examples",
            ROOT / "benchmarks",
        }:
            del sys.modules[name]


@pytest.mark.parametrize("path", doc_files())
def test_illustrative_python_blocks_compile(path: str) -> None:
    for block in blocks_of(path):
        if block.language in PYTHON and not block.runs:
            try:
                compile(block.code, block.where, "exec")
            except SyntaxError as exc:
                pytest.fail(f"{block.where}: not valid Python: {exc}")


@pytest.mark.parametrize("path", doc_files())
def test_run_markers_are_on_cli_blocks(path: str) -> None:
    for block in blocks_of(path):
        if block.marker == "run":
            assert block.language in CONSOLE and block.code.lstrip().startswith(CLI_PREFIX), (
                f"{block.where}: <!-- run --> only applies to console blocks starting with '{CLI_PREFIX}'"
            )


@pytest.mark.parametrize("path", OWN_DOCS)
def test_guides_have_runnable_examples_and_few_no_run_blocks(path: str) -> None:
    python = [b for b in blocks_of(path) if b.language in PYTHON]
    skipped = [b.where for b in python if not b.runs]
    assert python, f"{path} has no python example"
    assert len(skipped) <= max(1, len(python) // 5), f"too many no-run blocks in {path}: {skipped}"


# ------------------------------------------------------------------------- the API reference page

API_PAGE = "docs/python-api.md"
SIGNATURE = re.compile(r"^`(?P<name>[A-Za-z_][\w.]*)\((?P<params>.*?)\)`")


def api_entries() -> dict[str, str]:
    """``### `name` `` headings of the API page -> the first line of their entry."""
    lines = (ROOT / API_PAGE).read_text(encoding="utf-8").splitlines()
    entries = {}
    for i, line in enumerate(lines):
        heading = re.fullmatch(r"### `(?P<name>[\w.]+)`", line.strip())
        if heading:
            following = [x for x in lines[i + 1 :] if x.strip()]
            entries[heading["name"]] = following[0] if following else ""
    return entries


def documented_parameters(line: str) -> list[str] | None:
    """Parameter names of a documented signature line such as `` `rake(data, margins, *, epsilon=1e-10)` ``."""
    found = SIGNATURE.match(line)
    if not found:
        return None
    params = found["params"].replace("(...)", "()")
    tree = ast.parse(f"def f({params}): pass").body[0].args
    return [a.arg for a in (*tree.posonlyargs, *tree.args, *tree.kwonlyargs)]


def test_every_public_name_has_an_entry_in_the_api_page() -> None:
    missing = [name for name in survey_toolkit.__all__ if name not in api_entries()]
    assert not missing, f"{API_PAGE} has no '### `name`' entry for: {missing}"


def test_every_entry_of_the_api_page_is_public() -> None:
    """The other direction: ``survey_toolkit.__all__`` is exactly the documented API."""
    extra = [name for name in api_entries() if name not in survey_toolkit.__all__]
    assert not extra, f"{API_PAGE} documents names that survey_toolkit.__all__ does not list: {extra}"
    assert len(survey_toolkit.__all__) == len(set(survey_toolkit.__all__))
    assert all(hasattr(survey_toolkit, name) for name in survey_toolkit.__all__)


@pytest.mark.parametrize("name", [n for n in survey_toolkit.__all__ if n != "__version__"])
def test_documented_signatures_match_the_code(name: str) -> None:
    entry = api_entries().get(name, "")
    documented = documented_parameters(entry)
    obj = getattr(survey_toolkit, name)
    if documented is None:
        assert inspect.isclass(obj), f"{API_PAGE}: the entry of function {name} must start with its signature"
        return
    actual = [p.name for p in inspect.signature(obj).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]  # fmt: skip
    assert documented == actual, f"{API_PAGE}: {name} documents {documented}, the code has {actual}"


def module_signatures() -> list[tuple[str, str]]:
    """``(dotted name, params)`` of every `` `survey_toolkit.module.function(params)` `` on the API page."""
    text = (ROOT / API_PAGE).read_text(encoding="utf-8")
    found = re.findall(r"`(survey_toolkit(?:\.\w+)+)\((.*?)\)`", text)
    return [(name, params) for name, params in found if params.strip() != "..."]


def _resolve(dotted: str):
    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(module), attr)


@pytest.mark.parametrize(("dotted", "params"), module_signatures())
def test_documented_module_functions_exist_with_these_parameters(dotted: str, params: str) -> None:
    documented = documented_parameters(f"`f({params})`")
    actual = [p.name for p in inspect.signature(_resolve(dotted)).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]  # fmt: skip
    assert documented == actual, f"{API_PAGE}: {dotted} documents {documented}, the code has {actual}"


@functools.lru_cache(maxsize=1)
def cli_anchors() -> frozenset[str]:
    """GitHub anchors of the headings of the generated CLI reference (what docs/cli.md must hold)."""
    headings = re.findall(r"^#+ (.+)$", _docs.render(), flags=re.MULTILINE)
    return frozenset(re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings)


@pytest.mark.parametrize("path", doc_files())
def test_links_to_the_cli_reference_resolve(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    links = re.findall(r"\]\((?:docs/)?cli\.md#([^)]+)\)", text)
    broken = sorted(set(links) - cli_anchors())
    assert not broken, f"{path} links to commands that docs/cli.md does not have: {broken}"


# ------------------------------------------------------------------------------ the runner itself

SAMPLE = """# Sample

```python
x = 1
```

Text.

<!-- no-run -->
```python
this is not run = 1
```

```python no-run
also_not_run = 2
```

```python
y = x + 1
assert y == 2
```

```bash
$ survey-toolkit this-is-not-run
```

<!-- run: exit=2 -->
```console
$ survey-toolkit --no-such-option
...
```
"""


def test_parser_finds_blocks_markers_and_numbers() -> None:
    blocks = parse_blocks(SAMPLE, "sample.md")
    python = [b for b in blocks if b.language in PYTHON]
    console = [b for b in blocks if b.language in CONSOLE]
    assert [b.runs for b in python] == [True, False, False, True]
    assert [(b.number, b.line) for b in python] == [(1, 4), (2, 11), (3, 15), (4, 19)]
    assert [(b.runs, b.exit_code) for b in console] == [(False, 0), (True, 2)]
    assert cli_commands(console[1]) == [("survey-toolkit --no-such-option", ["..."])]


def test_parser_keeps_indentation_and_strips_list_item_indent() -> None:
    text = "```python\nfor i in range(2):\n    total = i\n```\n\n1. Step:\n\n   ```python\n   if True:\n       x = 1\n   ```\n"
    loop, nested = parse_blocks(text, "x.md")
    assert loop.code == "for i in range(2):\n    total = i"
    assert nested.code == "if True:\n    x = 1"
    namespace: dict = {}
    run_python(loop, namespace)
    run_python(nested, namespace)
    assert namespace["total"] == 1 and namespace["x"] == 1


def test_a_failing_block_is_named_with_file_block_and_line() -> None:
    broken = parse_blocks("```python\nok = 1\n```\n\n```python\n\nundefined_name + ok\n```\n", "docs/x.md")
    namespace: dict = {}
    run_python(broken[0], namespace)
    with pytest.raises(DocExampleError) as caught:
        run_python(broken[1], namespace)
    message = str(caught.value)
    assert message.startswith("docs/x.md: python block 2 (line 6) failed")
    assert 'File "docs/x.md", line 7' in message and "NameError" in message


@pytest.mark.slow
def test_console_blocks_check_exit_code_and_output() -> None:
    usage = parse_blocks(
        "<!-- run: exit=2 -->\n```console\n$ survey-toolkit --no-such-option\n...\n```\n", "d.md"
    )
    run_console(usage[0])
    wrong_exit = parse_blocks("<!-- run -->\n```console\n$ survey-toolkit --no-such-option\n```\n", "d.md")
    with pytest.raises(DocExampleError, match="exit code 2, expected 0"):
        run_console(wrong_exit[0])
    wrong_text = parse_blocks(
        "<!-- run -->\n```console\n$ survey-toolkit --version\nsurvey-toolkit 0.0\n```\n", "d.md"
    )
    with pytest.raises(DocExampleError, match="output differs"):
        run_console(wrong_text[0])


def test_output_matching_with_ellipsis() -> None:
    assert output_matches(["a", "...", "d"], ["a", "b", "c", "d  "])
    assert output_matches(["a", "..."], ["a"])
    assert not output_matches(["a", "d"], ["a", "b", "d"])
    assert not output_matches(["a", "...", "e"], ["a", "b", "d"])
