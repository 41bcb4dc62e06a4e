"""Full texts read as a user keeps them: typeset PDFs, scans, journal web pages, Markdown, cached by content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from crm_review import fulltext
from crm_review.errors import FulltextUnreadable
from crm_review.verify import normalise, printed_numbers

PDFS = FIXTURES / "fulltext"


def test_typeset_pdf_gives_text_per_page_with_its_page_labels() -> None:
    """The fixture's pages carry the journal's numbers 229-231, and each page its own text."""
    text = fulltext.extract(PDFS / "paper.pdf", None)
    assert text.kind == "pdf"
    assert text.has_page_labels
    assert [page.label for page in text.pages] == ["229", "230", "231"]
    one_line = [normalise(page.text) for page in text.pages]
    assert "Conflict arose as soon as budgets were discussed." in one_line[1]
    assert "Conflict arose" not in one_line[0] + one_line[2]


def test_pdf_without_page_labels_is_numbered_from_first_page() -> None:
    """Without page labels, pages count from the source's `first_page:` (else from 1)."""
    text = fulltext.extract(PDFS / "paper-no-labels.pdf", None)
    assert not text.has_page_labels
    assert printed_numbers(text, None) == ["1", "2", "3"]
    assert printed_numbers(text, 229) == ["229", "230", "231"]


def test_scanned_pdf_has_no_text_layer() -> None:
    """A PDF of page pictures is recognised as needing OCR."""
    assert not fulltext.extract(PDFS / "scanned.pdf", None).has_text_layer
    assert fulltext.extract(PDFS / "paper.pdf", None).has_text_layer


def test_html_page_gives_its_visible_text_only() -> None:
    """Scripts, styles and footnote marks are left out; inline markup does not split words."""
    text = fulltext.html_text((PDFS / "journal-page.html").read_text(encoding="utf-8"))
    assert "This fictitious study follows" in text
    assert "training and a manager\u2019s" in text
    assert "decisions about money." in text
    assert "dataLayer" not in text
    assert "font-family" not in text
    assert "Budgets\n" in text  # list items are lines of their own


def test_markdown_gives_text_without_its_marks() -> None:
    """`**Context**` reads as `Context`, as the paper does."""
    text = fulltext.markdown_text("## Abstract\n\n**Context** Despite a *growing* interest.\n")
    assert "Context Despite a growing interest." in text
    assert "*" not in text and "#" not in text


def test_extracted_text_is_cached_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PDF read once is not parsed again; a changed file is."""
    pdf = tmp_path / "fulltext" / "a.pdf"
    pdf.parent.mkdir()
    shutil.copy(PDFS / "paper.pdf", pdf)
    first = fulltext.extract(pdf, tmp_path)
    assert len(list((tmp_path / fulltext.CACHE_DIR).glob("*.json"))) == 1

    def no_parsing(*args: object) -> object:
        raise AssertionError("the PDF was parsed again")

    monkeypatch.setattr(fulltext, "_pdf_pages", no_parsing)
    assert fulltext.extract(pdf, tmp_path) == first
    shutil.copy(PDFS / "paper-no-labels.pdf", pdf)
    with pytest.raises(AssertionError, match="parsed again"):
        fulltext.extract(pdf, tmp_path)


def test_progress_is_told_only_of_files_read_for_the_first_time(tmp_path: Path) -> None:
    """A long first run can show which PDF it is reading; a cached one is not announced."""
    pdf = tmp_path / "a.pdf"
    shutil.copy(PDFS / "paper.pdf", pdf)
    read: list[Path] = []
    fulltext.extract(pdf, tmp_path, on_extract=read.append)
    fulltext.extract(pdf, tmp_path, on_extract=read.append)
    assert [path.name for path in read] == ["a.pdf"]


def test_damaged_cache_entry_is_read_again(tmp_path: Path) -> None:
    """A cache file cut short by a crash does not stop verification."""
    text_file = tmp_path / "a.txt"
    text_file.write_text("Some words.", encoding="utf-8")
    fulltext.extract(text_file, tmp_path)
    for cached in (tmp_path / fulltext.CACHE_DIR).glob("*.json"):
        cached.write_text('{"version": 1, "pag', encoding="utf-8")
    assert fulltext.extract(text_file, tmp_path).pages[0].text == "Some words."


def test_damaged_pdf_is_one_clear_error(tmp_path: Path) -> None:
    """A PDF that is not one names the file instead of raising a traceback."""
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.5\nthis is not really a PDF")
    with pytest.raises(FulltextUnreadable, match=r"broken\.pdf could not be read as a PDF"):
        fulltext.extract(broken, None)


def test_text_file_that_is_not_utf8_is_one_clear_error(tmp_path: Path) -> None:
    """A full text saved in another encoding says how to fix it."""
    latin = tmp_path / "latin.txt"
    latin.write_bytes("organisación".encode("latin-1"))
    with pytest.raises(FulltextUnreadable, match=r"latin\.txt is not UTF-8 text .*save it again as UTF-8"):
        fulltext.extract(latin, None)


def test_lookup_prefers_the_given_folder_then_fulltext(tmp_path: Path) -> None:
    """`--fulltext DIR` is searched before the review's own fulltext/ folder."""
    own, outside = tmp_path / "fulltext", tmp_path / "outside"
    own.mkdir()
    outside.mkdir()
    (own / "a.txt").write_text("own", encoding="utf-8")
    (own / "b.txt").write_text("own", encoding="utf-8")
    (outside / "a.pdf").write_bytes(b"")
    search = fulltext.folders(tmp_path, outside, None)
    assert fulltext.find("a", search) == outside / "a.pdf"
    assert fulltext.find("b", search) == own / "b.txt"
    assert fulltext.find("c", search) is None
