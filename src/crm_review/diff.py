"""What changed between two versions of a review: records compared field by field, findings compared.

Pure: takes two versions (:class:`~crm_review.versions.Version`) and returns a :class:`ReviewDiff` whose lists
follow the review's own order (taxonomy order, evidence files by name, CMOCs as written), so that the
same two versions always give the same report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crm_review.model import Cmoc, Principle, Source

if TYPE_CHECKING:
    from crm_review.analysis import Findings, PrincipleFindings
    from crm_review.versions import Version


@dataclass(frozen=True)
class FieldChange:
    """One field of a record, before and after (``None``: the field was not there)."""

    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Changed:
    """A record present in both versions whose fields differ."""

    id: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class SourceSummary:
    id: str
    citation: str
    title: str
    cmocs: int


@dataclass(frozen=True)
class CmocSummary:
    id: str
    source: str
    direction: str
    links: dict[str, str]  # principle id -> relation, in written order
    context: str
    resource: str
    response: str
    outcome: str
    quotes: int


@dataclass(frozen=True)
class PrincipleSummary:
    id: str
    title: str
    statement: str


@dataclass(frozen=True)
class LinkChange:
    """A CMOC in both versions whose link to a principle appeared, vanished, or changed relation."""

    cmoc: str
    principle: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class PrincipleEvidence:
    """How one principle's evidence and the confidence in it moved (``None``: no CMOC, or no principle)."""

    principle: str
    cmocs_before: int
    cmocs_after: int
    sources_before: int
    sources_after: int
    confidence_before: str | None
    """The rule's suggested confidence (``configs/review.yaml``), not the team's judgement."""
    confidence_after: str | None
    components: tuple[FieldChange, ...]
    """The rule's suggestion per component, where it moved."""
    relations: tuple[FieldChange, ...] = ()  # how many CMOCs support, refute or refine it, where that moved


@dataclass(frozen=True)
class PatternChange:
    """A pattern (a theme carried by several CMOCs of one principle) that appeared or vanished."""

    principle: str
    theme: str
    cmoc_ids: tuple[str, ...]
    appeared: bool


@dataclass(frozen=True)
class ReviewDiff:
    """Everything that differs between ``base`` and ``head``, in the order the review itself lists things."""

    base: str
    head: str
    principles_added: tuple[PrincipleSummary, ...] = ()
    principles_removed: tuple[PrincipleSummary, ...] = ()
    principles_changed: tuple[Changed, ...] = ()
    sources_added: tuple[SourceSummary, ...] = ()
    sources_removed: tuple[SourceSummary, ...] = ()
    sources_changed: tuple[Changed, ...] = ()
    cmocs_added: tuple[CmocSummary, ...] = ()
    cmocs_removed: tuple[CmocSummary, ...] = ()
    cmocs_changed: tuple[Changed, ...] = ()
    links: tuple[LinkChange, ...] = ()
    evidence: tuple[PrincipleEvidence, ...] = ()
    patterns: tuple[PatternChange, ...] = ()
    config: tuple[FieldChange, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__ if name not in ("base", "head"))

    def counts(self) -> dict[str, int]:
        """How many of each kind of change, for a one-line summary."""
        return {
            name: len(getattr(self, name))
            for name in self.__dataclass_fields__
            if name not in ("base", "head") and getattr(self, name)
        }


def diff_versions(base: Version, head: Version) -> ReviewDiff:
    """Compare two versions of the review, records first, then the analysis built on them."""
    before_principles = {p.id: p for p in base.review.principles} if base.review else {}
    after_principles = {p.id: p for p in head.review.principles} if head.review else {}
    before_sources = {s.id: s for s in base.review.sources} if base.review else {}
    after_sources = {s.id: s for s in head.review.sources} if head.review else {}
    before_cmocs = {c.id: (s, c) for s in before_sources.values() for c in s.cmocs}
    after_cmocs = {c.id: (s, c) for s in after_sources.values() for c in s.cmocs}
    config_before = _flat(base.review.config.model_dump()) if base.review else {}
    config_after = _flat(head.review.config.model_dump()) if head.review else {}
    return ReviewDiff(
        base=base.label,
        head=head.label,
        principles_added=tuple(_principle(after_principles[i]) for i in _added(before_principles, after_principles)),
        principles_removed=tuple(_principle(before_principles[i]) for i in _added(after_principles, before_principles)),
        principles_changed=_changed(before_principles, after_principles, _principle_fields),
        sources_added=tuple(_source(after_sources[i]) for i in _added(before_sources, after_sources)),
        sources_removed=tuple(_source(before_sources[i]) for i in _added(after_sources, before_sources)),
        sources_changed=_changed(before_sources, after_sources, _source_fields),
        cmocs_added=tuple(_cmoc(*after_cmocs[i]) for i in _added(before_cmocs, after_cmocs)),
        cmocs_removed=tuple(_cmoc(*before_cmocs[i]) for i in _added(after_cmocs, before_cmocs)),
        cmocs_changed=_changed(before_cmocs, after_cmocs, _cmoc_fields),
        links=_link_changes(before_cmocs, after_cmocs),
        evidence=_evidence(base.findings, head.findings),
        patterns=_pattern_changes(base.findings, head.findings),
        config=tuple(_field_changes(config_before, config_after)),
    )


# --- records -------------------------------------------------------------------------------------


def cmoc_links(cmoc: Cmoc) -> tuple[tuple[str, str], ...]:
    """The CMOC's principle links as (principle id, relation), in written order."""
    return tuple(cmoc.links)


