"""Records and findings to the typed view every document template reads.

Templates are the review team's to override, so what reaches them is a documented, typed interface:
frozen dataclasses, computed once here, in a stable order. Geometry for the figures is computed here
too; the markup of the figures lives in the templates, where autoescape applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

from crm_review.analysis import Findings, Pattern, PrincipleFindings, analyse
from crm_review.confidence import ConfidenceView, confidence_view
from crm_review.escape import doi_url, href
from crm_review.model import (
    RELATIONS,
    Assessment,
    Direction,
    Quote,
    Relation,
    Review,
    ReviewConfig,
    Source,
    SuggestionRule,
)
from crm_review.palette import (
    DIRECTION_COLOURS,
    DIRECTION_SYMBOLS,
    RELATION_COLOURS,
    RELATION_DASHES,
    RELATION_SYMBOLS,
    SEVERAL_COLOUR,
)
from crm_review.verify import QuoteVerification, Status

NETWORK_MAX_SOURCES = 20
"""Above this many sources the principle-source network is a tangle; the evidence map carries it alone."""


# --- sources and CMOCs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """The parts of a reference-list entry; ``link`` is set only for a DOI or an http(s) URL."""

    authors: str | None
    year: str
    title: str
    details: str | None
    link: str | None
    shown_url: str | None
    """A URL that is not safe to link, shown as text so that no word of the evidence is lost."""


@dataclass(frozen=True)
class SourceView:
    record: Source
    citation: str
    """``Montenegro & Mercado (2020)``: for headings and tables."""
    in_text: str
    """``Montenegro & Mercado 2020``: inside parentheses, before a locator."""
    reference: Reference

    @property
    def id(self) -> str:
        return self.record.id


@dataclass(frozen=True)
class LinkView:
    """One principle a CMOC informs, with the relation and where the principle's section is."""

    principle_id: str
    principle_number: int
    title: str
    relation: Relation


# The view's records of every CMOC, quote and table row are made tens of thousands of times for a large
# review, before any document can start: they are not frozen, since a frozen dataclass sets each field
# through object.__setattr__, which made them three times slower to make (the view took 0.13 s instead of
# 0.09 s at 6,000 CMOCs). Nothing assigns to them once made; templates cannot.


@dataclass(slots=True)
class QuoteView:
    """A quote with its locator, and what ``crm verify`` found of it in the source's full text."""

    quote: str
    locator: str
    verification: Status
    """``unchecked`` when the review was not verified, or the source has no full text."""
    found_on: str | None
    """``p. 230`` when the quote stands on another page than its locator names; otherwise None."""

    @property
    def note(self) -> str | None:
        """What a reader should know of the quote against its full text, in words; None when nothing."""
        return quote_note(self.verification, self.found_on)


def quote_note(verification: Status, found_on: str | None) -> str | None:
    """``not found in the full text``, ``differs from the full text``, ``on p. 230 of the full text``."""
    notes = {"approximate": ["differs from the full text"], "not-found": ["not found in the full text"]}
    found = notes.get(verification, []) + ([f"on {found_on} of the full text"] if found_on else [])
    return "; ".join(found) or None


@dataclass(slots=True)
class CmocView:
    """A CMOC's fields at the first level (templates read them thousands of times), its source and its links."""

    id: str
    context: str
    resource: str
    response: str
    outcome: str
    direction: Direction
    direction_symbol: str
    themes: tuple[str, ...]
    evidence: tuple[QuoteView, ...]
    notes: str | None
    source: SourceView
    links: tuple[LinkView, ...]


@dataclass(slots=True)
class CmocRow:
    """A CMOC as one compact row of a principle's tables, with its relation to that principle."""

    cmoc: CmocView
    relation: Relation
    relation_symbol: str


@dataclass(frozen=True)
class PatternView:
    pattern: Pattern
    rows: tuple[CmocRow, ...]

    @property
    def theme(self) -> str:
        return self.pattern.theme

    def count(self, direction: Direction) -> int:
        return len(self.pattern.outcomes[direction])


