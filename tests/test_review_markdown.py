"""The committed REVIEW.md read by a CommonMark/GFM parser, as GitHub reads it."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from conftest import REPO
from crm_review.templating import gfm_anchor

REVIEW_MD = (REPO / "review" / "REVIEW.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tokens():  # type: ignore[no-untyped-def]
    return MarkdownIt("commonmark", {"html": True}).enable("table").parse(REVIEW_MD)


def test_every_table_is_intact(tokens) -> None:  # type: ignore[no-untyped-def]
    """Every table parses as a table, each row with as many cells as its header."""
    tables = 0
    width = None
    for token in tokens:
        if token.type == "table_open":
            tables += 1
            width = None
        elif token.type == "tr_open":
            cells = 0
        elif token.type in {"th_open", "td_open"}:
            cells += 1
        elif token.type == "tr_close":
            width = width or cells
            assert cells == width
    pipe_tables = len(re.findall(r"^\|[-:| ]+\|$", REVIEW_MD, re.MULTILINE))
    assert tables == pipe_tables >= 6


def test_every_internal_link_reaches_a_heading(tokens) -> None:  # type: ignore[no-untyped-def]
    """Contents, summary and checklist links land on headings, with GitHub's anchors."""
    anchors = set()
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            text = "".join(
                child.content for child in tokens[i + 1].children or [] if child.type in {"text", "code_inline"}
            )
            anchors.add(gfm_anchor(text))
    links = {
        child.attrs["href"]
        for token in tokens
        if token.type == "inline"
        for child in token.children or []
        if child.type == "link_open" and str(child.attrs["href"]).startswith("#")
    }
    assert links and {str(link)[1:] for link in links} <= anchors


def test_no_raw_html(tokens) -> None:  # type: ignore[no-untyped-def]
    """Nothing in the document is raw HTML, which GitHub would strip or show oddly."""
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & {"html_inline", "html_block"}


def test_every_quote_is_in_the_document_once() -> None:
    """Each bundled quote appears exactly once, with its locator (claims stay traceable in the document)."""
    from collections import Counter

    from crm_review.escape import md_inline
    from crm_review.pipeline import load_valid_review

    quoted = Counter(q.quote for _, cmoc in load_valid_review(REPO).cmocs() for q in cmoc.evidence)
    for source, cmoc in load_valid_review(REPO).cmocs():
        for quote in cmoc.evidence:
            # A sentence that grounds several CMOCs is quoted once under each of them, nowhere else.
            assert REVIEW_MD.count(md_inline(quote.quote)) == quoted[quote.quote]
            assert (
                f"“{md_inline(quote.quote)}” ({md_inline(source.in_text())}, {md_inline(quote.locator)})" in REVIEW_MD
            )
