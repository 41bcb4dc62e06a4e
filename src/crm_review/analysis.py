"""The review's records to findings: how the evidence bears on each principle, which mechanisms recur, how far to trust it.

Works on the typed records (the graph is for exports). Pure and deterministic: every list is sorted,
nothing depends on file order or the clock, and the work grows linearly with the number of CMOCs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from operator import attrgetter
from typing import NamedTuple

from crm_review.model import DIRECTIONS, RATINGS, RELATIONS, Direction, Relation, Review, Source, SuggestionRule

LEVELS = ("high", "moderate", "low", "very low")
NOT_APPRAISED = "not appraised"
PATTERN_MIN_CMOCS = 2
"""A theme carried by this many CMOCs of one principle is a pattern."""

_OUTCOME_ORDER = {"positive": 0, "mixed": 1, "negative": 2}
"""Pattern rows read from the contexts where the outcome was positive down to those where it was negative."""


@dataclass(frozen=True)
class Component:
    """One GRADE-CERQual component as the rule in ``configs/review.yaml`` sees it: a suggestion, not a judgement."""

    name: str
    concern: bool
    reason: str

    def sentence(self) -> str:
        return f"{self.name}: {'concern' if self.concern else 'no concern'}: {self.reason}"


@dataclass(frozen=True)
class Pattern:
    """CMOCs of one principle that share a mechanism theme: where the mechanism fires, and where it does not.

    ``cmoc_ids`` are in reading order (positive outcomes first, then mixed, then negative); the lists in
    ``outcomes`` are sorted by id.
    """

    theme: str
    cmoc_ids: tuple[str, ...]
    source_ids: tuple[str, ...]
    outcomes: dict[Direction, tuple[str, ...]]

    @property
    def recurs_across_sources(self) -> bool:
        """Seen in two or more sources: a candidate demi-regularity rather than one study's story."""
        return len(self.source_ids) >= 2


@dataclass(frozen=True)
class SourceLinks:
    """How many of one source's CMOCs support, refute and refine one principle."""

    source_id: str
    relations: dict[Relation, int]

    @property
    def total(self) -> int:
        return sum(self.relations.values())


@dataclass(frozen=True)
class PrincipleFindings:
    id: str
    title: str
    statement: str
    cmoc_ids: tuple[str, ...]
    source_ids: tuple[str, ...]
    links: dict[Relation, tuple[str, ...]]
    relations: dict[str, Relation]
    """Each linked CMOC's relation to this principle, by CMOC id."""
    countries: tuple[str, ...]
    designs: tuple[str, ...]
    relevance: dict[str, int]
    rigour: dict[str, int]
    directions: dict[Direction, int]
    by_source: tuple[SourceLinks, ...]
    patterns: tuple[Pattern, ...]
    unpatterned: tuple[str, ...]
    """CMOCs of this principle that belong to none of its patterns, in reading order."""
    suggested_confidence: str | None
    """What the rule suggests; the confidence is the review team's judgement (``assessments/``)."""
    suggestion: tuple[Component, ...]

    @property
    def suggestion_reasons(self) -> tuple[str, ...]:
        if self.suggested_confidence is None:
            return ("no CMOC links to this principle",)
        return tuple(c.sentence() for c in self.suggestion)

    @property
    def thin(self) -> bool:
        return any(c.name == "adequacy" and c.concern for c in self.suggestion)


@dataclass(frozen=True)
class Findings:
    principles: tuple[PrincipleFindings, ...]
    gaps: tuple[str, ...]
    thin: tuple[str, ...]
    cooccurrence: tuple[tuple[str, str, int], ...]


class _Link(NamedTuple):
    """One CMOC's link to one principle, with the few fields the analysis reads.

    Read from the records once, into small tuples made one after another: the analysis then passes
    over them several times per principle without reaching back into records spread over the whole
    heap (at 20,000 CMOCs, every pass over the records themselves was a cache miss per CMOC, and the
    analysis took seven times as long as at 6,000).
    """

    cmoc_id: str
    source_id: str
    direction: Direction
    themes: list[str]
    relation: Relation
    source: Source


def analyse(review: Review) -> Findings:
    """Findings for every principle of the review, in the taxonomy's order."""
    linked: dict[str, list[_Link]] = defaultdict(list)
    pairs: list[tuple[str, str]] = []
    for source, cmoc in review.cmocs():
        cmoc_id, direction, themes, cmoc_links = cmoc.id, cmoc.direction, cmoc.themes, cmoc.links
        for principle_id, relation in cmoc_links:
            linked[principle_id].append(_Link(cmoc_id, source.id, direction, themes, relation, source))
        if len(cmoc_links) > 1:
            pairs += combinations(sorted({principle_id for principle_id, _ in cmoc_links}), 2)
    rule = review.config.rule
    findings = tuple(
        _principle(p.id, p.title, p.statement, sorted(linked[p.id], key=attrgetter("cmoc_id")), rule)
        for p in review.principles
    )
    return Findings(
        principles=findings,
        gaps=tuple(f.id for f in findings if not f.cmoc_ids),
        thin=tuple(f.id for f in findings if f.cmoc_ids and f.thin),
        cooccurrence=_cooccurrence(pairs),
    )