@dataclass(frozen=True)
class PrincipleView:
    number: int
    finding: PrincipleFindings
    patterns: tuple[PatternView, ...]
    others: tuple[CmocRow, ...]
    countries: str
    designs: str
    confidence: ConfidenceView
    """The review team's GRADE-CERQual judgement, or "not assessed" with the rule's suggestion apart."""
    contributing: str
    """The sources contributing to the finding, cited in text: ``De Weger et al. 2018; Montenegro & Mercado 2020``."""

    @property
    def id(self) -> str:
        return self.finding.id

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.finding.title}"


@dataclass(frozen=True)
class SourceEntries:
    """One source's CMOCs in the evidence appendix."""

    source: SourceView
    cmocs: tuple[CmocView, ...]


# --- figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapRow:
    """One source's row of the evidence map: per principle, its CMOCs by relation."""

    source: SourceView
    cells: tuple[dict[Relation, int], ...]


@dataclass(frozen=True)
class EvidenceMap:
    """Principles by sources, CMOC counts split by relation: legible at any number of sources."""

    principles: tuple[PrincipleView, ...]
    rows: tuple[MapRow, ...]


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int
    label: str
    title: str
    css: str


@dataclass(frozen=True)
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int
    width: float
    css: str
    title: str


@dataclass(frozen=True)
class NetworkFigure:
    """Principles left, sources right, a line per pair whose style says how the CMOCs bear on the principle."""

    width: int
    height: int
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]


@dataclass(frozen=True)
class Arrow:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class FlowFigure:
    """The PRISMA-style document flow: stages in a column, each exclusion to its side."""

    width: int
    height: int
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]


@dataclass(frozen=True)
class FlowStage:
    name: str
    label: str
    count: int


@dataclass(frozen=True)
class FlowLink:
    """From one stage to the next (``side`` False) or to the documents excluded there (``side`` True)."""

    source: str
    target: str
    side: bool


# --- the whole document --------------------------------------------------------------------------


@dataclass(frozen=True)
class RamesesItem:
    """A RAMESES item; ``section`` names the part of the document that covers it (templates own anchors)."""

    item: int
    name: str
    status: str
    section: str | None
    note: str


@dataclass(frozen=True)
class PrinciplePair:
    first: str
    second: str
    cmocs: int


@dataclass(frozen=True)
class Summary:
    sources: int
    cmocs: int
    principles: int
    covered: int


@dataclass(frozen=True)
class ReviewView:
    config: ReviewConfig
    rule: SuggestionRule
    summary: Summary
    principles: tuple[PrincipleView, ...]
    sources: tuple[SourceView, ...]
    """Sorted as in the reference list: by first author, year, id."""
    appendix: tuple[SourceEntries, ...]
    evidence_map: EvidenceMap
    network: NetworkFigure | None
    flow_stages: tuple[FlowStage, ...]
    flow: FlowFigure | None
    flow_links: tuple[FlowLink, ...]
    gaps: tuple[PrincipleView, ...]
    thin: tuple[PrincipleView, ...]
    cooccurrence: tuple[PrinciplePair, ...]
    rameses: tuple[RamesesItem, ...]
    relation_symbols: dict[Relation, str]
    direction_symbols: dict[Direction, str]
    relation_colours: dict[Relation, str]
    direction_colours: dict[Direction, str]
    relation_dashes: dict[Relation, str | None]
    several_colour: str
    verification: QuoteVerification | None = None
    """How many quotes `crm verify` found in the sources' full texts; None when not checked."""


