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
import json
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

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


def write_all_atomic(files: Mapping[Path, str | bytes]) -> None:
    """Write every file to a temporary beside it first, then rename them all, journalled (see above).

    Every target is checked before anything is written, so a folder standing where a document goes fails
    the run with every old document untouched.
    """
    targets = {_through_links(path): (path, text) for path, text in files.items()}
    for target, (shown, _) in targets.items():
        _check_target(target, shown)
    by_folder: dict[Path, list[tuple[Path, str | bytes]]] = {}
    for target, (_, text) in targets.items():
        by_folder.setdefault(target.parent, []).append((target, text))
    for folder in by_folder:
        folder.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as locks:
        for folder in sorted(by_folder):
            if locks.enter_context(_folder_lock(folder)):  # unlocked, another run's files may be in flight
                recover(folder)
        written: list[tuple[Path, Path]] = []
        renamed = 0
        try:
            for entries in by_folder.values():
                for target, text in entries:
                    written.append((_temporary_with(target, text), target))
            journalled = len(written) > 1  # one rename is atomic by itself: nothing to finish later
            if journalled:
                for folder in by_folder:
                    _write_journal(folder, [(t, p) for t, p in written if p.parent == folder])
            for temporary, target in written:
                temporary.replace(target)
                renamed += 1  # from the first rename on, an interruption is finished by the next run
            for folder in by_folder:
                _sync_folder(folder)  # the renames are durable before the journal goes
                if journalled:
                    (folder / JOURNAL).unlink()
        except BaseException:
            if not renamed:  # nothing renamed yet: the old set stands, whole; leave nothing behind
                for temporary, _ in written:
                    temporary.unlink(missing_ok=True)
                for folder in by_folder:
                    (folder / JOURNAL).unlink(missing_ok=True)
            raise


def recover(folder: Path) -> list[Path]:
    """Finish the renames an interrupted write left in ``folder``; remove its leftover temporaries.

    Returns the documents the journal completed. Called under the folder's lock by every write (only
    under it is a temporary known to belong to no running write), and on its own by tests.
    """
    journal = folder / JOURNAL
    finished: list[Path] = []
    if journal.is_file():
        for temporary_name, target_name in _journal_entries(journal):
            temporary, target = folder / temporary_name, folder / target_name
            if temporary.exists():
                temporary.replace(target)
                finished.append(target)
        _sync_folder(folder)
        journal.unlink()
    for leftover in folder.glob(f".*{TEMPORARY_SUFFIX}"):
        leftover.unlink(missing_ok=True)
    return finished


def _journal_entries(journal: Path) -> list[tuple[str, str]]:
    """The renames a journal lists; only plain names of our own temporaries, never a path elsewhere."""
    try:
        entries = json.loads(journal.read_text(encoding="utf-8"))
        pairs = [(str(temporary), str(target)) for temporary, target in entries]
    except (ValueError, TypeError) as exc:
        raise OSError(
            errno.EIO, "an interrupted write left a journal crm cannot read: delete it", str(journal)
        ) from exc
    for temporary, target in pairs:
        plain = all(Path(name).name == name and name not in {".", ".."} for name in (temporary, target))
        if not plain or not (temporary.startswith(f".{target}.") and temporary.endswith(TEMPORARY_SUFFIX)):
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


def _temporary_with(path: Path, content: str | bytes) -> Path:
    mode = path.stat().st_mode & 0o777 if path.exists() else _default_mode()
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    except OSError as exc:  # name the file the user asked for, not a temporary that never existed
        raise OSError(exc.errno, f"cannot write a file beside it ({exc.strerror})", str(path)) from exc
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
