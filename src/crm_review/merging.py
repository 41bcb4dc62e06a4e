"""Clashing CMOC ids: a git merge driver for evidence files, and renumbering a CMOC with its references.

Two reviewers who each run ``crm add cmoc --source karuga-2022`` on their own branch both get
``karuga-2022-2``, appended at the same place. Git alone sees one conflict; :func:`merge_evidence`
sees two new CMOCs, keeps both, and gives the second a free number. Text is kept as each reviewer
wrote it: the other side's CMOC is moved as its own lines, only its id changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_review import gitrepo, layout
from crm_review.errors import InvalidEvidence, MergeFailed, RefusedOverwrite, UnknownId
from crm_review.ids import mention_pattern, next_cmoc_id
from crm_review.model import SLUG_PATTERN
from crm_review.yamltext import Located, YamlProblems, parse

if TYPE_CHECKING:
    from crm_review.load import ReviewFiles


@dataclass(frozen=True)
class MergeResult:
    """The merged text; whether it still holds conflict markers; each CMOC that got a new id."""

    text: str
    conflicts: int
    renumbered: tuple[tuple[str, str], ...] = ()


def merge_evidence(base: str, ours: str, theirs: str, label: str = "evidence file") -> MergeResult:
    """Three-way merge of one evidence file, renumbering their new CMOCs whose ids ours took too."""
    text, conflicts = gitrepo.merge_file(base, ours, theirs)
    if conflicts == 0 and not _duplicate_ids(text):
        return MergeResult(text, 0)
    try:
        if not base.strip():
            # Both branches created the file (the same paper imported on each): their file without its
            # CMOCs stands in for the missing ancestor, so that each side's CMOCs count as added.
            base = _without_cmocs(theirs, label)
        return _merge_added_cmocs(base, ours, theirs, label) or MergeResult(text, max(conflicts, 1))
    except (YamlProblems, MergeFailed):
        return MergeResult(text, max(conflicts, 1))


def _merge_added_cmocs(base: str, ours: str, theirs: str, label: str) -> MergeResult | None:
    """Merge everything but the CMOCs they added, then append those after ours, renumbered where needed."""
    path = Path(label)
    base_ids = set(_cmoc_ids(parse(base, path)))
    theirs_located = parse(theirs, path)
    added = [i for i, cmoc_id in enumerate(_cmoc_ids(theirs_located)) if cmoc_id not in base_ids]
    if not added:
        return None
    blocks = [_item_block(theirs, theirs_located, i) for i in added]
    stripped = theirs
    for start, end in reversed(blocks):
        stripped = stripped[:start] + stripped[end:]
    rest, conflicts = gitrepo.merge_file(base, ours, stripped)
    if conflicts:
        return None
    merged = parse(rest, path)
    taken = set(_cmoc_ids(merged))
    source = str(merged.data.get("id", "")) if isinstance(merged.data, dict) else ""
    renumbered = []
    texts = []
    for (start, end), index in zip(blocks, added, strict=True):
        cmoc_id = _cmoc_ids(theirs_located)[index]
        block = theirs[start:end].lstrip("\r\n")
        if cmoc_id in taken:
            new_id = next_cmoc_id(source, taken) if source else f"{cmoc_id}-b"
            id_at = theirs_located.value_starts[("cmocs", index, "id")].index - (end - len(block))
            block = block[:id_at] + block[id_at:].replace(cmoc_id, new_id, 1)
            renumbered.append((cmoc_id, new_id))
            cmoc_id = new_id
        taken.add(cmoc_id)
        texts.append(block)
    spaced = any(theirs[start:end].startswith(("\n", "\r\n")) for start, end in blocks)
    result = _append_blocks(rest, merged, texts, spaced)
    if _duplicate_ids(result):
        return None
    return MergeResult(result, 0, tuple(renumbered))


def _without_cmocs(text: str, label: str) -> str:
    located = parse(text, Path(label))
    for start, end in reversed([_item_block(text, located, i) for i in range(len(_cmoc_ids(located)))]):
        text = text[:start] + text[end:]
    return text


def _cmoc_ids(located: Located) -> list[str]:
    data = located.data
    cmocs = data.get("cmocs") if isinstance(data, dict) else None
    if not isinstance(cmocs, list):
        return []
    return [str(item.get("id")) if isinstance(item, dict) else "" for item in cmocs]


def _duplicate_ids(text: str) -> bool:
    try:
        ids = _cmoc_ids(parse(text, Path("merged")))
    except YamlProblems:
        return False  # not ours to judge: conflict markers or a broken file go back to the person merging
    return len(ids) != len(set(ids))


def _item_block(text: str, located: Located, index: int) -> tuple[int, int]:
    """Where the ``index``-th CMOC stands as whole lines, with the blank lines that separate it before."""
    start = located.value_starts[("cmocs", index)].index
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip() not in ("-", ""):
        raise MergeFailed("CMOCs are not written one `- id:` item per line")
    end = _content_end(text, located.value_ends[("cmocs", index)].index, start - line_start)
    while line_start > 0:  # the blank lines above belong to this item when it goes
        above = text.rfind("\n", 0, line_start - 1) + 1
        if text[above:line_start].strip():
            break
        line_start = above
    return line_start, end


def _content_end(text: str, end: int, indent: int) -> int:
    """The end of an item's last line of its own: trailing blank lines and dedented comments excluded."""
    if end == 0 or text[end - 1] != "\n":
        line_end = text.find("\n", end)
        return len(text) if line_end == -1 else line_end + 1
    while end > 0:
        line_start = text.rfind("\n", 0, end - 1) + 1
        line = text[line_start:end]
        stripped = line.lstrip(" ")
        if stripped.strip() and not (stripped.startswith("#") and len(line) - len(stripped) <= indent - 2):
            return end
        end = line_start
    return end