class AnalysedReview:
    """A review, its findings and what ``crm verify`` found of its quotes: what every document is rendered from.

    Findings not given are worked out when a document first needs them, and so are the verification (by
    ``verify``, when given instead of ``verification``) and the view; each is then shared by every
    document rendered in this process, and in processes forked after it was worked out.
    ``pipeline.synthesize`` works out the findings once, then forks the renderers that need no view
    (review.json, the explorer, the tables), so that they are under way on another core while this
    process builds the view for the others.
    """

    def __init__(
        self,
        review: Review,
        findings: Findings | None = None,
        verification: QuoteVerification | None = None,
        *,
        verify: Callable[[Review], QuoteVerification | None] | None = None,
    ) -> None:
        self.review = review
        if findings is not None:
            self.__dict__["findings"] = findings
        if verify is None:
            self.__dict__["verification"] = verification
        self._verify = verify

    @cached_property
    def findings(self) -> Findings:
        return analyse(self.review)

    @cached_property
    def verification(self) -> QuoteVerification | None:
        assert self._verify is not None  # set in __init__ otherwise
        return self._verify(self.review)

    @cached_property
    def view(self) -> ReviewView:
        return build_view(self.review, self.findings, self.verification)

    def release(self) -> None:
        """Let go of the review and what was worked out from it, once nothing here will render from them again.

        Documents rendered in forked processes keep their own copies. A large review's records and view
        are millions of objects, whose freeing takes a tenth of a second: ``pipeline.synthesize`` frees
        them while the last documents are still being rendered elsewhere, not after.
        """
        for name in ("findings", "verification", "view"):
            self.__dict__.pop(name, None)
        del self.review


def reference_of(source: Source) -> Reference:
    """A source's entry in the reference list, its link decided by ``escape.href`` and ``escape.doi_url``."""
    details = source.journal or ""
    if source.volume:
        details += f" {source.volume}" + (f"({source.issue})" if source.issue else "")
    if source.pages:
        details += f", {source.pages}" if details else source.pages
    link = doi_url(source.doi) if source.doi else href(source.url)
    return Reference(
        authors="; ".join(source.authors) if source.authors else None,
        year=source.year_label(),
        title=source.title,
        details=details.strip() or None,
        link=link,
        shown_url=source.url if source.url and link is None else None,
    )


def reference_order(source: Source) -> tuple[str, int, str]:
    """The order of the reference list: first author, then year, then id."""
    return (source.short_authors().casefold() or source.title.casefold(), source.year or 0, source.id)


def build_view(review: Review, findings: Findings, verification: QuoteVerification | None = None) -> ReviewView:
    """Everything the document templates show, computed once, in a stable order."""
    number = {f.id: i for i, f in enumerate(findings.principles, start=1)}
    titles = {f.id: f.title for f in findings.principles}
    sources = {s.id: SourceView(s, s.citation(), s.in_text(), reference_of(s)) for s in review.sources}
    ordered = tuple(sorted(sources.values(), key=lambda v: reference_order(v.record)))
    link_views = {(p, r): LinkView(p, number[p], titles[p], r) for p in number for r in RELATIONS}  # shared: frozen
    cmocs = {
        cmoc.id: CmocView(
            id=cmoc.id,
            context=cmoc.context,
            resource=cmoc.mechanism.resource,
            response=cmoc.mechanism.response,
            outcome=cmoc.outcome,
            direction=cmoc.direction,
            direction_symbol=DIRECTION_SYMBOLS[cmoc.direction],
            themes=tuple(cmoc.themes),
            evidence=_quotes(cmoc.id, cmoc.evidence, verification),
            notes=cmoc.notes,
            source=sources[source.id],
            links=tuple(link_views[link] for link in cmoc.links if link in link_views),
        )
        for source, cmoc in review.cmocs()
    }
    assessments = {a.principle: a for a in review.assessments}
    principles = tuple(
        _principle_view(f, number[f.id], cmocs, ordered, assessments.get(f.id)) for f in findings.principles
    )
    by_id = {p.id: p for p in principles}
    stages = flow_stages(review.config)
    appendix = tuple(
        SourceEntries(view, tuple(cmocs[c.id] for c in view.record.cmocs)) for view in ordered if view.record.cmocs
    )
    return ReviewView(
        config=review.config,
        rule=review.config.rule,
        summary=Summary(
            sources=len(review.sources),
            cmocs=len(cmocs),
            principles=len(review.principles),
            covered=sum(1 for f in findings.principles if f.cmoc_ids),
        ),
        principles=principles,
        sources=ordered,
        appendix=appendix,
        evidence_map=_evidence_map(principles, ordered),
        network=_network(principles, ordered) if len(ordered) <= NETWORK_MAX_SOURCES else None,
        flow_stages=stages,
        flow=_flow_figure(stages),
        flow_links=_flow_links(stages),
        gaps=tuple(by_id[i] for i in findings.gaps),
        thin=tuple(by_id[i] for i in findings.thin),
        cooccurrence=tuple(PrinciplePair(titles[a], titles[b], n) for a, b, n in findings.cooccurrence),
        rameses=rameses_checklist(review, findings, verification),
        relation_symbols=RELATION_SYMBOLS,
        direction_symbols=DIRECTION_SYMBOLS,
        verification=verification,
        relation_colours=RELATION_COLOURS,
        direction_colours=DIRECTION_COLOURS,
        relation_dashes=RELATION_DASHES,
        several_colour=SEVERAL_COLOUR,
    )


