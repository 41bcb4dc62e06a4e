"""A large review's evidence is read by several processes at once; what they find is what one reader finds."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import generated_review, source_yaml, write_review
from crm_review import load, workers
from crm_review.cache import CACHE_DIR
from crm_review.errors import RenderingStopped
from crm_review.pipeline import validate


@pytest.fixture
def mixed_review(tmp_path: Path) -> Path:
    """Valid files, and files with errors of every kind of reading, spread so that each reader gets some."""
    files = {f"s{n:02d}.yaml": source_yaml(f"s{n:02d}", f"s{n:02d}-1", f"s{n:02d}-2") for n in range(12)}
    files["s01.yaml"] = files["s01.yaml"].replace("direction: positive", "direction: positve", 1)  # a model error
    files["s05.yaml"] = files["s05.yaml"].replace("context:", "contxt:", 1)  # an unknown key, by the located reader
    files["s08.yaml"] = "id: s08\ntitle: [unclosed\n"  # YAML's own syntax error
    files["s11.yaml"] = files["s11.yaml"].replace("s11-2", "s00-1")  # a clash across files
    root = write_review(tmp_path / "review", files)
    (root / "evidence" / "s10.yaml").write_bytes(b"id: s10\ntitle: \xff\xfe\n")  # not UTF-8
    return root


def report(root: Path, **options: object) -> list[str]:
    return [f"{p.location()}: {p.severity}: {p.message}" for p in validate(root, **options).problems]  # type: ignore[arg-type]


@pytest.fixture
def read_apart_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Share the reading whatever the review's size (real reviews share it from a few megabytes)."""
    monkeypatch.setattr(load, "READ_APART_FROM_BYTES", 0)


@pytest.mark.usefixtures("read_apart_always")
@pytest.mark.parametrize("readers", [2, 3, 5, workers.MOST_CHILDREN + 3])
def test_several_readers_report_what_one_reader_reports(mixed_review: Path, readers: int) -> None:
    """Every problem, with its file, line and words, in the same order, however many processes read."""
    one = report(mixed_review, use_cache=False, readers=1)
    assert len(one) >= 5 and any("not UTF-8" in line or "UTF-8" in line for line in one)
    assert report(mixed_review, use_cache=False, readers=readers) == one


@pytest.mark.usefixtures("read_apart_always")
def test_several_readers_build_the_records_one_reader_builds(tmp_path: Path) -> None:
    """The review's records, source by source in file order, are the same as one reader's."""
    root = write_review(tmp_path, {f"s{n}.yaml": source_yaml(f"s{n}", f"s{n}-1", f"s{n}-2") for n in range(7)})
    one = validate(root, use_cache=False, readers=1).review
    assert one is not None and len(one.sources) == 7
    assert validate(root, use_cache=False, readers=2).review == one
    assert validate(root, use_cache=False, keep_records=True, readers=3).review == one


@pytest.mark.usefixtures("read_apart_always")
def test_what_other_readers_found_is_cached(mixed_review: Path) -> None:
    """The next run finds every file in the cache, the others' too, and reports the same."""
    first = report(mixed_review, readers=2)
    packed = [
        line for pack in (mixed_review / CACHE_DIR).glob("pack-*.jsonl") for line in pack.read_bytes().splitlines()
    ]
    assert len([line for line in packed if line]) == 12
    assert report(mixed_review, readers=2) == first == report(mixed_review, use_cache=False, readers=1)


