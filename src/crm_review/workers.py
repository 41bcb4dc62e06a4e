"""Jobs run side by side on the machine's cores, in forked processes that share the loaded review.

A forked child sees the parent's records and view without copying or pickling them, so each document
of a large review can be rendered on its own core. Only a job's small result (or the exception it
raised) travels back, pickled, through a pipe. Where the platform cannot fork, jobs run one by one.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")

MOST_CHILDREN = 4
"""At most this many forked processes at once (each keeps its own copy of the pages it touches)."""


def run_jobs(jobs: Mapping[str, Callable[[], T]], *, parallel: bool) -> dict[str, T]:
    """Each job's result by name, in the order given.

    With ``parallel``, every job but the last starts in a forked child (up to :data:`MOST_CHILDREN` at
    once, in the order given: put the longest first) while this process runs the last. An exception
    raised in a child is raised here, as it would have been in one process.
    """
    if not parallel or len(jobs) < 2 or not hasattr(os, "fork"):
        return {name: job() for name, job in jobs.items()}
    *forked, (last, last_job) = jobs.items()
    waiting = list(forked)
    running: list[tuple[str, _Forked[T]]] = []
    results: dict[str, T] = {}
    try:
        while waiting and len(running) < MOST_CHILDREN:
            name, job = waiting.pop(0)
            running.append((name, _Forked(job)))
        results[last] = last_job()
        while running:
            name, child = running.pop(0)
            results[name] = child.result()
            if waiting:
                next_name, job = waiting.pop(0)
                running.append((next_name, _Forked(job)))
    finally:
        for _, child in running:  # after a failure here, no child is left behind
            child.wait()
    return {name: results[name] for name in jobs}


class _Forked(Generic[T]):
    """A job started in a forked child; :meth:`result` waits for its result or raises what it raised."""

    def __init__(self, job: Callable[[], T]) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; coverage cannot follow it
            os.close(read)
            try:
                payload = b"R" + pickle.dumps(job())
            except BaseException as exc:
                payload = b"E" + _pickled(exc)
            with os.fdopen(write, "wb") as out:
                out.write(payload)
            os._exit(0)  # never the parent's clean-up (atexit, buffered files) in the child
        os.close(write)
        self.pid, self.read = pid, read
        self.payload: bytes | None = None

    def result(self) -> T:
        payload = self.wait()
        if payload[:1] in (b"R", b"E"):
            value = pickle.loads(payload[1:])  # our own child's bytes, written a moment ago
            if payload[:1] == b"E":
                raise value
            return value  # type: ignore[no-any-return]
        raise RuntimeError("a rendering process ended without a result")

    def wait(self) -> bytes:
        """What the child sent, once it has ended (read first: a child never blocks on a full pipe)."""
        if self.payload is None:
            with os.fdopen(self.read, "rb") as source:
                self.payload = source.read()
            os.waitpid(self.pid, 0)
        return self.payload


def _pickled(exc: BaseException) -> bytes:
    try:
        return pickle.dumps(exc)
    except Exception:  # an exception that cannot travel: keep its words
        return pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
