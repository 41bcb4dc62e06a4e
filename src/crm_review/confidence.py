"""Confidence as the documents show it: the review team's judgement, or the rule's suggestion labelled so.

GRADE-CERQual confidence is a judgement the review team makes and explains (``assessments/``). The rule
in ``configs/review.yaml`` only suggests levels from the evidence in numbers. This module is the one
place that turns both into what documents show, so that no document can present a suggestion as the
confidence: ``confidence`` here is only ever the team's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crm_review.analysis import Component
from crm_review.assessments import coverage
from crm_review.model import COMPONENTS, CONFIDENCE_LEVELS, Assessment, Concern, Confidence

COMPONENT_NAMES = {
    "methodological_limitations": "Methodological limitations",
    "coherence": "Coherence",
    "adequacy": "Adequacy",
    "relevance": "Relevance",
}

SUGGESTED_CONCERN: dict[bool, Concern] = {False: "no or very minor", True: "moderate"}
"""The rule knows only "a concern" or not: it suggests moderate concerns, enough to lower confidence a level."""


def suggested_concern(component: Component) -> Concern:
    return SUGGESTED_CONCERN[component.concern]


def component_key(component: Component) -> str:
    """``methodological limitations`` -> ``methodological_limitations``, the key assessments use."""
    return component.name.replace(" ", "_")


@dataclass(frozen=True)
class ComponentView:
    """One GRADE-CERQual component of a finding: the team's concern, and apart from it the rule's suggestion."""

    key: str
    name: str
    concern: Concern | None
    """The team's judgement; ``None`` until the principle is assessed."""
    explanation: str | None
    suggested: Concern | None
    """The rule's suggestion; ``None`` for a principle without evidence."""
    reason: str | None
    """The rule's reason for its suggestion."""


@dataclass(frozen=True)
class ConfidenceView:
    """Confidence in one principle's finding, as every document shows it."""

    assessed: bool
    finding: str
    """The team's summary statement of the finding; the principle's statement until it is assessed."""
    components: tuple[ComponentView, ...]
    confidence: Confidence | None
    """The team's overall judgement; ``None`` until assessed. Never the rule's suggestion."""
    explanation: str | None
    assessed_by: tuple[str, ...]
    assessed_on: str | None
    covered: tuple[str, ...]
    """The CMOC ids the judgement covered."""
    stale: bool
    changes: str | None
    """``covers 5 of the 7 CMOCs now linked: 2 added since (...)``, when the judgement may be out of date."""
    suggested_confidence: Confidence | None
    """What the rule suggests overall; ``None`` without evidence."""

    @property
    def judged_by(self) -> str:
        return "review team" if self.assessed else "not assessed"


def confidence_view(
    statement: str,
    linked: Sequence[str],
    suggestion: Sequence[Component],
    suggested_confidence: str | None,
    assessment: Assessment | None,
) -> ConfidenceView:
    """The team's judgement of one principle beside the rule's suggestion, and whether it is out of date."""
    suggested = {component_key(c): c for c in suggestion}
    judged = dict(assessment.components.items()) if assessment else {}
    components = tuple(
        ComponentView(
            key=key,
            name=COMPONENT_NAMES[key],
            concern=judged[key].concern if key in judged else None,
            explanation=judged[key].explanation if key in judged else None,
            suggested=suggested_concern(suggested[key]) if key in suggested else None,
            reason=suggested[key].reason if key in suggested else None,
        )
        for key in COMPONENTS
    )
    overall = next((level for level in CONFIDENCE_LEVELS if level == suggested_confidence), None)
    if assessment is None:
        return ConfidenceView(
            assessed=False,
            finding=statement,
            components=components,
            confidence=None,
            explanation=None,
            assessed_by=(),
            assessed_on=None,
            covered=(),
            stale=False,
            changes=None,
            suggested_confidence=overall,
        )
    found = coverage(assessment, linked)
    return ConfidenceView(
        assessed=True,
        finding=assessment.finding,
        components=components,
        confidence=assessment.confidence,
        explanation=assessment.explanation,
        assessed_by=tuple(assessment.assessed_by),
        assessed_on=assessment.assessed_on.isoformat(),
        covered=found.covered,
        stale=found.stale,
        changes=found.sentence() if found.stale else None,
        suggested_confidence=overall,
    )