def _append_blocks(text: str, located: Located, blocks: list[str], spaced_there: bool) -> str:
    """``text`` with ``blocks`` (whole CMOC items) after its last CMOC, spaced as its items are.

    With one item, the file does not say whether items are spaced; the other side's lines do.
    """
    items = _cmoc_ids(located)
    if not items or text[located.value_starts[("cmocs",)].index] == "[":
        raise MergeFailed("ours has no block list of CMOCs to append to")
    newline = "\r\n" if "\r\n" in text else "\n"
    first = located.value_starts[("cmocs", 0)].index
    indent = first - (text.rfind("\n", 0, first) + 1)
    insert_at = _content_end(text, located.value_ends[("cmocs", len(items) - 1)].index, indent)
    prefix = "" if insert_at == 0 or text[insert_at - 1] == "\n" else newline
    spaced = _blank_line_before(text, located.value_starts["cmocs", 1].index) if len(items) > 1 else spaced_there
    added = "".join((newline if spaced else "") + _ending(b, newline) for b in blocks)
    return text[:insert_at] + prefix + added + text[insert_at:]


def _ending(block: str, newline: str) -> str:
    return block if block.endswith("\n") else block + newline


def _blank_line_before(text: str, index: int) -> bool:
    line_start = text.rfind("\n", 0, index) + 1
    above = text.rfind("\n", 0, max(line_start - 1, 0)) + 1
    return line_start > 0 and not text[above:line_start].strip()


# --- renumbering ---------------------------------------------------------------------------------


@dataclass
class Renumbered:
    """What ``crm renumber`` changed: the CMOC, and each mention of it in notes, by file and line."""

    old: str
    new: str
    path: Path
    mentions: list[tuple[Path, int]] = field(default_factory=list)
    left: list[tuple[Path, int]] = field(default_factory=list)


