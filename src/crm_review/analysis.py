"""Graph to findings: what supports each principle, where the evidence disagrees, how far to trust it.

Pure and deterministic: every list is sorted, nothing depends on file order or the clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations, product

from crm_review.graph import ReviewGraph, node_id, nodes_of_kind
from crm_review.model import DIRECTIONS, RATINGS, ConfidenceRule

LEVELS = ("high", "moderate", "low", "very low")
NOT_APPRAISED = "not appraised"


@dataclass(frozen=True)
class Component:
    """One GRADE-CERQual-inspired component of the confidence rule, judged for one principle."""

    name: str
    concern: bool
    reason: str

    def sentence(self) -> str:
        return f"{self.name}: {'concern' if self.concern else 'no concern'}: {self.reason}"


@dataclass(frozen=True)
class Theme:
    """A mechanism tag shared by CMOCs from two or more sources."""

    name: str
    cmoc_ids: tuple[str, ...]
    source_ids: tuple[str, ...]


@dataclass(frozen=True)
class PrincipleFindings:
    id: str
    title: str
    statement: str
    cmoc_ids: tuple[str, ...]
    source_ids: tuple[str, ...]
    countries: tuple[str, ...]
    designs: tuple[str, ...]
    relevance: dict[str, int]
    rigour: dict[str, int]
    directions: dict[str, int]
    by_source: tuple[tuple[str, dict[str, int]], ...]
    contrasts: tuple[tuple[str, str], ...]
    themes: tuple[Theme, ...]
    confidence: str | None
    components: tuple[Component, ...]

    @property
    def confidence_reasons(self) -> tuple[str, ...]:
        if self.confidence is None:
            return ("no CMOC links to this principle",)
        return tuple(c.sentence() for c in self.components)

    @property
    def thin(self) -> bool:
        return any(c.name == "adequacy" and c.concern for c in self.components)


@dataclass(frozen=True)
class Findings:
    principles: tuple[PrincipleFindings, ...]
    gaps: tuple[str, ...]
    thin: tuple[str, ...]
    cooccurrence: tuple[tuple[str, str, int], ...]
    themes: tuple[Theme, ...]


def analyse(graph: ReviewGraph, rule: ConfidenceRule) -> Findings:
    """Findings for every principle of the graph, in the taxonomy's order."""
    order = {p: i for i, p in enumerate(graph.graph.get("principle_order", []))}
    principle_nodes = sorted(nodes_of_kind(graph, "principle"), key=lambda n: (order.get(n, len(order)), n))
    findings = tuple(_principle(graph, node, rule) for node in principle_nodes)
    return Findings(
        principles=findings,
        gaps=tuple(f.id for f in findings if not f.cmoc_ids),
        thin=tuple(f.id for f in findings if f.cmoc_ids and f.thin),
        cooccurrence=_cooccurrence(graph),
        themes=_recurring_themes(graph, nodes_of_kind(graph, "cmoc")),
    )


def _principle(graph: ReviewGraph, node: str, rule: ConfidenceRule) -> PrincipleFindings:
    data = graph.nodes[node]
    cmoc_nodes = sorted(graph.predecessors(node))
    source_nodes = sorted({graph.nodes[c]["source"] for c in cmoc_nodes})
    sources = [graph.nodes[node_id("source", s)] for s in source_nodes]
    positives = [graph.nodes[c]["id"] for c in cmoc_nodes if graph.nodes[c]["direction"] == "positive"]
    negatives = [graph.nodes[c]["id"] for c in cmoc_nodes if graph.nodes[c]["direction"] == "negative"]
    contrasts = tuple(product(positives, negatives))
    components = _components(sources, len(cmoc_nodes), len(contrasts), rule) if cmoc_nodes else ()
    concerns = sum(c.concern for c in components)
    return PrincipleFindings(
        id=data["id"],
        title=data["label"],
        statement=data["statement"],
        cmoc_ids=tuple(graph.nodes[c]["id"] for c in cmoc_nodes),
        source_ids=tuple(source_nodes),
        countries=tuple(sorted({country for s in sources for country in s["countries"]})),
        designs=tuple(sorted({s["design"] for s in sources if s["design"]})),
        relevance=_ratings(s["relevance"] for s in sources),
        rigour=_ratings(s["rigour"] for s in sources),
        directions=_direction_counts(graph.nodes[c]["direction"] for c in cmoc_nodes),
        by_source=tuple(
            (s, _direction_counts(graph.nodes[c]["direction"] for c in cmoc_nodes if graph.nodes[c]["source"] == s))
            for s in source_nodes
        ),
        contrasts=contrasts,
        themes=_recurring_themes(graph, cmoc_nodes),
        confidence=LEVELS[min(concerns, len(LEVELS) - 1)] if cmoc_nodes else None,
        components=components,
    )


