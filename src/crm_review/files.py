"""Writing files so that a reader never sees half of one, and a set of documents is never left half replaced.

A set (REVIEW.md, review.html, review.json) is written in four steps:

1. every target is checked (a folder or a device where a document should be stops the run, before anything);
2. every new document is written in full to a temporary file beside its target (``.REVIEW.md.x1y2.crm.tmp``);
3. a journal (``.replacing.crm.tmp``) listing the renames is put in the folder, then each temporary is renamed
   over its target, then the journal is removed;
4. a run killed during step 3 leaves the journal behind: the next write into that folder finishes the
   renames it lists (every new document was complete before the first rename), so the set becomes the one
   the interrupted run meant to write. Temporaries of a run killed during step 2 are removed then too.

Rolling forward rather than swapping folders keeps ``review/`` an ordinary folder that git and users see as
it is. Until the next run, ``crm synthesize --check`` sees the mixed set as out of date. Both temporary
names end in ``.crm.tmp``, which the ``.gitignore`` of ``crm init`` ignores.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, Protocol

TEMPORARY_SUFFIX = ".crm.tmp"
JOURNAL = ".replacing" + TEMPORARY_SUFFIX


def write_atomic(path: Path, text: str | bytes) -> None:
    """Replace ``path`` with ``text`` in one step; on any failure the old file stays as it was.

    A symbolic link is written through (the file it points to is replaced, the link stays), and a special
    file such as a pipe or ``/dev/full`` is written to directly, never replaced by a regular file.
    """
    target = _through_links(path)
    if _is_special(target):
        try:
            with target.open("wb") as handle:
                handle.write(text.encode("utf-8") if isinstance(text, str) else text)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        return
    write_all_atomic({path: text})


class ByteSink(Protocol):
    """Where a document's bytes go as they are rendered: an open binary file, or a comparison with one."""

    def write(self, data: bytes, /) -> int: ...


Writer = Callable[[ByteSink], None]
"""Writes a file's bytes into a sink, piece by piece: a document streamed as it is rendered."""
Content = str | bytes | Writer


def write_all_atomic(files: Mapping[Path, Content], *, retiring: Iterable[Path] = ()) -> None:
    """Write every file to a temporary beside it first, then rename them all, journalled (see above).

    Every target is checked before anything is written, so a folder standing where a document goes fails
    the run with every old document untouched. ``retiring`` names files the same set removes (a source
    file renamed: the new file is written, the old one goes, both or neither).
    """
    with replacing(files, retiring=retiring) as temporaries:
        for path, content in files.items():
            write_file(temporaries[path], content)


@contextlib.contextmanager
def replacing(paths: Iterable[Path], *, retiring: Iterable[Path] = ()) -> Iterator[dict[Path, Path]]:
    """A temporary beside each path to fill (:func:`write_file`); when the block ends, they replace the paths.

    Steps 1 to 4 above: the targets are checked first; the temporaries are created empty; once the block
    ends without an exception every temporary is renamed over its target as one journalled set. If the
    block raises, the temporaries are removed and every old file stands. The temporaries may be filled
    by other processes (``workers.run_jobs``), each writing its own. Each file in ``retiring`` is moved
    aside (to a temporary name, removed at the end) in the same journalled set.
    """
    targets = {path: _through_links(path) for path in paths}
    for path, target in targets.items():
        _check_target(target, path)
    retired = [_through_links(path) for path in retiring]
    folders = sorted({target.parent for target in (*targets.values(), *retired)})
    made = sorted({f for folder in folders for f in (folder, *folder.parents) if not f.exists()}, reverse=True)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as locks:
        for folder in folders:
            if locks.enter_context(_folder_lock(folder)):  # unlocked, another run's files may be in flight
                recover(folder)
        temporaries: dict[Path, Path] = {}
        aside: list[Path] = []
        renamed = 0
        try:
            for path, target in targets.items():
                temporaries[path] = _new_temporary(target)
            yield temporaries
            aside = [_new_temporary(path) for path in retired]  # names reserved for the retired files
            moves = [(temporaries[path], target) for path, target in targets.items()]
            moves += [(path, name) for path, name in zip(retired, aside, strict=True) if path.exists()]
            journalled = len(moves) > 1  # one rename is atomic by itself: nothing to finish later
            if journalled:
                for folder in folders:
                    _write_journal(folder, [(a, b) for a, b in moves if b.parent == folder])
            for source, destination in moves:
                source.replace(destination)
                renamed += 1  # from the first rename on, an interruption is finished by the next run
            for folder in folders:
                _sync_folder(folder)  # the renames are durable before the journal goes
                if journalled:
                    (folder / JOURNAL).unlink()
            for name in aside:
                name.unlink(missing_ok=True)
        except BaseException:
            if not renamed:  # nothing renamed yet: the old set stands, whole; leave nothing behind
                for temporary in (*temporaries.values(), *aside):
                    temporary.unlink(missing_ok=True)
                for folder in folders:
                    (folder / JOURNAL).unlink(missing_ok=True)
                for folder in made:  # folders made for files never written go too, the deepest first
                    with contextlib.suppress(OSError):
                        folder.rmdir()
            raise


def write_file(path: Path, content: Content) -> None:
    """Fill ``path`` (a temporary from :func:`replacing`) with ``content`` and make it durable."""
    with path.open("wb") as handle:
        if callable(content):
            content(handle)
        else:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        handle.flush()
        os.fsync(handle.fileno())


def in_memory(content: Writer) -> bytes:
    """What a writer writes, as bytes (for a program that wants a document rather than a file)."""
    buffer = io.BytesIO()
    content(buffer)
    return buffer.getvalue()


