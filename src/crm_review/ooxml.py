"""Office files (.docx, .xlsx) made reproducible: the same evidence gives the same bytes.

A .docx or .xlsx is a zip of XML parts. The libraries that write them stamp each zip entry with the
time of writing, and the document's properties (``docProps/core.xml``) with the time of creation;
both are set here to one fixed moment, and every entry is written again in the order the library
chose, with fixed permissions and compression, so that ``crm synthesize --check`` can compare bytes.

The zip is written here rather than by ``zipfile`` (which reads the library's package): its layout is
a few fixed records, and writing it here lets a large part be compressed while it is being made
(:class:`Deflating`), in a second thread, instead of after. zlib lets other threads run while it
compresses, so on a machine with a free core the Word document's body is compressed as it is built.
Its bytes are those one pass of zlib gives, however the part was cut into pieces. Standard library only.
"""

from __future__ import annotations

import io
import queue
import re
import struct
import sys
import threading
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import NamedTuple

FIXED_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
"""What every Office file says about when it was made: a fixed date, never the clock."""

_LEVEL = 1  # the fastest deflate: a review of 6,000 CMOCs compresses in a tenth of the time, 20% larger
_CORE_DATES = re.compile(
    rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)|(<cp:lastPrinted>)[^<]*(</cp:lastPrinted>)"
)


class Deflated(NamedTuple):
    """A part compressed: raw deflate data in pieces, with the part's CRC-32 and size before compression."""

    pieces: list[bytes]
    crc: int
    size: int


def reproducible(package: bytes, replace: Mapping[str, Deflated | Deflating] | None = None) -> bytes:
    """The same package with fixed timestamps, modes and compression, entries in their original order.

    ``replace`` gives named parts anew: XML a writer built as text, compressed already or still being
    compressed in a second thread (see :func:`zipped`).
    """
    replace = replace or {}
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        return zipped(
            [(entry.filename, replace.get(entry.filename) or source.read(entry)) for entry in source.infolist()]
        )


def zipped(parts: Iterable[tuple[str, bytes | Deflated | Deflating]]) -> bytes:
    """A package of the parts, in order, with fixed timestamps, modes and compression.

    A part is given as its content (compressed here; ``docProps/core.xml`` with its dates fixed), or
    compressed already, or still compressing in a second thread (:class:`Deflating`), which is waited
    for last, once every other part is compressed here.
    """
    ready: list[tuple[str, Deflated | Deflating]] = []
    for name, part in parts:
        if isinstance(part, bytes):
            part = deflated([_fixed_core_dates(part) if name == "docProps/core.xml" else part])
        ready.append((name, part))
    return _zip([(name, part.close() if isinstance(part, Deflating) else part) for name, part in ready])


def deflated(pieces: Iterable[bytes]) -> Deflated:
    """The pieces compressed as one part, as they come."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    out, crc, size = [], 0, 0
    for piece in pieces:
        crc = zlib.crc32(piece, crc)
        size += len(piece)
        out.append(compressor.compress(piece))
    out.append(compressor.flush())
    return Deflated(out, crc, size)


_BATCH = 1 << 22
"""Bytes handed to the compressing thread at a time: few hand-overs, and little held back."""
_SWITCH_INTERVAL = 0.0005
"""Seconds Python lets one thread run before another that waits gets its turn, while a part is compressed.

Between zlib's calls, which let other threads run, the compressing thread needs Python for a moment; with
Python's usual 5 ms it waited that long each time for the thread making the part, fell behind, and the
Word document's body (66 MB at 6,000 CMOCs) was still being compressed 0.25 s after it was made."""
_compressing = 0
"""How many parts are being compressed in threads now (the switch interval is lowered while any is)."""
_usual_interval = 0.0


