"""Findings to documents: REVIEW.md and review.html from Jinja templates, review.json from data.

A review's own ``templates/`` folder is searched before the packaged templates, so a team can
replace any template by saving one of the same name. Evidence text is always passed to templates as
data and escaped by filters, never compiled: ``{{ 7*7 }}`` in a quote comes out as written.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import jinja2

from crm_review.analysis import Findings, PrincipleFindings
from crm_review.errors import TemplateFailed
from crm_review.escape import md_cell, md_inline, mermaid_id, mermaid_label, one_line
from crm_review.explorer import explorer_page
from crm_review.model import Cmoc, Review, Source

DOCUMENTS = {"md": "REVIEW.md", "html": "review.html", "json": "review.json", "explorer": "explorer.html"}
TEMPLATES = {"md": "REVIEW.md.j2", "html": "review.html.j2", "explorer": "explorer.html.j2"}


def render_documents(review: Review, findings: Findings, formats: tuple[str, ...], templates: Path) -> dict[str, str]:
    """The requested documents by file name, rendered in memory."""
    context = build_context(review, findings)
    documents: dict[str, str] = {}
    environment = _environment(templates)
    for fmt in formats:
        if fmt == "json":
            documents[DOCUMENTS[fmt]] = json.dumps(review_json(review, findings), indent=2, ensure_ascii=False) + "\n"
            continue
        try:
            if fmt == "explorer":
                text = environment.get_template(TEMPLATES[fmt]).render(page=explorer_page(review))
            else:
                text = environment.get_template(TEMPLATES[fmt]).render(context)
        except jinja2.TemplateError as exc:
            where = f"{exc.filename}:{exc.lineno}" if isinstance(exc, jinja2.TemplateSyntaxError) else TEMPLATES[fmt]
            raise TemplateFailed(f"{where}: the template cannot be rendered: {exc.message}") from exc
        documents[DOCUMENTS[fmt]] = text if text.endswith("\n") else text + "\n"
    return documents


def _environment(templates: Path) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders.append(jinja2.PackageLoader("crm_review", "templates"))
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        md=md_inline,
        cell=md_cell,
        mermaid=mermaid_label,
        mermaid_id=mermaid_id,
        one_line=one_line,
        anchor=gfm_anchor,
    )
    return environment


def gfm_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


# --- the view both templates share --------------------------------------------------------------


@dataclass(frozen=True)
class CmocView:
    cmoc: Cmoc
    source: Source
    citation: str

    @property
    def in_text(self) -> str:
        return in_text(self.source)


def citation(source: Source) -> str:
    """``Montenegro & Mercado (2020)``; ``n.d.`` when the year is not known."""
    year = source.year if source.year is not None else "n.d."
    return f"{source.short_authors() or source.title} ({year})"


def in_text(source: Source) -> str:
    """``Montenegro & Mercado 2020``, for inside parentheses: (Montenegro & Mercado 2020, p. 3)."""
    year = source.year if source.year is not None else "n.d."
    return f"{source.short_authors() or source.title} {year}"


def reference(source: Source) -> dict[str, str | None]:
    """The parts of a reference-list entry, for templates to mark up."""
    details = source.journal or ""
    if source.volume:
        details += f" {source.volume}" + (f"({source.issue})" if source.issue else "")
    if source.pages:
        details += f", {source.pages}" if details else source.pages
    return {
        "authors": "; ".join(source.authors) if source.authors else None,
        "year": str(source.year) if source.year is not None else "n.d.",
        "title": source.title,
        "details": details.strip() or None,
        "doi_url": f"https://doi.org/{source.doi}" if source.doi else None,
        "url": source.url,
    }


def _sort_key(source: Source) -> tuple[str, int, str]:
    return (source.short_authors().casefold() or source.title.casefold(), source.year or 0, source.id)


def build_context(review: Review, findings: Findings) -> dict[str, Any]:
    """Everything the templates show, computed once, in a stable order."""
    sources = sorted(review.sources, key=_sort_key)
    by_source = {s.id: s for s in review.sources}
    cmocs = {c.id: CmocView(c, s, citation(s)) for s, c in review.cmocs()}
    principles = []
    for number, finding in enumerate(findings.principles, start=1):
        heading = f"{number}. {finding.title}"
        grouped = [
            (
                by_source[source_id],
                citation(by_source[source_id]),
                [cmocs[c] for c in finding.cmoc_ids if cmocs[c].source.id == source_id],
            )
            for source_id in sorted(finding.source_ids, key=lambda i: _sort_key(by_source[i]))
        ]
        principles.append(
            {
                "f": finding,
                "heading": heading,
                "anchor": gfm_anchor(heading),
                "grouped": grouped,
                "contrasts": [(cmocs[p], cmocs[n]) for p, n in finding.contrasts],
                "countries": ", ".join(finding.countries) or "not stated",
                "designs": "; ".join(finding.designs) or "not stated",
            }
        )
    summary = {
        "sources": len(review.sources),
        "cmocs": len(cmocs),
        "principles": len(review.principles),
        "covered": sum(1 for f in findings.principles if f.cmoc_ids),
    }
    network = _network_rows(findings, by_source)
    context = {
        "figure": network_svg(network, findings),
        "review": review.config,
        "summary": summary,
        "search": _search_rows(review),
        "flow": flow_diagram(review),
        "rule": review.config.confidence,
        "principles": principles,
        "findings": findings,
        "titles": {f.id: f.title for f in findings.principles},
        "sources": [(s, citation(s), reference(s)) for s in sources],
        "citations": {s.id: citation(s) for s in review.sources},
        "network": network,
        "rameses": rameses_checklist(review, findings),
    }
    return context


SEARCH_STAGES = {
    "identified": "Records identified",
    "duplicates_removed": "Duplicates removed",
    "screened": "Records screened (title and abstract)",
    "excluded_at_screening": "Excluded at screening",
    "full_text_assessed": "Full texts assessed",
    "excluded_at_full_text": "Excluded at full text",
    "included": "Documents included",
}
_MAIN_FLOW = ("identified", "screened", "full_text_assessed", "included")
_SIDE_FLOW = {
    "duplicates_removed": "identified",
    "excluded_at_screening": "screened",
    "excluded_at_full_text": "full_text_assessed",
}


def _search_rows(review: Review) -> list[tuple[str, int]]:
    search = review.config.search
    if search is None:
        return []
    return [
        (label, getattr(search, name)) for name, label in SEARCH_STAGES.items() if getattr(search, name) is not None
    ]


def flow_diagram(review: Review) -> list[str]:
    """Mermaid lines of the PRISMA-style flow: the main stages in a column, each exclusion to the side."""
    search = review.config.search
    if search is None:
        return []
    counts = {name: getattr(search, name) for name in SEARCH_STAGES if getattr(search, name) is not None}
    lines = [f'  {name}["{mermaid_label(SEARCH_STAGES[name])}: {count}"]' for name, count in counts.items()]
    main = [name for name in _MAIN_FLOW if name in counts]
    lines += [f"  {a} --> {b}" for a, b in pairwise(main)]
    lines += [f"  {parent} -.-> {side}" for side, parent in _SIDE_FLOW.items() if side in counts and parent in counts]
    return lines


def _network_rows(findings: Findings, by_source: dict[str, Source]) -> list[dict[str, Any]]:
    rows = []
    for finding in findings.principles:
        for source_id, directions in finding.by_source:
            rows.append(
                {
                    "principle": finding.id,
                    "source": source_id,
                    "citation": citation(by_source[source_id]),
                    "cmocs": sum(directions.values()),
                    "directions": directions,
                }
            )
    return rows


# --- RAMESES publication standards for realist syntheses (Wong et al. 2013) --------------------

RAMESES_ITEMS = (
    "Title",
    "Abstract",
    "Rationale for review",
    "Objectives and focus of review",
    "Changes in the review process",
    "Rationale for using realist synthesis",
    "Scoping the literature",
    "Searching processes",
    "Selection and appraisal of documents",
    "Data extraction",
    "Analysis and synthesis processes",
    "Document flow diagram",
    "Document characteristics",
    "Main findings",
    "Summary of findings",
    "Strengths, limitations and future research directions",
    "Comparison with existing literature",
    "Conclusion and recommendations",
    "Funding",
)


def rameses_checklist(review: Review, findings: Findings) -> list[dict[str, Any]]:
    """Each of the 19 items with what this document covers of it and where; the rest is the team's to write."""
    has_search = review.config.search is not None
    realist_title = "realist" in review.config.title.lower()
    method = gfm_anchor("Method")
    covered: dict[int, tuple[str, str | None, str]] = {
        1: (
            "covered" if realist_title else "partly",
            None,
            "the title; RAMESES asks that it name the review a realist synthesis",
        ),
        4: ("covered", None, "the review question, at the top"),
        6: ("partly", method, "the method summary; the rationale is the team's to argue"),
        8: (
            "partly" if has_search else "not covered",
            gfm_anchor("Document flow"),
            "search counts from configs/review.yaml",
        ),
        9: ("covered", gfm_anchor("Characteristics of included sources"), "relevance and rigour of each source"),
        10: ("covered", method, "CMOCs with verbatim quotes and their locators"),
        11: ("covered", gfm_anchor("Confidence rule"), "how CMOCs were linked to principles and confidence judged"),
        12: ("covered" if has_search else "not covered", gfm_anchor("Document flow"), "the document flow"),
        13: ("covered", gfm_anchor("Characteristics of included sources"), "design, countries, setting, appraisal"),
        14: ("covered", principles_anchor(findings), "one section per principle, with contrasts"),
        15: ("covered", gfm_anchor("Summary of findings"), "confidence in each principle"),
        16: ("partly", gfm_anchor("Gaps"), "principles with missing or thin evidence"),
    }
    checklist = []
    for number, name in enumerate(RAMESES_ITEMS, start=1):
        status, anchor, note = covered.get(number, ("not covered", None, "write it in the review report"))
        checklist.append({"item": number, "name": name, "status": status, "anchor": anchor, "note": note})
    return checklist


