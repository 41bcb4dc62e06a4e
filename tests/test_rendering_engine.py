"""How documents are rendered at size: streamed into their files, side by side in forked processes, printed
through one escaping function, and compared with the files on disk as they are rendered."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import jinja2
import jinja2.bccache
import markupsafe
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import generated_review
from crm_review import files, pipeline, workers
from crm_review.errors import StaleOutput
from crm_review.escape import md_inline, visible
from crm_review.templating import compiled_templates_cache, document_environment, rendered, shown_html, shown_text

TRICKY = st.lists(
    st.sampled_from([*"ab &#;\\`*_[]<>|~'\"\n\t\r\x1b\x85\xa0\u2028\u202e ", "&amp;", "&#12;", "<script>"]), max_size=30
).map("".join)


@settings(max_examples=500)
@given(st.one_of(TRICKY, st.text()))
def test_html_values_are_printed_as_jinja_would_print_them(text: str) -> None:
    """One call does what Jinja's finalize and markupsafe's escape did: the same bytes in review.html."""
    assert shown_html(text) == str(markupsafe.escape(visible(text)))
    assert shown_html(markupsafe.Markup(text)) == text  # already HTML: as it is
    assert shown_html(7) == "7"


@settings(max_examples=500)
@given(st.one_of(TRICKY, st.text()))
def test_markdown_values_show_control_characters(text: str) -> None:
    assert shown_text(text) == visible(text)
    assert shown_text(None) == "None"


class _Tagged(str):
    """A str subclass, as an enum's value or a library's own string type is."""


class _Printed:
    """An object a team template prints, whose text is whatever ``str()`` makes of it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


@settings(max_examples=300)
@given(st.one_of(TRICKY, st.text()))
def test_values_that_are_not_plain_str_show_control_characters_too(text: str) -> None:
    for value in (_Tagged(text), _Printed(text)):
        assert shown_text(value) == visible(text)
        assert shown_html(value) == str(markupsafe.escape(visible(text)))


def reference_md(text: str) -> str:
    """md_inline as first written, with regular expressions: one line, entities, Markdown's specials."""
    flat = visible(" ".join(text.split()), keep="")
    flat = re.sub(r"&(?=#?[A-Za-z0-9]+;)", "&amp;", flat)
    return re.sub(r"([\\`*_\[\]<>#|~])", r"\\\1", flat)


@settings(max_examples=1000)
@given(st.one_of(TRICKY, st.text()))
def test_markdown_escaping_matches_its_definition(text: str) -> None:
    assert md_inline(text) == reference_md(text)


def test_a_team_template_inside_autoescape_blocks_is_escaped_as_jinja_would(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.md.j2").write_text(
        "{% autoescape true %}{{ v }}{% endautoescape %}|{{ v }}|{{ v|e }}", encoding="utf-8"
    )
    page = document_environment(templates).get_template("page.md.j2").render(v="<b>\x1b")
    # |e is the template's own choice, as in Jinja; the control character is shown whatever the value's type
    assert page == "&lt;b&gt;\\x1b|<b>\\x1b|&lt;b&gt;\\x1b"