def renumber(root: Path, old: str, new: str | None = None) -> Renumbered:
    """Give CMOC ``old`` a new id (the next free number by default) and update the notes that mention it.

    When two CMOCs share ``old`` (a merge kept both), the later one is renumbered, and mentions are
    listed rather than changed: only a person can tell which of the two they meant.
    """
    from crm_review.edit import review_lock
    from crm_review.files import write_all_atomic
    from crm_review.load import load_review_files, read_text, with_changes
    from crm_review.pipeline import check

    with review_lock(root):
        files = load_review_files(root)
        found = [(f, i) for f in files.sources for i, cmoc in enumerate(f.record.cmocs) if cmoc.id == old]
        if not found:
            from crm_review.suggest import did_you_mean

            known = sorted(c.id for f in files.sources for c in f.record.cmocs)
            raise UnknownId(f"no CMOC `{old}`" + did_you_mean(old, known, " (see `crm list cmocs`)"))
        taken = {c.id for f in files.sources for c in f.record.cmocs}
        loaded, index = found[-1]
        if new is None:
            new = next_cmoc_id(loaded.record.id, taken)
        elif not SLUG_PATTERN.match(new):
            raise UnknownId(f"`{new}` is not a valid id: use lower-case letters, digits, `.`, `_` and `-`")
        elif new in taken:
            raise RefusedOverwrite(f"CMOC id `{new}` is already used; choose another")
        texts: dict[Path, str] = {}
        disk = {f.path: layout.evidence_dir(root) / f.path.name for f in files.sources}
        path = disk[loaded.path]
        text = read_text(path, loaded.path)
        texts[path] = _replace_at(text, loaded.located, ("cmocs", index, "id"), old, new)
        result = Renumbered(old, new, loaded.path)
        pattern = mention_pattern(old)
        for f in files.sources:
            current = texts.get(disk[f.path]) or read_text(disk[f.path], f.path)
            located = parse(current, f.path)
            spans = [("notes",)] + [("cmocs", j, "notes") for j in range(len(f.record.cmocs))]
            changed = current
            for loc in sorted(
                (s for s in spans if s in located.value_starts), key=lambda s: -located.value_starts[s].index
            ):
                start, end = located.value_starts[loc].index, located.value_ends[loc].index
                for match in reversed(list(pattern.finditer(changed, start, end))):
                    line = changed.count("\n", 0, match.start()) + 1
                    if len(found) > 1:
                        result.left.append((f.path, line))
                    else:
                        result.mentions.append((f.path, line))
                        changed = changed[: match.start()] + new + changed[match.end() :]
            if changed != current:
                texts[disk[f.path]] = changed
        assessed = _renumbered_in_assessments(root, files, old, new, result) if len(found) == 1 else {}
        before = {(str(p.path), p.message) for p in check(files).errors}
        after = check(with_changes(files, texts)).errors
        added = [p for p in after if (str(p.path), p.message) not in before]
        if added:
            raise InvalidEvidence(added)
        write_all_atomic(texts | assessed)
    result.mentions.sort()
    result.left.sort()
    return result


def _renumbered_in_assessments(
    root: Path, files: ReviewFiles, old: str, new: str, result: Renumbered
) -> dict[Path, str]:
    """The team's assessments that covered ``old`` now cover ``new``: renaming is not new evidence."""
    from crm_review.assessments import references
    from crm_review.load import read_text

    texts = {}
    for assessed in files.assessments:
        disk = layout.assessments_dir(root) / assessed.path.name
        text = read_text(disk, assessed.path)
        changed = text
        for ref in reversed(references(assessed)):
            if ref.kind == "cmoc" and ref.id == old and changed[ref.index : ref.index + len(old)] == old:
                changed = changed[: ref.index] + new + changed[ref.index + len(old) :]
                result.mentions.append((assessed.path, ref.line))
        if changed != text:
            texts[disk] = changed
    return texts


def _replace_at(text: str, located: Located, loc: tuple[Any, ...], old: str, new: str) -> str:
    start, end = located.value_starts[loc].index, located.value_ends[loc].index
    at = text.find(old, start, end)
    if at < 0:
        raise MergeFailed(f"cannot find the id `{old}` where it stands")
    return text[:at] + new + text[at + len(old) :]
