"""Asking for the fields `crm add` was not given, when a person is at the terminal."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm, IntPrompt, Prompt

from crm_review.edit import resolve_link
from crm_review.entries import CmocInput, SourceInput
from crm_review.errors import CrmError
from crm_review.model import DIRECTIONS, RATINGS, Principle


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