class Deflating:
    """A part compressed in a second thread while this one makes it: :meth:`write` each piece, then
    :meth:`close` for the part compressed. Used as a context manager, the thread ends however the
    block does.

    The thread starts only once a batch (``_BATCH``, 4 MB) has come (a large review's part): a smaller part
    is compressed here at :meth:`close`, and no thread is left to be copied into the processes
    ``crm synthesize`` forks.
    """

    def __init__(self) -> None:
        self._batch: list[bytes] = []
        self._batched = 0
        self._queue: queue.SimpleQueue[list[bytes] | None] = queue.SimpleQueue()
        self._result: Deflated | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def write(self, piece: bytes) -> None:
        self._batch.append(piece)
        self._batched += len(piece)
        if self._batched >= _BATCH:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="crm-review-deflate", daemon=True)
                _quick_turns(True)
                self._thread.start()
            self._queue.put(self._batch)
            self._batch, self._batched = [], 0

    def close(self) -> Deflated:
        """The part compressed, once every piece is taken (again the same, if closed before)."""
        if self._result is not None:
            return self._result
        if self._thread is None:
            self._result = deflated(self._batch)
            self._batch = []
        self._stop()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def _stop(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            if self._batch:
                self._queue.put(self._batch)
                self._batch = []
            self._queue.put(None)
            self._thread.join()
            _quick_turns(False)

    def _run(self) -> None:
        batches = iter(self._queue.get, None)
        try:
            self._result = deflated(b"".join(batch) for batch in batches)
        except BaseException as exc:  # raised again by close(), in the thread that made the part
            self._error = exc
            # What is still sent is dropped, up to the end; once the end is taken (zlib failing at its last
            # flush) the iterator is spent and asks for nothing more, so nothing waits for ever.
            for _ in batches:
                pass

    def __enter__(self) -> Deflating:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop()


def _quick_turns(starting: bool) -> None:
    """Lower Python's switch interval while the first part is compressed; restore it after the last."""
    global _compressing, _usual_interval
    if starting:
        if _compressing == 0:
            _usual_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_usual_interval, _SWITCH_INTERVAL))
        _compressing += 1
    else:
        _compressing -= 1
        if _compressing == 0:
            sys.setswitchinterval(_usual_interval)


# --- the zip: the records zipfile writes, for parts compressed with deflate, no extra fields ---------

_ZIP_TIME, _ZIP_DATE = (
    0,
    1 << 5 | 1,
)  # 1980-01-01 00:00, the earliest a zip entry can hold; no tool reads meaning into it
_VERSION = 20  # 2.0: what a reader needs for deflate
_DEFLATE = 8
_UTF8_NAME = 0x800
_FILE_MODE = 0o644 << 16  # the same bytes whichever system writes the file (made on "MS-DOS", system 0)
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_LIMIT = 0xFFFFFFFF


def _zip(parts: list[tuple[str, Deflated]]) -> bytes:
    """A zip of the parts, in order, each with the fixed time and mode: a local header, then the data; then the
    central directory and its end record."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, (pieces, crc, size) in parts:
        try:
            filename, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            filename, flags = name.encode("utf-8"), _UTF8_NAME
        compressed = sum(map(len, pieces))
        if max(size, compressed, offset) > _LIMIT // 2:
            raise ValueError(f"{name}: too large for an Office file ({size} bytes)")
        fields = (flags, _DEFLATE, _ZIP_TIME, _ZIP_DATE, crc, compressed, size, len(filename))
        out += [_LOCAL.pack(b"PK\x03\x04", _VERSION, 0, *fields, 0), filename, *pieces]
        central += [_CENTRAL.pack(b"PK\x01\x02", _VERSION, 0, _VERSION, 0, *fields, 0, 0, 0, 0, _FILE_MODE, offset)]
        central.append(filename)
        offset += _LOCAL.size + len(filename) + compressed
    directory = sum(map(len, central))
    end = _END.pack(b"PK\x05\x06", 0, 0, len(parts), len(parts), directory, offset, 0)
    return b"".join([*out, *central, end])


def _fixed_core_dates(core: bytes) -> bytes:
    stamp = FIXED_MOMENT.strftime("%Y-%m-%dT%H:%M:%SZ").encode()

    def replace(match: re.Match[bytes]) -> bytes:
        if match.group(1):
            return match.group(1) + stamp + match.group(3)
        return match.group(4) + stamp + match.group(5)

    return _CORE_DATES.sub(replace, core)