def test_a_dot_in_a_team_template_finds_what_jinja_finds(tmp_path: Path) -> None:
    """``x.name`` is an attribute, else the item of that name, else undefined (``is defined`` false; printed,
    an error naming it), as in Jinja: the quick attribute lookup changes no answer."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.md.j2").write_text(
        "{{ record.title }}|{{ counts.positive }}|{{ record.missing is defined }}|{{ counts.absent is defined }}"
        "|{{ (record.title ~ '!').upper() }}|{{ nested.inner.title }}",
        encoding="utf-8",
    )
    (templates / "broken.md.j2").write_text("{{ record.missing }}", encoding="utf-8")

    class Record:
        title = "A study"

    values = {"record": Record(), "counts": {"positive": 3}, "nested": {"inner": Record()}}
    environment = document_environment(templates)
    page = environment.get_template("page.md.j2").render(**values)
    assert page == "A study|3|False|False|A STUDY!|A study"
    with pytest.raises(jinja2.UndefinedError, match="has no attribute 'missing'"):
        environment.get_template("broken.md.j2").render(**values)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_review(tmp_path_factory.mktemp("engine"), sources=40, cmocs_per_source=6)


def test_documents_are_written_in_pieces_never_whole(large: Path) -> None:
    """REVIEW.md arrives in many writes of bounded size: the whole document is never one string in memory."""
    from crm_review.analysis import analyse
    from crm_review.render import document_writers
    from crm_review.view import AnalysedReview

    review = pipeline.load_valid_review(large)
    writes: list[int] = []

    class Sink:
        def write(self, data: bytes) -> int:
            writes.append(len(data))
            return len(data)

    writers = document_writers(AnalysedReview(review, analyse(review)), ("md",), large / "templates")
    writers["REVIEW.md"](Sink())
    assert len(writes) >= 5
    assert max(writes) < sum(writes) / 4


def test_check_compares_as_it_renders_and_names_only_what_differs(large: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With documents rendered side by side, --check still names exactly the stale ones, in their order."""
    monkeypatch.setattr(pipeline, "PARALLEL_FROM_CMOCS", 1)
    pipeline.synthesize(large, formats=("md", "html", "json"))
    pipeline.synthesize(large, formats=("md", "html", "json"), check=True)  # up to date: no error
    html = large / "review" / "review.html"
    html.write_bytes(html.read_bytes() + b"<!-- edited -->")
    (large / "review" / "review.json").write_bytes(b"{}")
    with pytest.raises(StaleOutput) as stale:
        pipeline.synthesize(large, formats=("md", "html", "json"), check=True)
    assert [p.name for p in stale.value.paths] == ["review.html", "review.json"]


@pytest.mark.parametrize(
    ("existing", "written", "same"),
    [
        (b"abc", [b"a", b"bc"], True),
        (b"abcd", [b"a", b"bc"], False),  # the file is longer
        (b"ab", [b"a", b"bc"], False),  # the file is shorter
        (b"abx", [b"a", b"bc"], False),
        (None, [b""], False),  # no file at all
    ],
)
def test_same_content_compares_piece_by_piece(
    tmp_path: Path, existing: bytes | None, written: list[bytes], same: bool
) -> None:
    path = tmp_path / "doc"
    if existing is not None:
        path.write_bytes(existing)

    def writer(out: files.ByteSink) -> None:
        for piece in written:
            out.write(piece)

    assert files.same_content(path, writer) is same


def test_jobs_run_side_by_side_return_in_order() -> None:
    """More jobs than forked processes at once: every result comes back, in the order of the jobs."""
    jobs = {f"job{n}": (lambda n=n: (n, os.getpid())) for n in range(workers.MOST_CHILDREN + 3)}
    results = workers.run_jobs(jobs, parallel=True)
    assert list(results) == list(jobs)
    assert [n for n, _ in results.values()] == list(range(len(jobs)))
    pids = {pid for _, pid in results.values()}
    assert os.getpid() in pids and len(pids) == len(jobs)  # the last ran here, each other in its own process


def reaped(pids_file: Path) -> bool:
    """Whether every process that wrote its pid into the file has been waited for (none left a zombie)."""
    pids = [int(line) for line in pids_file.read_text().split()]
    for pid in pids:
        if pid == os.getpid():
            continue
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    return len(pids) == 3


def noting_pid(pids_file: Path, then: Callable[[], object]) -> Callable[[], object]:
    def job() -> object:
        with pids_file.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return then()

    return job


def test_a_failing_job_in_a_child_fails_the_run_and_every_child_is_waited_for(tmp_path: Path) -> None:
    def fails() -> None:
        raise ValueError("bad template value")

    pids = tmp_path / "pids"
    jobs = {"a": noting_pid(pids, fails), "b": noting_pid(pids, lambda: None), "c": noting_pid(pids, lambda: None)}
    with pytest.raises(ValueError, match="bad template value"):
        workers.run_jobs(jobs, parallel=True)
    assert reaped(pids)


