"""Confidence in the documents: the team's GRADE-CERQual judgement shown as such, a suggestion never as confidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO, source_yaml, write_review
from crm_review.analysis import analyse
from crm_review.pipeline import load_valid_review, synthesize

ASSESSMENT = """\
principle: quick-wins
finding: "Quick wins keep people engaged | <b>bold</b> {{ 7*7 }}"
components:
  methodological_limitations: {concern: minor, explanation: One small study.}
  coherence: {concern: no or very minor, explanation: The CMOCs agree.}
  adequacy: {concern: serious, explanation: "Two CMOCs | one source <script>alert(1)</script>"}
  relevance: {concern: minor, explanation: Another setting.}
confidence: low
explanation: Serious concerns about adequacy.
assessed_by: [Ana Ruiz]
assessed_on: 2026-11-23
cmocs: [doe-2020-1]
"""


@pytest.fixture
def documents(review: Path) -> dict[str, str]:
    """The review rendered with quick-wins assessed (stale: one CMOC added since) and invest-in-skills not."""
    (review / "assessments").mkdir()
    (review / "assessments" / "quick-wins.yaml").write_text(ASSESSMENT, encoding="utf-8")
    synthesize(review)
    return {name: (review / "review" / name).read_text(encoding="utf-8") for name in ("REVIEW.md", "review.html")} | {
        "json": (review / "review" / "review.json").read_text(encoding="utf-8")
    }


def soqf_rows(markdown: str) -> dict[str, list[str]]:
    """The Summary of Qualitative Findings rows by number, split into cells."""
    section = markdown.split("## Summary of qualitative findings", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and line[2].isdigit()]
    return {row.split(" | ")[0].strip("| "): row.split(" | ") for row in rows}


def test_markdown_summary_shows_the_team_judgement_and_marks_it_stale(documents: dict[str, str]) -> None:
    """An assessed finding shows the team's level and explanation, and that the evidence moved on since."""
    row = soqf_rows(documents["REVIEW.md"])["1"]
    assert row[2] == "**low** (may be out of date)"
    assert row[3].startswith("Serious concerns about adequacy. *May be out of date: the assessment covers 1 of the 2")
    assert "1 added since (doe-2020-2)" in row[3]


def test_markdown_never_shows_a_suggestion_as_the_confidence(documents: dict[str, str]) -> None:
    """A finding not yet assessed says so; the rule's level appears only labelled as a suggestion."""
    row = soqf_rows(documents["REVIEW.md"])["2"]
    assert row[2] == "not yet assessed"
    assert row[3] == "Not yet assessed by the review team. *The rule's suggestion, not a judgement: moderate.*"
    section = documents["REVIEW.md"].split("## 2. Skills", 1)[1].split("\n## ", 1)[0]
    assert "**Confidence:** not yet assessed by the review team." in section
    assert "*Suggestion from the rule in `configs/review.yaml`, a starting point" in section


def test_evidence_profile_has_each_component_with_its_explanation(documents: dict[str, str]) -> None:
    """CERQual's Evidence Profile: finding, the four judgements explained, confidence, contributing studies."""
    section = documents["REVIEW.md"].split("## Evidence profile", 1)[1].split("\n## ", 1)[0]
    header = next(line for line in section.splitlines() if line.startswith("| #"))
    assert header == (
        "| # | Summarised review finding | Methodological limitations | Coherence | Adequacy | Relevance "
        "| GRADE-CERQual assessment of confidence | Explanation | Studies contributing |"
    )
    first = next(line for line in section.splitlines() if line.startswith("| 1 |"))
    assert "| Minor concerns: One small study. | No or very minor concerns: The CMOCs agree. |" in first
    assert "| Doe 2020 |" in first


