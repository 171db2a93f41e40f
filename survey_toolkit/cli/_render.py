"""Rendering for people at a terminal: located problems, tables, the list of files written.

Diagnostics go to stderr so that stdout stays machine-readable. Every text that did not come from
this module (a message, a file name, a value, a project key) is printed through :func:`plain`:
Rich markup is escaped and control characters (terminal escape sequences) are shown as ``\\xNN``,
so nothing read from a file can drive the terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..errors import Problem, Severity

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
out_console = Console(highlight=False, soft_wrap=True)

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def plain(text: object) -> str:
    """``text`` safe to print with Rich: control characters escaped, then Rich markup escaped.

    >>> print(plain("a\\x1b[2J[bold]b"))
    a\\x1b[2J\\[bold]b
    """
    from ..codes import printable  # pandas-free --help

    return escape(printable(text))


#: Only spec/config files are quoted back: a data file's line is a respondent's row (privacy).
SNIPPET_SUFFIXES: frozenset[str] = frozenset({".yaml", ".yml"})


def _snippet(problem: Problem) -> list[str]:
    """The offending line of a YAML spec/config file with a caret under the column, strictyaml style.

    Data files (CSV, exports) are never re-read: their lines hold respondents' answers.
    """
    loc = problem.location
    if not (loc.file and loc.line) or Path(loc.file).suffix.lower() not in SNIPPET_SUFFIXES:
        return []
    try:
        lines = Path(loc.file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    if not 1 <= loc.line <= len(lines):
        return []
    text = lines[loc.line - 1]
    caret = " " * (max(loc.column or 1, 1) - 1) + "^"
    return [f"    {text}", f"    {caret}"]


def render_problem(problem: Problem, console: Console = err_console) -> None:
    where = str(problem.location)
    sev = problem.severity
    head = f"{plain(where)}: " if where else ""
    console.print(f"{head}[{_STYLE[sev]}]{sev.value}[/][dim]\\[{plain(problem.code)}][/] {plain(problem.message)}")
    for line in _snippet(problem):
        console.print(plain(line), style="dim")
    halves = [f"{name}: {plain(value)}" for name, value in (("expected", problem.expected), ("found", problem.got))
              if value is not None]  # fmt: skip
    if halves:
        console.print("  " + "; ".join(halves))
    if problem.hint:
        console.print(f"  [green]hint:[/] {plain(problem.hint)}")


def render_problems(problems: Iterable[Problem], console: Console = err_console) -> None:
    problems = list(problems)
    for p in problems:
        render_problem(p, console)
    n_err = sum(p.severity is Severity.ERROR for p in problems)
    n_warn = sum(p.severity is Severity.WARNING for p in problems)
    if problems:
        console.print(f"[bold]{n_err} error(s), {n_warn} warning(s)[/]")


CHART_SUFFIXES: frozenset[str] = frozenset({".png", ".svg", ".pdf"})


def summarise_written(paths: Iterable[Path], *, max_per_folder: int = 6) -> list[str]:
    """One line per file, except chart files: a folder of many charts gets one line.

    >>> summarise_written([Path("out/a.csv")] + [Path(f"out/charts/c{i}.svg") for i in range(9)])
    ['out/a.csv', 'out/charts/ (9 files: .svg)']
    """
    paths = [Path(p) for p in paths]
    charts: dict[Path, list[Path]] = {}
    for path in paths:
        if path.suffix.lower() in CHART_SUFFIXES:
            charts.setdefault(path.parent, []).append(path)
    lines, seen = [], set()
    for path in paths:
        group = charts.get(path.parent, []) if path.suffix.lower() in CHART_SUFFIXES else []
        if len(group) <= max_per_folder:
            lines.append(str(path))
        elif path.parent not in seen:
            seen.add(path.parent)
            kinds = ", ".join(sorted({p.suffix.lower() for p in group}))
            lines.append(f"{path.parent}/ ({len(group)} files: {kinds})")
    return lines


def render_written(paths: Iterable[Path], console: Console = err_console) -> None:
    """The closing summary naming every file written (folders of many charts as one line each)."""
    lines = summarise_written(paths)
    if not lines:
        return
    console.print("[bold green]Files written:[/]")
    for line in lines:
        console.print(f"  {plain(line)}")


@contextmanager
def step_bars(labels: Mapping[str, str]) -> Iterator[Callable[[str, int, int], None]]:
    """Transient progress bars on stderr, one per workflow step; yields the library's ``progress`` callback."""
    from rich.progress import Progress

    with Progress(console=err_console, transient=True) as bars:
        tasks: dict[str, int] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bars.add_task(labels.get(step, step), total=total)
            bars.update(tasks[step], completed=done, total=total)

        yield progress
