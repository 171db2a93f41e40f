"""survey_toolkit.parallel.forked_map: the same results as one job after the other, whatever happens
in the forked processes."""

from __future__ import annotations

import os
import sys
from types import MappingProxyType

import pytest

from survey_toolkit.parallel import _Registry, forked_map, workers

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="jobs are forked on Linux only")


@pytest.fixture
def two(monkeypatch):
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", "2")


def test_workers_follow_the_environment(monkeypatch):
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", "3")
    assert workers() == 3
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", "1")
    assert workers() == 1


@linux
def test_results_in_order_and_some_from_another_process(two):
    import time

    parent = os.getpid()

    def job(i):
        time.sleep(0.05)  # long enough for the forked process to start and take some
        return i * i, os.getpid()

    out = forked_map(job, list(range(12)))
    assert [v for v, _ in out] == [i * i for i in range(12)]
    assert out[0][1] == parent  # job 0 is always done here
    assert any(pid != parent for _, pid in out)  # the others were shared with a forked process


@linux
def test_shared_objects_come_back_as_the_same_objects(two):
    form = {"name": "the form"}
    out = forked_map(lambda i: {"i": i, "form": form, "view": MappingProxyType({"k": i})}, [0, 1, 2, 3], shared=[form])
    assert all(r["form"] is form for r in out)
    assert [r["view"]["k"] for r in out] == [0, 1, 2, 3] and all(isinstance(r["view"], MappingProxyType) for r in out)


@linux
def test_an_error_in_a_forked_job_is_raised_here(two):
    parent = os.getpid()

    def job(i):
        if i == 3:
            raise ValueError(f"job {i} failed in {'this' if os.getpid() == parent else 'a forked'} process")
        return i

    with pytest.raises(ValueError, match="job 3 failed in this process"):  # redone here, raised as usual
        forked_map(job, [0, 1, 2, 3])


@linux
def test_a_forked_process_that_dies_loses_nothing(two):
    parent = os.getpid()

    def job(i):
        if os.getpid() != parent:
            os._exit(3)  # the forked process is killed mid-job
        return i + 100

    assert forked_map(job, [0, 1, 2, 3]) == [100, 101, 102, 103]


@linux
def test_an_unpicklable_result_is_computed_here(two):
    out = forked_map(lambda i: (lambda: i), [0, 1, 2])  # a lambda cannot be pickled back
    assert [f() for f in out] == [0, 1, 2]


@pytest.mark.parametrize("n", ["1", "2"])
def test_done_is_called_once_per_job(monkeypatch, n):
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", n)
    seen = []
    assert forked_map(lambda i: -i, range(5), done=seen.append) == [0, -1, -2, -3, -4]
    assert sorted(seen) == [0, 1, 2, 3, 4] and seen[0] == 0


def test_one_worker_runs_every_job_here(monkeypatch):
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", "1")
    assert {pid for pid in forked_map(lambda i: os.getpid(), range(4))} == {os.getpid()}


def test_registry_round_trip_keeps_shared_identity():
    shared = object()
    registry = _Registry([shared, None])
    back = registry.loads(registry.dumps({"a": [shared, 1], "b": MappingProxyType({"x": shared})}))
    assert back["a"][0] is shared and back["b"]["x"] is shared and back["a"][1] == 1


def test_the_demo_rounds_travel_whole():
    """The loaded rounds of the demo (arrow strings, read-only mappings, the form) pickle back equal,
    with the project's form as the very same object: forked loading is not silently redone here."""
    from survey_toolkit import pipeline
    from survey_toolkit.pipeline.common import shared_objects
    from survey_toolkit.project import load_project

    project = load_project(os.path.join(os.path.dirname(__file__), "..", "examples", "demo"))
    inputs = pipeline.validate_inputs(project)
    data = pipeline.load_rounds(project, inputs)
    registry = _Registry(shared_objects(project, inputs))
    for d in data.values():
        back = registry.loads(registry.dumps(d))
        assert back.instrument is d.instrument and back.frame.equals(d.frame)
        assert dict(back.variables).keys() == dict(d.variables).keys()


@linux
def test_jobs_of_a_forked_job_run_in_its_own_process(two):
    """A job that maps jobs of its own (in a forked process) does them itself: no process forks again."""
    def inner(_):
        return workers(), os.getpid()

    def outer(i):
        return forked_map(inner, [0, 1, 2])

    for result in forked_map(outer, [0, 1, 2, 3]):
        counts = {w for w, _ in result}
        assert counts <= {1, 2} and len({pid for _, pid in result}) <= 2
    child_views = [r for r in forked_map(lambda i: workers(), [0, 1, 2, 3])]
    assert child_views[0] == 2 and set(child_views[1:]) <= {1, 2}


@linux
def test_without_shared_memory_the_jobs_run_here(two, monkeypatch):
    """A machine without /dev/shm (no semaphores) or that cannot fork: the jobs are done one after the
    other here, never an error."""
    import multiprocessing

    context = multiprocessing.get_context("fork")

    class NoSharedMemory:
        def Value(self, *args, **kwargs):  # noqa: N802 - the multiprocessing name
            raise OSError(38, "Function not implemented")

    monkeypatch.setattr("survey_toolkit.parallel._fork_context", lambda: NoSharedMemory())
    assert forked_map(lambda i: (i, os.getpid()), [0, 1, 2]) == [(i, os.getpid()) for i in range(3)]

    class NoFork:
        def __getattr__(self, name):
            return getattr(context, name)

        def Process(self, *args, **kwargs):  # noqa: N802
            process = context.Process(*args, **kwargs)

            def refuse():
                raise OSError(11, "Resource temporarily unavailable")

            process.start = refuse
            return process

    monkeypatch.setattr("survey_toolkit.parallel._fork_context", lambda: NoFork())
    assert forked_map(lambda i: i * 10, [0, 1, 2, 3]) == [0, 10, 20, 30]


def test_processes_for_few_equal_jobs(monkeypatch):
    """Three rounds on two cores: three processes (they end together); four: two (two each)."""
    from survey_toolkit.parallel import process_count as processes

    monkeypatch.delenv("SURVEY_TOOLKIT_WORKERS", raising=False)
    monkeypatch.setattr("survey_toolkit.parallel.workers", lambda: 2)
    assert [processes(j) for j in (1, 2, 3, 4, 5)] == [1, 2, 3, 2, 2]
    monkeypatch.setattr("survey_toolkit.parallel.workers", lambda: 4)
    assert [processes(j) for j in (3, 4, 5, 6, 8, 9)] == [3, 4, 5, 6, 4, 4]
    monkeypatch.setattr("survey_toolkit.parallel.workers", lambda: 1)
    assert processes(3) == 1
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", "2")
    monkeypatch.setattr("survey_toolkit.parallel.workers", lambda: 2)
    assert processes(3) == 2  # a number given is kept


@linux
def test_a_stuck_forked_process_does_not_hang_the_run(two, monkeypatch):
    """A forked process that never answers (a deadlock) is given up after PATIENCE seconds and its job is
    done here: the run is slower, never stuck, and its results are complete."""
    import time

    monkeypatch.setattr("survey_toolkit.parallel.PATIENCE", 1.0)
    parent = os.getpid()

    def job(i):
        if os.getpid() != parent:
            time.sleep(3600)  # stuck
        return i * 2

    started = time.monotonic()
    assert forked_map(job, [0, 1, 2]) == [0, 2, 4]
    assert time.monotonic() - started < 30
