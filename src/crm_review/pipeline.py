"""The whole pipeline, load -> validate -> graph -> analyse -> render, one function per command."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from crm_review import layout
from crm_review.assessments import assessment_problems
from crm_review.checks import cross_file_problems
from crm_review.errors import InvalidEvidence, Problem, StaleOutput
from crm_review.load import ReviewFiles, load_review_files
from crm_review.model import Review
from crm_review.outputs import DEFAULT_FORMATS


@dataclass(frozen=True)
class Validation:
    """What ``crm validate`` found: the review (when it has no errors) and every problem, sorted."""

    review: Review | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    def failed(self, *, strict: bool = False) -> bool:
        return bool(self.errors) or (strict and bool(self.warnings))


def validate(root: Path) -> Validation:
    """Read and check the whole review; collect every problem of every file."""
    return check(load_review_files(root))


def check(files: ReviewFiles) -> Validation:
    """Check files already read: their own problems and the rules across them, sorted."""
    found = [*files.problems, *cross_file_problems(files), *assessment_problems(files)]
    problems = sorted(found, key=Problem.sort_key)
    has_errors = any(p.severity == "error" for p in problems)
    review = None if has_errors else _assemble(files)
    return Validation(review, tuple(problems))


def load_valid_review(root: Path) -> Review:
    """The review, or :class:`InvalidEvidence` with every error when it has any."""
    result = validate(root)
    if result.review is None:
        raise InvalidEvidence(list(result.errors))
    return result.review


def _assemble(files: ReviewFiles) -> Review:
    assert files.config is not None and files.taxonomy is not None  # guaranteed: no errors were found
    return Review(
        config=files.config.record,
        principles=tuple(files.taxonomy.record.principles),
        sources=tuple(loaded.record for loaded in files.sources),
        assessments=tuple(loaded.record for loaded in files.assessments),
    )


@dataclass(frozen=True)
class Synthesis:
    """What ``crm synthesize`` wrote (or, with ``check``, found up to date)."""

    paths: tuple[Path, ...]


def synthesize(
    root: Path, out: Path | None = None, formats: tuple[str, ...] = DEFAULT_FORMATS, *, check: bool = False
) -> Synthesis:
    """load -> validate -> analyse -> render; then write each document atomically, or compare.

    The analysis reads the typed records directly; the graph serves the exports (``crm graph``).

    Everything is rendered in memory first, so a failure leaves the previous documents in place. With
    ``check``, nothing is written and :class:`StaleOutput` names every document that differs.
    """
    from crm_review.analysis import analyse
    from crm_review.files import write_all_atomic
    from crm_review.outputs import render_outputs
    from crm_review.verify import for_document, verify_quotes

    review = load_valid_review(root)
    with _long_lived(review):
        findings = analyse(review)
        verification = for_document(verify_quotes(review, root, write_cache=not check), len(review.sources))
        documents = render_outputs(review, findings, formats, root / layout.TEMPLATES_DIR, verification)
    folder = out if out is not None else root / layout.OUTPUT_DIR
    paths = {folder / name: content for name, content in documents.items()}
    if check:
        stale = [layout.shown(p) for p, content in paths.items() if not p.is_file() or p.read_bytes() != content]
        if stale:
            raise StaleOutput(stale)
    else:
        write_all_atomic(paths)
    return Synthesis(tuple(layout.shown(p) for p in paths))


@contextmanager
def _long_lived(review: Review) -> Iterator[None]:
    """Exempt the loaded records from the cycle collector's scans while documents are built.

    The records live until the command ends, and rendering allocates millions of short-lived strings; without
    this, each full collection walks every record again (measured: rendering took twice as long).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def export(root: Path, fmt: str) -> str:
    """The review's graph as text in ``fmt`` (graphml, gexf, json, dot or mermaid)."""
    from crm_review.export import export_graph
    from crm_review.graph import build_graph

    return export_graph(build_graph(load_valid_review(root)), fmt)
