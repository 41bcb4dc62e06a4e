"""Asking for the fields `crm add` was not given, when a person is at the terminal."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence

from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm, IntPrompt, Prompt

from crm_review.assess import AssessmentInput, Brief, explain_overall, resolve_concern, resolve_confidence
from crm_review.edit import resolve_link
from crm_review.entries import CmocInput, SourceInput
from crm_review.errors import CrmError
from crm_review.model import CONCERNS, CONFIDENCE_LEVELS, DIRECTIONS, RATINGS, Principle


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def ask_source(given: SourceInput, console: Console) -> SourceInput:
    """``given`` completed with answers for its missing fields."""
    changes: dict[str, object] = {}
    missing = given.missing()
    if "title" in missing:
        changes["title"] = _text("Title", console)
    if "author" in missing:
        console.print("Authors as [bold]Family, Given[/bold], one at a time; an empty line ends the list.")
        authors: list[str] = []
        while not authors or (answer := Prompt.ask(f"Author {len(authors) + 1}", default="", console=console)):
            if not authors:
                authors.append(_text("Author 1", console))
                continue
            authors.append(answer.strip())
        changes["authors"] = tuple(authors)
        if given.year is None:
            year = IntPrompt.ask("Year (0 if not known)", default=0, console=console)
            changes["year"] = year or None
    for rating in ("relevance", "rigour"):
        if rating in missing:
            changes[rating] = Prompt.ask(rating.capitalize(), choices=list(RATINGS), console=console)
    return dataclasses.replace(given, **changes)  # type: ignore[arg-type]


def ask_cmoc(given: CmocInput, principles: Sequence[Principle], sources: Sequence[str], console: Console) -> CmocInput:
    """``given`` completed with answers for its missing fields."""
    changes: dict[str, object] = {}
    missing = given.missing()
    if "source" in missing:
        changes["source"] = Prompt.ask("Source id", choices=list(sources), console=console)
    labels = {
        "context": "Context (in which circumstances)",
        "resource": "Mechanism: the resource the intervention offers",
        "response": "Mechanism: how people respond to it",
        "outcome": "Outcome",
    }
    for name, label in labels.items():
        if name in missing:
            changes[name] = _text(label, console)
    if "direction" in missing:
        changes["direction"] = Prompt.ask("Direction", choices=list(DIRECTIONS), console=console)
    if "principle" in missing:
        changes["principles"] = _ask_principles(principles, console)
    if "quote" in missing:
        quotes: list[tuple[str, str]] = []
        while True:
            quote = _text(f"Quote {len(quotes) + 1} (verbatim from the source)", console)
            locator = _text("Where it stands (page or section)", console)
            quotes.append((quote, locator))
            if not Confirm.ask("Another quote?", default=False, console=console):
                break
        changes["quotes"] = tuple(quotes)
    return dataclasses.replace(given, **changes)  # type: ignore[arg-type]


def _text(label: str, console: Console) -> str:
    while True:
        answer = Prompt.ask(label, console=console).strip()
        if answer:
            return answer
        console.print("[yellow]This field is required.[/yellow]")


def _ask_principles(principles: Sequence[Principle], console: Console) -> tuple[str, ...]:
    for number, principle in enumerate(principles, start=1):
        # Word-wrapped to the terminal (this console otherwise leaves wrapping to the terminal, mid-word).
        line = f"  [bold]{number}[/bold]. {escape(principle.id)}: {escape(principle.statement)}"
        console.print(line, soft_wrap=False)
    while True:
        answer = _text(
            "Principles (numbers or ids, separated by commas; add =refutes or =refines where the CMOC does not "
            "support one, e.g. 4=refines)",
            console,
        )
        try:
            return tuple(_link(token.strip(), principles) for token in answer.split(",") if token.strip())
        except CrmError as exc:
            console.print(f"[red]{escape(str(exc))}[/red]")


def _link(token: str, principles: Sequence[Principle]) -> str:
    """A principle by number or id, with its relation if given: ``4=ref`` -> ``motivations=refines``."""
    principle_part, equals, relation_part = token.partition("=")
    principle_part = principle_part.strip()
    if principle_part.isdigit():
        index = int(principle_part)
        if not 1 <= index <= len(principles):
            raise CrmError(f"there is no principle number {index}: choose 1 to {len(principles)}")
        principle_part = principles[index - 1].id
    principle_id, relation = resolve_link(principle_part + equals + relation_part, principles)
    return f"{principle_id}={relation}"


# --- crm assess ----------------------------------------------------------------------------------


def show_brief(brief: Brief, console: Console) -> None:
    """The principle's evidence in numbers, and whether it has been assessed, before any question."""
    principle = brief.principle
    console.print(f"[bold]{escape(principle.id)}[/bold]: {escape(principle.title)}", soft_wrap=False)
    console.print(f"  {escape(principle.statement)}", soft_wrap=False)
    relations = ", ".join(f"{n} {r}" for r, n in brief.relations.items())
    directions = ", ".join(f"{n} {d}" for d, n in brief.directions.items())
    console.print(
        f"Evidence: {len(brief.source_ids)} source(s), {len(brief.cmoc_ids)} CMOC(s): {relations}; {directions}",
        soft_wrap=False,
    )
    console.print("  Rigour of the sources: " + ", ".join(f"{n} {r}" for r, n in brief.rigour.items()), soft_wrap=False)
    console.print(
        "  Relevance of the sources: " + ", ".join(f"{n} {r}" for r, n in brief.relevance.items()), soft_wrap=False
    )
    if brief.patterns:
        patterns = "; ".join(f"{escape(t)} ({c} CMOCs, {s} sources)" for t, c, s in brief.patterns)
        console.print(f"  Patterns: {patterns}", soft_wrap=False)
    else:
        console.print("  Patterns: no mechanism theme is shared by two or more of its CMOCs", soft_wrap=False)
    if brief.existing is not None and brief.coverage is not None:
        existing = brief.existing
        console.print(
            f"Already assessed on {existing.assessed_on.isoformat()} by {escape(', '.join(existing.assessed_by))}: "
            f"{existing.confidence} confidence; it {escape(brief.coverage.sentence())}. "
            "Press Enter to keep each earlier answer.",
            soft_wrap=False,
        )
    console.print(
        "[italic]Suggestions come from the rule in configs/review.yaml: a starting point for your judgement, "
        "not the confidence.[/italic]",
        soft_wrap=False,
    )


