"""review.json: the machine-readable review, as typed output models whose JSON Schema is generated from them.

The schema shipped in ``schema/review.schema.json`` is :func:`json_schema` written out; a test keeps the two
equal, so the schema cannot drift from what ``crm synthesize`` writes.
"""

from __future__ import annotations

import json
import operator
from functools import reduce
from types import UnionType
from typing import Annotated, Any, Literal, NotRequired, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model
from typing_extensions import TypedDict

from crm_review.analysis import Findings, Pattern, PrincipleFindings
from crm_review.confidence import ConfidenceView, confidence_view
from crm_review.files import ByteSink
from crm_review.model import (
    SOURCE_FIELDS,
    Assessment,
    Cmoc,
    Concern,
    Confidence,
    Direction,
    Quote,
    Relation,
    Review,
    ReviewConfig,
    Source,
    without_none,
)
from crm_review.verify import QuoteVerification, Status, VerificationCounts
from crm_review.view import rameses_checklist


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Links(Output):
    """CMOC ids by how they bear on the principle, each list sorted."""

    supports: list[str]
    refutes: list[str]
    refines: list[str]


class Outcomes(Output):
    """A pattern's CMOC ids by outcome direction, each list sorted."""

    positive: list[str]
    negative: list[str]
    mixed: list[str]


class PatternOut(Output):
    """CMOCs of one principle sharing a mechanism theme (two or more CMOCs)."""

    theme: str
    cmoc_ids: list[str] = Field(description="In reading order: positive outcomes first, then mixed, then negative.")
    source_ids: list[str]
    outcomes: Outcomes


class Appraisal(Output):
    relevance: dict[str, int]
    rigour: dict[str, int]


class JudgementOut(Output):
    level: Concern = Field(description="GRADE-CERQual concerns about this component, as the review team judged.")
    explanation: str


class ComponentsOut(Output):
    methodological_limitations: JudgementOut
    coherence: JudgementOut
    adequacy: JudgementOut
    relevance: JudgementOut


class AssessmentOut(Output):
    """The review team's GRADE-CERQual judgement of the principle's finding (``assessments/<id>.yaml``)."""

    judged_by: Literal["review team", "not assessed"]
    finding: str | None = Field(None, description="The team's summary statement of the finding.")
    components: ComponentsOut | None = None
    overall: Confidence | None = Field(None, description="Overall confidence; only ever the team's judgement.")
    explanation: str | None = None
    assessed_by: list[str]
    assessed_on: str | None = None
    covered_cmoc_ids: list[str] = Field(description="The CMOCs the judgement covered.")
    stale: bool = Field(description="True when the CMOCs linked now differ from those the judgement covered.")
    changes: str | None = Field(None, description="What changed since, when stale.")


class SuggestedOut(Output):
    level: Concern
    reason: str


class SuggestionOut(Output):
    """What the rule in configs/review.yaml suggests from the evidence in numbers: not a judgement."""

    components: dict[str, SuggestedOut]
    overall: Confidence | None = None


class PrincipleOut(Output):
    id: str
    title: str
    statement: str
    cmoc_ids: list[str]
    source_ids: list[str]
    links: Links
    patterns: list[PatternOut]
    other_cmoc_ids: list[str] = Field(description="CMOCs of this principle in none of its patterns.")
    countries: list[str]
    designs: list[str]
    appraisal: Appraisal
    directions: dict[str, int]
    assessment: AssessmentOut
    suggestion: SuggestionOut


# A review holds thousands of CMOCs: their parts are typed dictionaries, built as plain dicts (in the
# order of their keys here, None left out) and serialized without a model object per CMOC and quote.


class PrincipleLink(TypedDict):
    principle: str
    relation: Relation


class QuoteOut(TypedDict):
    quote: str
    locator: str
    verification: NotRequired[
        Annotated[
            Status,
            Field(
                description="What `crm verify` found: verified (verbatim in the full text), approximate, not-found, "
                "or unchecked (no full text, or one without text)."
            ),
        ]
    ]
    found_on: NotRequired[
        Annotated[
            str,
            Field(description="Where the quote is in the full text (`p. 230`) when its locator names another page."),
        ]
    ]


class CmocOut(TypedDict):
    id: str
    source: str
    context: str
    resource: str
    response: str
    outcome: str
    direction: Direction
    principles: list[PrincipleLink]
    evidence: list[QuoteOut]
    themes: list[str]
    notes: NotRequired[str]


