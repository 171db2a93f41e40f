"""Time ``survey-toolkit run`` on a project, phase by phase (and ``survey-toolkit --help``).

    .venv/bin/python benchmarks/report.py                      # the demo project, median of 5 runs
    .venv/bin/python benchmarks/report.py path/to/project -n 3
    .venv/bin/python benchmarks/scaled_project.py && .venv/bin/python benchmarks/report.py benchmarks/_data/scaled_22x4 -n 3

Each run writes into a fresh temporary folder (the project's own output folder is never touched)
and records, through the pipeline's progress callback, when each phase starts and ends: loading,
data-quality checks, weighting, estimating indicators, comparing rounds, writing outputs (charts,
HTML, workbook per language, tidy tables). Prints the median per phase (wall and CPU seconds) and in
all, and the median wall time of ``python -m survey_toolkit --help``. The phases' CPU time is this process's
(``process_time``); the run's line also gives the CPU time with the forked processes (rounds and report
languages are done in parallel on Linux), which are counted only when they end. CPU time moves
less than wall time on a shared machine: compare CPU seconds between versions when others are busy. Targets (issue 12): the demo under 10 s wall on the
2-core development machine, ``--help`` under 0.5 s; run it on a quiet machine (check ``uptime``).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    import resource
except ImportError:  # Windows: no child-process times (and no forked workers)
    resource = None

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def children_cpu() -> float:
    """CPU seconds of the finished child processes of this one (the forked workers)."""
    if resource is None:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(project_path: Path) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds per phase (and 'total') of one ``pipeline.run`` into a temporary output folder."""
    from survey_toolkit import pipeline
    from survey_toolkit.project import load_project

    project = load_project(project_path)
    times: dict[str, tuple[float, float]] = {}
    last = [(time.perf_counter(), time.process_time())]

    def progress(step: str, done: int, total: int) -> None:
        now = (time.perf_counter(), time.process_time())
        wall, cpu = times.get(step, (0.0, 0.0))
        times[step] = (wall + now[0] - last[0][0], cpu + now[1] - last[0][1])
        last[0] = now

    with tempfile.TemporaryDirectory() as out:
        report = dataclasses.replace(project.report, output=Path(out))
        start = (time.perf_counter(), time.process_time())
        children = children_cpu()
        last[0] = start
        pipeline.run(dataclasses.replace(project, report=report), progress=progress)
        times["total"] = (time.perf_counter() - start[0], time.process_time() - start[1])
        times["forked"] = (0.0, children_cpu() - children)
    return times


def help_time(repeat: int) -> float:
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "survey_toolkit", "--help"], cwd=ROOT, capture_output=True, check=True)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", nargs="?", default=str(ROOT / "examples" / "demo"))
    parser.add_argument("-n", "--repeat", type=int, default=5)
    args = parser.parse_args()
    runs = [one_run(Path(args.project)) for _ in range(args.repeat)]
    steps = list(dict.fromkeys(k for r in runs for k in r if k not in ("total", "forked")))
    print(f"{'phase (time until the progress call)':44} {'wall s':>8} {'CPU s':>8}  (medians)")
    for step in steps:
        wall = statistics.median(r.get(step, (0.0, 0.0))[0] for r in runs)
        cpu = statistics.median(r.get(step, (0.0, 0.0))[1] for r in runs)
        print(f"  {step:42} {wall:8.2f} {cpu:8.2f}")
    wall, cpu = (statistics.median(r["total"][k] for r in runs) for k in (0, 1))
    print(f"{'run':44} {wall:8.2f} {cpu:8.2f}  (targets, wall: demo < 10 s, 10x demo < 20 s)")
    forked = statistics.median(r["total"][1] + r["forked"][1] for r in runs)
    print(f"{'run, CPU with the forked processes':44} {'':8} {forked:8.2f}")
    print(f"{'--help, wall':44} {help_time(args.repeat):8.2f}  (target < 0.5 s)")


if __name__ == "__main__":
    main()