def principles_anchor(findings: Findings) -> str | None:
    return gfm_anchor(f"1. {findings.principles[0].title}") if findings.principles else None


# --- review.json ------------------------------------------------------------------------------


def review_json(review: Review, findings: Findings) -> dict[str, Any]:
    """The machine-readable review (its shape is src/crm_review/schema/review.schema.json)."""
    return {
        "review": review.config.model_dump(mode="json", exclude_none=True),
        "summary": {"sources": len(review.sources), "cmocs": len(review.cmocs()), "principles": len(review.principles)},
        "principles": [_principle_json(f) for f in findings.principles],
        "gaps": list(findings.gaps),
        "thin_evidence": list(findings.thin),
        "cooccurrence": [{"principles": [a, b], "cmocs": n} for a, b, n in findings.cooccurrence],
        "recurring_themes": [_theme_json(t) for t in findings.themes],
        "sources": [
            {**s.model_dump(mode="json", exclude_none=True, exclude={"cmocs"}), "cmoc_ids": [c.id for c in s.cmocs]}
            for s in sorted(review.sources, key=lambda s: s.id)
        ],
        "cmocs": [
            {**c.model_dump(mode="json", exclude_none=True), "source": s.id}
            for s, c in sorted(review.cmocs(), key=lambda pair: pair[1].id)
        ],
        "rameses": [{k: v for k, v in item.items() if k != "anchor"} for item in rameses_checklist(review, findings)],
    }


