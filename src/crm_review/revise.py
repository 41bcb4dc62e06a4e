"""Changing what the review already holds: ``crm edit``, ``crm remove`` and ``crm rename``.

The same promises as ``crm add``: each change is made under the review's lock, on the files' text (so
comments, quoting and blank lines it does not touch stay as they were), checked with the whole review
before anything is written, and written atomically; on any error nothing changes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm_review import layout
from crm_review.edit import refuse_new_errors, resolve_link, review_lock
from crm_review.entries import CMOC_KEYS, SOURCE_KEYS, CmocChanges, SourceChanges
from crm_review.errors import (
    ChangedMeanwhile,
    CrmError,
    InvalidEvidence,
    Problem,
    UnknownId,
    UnsupportedLayout,
    WrongFlags,
)
from crm_review.files import write_all_atomic, write_atomic
from crm_review.load import LoadedFile, ReviewFiles, load_record, load_review_files, read_text, with_changes
from crm_review.model import Principle, Source, Taxonomy
from crm_review.pipeline import check
from crm_review.references import NAMES, REFERRERS, Kind, Reference, Rewrite, evidence_path, references
from crm_review.suggest import did_you_mean
from crm_review.textedit import (
    apply,
    line_end,
    line_start,
    mapping_splices,
    node_end,
    remove_list_item,
    replace_scalar,
)
from crm_review.yamltext import Loc, parse

# --- finding an entry ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A source's own fields (without its CMOCs) or one CMOC, as the file holds them."""

    kind: Kind
    id: str
    file: LoadedFile[Source]
    loc: Loc
    data: dict[str, Any]

    @property
    def path(self) -> Path:
        return self.file.path


def find_entry(files: ReviewFiles, entry_id: str) -> Entry:
    """The source or CMOC with this id, or an error suggesting the nearest id."""
    for loaded in files.sources:
        if loaded.record.id == entry_id:
            data = {k: v for k, v in loaded.located.data.items() if k != "cmocs"}
            return Entry("source", entry_id, loaded, (), data)
        for index, cmoc in enumerate(loaded.record.cmocs):
            if cmoc.id == entry_id:
                return Entry("cmoc", entry_id, loaded, ("cmocs", index), dict(loaded.located.data["cmocs"][index]))
    broken = [
        p for p in files.problems if p.severity == "error" and Path(p.path).stem in (entry_id, _source_of(entry_id))
    ]
    if broken:
        raise InvalidEvidence(broken)
    known = [f.record.id for f in files.sources] + [c.id for f in files.sources for c in f.record.cmocs]
    suggestion = did_you_mean(entry_id, known, " (see `crm list sources` and `crm list cmocs`)")
    raise UnknownId(f"no source or CMOC `{entry_id}` in this review{suggestion}")


def _source_of(cmoc_id: str) -> str:
    return cmoc_id.rsplit("-", 1)[0]


def principles_of(files: ReviewFiles) -> Sequence[Principle]:
    from crm_review.edit import review_principles

    return review_principles(files.root, files)


# --- crm edit ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One field an edit changes: ``appraisal.relevance: low -> high``."""

    field: str
    old: Any
    new: Any

    def __str__(self) -> str:
        return f"{self.field}: {_shown(self.old)} -> {_shown(self.new)}"


