"""Problems as text a person, a script or GitHub reads: one line each."""

from __future__ import annotations

from collections.abc import Sequence

from crm_review.errors import Problem
from crm_review.escape import visible


def as_text(problems: Sequence[Problem]) -> list[str]:
    """``path:line:col: severity: message``, each on one line: newlines and control characters the
    message quotes from a file are shown as escapes (``\\n``, ``\\x1b``), never obeyed by a terminal."""
    return [visible(f"{p.location()}: {p.severity}: {p.message}", keep="") for p in problems]


def as_github(problems: Sequence[Problem]) -> list[str]:
    """GitHub workflow commands, which GitHub shows as annotations on the pull request's files."""
    lines = []
    for p in problems:
        props = [f"file={_escape_property(str(p.path))}"]
        if p.line is not None:
            props.append(f"line={p.line}")
        if p.col is not None:
            props.append(f"col={p.col}")
        lines.append(f"::{p.severity} {','.join(props)}::{_escape_data(p.message)}")
    return lines


def as_records(problems: Sequence[Problem]) -> list[dict[str, object]]:
    """Problems as the JSON records every ``--format json`` prints."""
    return [
        {"path": str(p.path), "line": p.line, "column": p.col, "severity": p.severity, "message": p.message}
        for p in problems
    ]


def _escape_data(text: str) -> str:
    return visible(text, keep="\r\n").replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
