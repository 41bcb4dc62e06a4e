"""The review this repository holds: valid, traceable to the seed papers, and as rich as promised."""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest

from conftest import REPO, SEEDS
from crm_review import layout
from crm_review.pipeline import load_valid_review, validate


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the seed papers are missing: {SEEDS}")
        pytest.skip("../shared/seeds is not beside this checkout")
    return squash(" ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))))


def test_bundled_review_is_valid_without_warnings() -> None:
    """`crm validate --strict` passes on the repository's own review."""
    assert validate(REPO).problems == ()


def test_every_quote_occurs_verbatim_in_the_seeds(seed_text: str) -> None:
    """Every quote is copied from a seed paper (white space aside), so every claim is traceable."""
    review = load_valid_review(REPO)
    missing = [
        f"{cmoc.id}: {quote.quote[:60]}"
        for _, cmoc in review.cmocs()
        for quote in cmoc.evidence
        if squash(quote.quote) not in seed_text
    ]
    assert missing == []


def test_principle_statements_are_de_wegers_words(seed_text: str) -> None:
    """The default taxonomy states each principle in the review's own wording."""
    review = load_valid_review(REPO)
    for principle in review.principles:
        assert squash(principle.statement.rstrip(".")).lower() in seed_text.lower(), principle.id


def test_bundled_review_covers_what_the_issue_asks() -> None:
    """At least 12 CMOCs, 6 principles covered, and a principle with a positive and a negative CMOC."""
    review = load_valid_review(REPO)
    cmocs = [cmoc for _, cmoc in review.cmocs()]
    assert len(cmocs) >= 12
    covered = {p for cmoc in cmocs for p in cmoc.principles}
    assert len(covered) >= 6
    directions: dict[str, Counter[str]] = {}
    for cmoc in cmocs:
        for principle in cmoc.principles:
            directions.setdefault(principle, Counter())[cmoc.direction] += 1
    assert any(d["positive"] and d["negative"] for d in directions.values())
    chile = {
        p for s, c in review.cmocs() if s.id == "montenegro-2020" for p in c.principles if c.direction == "positive"
    }
    chile_negative = {
        p for s, c in review.cmocs() if s.id == "montenegro-2020" for p in c.principles if c.direction == "negative"
    }
    assert chile & chile_negative, "the Chile study's contradictions show within one principle"
    assert all(s.appraisal is not None for s in review.sources)


def test_bundled_taxonomy_is_the_packaged_default() -> None:
    """The repository's configs/principles.yaml is what `crm init` writes."""
    packaged = layout.packaged("defaults", "principles.yaml").read_text(encoding="utf-8")
    assert (REPO / "configs" / "principles.yaml").read_text(encoding="utf-8") == packaged


def test_every_evidence_line_is_readable_text() -> None:
    """Evidence files are UTF-8 with no tabs, so any editor shows them the same."""
    for path in (REPO / "evidence").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "\t" not in text, path