def test_a_failure_here_still_waits_for_the_children(tmp_path: Path) -> None:
    def fails() -> None:
        raise KeyError("here")

    pids = tmp_path / "pids"
    big = noting_pid(pids, lambda: "x" * 1_000_000)  # more than a pipe holds, never read by the parent
    jobs = {"a": big, "b": noting_pid(pids, lambda: None), "c": noting_pid(pids, fails)}
    with pytest.raises(KeyError):
        workers.run_jobs(jobs, parallel=True)
    assert reaped(pids)


def test_a_failed_write_leaves_no_folder_it_made(tmp_path: Path) -> None:
    target = tmp_path / "new-folder" / "REVIEW.md"

    def fails(out: files.ByteSink) -> None:
        out.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        files.write_all_atomic({target: fails, target.with_name("review.html"): "whole"})
    assert not target.parent.exists()


def test_the_hook_of_the_job_run_here_runs_before_it() -> None:
    """The last job runs here, after its hook (the work done meanwhile while forked readers read)."""
    order: list[str] = []
    for parallel in (False, True):
        order.clear()
        jobs = {"there": lambda: None, "here": lambda: order.append("job")}
        workers.run_jobs(jobs, parallel=parallel, before={"here": lambda: order.append("hook")})
        assert order == ["hook", "job"]


def test_a_hook_prepares_what_later_jobs_share() -> None:
    """`before` runs here just before its job starts: jobs started later see what it made, earlier ones not."""
    prepared: list[int] = []
    jobs = {"records": lambda: len(prepared), "view": lambda: len(prepared), "last": lambda: len(prepared)}
    for parallel in (False, True):
        prepared.clear()
        results = workers.run_jobs(jobs, parallel=parallel, before={"view": lambda: prepared.append(1)})
        assert results == {"records": 0, "view": 1, "last": 1}


def test_what_is_freed_when_this_process_is_done_stays_for_every_job_forked_before() -> None:
    """`done_here` runs once this process's job is done and every job has started, never before a job starts.

    More jobs than run at once: the ones forked after this process's job still see what it frees.
    """
    shared = {"view": "built"}

    def reading() -> str:
        time.sleep(0.05)  # still at work when done_here runs here
        return shared.get("view", "freed")

    for parallel in (False, True):
        shared["view"] = "built"
        jobs = {f"job{n}": reading for n in range(workers.MOST_CHILDREN + 2)}
        freed_at: list[int] = []
        jobs["here"] = lambda: shared.get("view", "freed")
        results = workers.run_jobs(jobs, parallel=parallel, done_here=partial(free, shared, freed_at))
        assert set(results.values()) == {"built"}
        assert freed_at == [1] and shared == {}


def free(shared: dict[str, str], freed_at: list[int]) -> None:
    freed_at.append(len(shared))
    shared.clear()


