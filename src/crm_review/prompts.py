"""Asking a person at the terminal for what a command was not given.

At a real terminal each answer is read with prompt_toolkit: arrow keys move in the line (they never land
in the file as escape codes), Up recalls earlier answers to the same question, Tab completes choices and
ids, a current value stands in the line ready to be edited, and a pasted passage of several lines stays
one answer. When input comes from a pipe (tests, ``yes |``), plain lines are read instead, an empty line
taking the default. Answers are checked as they come and a wrong one is asked again with the text as
typed, so that nothing a person wrote is lost.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from rich.console import Console
from rich.markup import escape
from rich.prompt import Prompt  # crm assess's questions (not yet moved to the Asker below)

from crm_review.assess import AssessmentInput, Brief, explain_overall, resolve_concern, resolve_confidence
from crm_review.choose import pick, starting_with
from crm_review.edit import resolve_link
from crm_review.entries import CmocInput, SourceInput, links_of, links_value
from crm_review.errors import CrmError
from crm_review.model import CONCERNS, CONFIDENCE_LEVELS, DIRECTIONS, RATINGS, Principle, strip_doi_prefix
from crm_review.yamltext import dump

if TYPE_CHECKING:
    from crm_review.revise import Entry

T = TypeVar("T")

_WORD = re.compile(r"[\w.-]+$")

LISTED_AT_ONCE = 12
"""Up to this many sources are listed by number before the source prompt; more are found by their start."""


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def line_editing() -> bool:
    """Whether answers are read with line editing (a person at a real terminal) rather than as piped lines."""
    return sys.stdin.isatty() and (sys.stderr.isatty() or sys.stdout.isatty())


class Lines(Protocol):
    """Reads one answer; ``default`` is what an empty answer (or an untouched line) gives."""

    def read(self, label: str, default: str = "", completions: Sequence[str] = ()) -> str: ...


class TerminalLines:
    """Answers read with prompt_toolkit on the terminal, prompts written to stderr."""

    def __init__(self) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.output import create_output

        self._new_session = PromptSession
        # Prompts go to stderr, keeping stdout for results (--json); to stdout if only it is the terminal.
        self._output = create_output(stdout=sys.stderr if sys.stderr.isatty() else sys.stdout)
        self._sessions: dict[str, Any] = {}

    def read(self, label: str, default: str = "", completions: Sequence[str] = ()) -> str:
        from prompt_toolkit.completion import WordCompleter

        # One session per question, so that Up recalls the answers given to that question only.
        key = label.split(" (")[0].rstrip("0123456789 ")
        if key not in self._sessions:
            self._sessions[key] = self._new_session(output=self._output, complete_while_typing=False)
        # The word before the cursor is an id or a choice: hyphens and dots belong to it, commas end it.
        completer = WordCompleter(list(completions), ignore_case=True, pattern=_WORD) if completions else None
        answer: str = self._sessions[key].prompt(f"{label}: ", default=default, completer=completer)
        return answer


class PipedLines:
    """Answers read line by line from a pipe; the prompt and the default are shown on the console."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def read(self, label: str, default: str = "", completions: Sequence[str] = ()) -> str:
        shown = f" [{escape(default)}]" if default and "\n" not in default else ""
        self.console.print(f"{escape(label)}{shown}: ", end="")
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        answer = line.rstrip("\r\n")
        return answer if answer.strip() else default


