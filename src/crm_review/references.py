"""Who refers to what: the one place that knows which files name a principle, source or CMOC id.

``crm remove`` shows the references to what it removes and ``crm rename`` rewrites them. A new kind of
file that names ids (assessments, for example) joins both commands by adding a :class:`Referrer` to
:data:`REFERRERS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from crm_review import layout
from crm_review.ids import mention_pattern
from crm_review.load import LoadedFile, ReviewFiles
from crm_review.model import Source
from crm_review.textedit import Splice, replace_key, replace_scalar

Kind = Literal["principle", "source", "cmoc"]
NAMES: dict[Kind, str] = {"principle": "principle", "source": "source", "cmoc": "CMOC"}
"""Each kind as messages name it."""


@dataclass(frozen=True)
class Reference:
    """One place naming an id: ``evidence/doe-2020.yaml:12: CMOC doe-2020-1 links to principle quick-wins``."""

    path: Path
    line: int | None
    holder: str
    kind: Kind
    target: str
    owner: str = ""
    """The id of the entry holding the reference (a reference held by what is removed goes with it)."""

    def describe(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.holder} names {NAMES[self.kind]} {self.target}"


@dataclass
class Rewrite:
    """Changes to files on disk: splices of their text, and files to move (a name that holds an id)."""

    splices: dict[Path, list[Splice]] = field(default_factory=dict)
    moves: dict[Path, Path] = field(default_factory=dict)

    def add(self, path: Path, splice: Splice) -> None:
        self.splices.setdefault(path, []).append(splice)

    def merge(self, other: Rewrite) -> None:
        for path, found in other.splices.items():
            self.splices.setdefault(path, []).extend(found)
        self.moves.update(other.moves)


class Referrer(Protocol):
    """A kind of file content that names ids of other entries."""

    def find(self, files: ReviewFiles, kind: Kind, ids: set[str]) -> list[Reference]:
        """Every place naming one of ``ids`` of ``kind``."""
        ...

    def renamed(self, files: ReviewFiles, kind: Kind, renames: Mapping[str, str]) -> Rewrite:
        """What rewrites each old id of ``kind`` to its new one in this referrer's files."""
        ...

    def with_texts(self, files: ReviewFiles, texts: Mapping[Path, str], moves: Mapping[Path, Path]) -> ReviewFiles:
        """``files`` with this referrer's own files read from ``texts`` (new names after ``moves``), to check them."""
        ...


class PrincipleLinks:
    """CMOCs name the principles they bear on, in the list form or as mapping keys."""

    def find(self, files: ReviewFiles, kind: Kind, ids: set[str]) -> list[Reference]:
        if kind != "principle":
            return []
        found = []
        for loaded in files.sources:
            for index, cmoc in enumerate(loaded.record.cmocs):
                for principle_id, relation in cmoc.links:
                    if principle_id in ids:
                        line, _ = loaded.at(("cmocs", index, "principles"))
                        holder = f"CMOC {cmoc.id} ({relation})"
                        found.append(Reference(loaded.path, line, holder, "principle", principle_id, cmoc.id))
        return found

    def renamed(self, files: ReviewFiles, kind: Kind, renames: Mapping[str, str]) -> Rewrite:
        rewrite = Rewrite()
        if kind != "principle":
            return rewrite
        for loaded in files.sources:
            text = evidence_text(files.root, loaded.path)
            splices = []
            for index, cmoc in enumerate(loaded.record.cmocs):
                loc = ("cmocs", index, "principles")
                if isinstance(cmoc.principles, dict):
                    for principle_id in cmoc.principles:
                        if principle_id in renames:
                            splices.append(
                                replace_key(text, loaded.located, (*loc, principle_id), renames[principle_id])
                            )
                else:
                    for position, principle_id in enumerate(cmoc.principles):
                        if principle_id in renames:
                            splices.append(
                                replace_scalar(text, loaded.located, (*loc, position), renames[principle_id])
                            )
            for splice in splices:
                rewrite.add(evidence_path(files.root, loaded.path), splice)
        return rewrite

    def with_texts(self, files: ReviewFiles, texts: Mapping[Path, str], moves: Mapping[Path, Path]) -> ReviewFiles:
        return files  # evidence files are checked by crm rename itself, as every change to them is


