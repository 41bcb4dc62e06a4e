"""The prompts as a person meets them: `crm` driven through a real pseudo-terminal with pexpect.

Keys are sent as a terminal sends them (arrow keys as escape sequences, a paste wrapped in the
bracketed-paste markers every modern terminal adds), and the file is read afterwards. Each exchange
waits at most TIMEOUT seconds, so a prompt that hangs fails the test instead of stalling the run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, source_yaml, write_review
from crm_review.pipeline import validate

pexpect = pytest.importorskip("pexpect")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="pexpect drives POSIX pseudo-terminals"),
]

TIMEOUT = 30
LEFT, UP = "\x1b[D", "\x1b[A"
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


def crm(root: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    env = {
        **os.environ,
        **(env or {}),
        "TERM": "xterm-256color",
        "NO_COLOR": "1",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # pexpect does not answer cursor-position queries
        "COLUMNS": "120",
        "LINES": "40",
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "crm_review", *args, "--review", str(root)],
        cwd=str(REPO),
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(40, 120),
    )
    return child


def answer(child: Any, prompt: str, keys: str) -> None:
    child.expect_exact(prompt)
    child.send(keys + "\r")


def finish(child: Any) -> int:
    child.expect(pexpect.EOF)
    child.close()
    status: int = child.exitstatus if child.exitstatus is not None else -(child.signalstatus or 0)
    return status


@pytest.fixture
def review(tmp_path: Path) -> Path:
    sources = {f"doe-20{n:02d}.yaml": source_yaml(f"doe-20{n:02d}") for n in range(10, 25)}
    sources["karuga-2021.yaml"] = source_yaml("karuga-2021")
    return write_review(tmp_path, sources)


def test_add_cmoc_at_a_terminal_edits_lines_and_keeps_a_pasted_quote_whole(review: Path) -> None:
    """Arrow keys move in the line and recall answers, `neg` is negative, Tab completes ids, a two-line paste is one quote."""
    child = crm(review, "add", "cmoc")
    child.expect_exact("16 sources: type the start of an id")
    answer(child, "Source", "karu\t")  # Tab completes the id
    answer(child, "Context", "Groups of" + LEFT * 3 + "X")
    answer(child, "resource the intervention offers", "A shared forum")
    answer(child, "how people respond to it", "They speak up")
    answer(child, "Outcome", "Views count")
    answer(child, "Direction", "neg")
    answer(child, "Principles", "1, inv\t=refines")
    child.expect_exact("Quote 1")
    child.send(PASTE_START + "A set of problems ensued, related to\nrepresentation and funding." + PASTE_END + "\r")
    answer(child, "Where it stands", "p. 233")
    answer(child, "Another quote?", "y")
    answer(child, "Quote 2", "Funding was the main problem.")
    answer(child, "Where it stands", UP)  # Up brings back the answer given to this question before
    answer(child, "Another quote?", "")
    child.expect_exact("The new CMOC of karuga-2021:")
    answer(child, "Write it?", "")
    child.expect_exact("added CMOC karuga-2021-1")
    assert finish(child) == 0
    text = (review / "evidence" / "karuga-2021.yaml").read_text(encoding="utf-8")
    assert "\x1b" not in text
    result = validate(review)
    assert result.review is not None
    [cmoc] = next(s for s in result.review.sources if s.id == "karuga-2021").cmocs
    assert cmoc.context == "GroupsX of"
    assert cmoc.direction == "negative"
    assert cmoc.links == (("quick-wins", "supports"), ("invest-in-skills", "refines"))
    assert [(q.quote, q.locator) for q in cmoc.evidence] == [
        ("A set of problems ensued, related to\nrepresentation and funding.", "p. 233"),
        ("Funding was the main problem.", "p. 233"),
    ]


def test_ctrl_c_says_nothing_was_written_on_its_own_line(review: Path) -> None:
    """Ctrl-C at any prompt ends crm with "nothing was written" alone on a line, exit 130, files untouched."""
    before = {p.name: p.read_bytes() for p in (review / "evidence").iterdir()}
    child = crm(review, "add", "cmoc", "--source", "karuga")
    answer(child, "Context", "Half an answer")
    child.expect_exact("resource the intervention offers")
    child.sendintr()
    # Only terminal control sequences (prompt_toolkit restoring the terminal) stand between the line break and it.
    child.expect(r"\n(\x1b\[[0-9;?]*[A-Za-z])*nothing was written\r\n")
    assert finish(child) == 130
    assert {p.name: p.read_bytes() for p in (review / "evidence").iterdir()} == before


def test_add_source_asks_back_about_a_name_and_allows_an_empty_year(review: Path) -> None:
    """ "Jane Smith" gets "Smith, Jane?" back; the year prompt says it may stay empty."""
    child = crm(review, "add", "source")
    answer(child, "Title", "Community panels")
    answer(child, "Author 1", "Jane Smith")
    answer(child, "Smith, Jane?", "")
    answer(child, "Author 2", "")
    answer(child, "Year (leave empty if unknown)", "")
    answer(child, "Write it?", "y")
    child.expect_exact("added source smith-nd")
    assert finish(child) == 0
    assert "authors: ['Smith, Jane']" in (review / "evidence" / "smith-nd.yaml").read_text(encoding="utf-8")


def test_edit_offers_the_current_value_ready_to_change(review: Path) -> None:
    """The current title stands in the line: typing adds to it; Enter keeps the other fields as they are."""
    child = crm(review, "edit", "karuga-2021")
    answer(child, "Title", " (second wave)")
    kept = ["Author 1", "Author 2", "Year", "Journal", "Volume", "Issue", "Pages", "DOI", "URL", "Design"]
    for prompt in [*kept, "Countries", "Setting", "Relevance", "Rigour"]:
        answer(child, prompt, "")
    child.expect_exact("title: Study karuga-2021 -> Study karuga-2021 (second wave)")
    answer(child, "Write these changes", "")
    assert finish(child) == 0
    text = (review / "evidence" / "karuga-2021.yaml").read_text(encoding="utf-8")
    assert text == source_yaml("karuga-2021").replace("Study karuga-2021", "Study karuga-2021 (second wave)")


def test_remove_at_a_terminal_shows_what_goes_and_takes_a_yes(review: Path) -> None:
    """crm remove lists the source's CMOCs, asks, and removes the file on `y`."""
    (review / "evidence" / "karuga-2021.yaml").write_text(source_yaml("karuga-2021", "karuga-2021-1"))
    child = crm(review, "remove", "karuga")  # a start is not enough to remove: the id is asked for in full
    child.expect_exact("no source or CMOC `karuga` in this review")
    assert finish(child) == 1
    child = crm(review, "remove", "karuga-2021")
    child.expect_exact("with its 1 CMOC(s): karuga-2021-1")
    answer(child, "Remove source karuga-2021? (y/N)", "y")
    child.expect_exact("removed source karuga-2021")
    assert finish(child) == 0
    assert not (review / "evidence" / "karuga-2021.yaml").exists()
