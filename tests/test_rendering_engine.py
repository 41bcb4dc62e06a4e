"""How documents are rendered at size: streamed into their files, side by side in forked processes, printed
through one escaping function, and compared with the files on disk as they are rendered."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import markupsafe
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import generated_review
from crm_review import files, pipeline, workers
from crm_review.errors import StaleOutput
from crm_review.escape import md_inline, visible
from crm_review.templating import document_environment, shown_html, shown_text

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
    assert page == "&lt;b&gt;\\x1b|<b>\\x1b|&lt;b&gt;\x1b"  # |e is the template's own choice, as in Jinja


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_review(tmp_path_factory.mktemp("engine"), sources=40, cmocs_per_source=6)


def test_documents_are_written_in_pieces_never_whole(large: Path) -> None:
    """REVIEW.md arrives in many writes of bounded size: the whole document is never one string in memory."""
    from crm_review.analysis import analyse
    from crm_review.render import document_writers

    review = pipeline.load_valid_review(large)
    writes: list[int] = []

    class Sink:
        def write(self, data: bytes) -> int:
            writes.append(len(data))
            return len(data)

    writers = document_writers(review, analyse(review), ("md",), large / "templates")
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
