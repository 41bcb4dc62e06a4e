"""Files to records: every failure located as ``path:line:col`` and said in the user's words.

A file is first read the fast way (:func:`crm_review.yamltext.plain_data`, no positions) and validated;
only a file with a problem, or one the fast way will not read, is read again with every position, to
say where the problem is. Positions of a valid file are worked out only if a rule across files asks.
"""

from __future__ import annotations

import contextlib
import gc
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from crm_review import files, layout
from crm_review.cache import Entry, EvidenceCache
from crm_review.errors import Problem, ReviewNotFound
from crm_review.model import (
    COMPONENTS,
    LINK_FORMS,
    MULTI_LINE_PATTERN,
    Assessment,
    FreeText,
    ReviewConfig,
    Source,
    Taxonomy,
)
from crm_review.progress import advance
from crm_review.suggest import did_you_mean, nearest
from crm_review.yamltext import Loc, Located, YamlProblems, decode, describe_character, parse, plain_data

RecordT = TypeVar("RecordT", bound=BaseModel)


@dataclass(frozen=True)
class CmocOutline:
    """What the rules across files need of a CMOC: its id and the principles it names, in order."""

    id: str
    principles: tuple[str, ...]
    mapping_form: bool
    """Whether ``principles:`` is written as a mapping (located by key) or a list (by place)."""


@dataclass(frozen=True)
class SourceOutline:
    """What the rules across files need of a source, small enough to keep in the cache."""

    id: str
    cmocs: tuple[CmocOutline, ...]
    appraised: bool

    @classmethod
    def of(cls, source: Source) -> SourceOutline:
        cmocs = tuple(CmocOutline(c.id, c.principle_ids(), isinstance(c.principles, dict)) for c in source.cmocs)
        return cls(source.id, cmocs, source.appraisal is not None)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "appraised": self.appraised,
            "cmocs": [[c.id, list(c.principles), c.mapping_form] for c in self.cmocs],
        }

    @classmethod
    def from_json(cls, data: Any) -> SourceOutline:
        """Raises ``TypeError``, ``KeyError`` or ``ValueError`` on anything but what :meth:`as_json` wrote."""
        cmocs = []
        for cmoc_id, principles, mapping_form in data["cmocs"]:
            ids = tuple(principles)
            "".join((cmoc_id, *ids))  # raises TypeError unless the id and every principle are text
            if mapping_form is not True and mapping_form is not False:
                raise TypeError("not an outline")
            cmocs.append(CmocOutline(cmoc_id, ids, mapping_form))
        if data["id"].__class__ is not str or data["appraised"].__class__ is not bool:
            raise TypeError("not an outline")
        return cls(data["id"], tuple(cmocs), data["appraised"])


