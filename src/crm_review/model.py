"""The review's records: strict, frozen, and free of file access.

Field names are the evidence format users write by hand; renaming one breaks every review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from types import NoneType, UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, StringConstraints, model_validator
from pydantic import Tag as FormTag

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
# The DOI grammar as registered DOIs use it (Crossref's pattern, which matches nearly all of them): `10.`,
# a registrant code of digits (with optional `.`-separated parts), a slash, then a suffix of letters, digits
# and `- . _ ; ( ) / : + [ ]`. Angle brackets appear only in the SICI form of old Wiley and AMS DOIs
# (`...49:8<693::AID-ASI4>3.0.CO;2-O`), always opening on a digit, so they can never read as an HTML tag.
_DOI_SUFFIX = r"(?:[\w\-.;()/:+\[\]]|<\d+:{1,2}[A-Za-z0-9\-]+>)+"
DOI_PATTERN = re.compile(rf"10\.\d{{4,9}}(?:\.\d+)*/{_DOI_SUFFIX}")
DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")

Rating = Literal["high", "moderate", "low"]
Direction = Literal["positive", "negative", "mixed"]
Relation = Literal["supports", "refutes", "refines"]
RATINGS: tuple[Rating, ...] = ("high", "moderate", "low")
DIRECTIONS: tuple[Direction, ...] = ("positive", "negative", "mixed")
RELATIONS: tuple[Relation, ...] = ("supports", "refutes", "refines")
DEFAULT_RELATION: Relation = "supports"
"""What the list form ``principles: [a, b]`` means: each CMOC there supports the principle."""


def _slug(value: str) -> str:
    if not SLUG_PATTERN.match(value):
        raise ValueError(
            f"`{value}` is not a valid id: use lower-case letters, digits, `.`, `_` and `-`, "
            "starting with a letter or digit (e.g. `doe-2020`)"
        )
    return value


def _tag(value: str) -> str:
    if not SLUG_PATTERN.match(value):
        raise ValueError(
            f"`{value}` is not a valid theme tag: use lower-case letters, digits and `-` (e.g. `peer-support`)"
        )
    return value


def family_name(author: str) -> str:
    """The family name of ``"Family, Given"``; an organisation's name is kept whole."""
    return author.split(",", 1)[0].strip()


def strip_doi_prefix(value: str) -> str:
    """``https://doi.org/10.1/x`` or ``doi:10.1/x`` -> ``10.1/x``; other text unchanged."""
    doi = value.strip()
    for prefix in DOI_PREFIXES:
        if doi.lower().startswith(prefix):
            return doi[len(prefix) :].strip()
    return doi


def _doi(value: str) -> str:
    for prefix in DOI_PREFIXES:
        if value.lower().startswith(prefix):
            bare = value[len(prefix) :].strip()
            raise ValueError(f"write the DOI without `{prefix}`: {bare}")
    if not DOI_PATTERN.fullmatch(value):
        if re.match(r"10\.\d{4,9}(?:\.\d+)*/.", value):
            raise ValueError(
                f"`{value}` does not look like a DOI: after `10.<digits>/` a DOI has letters, digits and"
                " - . _ ; ( ) / : only (no spaces, quotes or < >), e.g. 10.1111/hex.12996"
            )
        raise ValueError(
            f"`{value}` does not look like a DOI: DOIs start with `10.` and a slash, e.g. 10.1111/hex.12996"
        )
    return value


SINGLE_LINE_PATTERN = "^[^\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]*$"
"""Text on one line: no control character, no tab, no line break (pydantic checks it in Rust, so it costs little)."""
MULTI_LINE_PATTERN = "^[^\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]*$"
"""Long text may hold line breaks (Unicode's line and paragraph separators too) and tabs, no control character."""


@dataclass(frozen=True)
class FreeText:
    """Marks a field that holds words people typed (so that, e.g., a YAML comment cutting it is an error)."""

    multi_line: bool


Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=SINGLE_LINE_PATTERN), FreeText(False)
]
Prose = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=MULTI_LINE_PATTERN), FreeText(True)
]
"""Text that may span lines: quotes, contexts, mechanisms, outcomes, notes, abstracts, statements."""
Slug = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_slug)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_tag)]
Doi = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_doi)]