class NoteMentions:
    """Notes, of a source or of a CMOC, may mention a source or a CMOC by its id ("see doe-2020-3")."""

    def _mentions(
        self, files: ReviewFiles, ids: Mapping[str, str] | set[str]
    ) -> Iterator[tuple[LoadedFile[Source], str, tuple[str, str], str, int, int]]:
        """(file, text, (holder, owner), id, start, end) for each whole-word mention of one of ``ids`` in notes."""
        patterns = {wanted: mention_pattern(wanted) for wanted in ids}
        for loaded in files.sources:
            source_id = loaded.record.id
            spans: list[tuple[tuple[str | int, ...], tuple[str, str]]] = [
                (("notes",), (f"the notes of source {source_id}", source_id))
            ]
            spans += [
                (("cmocs", j, "notes"), (f"the notes of CMOC {c.id}", c.id)) for j, c in enumerate(loaded.record.cmocs)
            ]
            present = [(loc, holder) for loc, holder in spans if loc in loaded.located.value_starts]
            if not present:
                continue
            text = evidence_text(files.root, loaded.path)
            for loc, holder in present:
                start, end = loaded.located.value_starts[loc].index, loaded.located.value_ends[loc].index
                for wanted, pattern in patterns.items():
                    for match in pattern.finditer(text, start, end):
                        yield loaded, text, holder, wanted, match.start(), match.end()

    def find(self, files: ReviewFiles, kind: Kind, ids: set[str]) -> list[Reference]:
        if kind == "principle":
            return []
        return [
            Reference(loaded.path, text.count("\n", 0, start) + 1, holder, kind, wanted, owner)
            for loaded, text, (holder, owner), wanted, start, _ in self._mentions(files, ids)
        ]

    def renamed(self, files: ReviewFiles, kind: Kind, renames: Mapping[str, str]) -> Rewrite:
        rewrite = Rewrite()
        if kind == "principle":
            return rewrite
        for loaded, _, _, wanted, start, end in self._mentions(files, renames):
            rewrite.add(evidence_path(files.root, loaded.path), Splice(start, end, renames[wanted]))
        return rewrite

    def with_texts(self, files: ReviewFiles, texts: Mapping[Path, str], moves: Mapping[Path, Path]) -> ReviewFiles:
        return files  # evidence files are checked by crm rename itself


class AssessmentLinks:
    """An assessment names the principle it judges (its file is named after it) and the CMOCs it covered."""

    def find(self, files: ReviewFiles, kind: Kind, ids: set[str]) -> list[Reference]:
        from crm_review.assessments import all_references

        return [
            Reference(ref.path, ref.line, f"the assessment of {ref.path.stem}", kind, ref.id, f"assessment:{ref.path}")
            for ref in all_references(files)
            if ref.kind == kind and ref.id in ids
        ]

    def renamed(self, files: ReviewFiles, kind: Kind, renames: Mapping[str, str]) -> Rewrite:
        from crm_review.load import read_text

        rewrite = Rewrite()
        if kind not in ("principle", "cmoc"):
            return rewrite
        for loaded in files.assessments:
            path = layout.assessments_dir(files.root) / loaded.path.name
            record = loaded.record
            if kind == "principle" and record.principle in renames:
                text = read_text(path, loaded.path)
                new_id = renames[record.principle]
                rewrite.add(path, replace_scalar(text, loaded.located, ("principle",), new_id))
                if path.stem == record.principle:  # the file is named after the principle it judges
                    rewrite.moves[path] = path.with_name(new_id + path.suffix)
            if kind == "cmoc":
                text = read_text(path, loaded.path)
                for index, cmoc_id in enumerate(record.cmocs):
                    if cmoc_id in renames:
                        rewrite.add(path, replace_scalar(text, loaded.located, ("cmocs", index), renames[cmoc_id]))
        return rewrite

    def with_texts(self, files: ReviewFiles, texts: Mapping[Path, str], moves: Mapping[Path, Path]) -> ReviewFiles:
        from crm_review.load import load_record
        from crm_review.model import Assessment

        folder = layout.assessments_dir(files.root)
        gone = {layout.shown(p) for p in [*moves, *texts] if p.parent == folder}
        kept = [a for a in files.assessments if a.path not in gone]
        problems = [p for p in files.problems if p.path not in gone]
        for path, text in texts.items():
            if path.parent != folder:
                continue
            result = load_record(text, layout.shown(path), Assessment)
            if isinstance(result, list):
                problems.extend(result)
            else:
                kept.append(result)
        return dataclasses.replace(
            files, assessments=tuple(sorted(kept, key=lambda a: a.path.name)), problems=tuple(problems)
        )


REFERRERS: tuple[Referrer, ...] = (PrincipleLinks(), NoteMentions(), AssessmentLinks())
"""Every kind of reference between the review's files; add new kinds here."""


def references(files: ReviewFiles, kind: Kind, ids: set[str]) -> list[Reference]:
    """Every place in the review naming one of ``ids``."""
    return [ref for referrer in REFERRERS for ref in referrer.find(files, kind, ids)]


def evidence_path(root: Path, shown: Path) -> Path:
    """The evidence file on disk for a path as a loaded record shows it."""
    return layout.evidence_dir(root) / shown.name


def evidence_text(root: Path, shown: Path) -> str:
    from crm_review.load import read_text

    return read_text(evidence_path(root, shown), shown)
