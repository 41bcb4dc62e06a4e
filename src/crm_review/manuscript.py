"""The review as a manuscript: typed blocks (headings, paragraphs, tables, figures) for the Word writer.

The blocks say what the document holds, never how Word marks it up, so that ``docx_writer.py`` is the
only module that knows WordprocessingML and this one needs no outside library.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A piece of text in a paragraph or cell; ``link`` is an http(s) address or ``#anchor`` inside the document."""

    text: str
    bold: bool = False
    italic: bool = False
    link: str | None = None


Inline = tuple[Span, ...]


def plain(text: str) -> Inline:
    return (Span(text),)


@dataclass(frozen=True)
class Heading:
    """A heading of level 1 (chapter) to 4; ``anchor`` is the name internal links point to."""

    level: int
    text: str
    anchor: str | None = None


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; ``style`` is ``body``, ``quote``, ``bullet``, ``caption``, ``reference`` or ``note``."""

    spans: Inline
    style: str = "body"
    anchor: str | None = None


@dataclass(frozen=True)
class Table:
    """A table with one header row (repeated on every page) and columns sharing the text width by ``weights``."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Inline, ...], ...]
    weights: tuple[float, ...]
    caption: str | None = None
    numeric: frozenset[int] = field(default_factory=frozenset)
    """Columns of numbers, aligned right."""

    def __post_init__(self) -> None:
        if len(self.weights) != len(self.headers) or any(len(row) != len(self.headers) for row in self.rows):
            raise ValueError("every row and the weights must have one entry per header")


@dataclass(frozen=True)
class Figure:
    """A picture (PNG) scaled to fit the text area, with a caption and alternative text for screen readers."""

    png: bytes
    width_px: int
    height_px: int
    caption: str
    alt: str


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Paragraph | Table | Figure | PageBreak


@dataclass(frozen=True)
class Manuscript:
    title: str
    authors: tuple[str, ...]
    blocks: tuple[Block, ...]