class Record(BaseModel):
    """Base of every record: unknown keys are errors, nothing is coerced, nothing changes after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Principle(Record):
    """One guiding principle of the programme theory."""

    id: Slug
    title: Text
    statement: Prose


class Taxonomy(Record):
    """The principles CMOCs are linked to (``configs/principles.yaml``)."""

    principles: list[Principle] = Field(default_factory=list)


class SearchCounts(Record):
    """PRISMA-style document flow, when the review team records it in ``configs/review.yaml``."""

    identified: Annotated[int, Field(ge=0)] | None = None
    duplicates_removed: Annotated[int, Field(ge=0)] | None = None
    screened: Annotated[int, Field(ge=0)] | None = None
    excluded_at_screening: Annotated[int, Field(ge=0)] | None = None
    full_text_assessed: Annotated[int, Field(ge=0)] | None = None
    excluded_at_full_text: Annotated[int, Field(ge=0)] | None = None
    included: Annotated[int, Field(ge=0)] | None = None


Share = Annotated[float, Field(ge=0, le=1)]


class SuggestionRule(Record):
    """Thresholds of the rule that suggests GRADE-CERQual levels from the evidence in numbers.

    A suggestion only: ``crm assess`` offers it as a default, and documents show it labelled so. The
    confidence is the review team's judgement (:class:`Assessment`).
    """

    min_sources: Annotated[int, Field(ge=0)] = 2
    min_cmocs: Annotated[int, Field(ge=0)] = 3
    max_share_low_rigour: Share = 0.25
    max_unexplained_refutations: Annotated[int, Field(ge=0)] = 0
    min_share_high_relevance: Share = 0.5

    @model_validator(mode="before")
    @classmethod
    def _contrasts_are_gone(cls, data: object) -> object:
        if isinstance(data, dict) and "max_contrasts" in data:
            raise ValueError(
                "`max_contrasts` is no longer used (positive and negative outcomes in different contexts are "
                "patterns, not a concern): write `max_unexplained_refutations` instead, e.g. 0"
            )
        return data


class ReviewConfig(Record):
    """The review itself (``configs/review.yaml``)."""

    title: Text
    question: Text
    authors: list[Text] = Field(default_factory=list)
    search: SearchCounts | None = None
    suggestion: SuggestionRule = Field(default_factory=SuggestionRule)
    confidence: SuggestionRule | None = None
    """The former name of ``suggestion:``, still read so that older reviews load; ``crm validate`` warns."""
    fulltext: Text | None = None  # a folder of full texts, e.g. one outside the repository

    @property
    def rule(self) -> SuggestionRule:
        """The suggestion's thresholds, under their new name or their former one."""
        if self.confidence is not None and "suggestion" not in self.model_fields_set:
            return self.confidence
        return self.suggestion


class Appraisal(Record):
    """How relevant and how rigorous a source is for this review."""

    relevance: Rating
    rigour: Rating


class Mechanism(Record):
    """A mechanism as resource and response (Dalkin et al. 2015)."""

    resource: Prose
    response: Prose


class Quote(Record):
    """A verbatim passage of the source and where it stands in it."""

    quote: Prose
    locator: Text


LINK_FORMS = ("list", "mapping")
"""Tags pydantic puts in an error's location to say which form of ``principles:`` it validated."""


def _link_form(value: object) -> str:
    return "mapping" if isinstance(value, dict) else "list"


PrincipleLinks = Annotated[
    Annotated[list[Slug], FormTag("list"), Field(min_length=1)]
    | Annotated[dict[Slug, Relation], FormTag("mapping"), Field(min_length=1)],
    Discriminator(_link_form),
]
"""``[a, b]`` (each supported) or ``{a: supports, b: refines}``: how a CMOC tests the programme theory."""


class Cmoc(Record):
    """A context-mechanism-outcome configuration, tied to its quotes and principles."""

    id: Slug
    context: Prose
    mechanism: Mechanism
    outcome: Prose
    direction: Direction
    principles: PrincipleLinks
    evidence: Annotated[list[Quote], Field(min_length=1)]
    notes: Prose | None = None
    themes: list[Tag] = Field(default_factory=list)

    @cached_property
    def links(self) -> tuple[tuple[str, Relation], ...]:
        """Each principle with how this CMOC bears on it, in the order written; the list form supports.

        Worked out once per record (records never change): the analysis and every document read it.
        """
        if isinstance(self.principles, dict):
            return tuple(self.principles.items())
        return tuple((principle_id, DEFAULT_RELATION) for principle_id in self.principles)

    def principle_ids(self) -> tuple[str, ...]:
        return tuple(principle_id for principle_id, _ in self.links)