class Asker:
    """The questions crm asks, each checking its answer and asking again with the text as typed."""

    def __init__(self, console: Console, lines: Lines | None = None) -> None:
        self.console = console
        if lines is None:
            # Asked of the stream itself: tests stand in for a person by piping answers to a "terminal".
            lines = TerminalLines() if line_editing() else PipedLines(console)
        self.lines = lines

    def say(self, markup: str, *, wrap: bool = False) -> None:
        """A line for the person; ``wrap`` breaks it at word boundaries (else the terminal wraps it)."""
        self.console.print(markup, soft_wrap=not wrap)

    def warn(self, message: str) -> None:
        self.console.print(f"[red]{escape(message)}[/red]")

    def ask(self, label: str, read: Callable[[str], T], default: str = "", completions: Sequence[str] = ()) -> T:
        """Ask until ``read`` accepts the answer; a refused answer is offered again for correction."""
        while True:
            answer = self.lines.read(label, default, completions)
            try:
                return read(answer)
            except CrmError as exc:
                self.warn(str(exc))
                default = answer

    def text(self, label: str, default: str = "", *, required: bool = True) -> str:
        def read(answer: str) -> str:
            if required and not answer.strip():
                raise CrmError("this one is needed: write some text")
            return answer.strip()

        return self.ask(label, read, default)

    def choice(self, label: str, choices: Sequence[str], default: str = "") -> str:
        """One of ``choices``, in any case or by an unambiguous start (``neg`` for negative)."""
        return self.ask(f"{label} ({', '.join(choices)})", lambda a: pick(a, choices, "answer"), default, choices)

    def optional_choice(self, label: str, choices: Sequence[str], default: str = "") -> str | None:
        def read(answer: str) -> str | None:
            return pick(answer, choices, "answer") if answer.strip() else None

        return self.ask(f"{label} ({', '.join(choices)}, or empty)", read, default, choices)

    def confirm(self, heading: str, entry: object) -> bool:
        """Show the entry as it will be written and ask a last yes/no."""
        self.say(f"\n[bold]{escape(heading)}[/bold]")
        self.say(escape(dump(entry).rstrip("\n")))
        return self.yes("Write it?", default=True)

    def yes(self, question: str, *, default: bool) -> bool:
        def read(answer: str) -> bool:
            if not answer.strip():
                return default
            return pick(answer, ("yes", "no"), "answer") == "yes"

        return self.ask(f"{question} ({'Y/n' if default else 'y/N'})", read)

    def year(self, default: int | None = None) -> int | None:
        def read(answer: str) -> int | None:
            answer = answer.strip()
            if not answer:
                return None
            if not answer.isdigit() or not 1000 <= int(answer) <= 2999:
                raise CrmError(f"`{answer}` is not a year: write it like 2020, or leave it empty")
            return int(answer)

        return self.ask("Year (leave empty if unknown)", read, str(default) if default is not None else "")

    def author(self, label: str, default: str = "") -> str:
        """A name as ``Family, Given``; ``Jane Smith`` gets "Smith, Jane?" asked back."""
        name = " ".join(self.text(label, default, required=False).split())
        words = name.split(" ")
        if "," in name or len(words) < 2:
            return name
        turned = f"{words[-1]}, {' '.join(words[:-1])}"
        if self.yes(f"Authors are written Family, Given: {turned}?", default=True):
            return turned
        return name

    def authors(self, current: Sequence[str] = ()) -> tuple[str, ...]:
        self.say("Authors as [bold]Family, Given[/bold], one at a time; an empty line ends the list.")
        names: list[str] = []
        index = 0
        while True:
            default = current[index] if index < len(current) else ""
            name = self.author(f"Author {index + 1}", default)
            index += 1
            if name:
                names.append(name)
            elif not names and not default:
                self.warn("a source needs at least one author (an organisation's name will do)")
                index -= 1
            elif index >= len(current):
                return tuple(names)

    def words(self, label: str, current: Sequence[str] = ()) -> tuple[str, ...]:
        """A list written on one line, separated by commas."""
        answer = self.text(f"{label} (separated by commas)", ", ".join(current), required=False)
        return tuple(part.strip() for part in answer.split(",") if part.strip())

    def source(self, ids: Sequence[str]) -> str:
        """A source by its id, its start or (from the list shown) its number."""
        ordered = sorted(ids)
        shown: list[str] = ordered if len(ordered) <= LISTED_AT_ONCE else []
        if shown:
            self._numbered(shown)
        else:
            self.say(f"{len(ordered)} sources: type the start of an id (Tab completes), or ? to list them all.")

        while True:
            answer = self.lines.read("Source", "", ordered).strip()
            if answer == "?":
                shown = ordered
                self._numbered(shown)
                continue
            if answer.isdigit() and shown and 1 <= int(answer) <= len(shown):
                return shown[int(answer) - 1]
            matches = starting_with(answer, ordered)
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                shown = matches
                self.say(f"{len(matches)} sources start so; choose one by number or write more of its id:")
                self._numbered(shown)
                continue
            try:
                pick(answer, ordered, "source")
            except CrmError as exc:
                self.warn(str(exc))

    def _numbered(self, names: Sequence[str]) -> None:
        self._columns([(f"{number}.", escape(name)) for number, name in enumerate(names, start=1)])

    def _columns(self, rows: Sequence[tuple[str, str]]) -> None:
        """Numbers in a column, each text word-wrapped under itself (never mid-word by the terminal)."""
        from rich.table import Table

        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", no_wrap=True)
        grid.add_column()
        for number, text in rows:
            grid.add_row(f" [bold]{number}[/bold]", text)
        self.console.print(grid)

    def principles(self, principles: Sequence[Principle], default: str = "") -> tuple[str, ...]:
        self._columns([(f"{n}.", f"{escape(p.id)}: {escape(p.statement)}") for n, p in enumerate(principles, start=1)])

        def read(answer: str) -> tuple[str, ...]:
            links = tuple(_link(token.strip(), principles) for token in answer.split(",") if token.strip())
            if not links:
                raise CrmError("a CMOC links to at least one principle: give a number or an id")
            return links

        self.say(
            "Give numbers or ids, separated by commas; add =refutes or =refines where the CMOC does not support "
            "one (e.g. 1, 4=refines).",
            wrap=True,
        )
        return self.ask("Principles", read, default, [p.id for p in principles])

    def quotes(self, current: Sequence[tuple[str, str]] = ()) -> tuple[tuple[str, str], ...]:
        """Quotes with their locators; a pasted passage of several lines stays one quote."""
        quotes: list[tuple[str, str]] = []
        index = 0
        while True:
            old_quote, old_locator = current[index] if index < len(current) else ("", "")
            required = not quotes and index >= len(current)
            label = f"Quote {index + 1} (verbatim from the source" + (")" if required else "; empty to drop it)")
            quote = self.text(label, old_quote, required=required)
            if quote:
                locator = self.text("Where it stands (page or section)", old_locator)
                quotes.append((quote, locator))
            index += 1
            if index < len(current):
                continue
            if not self.yes("Another quote?", default=False):
                if quotes:
                    return tuple(quotes)
                self.warn("a CMOC needs at least one quote")


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