def _principle_json(f: PrincipleFindings) -> dict[str, Any]:
    return {
        "id": f.id,
        "title": f.title,
        "statement": f.statement,
        "cmoc_ids": list(f.cmoc_ids),
        "source_ids": list(f.source_ids),
        "countries": list(f.countries),
        "designs": list(f.designs),
        "appraisal": {"relevance": f.relevance, "rigour": f.rigour},
        "directions": f.directions,
        "confidence": f.confidence,
        "confidence_reasons": list(f.confidence_reasons),
        "contrasts": [list(pair) for pair in f.contrasts],
        "recurring_themes": [_theme_json(t) for t in f.themes],
    }


def _theme_json(theme: Any) -> dict[str, Any]:
    return {"theme": theme.name, "cmoc_ids": list(theme.cmoc_ids), "source_ids": list(theme.source_ids)}


# --- the figure --------------------------------------------------------------------------------

_ROW = 46
_BOX_W = 300
_WIDTH = 860
_EDGE_COLOURS = {"positive": "#1b7f3b", "negative": "#b3261e", "mixed": "#a15c00"}


def network_svg(rows: list[dict[str, Any]], findings: Findings) -> str:
    """The principle-source network as inline SVG: principles left, sources right, one line per pair.

    A line's width grows with the number of CMOCs; its colour says whether they are all positive,
    all negative, or mixed. Built here rather than by a plotting library so that the page needs no
    script and no font from the internet.
    """
    principles = [f.id for f in findings.principles]
    sources = sorted(
        {row["source"] for row in rows}, key=lambda s: next(r["citation"] for r in rows if r["source"] == s)
    )
    citations = {row["source"]: row["citation"] for row in rows}
    height = max(len(principles), len(sources), 1) * _ROW + 70
    left_y = _column(len(principles), height)
    right_y = _column(len(sources), height)
    titles = {f.id: f.title for f in findings.principles}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" role="img" '
        f'aria-labelledby="figure-title" class="network">',
        '<title id="figure-title">Principles and the sources whose CMOCs inform them</title>',
    ]
    for row in rows:
        y1 = left_y[principles.index(row["principle"])]
        y2 = right_y[sources.index(row["source"])]
        colour = _edge_colour(row["directions"])
        width = 1.5 + 1.5 * row["cmocs"]
        detail = ", ".join(f"{n} {d}" for d, n in row["directions"].items() if n)
        parts.append(
            f'<line x1="{_BOX_W + 10}" y1="{y1}" x2="{_WIDTH - _BOX_W - 10}" y2="{y2}" stroke="{colour}" '
            f'stroke-width="{width}" stroke-opacity="0.8" class="edge">'
            f"<title>{_x(titles[row['principle']])}: {_x(row['citation'])}: {row['cmocs']} CMOC(s), {detail}</title></line>"
        )
    for index, principle_id in enumerate(principles):
        gap = " gap" if principle_id in findings.gaps else ""
        parts.append(_box(10, left_y[index], titles[principle_id], f"node principle{gap}"))
    for index, source_id in enumerate(sources):
        parts.append(_box(_WIDTH - _BOX_W - 10, right_y[index], citations[source_id], "node source"))
    legend_y = height - 18
    for offset, (name, colour) in enumerate(_EDGE_COLOURS.items()):
        x = 10 + offset * 170
        parts.append(
            f'<line x1="{x}" y1="{legend_y}" x2="{x + 36}" y2="{legend_y}" stroke="{colour}" stroke-width="4"/>'
        )
        label = {"positive": "all positive", "negative": "all negative", "mixed": "mixed directions"}[name]
        parts.append(f'<text x="{x + 44}" y="{legend_y + 5}" class="legend">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _column(count: int, height: int) -> list[int]:
    top = (height - 40 - count * _ROW) // 2 + _ROW // 2
    return [top + i * _ROW for i in range(count)]


def _edge_colour(directions: dict[str, int]) -> str:
    present = [d for d, n in directions.items() if n]
    return _EDGE_COLOURS[present[0]] if len(present) == 1 else _EDGE_COLOURS["mixed"]


def _box(x: int, y: int, label: str, css: str) -> str:
    shown = label if len(label) <= 40 else label[:39] + "…"
    return (
        f'<g class="{css}"><rect x="{x}" y="{y - 17}" width="{_BOX_W}" height="34" rx="6"/>'
        f'<text x="{x + 10}" y="{y + 5}">{_x(shown)}</text><title>{_x(label)}</title></g>'
    )


def _x(text: str) -> str:
    return html.escape(one_line(text), quote=True)
