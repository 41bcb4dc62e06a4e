"""Jobs run side by side on the machine's cores, in forked processes that share the loaded review.

A forked child sees the parent's records and view without copying or pickling them, so each document
of a large review can be rendered on its own core. Only a job's small result (or the exception it
raised) travels back, pickled, through a pipe, or what it hands over piece by piece (:class:`Stream`).
Where the platform cannot fork, jobs run one by one.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Generic, TypeVar

from crm_review.errors import RenderingStopped

T = TypeVar("T")

MOST_CHILDREN = 4
"""At most this many forked processes at once (each keeps its own copy of the pages it touches)."""


def cores() -> int:
    """How many processors this process may run on (fewer than the machine has under a CPU affinity mask)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class Turns:
    """The numbers 0 to ``count - 1``, each taken by whichever process asks first: this one, or a child it forks.

    Work shared by processes this way balances itself: a process that is slowed down (by other work, a
    busier core) simply takes fewer numbers. The numbers wait in a pipe made before the fork, which every
    process reads four bytes at a time; a pipe hands each read whole to one reader.
    """

    MOST = 1_024
    """At most this many numbers (4 KB, written at once into a pipe that nobody reads yet, never blocks)."""
    _NUMBER = struct.Struct("<I")

    def __init__(self, count: int) -> None:
        if not 0 <= count <= self.MOST:
            raise ValueError(f"{count} turns: at most {self.MOST}")
        self._read, write = os.pipe()
        try:
            os.write(write, b"".join(map(self._NUMBER.pack, range(count))))
        finally:
            os.close(write)  # once every process has read the pipe empty, it reads its end

    def __iter__(self) -> Iterator[int]:
        while len(data := os.read(self._read, self._NUMBER.size)) == self._NUMBER.size:
            yield self._NUMBER.unpack(data)[0]

    def close(self) -> None:
        os.close(self._read)


def can_fork() -> bool:
    """Whether this platform forks processes; where it cannot, jobs run one by one and nothing is streamed."""
    return hasattr(os, "fork")


class Stream(Generic[T]):
    """Values that forked children send to this process one by one, as each is made, read here whenever it looks.

    A child's job can then hand over its work piece by piece, and this process take each piece up between
    pieces of its own, instead of all of it at the end. Each child has a pipe of its own, made before the
    fork (a pipe keeps a write whole only up to 4 KB, and a value may be larger); a value travels pickled,
    behind its length, and a child's last word says it is done, however its job ended. This process reads
    whichever pipes have something, so a child waits on a full pipe only while this one is busy, never for
    ever: once the stream is closed here (on a failure, see ``run_jobs``'s ``abandon``), a child's next send
    fails. The children must all be forked (``run_jobs`` forks up to :data:`MOST_CHILDREN` before it runs
    the last job here) before this process reads.
    """

    _LENGTH = struct.Struct("<Q")
    _DONE = (1 << 64) - 1
    """A length no value has: the child says it is done."""
    PIPE_BYTES = 1 << 20
    """Each pipe is asked to hold this much (Linux's largest for anyone, by default), so that a child can run
    well ahead of this process's reading; where a pipe cannot grow it holds what the system gives."""

    def __init__(self, senders: int) -> None:
        if senders > MOST_CHILDREN:
            raise ValueError(f"{senders} senders: at most {MOST_CHILDREN}, as many children as run at once")
        self._creator = os.getpid()
        self._pipes = [os.pipe() for _ in range(senders)]
        # Not on every system (only Linux sizes a pipe); above the system's limit, the default size works too.
        with contextlib.suppress(ImportError, AttributeError, OSError):
            import fcntl

            for read, _ in self._pipes:
                fcntl.fcntl(read, fcntl.F_SETPIPE_SZ, self.PIPE_BYTES)
        self._arrived = {read: bytearray() for read, _ in self._pipes}
        self._listening = False

    @contextlib.contextmanager
    def sending(self, sender: int) -> Iterator[Callable[[T], None]]:
        """In the child numbered ``sender`` (0, 1, ...): a function that sends a value to the process that forked it.

        When the block ends, however it ends, that process is told this child is done.
        """
        if os.getpid() == self._creator:
            raise RuntimeError("only a child forked after the stream was made sends into it")
        write = self._pipes[sender][1]
        # The reading ends here are closed, so that a pipe closed by the reader fails a send instead of filling
        # up; so are the other children's writing ends, which are theirs.
        for number, (read, other) in enumerate(self._pipes):
            os.close(read)
            if number != sender:
                os.close(other)
        try:
            yield partial(self._send, write)
        finally:
            with contextlib.suppress(OSError):  # the reader gone: nobody to tell
                os.write(write, self._LENGTH.pack(self._DONE))

    def _send(self, write: int, value: T) -> None:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        for part in (self._LENGTH.pack(len(data)), data):
            with memoryview(part) as rest:
                while rest:  # a pipe takes what it has room for
                    rest = rest[os.write(write, rest) :]

    def received(self, *, wait: bool = False) -> Iterator[T]:
        """In this process, once every child is forked: the values that have arrived.

        With ``wait``, every value still to come, as it comes, until every child is done. A child that ended
        half way through a value (killed) is done too: what it did not finish sending is dropped, and the job
        that forked it says why it ended.
        """
        if not self._listening:  # this process sends nothing: its ends would keep the pipes open for ever
            self._listening = True
            for _, write in self._pipes:
                os.close(write)
        while self._arrived:
            poll = select.poll()
            for read in self._arrived:
                poll.register(read, select.POLLIN)
            ready = poll.poll(None if wait else 0)
            if not ready:
                return
            for read, _ in ready:
                data = os.read(read, self.PIPE_BYTES)
                finished = not data  # the pipe's end: the child has ended, whatever it was sending
                arrived = self._arrived[read]
                arrived += data
                while len(arrived) >= self._LENGTH.size:
                    (length,) = self._LENGTH.unpack_from(arrived)
                    if length == self._DONE:
                        finished = True
                        break
                    end = self._LENGTH.size + length
                    if len(arrived) < end:
                        break
                    value = pickle.loads(arrived[self._LENGTH.size : end])  # our own child's bytes
                    del arrived[:end]
                    yield value
                if finished:  # nothing more will come from this child
                    del self._arrived[read]
                    os.close(read)
            if not wait:
                return

    def close(self) -> None:
        """Stop listening (a child's next send fails); every pipe end this process still holds is closed."""
        for read, write in self._pipes:
            if read in self._arrived:
                os.close(read)
            if not self._listening:
                os.close(write)
        self._arrived.clear()
        self._listening = True