def _quotes(cmoc_id: str, quotes: list[Quote], verification: QuoteVerification | None) -> tuple[QuoteView, ...]:
    if verification is None:
        return tuple(QuoteView(q.quote, q.locator, "unchecked", None) for q in quotes)
    return tuple(
        QuoteView(q.quote, q.locator, verification.status(cmoc_id, n), verification.found_on(cmoc_id, n))
        for n, q in enumerate(quotes, start=1)
    )


def _principle_view(
    finding: PrincipleFindings,
    number: int,
    cmocs: dict[str, CmocView],
    sources: tuple[SourceView, ...],
    assessment: Assessment | None,
) -> PrincipleView:
    contributing = set(finding.source_ids)

    def rows(ids: tuple[str, ...]) -> tuple[CmocRow, ...]:
        return tuple(CmocRow(cmocs[i], finding.relations[i], RELATION_SYMBOLS[finding.relations[i]]) for i in ids)

    return PrincipleView(
        number=number,
        finding=finding,
        patterns=tuple(PatternView(p, rows(p.cmoc_ids)) for p in finding.patterns),
        others=rows(finding.unpatterned),
        countries=", ".join(finding.countries) or "not stated",
        designs="; ".join(finding.designs) or "not stated",
        confidence=confidence_view(
            finding.statement, finding.cmoc_ids, finding.suggestion, finding.suggested_confidence, assessment
        ),
        contributing="; ".join(s.in_text for s in sources if s.id in contributing),
    )


def _evidence_map(principles: tuple[PrincipleView, ...], sources: tuple[SourceView, ...]) -> EvidenceMap:
    empty: dict[Relation, int] = dict.fromkeys(RELATIONS, 0)
    counts = {(p.id, links.source_id): links.relations for p in principles for links in p.finding.by_source}
    rows = tuple(
        MapRow(s, tuple(counts.get((p.id, s.id), empty) for p in principles))
        for s in sources
        if any((p.id, s.id) in counts for p in principles)
    )
    return EvidenceMap(principles, rows)


# --- the network figure (small reviews only) -----------------------------------------------------

_ROW = 46
_BOX_W = 300
_BOX_H = 34
_WIDTH = 860
_LABEL_CHARS = 40


def _shorten(label: str) -> str:
    text = " ".join(label.split())
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _column(count: int, height: int) -> list[int]:
    top = (height - 40 - count * _ROW) // 2 + _ROW // 2
    return [top + i * _ROW for i in range(count)]


