"""Reference-manager exports (RIS, BibTeX, CSL-JSON) to source entries, skipping what the review has.

Parsing is left to maintained parsers (rispy; bibtexparser, whose LaTeX decoding turns ``d'{\\^e}tre``
into "d'être"); this module only maps their records to the evidence format and finds duplicates.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import rispy
from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors, SplitNameParts

from crm_review.entries import SourceInput
from crm_review.errors import ImportFailed
from crm_review.escape import first_invisible, visible
from crm_review.ids import source_id
from crm_review.load import load_record
from crm_review.model import DOI_PATTERN, Source, strip_doi_prefix
from crm_review.yamltext import dump

# Zotero's CSL-JSON of 10,000 records with abstracts is about 30 MB.
MAX_EXPORT_BYTES = 200_000_000
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
    """Every record of the export at ``path``, each checked as the source stub it will become.

    A record that cannot become a valid stub (an unexpected shape, a control character) stops the import
    with one line naming the export, the line where the record starts (RIS, BibTeX) and its number and
    title, so the user fixes it where it came from, never in a file that does not exist yet.
    """
    fmt = fmt or detect_format(path)
    try:
        with path.open("rb") as handle:  # bounded: /dev/zero or a runaway pipe must not fill the memory
            raw = handle.read(MAX_EXPORT_BYTES + 1)
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read the file ({exc.strerror})") from exc
    if len(raw) > MAX_EXPORT_BYTES:
        raise ImportFailed(
            f"{path}: larger than {MAX_EXPORT_BYTES // 1_000_000} MB, far beyond a reference library's export:"
            " is it the right file? Split it into smaller exports"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not UTF-8 text; export it again choosing UTF-8 as the encoding") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    records = _READERS[fmt](text, path)
    if not records:
        raise ImportFailed(f"{path}: no {_FORMAT_NAMES[fmt]} records in this file: {_EXPECTED[fmt]}")
    references = []
    for number, record in enumerate(records, start=1):
        where = f"{path}:{record.line}" if record.line else str(path)
        try:
            reference = record.reference()
            _check_stub(reference)
        except _BadRecord as exc:
            raise ImportFailed(f"{where}: record {number}{_titled(record.title)}: {exc}") from None
        references.append(reference)
    return references


_FORMAT_NAMES = {"ris": "RIS", "bibtex": "BibTeX", "csl-json": "CSL-JSON"}
_EXPECTED = {
    "ris": "a RIS export has records from `TY  - JOUR` to `ER  - `; for BibTeX or CSL-JSON add --format",
    "bibtex": "a BibTeX export has entries such as `@article{key, title = {...}}`; for RIS or CSL-JSON add --format",
    "csl-json": "the export is an empty list `[]`; export the records again from your reference manager",
}


class _BadRecord(Exception):
    """A record whose content cannot become a source stub; the message says what to change."""


@dataclass(frozen=True)
class _Record:
    """One record of an export as its parser gave it, with where it starts and how to map it."""

    line: int | None
    title: str | None
    reference: Callable[[], SourceInput]


def _titled(title: str | None) -> str:
    if not title:
        return ""
    shown = visible(" ".join(title.split()), keep="")
    return f' ("{shown[:60]}{"..." if len(shown) > 60 else ""}")'


def _check_stub(reference: SourceInput) -> None:
    """The stub ``reference`` becomes must be a valid source: say which field is not, in the user's words."""
    for name, value in reference.items():
        for text in value if isinstance(value, tuple | list) else (value,):
            if isinstance(text, str) and (bad := first_invisible(text)) is not None:
                raise _BadRecord(
                    f"its {name} holds the control character {visible(bad)} (invisible, often pasted from a PDF):"
                    " remove it in your reference manager and export again"
                )
    if not reference.title:
        return  # skipped as untitled, never written
    # The stub is checked by the very loader that will read it back, so every rule of the evidence
    # format applies here, and its problem is told against the export, not the file not yet written.
    stub = dump(reference.replace(doi=clean_doi(reference.doi)).record("imported"))
    loaded = load_record(stub, Path("imported.yaml"), Source)
    errors = [problem for problem in loaded if problem.severity == "error"] if isinstance(loaded, list) else []
    if errors:
        raise _BadRecord(f"it cannot become a source: {errors[0].message}")


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


def _is_ris_tag(line: str) -> bool:
    """A tagged RIS line (``TI  - Title``), by the rule rispy reads them with."""
    return line[2:5] == "  -" and line[:2].isupper() and line[:1].isalpha()


