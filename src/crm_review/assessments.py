"""The review team's confidence judgements across files: checks, what each one covers, what it refers to.

An assessment (``assessments/<principle-id>.yaml``) judges one principle's finding at one moment, on
the CMOCs linked to it then. Evidence moves on: this module says which judgements no longer cover the
CMOCs linked now, so that the team looks again. Returns problems; never prints.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from crm_review import layout
from crm_review.errors import Problem
from crm_review.load import LoadedFile, ReviewFiles, stray_files
from crm_review.model import Assessment, Review
from crm_review.suggest import did_you_mean, did_you_mean_each


@dataclass(frozen=True)
class Coverage:
    """How the CMOCs an assessment covered compare with those linked to its principle now."""

    covered: tuple[str, ...]
    linked: tuple[str, ...]
    added: tuple[str, ...]
    """Linked now, not covered: evidence added or relinked since the judgement."""
    dropped: tuple[str, ...]
    """Covered, no longer linked: evidence removed, renamed or relinked since."""

    @property
    def stale(self) -> bool:
        return bool(self.added or self.dropped)

    def sentence(self) -> str:
        """``covers 5 of the 7 CMOCs now linked: 2 added since (a, b)``, for messages and documents."""
        still = len(self.covered) - len(self.dropped)
        text = f"covers {still} of the {len(self.linked)} CMOC{'' if len(self.linked) == 1 else 's'} now linked"
        changes = []
        if self.added:
            changes.append(f"{len(self.added)} added since ({_some(self.added)})")
        if self.dropped:
            changes.append(f"{len(self.dropped)} it covered no longer linked ({_some(self.dropped)})")
        return text + (": " + "; ".join(changes) if changes else "")


LISTED_IDS = 5
"""How many changed ids a message names before it says how many more there are."""


def _some(ids: tuple[str, ...]) -> str:
    more = len(ids) - LISTED_IDS
    return ", ".join(ids[:LISTED_IDS]) + (f" and {more} more" if more > 0 else "")


def coverage(assessment: Assessment, linked: Iterable[str]) -> Coverage:
    """Compare an assessment's covered CMOC ids with the ids linked to its principle now."""
    now_set = set(linked)
    now = tuple(sorted(now_set))
    covered = tuple(dict.fromkeys(assessment.cmocs))
    covered_set = set(covered)
    return Coverage(
        covered=covered,
        linked=now,
        added=tuple(c for c in now if c not in covered_set),
        dropped=tuple(sorted(c for c in covered if c not in now_set)),
    )


def linked_cmocs(review: Review, principle_id: str) -> tuple[str, ...]:
    """The ids of the CMOCs linked to a principle (by any relation), sorted."""
    return tuple(sorted(cmoc.id for _, cmoc in review.cmocs() if principle_id in cmoc.principle_ids()))


def assessment_of(review: Review, principle_id: str) -> Assessment | None:
    return next((a for a in review.assessments if a.principle == principle_id), None)


# --- references, for commands that rename or remove ids -------------------------------------------


@dataclass(frozen=True)
class Reference:
    """One id written in an assessment file, and where."""

    kind: Literal["principle", "cmoc"]
    id: str
    path: Path
    line: int
    col: int
    index: int
    """Where the value starts in the file's text (0-based): at the id itself unless it is quoted."""


def references(loaded: LoadedFile[Assessment]) -> tuple[Reference, ...]:
    """The principle id and every covered CMOC id one assessment file holds, each with its location."""

    def at(loc: tuple[str | int, ...]) -> tuple[int, int, int]:
        mark = loaded.located.mark(loc)
        return mark.line, mark.col, mark.index

    found = [Reference("principle", loaded.record.principle, loaded.path, *at(("principle",)))]
    for index, cmoc_id in enumerate(loaded.record.cmocs):
        found.append(Reference("cmoc", cmoc_id, loaded.path, *at(("cmocs", index))))
    return tuple(found)


def all_references(files: ReviewFiles) -> tuple[Reference, ...]:
    """Every principle and CMOC id the review's assessment files refer to, file by file."""
    return tuple(ref for loaded in files.assessments for ref in references(loaded))


# --- checks ---------------------------------------------------------------------------------------


