"""The whole pipeline, load -> validate -> graph -> analyse -> render, one function per command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property, partial
from pathlib import Path

from crm_review import layout
from crm_review.assessments import assessment_problems
from crm_review.checks import cross_file_problems
from crm_review.errors import HasProblems, InvalidEvidence, Problem, StaleOutput
from crm_review.load import ReviewFiles, collector_paused, load_review_files
from crm_review.model import Review
from crm_review.outputs import DEFAULT_FORMATS, import_renderers
from crm_review.progress import advance
from crm_review.workers import cores

PARALLEL_FROM_CMOCS = 2_000
"""From this many CMOCs each document is rendered in its own process; below it, starting one costs more."""


@dataclass(frozen=True)
class Validation(HasProblems):
    """What ``crm validate`` found: every problem, sorted, and the review when it has no errors.

    The review's records are built only when asked for (``review``): checking needs ids and links only.
    """

    files: ReviewFiles
    problems: tuple[Problem, ...]

    @cached_property
    def review(self) -> Review | None:
        return None if self.errors else _assemble(self.files)

    def counts(self) -> tuple[int, int]:
        """How many sources and CMOCs the review holds (read from the outlines, without records)."""
        outlines = self.files.outlines()
        return len(outlines), sum(len(outline.cmocs) for _, outline in outlines)


def validate(
    root: Path,
    *,
    use_cache: bool = True,
    keep_records: bool = False,
    write_cache: bool = True,
    readers: int | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Validation:
    """Read and check the whole review; collect every problem of every file.

    Files unchanged since an earlier run come from the review's ``.crm-cache/`` unless ``use_cache`` is
    off. A large review's other files are read by ``readers`` processes, by default one per core this
    process may use (``load.READ_APART_FROM_BYTES``); ``meanwhile`` is called while they read. The result
    is the same either way.
    """
    files = load_review_files(
        root,
        use_cache=use_cache,
        keep_records=keep_records,
        write_cache=write_cache,
        readers=cores() if readers is None else readers,
        meanwhile=meanwhile,
    )
    return check(files)


def check(files: ReviewFiles) -> Validation:
    """Check files already read: their own problems and the rules across them, sorted."""
    found = [*files.problems, *cross_file_problems(files), *assessment_problems(files)]
    problems = sorted(found, key=Problem.sort_key)
    return Validation(files, tuple(problems))


def load_valid_review(
    root: Path,
    *,
    use_cache: bool = True,
    write_cache: bool = True,
    readers: int | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Review:
    """The review, or :class:`InvalidEvidence` with every error when it has any (options as for :func:`validate`)."""
    result = validate(
        root, use_cache=use_cache, keep_records=True, write_cache=write_cache, readers=readers, meanwhile=meanwhile
    )
    if result.review is None:
        raise InvalidEvidence(list(result.errors))
    return result.review


def _assemble(files: ReviewFiles) -> Review:
    assert files.config is not None and files.taxonomy is not None  # guaranteed: no errors were found
    sources = []
    for done, loaded in enumerate(files.sources, 1):
        sources.append(loaded.record)
        advance("Building records", done, len(files.sources))
    return Review(
        config=files.config.record,
        principles=tuple(files.taxonomy.record.principles),
        sources=tuple(sources),
        assessments=tuple(loaded.record for loaded in files.assessments),
    )


@dataclass(frozen=True)
class Synthesis:
    """What ``crm synthesize`` wrote (or, with ``check``, found up to date)."""

    paths: tuple[Path, ...]


def synthesize(
    root: Path,
    out: Path | None = None,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    *,
    check: bool = False,
    use_cache: bool = True,
) -> Synthesis:
    """load -> validate -> analyse -> render; then write each document atomically, or compare.

    The analysis reads the typed records directly; the graph serves the exports (``crm graph``).

    Each document is rendered straight into a temporary file beside it, never whole in memory; only when
    every one is complete do they replace the old ones, as one set (``files.replacing``), so a failure
    leaves the previous documents in place. A large review's documents are rendered side by side, one
    process each (``workers.run_jobs``). With ``check``, nothing is written: each document is compared
    with the file as it is rendered, and :class:`StaleOutput` names every one that differs.
    """
    with collector_paused():  # see there: nothing built here makes a cycle, the records are long-lived
        return _synthesize(root, out, formats, check=check, use_cache=use_cache)


def _synthesize(root: Path, out: Path | None, formats: tuple[str, ...], *, check: bool, use_cache: bool) -> Synthesis:
    from crm_review.files import replacing, same_content, write_file
    from crm_review.outputs import output_writers, reads_the_view, start_order
    from crm_review.verify import for_review
    from crm_review.view import AnalysedReview
    from crm_review.workers import run_jobs

    # What rendering needs is imported while other processes read the evidence, not after.
    review = load_valid_review(
        root, use_cache=use_cache, write_cache=not check, meanwhile=partial(import_renderers, formats)
    )
    folder = out if out is not None else root / layout.OUTPUT_DIR
    parallel = len(review.cmocs()) >= PARALLEL_FROM_CMOCS

    analysed_review = AnalysedReview(review, verify=partial(for_review, root=root, write_cache=not check))
    del review  # from here on held by analysed_review alone, which lets go of it once this process is done
    writers = output_writers(analysed_review, formats, root / layout.TEMPLATES_DIR)

    @cache
    def analysed() -> None:
        advance("Analysing", 0, 1)
        analysed_review.findings  # noqa: B018 - worked out for its side effect: every document shares them
        analysed_review.verification  # noqa: B018
        advance("Analysing", 1, 1)

    @cache
    def viewed() -> None:
        analysed()
        advance("Preparing the documents", 0, 1)
        analysed_review.view  # noqa: B018 - built for its side effect: the documents that read it share it
        advance("Preparing the documents", 1, 1)

    # The findings are worked out here once, before the first document starts; the documents that need no
    # view start first (in forked processes when the review is large), so that they are under way on other
    # cores while this process builds the view, once, before the first document that reads it starts. The
    # last document runs here.
    started = start_order(writers)
    prepared = {name: viewed if reads_the_view(name) else analysed for name in started}
    # Once this process's document is done and every other has started, the review is freed while they finish.
    release = analysed_review.release
    if check:
        comparing = {name: partial(same_content, folder / name, writers[name]) for name in started}
        same = run_jobs(comparing, parallel=parallel, before=prepared, done_here=release)
        stale = [layout.shown(folder / name) for name in writers if not same[name]]
        if stale:
            raise StaleOutput(stale)
    else:
        with replacing([folder / name for name in writers]) as temporaries:
            writing = {name: partial(write_file, temporaries[folder / name], writers[name]) for name in started}
            run_jobs(writing, parallel=parallel, before=prepared, done_here=release)
    return Synthesis(tuple(layout.shown(folder / name) for name in writers))


def export(root: Path, fmt: str) -> str:
    """The review's graph as text in ``fmt`` (graphml, gexf, json, dot or mermaid)."""
    from crm_review.export import export_graph
    from crm_review.graph import build_graph

    return export_graph(build_graph(load_valid_review(root)), fmt)