def _ris_record_lines(text: str, path: Path) -> list[int]:
    """The line where each record starts; a record cut short or a tag outside a record is an error.

    rispy drops such lines and records without a word, so the structure is checked here first.
    """
    starts: list[int] = []
    open_at: int | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if not _is_ris_tag(line):
            if open_at is None and line.startswith("TY"):
                raise ImportFailed(f"{path}:{number}: a record starts with `TY  - ` and a type, e.g. `TY  - JOUR`")
            continue
        tag = line[:2]
        if tag == "TY":
            if open_at is not None:
                raise ImportFailed(
                    f"{path}:{open_at}: this record has no `ER  - ` line before the next record at line {number}:"
                    " add `ER  - ` at its end"
                )
            open_at = number
            starts.append(number)
        elif open_at is None:
            raise ImportFailed(
                f"{path}:{number}: `{visible(line[:2])}  -` stands outside a record: each record starts with"
                " `TY  - ` and ends with `ER  - `"
            )
        elif tag == "ER":
            open_at = None
    if open_at is not None:
        raise ImportFailed(
            f"{path}:{open_at}: the last record has no `ER  - ` line: the export looks cut short;"
            " export it again, or add `ER  - ` after the record's last line"
        )
    return starts


def _read_ris(text: str, path: Path) -> list[_Record]:
    starts = _ris_record_lines(text, path)
    try:
        entries = rispy.loads(text)
    except (OSError, ValueError, LookupError, TypeError, AttributeError) as exc:
        raise ImportFailed(f"{path}: not a RIS file rispy can read ({exc})") from exc
    if len(entries) != len(starts):  # the two readings disagree: never import half of a file
        raise ImportFailed(f"{path}: {len(starts)} records by their `TY` lines, but {len(entries)} could be read")
    return [
        _Record(line, _plain(entry.get("title") or entry.get("primary_title")), partial(_from_ris, entry))
        for line, entry in zip(starts, entries, strict=True)
    ]


