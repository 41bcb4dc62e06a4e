"""`crm assess`: what a principle's evidence amounts to, the rule's suggestion, and the team's judgement written.

The suggestion comes from the configurable rule in ``configs/review.yaml``; it is offered as a default,
never written as the team's judgement without the team seeing and accepting it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from crm_review import layout
from crm_review.assessments import Coverage, assessment_of, assessment_problems, coverage, linked_cmocs
from crm_review.errors import InvalidEvidence, MissingFields, NothingToAssess, Problem, RefusedOverwrite, UnknownId
from crm_review.load import LoadedFile, ReviewFiles, load_record, load_review_files, read_text
from crm_review.model import (
    COMPONENTS,
    CONCERNS,
    CONFIDENCE_LEVELS,
    RELATIONS,
    Assessment,
    Concern,
    Confidence,
    Principle,
    Relation,
    Review,
)
from crm_review.pipeline import check
from crm_review.suggest import did_you_mean

COMPONENT_LABELS = {
    "methodological_limitations": "methodological limitations",
    "coherence": "coherence",
    "adequacy": "adequacy",
    "relevance": "relevance",
}
COMPONENT_FLAGS = {
    "methodological_limitations": "limitations",
    "coherence": "coherence",
    "adequacy": "adequacy",
    "relevance": "relevance",
}
"""The command-line flag of each component (``--limitations``, ``--limitations-why``)."""


@dataclass(frozen=True)
class Suggested:
    """The rule's suggestion for one component, with the reason it gives."""

    component: str
    concern: Concern
    reason: str

    @property
    def label(self) -> str:
        return COMPONENT_LABELS[self.component]


@dataclass(frozen=True)
class Brief:
    """What ``crm assess`` shows before asking: the principle's evidence in numbers and the suggestion."""

    principle: Principle
    source_ids: tuple[str, ...]
    cmoc_ids: tuple[str, ...]
    relations: dict[Relation, int]
    directions: dict[str, int]
    rigour: dict[str, int]
    relevance: dict[str, int]
    patterns: tuple[tuple[str, int, int], ...]
    """Mechanism themes carried by two or more of the principle's CMOCs: (theme, CMOCs, sources)."""
    suggested: tuple[Suggested, ...]
    suggested_confidence: Confidence | None
    existing: Assessment | None
    coverage: Coverage | None


def brief(review: Review, principle_id: str) -> Brief:
    """The principle's evidence in numbers and the rule's suggestion for each component."""
    from crm_review.analysis import analyse
    from crm_review.confidence import component_key, suggested_concern

    principle = next(p for p in review.principles if p.id == principle_id)
    findings = next(f for f in analyse(review).principles if f.id == principle_id)
    existing = assessment_of(review, principle_id)
    linked = linked_cmocs(review, principle_id)
    by_name = {component_key(c): c for c in findings.suggestion}
    suggested = tuple(
        Suggested(name, suggested_concern(by_name[name]), by_name[name].reason)
        for name in COMPONENTS
        if name in by_name
    )
    return Brief(
        principle=principle,
        source_ids=findings.source_ids,
        cmoc_ids=linked,
        relations={r: len(findings.links[r]) for r in RELATIONS},
        directions=dict(findings.directions.items()),
        rigour=dict(findings.rigour),
        relevance=dict(findings.relevance),
        patterns=tuple((p.theme, len(p.cmoc_ids), len(p.source_ids)) for p in findings.patterns),
        suggested=suggested,
        suggested_confidence=next((c for c in CONFIDENCE_LEVELS if c == findings.suggested_confidence), None),
        existing=existing,
        coverage=coverage(existing, linked) if existing else None,
    )


@dataclass(frozen=True)
class AssessmentInput:
    """A judgement as given by flags or at the prompts; ``None`` means not given."""

    finding: str | None = None
    concerns: dict[str, str | None] = field(default_factory=dict)
    explanations: dict[str, str | None] = field(default_factory=dict)
    confidence: str | None = None
    explanation: str | None = None
    assessed_by: tuple[str, ...] = ()
    assessed_on: datetime.date | None = None
    cmocs: tuple[str, ...] | None = None
    """The CMOCs the team saw while judging; by default those linked when the file is written."""
    notes: str | None = None
    """Free text; when an assessment is replaced without new notes, its notes are kept."""

    def missing(self) -> list[str]:
        """The fields not given, by their flag names."""
        missing = [] if self.finding else ["finding"]
        for name in COMPONENTS:
            flag = COMPONENT_FLAGS[name]
            if not self.concerns.get(name):
                missing.append(flag)
            if not self.explanations.get(name):
                missing.append(f"{flag}-why")
        if not self.confidence:
            missing.append("confidence")
        if not self.explanation:
            missing.append("confidence-why")
        if not self.assessed_by:
            missing.append("by")
        return missing


def resolve_concern(token: str) -> Concern:
    """``no``, ``none``, ``very minor``, ``mod`` ... -> a GRADE-CERQual level of concern."""
    wanted = _normal(token)
    if wanted in {"no", "none", "very minor", "no concerns", "no or very minor concerns"}:
        return "no or very minor"
    return _resolve(wanted.removesuffix(" concerns"), CONCERNS, token, "level of concern")


