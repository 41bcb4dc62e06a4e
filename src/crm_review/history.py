"""``crm log``: commit by commit, how the programme theory and its evidence changed.

For the review's report (RAMESES item 5, changes in the review process): each commit that touched
``configs/`` or ``evidence/`` is compared with its first parent, and what moved is said in a few lines
per commit: principles added, removed or reworded, the evidence and confidence of each principle,
links and patterns.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from crm_review.diff import ReviewDiff, diff_versions
from crm_review.diffreport import summary
from crm_review.errors import InvalidEvidence
from crm_review.escape import md_inline
from crm_review.gitrepo import Commit, ReviewInRepository
from crm_review.versions import Version, load_revision


@dataclass(frozen=True)
class LogEntry:
    """One commit and what it changed (``None`` with a ``problem`` when a version could not be read)."""

    commit: Commit
    diff: ReviewDiff | None
    problem: str | None = None
    compared_with: str | None = None  # the earlier version compared with (its parent, unless that was broken)


def review_log(root: Path, revision: str = "HEAD") -> list[LogEntry]:
    """Every commit up to ``revision`` that changed the review, oldest first, with its changes."""
    repo = ReviewInRepository.of(root)
    if not repo.has_commits():
        return []
    repo.commit(revision)  # a revision git does not know is named before anything else
    versions: dict[str, Version | str] = {}

    def version(commit: str | None) -> Version | str:
        if commit is None:
            return Version.absent("(nothing)")
        if commit not in versions:
            try:
                versions[commit] = load_revision(repo, commit, label=commit[:7])
            except InvalidEvidence as exc:
                versions[commit] = f"the review had {len(exc.problems)} error(s) at {commit[:7]}"
        return versions[commit]

    entries: list[LogEntry] = []
    last_readable: Version | None = None
    for commit in repo.commits_touching_review(revision):
        before = version(commit.parents[0] if commit.parents else None)
        after = version(commit.sha)
        if isinstance(after, str):
            entries.append(LogEntry(commit, None, after))
            continue
        if isinstance(before, str):
            # The commit that repairs a broken version is compared with the last one that could be read,
            # so that what it changed to the theory is not lost from the history.
            if last_readable is None:
                entries.append(LogEntry(commit, None, before))
                last_readable = after
                continue
            before = last_readable
        entries.append(LogEntry(commit, diff_versions(before, after), compared_with=before.label))
        last_readable = after
    return entries


def as_json(entries: list[LogEntry]) -> str:
    payload: list[dict[str, Any]] = []
    for entry in entries:
        item: dict[str, Any] = {**asdict(entry.commit), "problem": entry.problem}
        item["changes"] = None if entry.diff is None else {"summary": summary(entry.diff), **asdict(entry.diff)}
        payload.append(item)
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def as_markdown(entries: list[LogEntry], *, heading: str = "##") -> str:
    """The history as Markdown: a section per commit, newest first, as a report's appendix reads it."""
    lines = [
        f"{heading} How the programme theory and its evidence changed",
        "",
        f"{len(entries)} commit(s) changed the review's configs or evidence.",
    ]
    for entry in reversed(entries):
        commit = entry.commit
        lines += [
            "",
            f"{heading}# {commit.date} · `{commit.short}` · {md_inline(commit.subject)}",
            "",
            f"By {md_inline(commit.author)}.",
            "",
        ]
        if entry.diff is None:
            lines.append(f"- not compared: {md_inline(entry.problem or '')}")
            continue
        parent = entry.commit.parents[0][:7] if entry.commit.parents else None
        if parent and entry.compared_with and entry.compared_with != parent:
            lines.append(
                f"- compared with `{entry.compared_with}`, the last version before it whose evidence was valid"
            )
        lines += _commit_lines(entry.diff)
    return "\n".join(lines) + "\n"


def _commit_lines(diff: ReviewDiff) -> list[str]:
    lines = []
    for p in diff.principles_added:
        lines.append(f"- principle added: `{p.id}`, **{md_inline(p.title)}**: {md_inline(p.statement)}")
    for p in diff.principles_removed:
        lines.append(f"- principle removed: `{p.id}`, **{md_inline(p.title)}**")
    for changed in diff.principles_changed:
        for change in changed.changes:
            lines.append(
                f"- principle `{changed.id}` reworded ({change.field}): {md_inline(change.before or '')} → "
                f"{md_inline(change.after or '')}"
            )
    for e in diff.evidence:
        parts = []
        if (e.cmocs_before, e.sources_before) != (e.cmocs_after, e.sources_after):
            parts.append(f"CMOCs {e.cmocs_before} → {e.cmocs_after}, sources {e.sources_before} → {e.sources_after}")
        if e.relations:
            parts.append(", ".join(f"{c.field} {c.before or 0} → {c.after or 0}" for c in e.relations))
        if e.confidence_before != e.confidence_after:
            parts.append(f"suggested confidence {e.confidence_before or 'none'} → {e.confidence_after or 'none'}")
        parts += [f"{c.field}: {c.before} → {c.after}" for c in e.components]
        if parts:
            lines.append(f"- `{e.principle}`: {'; '.join(parts)}")
    for link in diff.links:
        lines.append(f"- link `{link.cmoc}` → `{link.principle}`: {link.before or 'none'} → {link.after or 'none'}")
    for pattern in diff.patterns:
        verb = "appeared" if pattern.appeared else "vanished"
        lines.append(f"- pattern {verb} under `{pattern.principle}`: theme `{pattern.theme}`")
    evidence = [
        f"{len(items)} {label}"
        for items, label in (
            (diff.sources_added, "source(s) added"),
            (diff.sources_removed, "source(s) removed"),
            (diff.sources_changed, "source(s) edited"),
            (diff.cmocs_added, "CMOC(s) added"),
            (diff.cmocs_removed, "CMOC(s) removed"),
            (diff.cmocs_changed, "CMOC(s) edited"),
        )
        if items
    ]
    if evidence:
        lines.append(f"- evidence: {', '.join(evidence)}")
    if diff.config:
        lines.append(f"- settings: {', '.join(md_inline(c.field) for c in diff.config)} changed")
    return lines or ["- no change to the principles or the evidence"]
