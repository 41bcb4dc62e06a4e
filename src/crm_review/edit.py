"""Changing evidence files safely.

Every change runs under the review's lock, is validated together with the whole review before
anything is written, keeps the file's existing text (comments, key order, quoting, blank lines), and
is written atomically. On any error nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from crm_review import layout
from crm_review.choose import pick, starting_with
from crm_review.entries import CmocInput, SourceInput
from crm_review.errors import (
    AmbiguousPrinciple,
    InvalidEvidence,
    MissingFields,
    RefusedOverwrite,
    ReviewBusy,
    UnknownId,
    UnsupportedLayout,
)
from crm_review.files import write_all_atomic, write_atomic
from crm_review.ids import next_cmoc_id, source_id
from crm_review.importers import Skipped, clean_doi, plan_import, read_references
from crm_review.load import LoadedFile, ReviewFiles, load_review_files, read_text, with_changes
from crm_review.model import DEFAULT_RELATION, RELATIONS, Principle, Relation, Source, strip_doi_prefix
from crm_review.pipeline import check
from crm_review.suggest import did_you_mean
from crm_review.yamltext import Located, dump, parse

LOCK_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Added:
    """Where a new source or CMOC was written, and its id."""

    path: Path
    id: str


@contextmanager
def review_lock(root: Path) -> Iterator[None]:
    """Hold the review's lock, so that concurrent crm commands change it one at a time."""
    lock = FileLock(str(root / layout.LOCK_FILE), timeout=LOCK_TIMEOUT_SECONDS)
    try:
        with lock:
            yield
    except Timeout as exc:
        raise ReviewBusy(
            f"another crm command has been changing {layout.shown(root)} for over {LOCK_TIMEOUT_SECONDS} s; "
            f"try again (if none is running, delete {layout.LOCK_FILE})"
        ) from exc


def resolve_principle(token: str, principles: Sequence[Principle]) -> str:
    """A principle id from its id or an unambiguous prefix of it."""
    ids = [p.id for p in principles]
    if token in ids:
        return token
    matches = [i for i in ids if i.startswith(token.strip().lower())] if token.strip() else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AmbiguousPrinciple(f"principle `{token}` could be {' or '.join(matches)}: write more of it")
    raise UnknownId(f"unknown principle `{token}`" + did_you_mean(token, ids, f"; the principles are {', '.join(ids)}"))


def resolve_link(token: str, principles: Sequence[Principle]) -> tuple[str, Relation]:
    """``motiv=refines`` -> (``motivations``, ``refines``); a principle alone is supported.

    The relation, like the principle, may be given by an unambiguous start in any case (``=refu``).
    """
    principle_part, _, relation_part = token.partition("=")
    principle_id = resolve_principle(principle_part.strip(), principles)
    wanted = relation_part.strip().lower()
    if not wanted:
        return principle_id, DEFAULT_RELATION
    matches = [r for r in RELATIONS if r.startswith(wanted)]
    if len(matches) == 1:
        return principle_id, matches[0]
    if matches:
        raise AmbiguousPrinciple(
            f"relation `{relation_part.strip()}` could be {' or '.join(matches)}: write more of it"
        )
    raise UnknownId(
        f"unknown relation `{relation_part.strip()}`"
        + did_you_mean(wanted, RELATIONS, f"; write {', '.join(RELATIONS)}")
    )


def add_source(root: Path, new: SourceInput) -> Added:
    """Write a new evidence file for ``new``; its id made from first author and year unless given."""
    if new.missing():
        raise MissingFields(new.missing())
    with review_lock(root):
        files = load_review_files(root)
        taken = _source_ids(root, files)
        assert new.title is not None
        new_id = new.id or source_id(new.authors, new.year, new.title, taken)
        path = layout.evidence_dir(root) / f"{new_id}.yaml"
        if new.id in taken or path.exists():
            raise RefusedOverwrite(f"source `{new_id}` already exists ({layout.shown(path)}); choose another --id")
        # A DOI pasted from the browser (https://doi.org/...) is what users have at hand.
        text = dump(new.replace(doi=strip_doi_prefix(new.doi) if new.doi else None).record(new_id))
        try:
            refuse_new_errors(files, {path: text})
        except InvalidEvidence as exc:
            # The file does not exist yet: name what the user typed, not a place they cannot open.
            shown = layout.shown(path)
            raise InvalidEvidence(
                [replace(p, path=NEW_SOURCE, line=None, col=None) if p.path == shown else p for p in exc.problems]
            ) from None
        write_atomic(path, text)
    return Added(layout.shown(path), new_id)


