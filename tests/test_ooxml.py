"""The zip packages of review.docx and evidence.xlsx: read back by any zip reader, the same bytes however made."""

from __future__ import annotations

import io
import random
import sys
import threading
import zipfile
from collections.abc import Iterable

import pytest

from crm_review import ooxml
from crm_review.ooxml import Deflated, Deflating, deflated, reproducible, zipped

PARTS = {
    "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
    "word/document.xml": b"<w:document>" + b"<w:p><w:r><w:t>Context, mechanism, outcome.</w:t></w:r></w:p>" * 5000,
    "docProps/core.xml": b"<cp:coreProperties><dcterms:created>2026-11-23T10:00:00Z</dcterms:created>"
    b"</cp:coreProperties>",
    "word/m\u00e9dia/caf\u00e9.png": bytes(range(256)) * 40,
}


def package(parts: dict[str, bytes]) -> bytes:
    """A package as a library writes one: today's timestamps, its own modes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return buffer.getvalue()


def as_zipfile_writes_it(parts: dict[str, bytes]) -> bytes:
    """The package as Python's zipfile writes it with the fixed time, mode and compression."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 0
            info.external_attr = 0o644 << 16
            out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    return buffer.getvalue()


def test_every_part_reads_back_in_order_with_fixed_dates() -> None:
    """A zip reader finds every part, in the library's order, with its content, a good CRC and the fixed date."""
    made = reproducible(package(PARTS))
    with zipfile.ZipFile(io.BytesIO(made)) as read:
        assert read.testzip() is None
        assert read.namelist() == list(PARTS)
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in read.infolist())
        assert read.read("word/document.xml") == PARTS["word/document.xml"]
        assert read.read("word/m\u00e9dia/caf\u00e9.png") == PARTS["word/m\u00e9dia/caf\u00e9.png"]
        assert b"2000-01-01T00:00:00Z" in read.read("docProps/core.xml")


def test_the_zip_is_byte_for_byte_what_zipfile_writes() -> None:
    """The package is the one zipfile wrote before ooxml wrote its own zip: committed files keep their bytes.
    So are the parts the Word writer hands over directly, without a package of them."""
    fixed = PARTS | {"docProps/core.xml": PARTS["docProps/core.xml"].replace(b"2026-11-23T10", b"2000-01-01T00")}
    assert reproducible(package(PARTS)) == as_zipfile_writes_it(fixed)
    assert zipped(list(PARTS.items())) == as_zipfile_writes_it(fixed)


@pytest.mark.parametrize("seed", range(5))
def test_a_part_compressed_as_it_is_made_is_the_same_bytes_however_it_is_cut(seed: int) -> None:
    """The part compressed in a second thread, in pieces cut anywhere, is the part compressed in one go."""
    data = PARTS["word/document.xml"] + bytes(random.Random(seed).randbytes(3 * ooxml._BATCH))  # a thread starts
    cuts = sorted(random.Random(seed).sample(range(1, len(data)), 200))
    with Deflating() as part:
        for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
            part.write(data[start:end])
        made = part.close()
    assert b"".join(made.pieces) == b"".join(deflated([data]).pieces)
    assert (made.crc, made.size) == (deflated([data]).crc, len(data))
    replaced = reproducible(package(PARTS), {"word/document.xml": made})
    assert zipfile.ZipFile(io.BytesIO(replaced)).read("word/document.xml") == data


def test_a_part_still_being_compressed_is_packed_as_the_same_bytes_and_waited_for_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A part handed over while its thread still compresses it gives the package it gives once compressed; it is
    closed only after every other part is compressed, so that its last pieces are compressed meanwhile."""
    data = PARTS["word/document.xml"] + bytes(random.Random(7).randbytes(2 * ooxml._BATCH))  # a thread starts
    order: list[str] = []
    real_deflated, real_close = ooxml.deflated, Deflating.close

    def noting_deflated(pieces: Iterable[bytes]) -> Deflated:
        if threading.current_thread() is threading.main_thread():
            order.append("another part")
        return real_deflated(pieces)

    def noting_close(self: Deflating) -> Deflated:
        order.append("closed")
        return real_close(self)

    monkeypatch.setattr(ooxml, "deflated", noting_deflated)
    monkeypatch.setattr(Deflating, "close", noting_close)
    with Deflating() as part:
        part.write(data)
        made = reproducible(package(PARTS), {"word/document.xml": part})
    assert order == ["another part"] * (len(PARTS) - 1) + ["closed"]
    assert made == reproducible(package(PARTS), {"word/document.xml": real_deflated([data])})


def test_threads_take_quick_turns_while_parts_are_compressed_and_python_is_as_before_after() -> None:
    """While a part is compressed in a thread, the thread making it lets it run often (else the compression
    lags behind); once the last part is done, or its making failed, Python switches as it did before."""
    before = sys.getswitchinterval()
    with Deflating() as first, Deflating() as second:
        first.write(b"<w:body>" * ooxml._BATCH)
        second.write(b"<si>" * ooxml._BATCH)
        assert sys.getswitchinterval() == ooxml._SWITCH_INTERVAL < before
        first.close()
        assert sys.getswitchinterval() == ooxml._SWITCH_INTERVAL  # the second is still being compressed
        second.close()
    assert sys.getswitchinterval() == before
    with pytest.raises(RuntimeError, match="stopped"), Deflating() as part:
        part.write(b"<w:body>" * ooxml._BATCH)
        raise RuntimeError("stopped")
    assert sys.getswitchinterval() == before


def test_the_compressing_thread_ends_when_making_the_part_fails() -> None:
    """An error while the part is made leaves no thread behind (crm forks its renderers after)."""
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="stopped"), Deflating() as part:
        part.write(b"<w:body>" * 1_000_000)
        raise RuntimeError("stopped")
    assert threading.active_count() == before


def test_compression_failing_at_its_very_end_is_raised_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """zlib failing once every piece is taken (out of memory at the final flush) fails the part; nothing waits
    for pieces that will never come."""

    def failing_at_the_end(chunks: Iterable[bytes]) -> Deflated:
        for _ in chunks:
            pass
        raise MemoryError("the final flush")

    monkeypatch.setattr("crm_review.ooxml.deflated", failing_at_the_end)
    outcome: list[BaseException] = []

    def make_the_part() -> None:
        try:
            with Deflating() as part:
                part.write(b"<w:body>" * 1_000_000)
                part.close()
        except BaseException as exc:
            outcome.append(exc)

    maker = threading.Thread(target=make_the_part, daemon=True)
    maker.start()
    maker.join(timeout=30)
    assert not maker.is_alive(), "closing the part waited for ever"
    assert isinstance(outcome[0], MemoryError)


def test_a_small_part_is_compressed_without_a_thread() -> None:
    """The bundled review's parts are compressed in the thread that makes them: no thread to fork with."""
    before = threading.active_count()
    with Deflating() as part:
        for _ in range(100):
            part.write(b"<w:p><w:r><w:t>A short review.</w:t></w:r></w:p>")
        assert threading.active_count() == before
        made = part.close()
    assert zipfile.ZipFile(io.BytesIO(reproducible(package(PARTS), {"word/document.xml": made}))).testzip() is None
