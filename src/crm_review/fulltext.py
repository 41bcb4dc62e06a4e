"""Full texts of the sources: where they are, and their text page by page, cached by file content.

The only module that opens PDFs (pypdf), HTML pages (selectolax) and Markdown (markdown-it-py).
A full text is ``fulltext/<source-id>.pdf`` (or ``.html``, ``.htm``, ``.md``, ``.txt``) in the review,
in a folder given by ``--fulltext DIR`` or ``fulltext:`` in configs/review.yaml, or the file named by
the source's own ``fulltext:``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from crm_review import layout
from crm_review.errors import FulltextUnreadable
from crm_review.files import write_atomic

FULLTEXT_DIR = "fulltext"
CACHE_DIR = Path(".crm-cache") / "fulltext"
# Looked for in this order when a source has several: the PDF is what the page numbers refer to.
SUFFIXES = (".pdf", ".html", ".htm", ".md", ".txt")
# Bumped whenever extraction changes, so that texts cached by an older crm are extracted again.
EXTRACTION_VERSION = 1
# A PDF whose pages yield fewer letters than this (per page, on average) is a scan without text.
MIN_LETTERS_PER_PAGE = 20

Kind = Literal["pdf", "html", "text"]

# Elements whose text starts and ends a line; any other element's text runs on (<i>, <span>, <a>...).
_BLOCK_TAGS = (
    "address,article,aside,blockquote,br,caption,dd,div,dl,dt,figcaption,figure,footer,h1,h2,h3,h4,h5,h6,"
    "header,hr,li,main,nav,ol,p,pre,section,table,tbody,td,tfoot,th,thead,tr,ul"
)
_REFERENCE_MARK = re.compile(r"[\s\d,\-\u2013\[\]()*\u2020\u2021]*")
_INVISIBLE_TAGS = "head,script,style,noscript,template,svg,iframe,object"


@dataclass(frozen=True)
class Page:
    """One page of a full text: its printed number (from the PDF's page labels) and its text."""

    label: str | None
    text: str


@dataclass(frozen=True)
class FullText:
    """The text of one full text, page by page (HTML and text files are one page without a number)."""

    path: Path
    kind: Kind
    pages: tuple[Page, ...]
    has_page_labels: bool

    @property
    def has_text_layer(self) -> bool:
        """False for a PDF of page images (a scan): it needs OCR before its quotes can be checked."""
        if self.kind != "pdf":
            return True
        letters = sum(sum(ch.isalpha() for ch in page.text) for page in self.pages)
        return letters >= MIN_LETTERS_PER_PAGE * max(1, len(self.pages))


def folders(root: Path, given: Path | None, configured: str | None) -> tuple[Path, ...]:
    """Where full texts are looked for: ``--fulltext DIR`` (else the configured folder), then ``fulltext/``."""
    chosen = given if given is not None else (root / configured if configured else None)
    default = root / FULLTEXT_DIR
    return (chosen, default) if chosen is not None and chosen.resolve() != default.resolve() else (default,)


def catalogue(search: tuple[Path, ...]) -> dict[str, Path]:
    """Every full text in the folders by the source id it is named after; the first folder wins, then
    the first suffix of :data:`SUFFIXES` (one listing per folder: a review may have hundreds)."""
    found: dict[str, Path] = {}
    rank = {suffix: n for n, suffix in enumerate(SUFFIXES)}
    for folder in search:
        if not folder.is_dir():
            continue
        in_folder = sorted(
            (path for path in folder.iterdir() if path.suffix.lower() in rank and path.is_file()),
            key=lambda path: (path.stem, rank[path.suffix.lower()], path.name),
        )
        for path in in_folder:
            if not path.name.lower().startswith("readme"):
                found.setdefault(path.stem, path)
    return found


def find(source_id: str, search: tuple[Path, ...]) -> Path | None:
    """The full text named after ``source_id`` in the first folder that has one."""
    return catalogue(search).get(source_id)


def unclaimed(files: dict[str, Path], source_ids: set[str]) -> list[Path]:
    """Full-text files that no source's id names (most often a typo in the file name)."""
    return sorted(path for stem, path in files.items() if stem not in source_ids)


def extract(
    path: Path,
    cache_root: Path | None,
    *,
    write_cache: bool = True,
    on_extract: Callable[[Path], None] | None = None,
) -> FullText:
    """The text of ``path``, page by page; taken from the cache when this exact content was read before.

    The cache lives under ``cache_root`` (the review folder); ``write_cache=False`` only reads it.
    ``on_extract`` is told of each file that is not in the cache, before it is read (a PDF takes a while).
    """
    shown = layout.shown(path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    kind: Kind = (
        "pdf" if path.suffix.lower() == ".pdf" else "html" if path.suffix.lower() in {".html", ".htm"} else "text"
    )
    cache_file = cache_root / CACHE_DIR / f"{digest}.json" if cache_root is not None else None
    cached = _read_cache(cache_file)
    if cached is not None:
        pages, labelled = cached
        return FullText(shown, kind, pages, labelled)
    if on_extract is not None:
        on_extract(shown)
    if kind == "pdf":
        pages, labelled = _pdf_pages(data, shown)
    elif kind == "html":
        pages, labelled = (Page(None, html_text(_decode(data, shown))),), False
    elif path.suffix.lower() == ".md":
        pages, labelled = (Page(None, markdown_text(_decode(data, shown))),), False
    else:
        pages, labelled = (Page(None, _decode(data, shown)),), False
    if cache_file is not None and write_cache:
        _write_cache(cache_file, pages, labelled)
    return FullText(shown, kind, pages, labelled)


def _decode(data: bytes, shown: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FulltextUnreadable(
            f"{shown} is not UTF-8 text (byte {exc.start + 1}): save it again as UTF-8, or use the PDF"
        ) from None


def _pdf_pages(data: bytes, shown: Path) -> tuple[tuple[Page, ...], bool]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == 0:
            raise FulltextUnreadable(f"{shown} is protected by a password: save an unprotected copy")
        labelled = "/PageLabels" in reader.root_object
        labels = list(reader.page_labels) if labelled else [None] * len(reader.pages)
        pages = tuple(Page(label, page.extract_text() or "") for label, page in zip(labels, reader.pages, strict=True))
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise FulltextUnreadable(f"{shown} could not be read as a PDF ({exc}): is it damaged?") from None
    return pages, labelled


def html_text(markup: str) -> str:
    """The visible text of a web page: one line per block element, inline elements run on."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(markup)
    for node in tree.css(_INVISIBLE_TAGS):
        node.decompose()
    for node in tree.css("sup"):
        if _REFERENCE_MARK.fullmatch(node.text(deep=True)):
            node.decompose()  # a footnote or reference number ("money<sup>1</sup>."), not the author's words
    for node in tree.css(_BLOCK_TAGS):
        node.insert_before("\n")
        node.insert_after("\n")
    root = tree.body if tree.body is not None else tree.root
    return root.text(deep=True, separator="") if root is not None else ""


def markdown_text(source: str) -> str:
    """The text a Markdown file shows (no ``**`` or ``#`` marks), by way of the HTML it renders to."""
    from markdown_it import MarkdownIt

    return html_text(MarkdownIt("commonmark").render(source))


def _read_cache(cache_file: Path | None) -> tuple[tuple[Page, ...], bool] | None:
    if cache_file is None or not cache_file.is_file():
        return None
    try:
        stored = json.loads(cache_file.read_text(encoding="utf-8"))
        if stored.get("version") != EXTRACTION_VERSION:
            return None
        pages = tuple(Page(p["label"], p["text"]) for p in stored["pages"])
        return pages, bool(stored["labelled"])
    except (OSError, ValueError, KeyError, TypeError):  # a damaged cache entry is read again from the file
        return None


def _write_cache(cache_file: Path, pages: tuple[Page, ...], labelled: bool) -> None:
    payload = {
        "version": EXTRACTION_VERSION,
        "labelled": labelled,
        "pages": [{"label": p.label, "text": p.text} for p in pages],
    }
    with contextlib.suppress(OSError):  # a read-only checkout still verifies; it extracts again next time
        write_atomic(cache_file, json.dumps(payload, ensure_ascii=False))