NEW_SOURCE = Path("the new source")
"""Where a problem of a source not yet written is said to stand: in what the user gave."""


def add_cmoc(root: Path, new: CmocInput) -> Added:
    """Append ``new`` to the end of its source's ``cmocs:`` list, keeping the rest of the file as it was."""
    if new.missing():
        raise MissingFields(new.missing())
    with review_lock(root):
        files = load_review_files(root)
        loaded = _find_source(root, files, str(new.source))
        principles = review_principles(root, files)
        links = dict(resolve_link(token, principles) for token in new.principles)
        taken = files.cmoc_ids()  # from the outlines: building every record would cost more than the check
        if new.id is not None and new.id in taken:
            raise RefusedOverwrite(f"CMOC id `{new.id}` is already used; choose another --id or leave it out")
        new_id = new.id or next_cmoc_id(loaded.record.id, taken)
        path = _disk_path(root, loaded)
        text = read_text(path, loaded.path)
        changed = append_cmoc(text, parse(text, loaded.path), new.record(new_id, links))
        refuse_new_errors(files, {path: changed})
        write_atomic(path, changed)
    return Added(loaded.path, new_id)


@dataclass(frozen=True)
class ImportReport:
    """What ``crm import`` created (or would create, on a dry run) and what it skipped."""

    created: list[Added]
    skipped: list[Skipped]
    notes: list[str]
    dry_run: bool


def import_references(root: Path, export: Path, fmt: str | None = None, *, dry_run: bool = False) -> ImportReport:
    """Create a source stub per new record of a reference-manager export; skip those the review has."""
    references = read_references(export, fmt)
    with review_lock(root):
        files = load_review_files(root)
        plan = plan_import(references, [f.record for f in files.sources], _source_ids(root, files))
        notes: list[str] = []
        texts: dict[Path, str] = {}
        created = []
        for new_id, reference in plan.create:
            stub = reference.replace(doi=clean_doi(reference.doi))
            if reference.doi and stub.doi is None:
                notes.append(f"{new_id}: `{reference.doi}` is not a DOI, so it was left out")
            path = layout.evidence_dir(root) / f"{new_id}.yaml"
            texts[path] = dump(stub.record(new_id))
            created.append(Added(layout.shown(path), new_id))
        refuse_new_errors(files, texts)
        if not dry_run:
            write_all_atomic(texts)
    return ImportReport(created, plan.skipped, notes, dry_run)


def append_cmoc(text: str, located: Located, entry: dict[str, Any]) -> str:
    """``text`` with ``entry`` added as the last item of its ``cmocs:`` block list."""
    newline = "\r\n" if "\r\n" in text else "\n"
    data = located.data
    if "cmocs" not in data:
        body = text if text.endswith(("\n", "\r")) or not text else text + newline
        return body + "cmocs:" + newline + _block(entry, 2, newline)
    start = located.value_starts[("cmocs",)].index
    end = located.value_ends[("cmocs",)].index
    items = data["cmocs"]
    if not items and (data["cmocs"] is None or text[start] == "["):
        head = text[:start].rstrip(" ")
        rest = text[end:] if items is not None else text[start:]
        line_end = rest.find("\n")
        tail, after = (rest, "") if line_end == -1 else (rest[: line_end + 1], rest[line_end + 1 :])
        if not tail.endswith("\n"):
            tail += newline
        return head + tail + _block(entry, 2, newline) + after
    if not isinstance(items, list) or text[start] == "[":
        raise UnsupportedLayout("`cmocs:` is written as a [flow, list]: write one `- id:` item per line to use crm add")
    first = located.value_starts[("cmocs", 0)]
    line_start = text.rfind("\n", 0, first.index) + 1
    indent = text[line_start : first.index].rfind("-")
    indent = 2 if indent < 0 else indent
    last_end = located.value_ends[("cmocs", len(items) - 1)].index
    if last_end == len(text) or text[last_end - 1] == "\n":  # the item ends at a line's end (the file's too)
        insert_at = _before_dedented_trailer(text, last_end, indent)
    else:  # a flow item, perhaps with a comment after it on its line
        line_end = text.find("\n", last_end)
        insert_at = len(text) if line_end == -1 else line_end + 1
    prefix = newline if insert_at > 0 and text[insert_at - 1] != "\n" else ""  # a last line without its newline
    spaced = len(items) < 2 or _blank_line_before(text, located.value_starts[("cmocs", 1)].index)
    separator = newline if spaced else ""
    return text[:insert_at] + prefix + separator + _block(entry, indent, newline) + text[insert_at:]


