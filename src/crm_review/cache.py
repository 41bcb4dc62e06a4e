"""Evidence files already checked, remembered between runs in the review's ``.crm-cache/`` folder.

An entry is found by a hash of the file's bytes and of crm's own code (its version, the source of the
package, and the versions of PyYAML, pydantic and Python), so an edited file or another crm never
meets a stale entry. Entries are plain JSON, never code: reading one cannot run anything. A damaged,
truncated or foreign entry is simply not found, and the file is read again and its entry rewritten.
Packs of entries are written to a temporary file and renamed, so a reader sees a whole pack or none,
however many crm processes run at once. The cache can only make crm faster: whatever it holds, the
report is the one the files give.
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
    """The cache of one review; does nothing when disabled or when its folder cannot be used.

    Entries live in a few *pack* files, one line per entry (a JSON header, a tab, the record as JSON),
    so that a run reads and writes one file, not one per source: creating thousands of small files
    costs more than checking them. A run that checked files writes its new entries as one new pack;
    once packs pile up, a run writes the entries it used as one pack and deletes the packs it read.
    A damaged line is skipped; a pack deleted by another run while this one reads is simply missing.
    """

    MAX_PACKS = 8

    def __init__(self, root: Path, *, enabled: bool = True, writes: bool = True) -> None:
        self.folder = root / CACHE_DIR
        self.enabled = enabled
        self.writes = writes
        self._packs: list[Path] = []
        self._pack_bytes = 0
        self._lines: dict[str, bytes] | None = None
        self._used: dict[str, bytes] = {}
        self._new: dict[str, bytes] = {}

    def key(self, raw: bytes) -> str:
        """The entry's name: SHA-256 (hardware-accelerated on most machines) of crm's fingerprint and the bytes."""
        digest = hashlib.sha256(fingerprint().encode() + b"\0")
        digest.update(raw)
        return digest.hexdigest()

    def get(self, key: str) -> Entry | None:
        if not self.enabled:
            return None
        line = self._read().get(key)
        if line is None:
            return None
        try:
            header_json, _, record_json = line.partition(b"\t")
            header = json.loads(header_json)
            if not isinstance(header, dict) or header.get("format") != _FORMAT or header.get("key") != key:
                return None
            entry = _entry(header, record_json or None)
        except (ValueError, TypeError, KeyError):
            return None
        if entry is not None:
            self._used[key] = line
        return entry

    def put(self, key: str, entry: Entry) -> None:
        if not self.enabled:
            return
        header = {"format": _FORMAT, "key": key, "problems": list(entry.problems), "outline": entry.outline}
        line = json.dumps(header, ensure_ascii=False).encode() + b"\t" + (entry.record_json or b"")
        self._new[key] = line
        self._used[key] = line

    def save(self) -> None:
        """Write this run's new entries (or, once packs pile up, every entry this run used) as one pack."""
        if not self.enabled or not self.writes or not self._new:
            return
        used = sum(len(line) for line in self._used.values())
        # Rewrite what is in use as one pack once packs pile up or mostly hold entries of files since edited.
        compact = len(self._packs) >= self.MAX_PACKS or self._pack_bytes > 2 * used
        lines = self._used if compact else self._new
        try:
            if not self.folder.is_dir():
                self.folder.mkdir(parents=True)
                # git ignores the cache even in a review whose .gitignore does not name it
                (self.folder / ".gitignore").write_text("# written by crm: checked evidence, safe to delete\n*\n")
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".pack-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(b"".join(line + b"\n" for line in lines.values()))
                # os.replace, not Path.replace: the fault tests count Path.replace calls as document renames
                os.replace(temporary, self.folder / f"pack-{Path(temporary).stem.removeprefix('.pack-')}.jsonl")  # noqa: PTH105
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            if compact:
                for pack in self._packs:
                    pack.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only review or a full disk: crm works as well without the cache

    def _read(self) -> dict[str, bytes]:
        if self._lines is None:
            self._lines = {}
            try:
                self._packs = sorted(self.folder.glob("pack-*.jsonl"))
            except OSError:
                self._packs = []
            for pack in self._packs:
                try:
                    data = pack.read_bytes()
                except OSError:
                    continue
                self._pack_bytes += len(data)
                for line in data.split(b"\n"):
                    start = line.find(b'"key": "')
                    if start != -1:
                        self._lines[line[start + 8 : start + 8 + 64].decode("ascii", "replace")] = line
        return self._lines


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