def ask_assessment(brief: Brief, given: AssessmentInput, console: Console) -> AssessmentInput:
    """``given`` completed at the terminal: each judgement and explanation, the suggestion as default."""
    existing = brief.existing
    finding = given.finding or _with_default(
        "Finding (the summary statement this principle's evidence supports)",
        existing.finding if existing else brief.principle.statement,
        console,
    )
    concerns = dict(given.concerns)
    explanations = dict(given.explanations)
    for suggestion in brief.suggested:
        name = suggestion.component
        earlier = getattr(existing.components, name) if existing else None
        console.print(f"\n[bold]{suggestion.label.capitalize()}[/bold]", soft_wrap=False)
        console.print(
            f"  Suggestion: {suggestion.concern} concerns ({escape(suggestion.reason)})",
            soft_wrap=False,
        )
        if not concerns.get(name):
            default = earlier.concern if earlier else suggestion.concern
            concerns[name] = _ask_level("Concern", CONCERNS, default, resolve_concern, console)
        if not explanations.get(name):
            earlier_text = earlier.explanation if earlier else None
            explanations[name] = _with_default("  Explanation", earlier_text or suggestion.reason, console)
    console.print("\n[bold]Overall confidence[/bold]", soft_wrap=False)
    if brief.suggested_confidence:
        console.print(
            f"  Suggestion: {brief.suggested_confidence} (the rule lowers high by one level per component "
            "with a concern)",
            soft_wrap=False,
        )
    confidence = given.confidence
    if not confidence:
        default = existing.confidence if existing else (brief.suggested_confidence or "low")
        confidence = _ask_level("Confidence", CONFIDENCE_LEVELS, default, resolve_confidence, console)
    judged = {name: resolve_concern(str(level)) for name, level in concerns.items() if level}
    explanation = given.explanation or _with_default(
        "  Explanation", (existing.explanation if existing else None) or explain_overall(judged), console
    )
    assessed_by = given.assessed_by
    if not assessed_by:
        earlier_names = ", ".join(existing.assessed_by) if existing else ""
        while not assessed_by:
            answer = Prompt.ask(
                "\nAssessed by (names, separated by commas)",
                default=earlier_names,
                show_default=bool(earlier_names),
                console=console,
            )
            assessed_by = tuple(name.strip() for name in answer.split(",") if name.strip())
    return dataclasses.replace(
        given,
        finding=finding,
        concerns=concerns,
        explanations=explanations,
        confidence=confidence,
        explanation=explanation,
        assessed_by=assessed_by,
    )


class _Answer(Prompt):
    """A free-text answer on its own line, below a label and the default it keeps."""

    prompt_suffix = "> "


def _with_default(label: str, default: str, console: Console) -> str:
    console.print(f"{label}\n  [dim]  Enter keeps: {escape(default)}[/dim]", soft_wrap=False)
    answer = _Answer.ask("", default="", show_default=False, console=console)
    return answer.strip() or default


def _ask_level(label: str, levels: Sequence[str], default: str, resolve: Callable[[str], str], console: Console) -> str:
    while True:
        answer = Prompt.ask(f"  {label} ({', '.join(levels)})", default=default, console=console)
        try:
            return resolve(answer)
        except CrmError as exc:
            console.print(f"[red]{escape(str(exc))}[/red]")