def _network(principles: tuple[PrincipleView, ...], sources: tuple[SourceView, ...]) -> NetworkFigure:
    linked_sources = [s for s in sources if any(s.id in p.finding.source_ids for p in principles)]
    height = max(len(principles), len(linked_sources), 1) * _ROW + 70
    left_y = _column(len(principles), height)
    right_y = {s.id: y for s, y in zip(linked_sources, _column(len(linked_sources), height), strict=True)}
    boxes = [
        Box(10, y - _BOX_H // 2, _BOX_W, _BOX_H, _shorten(p.finding.title), p.finding.title,
            "node principle" + (" gap" if not p.finding.cmoc_ids else ""))
        for p, y in zip(principles, left_y, strict=True)
    ]  # fmt: skip
    boxes += [
        Box(_WIDTH - _BOX_W - 10, right_y[s.id] - _BOX_H // 2, _BOX_W, _BOX_H, _shorten(s.citation), s.citation,
            "node source")
        for s in linked_sources
    ]  # fmt: skip
    citations = {s.id: s.citation for s in sources}
    edges = []
    for p, y1 in zip(principles, left_y, strict=True):
        for links in p.finding.by_source:
            present = [r for r in RELATIONS if links.relations[r]]
            detail = ", ".join(f"{links.relations[r]} {r}" for r in present)
            edges.append(
                Edge(
                    _BOX_W + 10,
                    y1,
                    _WIDTH - _BOX_W - 10,
                    right_y[links.source_id],
                    1.5 + 1.5 * links.total,
                    "edge " + (present[0] if len(present) == 1 else "several"),
                    f"{p.finding.title}: {citations[links.source_id]}: {links.total} CMOC(s), {detail}",
                )
            )
    return NetworkFigure(_WIDTH, height, tuple(boxes), tuple(edges))


# --- the document flow ---------------------------------------------------------------------------

SEARCH_STAGES = {
    "identified": "Records identified",
    "duplicates_removed": "Duplicates removed",
    "screened": "Records screened (title and abstract)",
    "excluded_at_screening": "Excluded at screening",
    "full_text_assessed": "Full texts assessed",
    "excluded_at_full_text": "Excluded at full text",
    "included": "Documents included",
}
MAIN_FLOW = ("identified", "screened", "full_text_assessed", "included")
SIDE_FLOW = {
    "duplicates_removed": "identified",
    "excluded_at_screening": "screened",
    "excluded_at_full_text": "full_text_assessed",
}
_FLOW_BOX_W = 340
_FLOW_SIDE_W = 220
_FLOW_BOX_H = 52
_FLOW_STEP = 92


def flow_stages(config: ReviewConfig) -> tuple[FlowStage, ...]:
    """The recorded search counts, in the order of the flow."""
    if config.search is None:
        return ()
    counts = {name: getattr(config.search, name) for name in SEARCH_STAGES}
    return tuple(
        FlowStage(name, label, counts[name]) for name, label in SEARCH_STAGES.items() if counts[name] is not None
    )