def resolve_confidence(token: str) -> Confidence:
    """``high``, ``mod``, ``very low`` ... -> a GRADE-CERQual level of confidence."""
    return _resolve(_normal(token).removesuffix(" confidence"), CONFIDENCE_LEVELS, token, "level of confidence")


def _normal(token: str) -> str:
    return " ".join(token.strip().lower().replace("-", " ").replace("_", " ").split())


LevelT = TypeVar("LevelT", bound=str)


def _resolve(wanted: str, choices: tuple[LevelT, ...], given: str, what: str) -> LevelT:
    if wanted in choices:
        return next(c for c in choices if c == wanted)
    matches = [c for c in choices if wanted and c.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    raise UnknownId(f"`{given}` is not a {what}: write one of {', '.join(choices)}" + did_you_mean(wanted, choices))


@dataclass(frozen=True)
class Written:
    """Where an assessment was written and how many CMOCs it covers."""

    path: Path
    principle: str
    covered: int


def principle_for(review: Review, token: str) -> str:
    """A principle id from its id or an unambiguous start of it."""
    from crm_review.edit import resolve_principle

    return resolve_principle(token, review.principles)


def record(principle_id: str, given: AssessmentInput, covered: tuple[str, ...], today: datetime.date) -> dict[str, Any]:
    """The mapping written to ``assessments/<id>.yaml``, in the format's key order."""
    return {
        "principle": principle_id,
        "finding": given.finding,
        "components": {
            name: {
                "concern": resolve_concern(str(given.concerns[name])),
                "explanation": given.explanations[name],
            }
            for name in COMPONENTS
        },
        "confidence": resolve_confidence(str(given.confidence)),
        "explanation": given.explanation,
        "assessed_by": list(given.assessed_by),
        "assessed_on": given.assessed_on or today,
        "cmocs": list(covered),
        **({"notes": given.notes} if given.notes else {}),
    }


HEADER = (
    "# GRADE-CERQual assessment of one review finding, judged by the review team (see `crm assess`).\n"
    "# `cmocs` lists the CMOCs the judgement covered: `crm validate` warns when the evidence moves on.\n"
)


def write_assessment(
    root: Path, principle_token: str, given: AssessmentInput, *, replace_existing: bool = False
) -> Written:
    """Validate the judgement with the whole review, then write ``assessments/<id>.yaml`` atomically."""
    from crm_review.edit import review_lock
    from crm_review.files import write_atomic
    from crm_review.yamltext import dump

    if given.missing():
        raise MissingFields(given.missing())
    with review_lock(root):
        files = load_review_files(root)
        validation = check(files)
        if validation.review is None:
            raise InvalidEvidence(list(validation.errors))
        review = validation.review
        principle_id = principle_for(review, principle_token)
        path = layout.assessment_file(root, principle_id)
        existing = [a for a in files.assessments if a.record.principle == principle_id or a.path.stem == principle_id]
        if existing and not replace_existing:
            raise RefusedOverwrite(
                f"`{principle_id}` is already assessed in {existing[0].path}: add --replace to judge it again"
            )
        covered = given.cmocs if given.cmocs is not None else linked_cmocs(review, principle_id)
        if not covered:
            raise nothing_to_assess(principle_id)
        header = HEADER
        if existing:  # a replaced judgement keeps the team's notes and the comments above it
            if given.notes is None:
                given = replace(given, notes=existing[0].record.notes)
            old_text = read_text(layout.assessments_dir(root) / existing[0].path.name, existing[0].path)
            header = _leading_comments(old_text) or HEADER
        text = header + dump(record(principle_id, given, covered, datetime.date.today()), fold=True)
        shown = layout.shown(path)
        loaded = load_record(text, shown, Assessment)
        if isinstance(loaded, list):
            raise InvalidEvidence(loaded)
        _refuse_errors(files, loaded)
        write_atomic(path, text)
    return Written(shown, principle_id, len(covered))


def nothing_to_assess(principle_id: str) -> NothingToAssess:
    return NothingToAssess(
        f"no CMOC links to `{principle_id}` yet: there is no finding to judge (add evidence with `crm add cmoc`)"
    )


def _leading_comments(text: str) -> str:
    lines = text.splitlines(keepends=True)
    kept = []
    for line in lines:
        if not line.startswith("#"):
            break
        kept.append(line if line.endswith("\n") else line + "\n")
    return "".join(kept)


def _refuse_errors(files: ReviewFiles, loaded: LoadedFile[Assessment]) -> None:
    others = tuple(a for a in files.assessments if a.path.stem != loaded.path.stem)
    changed = replace(files, assessments=(*others, loaded))
    errors: list[Problem] = [p for p in assessment_problems(changed) if p.severity == "error" and p.path == loaded.path]
    if errors:
        raise InvalidEvidence(errors)


def explain_overall(concerns: dict[str, Concern]) -> str:
    """``Moderate concerns about adequacy; no or very minor concerns about ...``: a default explanation."""
    parts = []
    for level in reversed(CONCERNS):
        names = [COMPONENT_LABELS[n] for n in COMPONENTS if concerns.get(n) == level]
        if names:
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            parts.append(f"{level} concerns about {listed}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""