def _output_type(annotation: Any) -> Any:
    """A record field's type as review.json gives it: without the input's constraints (patterns, lengths)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _output_type(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return reduce(operator.or_, (_output_type(arg) for arg in get_args(annotation)))
    if origin is list:
        return list[_output_type(get_args(annotation)[0])]  # type: ignore[misc]
    return annotation


def _source_fields() -> dict[str, Any]:
    """Every field a person gives a source (``model.SOURCE_FIELDS``, its one list), typed for review.json."""
    fields: dict[str, Any] = {}
    for name, path in SOURCE_FIELDS.items():
        record: Any = Source
        for part in path[:-1]:
            record = without_none(record.model_fields[part].annotation)
        info = record.model_fields[path[-1]]
        kind = _output_type(info.annotation)
        if get_origin(kind) is list:
            fields[name] = (kind, ...)  # always there, empty when the source has none
        elif info.is_required() and len(path) == 1:
            fields[name] = (kind, ...)
        else:  # optional, or inside an optional record (the appraisal): left out when not given
            fields[name] = (kind | None, None)
    return fields


SourceOut = create_model(
    "SourceOut",
    __base__=Output,
    __doc__="A source's fields as given in its evidence file (the appraisal's as relevance and rigour), "
    "and the ids of its CMOCs.",
    **_source_fields(),
    cmoc_ids=(list[str], ...),
)


class Cooccurrence(Output):
    principles: list[str]
    cmocs: int


class Summary(Output):
    sources: int
    cmocs: int
    principles: int


class RamesesOut(Output):
    item: int
    name: str
    status: str
    note: str


class ReviewDocument(Output):
    """The whole of review.json."""

    model_config = ConfigDict(title="crm-review review.json")

    review: ReviewConfig
    summary: Summary
    principles: list[PrincipleOut] = Field(description="In the taxonomy's order.")
    gaps: list[str] = Field(description="Principles no CMOC links to.")
    thin_evidence: list[str]
    cooccurrence: list[Cooccurrence]
    sources: list[SourceOut] = Field(description="Sorted by id.")
    cmocs: list[CmocOut] = Field(description="Each CMOC once, with its evidence, sorted by id.")
    rameses: list[RamesesOut]
    verification: VerificationCounts | None = None


def review_document(
    review: Review, findings: Findings, verification: QuoteVerification | None = None
) -> ReviewDocument:
    """The whole of review.json."""
    cmocs = [_cmoc(source, cmoc, verification) for source, cmoc in _cmocs_by_id(review)]
    return _document(review, findings, verification, cmocs)


def _document(
    review: Review, findings: Findings, verification: QuoteVerification | None, cmocs: list[CmocOut]
) -> ReviewDocument:
    """review.json with these CMOCs (all of them, or none when they are written apart)."""
    assessments = {a.principle: a for a in review.assessments}
    return ReviewDocument.model_construct(  # its parts are built typed, from validated records
        review=review.config,
        summary=Summary(sources=len(review.sources), cmocs=len(review.cmocs()), principles=len(review.principles)),
        principles=[_principle(f, assessments.get(f.id)) for f in findings.principles],
        gaps=list(findings.gaps),
        thin_evidence=list(findings.thin),
        cooccurrence=[Cooccurrence(principles=[a, b], cmocs=n) for a, b, n in findings.cooccurrence],
        sources=[_source(s) for s in sorted(review.sources, key=lambda s: s.id)],
        cmocs=cmocs,
        rameses=[
            RamesesOut(item=i.item, name=i.name, status=i.status, note=i.note)
            for i in rameses_checklist(review, findings, verification)
        ],
        verification=verification.counts() if verification is not None else None,
    )


def _cmoc(source: Source, cmoc: Cmoc, verification: QuoteVerification | None) -> CmocOut:
    """A CMOC's entry, from a record validated on loading: nothing to check again."""
    out = CmocOut(
        id=cmoc.id,
        source=source.id,
        context=cmoc.context,
        resource=cmoc.mechanism.resource,
        response=cmoc.mechanism.response,
        outcome=cmoc.outcome,
        direction=cmoc.direction,
        principles=[PrincipleLink(principle=p, relation=r) for p, r in cmoc.links],
        evidence=[_quote(cmoc.id, n, q, verification) for n, q in enumerate(cmoc.evidence, start=1)],
        themes=list(cmoc.themes),
    )
    if cmoc.notes is not None:
        out["notes"] = cmoc.notes
    return out


def _quote(cmoc_id: str, number: int, quote: Quote, verification: QuoteVerification | None) -> QuoteOut:
    out = QuoteOut(quote=quote.quote, locator=quote.locator)
    if verification is not None:
        out["verification"] = verification.status(cmoc_id, number)
        found_on = verification.found_on(cmoc_id, number)
        if found_on is not None:
            out["found_on"] = found_on
    return out


def _cmocs_by_id(review: Review) -> list[tuple[Source, Cmoc]]:
    return sorted(review.cmocs(), key=lambda pair: pair[1].id)


