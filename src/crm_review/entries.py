"""New entries as a user gives them (flags, prompts or a reference-manager export), before they are records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from crm_review.model import DEFAULT_RELATION, SOURCE_FIELDS, Cmoc, Source, strip_doi_prefix


def _given(value: object) -> bool:
    return value is not None and value not in ("", (), [])


class SourceInput:
    """A new source as given on the command line, at the prompts or by an export, before it is a record.

    Its values are named as in :data:`~crm_review.model.SOURCE_FIELDS` (``relevance`` and ``rigour`` for
    the appraisal); an empty value means not given. Immutable: :meth:`replace` makes a changed copy.
    """

    __slots__ = ("_values",)

    def __init__(self, **values: object) -> None:
        unknown = sorted(set(values) - set(SOURCE_FIELDS))
        if unknown:
            raise TypeError(f"not a field of a source: {', '.join(unknown)}")
        self._values: Mapping[str, object] = MappingProxyType({k: v for k, v in values.items() if _given(v)})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SourceInput) and self._values == other._values

    __hash__ = None  # type: ignore[assignment]  # equal when equal values, and values may be lists

    def __repr__(self) -> str:
        return f"SourceInput({', '.join(f'{k}={v!r}' for k, v in self._values.items())})"

    def get(self, name: str) -> object:
        """The value given for field ``name``, or ``None``."""
        return self._values.get(name)

    def items(self) -> list[tuple[str, object]]:
        """The fields given, with their values, in the order given."""
        return list(self._values.items())

    def replace(self, **changes: object) -> SourceInput:
        """A copy with ``changes`` made (an empty value takes the field out)."""
        return SourceInput(**{**self._values, **changes})

    @property
    def id(self) -> str | None:
        return self._text("id")

    @property
    def title(self) -> str | None:
        return self._text("title")

    @property
    def doi(self) -> str | None:
        return self._text("doi")

    @property
    def authors(self) -> tuple[str, ...]:
        return tuple(str(author) for author in self._list("authors"))

    @property
    def year(self) -> int | None:
        year = self._values.get("year")
        return year if isinstance(year, int) else None

    def _text(self, name: str) -> str | None:
        value = self._values.get(name)
        return None if value is None else str(value)

    def _list(self, name: str) -> list[object]:
        value = self._values.get(name)
        return list(value) if isinstance(value, list | tuple) else []

    def missing(self) -> list[str]:
        """The required fields not given, by their flag names."""
        missing = [] if self.title else ["title"]
        if not self.authors:
            missing.append("author")
        relevance, rigour = self.get("relevance"), self.get("rigour")
        if bool(relevance) != bool(rigour):
            missing.append("rigour" if relevance else "relevance")
        return missing

    def record(self, new_id: str) -> dict[str, Any]:
        """The mapping written to the evidence file, in the format's key order, empty fields left out.

        A nested record (the appraisal) is written only when all its fields are given.
        """
        data: dict[str, Any] = {}
        nested: dict[str, int] = {}
        for name, path in SOURCE_FIELDS.items():
            value = new_id if name == "id" else self._values.get(name)
            if len(path) > 1:
                nested[path[0]] = nested.get(path[0], 0) + 1
            if value is None:
                continue
            value = list(value) if isinstance(value, tuple | list) else value
            if len(path) == 1:
                data[name] = value
            else:
                data.setdefault(path[0], {})[path[1]] = value
        for name, size in nested.items():
            if len(data.get(name, {})) < size:
                data.pop(name, None)
        data["cmocs"] = []
        return data


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


SOURCE_KEYS = tuple(Source.model_fields)
"""A source's keys in the order of the evidence format: where a key new to a file is put."""

CMOC_KEYS = tuple(Cmoc.model_fields)


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
            path = SOURCE_FIELDS[key]
            if len(path) > 1:  # a rating of the appraisal: "" takes out the whole appraisal
                if value == "":
                    new.pop(path[0], None)
                    continue
                nested = dict(new[path[0]]) if isinstance(new.get(path[0]), dict) else {}
                new[path[0]] = nested | {path[1]: value}
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
