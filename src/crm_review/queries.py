"""What `crm list` and `crm show` report: plain rows and records, filtered, in a stable order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_review.errors import UnknownId
from crm_review.model import RELATIONS, Cmoc, Principle, Review, Source
from crm_review.suggest import did_you_mean

Row = dict[str, Any]


@dataclass(frozen=True)
class CmocFilter:
    principle: str | None = None
    source: str | None = None
    direction: str | None = None
    relation: str | None = None

    def keeps(self, source: Source, cmoc: Cmoc) -> bool:
        return (
            any(self._keeps_link(principle_id, relation) for principle_id, relation in cmoc.links)
            and (self.source is None or self.source == source.id)
            and (self.direction is None or self.direction == cmoc.direction)
        )

    def _keeps_link(self, principle_id: str, relation: str) -> bool:
        """A link passes when it is to the principle asked for (if any) with the relation asked for (if any)."""
        return (self.principle is None or self.principle == principle_id) and (
            self.relation is None or self.relation == relation
        )


SOURCE_COLUMNS = ("id", "year", "authors", "title", "countries", "relevance", "rigour")
"""The fields `crm list sources` shows, a summary that fits a terminal (`crm show` shows them all): fields
of :data:`~crm_review.model.SOURCE_FIELDS`, authors shortened as in a citation, and the CMOCs counted."""


def source_rows(review: Review, where: CmocFilter) -> list[Row]:
    """Sources with at least one CMOC passing the filter (every source when nothing is filtered)."""
    rows = []
    for source in review.sources:
        kept = [c for c in source.cmocs if where.keeps(source, c)]
        if where != CmocFilter() and not kept:
            continue
        given = source.given()
        row = {name: given[name] for name in SOURCE_COLUMNS}
        rows.append(row | {"authors": source.short_authors(), "cmocs": len(kept)})
    return rows


def cmoc_rows(review: Review, where: CmocFilter) -> list[Row]:
    return [
        {
            "id": cmoc.id,
            "source": source.id,
            "direction": cmoc.direction,
            "principles": dict(cmoc.links),
            "context": cmoc.context,
            "outcome": cmoc.outcome,
        }
        for source, cmoc in review.cmocs()
        if where.keeps(source, cmoc)
    ]


def cmoc_rows_all_fields(review: Review, where: CmocFilter) -> list[Row]:
    """Every field of the CMOCs passing the filter, one row per quote: the columns of the CMOC table in evidence.xlsx."""
    from crm_review.tables import CMOC_COLUMNS
    from crm_review.tables import cmoc_rows as table_rows

    headers = [column.header for column in CMOC_COLUMNS]
    kept = [(source, cmoc) for source, cmoc in review.cmocs() if where.keeps(source, cmoc)]
    return [dict(zip(headers, row, strict=True)) for row in table_rows(kept)]


def principle_rows(review: Review, where: CmocFilter) -> list[Row]:
    rows = []
    for principle in review.principles:
        if where.principle is not None and where.principle != principle.id:
            continue
        linked = [(s, c) for s, c in review.cmocs() if principle.id in c.principle_ids() and where.keeps(s, c)]
        relations = [dict(c.links)[principle.id] for _, c in linked]
        row: Row = {
            "id": principle.id,
            "title": principle.title,
            "cmocs": len(linked),
            "sources": len({s.id for s, _ in linked}),
        }
        rows.append(row | {relation: relations.count(relation) for relation in RELATIONS})
    return rows


@dataclass(frozen=True)
class Found:
    """What `crm show ID` found: a source, a CMOC (with its source) or a principle (with its CMOCs)."""

    kind: str
    record: Source | Cmoc | Principle
    source: Source | None = None
    linked: tuple[tuple[Source, Cmoc], ...] = ()

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, **_plain(self.record)}
        if self.source is not None:
            data["source"] = self.source.id
        if self.kind == "principle":
            data["cmocs"] = [
                _plain(c) | {"source": s.id, "relation": dict(c.links)[self.record.id]} for s, c in self.linked
            ]
        return data


def _plain(record: Source | Cmoc | Principle) -> dict[str, Any]:
    """The record as JSON-ready data, without the fields left empty; a CMOC's principles with their relations."""
    data = {k: v for k, v in record.model_dump(mode="json", exclude_none=True).items() if v != []}
    if isinstance(record, Cmoc):
        data["principles"] = dict(record.links)
    if isinstance(record, Source):
        data["cmocs"] = [_plain(cmoc) for cmoc in record.cmocs]
    return data


def find(review: Review, wanted: str) -> Found:
    """The source, CMOC or principle with id ``wanted``."""
    for source in review.sources:
        if source.id == wanted:
            return Found("source", source)
        for cmoc in source.cmocs:
            if cmoc.id == wanted:
                return Found("cmoc", cmoc, source=source)
    for principle in review.principles:
        if principle.id == wanted:
            linked = tuple((s, c) for s, c in review.cmocs() if principle.id in c.principle_ids())
            return Found("principle", principle, linked=linked)
    every = [s.id for s in review.sources] + [c.id for _, c in review.cmocs()] + [p.id for p in review.principles]
    raise UnknownId(f"no source, CMOC or principle `{wanted}`" + did_you_mean(wanted, every))