CMOCS_AT_ONCE = 256
"""review.json's CMOCs are serialized this many at a time (see :func:`write_review_json`)."""
_CMOC_LIST = TypeAdapter(list[CmocOut])
_NO_CMOCS = b'\n  "cmocs": [],\n'
"""Where the CMOCs go in the rest of the document: the top-level key, at two spaces (a JSON string holds no newline)."""


def write_review_json(
    out: ByteSink, review: Review, findings: Findings, verification: QuoteVerification | None = None
) -> None:
    """review.json in UTF-8: two-space indented, keys in the models' order, None left out, a final newline.

    Bytes straight from pydantic's serializer, written as they are. The CMOCs, most of the document, are
    serialized a few hundred at a time into the place the rest of the document leaves for them, each
    part indented to its depth: the same bytes as the whole document serialized at once, without that
    document and the entries of every CMOC in memory together (55 MB and more at 20,000 CMOCs, new
    memory the system hands over page by page; the parts reuse the same few hundred kilobytes).
    """
    cmocs = _cmocs_by_id(review)
    rest = ReviewDocument.__pydantic_serializer__.to_json(
        _document(review, findings, verification, []), indent=2, exclude_none=True
    )
    if not cmocs:
        out.write(rest)
        out.write(b"\n")
        return
    before, found, after = rest.partition(_NO_CMOCS)
    if not found:
        raise AssertionError("review.json without its CMOCs has no place for them: the serializer's layout changed")
    out.write(before)
    out.write(b'\n  "cmocs": [\n')
    for start in range(0, len(cmocs), CMOCS_AT_ONCE):
        entries = [_cmoc(source, cmoc, verification) for source, cmoc in cmocs[start : start + CMOCS_AT_ONCE]]
        part = _CMOC_LIST.serializer.to_json(entries, indent=2, exclude_none=True)
        if start:
            out.write(b",\n")
        # The part is a list at depth 0 ("[\n  {...},\n  {...}\n]"); its items stand at depth 2 here.
        out.write(b"    ")
        out.write(part[4:-2].replace(b"\n", b"\n  "))
    out.write(b"\n  ],\n")
    out.write(after)
    out.write(b"\n")


def json_schema() -> str:
    """The JSON Schema of review.json, as shipped in ``schema/review.schema.json``."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **ReviewDocument.model_json_schema(),
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _principle(f: PrincipleFindings, assessment: Assessment | None) -> PrincipleOut:
    shown = confidence_view(f.statement, f.cmoc_ids, f.suggestion, f.suggested_confidence, assessment)
    return PrincipleOut(
        id=f.id,
        title=f.title,
        statement=f.statement,
        cmoc_ids=list(f.cmoc_ids),
        source_ids=list(f.source_ids),
        links=Links(
            supports=list(f.links["supports"]), refutes=list(f.links["refutes"]), refines=list(f.links["refines"])
        ),
        patterns=[_pattern(p) for p in f.patterns],
        other_cmoc_ids=list(f.unpatterned),
        countries=list(f.countries),
        designs=list(f.designs),
        appraisal=Appraisal(relevance=f.relevance, rigour=f.rigour),
        directions=dict(f.directions),
        assessment=_assessment(shown),
        suggestion=SuggestionOut(
            components={
                c.key: SuggestedOut(level=c.suggested, reason=c.reason)
                for c in shown.components
                if c.suggested is not None and c.reason is not None
            },
            overall=shown.suggested_confidence,
        ),
    )


def _assessment(shown: ConfidenceView) -> AssessmentOut:
    components = None
    if shown.assessed:
        judged = {
            c.key: JudgementOut(level=c.concern, explanation=c.explanation or "") for c in shown.components if c.concern
        }
        components = ComponentsOut(**judged)
    return AssessmentOut(
        judged_by="review team" if shown.assessed else "not assessed",
        finding=shown.finding if shown.assessed else None,
        components=components,
        overall=shown.confidence,
        explanation=shown.explanation,
        assessed_by=list(shown.assessed_by),
        assessed_on=shown.assessed_on,
        covered_cmoc_ids=list(shown.covered),
        stale=shown.stale,
        changes=shown.changes,
    )


def _pattern(p: Pattern) -> PatternOut:
    return PatternOut(
        theme=p.theme,
        cmoc_ids=list(p.cmoc_ids),
        source_ids=list(p.source_ids),
        outcomes=Outcomes(
            positive=list(p.outcomes["positive"]),
            negative=list(p.outcomes["negative"]),
            mixed=list(p.outcomes["mixed"]),
        ),
    )


def _source(s: Source) -> SourceOut:
    """The source as review.json gives it: its fields read by name (``Source.given``), and its CMOC ids."""
    return SourceOut(**{**s.given(), "cmoc_ids": [c.id for c in s.cmocs]})