# --- crm add ---------------------------------------------------------------------------------------------


def ask_source(given: SourceInput, ask: Asker) -> SourceInput:
    """``given`` completed with answers for its missing fields."""
    changes: dict[str, object] = {}
    missing = given.missing()
    if "title" in missing:
        changes["title"] = ask.text("Title")
    if "author" in missing:
        changes["authors"] = ask.authors()
        if given.year is None:
            changes["year"] = ask.year()
    for rating in ("relevance", "rigour"):
        if rating in missing:
            changes[rating] = ask.choice(rating.capitalize(), RATINGS)
    return given.replace(**changes)


CMOC_LABELS = {
    "context": "Context (in which circumstances)",
    "resource": "Mechanism: the resource the intervention offers",
    "response": "Mechanism: how people respond to it",
    "outcome": "Outcome",
}


def ask_cmoc(given: CmocInput, principles: Sequence[Principle], sources: Sequence[str], ask: Asker) -> CmocInput:
    """``given`` completed with answers for its missing fields."""
    changes: dict[str, object] = {}
    missing = given.missing()
    if "source" in missing:
        changes["source"] = ask.source(sources)
    for name, label in CMOC_LABELS.items():
        if name in missing:
            changes[name] = ask.text(label)
    if "direction" in missing:
        changes["direction"] = ask.choice("Direction", DIRECTIONS)
    if "principle" in missing:
        changes["principles"] = ask.principles(principles)
    if "quote" in missing:
        changes["quotes"] = ask.quotes()
    return dataclasses.replace(given, **changes)  # type: ignore[arg-type]


def confirm_cmoc(
    given: CmocInput, principles: Sequence[Principle], sources: Sequence[str], ask: Asker
) -> CmocInput | None:
    """The CMOC shown as it will be written (source and principles resolved) and a last yes; None for no."""
    resolved = dataclasses.replace(given, source=pick(str(given.source), sources, "source"))
    links = dict(resolve_link(token, principles) for token in resolved.principles)
    entry = resolved.record(resolved.id or "(the next number)", links)
    return resolved if ask.confirm(f"The new CMOC of {resolved.source}:", entry) else None


# --- crm edit ----------------------------------------------------------------------------------------------