def same_content(path: Path, content: Content) -> bool:
    """Whether the file at ``path`` holds exactly ``content``, compared as it is written, never all in memory.

    Only a regular file can hold it: a pipe or a device where a document should be is never opened
    (opening a pipe would wait for a writer).
    """
    if _is_special(path):
        return False
    try:
        existing = path.open("rb")
    except OSError:  # missing, or a folder
        return False
    with existing:
        comparison = _Comparison(existing)
        if callable(content):
            content(comparison)
        else:
            comparison.write(content.encode("utf-8") if isinstance(content, str) else content)
        return comparison.same and existing.read(1) == b""


class _Comparison:
    """A write-only stream that compares what is written with a file, as far as they agree."""

    def __init__(self, existing: BinaryIO) -> None:
        self.existing = existing
        self.same = True

    def write(self, data: bytes) -> int:
        if self.same and self.existing.read(len(data)) != data:
            self.same = False
        return len(data)


def recover(folder: Path) -> list[Path]:
    """Finish the renames an interrupted write left in ``folder``; remove its leftover temporaries.

    Returns the documents the journal completed. Called under the folder's lock by every write (only
    under it is a temporary known to belong to no running write), and on its own by tests.
    """
    journal = folder / JOURNAL
    finished: list[Path] = []
    if journal.is_file():
        for source_name, destination_name in _journal_entries(journal):
            source, destination = folder / source_name, folder / destination_name
            if source.exists():
                source.replace(destination)  # a retired file goes to a temporary, removed below
                if not _is_temporary_of(destination_name, source_name):
                    finished.append(destination)
        _sync_folder(folder)
        journal.unlink()
    for leftover in folder.glob(f".*{TEMPORARY_SUFFIX}"):
        leftover.unlink(missing_ok=True)
    return finished


def interrupted(folder: Path) -> bool:
    """Whether a set of changes was interrupted in ``folder`` (its journal is there, unfinished)."""
    return (folder / JOURNAL).is_file()


def finish_interrupted(folder: Path) -> list[Path]:
    """Finish, under the folder's lock, the set of changes an interrupted run left in ``folder``."""
    with _folder_lock(folder) as locked:
        return recover(folder) if locked else []


def _is_temporary_of(name: str, target: str) -> bool:
    return name.startswith(f".{target}.") and name.endswith(TEMPORARY_SUFFIX)


def _journal_entries(journal: Path) -> list[tuple[str, str]]:
    """The renames a journal lists: a temporary over its target, or a retired file to its own temporary.

    Only plain names, each pair one of those two: never a path elsewhere, never one file over another.
    """
    try:
        entries = json.loads(journal.read_text(encoding="utf-8"))
        pairs = [(str(temporary), str(target)) for temporary, target in entries]
    except (ValueError, TypeError) as exc:
        raise OSError(
            errno.EIO, "an interrupted write left a journal crm cannot read: delete it", str(journal)
        ) from exc
    for source, destination in pairs:
        plain = all(Path(name).name == name and name not in {".", ".."} for name in (source, destination))
        ours = _is_temporary_of(source, destination) or _is_temporary_of(destination, source)
        if not plain or not ours:
            raise OSError(errno.EIO, "a journal naming files it did not write: delete it", str(journal))
    return pairs


def _through_links(path: Path) -> Path:
    """The file a path names once symbolic links are followed (a dangling link: where it points)."""
    return path.resolve() if path.is_symlink() else path


def _is_special(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _check_target(target: Path, shown: Path) -> None:
    if target.is_dir():
        raise IsADirectoryError(
            errno.EISDIR, "a folder stands where this file is written: move or rename the folder", str(shown)
        )
    if _is_special(target):
        raise OSError(errno.EINVAL, "not a regular file (a device, pipe or socket): choose another place", str(shown))
    if target.parent.exists() and not target.parent.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "its folder is a file: move or rename that file", str(shown))


def _write_journal(folder: Path, renames: list[tuple[Path, Path]]) -> None:
    entries = [[temporary.name, target.name] for temporary, target in renames]
    fd, name = tempfile.mkstemp(dir=folder, prefix=".journal.", suffix=TEMPORARY_SUFFIX)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(entries, handle)
            handle.flush()
            os.fsync(handle.fileno())
        Path(name).replace(folder / JOURNAL)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    _sync_folder(folder)


def _new_temporary(path: Path) -> Path:
    """An empty temporary beside ``path``, with the permissions the finished file should have."""
    mode = path.stat().st_mode & 0o777 if path.exists() else _default_mode()
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    except OSError as exc:  # name the file the user asked for, not a temporary that never existed
        raise OSError(exc.errno, f"cannot write a file beside it ({exc.strerror})", str(path)) from exc
    os.close(fd)
    temporary = Path(name)
    try:
        temporary.chmod(mode)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _sync_folder(folder: Path) -> None:
    """Make the folder's renames durable (POSIX); where a folder cannot be opened, the renames still stand."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


try:
    import fcntl

    _can_lock = True
except ImportError:  # pragma: no cover - Windows: no advisory locks on folders
    _can_lock = False


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[bool]:
    """An advisory lock on the folder itself, so no file is left behind in it to hold the lock.

    Yields whether the lock is held: where folders cannot be locked (Windows, some network file
    systems) the write goes ahead unlocked and leaves other runs' files alone: nothing is recovered.
    """
    if not _can_lock:  # pragma: no cover
        yield False
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _default_mode() -> int:
    """0o666 less the umask, as a plain ``open`` would create it (mkstemp makes files private)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
