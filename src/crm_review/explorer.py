"""The evidence explorer's data: every CMOC, source and principle as one JSON document for the page.

``review/explorer.html`` is one self-contained file: the page's script and style are packaged files
(``assets/explorer.js``, ``assets/explorer.css``) inlined at render time, and the evidence is embedded
as JSON that the script reads and shows with ``textContent`` only. Evidence text is never markup here:
the JSON is escaped so that it cannot end its ``<script>`` element, and the only links it carries are
those :func:`crm_review.escape.href` and :func:`crm_review.escape.doi_url` allow.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from crm_review import layout
from crm_review.analysis import Findings
from crm_review.model import DIRECTIONS, RATINGS, RELATIONS, Quote, Review, Source
from crm_review.palette import DIRECTION_COLOURS, DIRECTION_SYMBOLS, RELATION_COLOURS, RELATION_SYMBOLS

# The documents' own rules for citing, referencing and ordering sources, so that the explorer and
# review.html never disagree (the reference's link is already limited to a DOI or an http(s) URL).
from crm_review.verify import QuoteVerification
from crm_review.view import quote_note
from crm_review.view import reference_of as reference
from crm_review.view import reference_order as source_order

NOT_APPRAISED = "not appraised"
NOT_STATED = "not stated"

# Characters that could end the data's <script> element or start markup ("</script>", "<!--"), and the
# two line separators that old JavaScript parsers refuse in strings: written as JSON escapes instead.
_SCRIPT_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


@dataclass(frozen=True)
class ExplorerPage:
    """What the explorer template places in the page. ``title`` is text (autoescaped); the JSON, script,
    style and policy are placed as they are: the JSON is escaped for its element here, the rest is ours."""

    title: str
    data_json: str
    script: str
    style: str
    content_security_policy: str


def explorer_page(review: Review, findings: Findings, verification: QuoteVerification | None = None) -> ExplorerPage:
    """The page's parts: the evidence as script-safe JSON, the packaged script and style, and a policy
    that lets only that script and style run and the page fetch nothing."""
    script = _asset("explorer.js")
    style = _palette_css() + _asset("explorer.css")
    policy = (
        "default-src 'none'; "
        f"script-src '{_sha256(script)}'; "
        f"style-src '{_sha256(style)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    return ExplorerPage(
        title=review.config.title,
        data_json=script_safe_json(explorer_data(review, findings, verification)),
        script=script,
        style=style,
        content_security_policy=policy,
    )


def _quote(cmoc_id: str, number: int, quote: Quote, verification: QuoteVerification | None) -> list[str]:
    note = (
        quote_note(verification.status(cmoc_id, number), verification.found_on(cmoc_id, number))
        if verification
        else None
    )
    return [quote.quote, quote.locator] if note is None else [quote.quote, quote.locator, note]


def script_safe_json(data: object) -> str:
    """Compact JSON that may stand inside ``<script type="application/json">`` as it is."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for character, escape in _SCRIPT_SAFE:  # str.replace: ten times faster than str.translate here
        text = text.replace(character, escape)
    return text


def explorer_data(review: Review, findings: Findings, verification: QuoteVerification | None = None) -> dict[str, Any]:
    """Everything the explorer shows, in a stable order: principles in the taxonomy's order with their
    patterns, sources as the reference list orders them, CMOCs by source then as written. CMOCs refer
    to sources and principles by position. A quote is ``[text, locator]``, with a third item when
    ``crm verify`` has something to say of it (``not found in the full text``)."""
    principles = list(review.principles)
    principle_index = {p.id: i for i, p in enumerate(principles)}
    patterns = {f.id: f.patterns for f in findings.principles}
    sources = sorted(review.sources, key=source_order)
    source_index = {s.id: i for i, s in enumerate(sources)}
    cmocs = []
    for source in sources:
        for cmoc in source.cmocs:
            record: dict[str, Any] = {
                "id": cmoc.id,
                "s": source_index[source.id],
                "context": cmoc.context,
                "resource": cmoc.mechanism.resource,
                "response": cmoc.mechanism.response,
                "outcome": cmoc.outcome,
                "direction": cmoc.direction,
                "links": [[principle_index[p], relation] for p, relation in cmoc.links],
                "quotes": [_quote(cmoc.id, n, q, verification) for n, q in enumerate(cmoc.evidence, start=1)],
                "themes": list(cmoc.themes),
            }
            if cmoc.notes is not None:
                record["notes"] = cmoc.notes
            cmocs.append(record)
    return {
        "title": review.config.title,
        "question": review.config.question,
        "symbols": {"directions": dict(DIRECTION_SYMBOLS), "relations": dict(RELATION_SYMBOLS)},
        "vocabulary": {
            "relations": list(RELATIONS),
            "directions": list(DIRECTIONS),
            "ratings": [*RATINGS, NOT_APPRAISED],
        },
        "principles": [
            {
                "id": p.id,
                "title": p.title,
                "statement": p.statement,
                "patterns": [
                    {
                        "theme": pattern.theme,
                        "cmocs": len(pattern.cmoc_ids),
                        "sources": len(pattern.source_ids),
                        "outcomes": {d: len(pattern.outcomes.get(d, ())) for d in DIRECTIONS},
                    }
                    for pattern in patterns.get(p.id, ())
                ],
            }
            for p in principles
        ],
        "sources": [_source(s) for s in sources],
        "cmocs": cmocs,
    }


def _source(source: Source) -> dict[str, Any]:
    parts = reference(source)
    return {
        "id": source.id,
        "cite": source.citation(),
        "authors": parts.authors or "",
        "year": parts.year,
        "title": parts.title,
        "details": parts.details or "",
        "link": parts.link or "",
        # A URL that may not be a live link (javascript:, a bare word) is kept as text to show.
        "shownUrl": parts.shown_url or "",
        "design": source.design or NOT_STATED,
        "countries": list(source.countries) or [NOT_STATED],
        "setting": source.setting or "",
        "relevance": source.appraisal.relevance if source.appraisal else NOT_APPRAISED,
        "rigour": source.appraisal.rigour if source.appraisal else NOT_APPRAISED,
    }


def _palette_css() -> str:
    """The palette's colours as CSS variables, so the explorer colours relations as the documents do."""
    colours = [*DIRECTION_COLOURS.items(), *RELATION_COLOURS.items()]
    return ":root { " + " ".join(f"--{name}: {colour};" for name, colour in colours) + " }\n"


def _asset(name: str) -> str:
    return layout.packaged("assets", name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
