"""Writing files so that a reader never sees half of one: temporary files beside them, then renames."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_atomic(path: Path, text: str | bytes) -> None:
    """Replace ``path`` with ``text`` in one step; on any failure the old file stays as it was."""
    write_all_atomic({path: text})


def write_all_atomic(files: Mapping[Path, str | bytes]) -> None:
    """Write every file to a temporary beside it first, then rename them all.

    A failure while writing (a full disk, an interrupted run) leaves every old file as it was, so a set
    of documents is never half old and half new; only a failing rename, which is rare, can split it.
    """
    written: list[tuple[Path, Path]] = []
    try:
        for path, text in files.items():
            written.append((_temporary_with(path, text), path))
        for temporary, path in written:
            temporary.replace(path)
    finally:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)


def _temporary_with(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else _default_mode()
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        data = content.encode("utf-8") if isinstance(content, str) else content
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(mode)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _default_mode() -> int:
    """0o666 less the umask, as a plain ``open`` would create it (mkstemp makes files private)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
