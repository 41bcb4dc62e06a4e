"""New entries as a user gives them (flags, prompts or a reference-manager export), before they are records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crm_review.model import DEFAULT_RELATION, strip_doi_prefix


@dataclass(frozen=True)
class SourceInput:
    """A new source as given on the command line or at the prompts; ``None`` means not given."""

    title: str | None = None
    authors: tuple[str, ...] = ()
    year: int | None = None
    id: str | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    url: str | None = None
    design: str | None = None
    countries: tuple[str, ...] = ()
    setting: str | None = None
    relevance: str | None = None
    rigour: str | None = None
    abstract: str | None = None
    keywords: tuple[str, ...] = ()

    def missing(self) -> list[str]:
        """The required fields not given, by their flag names."""
        missing = [] if self.title else ["title"]
        if not self.authors:
            missing.append("author")
        if bool(self.relevance) != bool(self.rigour):
            missing.append("rigour" if self.relevance else "relevance")
        return missing

    def record(self, new_id: str) -> dict[str, Any]:
        """The mapping written to the evidence file, in the format's key order, empty fields left out."""
        data: dict[str, Any] = {"id": new_id, "title": self.title, "authors": list(self.authors), "year": self.year}
        for name in ("journal", "volume", "issue", "pages", "doi", "url", "design"):
            data[name] = getattr(self, name)
        data["countries"] = list(self.countries)
        data["setting"] = self.setting
        if self.relevance and self.rigour:
            data["appraisal"] = {"relevance": self.relevance, "rigour": self.rigour}
        data["abstract"] = self.abstract
        data["keywords"] = list(self.keywords)
        data["cmocs"] = []
        return {k: v for k, v in data.items() if v not in (None, "", []) or k == "cmocs"}


@dataclass(frozen=True)
class CmocInput:
    """A new CMOC as given on the command line or at the prompts; empty means not given."""

    source: str | None = None
    context: str | None = None
    resource: str | None = None
    response: str | None = None
    outcome: str | None = None
    direction: str | None = None
    principles: tuple[str, ...] = ()
    quotes: tuple[tuple[str, str], ...] = ()
    notes: str | None = None
    themes: tuple[str, ...] = field(default_factory=tuple)
    id: str | None = None

    def missing(self) -> list[str]:
        """The required fields not given, by their flag names."""
        names = ("source", "context", "resource", "response", "outcome", "direction")
        missing = [name for name in names if not getattr(self, name)]
        if not self.principles:
            missing.append("principle")
        if not self.quotes:
            missing.append("quote")
        return missing

    def record(self, new_id: str, links: Mapping[str, str]) -> dict[str, Any]:
        """The mapping written to the file; principles in the list form while every link supports."""
        data: dict[str, Any] = {
            "id": new_id,
            "context": self.context,
            "mechanism": {"resource": self.resource, "response": self.response},
            "outcome": self.outcome,
            "direction": self.direction,
            "principles": links_value(links),
            "evidence": [{"quote": quote, "locator": locator} for quote, locator in self.quotes],
        }
        if self.notes:
            data["notes"] = self.notes
        if self.themes:
            data["themes"] = list(self.themes)
        return data


def links_value(links: Mapping[str, str]) -> list[str] | dict[str, str]:
    """``principles:`` as written: the list form while every link supports, else the mapping form."""
    if all(relation == DEFAULT_RELATION for relation in links.values()):
        return list(links)
    return dict(links)


def links_of(value: object) -> dict[str, str]:
    """The links of a CMOC's ``principles:`` value in either form, as principle -> relation."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        return {str(p): DEFAULT_RELATION for p in value}
    return {}


SOURCE_KEYS = (
    "id", "title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "url", "design",
    "countries", "setting", "appraisal", "abstract", "keywords", "notes", "cmocs",
)  # fmt: skip
"""A source's keys in the order of the evidence format: where a key new to a file is put."""

CMOC_KEYS = ("id", "context", "mechanism", "outcome", "direction", "principles", "evidence", "notes", "themes")


@dataclass(frozen=True)
class SourceChanges:
    """``crm edit`` flags for a source: ``None`` leaves a field alone; an empty text or list removes it."""

    values: Mapping[str, object] = field(default_factory=dict)

    def apply(self, current: Mapping[str, Any]) -> dict[str, Any]:
        """The source's own fields with these changes made."""
        new = dict(current)
        for key, value in self.values.items():
            if value is None:
                continue
            if key in ("relevance", "rigour"):
                appraisal = dict(new.get("appraisal") or {}) if isinstance(new.get("appraisal"), dict) else {}
                if value == "":
                    new.pop("appraisal", None)
                    continue
                appraisal[key] = value
                new["appraisal"] = appraisal
            elif value in ("", ()):
                new.pop(key, None)
            elif key == "doi" and isinstance(value, str):
                new[key] = strip_doi_prefix(value)  # a DOI pasted from the browser is what people have at hand
            else:
                new[key] = list(value) if isinstance(value, tuple) else value
        return new


@dataclass(frozen=True)
class CmocChanges:
    """``crm edit`` flags for a CMOC; links and relations already resolved to principle ids."""

    context: str | None = None
    resource: str | None = None
    response: str | None = None
    outcome: str | None = None
    direction: str | None = None
    links: Mapping[str, str] | None = None
    relations: Mapping[str, str] = field(default_factory=dict)
    quotes: tuple[tuple[str, str], ...] = ()
    notes: str | None = None
    themes: tuple[str, ...] | None = None

    def apply(self, current: Mapping[str, Any]) -> dict[str, Any]:
        """The CMOC with these changes made; ``principles`` keeps its form unless a relation needs the mapping."""
        new = dict(current)
        for key in ("context", "outcome", "direction"):
            if getattr(self, key) is not None:
                new[key] = getattr(self, key)
        if self.resource is not None or self.response is not None:
            mechanism = dict(new["mechanism"]) if isinstance(new.get("mechanism"), dict) else {}
            for key in ("resource", "response"):
                if getattr(self, key) is not None:
                    mechanism[key] = getattr(self, key)
            new["mechanism"] = mechanism
        old_links = links_of(current.get("principles"))
        links = dict(self.links) if self.links is not None else dict(old_links)
        links.update(self.relations)
        if links != old_links:
            new["principles"] = links_value(links)
        if self.quotes:
            new["evidence"] = [{"quote": quote, "locator": locator} for quote, locator in self.quotes]
        if self.notes is not None:
            if self.notes:
                new["notes"] = self.notes
            else:
                new.pop("notes", None)
        if self.themes is not None:
            if self.themes:
                new["themes"] = list(self.themes)
            else:
                new.pop("themes", None)
        return new

    def empty(self) -> bool:
        return self == CmocChanges()
