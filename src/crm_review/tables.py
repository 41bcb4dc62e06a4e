"""The review's extraction tables: CMOCs (one row per quote), sources and principles.

One home for the columns that the spreadsheet (``evidence.xlsx``), the CSV files and
``crm list cmocs --all-fields`` share, built from the typed records; no outside library here, so the
terminal commands that use it stay light. Cells are plain text or integers: evidence text is data,
never a formula or a link (the writers make sure of that for their own format).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from crm_review.analysis import Findings
from crm_review.confidence import confidence_view
from crm_review.model import DIRECTIONS, RELATIONS, Cmoc, Review, Source

Cell = str | int | None


@dataclass(frozen=True)
class Column:
    """A column: its header, and how wide it may grow in a spreadsheet (in characters) before it wraps."""

    header: str
    max_width: int = 40


@dataclass(frozen=True)
class Table:
    """One table of the appendix: a sheet of evidence.xlsx and one CSV file."""

    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(column.header for column in self.columns)

    def as_dicts(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.headers, row, strict=True)) for row in self.rows]


CMOC_COLUMNS = (
    Column("id", 22),
    Column("source", 22),
    Column("citation", 26),
    Column("context", 50),
    Column("resource", 40),
    Column("response", 40),
    Column("outcome", 40),
    Column("direction", 10),
    Column("principles", 40),
    *(Column(relation, 30) for relation in RELATIONS),
    Column("themes", 24),
    Column("notes", 40),
    Column("quote_number", 8),
    Column("quote", 60),
    Column("locator", 18),
)
SOURCE_COLUMNS = (
    Column("id", 22),
    Column("citation", 26),
    Column("authors", 36),
    Column("year", 6),
    Column("title", 60),
    Column("journal", 30),
    Column("volume", 8),
    Column("issue", 8),
    Column("pages", 10),
    Column("doi", 28),
    Column("url", 36),
    Column("design", 28),
    Column("countries", 20),
    Column("setting", 36),
    Column("relevance", 10),
    Column("rigour", 10),
    Column("cmocs", 7),
    Column("keywords", 30),
    Column("abstract", 60),
    Column("notes", 40),
)
PRINCIPLE_COLUMNS = (
    Column("id", 22),
    Column("title", 30),
    Column("statement", 60),
    Column("cmocs", 7),
    Column("sources", 8),
    *(Column(relation, 9) for relation in RELATIONS),
    *(Column(direction, 9) for direction in DIRECTIONS),
    Column("confidence", 11),
    Column("confidence_explanation", 60),
    Column("assessed_by", 24),
    Column("assessment_out_of_date", 10),
    Column("suggested_confidence", 11),
    Column("suggestion_reasons", 80),
)


def _joined(values: Iterable[str]) -> str | None:
    text = "; ".join(values)
    return text or None


def cmoc_rows(pairs: Iterable[tuple[Source, Cmoc]]) -> tuple[tuple[Cell, ...], ...]:
    """One row per quote, every field of its CMOC repeated, so that a filter on any column keeps whole rows."""
    rows = []
    citations: dict[str, str] = {}
    link_cells: dict[tuple[tuple[str, str], ...], tuple[Cell, ...]] = {}
    """The principles and relation columns by a CMOC's links, made once: few combinations recur."""
    for source, cmoc in pairs:
        links = cmoc.links
        citation = citations.get(source.id)
        if citation is None:
            citation = citations[source.id] = source.citation()
        linked = link_cells.get(links)
        if linked is None:
            linked = link_cells[links] = (
                _joined(f"{principle_id} ({relation})" for principle_id, relation in links),
                *(_joined(p for p, r in links if r == relation) for relation in RELATIONS),
            )
        shared: tuple[Cell, ...] = (
            cmoc.id,
            source.id,
            citation,
            cmoc.context,
            cmoc.mechanism.resource,
            cmoc.mechanism.response,
            cmoc.outcome,
            cmoc.direction,
            *linked,
            "; ".join(cmoc.themes) or None,
            cmoc.notes,
        )
        rows += [(*shared, number, quote.quote, quote.locator) for number, quote in enumerate(cmoc.evidence, start=1)]
    return tuple(rows)


def cmoc_table(review: Review) -> Table:
    return Table("cmocs", CMOC_COLUMNS, cmoc_rows(review.cmocs()))


def source_table(review: Review) -> Table:
    rows = tuple(
        (
            s.id,
            s.citation(),
            _joined(s.authors),
            s.year,
            s.title,
            s.journal,
            s.volume,
            s.issue,
            s.pages,
            s.doi,
            s.url,
            s.design,
            _joined(s.countries),
            s.setting,
            s.appraisal.relevance if s.appraisal else None,
            s.appraisal.rigour if s.appraisal else None,
            len(s.cmocs),
            _joined(s.keywords),
            s.abstract,
            s.notes,
        )
        for s in review.sources
    )
    return Table("sources", SOURCE_COLUMNS, rows)


def principle_table(review: Review, findings: Findings) -> Table:
    """Counts by relation and direction, the team's confidence, and apart from it the rule's suggestion."""
    by_id = {f.id: f for f in findings.principles}
    assessments = {a.principle: a for a in review.assessments}
    rows = []
    for principle in review.principles:
        finding = by_id[principle.id]
        judged = confidence_view(
            principle.statement,
            finding.cmoc_ids,
            finding.suggestion,
            finding.suggested_confidence,
            assessments.get(principle.id),
        )
        rows.append(
            (
                principle.id,
                principle.title,
                principle.statement,
                len(finding.cmoc_ids),
                len(finding.source_ids),
                *(len(finding.links[relation]) for relation in RELATIONS),
                *(finding.directions.get(direction, 0) for direction in DIRECTIONS),
                judged.confidence or "not yet assessed",
                judged.explanation,
                _joined(judged.assessed_by),
                ("yes" if judged.stale else "no") if judged.assessed else None,
                finding.suggested_confidence or "no evidence",
                _joined(finding.suggestion_reasons),
            )
        )
    return Table("principles", PRINCIPLE_COLUMNS, tuple(rows))


def appendix_tables(review: Review, findings: Findings) -> tuple[Table, ...]:
    """The three tables, in the order of the spreadsheet's sheets."""
    return (cmoc_table(review), source_table(review), principle_table(review, findings))


CSV_FILES = {"cmocs": "cmocs.csv", "sources": "sources.csv", "principles": "principles.csv"}


def csv_bytes(table: Table) -> bytes:
    """The table as CSV: UTF-8 with a byte-order mark (so Excel reads accents), CRLF rows, every cell as written.

    A cell that starts with ``=``, ``+``, ``-`` or ``@`` stays as typed: CSV has no way to mark text,
    and changing a quote would alter what a person wrote; the spreadsheet, not the CSV, is for opening
    in Excel without care.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows(tuple("" if cell is None else cell for cell in row) for row in table.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
