"""Every failure a user can meet, under one root the CLI catches.

Anything that is not a ``CrmError`` is a bug in crm-review and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the review, located as precisely as the input allows."""

    path: Path
    line: int | None = None
    col: int | None = None
    message: str = ""
    severity: Severity = "error"

    def location(self) -> str:
        """``path:line:col`` (or as much of it as is known)."""
        parts = [str(self.path)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (str(self.path), self.line or 0, self.col or 0, self.message)


class HasProblems:
    """What a check found, for a result that carries ``problems``: its errors, its warnings, and whether it failed."""

    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    def failed(self, *, strict: bool = False) -> bool:
        """Errors fail; with ``strict``, warnings too."""
        return bool(self.errors) or (strict and bool(self.warnings))


class CrmError(Exception):
    """Root of every error crm-review reports to a user as one clean message."""


class InvalidEvidence(CrmError):
    """Raised when the review's files have errors; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__(f"{len(self.problems)} problem(s) in the review")


class ReviewNotFound(CrmError):
    """Raised when the folder given as the review has no ``configs/review.yaml``."""


class MissingFields(CrmError):
    """Raised when ``crm add`` lacks required fields and cannot ask for them."""

    def __init__(self, fields: list[str]) -> None:
        self.fields = fields
        super().__init__("missing required field(s): " + ", ".join(f"--{name}" for name in fields))


class UnknownId(CrmError):
    """Raised when a command names a source, CMOC or principle that the review does not have."""


class Ambiguous(CrmError):
    """Raised when what was typed is the start of several names (principles, sources, choices)."""


class AmbiguousPrinciple(Ambiguous):
    """Raised when a principle prefix matches more than one principle id."""


class RefusedOverwrite(CrmError):
    """Raised when a command would overwrite a file that already exists."""


class ImportFailed(CrmError):
    """Raised when a reference-manager export cannot be read."""


class StaleOutput(CrmError):
    """Raised by ``synthesize --check`` when files on disk differ from a fresh render."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        super().__init__("out of date: " + ", ".join(str(p) for p in paths))


class TemplateFailed(CrmError):
    """Raised when a review's own template cannot be rendered."""


class RenderingStopped(CrmError):
    """Raised when a process rendering a document ended without finishing it (killed, out of memory)."""


class ReviewBusy(CrmError):
    """Raised when another crm command holds the review's lock for longer than we wait."""


class NothingToAssess(CrmError):
    """Raised by ``crm assess`` for a principle no CMOC links to: there is no finding to judge yet."""


class UnsupportedLayout(CrmError):
    """Raised when ``crm add`` cannot place a CMOC in a file written in an unusual YAML layout."""


class ChangedMeanwhile(CrmError):
    """Raised when an entry changed on disk between being shown to a person and being written."""


class NotConfirmed(CrmError):
    """Raised when a command that needs a yes (``crm remove``) runs in a script without ``--yes``."""


class WrongFlags(CrmError):
    """Raised when ``crm edit`` is given flags for a source on a CMOC, or the other way round."""


class FulltextUnreadable(CrmError):
    """Raised when a source's full text exists but cannot be read (a damaged or protected PDF, bad encoding)."""


class GitFailed(CrmError):
    """Raised when a git command fails or git is missing; says what was asked and what git answered."""


class MergeFailed(CrmError):
    """Raised when two versions of an evidence file cannot be merged without a person deciding."""


class InstallUnknown(CrmError):
    """Raised when ``crm init`` cannot tell what CI should install; ``reason`` says why, ``example`` what to give."""

    def __init__(self, reason: str, example: str = "") -> None:
        self.reason = reason
        self.example = example
        super().__init__(f"{reason}; say what CI should install: --install {example}" if example else reason)


class CommentFailed(CrmError):
    """Raised when ``crm pr-comment`` cannot comment on the pull request; says what GitHub answered."""