@dataclass(frozen=True, eq=False)
class LoadedFile(Generic[RecordT]):
    """A valid file: its record, its outline (for sources), and where each of its values stands.

    The record and the positions are worked out when first asked for: from the text (or the cache)
    they were checked from, so that a review can be checked without holding every record in memory.
    """

    path: Path
    content: str | bytes = field(repr=False)
    """The file's text, or its bytes (UTF-8, decoded only if positions are asked for)."""
    model: type[RecordT]
    outline: SourceOutline | None = None
    kept: RecordT | None = field(default=None, repr=False)
    record_json: bytes | None = field(default=None, repr=False)

    @cached_property
    def text(self) -> str:
        return self.content if isinstance(self.content, str) else self.content.decode("utf-8-sig")

    @cached_property
    def record(self) -> RecordT:
        if self.kept is not None:
            return self.kept
        if self.record_json is not None:
            return self.model.model_validate_json(self.record_json)
        result = load_record(self.text, self.path, self.model, keep=True)
        assert not isinstance(result, list), "a file that was valid is valid again"
        return result.record

    @cached_property
    def located(self) -> Located:
        return parse(self.text, self.path)

    def at(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        mark = self.located.mark(loc, key=key)
        return mark.line, mark.col


@dataclass(frozen=True)
class ReviewFiles:
    """Everything read from a review folder, and every problem met while reading it."""

    root: Path
    config: LoadedFile[ReviewConfig] | None
    taxonomy: LoadedFile[Taxonomy] | None
    sources: tuple[LoadedFile[Source], ...]
    problems: tuple[Problem, ...]
    assessments: tuple[LoadedFile[Assessment], ...] = ()

    def outlines(self) -> tuple[tuple[LoadedFile[Source], SourceOutline], ...]:
        """Each valid source with its outline: what the rules across files read, without records."""
        return tuple((loaded, _outline(loaded)) for loaded in self.sources)

    def cmoc_ids(self) -> set[str]:
        """Every CMOC id in use, read from the outlines (no record is built)."""
        return {cmoc.id for _, outline in self.outlines() for cmoc in outline.cmocs}


def _outline(loaded: LoadedFile[Source]) -> SourceOutline:
    return loaded.outline if loaded.outline is not None else SourceOutline.of(loaded.record)


def read_text(path: Path, shown_as: Path) -> str:
    """A file's text, refusing binary and non-UTF-8 content (raises :class:`YamlProblems`)."""
    return decode(path.read_bytes(), shown_as)


def load_record(
    text: str, shown_as: Path, model: type[RecordT], *, keep: bool = True
) -> LoadedFile[RecordT] | list[Problem]:
    """Parse and validate one file's text as ``model``; the problems if it is not valid.

    With ``keep=False`` the record is not held (it is built again from the text when asked for), so
    that checking a large review does not hold every record in memory.
    """
    data = plain_data(text)
    if isinstance(data, dict):
        try:
            record = model.model_validate(data)
        except ValidationError:
            pass  # read again with positions below, to say where
        else:
            outline = SourceOutline.of(record) if isinstance(record, Source) else None
            return LoadedFile(shown_as, text, model, outline, record if keep else None)
    return _load_located(text, shown_as, model, keep=keep)


def _load_located(
    text: str, shown_as: Path, model: type[RecordT], *, keep: bool
) -> LoadedFile[RecordT] | list[Problem]:
    try:
        located = parse(text, shown_as)
    except YamlProblems as exc:
        return exc.problems
    if not isinstance(located.data, dict):
        found = "a list" if isinstance(located.data, list) else "a single value"
        fields = ", ".join(f"`{name}:`" for name in list(model.model_fields)[:2])
        return [Problem(shown_as, 1, 1, f"the file holds {found}; it should hold keys such as {fields}")]
    try:
        record = model.model_validate(located.data)
    except ValidationError as exc:
        errors = _without_missing_explained_by_typos(exc.errors(), model)
        return [_translate(error, located, model, shown_as) for error in errors]
    cut = _text_cut_by_comments(located, model, shown_as)
    if cut:
        return cut
    outline = SourceOutline.of(record) if isinstance(record, Source) else None
    loaded = LoadedFile(shown_as, text, model, outline, record if keep else None)
    loaded.__dict__["located"] = located  # already worked out: keep it for the rules across files
    return loaded


def load_file(
    path: Path, model: type[RecordT], text: str | None = None, *, keep: bool = True
) -> LoadedFile[RecordT] | list[Problem]:
    """Load one file from disk, or from ``text`` when a change is checked before it is written."""
    shown_as = layout.shown(path)
    if text is None:
        try:
            text = read_text(path, shown_as)
        except YamlProblems as exc:
            return exc.problems
    return load_record(text, shown_as, model, keep=keep)


def load_review_files(
    root: Path,
    *,
    use_cache: bool = True,
    keep_records: bool = False,
    write_cache: bool = True,
    readers: int = 1,
    meanwhile: Callable[[], object] | None = None,
) -> ReviewFiles:
    """Read the review's configs and every evidence file, collecting problems instead of stopping.

    Evidence files checked before (same bytes, same crm) come from the review's cache unless
    ``use_cache`` is off; ``write_cache=False`` reads it but writes nothing (for commands that promise
    to write nothing). Records are built when first asked for unless ``keep_records``. With
    ``readers`` above 1, a large review's files not in the cache are read by that many processes, at most
    one more than ``workers.MOST_CHILDREN`` (:func:`_read_sources`); the result is the same. ``meanwhile``
    is called here while they read (or before the reading, when no other process reads): work that needs
    no evidence, such as imports.
    """
    config_path = layout.review_file(root)
    if not config_path.is_file():
        raise ReviewNotFound(
            f"{layout.shown(root) if root != Path() else 'this folder'} is not a review: "
            f"{layout.CONFIG_DIR}/{layout.REVIEW_FILE} is missing (start one with `crm init DIR`)"
        )
    problems: list[Problem] = list(_interrupted_changes(root, finish=write_cache))

    def keep(result: LoadedFile[RecordT] | list[Problem]) -> LoadedFile[RecordT] | None:
        if isinstance(result, list):
            problems.extend(result)
            return None
        return result

    config = keep(load_file(config_path, ReviewConfig))
    taxonomy_path = layout.principles_file(root)
    if taxonomy_path.is_file():
        taxonomy = keep(load_file(taxonomy_path, Taxonomy))
    elif taxonomy_path.exists() or taxonomy_path.is_symlink():
        taxonomy = None
        problems.append(
            Problem(
                layout.shown(taxonomy_path),
                None,
                None,
                "is not a file: make it the file of your principles, or remove it to use the eight default ones",
            )
        )
    else:
        text = layout.packaged("defaults", layout.PRINCIPLES_FILE).read_text(encoding="utf-8")
        taxonomy = keep(load_record(text, layout.DEFAULT_TAXONOMY, Taxonomy))
    problems.extend(_evidence_folder_problems(root))
    cache = EvidenceCache(root, enabled=use_cache, writes=write_cache)
    paths = layout.evidence_files(root)
    shown_folder = layout.shown(layout.evidence_dir(root))
    with collector_paused() if keep_records else contextlib.nullcontext():
        read = _read_sources(
            paths, shown_folder, cache, keep_records=keep_records, readers=readers, meanwhile=meanwhile
        )
        sources = [keep(result) for result in read]
    cache.save()
    problems.extend(
        stray_files(layout.evidence_dir(root), "not read: only .yaml and .yml files in evidence/ are evidence")
    )
    assessments = [keep(load_file(path, Assessment)) for path in layout.assessment_files(root)]
    return ReviewFiles(
        root=root,
        config=config,
        taxonomy=taxonomy,
        sources=tuple(s for s in sources if s is not None),
        problems=tuple(problems),
        assessments=tuple(a for a in assessments if a is not None),
    )


def _interrupted_changes(root: Path, *, finish: bool) -> Iterator[Problem]:
    """A change to several files (``crm edit``, ``crm rename``) interrupted half way is finished first.

    Its journal lists what was still to do (every new file was complete before the first rename), so the
    review is read as the change meant it, never half old, half new. A command that writes nothing
    (``--check``) says so instead, as an error.
    """
    for folder in (root / layout.CONFIG_DIR, layout.evidence_dir(root), layout.assessments_dir(root)):
        if not files.interrupted(folder):
            continue
        journal = layout.shown(folder / files.JOURNAL)
        if not finish:
            message = "a change to these files was interrupted half way: run `crm validate` to finish it"
            yield Problem(journal, None, None, message)
            continue
        finished = files.finish_interrupted(folder)
        names = ", ".join(path.name for path in finished) or "no file left to move"
        yield Problem(journal, None, None, f"finished a change that was interrupted half way ({names})", "warning")


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while long-lived records (and what is built from them) pile up.

    Records, findings and views hold no reference cycles, and rendering makes none (checked: a collection
    after rendering a review of 6,000 CMOCs finds nothing), so the collector has nothing to find; running,
    each of its full collections walks every object built so far again (reading 6,000 CMOCs into records
    took half as long again; analysing and rendering a 20,000-CMOC review grew faster than the review).
    It runs as before once the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


READ_APART_FROM_BYTES = 2_000_000
"""Evidence to read (not in the cache) from which other processes share the reading; below it, starting
one costs more than it saves (a process starts in about 10 ms; a megabyte of evidence takes about 0.1 s)."""


@dataclass
class _Unread:
    """An evidence file whose bytes are read but not yet checked, nor found in the cache."""

    number: int
    shown_as: Path
    raw: bytes
    key: str


def _read_sources(
    paths: list[Path],
    shown_folder: Path,
    cache: EvidenceCache,
    *,
    keep_records: bool,
    readers: int,
    meanwhile: Callable[[], object] | None = None,
) -> list[LoadedFile[Source] | list[Problem]]:
    """Every evidence file, in order: from the cache when it holds its bytes, else checked and remembered.

    With ``readers`` above 1 and at least :data:`READ_APART_FROM_BYTES` to check, forked processes
    (``workers.run_jobs``) check files too, taking turns with this one, and send what the cache would hold
    of each file as they finish it (:class:`~crm_review.cache.Entry`, through a ``workers.Stream``); this
    process builds those files from their entries, as from the cache, between files of its own. The result
    is the same as one reader's.
    """
    results: dict[int, LoadedFile[Source] | list[Problem]] = {}
    unread: list[_Unread] = []
    for number, path in enumerate(paths):
        shown_as = shown_folder / path.name
        raw = path.read_bytes()
        key = cache.key(raw) if cache.enabled else ""
        entry = cache.get(key) if cache.enabled else None
        hit = _from_entry(entry, raw, shown_as, keep_records) if entry is not None else None
        if hit is not None:
            results[number] = hit
        else:
            unread.append(_Unread(number, shown_as, raw, key))
    done = len(paths) - len(unread)
    if done:
        advance("Reading evidence", done, len(paths))

    def settle(file: _Unread, result: LoadedFile[Source] | list[Problem]) -> None:
        nonlocal done
        results[file.number] = result
        done += 1
        advance("Reading evidence", done, len(paths))

    def check_here(files: list[_Unread]) -> None:
        for file in files:
            result = _checked(file.raw, file.shown_as)
            if cache.enabled:
                cache.put(file.key, _entry_of(result))
            if not isinstance(result, list) and not keep_records:  # built from the text again if asked for
                result = LoadedFile(result.path, result.content, Source, result.outline, None, None)
            settle(file, result)

    from crm_review.workers import MOST_CHILDREN, Stream, Turns, can_fork, run_jobs

    if readers < 2 or not can_fork() or not unread or sum(len(file.raw) for file in unread) < READ_APART_FROM_BYTES:
        if meanwhile is not None:
            meanwhile()
        check_here(unread)
        return [results[number] for number in range(len(paths))]

    # Files are handed out a group at a time to whichever reader is free (Turns), this process included
    # once it has done its work meanwhile: the reading balances itself however long that work takes.
    size = -(-len(unread) // Turns.MOST)
    groups = [unread[start : start + size] for start in range(0, len(unread), size)]
    # No more readers than run_jobs forks before it runs the last job here: later ones would find the reading
    # over, and a stream is read only once every process that sends into it is forked.
    others = min(readers - 1, MOST_CHILDREN)
    turns = Turns(len(groups))
    found: Stream[tuple[int, list[Entry]]] = Stream(others)

    def check_there(reader: int) -> None:
        with found.sending(reader) as send:
            for n in turns:
                send((n, [_entry_of(_checked(file.raw, file.shown_as)) for file in groups[n]]))

    def take_up(arrived: Iterable[tuple[int, list[Entry]]]) -> None:
        """Build the files the others checked from their entries, as from the cache."""
        for n, entries in arrived:
            for file, entry in zip(groups[n], entries, strict=True):
                loaded = _from_entry(entry, file.raw, file.shown_as, keep_records)
                if loaded is None:  # an entry that cannot be read back, which one made a moment ago never is
                    check_here([file])
                else:
                    cache.put(file.key, entry)
                    settle(file, loaded)

    def check_here_in_turn() -> None:
        # What the others found is taken up between this process's own files, not all at the end, so that
        # building their records (a large review's) is shared out like the reading.
        for n in turns:
            check_here(groups[n])
            take_up(found.received())
        take_up(found.received(wait=True))

    # The last job runs here (run_jobs), the others in forked processes. On a failure here (the work done
    # meanwhile included), the stream is closed first, so that a reader still sending stops instead of waiting.
    jobs: dict[str, Callable[[], None]] = {f"reading evidence {n + 2}": partial(check_there, n) for n in range(others)}
    jobs["reading evidence 1"] = check_here_in_turn
    try:
        run_jobs(
            jobs, parallel=True, before={"reading evidence 1": meanwhile} if meanwhile else None, abandon=found.close
        )
    finally:
        turns.close()
        found.close()
    return [results[number] for number in range(len(paths))]


def _checked(raw: bytes, shown_as: Path) -> LoadedFile[Source] | list[Problem]:
    """One evidence file's bytes, checked: its record (kept) or its problems."""
    try:
        text = decode(raw, shown_as)
    except YamlProblems as exc:
        return exc.problems
    return load_record(text, shown_as, Source, keep=True)


def _from_entry(
    entry: Entry, raw: bytes, shown_as: Path, keep_records: bool
) -> LoadedFile[Source] | list[Problem] | None:
    if entry.outline is None:
        return [Problem(shown_as, line, col, message, severity) for line, col, message, severity in entry.problems]  # type: ignore[arg-type]
    try:
        outline = SourceOutline.from_json(entry.outline)
    except (TypeError, KeyError, ValueError):
        return None
    loaded = LoadedFile(shown_as, raw, Source, outline, None, entry.record_json)
    if keep_records:
        try:
            loaded.__dict__["record"] = Source.model_validate_json(entry.record_json or b"")
        except ValidationError:
            return None
    return loaded


def _entry_of(result: LoadedFile[Source] | list[Problem]) -> Entry:
    if isinstance(result, list):
        return Entry(tuple((p.line, p.col, p.message, p.severity) for p in result), None, None)
    assert result.outline is not None
    return Entry((), result.outline.as_json(), result.record.model_dump_json().encode())


def _evidence_folder_problems(root: Path) -> list[Problem]:
    folder = layout.evidence_dir(root)
    if folder.is_dir():
        return []
    what = "is a file, not a folder" if folder.exists() else "is missing"
    message = f"{what}: evidence files go in a folder `{layout.EVIDENCE_DIR}/` beside `{layout.CONFIG_DIR}/`"
    if folder.exists():
        message += f" (rename the file `{layout.EVIDENCE_DIR}` and make that folder)"
    else:
        message += " (make it, then add sources with `crm add source` or `crm import`)"
    return [Problem(layout.shown(folder), None, None, message)]


def with_changes(files: ReviewFiles, changes: Mapping[Path, str]) -> ReviewFiles:
    """``files`` as they would be with ``changes`` (new text for evidence files) written.

    Only the changed files are parsed again; every other record and problem is reused, so checking a
    change costs one file's parsing, not the whole review's.
    """
    changed = {layout.shown(path) for path in changes}
    problems = [p for p in files.problems if p.path not in changed]
    kept = [f for f in files.sources if f.path not in changed]
    for path, text in changes.items():
        result = load_file(path, Source, text)
        if isinstance(result, list):
            problems.extend(result)
        else:
            kept.append(result)
    return ReviewFiles(
        root=files.root,
        config=files.config,
        taxonomy=files.taxonomy,
        sources=tuple(sorted(kept, key=lambda f: f.path.name)),
        problems=tuple(problems),
        assessments=files.assessments,
    )


def stray_files(folder: Path, message: str) -> list[Problem]:
    """A warning with ``message`` for each file of ``folder`` that is not read (not .yaml or .yml).

    Hidden files and a README are taken to be there on purpose and pass without a word.
    """
    if not folder.is_dir():
        return []
    return [
        Problem(layout.shown(p), None, None, message, "warning")
        for p in sorted(folder.iterdir())
        if p.is_file()
        and p.suffix not in layout.EVIDENCE_SUFFIXES
        and not p.name.startswith(".")
        and p.name.lower() != "readme.md"
    ]


# --- pydantic errors in the user's words -------------------------------------------------------


def _without_missing_explained_by_typos(errors: list[ErrorDetails], model: type[BaseModel]) -> list[ErrorDetails]:
    """Drop "missing `context`" where "unknown key `contxt`: did you mean `context`?" already says it."""
    suggested = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            parent = tuple(error["loc"][:-1])
            record = _model_at(model, parent)
            hint = nearest(str(error["loc"][-1]), list(record.model_fields) if record else [])
            if hint:
                suggested.add((*parent, hint))
    return [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in suggested)]


def _user_loc(loc: Loc) -> tuple[Loc, bool]:
    """pydantic's location in the file's terms, and whether it points at a mapping key.

    pydantic adds the tag of the form it validated (``list`` or ``mapping``) after ``principles``,
    and ``[key]`` after a mapping key; neither stands in the file.
    """
    parts = [part for i, part in enumerate(loc) if not (i and loc[i - 1] == "principles" and part in LINK_FORMS)]
    if parts and parts[-1] == "[key]":
        return tuple(parts[:-1]), True
    return tuple(parts), False


def _translate(error: ErrorDetails, located: Located, model: type[BaseModel], path: Path) -> Problem:
    loc, is_key = _user_loc(tuple(error["loc"]))
    kind = error["type"]
    if kind == "missing":
        line, col = _mark(located, loc[:-1], key=True)
        return Problem(
            path, line, col, f"{_where(loc[:-1], located)}missing `{loc[-1]}`: add `{loc[-1]}:` with its value"
        )
    if kind == "extra_forbidden":
        line, col = _mark(located, loc, key=True)
        message = _where(loc, located) + _unknown_key(str(loc[-1]), _model_at(model, loc[:-1]))
        return Problem(path, line, col, message)
    line, col = _mark(located, loc, key=is_key)
    return Problem(path, line, col, _describe(loc, located, is_key=is_key) + _value_message(error, loc, located))


def _mark(located: Located, loc: Loc, *, key: bool = False) -> tuple[int, int]:
    mark = located.mark(loc, key=key)
    return mark.line, mark.col


def _where(loc: Loc, located: Located) -> str:
    """``in CMOC 2 (`doe-2020-2`): `` for a location inside a CMOC, so messages name what a user sees."""
    if len(loc) >= 2 and loc[0] == "cmocs" and isinstance(loc[1], int):
        cmoc = located.data["cmocs"][loc[1]]
        name = f" (`{cmoc['id']}`)" if isinstance(cmoc, dict) and isinstance(cmoc.get("id"), str) else ""
        inner = loc[2:]
        prefix = f"CMOC {loc[1] + 1}{name}"
        if len(inner) >= 2 and inner[0] == "evidence" and isinstance(inner[1], int):
            prefix += f", quote {inner[1] + 1}"
        return prefix + ": "
    if len(loc) >= 2 and loc[0] == "components" and loc[1] in COMPONENTS:  # in an assessment
        return f"component `{loc[1]}`: "
    return ""


def _field(loc: Loc) -> str:
    names = [str(part) for part in loc if isinstance(part, str)]
    return names[-1] if names else "value"


def _describe(loc: Loc, located: Located, *, is_key: bool = False) -> str:
    if len(loc) >= 2 and loc[-2] == "principles" and isinstance(loc[-1], str):
        what = "principle" if is_key else "the relation to principle"
        return f"{_where(loc, located)}{what} `{loc[-1]}` "
    return f"{_where(loc, located)}`{_field(loc)}` "


def _value_message(error: ErrorDetails, loc: Loc, located: Located) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    value = error.get("input")
    scalar = located.scalars.get(loc)
    if kind in {"string_type", "int_type", "float_type"} and scalar is not None:
        return _scalar_mismatch(kind, scalar.text, scalar.kind, scalar.plain, _field(loc))
    if kind == "string_type" and isinstance(value, list):
        return "should be one piece of text, not a list"
    if kind == "string_type" and isinstance(value, dict):
        return "should be one piece of text, not indented keys"
    if kind == "list_type" and isinstance(value, dict) and value:
        first = next(iter(value))
        return f"should be a list: start each entry with a dash, `- {first}: ...`"
    if kind == "list_type":
        example = f"[{value}]" if isinstance(value, str) else "[first, second]"
        return f"should be a list, e.g. `{_field(loc)}: {example}`"
    if kind == "string_pattern_mismatch" and isinstance(value, str):
        multi_line = ctx.get("pattern") == MULTI_LINE_PATTERN
        return _control_message(value, multi_line, scalar.plain if scalar else False)
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return "should hold indented keys (`key: value` lines), not a single value"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        # pydantic writes "'a', 'b' or 'c'"; a choice may itself hold " or " ("no or very minor").
        allowed = re.findall(r"'([^']*)'", str(expected)) or [str(expected)]
        return f"must be one of {', '.join(allowed)}, not `{value}`" + did_you_mean(str(value), allowed)
    if kind in {"date_from_datetime_parsing", "date_parsing", "date_type"}:
        return f"should be a date written as YYYY-MM-DD, e.g. 2026-11-23, not `{value}`"
    if kind == "string_too_short":
        return "is empty: write its text after the colon"
    if kind == "too_short":
        return "needs at least one entry"
    if kind == "value_error":
        return f"is wrong: {ctx.get('error', error['msg'])}"
    if kind == "greater_than_equal":
        return f"should be at least {ctx.get('ge')}, not {value}"
    if kind == "less_than_equal":
        return f"should be at most {ctx.get('le')}, not {value}"
    return error["msg"].lower()


_NOT_IN_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NOT_IN_PROSE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _control_message(value: str, multi_line: bool, plain: bool) -> str:
    """A value holding a character its field does not allow: which one, and what to do instead."""
    found = (_NOT_IN_PROSE if multi_line else _NOT_IN_TEXT).search(value)
    char = found.group() if found else "\x00"
    if char == "\n":
        return "holds a line break: write it on one line (only long text such as quotes and notes may span lines)"
    if char == "\t":
        return "holds a tab: replace it with a space"
    written = "" if plain else f", written `{_escape_code(char)}`"
    return f"holds an invisible control character ({describe_character(char)}{written}): delete it"


def _escape_code(char: str) -> str:
    named = {"\x00": "\\0", "\x07": "\\a", "\x08": "\\b", "\x0b": "\\v", "\x0c": "\\f", "\x1b": "\\e", "\r": "\\r"}
    return named.get(char, f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def _text_cut_by_comments(located: Located, model: type[BaseModel], path: Path) -> list[Problem]:
    """Text that YAML cut at `` #``: the rest of the line was read as a comment and would be lost."""
    problems = []
    for loc, mark in located.cut_by_comment.items():
        if not _is_free_text(model, loc):
            continue  # `direction: positive  # why` loses no words: only text fields are cut
        line_end = located_line(located, mark)
        message = (
            f"{_describe(loc, located)}stops at ` #`, so YAML drops `{line_end}` as a comment: "
            "put the whole text in quotes to keep it"
        )
        problems.append(Problem(path, mark.line, mark.col, message))
    return problems


def located_line(located: Located, mark: Any) -> str:
    text = located.source
    end = text.find("\n", mark.index)
    return text[mark.index : end if end != -1 else len(text)].rstrip("\r")


def _is_free_text(model: type[BaseModel], loc: Loc) -> bool:
    names = [part for part in loc if isinstance(part, str)]
    parent = _model_at(model, loc[: max(i for i, part in enumerate(loc) if isinstance(part, str))]) if names else None
    info = parent.model_fields.get(names[-1]) if parent and names else None
    return info is not None and _marks_free_text(info.annotation, info.metadata)


def _marks_free_text(annotation: Any, metadata: list[Any]) -> bool:
    if any(isinstance(m, FreeText) for m in metadata):
        return True
    extra = list(getattr(annotation, "__metadata__", ()))
    if any(isinstance(m, FreeText) for m in extra):
        return True
    return any(_marks_free_text(arg, []) for arg in typing.get_args(annotation))


def _scalar_mismatch(kind: str, text: str, yaml_kind: str, plain: bool, field: str) -> str:
    """Explain a scalar YAML typed differently from what the field needs, saying what to write instead."""
    if kind == "string_type":
        if yaml_kind == "null":
            return "is empty: write its text after the colon"
        read_as = {"bool": "a yes/no value", "int": "a number", "float": "a number", "timestamp": "a date"}
        return (
            f'must be text, but YAML reads {text} as {read_as.get(yaml_kind, yaml_kind)}: write it in quotes, "{text}"'
        )
    if kind == "int_type":
        if not plain:
            return f"should be a whole number: write {text} without quotes"
        return f"should be a whole number such as 2020, not {text or 'nothing'}"
    # float_type: the only other scalar a field takes (no field is a yes/no value).
    return f"should be a number such as 0.5, not {text or 'nothing'}"


def _unknown_key(key: str, model: type[BaseModel] | None) -> str:
    allowed = list(model.model_fields) if model else []
    listed = ", ".join(f"`{name}`" for name in allowed)
    return f"unknown key `{key}`" + did_you_mean(key, allowed, f": allowed here are {listed}")


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The record class that validates the mapping at ``loc`` (list indexes are stepped over)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        info = current.model_fields.get(part)
        current = _record_in(info.annotation) if info else None
    return current


def _record_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _record_in(arg)
            if found is not None:
                return found
    return None
