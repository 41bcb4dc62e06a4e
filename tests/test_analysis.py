"""The realist analysis, checked against findings worked out by hand for the small fixture review.

shared-gov: alpha-2019-1 (+, supports, trust), alpha-2019-2 (-, refines, tokenism), beta-2021-1 (-, refutes,
tokenism), gamma-2022-1 (+, supports, trust): 4 CMOCs from 3 sources. Patterns: tokenism (alpha-2019-2,
beta-2021-1; both negative; two sources) and trust (alpha-2019-1, gamma-2022-1; both positive; two sources);
no CMOC outside a pattern. Confidence: beta is low rigour and gamma unappraised (2 of 3 = 67% > 25%: concern);
1 refutation, 1 refinement: none unexplained (no concern); 3 sources and 4 CMOCs (adequate); 1 of 3 highly
relevant (33% < 50%: concern): two concerns, low.
quick-wins: alpha-2019-1 (+, trust), beta-2021-2 (mixed, visible-change): no theme shared, so no pattern, and
both listed as other CMOCs, positive first. 1 of 2 low rigour (50% > 25%: concern); 2 CMOCs < 3 (concern);
1 of 2 highly relevant (50%, not below 50%): low, and thin.
skills: no CMOC: a gap, confidence null.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, source_yaml, write_review
from crm_review.analysis import Findings, PrincipleFindings, analyse
from crm_review.model import Review, SuggestionRule
from crm_review.pipeline import load_valid_review

SMALL = FIXTURES / "small-review"


@pytest.fixture(scope="module")
def findings() -> Findings:
    return analyse(load_valid_review(SMALL))


def by_id(findings: Findings, principle: str) -> PrincipleFindings:
    return next(f for f in findings.principles if f.id == principle)


def test_principles_keep_the_taxonomy_order(findings: Findings) -> None:
    """Findings come in the order the review's principles are listed."""
    assert [f.id for f in findings.principles] == ["shared-gov", "quick-wins", "skills"]


def test_support_for_a_principle(findings: Findings) -> None:
    """CMOCs, distinct sources, countries, designs, appraisal and outcomes of one principle."""
    shared = by_id(findings, "shared-gov")
    assert shared.cmoc_ids == ("alpha-2019-1", "alpha-2019-2", "beta-2021-1", "gamma-2022-1")
    assert shared.source_ids == ("alpha-2019", "beta-2021", "gamma-2022")
    assert shared.countries == ("Chile", "Peru")
    assert shared.designs == ("case study", "survey")
    assert shared.rigour == {"high": 1, "moderate": 0, "low": 1, "not appraised": 1}
    assert shared.directions == {"positive": 2, "negative": 2, "mixed": 0}


def test_links_are_grouped_by_relation(findings: Findings) -> None:
    """Each CMOC counts under the relation it names for this principle; the list form counts as supports."""
    assert by_id(findings, "shared-gov").links == {
        "supports": ("alpha-2019-1", "gamma-2022-1"),
        "refutes": ("beta-2021-1",),
        "refines": ("alpha-2019-2",),
    }
    assert by_id(findings, "quick-wins").links == {
        "supports": ("alpha-2019-1", "beta-2021-2"),
        "refutes": (),
        "refines": (),
    }


def test_patterns_group_cmocs_sharing_a_theme(findings: Findings) -> None:
    """A theme carried by two or more CMOCs of a principle is a pattern, its outcomes split by direction."""
    shared = by_id(findings, "shared-gov")
    assert [(p.theme, p.cmoc_ids, p.source_ids, p.recurs_across_sources) for p in shared.patterns] == [
        ("tokenism", ("alpha-2019-2", "beta-2021-1"), ("alpha-2019", "beta-2021"), True),
        ("trust", ("alpha-2019-1", "gamma-2022-1"), ("alpha-2019", "gamma-2022"), True),
    ]
    assert shared.patterns[0].outcomes == {"positive": (), "negative": ("alpha-2019-2", "beta-2021-1"), "mixed": ()}
    assert shared.unpatterned == ()