def assessment_problems(files: ReviewFiles) -> list[Problem]:
    """Every problem of the assessments read together with the evidence: errors, then stale warnings."""
    problems: list[Problem] = []
    seen: dict[str, LoadedFile[Assessment]] = {}
    known = [p.id for p in files.taxonomy.record.principles] if files.taxonomy else []
    linked = _linked_by_principle(files)
    all_cmocs = files.cmoc_ids()  # from the outlines: checking builds no record
    for loaded in files.assessments:
        record = loaded.record
        problems += _unexplained(loaded)
        problems += _repeated_cmocs(loaded)
        if record.principle != loaded.path.stem:
            line, col = loaded.at(("principle",))
            message = (
                f"principle `{record.principle}` differs from the file name `{loaded.path.name}`: "
                f"write `principle: {loaded.path.stem}` or rename the file to `{record.principle}.yaml`"
            )
            problems.append(Problem(loaded.path, line, col, message))
        if record.principle in seen:
            first = seen[record.principle]
            line, col = loaded.at(("principle",))
            message = f"principle `{record.principle}` is already assessed in {first.path}: keep one assessment"
            problems.append(Problem(loaded.path, line, col, message))
            continue
        seen[record.principle] = loaded
        if files.taxonomy is not None and record.principle not in known:
            line, col = loaded.at(("principle",))
            message = f"unknown principle `{record.principle}`"
            message += did_you_mean(record.principle, known, f"; the principles are {', '.join(known)}")
            problems.append(Problem(loaded.path, line, col, message))
            continue
        problems += _stale(loaded, linked.get(record.principle, ()), all_cmocs)
    problems += stray_files(
        layout.assessments_dir(files.root), "not read: only .yaml and .yml files in assessments/ are read"
    )
    problems += _former_rule_name(files)
    return problems


def _former_rule_name(files: ReviewFiles) -> list[Problem]:
    """`confidence:` in configs/review.yaml was the rule's former name: still read, but it misnames a suggestion."""
    if files.config is None or files.config.record.confidence is None:
        return []
    line, col = files.config.at(("confidence",), key=True)
    if "suggestion" in files.config.record.model_fields_set:
        message = "`confidence:` and `suggestion:` both set the rule's thresholds: keep `suggestion:` only"
        return [Problem(files.config.path, line, col, message)]
    message = (
        "rename `confidence:` to `suggestion:`: its thresholds only suggest levels; the confidence is the "
        "review team's judgement, in assessments/ (`crm assess`)"
    )
    return [Problem(files.config.path, line, col, message, "warning")]


def _linked_by_principle(files: ReviewFiles) -> dict[str, list[str]]:
    linked: dict[str, list[str]] = {}
    for _, outline in files.outlines():  # ids and links only: checking builds no record
        for cmoc in outline.cmocs:
            for principle_id in cmoc.principles:
                linked.setdefault(principle_id, []).append(cmoc.id)
    return linked


def _unexplained(loaded: LoadedFile[Assessment]) -> list[Problem]:
    """CERQual asks for every judgement to be explained: a judgement without its reason is an error."""
    problems = []
    for name, judgement in loaded.record.components.items():
        if judgement.explanation is None:
            line, col = loaded.at(("components", name), key=True)
            message = (
                f"component `{name}` has no explanation: add `explanation:` saying why you judge "
                f"`{judgement.concern}` concerns"
            )
            problems.append(Problem(loaded.path, line, col, message))
    if loaded.record.explanation is None:
        line, col = loaded.at(("confidence",), key=True)
        message = (
            f"the overall confidence `{loaded.record.confidence}` has no explanation: add `explanation:` "
            "saying which components lowered it, and why"
        )
        problems.append(Problem(loaded.path, line, col, message))
    return problems


def _repeated_cmocs(loaded: LoadedFile[Assessment]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for index, cmoc_id in enumerate(loaded.record.cmocs):
        if cmoc_id not in seen:
            seen.add(cmoc_id)
        else:
            line, col = loaded.at(("cmocs", index))
            problems.append(Problem(loaded.path, line, col, f"CMOC `{cmoc_id}` is listed twice: remove one"))
    return problems


def _stale(loaded: LoadedFile[Assessment], linked: Sequence[str], all_cmocs: Collection[str]) -> list[Problem]:
    """A warning when the judgement no longer covers what is linked: it may be out of date."""
    found = coverage(loaded.record, linked)
    if not found.stale:
        return []
    line, col = loaded.at(("cmocs",), key=True)
    message = f"assessment of `{loaded.record.principle}` {found.sentence()}"
    # A mistyped id in `cmocs:` shows as one "no longer linked" and its true id as one "added".
    missing = [c for c in found.dropped if c not in all_cmocs]
    typos = missing if len(missing) <= LISTED_IDS else []  # many missing ids are removals, not typos
    message += did_you_mean_each(typos, found.added)
    message += f": it may be out of date; review it with `crm assess {loaded.record.principle}`"
    return [Problem(loaded.path, line, col, message, "warning")]
