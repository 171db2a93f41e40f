"""Independent jobs of a run (one per round, one per report language) done at once in forked processes.

:func:`forked_map` is ``[fn(job) for job in jobs]``: on Linux, with several cores, this process and
forked copies of it (:func:`process_count`) take the next job as each becomes free. Job 0 is always
done here, first (a job that reports its own progress can do so there). The results are the same
objects, in the same order, as one job after the other:

- a forked process sends its result back pickled; the objects named in ``shared`` (the form, the
  project: anything the parent already holds) are sent as references and come back as the parent's
  very objects, so ``data.instrument is form`` stays true;
- a job that fails in a forked process (any exception, the process dying, or no word from any
  process for :data:`PATIENCE` seconds) is done again here, so its error is raised as usual, located,
  and nothing is lost;
- with one worker (``SURVEY_TOOLKIT_WORKERS=1``, Windows, macOS: no fork) the jobs run here, one
  after the other.

Jobs must not print or report progress themselves: ``done(i)`` is called here as job ``i`` is known
to be finished.
"""

from __future__ import annotations

import copyreg
import gc
import io
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

__all__ = ["forked_map", "process_count", "workers"]

T = TypeVar("T")
R = TypeVar("R")

_FAILED = b""  # what a forked process sends for a job that raised: the parent does it again
_forked = False  # True in a forked process of forked_map
PATIENCE = 120.0
"""Seconds without a result from any forked process (and at least 10 times the longest job done here)
after which its jobs are done here instead."""


def workers() -> int:
    """Processes that work at once, one per core (at most 4); 1 where processes cannot be forked
    (Windows, macOS), in a forked process, or when ``SURVEY_TOOLKIT_WORKERS`` says so (``1``: one job
    after the other; ``SURVEY_TOOLKIT_WORKERS=3``: three)."""
    if _forked:  # a job's own jobs run in its process: never processes forking processes
        return 1
    if (given := _given()) is not None:
        return given
    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def _given() -> int | None:
    """The number of processes ``SURVEY_TOOLKIT_WORKERS`` fixes, None when it fixes none."""
    given = os.environ.get("SURVEY_TOOLKIT_WORKERS", "").strip()
    return int(given) if given.isdigit() and int(given) >= 1 else None


def process_count(jobs: int) -> int:
    """How many processes share ``jobs`` about equal jobs: :func:`workers`, or one per job when there
    are fewer than twice as many jobs as workers and they do not divide evenly (three rounds on two
    cores: three processes end together after 1.5 rounds' time, two taking turns need 2), unless
    ``SURVEY_TOOLKIT_WORKERS`` fixes the number."""
    n = workers()
    if n > 1 and _given() is None and n < jobs < 2 * n and jobs % n:
        return jobs
    return min(n, jobs)


def forked_map(
    fn: Callable[[T], R],
    jobs: Sequence[T],
    *,
    shared: Iterable[Any] = (),
    done: Callable[[int], None] | None = None,
) -> list[R]:
    """``[fn(job) for job in jobs]``, the jobs shared between this process and forked ones (see the
    module doc). ``done(i)`` is called here once per job, as each is known to be finished."""
    jobs = list(jobs)
    done = done or (lambda i: None)
    n = process_count(len(jobs))
    context = _fork_context() if n > 1 else None
    try:  # shared memory and semaphores may be missing (a container without /dev/shm): one after the other
        counter = context.Value("i", 1) if context else None  # job 0 is this process's: it starts at once
        queue = context.Queue() if context else None
    except (OSError, ImportError):
        counter = None
    if counter is None:
        return [_done(fn(job), done, i) for i, job in enumerate(jobs)]
    registry = _Registry(shared)

    def take() -> int | None:
        with counter.get_lock():
            i = counter.value
            counter.value = i + 1
        return i if i < len(jobs) else None

    def child() -> None:
        global _forked
        _forked = True
        while (i := take()) is not None:
            try:
                payload = registry.dumps(fn(jobs[i]))
            except BaseException:  # noqa: BLE001 - the parent does the job again and raises its error
                payload = _FAILED
            queue.put((i, payload))

    processes = [context.Process(target=child, daemon=True) for _ in range(n - 1)]
    gc.freeze()  # the objects of this moment are left out of the collector: a forked process then shares
    try:         # their memory pages instead of copying each page the collector would touch
        for p in processes:
            p.start()
    except OSError:  # no process could be forked (limits, memory): those that started still help
        processes = [p for p in processes if p.pid is not None]
    finally:
        gc.unfreeze()
    results: dict[int, Any] = {}
    longest = 0.0
    try:
        i: int | None = 0
        while i is not None:  # this process works too, job 0 first
            started = time.monotonic()
            results[i] = _done(fn(jobs[i]), done, i)
            longest = max(longest, time.monotonic() - started)
            i = take()
        patience = max(PATIENCE, 10 * longest)
        for _ in range(len(jobs) - len(results)):  # one message per job a forked process took
            message = _next(queue, processes, patience)
            if message is None:  # every forked process has ended, or one is stuck: what is missing is redone
                for p in processes:
                    p.terminate()
                break
            i, payload = message
            if payload != _FAILED:
                results[i] = _done(registry.loads(payload), done, i)
    except BaseException:
        for p in processes:
            p.terminate()
        raise
    finally:
        for p in processes:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
        queue.close()
    for i in range(len(jobs)):  # failed or lost in a forked process: done here, so its error is raised here
        if i not in results:
            results[i] = _done(fn(jobs[i]), done, i)
    return [results[i] for i in range(len(jobs))]


def _done(result: R, done: Callable[[int], None], i: int) -> R:
    done(i)
    return result


def _fork_context():
    import multiprocessing

    try:
        return multiprocessing.get_context("fork")
    except ValueError:
        return None


def _next(queue, processes, patience: float) -> tuple[int, bytes] | None:
    """The next message of a forked process; None once every process has ended and nothing is left, or
    when none came for ``patience`` seconds (a process stuck, e.g. on a lock held at the fork by another
    thread of this process: its jobs are then done here rather than waited for forever)."""
    import queue as queues

    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            return queue.get(timeout=0.2)
        except queues.Empty:
            if not any(p.is_alive() for p in processes):
                try:
                    return queue.get(timeout=0.5)  # sent just before it ended
                except queues.Empty:
                    return None
    return None


def _mapping_proxy(mapping: dict) -> MappingProxyType:
    return MappingProxyType(mapping)


def _reduce_mapping_proxy(proxy: MappingProxyType) -> tuple:
    return _mapping_proxy, (dict(proxy),)


_DISPATCH = {**copyreg.dispatch_table, MappingProxyType: _reduce_mapping_proxy}  # read-only views travel too


class _Registry:
    """Pickling in which the objects of ``shared`` travel as their position in it (the forked process
    holds the parent's objects at the same addresses: both sides resolve them to the same object)."""

    def __init__(self, shared: Iterable[Any]) -> None:
        self.objects = [o for o in shared if o is not None]
        self.index = {id(o): k for k, o in enumerate(self.objects)}

    def dumps(self, value: Any) -> bytes:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.persistent_id = lambda obj: self.index.get(id(obj))  # type: ignore[method-assign]
        pickler.dispatch_table = _DISPATCH
        pickler.dump(value)
        return buffer.getvalue()

    def loads(self, payload: bytes) -> Any:
        unpickler = pickle.Unpickler(io.BytesIO(payload))
        unpickler.persistent_load = lambda k: self.objects[k]  # type: ignore[method-assign]
        return unpickler.load()