def _direction_counts(directions: Iterable[str]) -> dict[str, int]:
    counts = Counter(directions)
    return {d: counts.get(d, 0) for d in DIRECTIONS}


def _ratings(values: Iterable[object]) -> dict[str, int]:
    counts = Counter(v if v is not None else NOT_APPRAISED for v in values)
    return {rating: counts.get(rating, 0) for rating in (*RATINGS, NOT_APPRAISED)}


def _components(
    sources: list[dict[str, object]], cmocs: int, contrasts: int, rule: ConfidenceRule
) -> tuple[Component, ...]:
    """The four components, each with its reason written out, thresholds quoted from configs/."""
    n = len(sources)
    weak = sum(1 for s in sources if s["rigour"] in (None, "low"))
    relevant = sum(1 for s in sources if s["relevance"] == "high")
    weak_share, relevant_share = weak / n, relevant / n
    return (
        Component(
            "methodological limitations",
            weak_share > rule.max_share_low_rigour,
            f"{weak} of {n} sources rated low in rigour or not appraised "
            f"({_percent(weak_share)}; a concern above {_percent(rule.max_share_low_rigour)})",
        ),
        Component(
            "coherence",
            contrasts > rule.max_contrasts,
            f"{contrasts} contrast(s) between positive and negative CMOCs (a concern above {rule.max_contrasts})"
            + ("; the contrasts ask in which contexts the principle works" if contrasts else ""),
        ),
        Component(
            "adequacy",
            n < rule.min_sources or cmocs < rule.min_cmocs,
            f"{n} source(s) and {cmocs} CMOC(s) (a concern below {rule.min_sources} sources or {rule.min_cmocs} CMOCs)",
        ),
        Component(
            "relevance",
            relevant_share < rule.min_share_high_relevance,
            f"{relevant} of {n} sources rated highly relevant "
            f"({_percent(relevant_share)}; a concern below {_percent(rule.min_share_high_relevance)})",
        ),
    )


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _recurring_themes(graph: ReviewGraph, cmoc_nodes: list[str]) -> tuple[Theme, ...]:
    by_theme: dict[str, list[str]] = {}
    for node in cmoc_nodes:
        for theme in graph.nodes[node]["themes"]:
            by_theme.setdefault(theme, []).append(node)
    themes = []
    for name, nodes in sorted(by_theme.items()):
        sources = sorted({graph.nodes[n]["source"] for n in nodes})
        if len(sources) >= 2:
            themes.append(Theme(name, tuple(sorted(graph.nodes[n]["id"] for n in nodes)), tuple(sources)))
    return tuple(themes)


def _cooccurrence(graph: ReviewGraph) -> tuple[tuple[str, str, int], ...]:
    """Pairs of principles linked to the same CMOCs, most shared first."""
    pairs: Counter[tuple[str, str]] = Counter()
    for node in nodes_of_kind(graph, "cmoc"):
        principles = sorted(graph.nodes[p]["id"] for p in graph.successors(node))
        pairs.update(combinations(principles, 2))
    return tuple(sorted(((a, b, n) for (a, b), n in pairs.items()), key=lambda t: (-t[2], t[0], t[1])))
