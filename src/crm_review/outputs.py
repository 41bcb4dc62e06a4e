"""Every format ``crm synthesize`` writes, the files of each, and what renders it: the one place a format is added.

Text documents come from the Jinja templates (``render.py``); the Word document, the workbook and
the CSV tables from their own writers, each imported only when its format is asked for, so that
rendering Markdown alone never loads python-docx, XlsxWriter or Pillow.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the analysis brings networkx: only the commands that render load it
    from crm_review.analysis import Findings
    from crm_review.files import ByteSink, Writer
    from crm_review.model import Review
    from crm_review.verify import QuoteVerification
    from crm_review.view import AnalysedReview

OUTPUT_FORMATS = ("md", "html", "json", "explorer", "docx", "xlsx", "csv")
"""In the order their files are written and reported."""
DEFAULT_FORMATS = ("md", "html", "json", "explorer", "docx", "xlsx")
"""What ``crm synthesize`` writes when no ``--format`` is given: the CSV files repeat the workbook."""
FILES = {
    "md": ("REVIEW.md",),
    "html": ("review.html",),
    "json": ("review.json",),
    "explorer": ("explorer.html",),
    "docx": ("review.docx",),
    "xlsx": ("evidence.xlsx",),
    "csv": ("cmocs.csv", "sources.csv", "principles.csv"),
}
TEXT_FORMATS = ("md", "html", "json", "explorer")
REFERENCE_DOCX = "reference.docx"
"""A Word file in the review's ``templates/`` whose styles and page setup the Word document takes."""


LONGEST_FIRST = ("html", "md", "docx", "explorer", "json", "xlsx", "csv")
"""The formats by how long they take to render, longest first."""
READ_THE_VIEW = ("md", "html", "docx")
"""The formats rendered from the view (``AnalysedReview.view``); the others are rendered from the records."""
_FORMAT_OF = {name: fmt for fmt, names in FILES.items() for name in names}


def output_writers(analysed: AnalysedReview, formats: tuple[str, ...], templates: Path) -> dict[str, Writer]:
    """For each requested file, by name, in the order of ``OUTPUT_FORMATS``, a function that writes it."""
    writers: dict[str, Writer] = {}
    text = tuple(f for f in OUTPUT_FORMATS if f in formats and f in TEXT_FORMATS)
    if text:
        from crm_review.render import document_writers

        writers |= document_writers(analysed, text, templates)
    if "docx" in formats:
        writers[FILES["docx"][0]] = partial(_writing, partial(_docx, analysed, templates / REFERENCE_DOCX))
    if "xlsx" in formats or "csv" in formats:
        from crm_review.tables import appendix_tables, csv_bytes

        # Made when first written (after the findings, in whichever process writes first), then shared.
        tables = cache(lambda: appendix_tables(analysed.review, analysed.findings))
        if "xlsx" in formats:
            from crm_review.xlsx_writer import workbook_bytes

            title = analysed.review.config.title
            writers[FILES["xlsx"][0]] = partial(_writing, lambda: workbook_bytes(tables(), title))
        if "csv" in formats:

            def csv_file(number: int) -> bytes:
                return csv_bytes(tables()[number])

            writers |= {name: partial(_writing, partial(csv_file, n)) for n, name in enumerate(FILES["csv"])}
    in_order = [name for fmt in OUTPUT_FORMATS for name in FILES[fmt]]
    return {name: writers[name] for name in in_order if name in writers}


RENDERERS = {
    "md": ("crm_review.render",),
    "html": ("crm_review.render",),
    "json": ("crm_review.render", "crm_review.output"),
    "explorer": ("crm_review.render",),
    "docx": ("crm_review.manuscript", "crm_review.figure_png", "crm_review.docx_writer"),
    "xlsx": ("crm_review.tables", "crm_review.xlsx_writer"),
    "csv": ("crm_review.tables",),
}
"""The modules that render each format, besides the analysis and the view every format reads."""


def import_renderers(formats: Iterable[str]) -> None:
    """Import what rendering ``formats`` takes (a few tenths of a second), e.g. while the evidence is read."""
    for name in ("crm_review.analysis", "crm_review.verify", "crm_review.view", "crm_review.files"):
        importlib.import_module(name)
    for fmt in formats:
        for name in RENDERERS[fmt]:
            importlib.import_module(name)


def start_order(names: Iterable[str]) -> list[str]:
    """File names in the order their rendering should start.

    What is rendered from the records first, so that it is under way on other cores while the view is
    built; then what reads the view. In each group the longest first (:data:`LONGEST_FIRST`).
    """
    return sorted(names, key=lambda name: (reads_the_view(name), LONGEST_FIRST.index(_FORMAT_OF[name])))


def reads_the_view(name: str) -> bool:
    """Whether the file of this name is rendered from the view."""
    return _FORMAT_OF[name] in READ_THE_VIEW


def render_outputs(
    review: Review,
    findings: Findings,
    formats: tuple[str, ...],
    templates: Path,
    verification: QuoteVerification | None = None,
) -> dict[str, bytes]:
    """The requested files by name, rendered in memory, one after another, in the order of ``OUTPUT_FORMATS``."""
    from crm_review.files import in_memory
    from crm_review.load import collector_paused
    from crm_review.view import AnalysedReview

    with collector_paused():  # as crm synthesize renders (see there)
        writers = output_writers(AnalysedReview(review, findings, verification), formats, templates)
        return {name: in_memory(writer) for name, writer in writers.items()}


def _writing(job: Callable[[], bytes], out: ByteSink) -> None:
    out.write(job())


def _docx(analysed: AnalysedReview, reference: Path) -> bytes:
    from crm_review import figure_png
    from crm_review.docx_writer import document_bytes
    from crm_review.manuscript import build_manuscript

    manuscript = build_manuscript(analysed.view, figure_png)
    return document_bytes(manuscript, reference if reference.is_file() else None)