class Source(Record):
    """One paper (``evidence/<id>.yaml``): bibliographic data, appraisal and CMOCs."""

    id: Slug
    title: Text
    authors: list[Text] = Field(default_factory=list)
    year: Annotated[int, Field(ge=1000, le=2999)] | None = None
    journal: Text | None = None
    volume: Text | None = None
    issue: Text | None = None
    pages: Text | None = None
    doi: Doi | None = None
    url: Text | None = None
    design: Text | None = None
    countries: list[Text] = Field(default_factory=list)
    setting: Text | None = None
    appraisal: Appraisal | None = None
    abstract: Prose | None = None
    keywords: list[Text] = Field(default_factory=list)
    notes: Prose | None = None
    fulltext: Text | None = None  # the full text's path, when not fulltext/<id>.pdf (or .html, .md, .txt)
    first_page: Annotated[int, Field(ge=1)] | None = None  # the printed number of a PDF's first page
    cmocs: list[Cmoc] = Field(default_factory=list)

    def given(self) -> dict[str, object]:
        """Its fields as people give them (:data:`SOURCE_FIELDS`), ``None`` or ``[]`` where it has none."""
        values: dict[str, object] = {}
        for name, path in SOURCE_FIELDS.items():
            value: object = self
            for part in path:
                value = getattr(value, part, None)
            values[name] = list(value) if isinstance(value, list) else value
        return values

    def short_authors(self) -> str:
        """``Doe``, ``Doe & Roe`` or ``Doe et al.``, as in an author-year citation."""
        families = [family_name(author) for author in self.authors]
        if len(families) > 2:
            return f"{families[0]} et al."
        return " & ".join(families)

    def year_label(self) -> str:
        """The year, or ``n.d.`` (no date) when it is not known."""
        return str(self.year) if self.year is not None else "n.d."

    def citation(self) -> str:
        """``Montenegro & Mercado (2020)``: for headings, tables and figure labels."""
        return f"{self.short_authors() or self.title} ({self.year_label()})"

    def in_text(self) -> str:
        """``Montenegro & Mercado 2020``, for inside parentheses: (Montenegro & Mercado 2020, p. 3)."""
        return f"{self.short_authors() or self.title} {self.year_label()}"


def without_none(annotation: object) -> object:
    """``X | None`` -> ``X``; any other annotation unchanged."""
    if get_origin(annotation) in (Union, UnionType):
        kept = [arg for arg in get_args(annotation) if arg is not NoneType]
        if len(kept) == 1:
            return kept[0]
    return annotation


def _is_record(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Record)


def given_fields(model: type[Record]) -> dict[str, tuple[str, ...]]:
    """The fields of ``model`` a person gives one by one, each with its path in the record.

    A nested record's fields stand in its place (``relevance`` -> ``("appraisal", "relevance")``); a list of
    records is left out (a source's CMOCs are added one by one, by ``crm add cmoc``).
    """
    fields: dict[str, tuple[str, ...]] = {}
    for name, info in model.model_fields.items():
        annotation = without_none(info.annotation)
        if _is_record(annotation):
            assert isinstance(annotation, type)
            fields |= {inner: (name, *path) for inner, path in given_fields(annotation).items()}
        elif not (get_origin(annotation) is list and _is_record(get_args(annotation)[0])):
            fields[name] = (name,)
    return fields


SOURCE_FIELDS = given_fields(Source)
"""A source's fields as people give them (``crm add source`` and ``crm edit`` flags, prompts, a reference
manager's export), in the evidence format's order, each with its path: the appraisal's ``relevance`` and
``rigour`` in place of ``appraisal``, the CMOCs left out. The one list of them: every other is derived."""


Concern = Literal["no or very minor", "minor", "moderate", "serious"]
CONCERNS: tuple[Concern, ...] = ("no or very minor", "minor", "moderate", "serious")
"""GRADE-CERQual's levels of concern about one component of confidence, least first."""
Confidence = Literal["high", "moderate", "low", "very low"]
CONFIDENCE_LEVELS: tuple[Confidence, ...] = ("high", "moderate", "low", "very low")
"""GRADE-CERQual's levels of confidence in a review finding, highest first."""
COMPONENTS = ("methodological_limitations", "coherence", "adequacy", "relevance")
"""The four components of GRADE-CERQual, as keys of an assessment's ``components:``."""


class Judgement(Record):
    """The team's concern about one component, and why.

    ``explanation`` may be left out here so that the check across files can say, located, which
    judgement lacks one: CERQual asks for every judgement to be explained.
    """

    concern: Concern
    explanation: Text | None = None


class Components(Record):
    """The four GRADE-CERQual components, each judged by the review team."""

    methodological_limitations: Judgement
    coherence: Judgement
    adequacy: Judgement
    relevance: Judgement

    def items(self) -> tuple[tuple[str, Judgement], ...]:
        return tuple((name, getattr(self, name)) for name in COMPONENTS)


class Assessment(Record):
    """The review team's GRADE-CERQual judgement of one finding (``assessments/<principle-id>.yaml``)."""

    principle: Slug
    finding: Text
    components: Components
    confidence: Confidence
    explanation: Text | None = None
    assessed_by: Annotated[list[Text], Field(min_length=1)]
    assessed_on: Annotated[date, Field(strict=False)]
    cmocs: list[Slug] = Field(default_factory=list)
    notes: Text | None = None


@dataclass(frozen=True)
class Review:
    """A whole review, valid across files: what graph, analysis and rendering start from."""

    config: ReviewConfig
    principles: tuple[Principle, ...]
    sources: tuple[Source, ...]
    assessments: tuple[Assessment, ...] = ()
    """The team's confidence judgements, one per assessed principle."""

    def cmocs(self) -> tuple[tuple[Source, Cmoc], ...]:
        """Every CMOC with its source, in source then file order."""
        return tuple((source, cmoc) for source in self.sources for cmoc in source.cmocs)
