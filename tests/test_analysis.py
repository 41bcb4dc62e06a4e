"""The realist analysis, checked against findings worked out by hand for the small fixture review.

shared-gov: alpha-2019-1 (+), alpha-2019-2 (-), beta-2021-1 (-), gamma-2022-1 (+): 4 CMOCs, 3 sources,
2 x 2 = 4 contrasts; beta is low rigour and gamma unappraised (2 of 3 = 67% > 25%: concern); 4 contrasts
> 0 (concern); 3 sources and 4 CMOCs (adequate); 1 of 3 highly relevant (33% < 50%: concern): very low.
quick-wins: alpha-2019-1 (+), beta-2021-2 (mixed): 1 of 2 low rigour (50% > 25%: concern); no contrast;
2 CMOCs < 3 (concern); 1 of 2 highly relevant (50%, not below 50%): low, and thin.
skills: no CMOC: a gap, confidence null.
"""

from __future__ import annotations

import pytest

from conftest import FIXTURES
from crm_review.analysis import Findings, analyse
from crm_review.graph import build_graph
from crm_review.model import ConfidenceRule, Review
from crm_review.pipeline import load_valid_review

SMALL = FIXTURES / "small-review"


@pytest.fixture(scope="module")
def findings() -> Findings:
    review = load_valid_review(SMALL)
    return analyse(build_graph(review), review.config.confidence)


def by_id(findings: Findings, principle: str):  # type: ignore[no-untyped-def]
    return next(f for f in findings.principles if f.id == principle)


def test_principles_keep_the_taxonomy_order(findings: Findings) -> None:
    """Findings come in the order the review's principles are listed."""
    assert [f.id for f in findings.principles] == ["shared-gov", "quick-wins", "skills"]


def test_support_for_a_principle(findings: Findings) -> None:
    """CMOCs, distinct sources, countries, designs, appraisal and directions of one principle."""
    shared = by_id(findings, "shared-gov")
    assert shared.cmoc_ids == ("alpha-2019-1", "alpha-2019-2", "beta-2021-1", "gamma-2022-1")
    assert shared.source_ids == ("alpha-2019", "beta-2021", "gamma-2022")
    assert shared.countries == ("Chile", "Peru")
    assert shared.designs == ("case study", "survey")
    assert shared.rigour == {"high": 1, "moderate": 0, "low": 1, "not appraised": 1}
    assert shared.directions == {"positive": 2, "negative": 2, "mixed": 0}


def test_contrasts_pair_every_positive_with_every_negative(findings: Findings) -> None:
    """Each positive CMOC is set against each negative one; mixed CMOCs make no contrast."""
    assert by_id(findings, "shared-gov").contrasts == (
        ("alpha-2019-1", "alpha-2019-2"),
        ("alpha-2019-1", "beta-2021-1"),
        ("gamma-2022-1", "alpha-2019-2"),
        ("gamma-2022-1", "beta-2021-1"),
    )
    assert by_id(findings, "quick-wins").contrasts == ()


def test_confidence_and_its_reasons(findings: Findings) -> None:
    """Three components with concerns take shared-gov from high to very low, each reason written out."""
    shared = by_id(findings, "shared-gov")
    assert shared.confidence == "very low"
    assert shared.confidence_reasons == (
        "methodological limitations: concern: 2 of 3 sources rated low in rigour or not appraised (67%; a concern above 25%)",
        "coherence: concern: 4 contrast(s) between positive and negative CMOCs (a concern above 0); "
        "the contrasts ask in which contexts the principle works",
        "adequacy: no concern: 3 source(s) and 4 CMOC(s) (a concern below 2 sources or 3 CMOCs)",
        "relevance: concern: 1 of 3 sources rated highly relevant (33%; a concern below 50%)",
    )
    quick = by_id(findings, "quick-wins")
    assert quick.confidence == "low"
    assert [c.concern for c in quick.components] == [True, False, True, False]


def test_thresholds_come_from_the_config(findings: Findings) -> None:
    """A team that tolerates contrasts and one-source evidence gets a different judgement."""
    review = load_valid_review(SMALL)
    lenient = ConfidenceRule(max_contrasts=10, min_cmocs=1, max_share_low_rigour=0.7, min_share_high_relevance=0.3)
    relaxed = analyse(build_graph(review), lenient)
    assert by_id(relaxed, "shared-gov").confidence == "high"


def test_gaps_and_thin_evidence(findings: Findings) -> None:
    """A principle without CMOCs is a gap with no confidence; one below the adequacy bar is thin."""
    assert findings.gaps == ("skills",)
    assert findings.thin == ("quick-wins",)
    skills = by_id(findings, "skills")
    assert (skills.confidence, skills.confidence_reasons) == (None, ("no CMOC links to this principle",))


def test_recurring_mechanisms_need_two_sources(findings: Findings) -> None:
    """A theme recurs when CMOCs from two or more sources share it."""
    shared = by_id(findings, "shared-gov")
    assert [(t.name, t.cmoc_ids, t.source_ids) for t in shared.themes] == [
        ("tokenism", ("alpha-2019-2", "beta-2021-1"), ("alpha-2019", "beta-2021")),
        ("trust", ("alpha-2019-1", "gamma-2022-1"), ("alpha-2019", "gamma-2022")),
    ]
    assert [t.name for t in by_id(findings, "quick-wins").themes] == ["trust"]


def test_cooccurrence(findings: Findings) -> None:
    """Principles linked to the same CMOC are counted as a pair."""
    assert findings.cooccurrence == (("quick-wins", "shared-gov", 1),)


def test_findings_do_not_depend_on_the_order_of_sources_or_cmocs() -> None:
    """Sources read in another order, with their CMOCs reversed, give identical findings."""
    review = load_valid_review(SMALL)
    shuffled = Review(
        config=review.config,
        principles=review.principles,
        sources=tuple(s.model_copy(update={"cmocs": list(reversed(s.cmocs))}) for s in reversed(review.sources)),
    )
    assert analyse(build_graph(shuffled), shuffled.config.confidence) == analyse(
        build_graph(review), review.config.confidence
    )