def _principle(
    principle_id: str, title: str, statement: str, linked: list[_Link], rule: SuggestionRule
) -> PrincipleFindings:
    sources = {link.source_id: link.source for link in linked}
    ordered_sources = [sources[s] for s in sorted(sources)]
    by_relation: dict[Relation, list[str]] = {r: [] for r in RELATIONS}
    for link in linked:  # one pass, not one per relation
        by_relation[link.relation].append(link.cmoc_id)
    links = {r: tuple(ids) for r, ids in by_relation.items()}
    reading = sorted(linked, key=_reading_order)
    patterns = _patterns(reading)
    in_patterns = {cmoc_id for pattern in patterns for cmoc_id in pattern.cmoc_ids}
    suggestion = _suggestion(ordered_sources, len(linked), links, rule) if linked else ()
    concerns = sum(c.concern for c in suggestion)
    return PrincipleFindings(
        id=principle_id,
        title=title,
        statement=statement,
        cmoc_ids=tuple(link.cmoc_id for link in linked),
        source_ids=tuple(sorted(sources)),
        links=links,
        relations={link.cmoc_id: link.relation for link in linked},
        countries=tuple(sorted({country for s in ordered_sources for country in s.countries})),
        designs=tuple(sorted({s.design for s in ordered_sources if s.design})),
        relevance=_ratings(s.appraisal.relevance if s.appraisal else None for s in ordered_sources),
        rigour=_ratings(s.appraisal.rigour if s.appraisal else None for s in ordered_sources),
        directions=_direction_counts(link.direction for link in linked),
        by_source=_by_source(linked),
        patterns=patterns,
        unpatterned=tuple(link.cmoc_id for link in reading if link.cmoc_id not in in_patterns),
        suggested_confidence=LEVELS[min(concerns, len(LEVELS) - 1)] if linked else None,
        suggestion=suggestion,
    )


def _by_source(linked: list[_Link]) -> tuple[SourceLinks, ...]:
    counts: dict[str, dict[Relation, int]] = {}
    for link in linked:  # counted in place: a Counter for each source and principle cost more than the counting
        relations = counts.get(link.source_id)
        if relations is None:
            relations = counts[link.source_id] = dict.fromkeys(RELATIONS, 0)
        relations[link.relation] += 1
    return tuple(SourceLinks(s, counts[s]) for s in sorted(counts))


def _reading_order(link: _Link) -> tuple[int, str, str]:
    return (_OUTCOME_ORDER[link.direction], link.source_id, link.cmoc_id)


def _patterns(reading: list[_Link]) -> tuple[Pattern, ...]:
    """The themes carried by two or more of the CMOCs, which come in reading order (so each pattern's are)."""
    by_theme: dict[str, list[_Link]] = defaultdict(list)
    for link in reading:
        themes = link.themes
        if len(themes) == 1:  # the usual case: no repeats to drop
            by_theme[themes[0]].append(link)
            continue
        for theme in dict.fromkeys(themes):
            by_theme[theme].append(link)
    patterns = []
    for theme, members in sorted(by_theme.items()):
        if len(members) < PATTERN_MIN_CMOCS:
            continue
        patterns.append(
            Pattern(
                theme=theme,
                cmoc_ids=tuple(link.cmoc_id for link in members),
                source_ids=tuple(sorted({link.source_id for link in members})),
                outcomes=_outcomes(members),
            )
        )
    return tuple(patterns)


def _outcomes(members: list[_Link]) -> dict[Direction, tuple[str, ...]]:
    """The members' CMOC ids by the direction of their outcome, each sorted by id."""
    ids: dict[Direction, list[str]] = {d: [] for d in DIRECTIONS}
    for link in members:
        ids[link.direction].append(link.cmoc_id)
    return {d: tuple(sorted(found)) for d, found in ids.items()}


def _direction_counts(directions: Iterable[Direction]) -> dict[Direction, int]:
    counts = Counter(directions)
    return {d: counts.get(d, 0) for d in DIRECTIONS}


def _ratings(values: Iterable[str | None]) -> dict[str, int]:
    counts = Counter(v if v is not None else NOT_APPRAISED for v in values)
    return {rating: counts.get(rating, 0) for rating in (*RATINGS, NOT_APPRAISED)}


def _suggestion(
    sources: list[Source], cmocs: int, links: dict[Relation, tuple[str, ...]], rule: SuggestionRule
) -> tuple[Component, ...]:
    """The four components, each with its reason written out, thresholds quoted from configs/."""
    n = len(sources)
    weak = sum(1 for s in sources if s.appraisal is None or s.appraisal.rigour == "low")
    relevant = sum(1 for s in sources if s.appraisal is not None and s.appraisal.relevance == "high")
    weak_share, relevant_share = weak / n, relevant / n
    refuting, refining = len(links["refutes"]), len(links["refines"])
    unexplained = max(0, refuting - refining)
    return (
        Component(
            "methodological limitations",
            weak_share > rule.max_share_low_rigour,
            f"{weak} of {n} sources rated low in rigour or not appraised "
            f"({_percent(weak_share)}; a concern above {_percent(rule.max_share_low_rigour)})",
        ),
        Component(
            "coherence",
            unexplained > rule.max_unexplained_refutations,
            f"{refuting} refuting and {refining} refining CMOC(s), {unexplained} refutation(s) not accounted for "
            f"by a refinement (a concern above {rule.max_unexplained_refutations})",
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


def _cooccurrence(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str, int], ...]:
    """Pairs of principles linked to the same CMOCs (one pair per CMOC linking both), most shared first."""
    counts = Counter(pairs)
    return tuple(sorted(((a, b, n) for (a, b), n in counts.items()), key=lambda t: (-t[2], t[0], t[1])))
