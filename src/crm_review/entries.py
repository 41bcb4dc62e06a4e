"""New entries as a user gives them (flags, prompts or a reference-manager export), before they are records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crm_review.model import DEFAULT_RELATION


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
        supports_only = all(relation == DEFAULT_RELATION for relation in links.values())
        data: dict[str, Any] = {
            "id": new_id,
            "context": self.context,
            "mechanism": {"resource": self.resource, "response": self.response},
            "outcome": self.outcome,
            "direction": self.direction,
            "principles": list(links) if supports_only else dict(links),
            "evidence": [{"quote": quote, "locator": locator} for quote, locator in self.quotes],
        }
        if self.notes:
            data["notes"] = self.notes
        if self.themes:
            data["themes"] = list(self.themes)
        return data