def _plain(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _ris_text(entry: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = entry.get(name)
        if isinstance(value, list):  # a tag rispy reads as one value, written on several lines
            value = " ".join(str(v) for v in value)
        if value:
            return _text(value)
    return None


def _ris_list(entry: dict[str, Any], name: str) -> list[str]:
    value = entry.get(name) or []
    values = value if isinstance(value, list) else [value]
    return [text for text in (_text(v) for v in values) if text]


def _from_ris(entry: dict[str, Any]) -> SourceInput:
    urls = _ris_list(entry, "urls")
    return SourceInput(
        title=_ris_text(entry, "title", "primary_title"),
        authors=(*_ris_list(entry, "first_authors"), *_ris_list(entry, "authors")),
        year=_year(_ris_text(entry, "year", "publication_year", "date")),
        journal=_ris_text(entry, "secondary_title", "journal_name", "alternate_title3", "alternate_title2"),
        volume=_ris_text(entry, "volume"),
        issue=_ris_text(entry, "number"),
        pages=_pages(_ris_text(entry, "start_page"), _ris_text(entry, "end_page")),
        doi=_ris_text(entry, "doi"),
        url=urls[0] if urls else None,
        abstract=_ris_text(entry, "abstract", "notes_abstract"),
        keywords=tuple(_ris_list(entry, "keywords")),
    )


# --- BibTeX (Zotero, Better BibTeX, JabRef) -----------------------------------------------------


def _read_bibtex(text: str, path: Path) -> list[_Record]:
    try:
        library = parse_string(
            text, append_middleware=[LatexDecodingMiddleware(), SeparateCoAuthors(), SplitNameParts()]
        )
    except (ValueError, LookupError, TypeError, AttributeError, RecursionError) as exc:
        raise ImportFailed(f"{path}: not a BibTeX file bibtexparser can read ({exc})") from exc
    if library.failed_blocks:
        block = library.failed_blocks[0]
        line = (block.start_line or 0) + 1
        raise ImportFailed(
            f"{path}:{line}: this BibTeX entry cannot be read ({type(block).__name__}); fix or remove it"
        )
    return [
        _Record(
            (entry.start_line or 0) + 1,
            _plain(entry.fields_dict["title"].value) if "title" in entry.fields_dict else None,
            partial(_from_bibtex, entry.fields_dict),
        )
        for entry in library.entries
    ]


def _from_bibtex(fields: dict[str, Any]) -> SourceInput:
    def value(*names: str) -> Any:
        for name in names:
            if name in fields and fields[name].value not in (None, ""):
                return fields[name].value
        return None

    authors = value("author") or []
    if isinstance(authors, str):  # a name SplitNameParts could not split is kept as written
        authors = [authors]
    keywords = value("keywords") or ""
    return SourceInput(
        title=_text(value("title")),
        authors=tuple(a for a in (_bibtex_name(name) for name in authors) if a),
        year=_year(value("year", "date")),
        journal=_text(value("journal", "journaltitle", "booktitle")),
        volume=_text(value("volume")),
        issue=_text(value("number", "issue")),
        pages=_text(value("pages")),
        doi=_text(value("doi")),
        url=_text(value("url")),
        abstract=_text(value("abstract")),
        keywords=tuple(k for k in (_text(k) for k in re.split(r"[,;]", str(keywords))) if k),
    )


def _bibtex_name(name: Any) -> str | None:
    if isinstance(name, str):
        return _text(name)
    family = " ".join([*name.von, *name.last])
    given = " ".join(name.first)
    if name.jr:
        given = f"{given}, {' '.join(name.jr)}" if given else " ".join(name.jr)
    return _text(f"{family}, {given}" if given else family)


# --- CSL-JSON (Zotero "Export Format: CSL JSON") -----------------------------------------------


def _read_csl_json(text: str, path: Path) -> list[_Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from exc
    except RecursionError as exc:
        raise ImportFailed(f"{path}: JSON nested too deeply to read: a CSL-JSON export nests a few levels") from exc
    except ValueError as exc:  # e.g. a number of thousands of digits
        raise ImportFailed(f"{path}: JSON that cannot be read ({_first_line(exc)})") from exc
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ImportFailed(f"{path}: CSL-JSON should be a list of records, as Zotero exports it")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ImportFailed(
                f"{path}: record {number} is {_kind(item)}, not a record: CSL-JSON is a list of records"
                ' such as {"title": "...", "author": [...]}'
            )
    return [_Record(None, _plain(item.get("title")), partial(_from_csl, item)) for item in items]


def _first_line(exc: BaseException) -> str:
    return str(exc).split("\n", 1)[0] or type(exc).__name__


def _kind(value: Any) -> str:
    """What a JSON value is, in a user's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f'the text "{visible(value[:40], keep="")}"'
    return "a list" if isinstance(value, list) else "a mapping"


def _csl_text(item: dict[str, Any], key: str) -> str | None:
    """A CSL text variable; CSL allows numbers for volume, issue and page."""
    value = item.get(key)
    if value is None or isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return _text(value)
    raise _BadRecord(f"`{key}` should be text, not {_kind(value)}")


_NAME_EXAMPLE = '{"family": "Doe", "given": "Jane"}'


def _csl_names(item: dict[str, Any], key: str) -> tuple[str, ...]:
    people = item.get(key)
    if people is None:
        return ()
    if not isinstance(people, list):
        raise _BadRecord(f"`{key}` should be a list of names such as [{_NAME_EXAMPLE}], not {_kind(people)}")
    names = []
    for person in people:
        if not isinstance(person, dict):
            raise _BadRecord(f"each `{key}` should be a name such as {_NAME_EXAMPLE}, not {_kind(person)}")
        parts = {}
        for part in ("literal", "family", "given", "non-dropping-particle"):
            value = person.get(part)
            if value is not None and not isinstance(value, str):
                raise _BadRecord(f"the `{part}` of an `{key}` should be text, not {_kind(value)}")
            parts[part] = _text(value)
        if parts["literal"]:
            names.append(parts["literal"])
        elif parts["family"]:
            family = " ".join(p for p in (parts["non-dropping-particle"], parts["family"]) if p)
            names.append(f"{family}, {parts['given']}" if parts["given"] else family)
    return tuple(n for n in names if n)


_DATE_EXAMPLE = '{"date-parts": [[2020, 5]]}'


def _csl_year(item: dict[str, Any]) -> int | None:
    issued = item.get("issued")
    if issued is None:
        return None
    if not isinstance(issued, dict):
        raise _BadRecord(f"`issued` should be a date such as {_DATE_EXAMPLE}, not {_kind(issued)}")
    parts = issued.get("date-parts")
    if parts is not None:
        if not isinstance(parts, list) or not all(isinstance(date, list) for date in parts):
            raise _BadRecord(f"`issued.date-parts` should be a list of [year, month, day] lists, e.g. {_DATE_EXAMPLE}")
        year = parts[0][0] if parts and parts[0] else None
        if year is not None and (isinstance(year, bool) or not isinstance(year, int | str)):
            raise _BadRecord(f"the year in `issued.date-parts` should be a number, not {_kind(year)}")
        if year is not None:
            return _year(year)
    for key in ("raw", "literal"):
        value = issued.get(key)
        if value is not None and not isinstance(value, str | int):
            raise _BadRecord(f"`issued.{key}` should be text, not {_kind(value)}")
        if value:
            return _year(value)
    return None


def _from_csl(item: dict[str, Any]) -> SourceInput:
    keywords = _csl_text(item, "keyword") or ""
    return SourceInput(
        title=_csl_text(item, "title"),
        authors=_csl_names(item, "author"),
        year=_csl_year(item),
        journal=_csl_text(item, "container-title"),
        volume=_csl_text(item, "volume"),
        issue=_csl_text(item, "issue"),
        pages=_csl_text(item, "page"),
        doi=_csl_text(item, "DOI"),
        url=_csl_text(item, "URL"),
        abstract=_csl_text(item, "abstract"),
        keywords=tuple(k for k in (_text(k) for k in re.split(r"[,;]", keywords)) if k),
    )


_READERS: dict[str, Callable[[str, Path], list[_Record]]] = {
    "ris": _read_ris,
    "bibtex": _read_bibtex,
    "csl-json": _read_csl_json,
}
FORMATS = tuple(_READERS)
"""The exports `crm import --format` reads (the CLI spells them out to start light; a test keeps them equal)."""
