"""A :class:`~crm_review.diff.ReviewDiff` as Markdown (for a pull-request comment or a report) or JSON.

Evidence text is data: every value taken from the review is escaped for Markdown, so a quote holding
``<script>``, ``|`` or ``**`` is shown as written.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from difflib import SequenceMatcher
from typing import Any

from crm_review.diff import Changed, FieldChange, ReviewDiff
from crm_review.escape import md_inline

NOTHING = "No change to the evidence, the principles or the findings."

_LABELS = {
    "principles_added": "principle(s) added",
    "principles_removed": "principle(s) removed",
    "principles_changed": "principle(s) reworded",
    "sources_added": "source(s) added",
    "sources_removed": "source(s) removed",
    "sources_changed": "source(s) changed",
    "cmocs_added": "CMOC(s) added",
    "cmocs_removed": "CMOC(s) removed",
    "cmocs_changed": "CMOC(s) changed",
    "links": "principle link(s) changed",
    "evidence": "principle(s) with changed evidence",
    "patterns": "pattern(s) appeared or vanished",
    "config": "setting(s) of configs/review.yaml changed",
}


def summary(diff: ReviewDiff) -> str:
    """``3 CMOC(s) added, 1 source(s) added`` or the sentence saying nothing changed."""
    counts = diff.counts()
    return ", ".join(f"{n} {_LABELS[name]}" for name, n in counts.items()) if counts else NOTHING


def as_json(diff: ReviewDiff) -> str:
    payload: dict[str, Any] = {"summary": summary(diff), **asdict(diff)}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def as_markdown(diff: ReviewDiff, *, heading: str = "##") -> str:
    """The diff as Markdown, one section per kind of change, empty sections left out."""
    sub = heading + "#"
    lines = [
        f"{heading} What changed in the review",
        "",
        f"From **{md_inline(diff.base)}** to **{md_inline(diff.head)}**: {summary(diff)}.",
    ]
    lines += _body(diff, sub)
    return "\n".join(lines).rstrip("\n") + "\n"


def _body(diff: ReviewDiff, sub: str) -> list[str]:
    lines: list[str] = []
    if diff.principles_added or diff.principles_removed or diff.principles_changed:
        lines += ["", f"{sub} Programme theory", ""]
        lines += [
            f"- added `{p.id}`: **{md_inline(p.title)}**: {md_inline(p.statement)}" for p in diff.principles_added
        ]
        lines += [f"- removed `{p.id}`: **{md_inline(p.title)}**" for p in diff.principles_removed]
        lines += _changed_items("reworded", diff.principles_changed)
    if diff.evidence:
        lines += ["", f"{sub} Evidence by principle", ""]
        lines += [
            "| principle | CMOCs | links | sources | suggested confidence | suggested components |",
            "|---|---|---|---|---|---|",
        ]
        for e in diff.evidence:
            components = "; ".join(f"{c.field}: {c.before or '-'} → {c.after or '-'}" for c in e.components)
            relations = "; ".join(f"{c.field} {c.before or 0} → {c.after or 0}" for c in e.relations)
            lines.append(
                f"| `{e.principle}` | {_move(e.cmocs_before, e.cmocs_after)} | {md_inline(relations) or '-'} "
                f"| {_move(e.sources_before, e.sources_after)} "
                f"| {_move(e.confidence_before or '-', e.confidence_after or '-')} | {md_inline(components) or '-'} |"
            )
    if diff.patterns:
        lines += ["", f"{sub} Patterns", ""]
        for p in diff.patterns:
            verb = "appeared" if p.appeared else "vanished"
            lines.append(f"- {verb} under `{p.principle}`: theme `{p.theme}` ({_ids(p.cmoc_ids)})")
    if diff.sources_added or diff.sources_removed or diff.sources_changed:
        lines += ["", f"{sub} Sources", ""]
        for s in diff.sources_added:
            lines.append(f"- added `{s.id}`: {md_inline(s.citation)} *{md_inline(s.title)}* ({s.cmocs} CMOC(s))")
        lines += [f"- removed `{s.id}`: {md_inline(s.citation)} *{md_inline(s.title)}*" for s in diff.sources_removed]
        lines += _changed_items("changed", diff.sources_changed)
    if diff.cmocs_added or diff.cmocs_removed or diff.cmocs_changed:
        lines += ["", f"{sub} CMOCs", ""]
        for c in diff.cmocs_added:
            lines.append(f"- added `{c.id}` ({c.source}, {c.direction}; {_links(c.links)})")
            lines.append(f"  - context: {md_inline(c.context)}")
            lines.append(f"  - mechanism: {md_inline(c.resource)} → {md_inline(c.response)}")
            lines.append(f"  - outcome: {md_inline(c.outcome)} ({c.quotes} quote(s))")
        for c in diff.cmocs_removed:
            lines.append(f"- removed `{c.id}` ({c.source}, {c.direction}; {_links(c.links)}): {md_inline(c.outcome)}")
        lines += _changed_items("changed", diff.cmocs_changed)
    if diff.links:
        lines += ["", f"{sub} Principle links", ""]
        for link in diff.links:
            if link.before is None:
                lines.append(f"- `{link.cmoc}` now {link.after} `{link.principle}`")
            elif link.after is None:
                lines.append(f"- `{link.cmoc}` no longer {link.before} `{link.principle}`")
            else:
                lines.append(f"- `{link.cmoc}` → `{link.principle}`: {link.before} → {link.after}")
    if diff.config:
        lines += ["", f"{sub} Settings (configs/review.yaml)", ""]
        lines += [_field_line(c, "- ") for c in diff.config]
    return lines


def _changed_items(verb: str, items: tuple[Changed, ...]) -> list[str]:
    lines = []
    for item in items:
        lines.append(f"- {verb} `{item.id}`:")
        lines += [_field_line(change, "  - ") for change in item.changes]
    return lines


def _field_line(change: FieldChange, bullet: str) -> str:
    name = md_inline(change.field)
    if change.before is None:
        return f"{bullet}{name} added: {md_inline(change.after or '')}"
    if change.after is None:
        return f"{bullet}{name} removed (was: {md_inline(change.before)})"
    marked = word_changes(change.before, change.after)
    if marked is not None:
        return f"{bullet}{name}: {marked}"
    return f"{bullet}{name}: {md_inline(change.before)} → {md_inline(change.after)}"


def word_changes(before: str, after: str) -> str | None:
    """An edit of a few words shown in place: ~~removed~~ **added**; ``None`` when most of the text changed."""
    old, new = before.split(), after.split()
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    if len(old) < 4 or matcher.ratio() < 0.6:
        return None
    parts = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(md_inline(" ".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(f"~~{md_inline(' '.join(old[i1:i2]))}~~")
        if j2 > j1:
            parts.append(f"**{md_inline(' '.join(new[j1:j2]))}**")
    return " ".join(parts)


def _links(links: dict[str, str]) -> str:
    return ", ".join(f"{relation} `{principle}`" for principle, relation in links.items())


def _ids(cmoc_ids: tuple[str, ...]) -> str:
    return ", ".join(f"`{i}`" for i in cmoc_ids)


def _move(before: object, after: object) -> str:
    return str(after) if before == after else f"{before} → {after}"
