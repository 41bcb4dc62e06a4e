"""Progress bars: drawn at a terminal for work over a second, never in pipes, CI or JSON output."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from conftest import source_yaml, write_review
from crm_review import progress
from crm_review.pipeline import validate


def terminal(buffer: io.StringIO, *, is_terminal: bool = True) -> Console:
    return Console(file=buffer, force_terminal=is_terminal, width=80)


@pytest.fixture
def slow_to_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(progress, "SHOW_AFTER_SECONDS", 0.0)


def test_reading_a_review_reports_each_file(tmp_path: Path) -> None:
    """validate says how many evidence files it has read, one step per file."""
    root = write_review(tmp_path, {f"s{i}.yaml": source_yaml(f"s{i}", f"s{i}-1") for i in range(3)})
    steps: list[tuple[str, int, int]] = []
    with progress.listening(lambda task, done, total: steps.append((task, done, total))):
        validate(root)
    assert [s for s in steps if s[0] == "Reading evidence"] == [("Reading evidence", i, 3) for i in (1, 2, 3)]


def test_bar_is_drawn_at_a_terminal(slow_to_show: None) -> None:
    """At a terminal, long work shows a bar with its count."""
    buffer = io.StringIO()
    with progress.bar_on_terminal(terminal(buffer)):
        for done in range(1, 4):
            progress.advance("Reading evidence", done, 3)
    assert "Reading evidence" in buffer.getvalue()
    assert "3/3" in buffer.getvalue()


@pytest.mark.parametrize("where", ["pipe", "ci", "json"])
def test_no_bar_in_pipes_ci_or_json(slow_to_show: None, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """Nothing of the bar reaches a pipe, a CI log or output meant for programs."""
    buffer = io.StringIO()
    if where == "ci":
        monkeypatch.setenv("CI", "true")
    console = terminal(buffer, is_terminal=where != "pipe")
    with progress.bar_on_terminal(console, machine_output=where == "json"):
        progress.advance("Reading evidence", 1, 1)
    assert buffer.getvalue() == ""


def test_quick_work_shows_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work done within the first second never draws a bar."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    buffer = io.StringIO()
    with progress.bar_on_terminal(terminal(buffer)):
        progress.advance("Reading evidence", 1, 1)
    assert buffer.getvalue() == ""