def test_cmocs_in_no_pattern_are_listed_positive_first(findings: Findings) -> None:
    """Without a shared theme there is no pattern; the CMOCs are kept, positive outcomes first."""
    quick = by_id(findings, "quick-wins")
    assert quick.patterns == ()
    assert quick.unpatterned == ("alpha-2019-1", "beta-2021-2")


def test_pattern_rows_read_from_positive_to_negative(tmp_path: Path) -> None:
    """Within a pattern, contexts with a positive outcome come first, then mixed, then negative."""
    sources = {
        f"{name}.yaml": source_yaml(name, f"{name}-1", direction=direction).replace(
            "    evidence:", "    themes: [trust]\n    evidence:"
        )
        for name, direction in (("aa", "negative"), ("bb", "mixed"), ("cc", "positive"))
    }
    [pattern] = analyse(load_valid_review(write_review(tmp_path, sources))).principles[0].patterns
    assert pattern.cmoc_ids == ("cc-1", "bb-1", "aa-1")


def test_confidence_and_its_reasons(findings: Findings) -> None:
    """Two components with concerns take shared-gov from high to low, each reason written out."""
    shared = by_id(findings, "shared-gov")
    assert shared.suggested_confidence == "low"
    assert shared.suggestion_reasons == (
        "methodological limitations: concern: 2 of 3 sources rated low in rigour or not appraised (67%; a concern above 25%)",
        "coherence: no concern: 1 refuting and 1 refining CMOC(s), 0 refutation(s) not accounted for by a refinement "
        "(a concern above 0)",
        "adequacy: no concern: 3 source(s) and 4 CMOC(s) (a concern below 2 sources or 3 CMOCs)",
        "relevance: concern: 1 of 3 sources rated highly relevant (33%; a concern below 50%)",
    )
    quick = by_id(findings, "quick-wins")
    assert quick.suggested_confidence == "low"
    assert [c.concern for c in quick.suggestion] == [True, False, True, False]


def test_refutations_without_refinements_raise_coherence(tmp_path: Path) -> None:
    """Refuting CMOCs not accounted for by refining ones are a coherence concern; negative outcomes alone are not."""
    refuting = source_yaml("aa", "aa-1").replace("principles: [quick-wins]", "principles: {quick-wins: refutes}")
    negative = source_yaml("bb", "bb-1", direction="negative")
    review = load_valid_review(write_review(tmp_path, {"aa.yaml": refuting, "bb.yaml": negative}))
    coherence = next(c for c in analyse(review).principles[0].suggestion if c.name == "coherence")
    assert coherence.concern
    assert coherence.reason.startswith("1 refuting and 0 refining CMOC(s), 1 refutation(s) not accounted for")


def test_thresholds_come_from_the_config() -> None:
    """A team that tolerates weaker and less relevant sources gets a different judgement."""
    review = load_valid_review(SMALL)
    lenient = SuggestionRule(min_cmocs=1, max_share_low_rigour=0.7, min_share_high_relevance=0.3)
    relaxed = Review(config=review.config.model_copy(update={"suggestion": lenient}), principles=review.principles,
                     sources=review.sources)  # fmt: skip
    assert by_id(analyse(relaxed), "shared-gov").suggested_confidence == "high"


def test_gaps_and_thin_evidence(findings: Findings) -> None:
    """A principle without CMOCs is a gap with no confidence; one below the adequacy bar is thin."""
    assert findings.gaps == ("skills",)
    assert findings.thin == ("quick-wins",)
    skills = by_id(findings, "skills")
    assert (skills.suggested_confidence, skills.suggestion_reasons) == (None, ("no CMOC links to this principle",))


def test_cooccurrence(findings: Findings) -> None:
    """Principles linked to the same CMOC are counted as a pair."""
    assert findings.cooccurrence == (("quick-wins", "shared-gov", 1),)


def test_findings_do_not_depend_on_the_order_of_sources_or_cmocs(findings: Findings) -> None:
    """Sources read in another order, with their CMOCs reversed, give identical findings."""
    review = load_valid_review(SMALL)
    shuffled = Review(
        config=review.config,
        principles=review.principles,
        sources=tuple(s.model_copy(update={"cmocs": list(reversed(s.cmocs))}) for s in reversed(review.sources)),
    )
    assert analyse(shuffled) == findings