def test_the_reading_is_shared_only_from_a_few_megabytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small review is read in this process alone; above the threshold other processes read too."""
    root = write_review(tmp_path, {f"s{n}.yaml": source_yaml(f"s{n}", f"s{n}-1") for n in range(6)})
    readers_seen = tmp_path / "pids"
    checked = load._checked
    parent = os.getpid()

    def noting_the_reader(raw: bytes, shown_as: Path) -> object:
        with readers_seen.open("a") as out:
            out.write(f"{os.getpid()}\n")
        if os.getpid() == parent:
            time.sleep(0.05)  # so that the other reader, however late it starts, takes turns too
        return checked(raw, shown_as)

    monkeypatch.setattr(load, "_checked", noting_the_reader)
    validate(root, use_cache=False, readers=2)
    assert set(readers_seen.read_text().split()) == {str(os.getpid())}

    readers_seen.unlink()
    monkeypatch.setattr(load, "READ_APART_FROM_BYTES", 1)
    validate(root, use_cache=False, readers=2)
    pids = readers_seen.read_text().split()
    assert len(pids) == 6 and len(set(pids)) == 2 and str(os.getpid()) in pids


def test_one_core_reads_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """By default there are as many readers as cores this process may use: one core, no other process."""
    root = write_review(tmp_path, {f"s{n}.yaml": source_yaml(f"s{n}", f"s{n}-1") for n in range(3)})
    monkeypatch.setattr(load, "READ_APART_FROM_BYTES", 0)
    monkeypatch.setattr("crm_review.pipeline.cores", lambda: 1)

    def no_fork(*args: object, **kwargs: object) -> object:
        raise AssertionError("a single core forked a reader")

    monkeypatch.setattr(workers, "run_jobs", no_fork)
    assert validate(root, use_cache=False).review is not None


def test_a_reader_that_fails_fails_the_read(mixed_review: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in another reader is raised here, as it would have been had this process read the file."""
    monkeypatch.setattr(load, "READ_APART_FROM_BYTES", 0)
    parent = os.getpid()
    checked = load._checked

    def failing_elsewhere(raw: bytes, shown_as: Path) -> object:
        if os.getpid() != parent:
            raise ZeroDivisionError("a bug in a reader")
        return checked(raw, shown_as)

    monkeypatch.setattr(load, "_checked", failing_elsewhere)
    with pytest.raises(ZeroDivisionError, match="a bug in a reader"):
        validate(mixed_review, use_cache=False, readers=2)


@pytest.mark.parametrize("threshold", [0, 10**12], ids=["read-apart", "read-here"])
def test_work_meanwhile_is_done_once_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: int) -> None:
    """What a command gives to do meanwhile runs once, in this process, whether others read or not."""
    root = write_review(tmp_path, {f"s{n}.yaml": source_yaml(f"s{n}", f"s{n}-1") for n in range(4)})
    monkeypatch.setattr(load, "READ_APART_FROM_BYTES", threshold)
    done: list[int] = []
    assert validate(root, use_cache=False, readers=2, meanwhile=lambda: done.append(os.getpid())).review is not None
    assert done == [os.getpid()]


def test_synthesize_imports_its_renderers_while_the_evidence_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The modules of the asked formats are imported during the reading, each format's own."""
    from crm_review import outputs, pipeline

    root = write_review(tmp_path, {"s.yaml": source_yaml("s", "s-1")})
    asked: list[tuple[str, ...]] = []
    monkeypatch.setattr(pipeline, "import_renderers", lambda formats: asked.append(tuple(formats)))
    pipeline.synthesize(root, formats=("md", "docx"))
    assert asked == [("md", "docx")]
    assert set(outputs.RENDERERS) == set(outputs.OUTPUT_FORMATS)