def _shown(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def differences(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[Difference]:
    """What changes from ``old`` to ``new``, field by field (nested mappings by their keys)."""
    found = []
    for key in [*old, *(k for k in new if k not in old)]:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            found += differences(before, after, f"{prefix}{key}.")
        else:
            found.append(Difference(f"{prefix}{key}", before, after))
    return found


@dataclass(frozen=True)
class Edited:
    """What ``crm edit`` changed (nothing, when ``changes`` is empty)."""

    path: Path
    id: str
    changes: list[Difference]


Change = Callable[[Entry, Sequence[Principle]], dict[str, Any]]
"""The entry's new data from the entry as it stands and the review's principles."""


def edit_entry(root: Path, entry_id: str, change: Change, *, expected: Mapping[str, Any] | None = None) -> Edited:
    """Change one source or CMOC in place; ``expected`` refuses the change if the entry changed meanwhile."""
    with review_lock(root):
        files = load_review_files(root)
        entry = find_entry(files, entry_id)
        if expected is not None and entry.data != expected:
            raise ChangedMeanwhile(
                f"{NAMES[entry.kind]} `{entry_id}` was changed by someone else while you answered: nothing was written; "
                "run crm edit again to start from the new version"
            )
        new = change(entry, principles_of(files) if entry.kind == "cmoc" else ())
        path = evidence_path(root, entry.path)
        text = read_text(path, entry.path)
        located = parse(text, entry.path)
        order = SOURCE_KEYS if entry.kind == "source" else CMOC_KEYS
        changed = apply(text, mapping_splices(text, located, entry.loc, entry.data, new, order))
        found = differences(entry.data, new)
        if changed != text:
            refuse_new_errors(files, {path: changed})
            write_atomic(path, changed)
    return Edited(entry.path, entry_id, found)


def edit_with_flags(
    root: Path,
    entry_id: str,
    source: SourceChanges,
    cmoc: CmocChanges,
    principle_tokens: Sequence[str] = (),
    relation_tokens: Sequence[str] = (),
) -> Edited:
    """Change the fields the flags give; flags for the other kind of entry are refused."""
    given_source = any(v is not None for k, v in source.values.items() if k != "notes")
    given_cmoc = not dataclasses.replace(cmoc, notes=None).empty() or bool(principle_tokens) or bool(relation_tokens)

    def change(entry: Entry, principles: Sequence[Principle]) -> dict[str, Any]:
        if (entry.kind == "source" and given_cmoc) or (entry.kind == "cmoc" and given_source):
            other = "CMOC" if entry.kind == "source" else "source"
            raise WrongFlags(f"`{entry_id}` is a {NAMES[entry.kind]}, but some flags given are for a {other}")
        if entry.kind == "source":
            return source.apply(entry.data)
        links = dict(resolve_link(t, principles) for t in principle_tokens) if principle_tokens else None
        relations = dict(resolve_link(t, principles) for t in relation_tokens)
        return dataclasses.replace(cmoc, links=links, relations=relations).apply(entry.data)

    return edit_entry(root, entry_id, change)


def check_edit(root: Path, entry_id: str, new: Mapping[str, Any]) -> list[Problem]:
    """The errors the review would have with the entry changed to ``new`` (nothing is written)."""
    files = load_review_files(root)
    entry = find_entry(files, entry_id)
    path = evidence_path(root, entry.path)
    text = read_text(path, entry.path)
    order = SOURCE_KEYS if entry.kind == "source" else CMOC_KEYS
    changed = apply(text, mapping_splices(text, parse(text, entry.path), entry.loc, entry.data, dict(new), order))
    try:
        refuse_new_errors(files, {path: changed})
    except InvalidEvidence as exc:
        return exc.problems
    return []


# --- crm edit --editor ----------------------------------------------------------------------------------

PROBLEM_MARK = "# crm: "
"""Lines crm puts at the top of the file it opens in the editor; they are taken out again afterwards."""


@dataclass(frozen=True)
class EntryText:
    """A file split around one entry's lines, the entry's lines dedented to stand on their own."""

    before: str
    body: str
    after: str
    indent: int
    dash: bool

    def joined(self, body: str) -> str:
        newline = "\r\n" if "\r\n" in self.before + self.after + body else "\n"
        lines = body.replace("\r\n", "\n").rstrip("\n").split("\n")
        shifted = []
        for number, line in enumerate(lines):
            if number == 0 and self.dash:
                shifted.append(" " * self.indent + "- " + line)
            elif line.strip():
                shifted.append(" " * (self.indent + (2 if self.dash else 0)) + line)
            else:
                shifted.append("")
        return self.before + newline.join(shifted) + newline + self.after

    @property
    def first_line(self) -> int:
        return self.before.count("\n") + 1


def entry_text(text: str, entry: Entry) -> EntryText:
    """The lines of ``entry`` alone (a CMOC as a mapping of its own; a source without its ``cmocs:``)."""
    located = entry.file.located
    if entry.kind == "source":
        if "cmocs" not in located.data:
            return EntryText("", text, "", 0, False)
        cmocs_start = line_start(text, located.key_marks[("cmocs",)].index)
        if node_end(text, located, ()) > node_end(text, located, ("cmocs",)):
            raise UnsupportedLayout("`cmocs:` is not the last key of the file: move it to the end to use --editor")
        return EntryText("", text[:cmocs_start], text[cmocs_start:], 0, False)
    start = line_start(text, located.value_starts[entry.loc].index)
    stop = min(line_end(text, node_end(text, located, entry.loc)) + 1, len(text))
    dash_at = text.index("-", start)
    indent = dash_at - start
    lines = text[start:stop].replace("\r\n", "\n").split("\n")
    body = [lines[0][indent + 2 :]]
    for line in lines[1:]:
        strip = min(indent + 2, len(line) - len(line.lstrip(" ")))
        body.append(line[strip:])
    return EntryText(text[:start], "\n".join(body).rstrip("\n") + "\n", text[stop:], indent, True)


def run_editor(path: Path) -> None:
    """Open ``path`` in the person's editor ($VISUAL, then $EDITOR) and wait for it to close."""
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or ("notepad" if sys.platform == "win32" else "vi")
    done = subprocess.run([*shlex.split(command), str(path)], check=False)
    if done.returncode != 0:
        raise CrmError(f"the editor ({command}) exited with an error: nothing was written")


def edit_in_editor(root: Path, entry_id: str, open_editor: Callable[[Path], None] = run_editor) -> Edited | None:
    """Open only the entry in an editor until the review validates with it, or the person gives up.

    Like ``git commit``, the file is opened again with the problems listed at its top; saving it
    unchanged, or empty, gives up and leaves the evidence file as it was (``None`` is returned).
    """
    files = load_review_files(root)
    entry = find_entry(files, entry_id)
    path = evidence_path(root, entry.path)
    original = read_text(path, entry.path)
    parts = entry_text(original, entry)
    header = [
        f"{PROBLEM_MARK}{NAMES[entry.kind]} {entry_id} from {entry.path}. Save and close to write it;",
        f"{PROBLEM_MARK}save it unchanged or empty to give up. Lines starting '{PROBLEM_MARK.strip()}' are dropped.",
    ]
    body = parts.body
    with tempfile.TemporaryDirectory(prefix="crm-edit-") as folder:
        scratch = Path(folder) / f"{entry_id}.yaml"
        while True:
            scratch.write_text("\n".join(header) + "\n" + body, encoding="utf-8")
            open_editor(scratch)
            edited = "".join(
                line
                for line in scratch.read_text(encoding="utf-8").splitlines(keepends=True)
                if not line.startswith(PROBLEM_MARK)
            )
            if not edited.strip() or edited == body:
                return None
            body = edited
            changed = parts.joined(edited)
            problems = _problems_with(files, path, changed)
            if not problems:
                break
            # Lines as the editor will number them: the entry's own, below these problem lines.
            offset = parts.first_line - 1 - (len(problems) + 1)
            header = [
                f"{PROBLEM_MARK}{len(problems)} problem(s); fix them, or save unchanged to give up:",
                *(f"{PROBLEM_MARK}{_entry_line(p, entry.path, offset)}{p.message}" for p in problems),
            ]
    new = _own_fields(body, entry.path)
    with review_lock(root):
        if read_text(path, entry.path) != original:
            raise ChangedMeanwhile(
                f"{entry.path} changed while it was open in the editor: nothing was written; your version was:\n" + body
            )
        refuse_new_errors(load_review_files(root), {path: changed})  # other files may have changed meanwhile
        write_atomic(path, changed)
    return Edited(entry.path, str(new.get("id", entry_id)), differences(entry.data, new))


def _problems_with(files: ReviewFiles, path: Path, text: str) -> list[Problem]:
    try:
        refuse_new_errors(files, {path: text})
    except InvalidEvidence as exc:
        return exc.problems
    return []


def _entry_line(problem: Problem, shown: Path, offset: int) -> str:
    if problem.line is None or problem.path != shown:
        return f"{problem.path}: " if problem.path != shown else ""
    return f"line {problem.line - offset}: " if problem.line - offset > 0 else ""


def _own_fields(body: str, shown: Path) -> dict[str, Any]:
    """The fields of an entry's text as it came back from the editor (it validated with the review)."""
    data = parse(body, shown).data
    return {k: v for k, v in data.items() if k != "cmocs"}


# --- crm remove ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Removal:
    """What ``crm remove`` takes out (a source file with its CMOCs, or one CMOC) and what names it."""

    kind: Kind
    id: str
    path: Path
    cmoc_ids: tuple[str, ...]
    references: tuple[Reference, ...]


def plan_removal(root: Path, entry_id: str, files: ReviewFiles | None = None) -> Removal:
    """What removing ``entry_id`` would take out, and every reference to it elsewhere (nothing is written)."""
    files = files if files is not None else load_review_files(root)
    entry = find_entry(files, entry_id)
    if entry.kind == "source":
        cmoc_ids = tuple(c.id for c in entry.file.record.cmocs)
        refs = [*references(files, "source", {entry_id}), *references(files, "cmoc", set(cmoc_ids))]
    else:
        cmoc_ids = (entry_id,)
        refs = references(files, "cmoc", {entry_id})
    going = {entry_id, *cmoc_ids}  # what is removed takes the references it holds with it
    outside = tuple(r for r in refs if r.owner not in going)
    return Removal(entry.kind, entry_id, entry.path, cmoc_ids, outside)


def remove_entry(root: Path, entry_id: str) -> Removal:
    """Remove a source (its file, with its CMOCs) or one CMOC (its lines), after checking the review without it."""
    with review_lock(root):
        files = load_review_files(root)
        removal = plan_removal(root, entry_id, files)
        entry = find_entry(files, entry_id)
        path = evidence_path(root, entry.path)
        if entry.kind == "source":
            after = _without(files, {entry.path})
            _refuse_errors_in(files, after)
            path.unlink()
        else:
            text = read_text(path, entry.path)
            changed = remove_list_item(text, parse(text, entry.path), entry.loc)
            refuse_new_errors(files, {path: changed})
            write_atomic(path, changed)
    return removal


def _without(files: ReviewFiles, shown_paths: set[Path]) -> ReviewFiles:
    return dataclasses.replace(
        files,
        sources=tuple(f for f in files.sources if f.path not in shown_paths),
        problems=tuple(p for p in files.problems if p.path not in shown_paths),
    )


def _refuse_errors_in(before: ReviewFiles, after: ReviewFiles) -> None:
    """Refuse a change that adds an error (compared as in crm add: by file and message)."""
    old = {(str(p.path), p.message) for p in check(before).errors}
    new = [p for p in check(after).errors if (str(p.path), p.message) not in old]
    if new:
        raise InvalidEvidence(new)


# --- crm rename ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Renamed:
    """What ``crm rename`` rewrote: each id changed and each file written (or moved)."""

    kind: Kind
    ids: dict[str, str]
    paths: tuple[Path, ...]
    moved: tuple[tuple[Path, Path], ...]


def rename(root: Path, kind: Kind, old: str, new: str) -> Renamed:
    """Rename a principle, source or CMOC id everywhere, as one change that is written whole or not at all.

    A source's file is renamed with it, and so are its CMOCs that carry its id (``old-3`` -> ``new-3``).
    Every new text is prepared and the whole review checked with them before any file is written.
    """
    from crm_review.model import SLUG_PATTERN

    if not SLUG_PATTERN.match(new):
        raise UnknownId(
            f"`{new}` is not a valid id: use lower-case letters, digits, `.`, `_` and `-`, "
            "starting with a letter or digit"
        )
    with review_lock(root):
        files = load_review_files(root)
        unreadable = [p for p in files.problems if p.severity == "error"]
        if unreadable:  # a file crm cannot read may name the id too, and would keep the old one
            raise InvalidEvidence(unreadable)
        renames = _renames(files, kind, old, new)
        texts: dict[Path, str] = {}
        rewrite = Rewrite()
        for each_kind, mapping in renames.items():
            rewrite.merge(_definitions(files, each_kind, mapping, texts))
            for referrer in REFERRERS:
                rewrite.merge(referrer.renamed(files, each_kind, mapping))
        changed = {path: apply(_text_of(files, path, texts), found) for path, found in rewrite.splices.items()}
        for source, target in rewrite.moves.items():
            if target.exists():
                raise UnknownId(f"{layout.shown(target)} already exists: choose another id")
            changed[target] = changed.pop(source) if source in changed else _text_of(files, source, texts)
        _refuse_errors_in(files, _after_rename(files, changed, rewrite.moves))
        write_all_atomic(changed, retiring=rewrite.moves)  # the new files and the old ones' going: one set
    moved = tuple((layout.shown(a), layout.shown(b)) for a, b in rewrite.moves.items())
    return Renamed(kind, renames[kind], tuple(layout.shown(p) for p in changed), moved)


def _after_rename(files: ReviewFiles, changed: Mapping[Path, str], moves: Mapping[Path, Path]) -> ReviewFiles:
    """The review as it would read with the renamed texts, to check before writing."""
    root = files.root
    taxonomy_path = layout.principles_file(root)
    evidence = layout.evidence_dir(root)
    after = _without(files, {layout.shown(p) for p in moves if p.parent == evidence})
    after = with_changes(after, {p: t for p, t in changed.items() if p.parent == evidence})
    if taxonomy_path in changed:
        loaded = load_record(changed[taxonomy_path], layout.shown(taxonomy_path), Taxonomy)
        if isinstance(loaded, list):
            raise InvalidEvidence(loaded)
        after = dataclasses.replace(after, taxonomy=loaded)
    for referrer in REFERRERS:
        after = referrer.with_texts(after, changed, moves)
    return after


def _renames(files: ReviewFiles, kind: Kind, old: str, new: str) -> dict[Kind, dict[str, str]]:
    if kind == "principle":
        ids = [p.id for p in principles_of(files)]
        taken = ids
    elif kind == "source":
        ids = [f.record.id for f in files.sources]
        taken = ids
    else:
        ids = [c.id for f in files.sources for c in f.record.cmocs]
        taken = ids
    if old not in ids:
        raise UnknownId(f"no {NAMES[kind]} `{old}`" + did_you_mean(old, ids))
    if new in taken:
        raise UnknownId(f"{NAMES[kind]} `{new}` already exists: choose another id")
    renames: dict[Kind, dict[str, str]] = {kind: {old: new}}
    if kind == "source":
        source = next(f.record for f in files.sources if f.record.id == old)
        cmocs = {c.id: new + c.id[len(old) :] for c in source.cmocs if c.id.startswith(old + "-")}
        all_cmocs = {c.id for f in files.sources for c in f.record.cmocs}
        clash = [n for n in cmocs.values() if n in all_cmocs]
        if clash:
            raise UnknownId(f"renaming the source's CMOCs would reuse CMOC id `{clash[0]}`: choose another id")
        if cmocs:
            renames["cmoc"] = cmocs
    return renames


def _definitions(files: ReviewFiles, kind: Kind, renames: Mapping[str, str], texts: dict[Path, str]) -> Rewrite:
    """The rewrite of the ids where the entries themselves are defined (and of a source's file name)."""
    found = Rewrite()
    if kind == "principle":
        path = layout.principles_file(files.root)
        text = _text_of(files, path, texts)
        located = parse(text, layout.shown(path))
        for index, principle in enumerate(located.data["principles"]):
            if principle.get("id") in renames:
                found.add(path, replace_scalar(text, located, ("principles", index, "id"), renames[principle["id"]]))
        return found
    for loaded in files.sources:
        path = evidence_path(files.root, loaded.path)
        text = _text_of(files, path, texts)
        if kind == "source" and loaded.record.id in renames:
            new_id = renames[loaded.record.id]
            found.add(path, replace_scalar(text, loaded.located, ("id",), new_id))
            found.moves[path] = path.with_name(new_id + path.suffix)
        if kind == "cmoc":
            for index, cmoc in enumerate(loaded.record.cmocs):
                if cmoc.id in renames:
                    found.add(path, replace_scalar(text, loaded.located, ("cmocs", index, "id"), renames[cmoc.id]))
    return found


def _text_of(files: ReviewFiles, path: Path, texts: dict[Path, str]) -> str:
    """A file's text, read once; the packaged principles when the review has no principles.yaml yet."""
    if path not in texts:
        if path == layout.principles_file(files.root) and not path.is_file():
            texts[path] = layout.packaged("defaults", layout.PRINCIPLES_FILE).read_text(encoding="utf-8")
        else:
            texts[path] = read_text(path, layout.shown(path))
    return texts[path]