def test_the_view_is_built_once_for_every_document_that_reads_it(
    large: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """REVIEW.md, review.html and review.docx, each in its own process, read one view built before they start."""
    from crm_review import view as view_module

    built = tmp_path / "built"
    real = view_module.build_view

    def noting(*args: object, **kwargs: object) -> object:
        with built.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(view_module, "build_view", noting)
    monkeypatch.setattr(pipeline, "PARALLEL_FROM_CMOCS", 1)
    pipeline.synthesize(large, out=tmp_path / "out", formats=("md", "html", "json", "docx"))
    assert built.read_text().split() == [str(os.getpid())]


def test_a_rendering_process_killed_is_one_line_naming_its_document() -> None:
    from crm_review.errors import RenderingStopped

    def killed() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(RenderingStopped, match=r"^review\.html: the process rendering it was stopped by SIGKILL"):
        workers.run_jobs({"review.html": killed, "REVIEW.md": lambda: None}, parallel=True)


class LibraryError(Exception):
    """Pickles, but cannot be rebuilt from its pickle: its two arguments are kept as one message."""

    def __init__(self, what: str, where: str) -> None:
        super().__init__(f"{what} at {where}")


def test_an_exception_that_cannot_be_rebuilt_keeps_its_words() -> None:
    def fails() -> None:
        raise LibraryError("bad cell", "row 3")

    with pytest.raises(Exception, match="bad cell at row 3"):
        workers.run_jobs({"a": fails, "b": lambda: None}, parallel=True)


def test_a_child_whose_parent_died_never_runs_the_parents_code(tmp_path: Path) -> None:
    """The parent killed while a child renders: the child ends at its job, never reaching the code after it."""
    marks = tmp_path / "marks"
    script = f"""
import os, signal, time
from crm_review import workers
def slow():
    time.sleep(0.5)
    return "done"
def parent_dies():
    time.sleep(0.1)
    os.kill(os.getpid(), signal.SIGKILL)
try:
    workers.run_jobs({{"slow": slow, "last": parent_dies}}, parallel=True)
finally:
    with open({str(marks)!r}, "a") as out:
        out.write(f"after run_jobs in {{os.getpid()}}\\n")
"""
    ended = subprocess.run([sys.executable, "-c", script], check=False, timeout=30)
    assert ended.returncode == -signal.SIGKILL
    time.sleep(1.5)  # the orphaned child finishes its job, finds the pipe broken, and must simply end
    assert not marks.exists()


def test_check_never_opens_a_pipe_where_a_document_should_be(tmp_path: Path) -> None:
    fifo = tmp_path / "REVIEW.md"
    os.mkfifo(fifo)

    class Hung(Exception):  # not an OSError, which same_content would take for a missing file
        pass

    def hung(signum: int, frame: object) -> None:
        raise Hung("same_content opened the pipe and waited for a writer")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        assert files.same_content(fifo, b"anything") is False  # at once: a pipe is not the document
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_every_folder_made_for_a_failed_write_is_removed(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c" / "REVIEW.md"

    def fails(out: files.ByteSink) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        files.write_all_atomic({target: fails})
    assert list(tmp_path.iterdir()) == []


def _rendered_text(templates: Path) -> str:
    return b"".join(rendered(document_environment(templates), "REVIEW.md.j2", "the view")).decode()


def test_compiled_templates_are_kept_and_an_edited_template_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "REVIEW.md.j2").write_text("first: {{ view }}\n", encoding="utf-8")
    assert _rendered_text(templates) == "first: the view\n"
    assert list((tmp_path / "cache" / "crm-review").glob("templates-*/*.jinja"))

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled again, though unchanged")

    monkeypatch.setattr(jinja2.Environment, "compile", never)
    assert _rendered_text(templates) == "first: the view\n"  # loaded compiled
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (templates / "REVIEW.md.j2").write_text("second: {{ view }}\n", encoding="utf-8")
    assert _rendered_text(templates) == "second: the view\n"


def test_a_damaged_template_cache_is_only_a_cache_missed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "REVIEW.md.j2").write_text("{{ view }} once\n", encoding="utf-8")
    _rendered_text(templates)
    kept = list((tmp_path / "cache").rglob("*.jinja"))
    assert kept
    for damaged, content in zip(kept, [b"", b"not a cache at all"] * len(kept), strict=False):
        damaged.write_bytes(content)
    assert _rendered_text(templates) == "the view once\n"
    for cut in kept:  # the right header, then nothing of what should follow it
        cut.write_bytes(jinja2.bccache.bc_magic)
    assert _rendered_text(templates) == "the view once\n"


def test_the_template_cache_is_used_only_in_a_private_folder_and_can_be_turned_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert compiled_templates_cache() is not None
    (folder,) = (tmp_path / "cache" / "crm-review").iterdir()
    assert folder.stat().st_mode & 0o077 == 0
    folder.chmod(0o777)  # anyone could put compiled code there
    assert compiled_templates_cache() is None
    monkeypatch.setenv("CRM_TEMPLATE_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other"))
    assert compiled_templates_cache() is None
    assert not (tmp_path / "other").exists()