def test_evidence_text_in_assessments_is_escaped(documents: dict[str, str]) -> None:
    """The team's words are data: a pipe cannot break a table, HTML is not live, templates are not run."""
    assert "Quick wins keep people engaged \\| \\<b\\>bold\\</b\\> {{ 7\\*7 }}" in documents["REVIEW.md"]
    assert "Two CMOCs \\| one source \\<script\\>" in documents["REVIEW.md"]
    assert "<script>alert(1)" not in documents["review.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in documents["review.html"]
    assert "{{ 7*7 }}" in documents["review.html"]


def test_html_shows_both_tables_and_the_stale_note(documents: dict[str, str]) -> None:
    """The page has the two CERQual tables and flags the out-of-date assessment."""
    html = documents["review.html"]
    assert '<h2 id="summary-of-qualitative-findings">Summary of qualitative findings</h2>' in html
    assert '<h2 id="evidence-profile">Evidence profile</h2>' in html
    assert '<p class="stale"><strong>May be out of date:</strong> this assessment covers 1 of the 2 CMOCs' in html
    assert '<td data-label="GRADE-CERQual assessment of confidence">not yet assessed</td>' in html


def test_json_assessment_per_principle(documents: dict[str, str]) -> None:
    """review.json: components with level and explanation, overall, explanation, judged_by, stale."""
    principles = {p["id"]: p for p in json.loads(documents["json"])["principles"]}
    judged = principles["quick-wins"]["assessment"]
    assert judged["judged_by"] == "review team"
    assert judged["overall"] == "low"
    assert judged["explanation"] == "Serious concerns about adequacy."
    assert judged["components"]["adequacy"] == {
        "level": "serious",
        "explanation": "Two CMOCs | one source <script>alert(1)</script>",
    }
    assert judged["stale"] is True
    assert judged["covered_cmoc_ids"] == ["doe-2020-1"]
    unjudged = principles["invest-in-skills"]["assessment"]
    assert unjudged == {"judged_by": "not assessed", "assessed_by": [], "covered_cmoc_ids": [], "stale": False}
    assert principles["invest-in-skills"]["suggestion"]["overall"] == "moderate"


def test_rameses_item_15_cites_the_summary_of_qualitative_findings() -> None:
    """The bundled review, every finding assessed, covers item 15 with the Summary of Qualitative Findings."""
    markdown = (REPO / "review" / "REVIEW.md").read_text(encoding="utf-8")
    row = next(line for line in markdown.splitlines() if line.startswith("| 15 |"))
    assert "| covered |" in row
    assert "(#summary-of-qualitative-findings)" in row
    assert "Summary of Qualitative Findings" in row


def test_rameses_item_15_is_partly_covered_until_every_finding_is_assessed(documents: dict[str, str]) -> None:
    """With one of two findings judged, item 15 is only partly covered, and says how far."""
    row = next(line for line in documents["REVIEW.md"].splitlines() if line.startswith("| 15 |"))
    assert "| partly |" in row
    assert "1 of 2 findings with evidence assessed" in row


def test_bundled_documents_show_the_example_review_judgements() -> None:
    """The committed review.json carries the team's judgement for all eight principles, none stale."""
    principles = json.loads((REPO / "review" / "review.json").read_text(encoding="utf-8"))["principles"]
    assert len(principles) == 8
    assert all(p["assessment"]["judged_by"] == "review team" for p in principles)
    assert not any(p["assessment"]["stale"] for p in principles)


# --- the coherence suggestion reads the relations ------------------------------------------------


def _coherence(tmp_path: Path, sources: dict[str, str]) -> bool:
    review = load_valid_review(write_review(tmp_path, sources))
    quick = next(f for f in analyse(review).principles if f.id == "quick-wins")
    return next(c for c in quick.suggestion if c.name == "coherence").concern


def test_positive_and_negative_outcomes_in_different_contexts_raise_no_coherence_concern(tmp_path: Path) -> None:
    """Outcomes that differ with context answer "in which circumstances": not a concern."""
    sources = {
        "aa.yaml": source_yaml("aa", "aa-1", direction="positive"),
        "bb.yaml": source_yaml("bb", "bb-1", direction="negative"),
    }
    assert _coherence(tmp_path, sources) is False


def test_a_refutation_accounted_for_by_a_refinement_raises_no_coherence_concern(tmp_path: Path) -> None:
    """A refining CMOC that explains when the principle fails accounts for a refuting one."""
    sources = {
        "aa.yaml": source_yaml("aa", "aa-1").replace("principles: [quick-wins]", "principles: {quick-wins: refutes}"),
        "bb.yaml": source_yaml("bb", "bb-1").replace("principles: [quick-wins]", "principles: {quick-wins: refines}"),
    }
    assert _coherence(tmp_path, sources) is False
    sources["cc.yaml"] = source_yaml("cc", "cc-1").replace(
        "principles: [quick-wins]", "principles: {quick-wins: refutes}"
    )
    assert _coherence(tmp_path / "more", sources) is True
