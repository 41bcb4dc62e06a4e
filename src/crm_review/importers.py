"""Reference-manager exports (RIS, BibTeX, CSL-JSON) to source entries, skipping what the review has.

Parsing is left to maintained parsers (rispy; bibtexparser, whose LaTeX decoding turns ``d'{\\^e}tre``
into "d'être"); this module only maps their records to the evidence format and finds duplicates.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rispy
from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors, SplitNameParts

from crm_review.entries import SourceInput
from crm_review.errors import ImportFailed
from crm_review.ids import source_id
from crm_review.model import DOI_PATTERN, Source, strip_doi_prefix

FORMATS = ("ris", "bibtex", "csl-json")
_SUFFIXES = {".ris": "ris", ".bib": "bibtex", ".bibtex": "bibtex", ".json": "csl-json"}


@dataclass(frozen=True)
class Skipped:
    reference: SourceInput
    reason: str


@dataclass
class ImportPlan:
    """What an import would create and what it leaves out, and why."""

    create: list[tuple[str, SourceInput]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def detect_format(path: Path) -> str:
    try:
        return _SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise ImportFailed(
            f"{path}: cannot tell the format from `{path.suffix or 'no suffix'}`: "
            "add --format ris, --format bibtex or --format csl-json"
        ) from None


def read_references(path: Path, fmt: str | None = None) -> list[SourceInput]:
    """Every record of the export at ``path``."""
    fmt = fmt or detect_format(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read the file ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not UTF-8 text; export it again choosing UTF-8 as the encoding") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    readers = {"ris": _read_ris, "bibtex": _read_bibtex, "csl-json": _read_csl_json}
    return readers[fmt](text, path)


def plan_import(references: Iterable[SourceInput], existing: Sequence[Source], taken_ids: set[str]) -> ImportPlan:
    """Decide, record by record, whether to create a stub or skip it as a duplicate."""
    plan = ImportPlan()
    seen_dois = {_doi_key(s.doi): s.id for s in existing if s.doi}
    seen_titles = {(_title_key(s.title), s.year): s.id for s in existing}
    taken = set(taken_ids)
    for reference in references:
        if not reference.title:
            plan.skipped.append(Skipped(reference, "no title"))
            continue
        doi_key = _doi_key(reference.doi) if reference.doi else None
        title_key = (_title_key(reference.title), reference.year)
        if doi_key and doi_key in seen_dois:
            plan.skipped.append(Skipped(reference, f"same DOI as `{seen_dois[doi_key]}`"))
            continue
        if title_key in seen_titles:
            plan.skipped.append(Skipped(reference, f"same title and year as `{seen_titles[title_key]}`"))
            continue
        new_id = source_id(reference.authors, reference.year, reference.title, taken)
        taken.add(new_id)
        if doi_key:
            seen_dois[doi_key] = new_id
        seen_titles[title_key] = new_id
        plan.create.append((new_id, reference))
    return plan


def clean_doi(value: str | None) -> str | None:
    """A DOI without its link prefix, or ``None`` when the value is not a DOI at all."""
    if not value:
        return None
    doi = strip_doi_prefix(value)
    return doi if DOI_PATTERN.fullmatch(doi) else None


def _doi_key(doi: str) -> str:
    return (clean_doi(doi) or doi).lower()


def _title_key(title: str) -> str:
    folded = unicodedata.normalize("NFKD", title).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def _year(value: Any) -> int | None:
    match = re.search(r"\b(1\d{3}|2\d{3})\b", str(value or ""))
    return int(match.group(1)) if match else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _pages(start: Any, end: Any) -> str | None:
    start_text, end_text = _text(start), _text(end)
    if start_text and end_text and end_text != start_text:
        return f"{start_text}-{end_text}"
    return start_text


# --- RIS (Zotero, EndNote, Mendeley) ------------------------------------------------------------


def _read_ris(text: str, path: Path) -> list[SourceInput]:
    try:
        entries = rispy.loads(text)
    except (OSError, ValueError, KeyError) as exc:
        raise ImportFailed(f"{path}: not a RIS file rispy can read ({exc})") from exc
    return [_from_ris(entry) for entry in entries]


def _from_ris(entry: dict[str, Any]) -> SourceInput:
    authors = [*entry.get("first_authors", []), *entry.get("authors", [])]
    journal = next(
        (entry[k] for k in ("secondary_title", "journal_name", "alternate_title3", "alternate_title2") if entry.get(k)),
        None,
    )
    urls = entry.get("urls") or []
    return SourceInput(
        title=_text(entry.get("title") or entry.get("primary_title")),
        authors=tuple(a for a in (_text(a) for a in authors) if a),
        year=_year(entry.get("year") or entry.get("publication_year") or entry.get("date")),
        journal=_text(journal),
        volume=_text(entry.get("volume")),
        issue=_text(entry.get("number")),
        pages=_pages(entry.get("start_page"), entry.get("end_page")),
        doi=_text(entry.get("doi")),
        url=_text(urls[0]) if urls else None,
        abstract=_text(entry.get("abstract") or entry.get("notes_abstract")),
        keywords=tuple(k for k in (_text(k) for k in entry.get("keywords", [])) if k),
    )


# --- BibTeX (Zotero, Better BibTeX, JabRef) -----------------------------------------------------


def _read_bibtex(text: str, path: Path) -> list[SourceInput]:
    library = parse_string(text, append_middleware=[LatexDecodingMiddleware(), SeparateCoAuthors(), SplitNameParts()])
    if library.failed_blocks:
        block = library.failed_blocks[0]
        line = (block.start_line or 0) + 1
        raise ImportFailed(
            f"{path}:{line}: this BibTeX entry cannot be read ({type(block).__name__}); fix or remove it"
        )
    return [_from_bibtex(entry.fields_dict) for entry in library.entries]


def _from_bibtex(fields: dict[str, Any]) -> SourceInput:
    def value(*names: str) -> Any:
        for name in names:
            if name in fields and fields[name].value not in (None, ""):
                return fields[name].value
        return None

    authors = value("author") or []
    keywords = value("keywords") or ""
    return SourceInput(
        title=_text(value("title")),
        authors=tuple(_bibtex_name(name) for name in authors),
        year=_year(value("year", "date")),
        journal=_text(value("journal", "journaltitle", "booktitle")),
        volume=_text(value("volume")),
        issue=_text(value("number", "issue")),
        pages=_text(value("pages")),
        doi=_text(value("doi")),
        url=_text(value("url")),
        abstract=_text(value("abstract")),
        keywords=tuple(k for k in (_text(k) for k in re.split(r"[,;]", keywords)) if k),
    )


def _bibtex_name(name: Any) -> str:
    family = " ".join([*name.von, *name.last])
    given = " ".join(name.first)
    if name.jr:
        given = f"{given}, {' '.join(name.jr)}" if given else " ".join(name.jr)
    return f"{family}, {given}" if given else family


# --- CSL-JSON (Zotero "Export Format: CSL JSON") -----------------------------------------------


def _read_csl_json(text: str, path: Path) -> list[SourceInput]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from exc
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ImportFailed(f"{path}: CSL-JSON should be a list of records, as Zotero exports it")
    return [_from_csl(item) for item in items]


def _from_csl(item: dict[str, Any]) -> SourceInput:
    authors = []
    for person in item.get("author", []):
        if person.get("literal"):
            authors.append(str(person["literal"]))
        elif person.get("family"):
            given = person.get("given")
            family = " ".join(p for p in (person.get("non-dropping-particle"), person["family"]) if p)
            authors.append(f"{family}, {given}" if given else family)
    issued = item.get("issued") or {}
    parts = issued.get("date-parts") or [[None]]
    year = parts[0][0] if parts and parts[0] else None
    keywords = item.get("keyword") or ""
    return SourceInput(
        title=_text(item.get("title")),
        authors=tuple(authors),
        year=_year(year if year is not None else issued.get("raw") or issued.get("literal")),
        journal=_text(item.get("container-title")),
        volume=_text(item.get("volume")),
        issue=_text(item.get("issue")),
        pages=_text(item.get("page")),
        doi=_text(item.get("DOI")),
        url=_text(item.get("URL")),
        abstract=_text(item.get("abstract")),
        keywords=tuple(k for k in (_text(k) for k in re.split(r"[,;]", str(keywords))) if k),
    )