def _blank_line_before(text: str, index: int) -> bool:
    """Whether the line above the one holding ``index`` is blank (the file separates items so)."""
    line_start = text.rfind("\n", 0, index) + 1
    above_start = text.rfind("\n", 0, max(line_start - 1, 0)) + 1
    return line_start > 0 and not text[above_start:line_start].strip()


def _before_dedented_trailer(text: str, index: int, indent: int) -> int:
    """Step back over blank and comment lines indented less than the items: they belong to what follows."""
    while index > 0:
        line_start = text.rfind("\n", 0, index - 1) + 1
        line = text[line_start:index]
        stripped = line.lstrip(" ")
        dedented_comment = stripped.startswith("#") and len(line) - len(stripped) <= indent
        if stripped.strip() and not dedented_comment:
            return index
        index = line_start
    return index


def _block(entry: dict[str, Any], indent: int, newline: str) -> str:
    lines = dump([entry]).splitlines()
    return "".join(" " * indent + line + newline for line in lines)


def _source_ids(root: Path, files: ReviewFiles) -> set[str]:
    return {f.record.id for f in files.sources} | {p.stem for p in layout.evidence_files(root)}


def _find_source(root: Path, files: ReviewFiles, wanted: str) -> LoadedFile[Source]:
    for loaded in files.sources:
        if loaded.record.id == wanted:
            return loaded
    started = starting_with(wanted, [f.record.id for f in files.sources])
    if len(started) == 1:  # `karuga` for karuga-2021, as at the prompt
        return next(f for f in files.sources if f.record.id == started[0])
    if started:
        pick(wanted, [f.record.id for f in files.sources], "source")
    broken = [p for p in files.problems if p.severity == "error" and Path(p.path).stem == wanted]
    if broken:
        raise InvalidEvidence(broken)
    known = sorted(f.record.id for f in files.sources)
    suggestion = did_you_mean(wanted, known, " (see `crm list sources`)")
    raise UnknownId(f"no source `{wanted}` in {layout.shown(layout.evidence_dir(root))}{suggestion}")


def review_principles(root: Path, files: ReviewFiles) -> Sequence[Principle]:
    """The review's principles, or the errors that keep its taxonomy from being read."""
    if files.taxonomy is None:
        taxonomy = str(layout.shown(layout.principles_file(root)))
        raise InvalidEvidence([p for p in files.problems if str(p.path) == taxonomy])
    return files.taxonomy.record.principles


def _disk_path(root: Path, loaded: LoadedFile[Source]) -> Path:
    return layout.evidence_dir(root) / loaded.path.name


def refuse_new_errors(files: ReviewFiles, changed: dict[Path, str]) -> None:
    """Refuse a change that adds any error to the review (errors it already had do not block it)."""
    before = {(str(p.path), p.message) for p in check(files).errors}
    after = check(with_changes(files, changed)).errors
    new = [p for p in after if (str(p.path), p.message) not in before]
    if new:
        raise InvalidEvidence(new)