def test_importing_the_renderers_of_markdown_loads_no_office_library() -> None:
    """Rendering Markdown alone never loads python-docx or XlsxWriter, imported early or not."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom crm_review.outputs import import_renderers\nimport_renderers(['md', 'json'])\n"
        "print('crm_review.render' in sys.modules, 'crm_review.output' in sys.modules, 'docx' in sys.modules, "
        "'xlsxwriter' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True", "False", "False"]


def test_turns_give_each_number_to_one_process_and_more_to_the_quicker() -> None:
    """Every number is taken exactly once, across this process and a forked one; the slower takes fewer."""
    turns = workers.Turns(200)

    def taking(pause: float) -> list[int]:
        taken = []
        for number in turns:
            taken.append(number)
            time.sleep(pause)
        return taken

    try:
        found = workers.run_jobs({"quick": lambda: taking(0.0005), "slow": lambda: taking(0.005)}, parallel=True)
    finally:
        turns.close()
    assert sorted(found["quick"] + found["slow"]) == list(range(200))
    assert len(found["quick"]) > 2 * len(found["slow"]) > 0


def test_turns_are_few_enough_for_any_pipe() -> None:
    with pytest.raises(ValueError, match="at most 1024"):
        workers.Turns(workers.Turns.MOST + 1)


def test_a_stream_brings_each_childs_values_in_order_however_large() -> None:
    """Values larger than a pipe holds arrive whole, each child's in the order sent, from several children."""
    stream: workers.Stream[tuple[int, int, bytes]] = workers.Stream(2)
    big = bytes(range(256)) * 20_000  # 5 MB: several times what a pipe holds

    def sending(child: int) -> list[tuple[int, int, bytes]]:
        with stream.sending(child) as send:
            for number in range(5):
                send((child, number, big if number % 2 else b"small"))
        return []  # the same type as the receiving job's, as run_jobs asks

    def receiving() -> list[tuple[int, int, bytes]]:
        taken = list(stream.received())  # whatever has come so far, without waiting
        taken += stream.received(wait=True)
        return taken

    try:
        found = workers.run_jobs({"a": lambda: sending(0), "b": lambda: sending(1), "here": receiving}, parallel=True)
    finally:
        stream.close()
    values = found["here"]
    assert len(values) == 10
    for child in (0, 1):
        mine = [(number, data) for sender, number, data in values if sender == child]
        assert [number for number, _ in mine] == list(range(5))
        assert all(data == (big if number % 2 else b"small") for number, data in mine)


def test_a_child_sending_into_a_closed_stream_fails_instead_of_waiting() -> None:
    """After a failure here the stream is closed: a child still sending gets an error, never a full pipe for ever."""
    stream: workers.Stream[bytes] = workers.Stream(1)

    def sending() -> None:
        with stream.sending(0) as send:
            for _ in range(100):
                send(b"x" * 1_000_000)

    def failing_here() -> None:
        stream.close()
        raise RuntimeError("failed here")

    with pytest.raises(RuntimeError, match="failed here"):
        workers.run_jobs({"sending": sending, "here": failing_here}, parallel=True)


@contextmanager
def within(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM interrupts whatever waits here after ``seconds``."""

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.usefixtures("read_apart_always")
def test_a_failure_here_while_others_read_is_raised_not_waited_on(tmp_path: Path) -> None:
    """The work done here meanwhile fails while the other reader is still sending more than a pipe holds:
    the failure comes out, at once, instead of both processes waiting on each other."""
    root = generated_review(tmp_path, sources=120, cmocs_per_source=20)  # megabytes of entries to send

    def failing() -> None:
        raise ImportError("a renderer's library is broken")

    with within(60), pytest.raises(ImportError, match="broken"):
        load.load_review_files(root, use_cache=False, keep_records=True, readers=2, meanwhile=failing)


def test_a_child_killed_after_sending_is_reported_as_killed() -> None:
    """What it sent arrives; its end, without a word that it was done, is the job's failure, named as such."""
    stream: workers.Stream[bytes] = workers.Stream(1)
    taken: list[bytes] = []

    def sending_then_killed() -> None:
        with stream.sending(0) as send:
            send(b"sent")
            os.kill(os.getpid(), signal.SIGKILL)

    def receiving() -> None:
        taken.extend(stream.received(wait=True))

    with within(60), pytest.raises(RenderingStopped, match="SIGKILL"):
        workers.run_jobs({"killed": sending_then_killed, "here": receiving}, parallel=True, abandon=stream.close)
    assert taken == [b"sent"]