def run_jobs(
    jobs: Mapping[str, Callable[[], T]],
    *,
    parallel: bool,
    before: Mapping[str, Callable[[], object]] | None = None,
    done_here: Callable[[], object] | None = None,
    abandon: Callable[[], object] | None = None,
) -> dict[str, T]:
    """Each job's result by name, in the order given.

    With ``parallel``, every job but the last starts in a forked child (up to :data:`MOST_CHILDREN` at
    once, in the order given) while this process runs the last. ``before[name]`` runs here just before
    job ``name`` starts: what it prepares (a view several jobs read) is shared with the jobs started
    after it, and jobs started earlier are already under way meanwhile. ``done_here`` runs here once
    every job has started and this process's own is done, while the children may still be at work: what
    it frees (what the jobs were made from) is then freed while they finish. An exception raised in a
    child is raised here, as it would have been in one process. When anything fails here, ``abandon`` runs
    first, before the children are waited for: what would keep one waiting (a :class:`Stream` nobody
    reads any more) is closed.
    """
    hooks = before or {}

    def prepared(name: str) -> str:
        if name in hooks:
            hooks[name]()
        return name

    if not parallel or len(jobs) < 2 or not can_fork():
        results = {prepared(name): job() for name, job in jobs.items()}
        if done_here is not None:
            done_here()
        return results
    *forked, (last, last_job) = jobs.items()
    waiting = list(forked)
    running: list[tuple[str, _Forked[T]]] = []
    results = {}
    try:
        while waiting and len(running) < MOST_CHILDREN:
            name, job = waiting.pop(0)
            running.append((name, _Forked(prepared(name), job)))
        here = prepared(last)  # its hook first: an assignment evaluates its right side before its target
        results[here] = last_job()
        if done_here is not None and not waiting:
            done_here()
        while running:
            name, child = running.pop(0)
            results[name] = child.result()
            if waiting:
                next_name, job = waiting.pop(0)
                running.append((next_name, _Forked(prepared(next_name), job)))
                if done_here is not None and not waiting:  # the last job has just started
                    done_here()
    except BaseException:
        if abandon is not None:
            abandon()
        raise
    finally:
        for _, child in running:  # after a failure here, no child is left behind
            child.wait()
    return {name: results[name] for name in jobs}


class _Forked(Generic[T]):
    """A job started in a forked child; :meth:`result` waits for its result or raises what it raised."""

    def __init__(self, name: str, job: Callable[[], T]) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; coverage cannot follow it
            status = 1
            try:
                os.close(read)
                try:
                    payload = b"R" + pickle.dumps(job())
                except BaseException as exc:
                    payload = b"E" + _pickled(exc)
                with os.fdopen(write, "wb") as out:
                    out.write(payload)
                status = 0
            finally:
                # Whatever happens (the parent gone, the pipe broken), the child ends here: it never
                # runs on into the parent's code, clean-up (atexit, buffered files) or error handling.
                os._exit(status)
        os.close(write)
        self.name, self.pid, self.read = name, pid, read
        self.payload: bytes | None = None
        self.status = 0

    def result(self) -> T:
        payload = self.wait()
        if payload[:1] in (b"R", b"E"):
            value = pickle.loads(payload[1:])  # our own child's bytes, written a moment ago
            if payload[:1] == b"E":
                raise value
            return value  # type: ignore[no-any-return]
        raise RenderingStopped(f"{self.name}: the process rendering it {_ending(self.status)}: nothing was written")

    def wait(self) -> bytes:
        """What the child sent, once it has ended (read first: a child never blocks on a full pipe)."""
        if self.payload is None:
            with os.fdopen(self.read, "rb") as source:
                self.payload = source.read()
            _, self.status = os.waitpid(self.pid, 0)
        return self.payload


def _ending(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        hint = " (out of memory?)" if number == signal.SIGKILL else ""
        return f"was stopped by {name}{hint}"
    return f"ended with status {os.waitstatus_to_exitcode(status)}"


def _pickled(exc: BaseException) -> bytes:
    """The exception as bytes that unpickle into it again, or, if it cannot travel, its words."""
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)  # some exceptions pickle but cannot be rebuilt (required arguments kept apart)
        return data
    except Exception:
        return pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
