"""Progress on long work: library code says how far it got; the command decides whether anyone sees it.

Library functions call :func:`advance` as they go, which costs nothing when no one listens. At a
terminal, a command wraps its work in :func:`bar_on_terminal`, which draws a rich progress bar on
stderr once the work has taken more than about a second, and never in a pipe, in CI, or when the
command prints JSON. rich is imported only when a bar is really drawn.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

Listener = Callable[[str, int, int], None]
"""Called with what is being done, how many steps are done, and how many there are."""

_listener: ContextVar[Listener | None] = ContextVar("crm_progress_listener", default=None)

SHOW_AFTER_SECONDS = 1.0


def advance(task: str, done: int, total: int) -> None:
    """Say that ``done`` of ``total`` steps of ``task`` are done (nothing happens unless someone listens)."""
    listener = _listener.get()
    if listener is not None:
        listener(task, done, total)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send every :func:`advance` inside the block to ``listener``."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def wanted(stream_is_terminal: bool, *, machine_output: bool = False) -> bool:
    """Whether a person watches: a terminal, not CI, not a dumb terminal, not output meant for a program."""
    if machine_output or not stream_is_terminal:
        return False
    return not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


class _DelayedBar:
    """A rich progress bar that appears only once the work has run for :data:`SHOW_AFTER_SECONDS`."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.started = time.monotonic()
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}

    def __call__(self, task: str, done: int, total: int) -> None:
        if self.progress is None:
            if time.monotonic() - self.started < SHOW_AFTER_SECONDS:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.progress.start()
        if task not in self.tasks:
            self.tasks[task] = self.progress.add_task(task, total=total)
        self.progress.update(self.tasks[task], completed=done, total=total)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@contextmanager
def bar_on_terminal(console: Any, *, machine_output: bool = False) -> Iterator[None]:
    """Show the work inside the block as a progress bar on ``console`` (stderr), when a person watches."""
    if not wanted(console.is_terminal, machine_output=machine_output):
        yield
        return
    bar = _DelayedBar(console)
    try:
        with listening(bar):
            yield
    finally:
        bar.close()
