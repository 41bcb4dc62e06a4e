"""The fixed sections of the review document: each one's title and the anchor links point to, in one place.

REVIEW.md and review.html write these titles in their templates, and GitHub and the HTML page derive
each anchor from the title (lower case, spaces as hyphens); the Word document (``manuscript.py``)
takes both from here, so that a title renamed here is renamed, with every link to it, in Word. No
outside library: any module may read it, templates included.
"""

from __future__ import annotations

from typing import NamedTuple


class Section(NamedTuple):
    title: str
    anchor: str


def _section(title: str) -> Section:
    """A section whose anchor is its title as GitHub makes it: lower case, spaces as hyphens."""
    return Section(title, title.lower().replace(" ", "-"))


METHOD = _section("Method")
DOCUMENT_FLOW = _section("Document flow")
CONFIDENCE = _section("Confidence in the findings")
SUMMARY = _section("Summary of qualitative findings")
EVIDENCE_MAP = _section("Evidence map")
EVIDENCE_PROFILE = _section("Evidence profile")
GAPS = _section("Gaps")
COOCCURRENCE = _section("Principles that occur together")
CHARACTERISTICS = _section("Characteristics of included sources")
APPENDIX = _section("Evidence appendix")
REFERENCES = _section("References")
RAMESES = _section("RAMESES reporting checklist")

RAMESES_SECTIONS = {
    "method": METHOD,
    "flow": DOCUMENT_FLOW,
    "characteristics": CHARACTERISTICS,
    "appendix": APPENDIX,
    "summary": SUMMARY,
    "gaps": GAPS,
}
"""Where each RAMESES item the document covers is found, by the ``section`` key of ``view.rameses``
(``principles`` points at the first principle's section, which has no fixed title)."""
