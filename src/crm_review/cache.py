"""Evidence files already checked, remembered between runs in the review's ``.crm-cache/`` folder.

An entry is found by a hash of the file's bytes and of crm's own code (its version, the source of the
package, and the versions of PyYAML, pydantic and Python), so an edited file or another crm never
meets a stale entry. Entries are plain JSON, never code: reading one cannot run anything. A damaged,
truncated or foreign entry is simply not found, and the file is read again and its entry rewritten.
Entries are written to a temporary file and renamed, so a reader sees a whole entry or none, however
many crm processes run at once. The cache can only make crm faster: whatever it holds, the report is
the one the files give.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CACHE_DIR = ".crm-cache"
_FORMAT = 1

ProblemRow = tuple[int | None, int | None, str, str]
"""A problem of one file without its path (line, column, message, severity): paths depend on the cwd."""


@dataclass(frozen=True)
class Entry:
    """What checking one evidence file found: its own problems, and for a valid file its outline and record."""

    problems: tuple[ProblemRow, ...]
    outline: Any
    """The outline as plain JSON data (load.py turns it back into its record), or None for an invalid file."""
    record_json: bytes | None


@cache
def fingerprint() -> str:
    """Everything besides a file's bytes that decides what checking it finds."""
    from pydantic import VERSION as pydantic_version

    from crm_review import __version__
    from crm_review.yamltext import YAML_VERSION as yaml_version

    digest = hashlib.blake2b(digest_size=16)
    for part in (__version__, pydantic_version, yaml_version, platform.python_version()):
        digest.update(part.encode() + b"\0")
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class EvidenceCache:
    """The cache of one review; does nothing when disabled or when its folder cannot be used."""

    def __init__(self, root: Path, *, enabled: bool = True) -> None:
        self.folder = root / CACHE_DIR
        self.enabled = enabled

    def key(self, raw: bytes) -> str:
        """The entry's name: SHA-256 (hardware-accelerated on most machines) of crm's fingerprint and the bytes."""
        digest = hashlib.sha256(fingerprint().encode() + b"\0")
        digest.update(raw)
        return digest.hexdigest()

    def get(self, key: str) -> Entry | None:
        if not self.enabled:
            return None
        try:
            with (self.folder / key[:2] / f"{key}.json").open("rb") as handle:
                header = json.loads(handle.readline())
                if not isinstance(header, dict) or header.get("format") != _FORMAT or header.get("key") != key:
                    return None
                record_json = handle.read().rstrip(b"\n") or None
            return _entry(header, record_json)
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def put(self, key: str, entry: Entry) -> None:
        if not self.enabled:
            return
        header = {"format": _FORMAT, "key": key, "problems": list(entry.problems), "outline": entry.outline}
        body = json.dumps(header, ensure_ascii=False).encode() + b"\n" + (entry.record_json or b"") + b"\n"
        try:
            folder = self.folder / key[:2]
            if not folder.is_dir():
                self._make(folder)
            fd, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(body)
                Path(temporary).replace(folder / f"{key}.json")
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only review or a full disk: crm works as well without the cache

    def _make(self, folder: Path) -> None:
        new = not self.folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        if new:  # git ignores the cache even in a review whose .gitignore does not name it
            (self.folder / ".gitignore").write_text("# written by crm: checked evidence, safe to delete\n*\n")


def _entry(header: dict[str, Any], record_json: bytes | None) -> Entry | None:
    rows = header["problems"]
    problems: list[ProblemRow] = []
    for row in rows:
        line, col, message, severity = row
        if not (
            (line is None or isinstance(line, int))
            and (col is None or isinstance(col, int))
            and isinstance(message, str)
            and severity in ("error", "warning")
        ):
            return None
        problems.append((line, col, message, severity))
    outline = header["outline"]
    if (outline is None) != (record_json is None):
        return None
    return Entry(tuple(problems), outline, record_json)