def ask_edit(root: Path, entry_id: str, ask: Asker) -> tuple[Entry, dict[str, Any]] | None:
    """The entry and its fields as the person leaves them, after a summary and a last yes; None for no.

    If the review would have an error with the answers, the problems are shown and the person may go
    back to the answers (kept as typed) or leave.
    """
    from crm_review import report
    from crm_review.load import load_review_files
    from crm_review.references import NAMES
    from crm_review.revise import check_edit, differences, find_entry, principles_of

    files = load_review_files(root)
    entry = find_entry(files, entry_id)
    ask.say(
        f"Editing {NAMES[entry.kind]} [bold]{escape(entry_id)}[/bold] of {escape(str(entry.path))}: "
        "each answer starts as the current value."
    )
    answers = entry.data
    while True:
        if entry.kind == "source":
            answers = ask_source_edit(answers, ask)
        else:
            answers = ask_cmoc_edit(answers, principles_of(files), ask)
        found = differences(entry.data, answers)
        if not found:
            ask.say("Nothing changed.")
            return None
        ask.say("\n[bold]What changes:[/bold]")
        for difference in found:
            ask.say(f"  {escape(str(difference))}")
        problems = check_edit(root, entry_id, answers)
        if problems:
            for line in report.as_text(problems):
                ask.warn(line)
            if ask.yes("Change your answers (they are kept)?", default=True):
                continue
            return None
        if ask.yes(f"Write these changes to {entry.path}?", default=True):
            return entry, answers
        return None


def ask_source_edit(current: dict[str, Any], ask: Asker) -> dict[str, Any]:
    """A source's own fields (not its CMOCs) as the person leaves them, each asked with its current value."""
    new = dict(current)

    def put(key: str, value: object) -> None:
        if value in (None, "", ()):
            new.pop(key, None)
        else:
            new[key] = list(value) if isinstance(value, tuple) else value

    new["title"] = ask.text("Title", str(current.get("title", "")))
    put("authors", ask.authors(tuple(current.get("authors") or ())))
    put("year", ask.year(current.get("year")))
    for key in ("journal", "volume", "issue", "pages", "doi", "url", "design"):
        label = {"doi": "DOI", "url": "URL"}.get(key, key.capitalize())
        answer = ask.text(label, _plain(current.get(key)), required=False)
        put(key, strip_doi_prefix(answer) if key == "doi" else answer)
    put("countries", ask.words("Countries", tuple(current.get("countries") or ())))
    put("setting", ask.text("Setting", _plain(current.get("setting")), required=False))
    appraisal: dict[str, Any] = current["appraisal"] if isinstance(current.get("appraisal"), dict) else {}
    relevance = ask.optional_choice("Relevance", RATINGS, _plain(appraisal.get("relevance")))
    rigour = ask.optional_choice("Rigour", RATINGS, _plain(appraisal.get("rigour"))) if relevance else None
    while relevance and not rigour:
        ask.warn("an appraisal has both relevance and rigour")
        rigour = ask.optional_choice("Rigour", RATINGS)
    if relevance and rigour:
        new["appraisal"] = {**appraisal, "relevance": relevance, "rigour": rigour}
    else:
        new.pop("appraisal", None)
    return new


def ask_cmoc_edit(current: dict[str, Any], principles: Sequence[Principle], ask: Asker) -> dict[str, Any]:
    """A CMOC as the person leaves it, each field asked with its current value."""
    new = dict(current)
    new["context"] = ask.text(CMOC_LABELS["context"], _plain(current.get("context")))
    mechanism: dict[str, Any] = current["mechanism"] if isinstance(current.get("mechanism"), dict) else {}
    new["mechanism"] = {
        **mechanism,
        "resource": ask.text(CMOC_LABELS["resource"], _plain(mechanism.get("resource"))),
        "response": ask.text(CMOC_LABELS["response"], _plain(mechanism.get("response"))),
    }
    new["outcome"] = ask.text(CMOC_LABELS["outcome"], _plain(current.get("outcome")))
    new["direction"] = ask.choice("Direction", DIRECTIONS, _plain(current.get("direction")))
    links = current.get("principles")
    written = (
        ", ".join(f"{k}={v}" if v != "supports" else k for k, v in links.items())
        if isinstance(links, dict)
        else ", ".join(str(p) for p in links or ())
    )
    chosen = dict(token.split("=", 1) for token in ask.principles(principles, written))
    if chosen != links_of(links):
        new["principles"] = links_value(chosen)
    old_quotes = [
        (_plain(q.get("quote")), _plain(q.get("locator"))) for q in current.get("evidence") or () if isinstance(q, dict)
    ]
    quotes = ask.quotes(old_quotes)
    if quotes != tuple(old_quotes):
        new["evidence"] = [{"quote": q, "locator": loc} for q, loc in quotes]
    notes = ask.text("Notes", _plain(current.get("notes")), required=False)
    if notes:
        new["notes"] = notes
    else:
        new.pop("notes", None)
    themes = ask.words("Themes", tuple(current.get("themes") or ()))
    if themes:
        new["themes"] = list(themes)
    else:
        new.pop("themes", None)
    return new


def _plain(value: object) -> str:
    return "" if value is None else str(value)


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