def _flow_figure(stages: tuple[FlowStage, ...]) -> FlowFigure | None:
    if not stages:
        return None
    counts = {s.name: s for s in stages}
    main = [name for name in MAIN_FLOW if name in counts]
    boxes: list[Box] = []
    arrows: list[Arrow] = []
    centre = 20 + _FLOW_BOX_W // 2
    y_of: dict[str, int] = {}
    for row, name in enumerate(main):
        y = 20 + row * _FLOW_STEP
        y_of[name] = y
        stage = counts[name]
        boxes.append(Box(20, y, _FLOW_BOX_W, _FLOW_BOX_H, f"{stage.label}: {stage.count}", stage.label, "stage"))
    arrows += [Arrow(centre, y_of[a] + _FLOW_BOX_H, centre, y_of[b]) for a, b in pairwise(main)]
    side_x = 20 + _FLOW_BOX_W + 60
    for side, parent in SIDE_FLOW.items():
        if side in counts and parent in y_of:
            y = y_of[parent] + _FLOW_STEP // 2
            stage = counts[side]
            boxes.append(
                Box(side_x, y, _FLOW_SIDE_W, _FLOW_BOX_H, f"{stage.label}: {stage.count}", stage.label, "stage side")
            )
            arrows.append(Arrow(centre, y + _FLOW_BOX_H // 2, side_x, y + _FLOW_BOX_H // 2))
    height = max(b.y + b.height for b in boxes) + 20 if boxes else 40
    return FlowFigure(side_x + _FLOW_SIDE_W + 20, height, tuple(boxes), tuple(arrows))


def _flow_links(stages: tuple[FlowStage, ...]) -> tuple[FlowLink, ...]:
    names = {s.name for s in stages}
    main = [name for name in MAIN_FLOW if name in names]
    links = [FlowLink(a, b, side=False) for a, b in pairwise(main)]
    links += [FlowLink(parent, side, side=True) for side, parent in SIDE_FLOW.items() if {side, parent} <= names]
    return tuple(links)


# --- RAMESES publication standards for realist syntheses (Wong et al. 2013) ----------------------

RAMESES_ITEMS = (
    "Title",
    "Abstract",
    "Rationale for review",
    "Objectives and focus of review",
    "Changes in the review process",
    "Rationale for using realist synthesis",
    "Scoping the literature",
    "Searching processes",
    "Selection and appraisal of documents",
    "Data extraction",
    "Analysis and synthesis processes",
    "Document flow diagram",
    "Document characteristics",
    "Main findings",
    "Summary of findings",
    "Strengths, limitations and future research directions",
    "Comparison with existing literature",
    "Conclusion and recommendations",
    "Funding",
)


def _summary_item(review: Review, findings: Findings) -> tuple[str, str | None, str]:
    """Item 15 is covered by the Summary of Qualitative Findings once the team has judged every finding."""
    with_evidence = [f.id for f in findings.principles if f.cmoc_ids]
    assessed = {a.principle for a in review.assessments} & set(with_evidence)
    note = "the Summary of Qualitative Findings: the review team's GRADE-CERQual confidence in each finding, and why"
    if with_evidence and len(assessed) == len(with_evidence):
        return ("covered", "summary", note)
    return ("partly", "summary", f"{note} ({len(assessed)} of {len(with_evidence)} findings with evidence assessed)")


def _verified(verification: QuoteVerification | None) -> str:
    """RAMESES item 10's word on verification: how many quotes were checked against the full texts."""
    if verification is None or not verification.quotes:
        return ""
    if verification.unchecked == verification.quotes:
        return "; the quotes were not checked against full texts (none was available)"
    return f"; {verification.verified} of {verification.quotes} quotes verified against the full texts (see Method)"


def rameses_checklist(
    review: Review, findings: Findings, verification: QuoteVerification | None = None
) -> tuple[RamesesItem, ...]:
    """Each of the 19 items with what this document covers of it and in which section; the rest is the team's."""
    has_search = review.config.search is not None
    realist_title = "realist" in review.config.title.lower()
    first_principle = "principles" if findings.principles else None
    covered: dict[int, tuple[str, str | None, str]] = {
        1: ("covered" if realist_title else "partly", None, "the title; RAMESES asks that it name the review a realist synthesis"),
        4: ("covered", None, "the review question, at the top"),
        6: ("partly", "method", "the method summary; the rationale is the team's to argue"),
        8: ("partly" if has_search else "not covered", "flow", "search counts from configs/review.yaml"),
        9: ("covered", "characteristics", "relevance and rigour of each source"),
        10: ("covered", "appendix", "CMOCs with verbatim quotes and their locators, in the evidence appendix" + _verified(verification)),
        11: ("covered", "method", "how CMOCs test the principles (supports, refutes, refines) and how patterns are found"),
        12: ("covered" if has_search else "not covered", "flow", "the document flow"),
        13: ("covered", "characteristics", "design, countries, setting, appraisal"),
        14: ("covered", first_principle, "one section per principle, with its recurring patterns"),
        15: _summary_item(review, findings),
        16: ("partly", "gaps", "principles with missing or thin evidence"),
    }  # fmt: skip
    items = []
    for number, name in enumerate(RAMESES_ITEMS, start=1):
        status, section, note = covered.get(number, ("not covered", None, "write it in the review report"))
        items.append(RamesesItem(number, name, status, section, note))
    return tuple(items)