def _added(before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    """Keys of ``after`` missing from ``before``, in ``after``'s order (taxonomy, file, then list order)."""
    return [key for key in after if key not in before]


def _changed(before: Mapping[str, Any], after: Mapping[str, Any], fields: Any) -> tuple[Changed, ...]:
    changed = []
    for key in (k for k in after if k in before):
        changes = _field_changes(fields(before[key]), fields(after[key]))
        if changes:
            changed.append(Changed(key, tuple(changes)))
    return tuple(changed)


def _field_changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[FieldChange]:
    """Fields in the order they are first met, so a report reads like the record."""
    names = list(dict.fromkeys([*before, *after]))
    return [FieldChange(n, before.get(n), after.get(n)) for n in names if before.get(n) != after.get(n)]


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"appraisal": {"rigour": "low"}}`` -> ``{"appraisal.rigour": "low"}``; lists joined, ``None`` left out."""
    flat: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{name}."))
        elif isinstance(value, list | tuple):
            if value:
                flat[name] = "; ".join(str(item) for item in value)
        elif value is not None:
            flat[name] = str(value)
    return flat


def _principle_fields(principle: Principle) -> dict[str, str]:
    return {"title": principle.title, "statement": principle.statement}


def _source_fields(source: Source) -> dict[str, str]:
    return _flat(source.model_dump(exclude={"cmocs"}))


def _cmoc_fields(pair: tuple[Source, Cmoc]) -> dict[str, str]:
    """A CMOC's fields; links are compared on their own, and each quote is a field of its own."""
    source, cmoc = pair
    fields = {"source": source.id}
    fields.update(_flat(cmoc.model_dump(exclude={"id", "principles", "evidence"})))
    for quote in cmoc.evidence:
        fields[f"quote ({quote.locator})"] = quote.quote
    return fields


def _principle(principle: Principle) -> PrincipleSummary:
    return PrincipleSummary(principle.id, principle.title, principle.statement)


def _source(source: Source) -> SourceSummary:
    return SourceSummary(source.id, source.citation(), source.title, len(source.cmocs))


def _cmoc(source: Source, cmoc: Cmoc) -> CmocSummary:
    return CmocSummary(
        cmoc.id,
        source.id,
        cmoc.direction,
        dict(cmoc_links(cmoc)),
        cmoc.context,
        cmoc.mechanism.resource,
        cmoc.mechanism.response,
        cmoc.outcome,
        len(cmoc.evidence),
    )


def _link_changes(
    before: Mapping[str, tuple[Source, Cmoc]], after: Mapping[str, tuple[Source, Cmoc]]
) -> tuple[LinkChange, ...]:
    changes = []
    for cmoc_id in (k for k in after if k in before):
        old, new = dict(cmoc_links(before[cmoc_id][1])), dict(cmoc_links(after[cmoc_id][1]))
        for principle in sorted(set(old) | set(new)):
            if old.get(principle) != new.get(principle):
                changes.append(LinkChange(cmoc_id, principle, old.get(principle), new.get(principle)))
    return tuple(changes)


# --- findings ------------------------------------------------------------------------------------


def _by_principle(findings: Findings | None) -> dict[str, PrincipleFindings]:
    return {p.id: p for p in findings.principles} if findings is not None else {}


def _evidence(base: Findings | None, head: Findings | None) -> tuple[PrincipleEvidence, ...]:
    """Principles whose CMOCs, sources or confidence moved, in the head's taxonomy order."""
    before, after = _by_principle(base), _by_principle(head)
    order = [*after, *(p for p in before if p not in after)]
    moved = []
    for principle in order:
        old, new = before.get(principle), after.get(principle)
        # Components are compared only where both versions had evidence: from nothing, every one is new.
        components = (
            _field_changes(_concerns(old), _concerns(new)) if old and new and old.suggestion and new.suggestion else []
        )
        entry = PrincipleEvidence(
            principle,
            len(old.cmoc_ids) if old else 0,
            len(new.cmoc_ids) if new else 0,
            len(old.source_ids) if old else 0,
            len(new.source_ids) if new else 0,
            old.suggested_confidence if old else None,
            new.suggested_confidence if new else None,
            tuple(components),
            tuple(_field_changes(_relation_counts(old), _relation_counts(new))),
        )
        if (old and new and (old.cmoc_ids, old.source_ids) != (new.cmoc_ids, new.source_ids)) or (
            entry.confidence_before != entry.confidence_after
            or components
            or entry.relations
            or (old is None) != (new is None)
        ):
            moved.append(entry)
    return tuple(moved)


def _relation_counts(findings: PrincipleFindings | None) -> dict[str, str]:
    links = findings.links if findings is not None else {}
    return {relation: str(len(ids)) for relation, ids in links.items() if ids}


def _concerns(findings: PrincipleFindings | None) -> dict[str, str]:
    if findings is None:
        return {}
    return {c.name: "concern" if c.concern else "no concern" for c in findings.suggestion}


def _patterns(findings: Findings | None) -> dict[tuple[str, str], tuple[str, ...]]:
    principles = findings.principles if findings is not None else ()
    return {(p.id, pattern.theme): pattern.cmoc_ids for p in principles for pattern in p.patterns}


def _pattern_changes(base: Findings | None, head: Findings | None) -> tuple[PatternChange, ...]:
    before, after = _patterns(base), _patterns(head)
    appeared = [PatternChange(p, t, after[(p, t)], True) for p, t in sorted(set(after) - set(before))]
    vanished = [PatternChange(p, t, before[(p, t)], False) for p, t in sorted(set(before) - set(after))]
    return tuple(appeared + vanished)


def ids(items: Iterable[Changed | SourceSummary | CmocSummary | PrincipleSummary]) -> list[str]:
    return [item.id for item in items]
