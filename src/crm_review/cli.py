"""The ``crm`` command: parse arguments, call one library function, print. No work happens here."""

from __future__ import annotations

import dataclasses
import errno
import inspect
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from crm_review import report
from crm_review.errors import CrmError, InvalidEvidence, Problem
from crm_review.escape import json_text, visible

if TYPE_CHECKING:  # edit.py pulls in the importers; commands import it only when they run
    from crm_review.assess import Brief
    from crm_review.edit import Added
    from crm_review.revise import Edited, Removal

app = typer.Typer(
    help="Rapid realist reviews as code: evidence in YAML, CMOCs tied to quotes, a review document built from them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

ReviewDir = Annotated[
    Path,
    typer.Option("--review", "-r", help="The review folder (the one holding configs/ and evidence/).", file_okay=False),
]


def _stderr() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


NoCache = Annotated[
    bool, typer.Option("--no-cache", help="Read every file again, ignoring .crm-cache/ (the result is the same).")
]


def _progress(*, machine_output: bool = False) -> AbstractContextManager[None]:
    """A progress bar on stderr for work that takes more than a second, when a person watches."""
    from crm_review.progress import bar_on_terminal

    return bar_on_terminal(_stderr(), machine_output=machine_output)


def _echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print one message or result: every line the CLI prints goes through here.

    Control characters (an ESC typed into a key, a form feed pasted from a PDF) are shown as escapes
    such as ``\\x1b``, never obeyed by the terminal. A stream that cannot be written (a full disk, a
    closed pipe) ends the command with one line and exit 1, not a traceback.
    """
    _write(visible(text), err=err, nl=nl)


def _echo_json(data: object) -> None:
    """Print data as JSON for scripts: exact, with control characters as JSON's own ``\\u`` escapes."""
    _write(json_text(json.dumps(data, indent=2, ensure_ascii=False)))


def _write(text: str, *, err: bool = False, nl: bool = True) -> None:
    try:
        typer.echo(text, err=err, nl=nl)
    except OSError as exc:
        _unwritable(exc, err=err)


def _unwritable(exc: OSError, *, err: bool) -> None:
    stream = sys.stderr if err else sys.stdout
    try:  # what is still buffered goes nowhere, so Python's last flush at exit cannot fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    if exc.errno != errno.EPIPE and not err:  # a reader that closed the pipe wanted no more: end quietly
        name = "standard error" if err else "standard output"
        _stderr().print(f"error: cannot write to {name}: {exc.strerror or exc}", markup=False)
    raise typer.Exit(1)


@contextmanager
def reported() -> Iterator[None]:
    """Turn a user-facing failure into its message on stderr and exit code 1; let bugs keep their traceback."""
    try:
        yield
    except InvalidEvidence as exc:
        for line in report.as_text(exc.problems):
            _echo(line, err=True)
        _stderr().print(f"[red]{len(exc.problems)} error(s)[/red]: nothing was written")
        raise typer.Exit(1) from None
    except CrmError as exc:
        _stderr().print(f"[red]error:[/red] {escape(visible(str(exc), keep=''))}")
        raise typer.Exit(1) from None
    except OSError as exc:  # the machine said no (permissions, a full disk): the user's to fix, not a bug
        where = f"{exc.filename}: " if exc.filename else ""
        _stderr().print(f"[red]error:[/red] {escape(visible(where + (exc.strerror or str(exc)), keep=''))}")
        raise typer.Exit(1) from None


def _show_version(value: bool) -> None:
    if value:
        from crm_review import __version__

        _echo(f"crm-review {__version__}")
        raise typer.Exit()


@app.callback()
def crm(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Rapid realist reviews as code: evidence in YAML, CMOCs tied to quotes, a review document built from them."""


class ProblemFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


ProblemFormatOption = Annotated[
    ProblemFormat, typer.Option("--format", "-f", help="text for people, json for scripts, github for annotations.")
]
Strict = Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")]


def _report_check(
    problems: Sequence[Problem], output_format: ProblemFormat, as_json: object, summary: str, *, failed: bool
) -> None:
    """The end of `crm validate` and `crm verify`: the problems in the format asked for, then exit 1 if they fail.

    Text is one line per problem (`file:line:col: severity: message`) and a summary on stderr; github is
    one annotation per problem; json is ``as_json``.
    """
    if output_format is ProblemFormat.json:
        _echo_json(as_json)
    else:
        lines = report.as_github(problems) if output_format is ProblemFormat.github else report.as_text(problems)
        for line in lines:
            _echo(line)
    if output_format is ProblemFormat.text:
        _stderr().print(escape(summary))
    if failed:
        raise typer.Exit(1)


@app.command()
def validate(
    review: ReviewDir = Path(),
    output_format: ProblemFormatOption = ProblemFormat.text,
    strict: Strict = False,
    no_cache: NoCache = False,
) -> None:
    """Check the evidence and configs.

    Every problem of every file is reported on one line as path:line:col, with what to write instead.
    """
    from crm_review.pipeline import validate as run_validation

    with reported(), _progress(machine_output=output_format is not ProblemFormat.text):
        result = run_validation(review, use_cache=not no_cache)
    summary = f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)"
    if not result.errors:
        summary += "; {} source(s), {} CMOC(s)".format(*result.counts())
    as_json = {"problems": report.as_records(result.problems)}
    _report_check(result.problems, output_format, as_json, summary, failed=result.failed(strict=strict))


@app.command()
def verify(
    review: ReviewDir = Path(),
    fulltext: Annotated[
        Path | None,
        typer.Option(
            "--fulltext",
            help="A folder of full texts named <source-id>.pdf (or .html, .md, .txt), e.g. outside the repository.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    output_format: ProblemFormatOption = ProblemFormat.text,
    strict: Strict = False,
) -> None:
    """Check every quote against the full text it quotes.

    Full texts are fulltext/<source-id>.pdf (or .html, .md, .txt), or the source's fulltext: path.
    A quote not found is an error; one found only approximately, or on another page than its
    locator says, is a warning.
    """
    from crm_review.verify import verify_review

    console = _stderr()

    def reading(path: Path) -> None:  # a first run over many PDFs takes minutes: show it is working
        console.print(f"reading {escape(str(path))} (once: its text is cached)", style="dim")

    with reported():
        result = verify_review(review, fulltext, reading if console.is_terminal else None)
    _report_check(
        result.problems, output_format, result.as_json(), result.summary(), failed=result.failed(strict=strict)
    )


# --- getting evidence in -----------------------------------------------------------------------

NoInput = Annotated[bool, typer.Option("--no-input", help="Never ask: fail listing what is missing.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@contextmanager
def asking() -> Iterator[None]:
    """Ctrl-C (or Ctrl-D) at a prompt ends the command saying, on a line of its own, that nothing was written."""
    try:
        yield
    except (KeyboardInterrupt, EOFError) as exc:
        from crm_review.prompts import line_editing

        if not line_editing():  # prompt_toolkit has already ended the line; a plain read has not
            _echo("", err=True)
        _echo("nothing was written", err=True)
        raise typer.Exit(130 if isinstance(exc, KeyboardInterrupt) else 1) from None


def _may_ask(no_input: bool) -> bool:
    from crm_review.prompts import stdin_is_terminal

    return not no_input and stdin_is_terminal()


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(help="The review's folder: made if missing, completed if not.", file_okay=False)
    ],
    title: Annotated[str | None, typer.Option(help="The review's title (default: from the folder name).")] = None,
    question: Annotated[str | None, typer.Option(help="The review question.")] = None,
    blank: Annotated[bool, typer.Option("--blank", help="Start with no principles instead of the eight.")] = False,
    install: Annotated[
        str | None,
        typer.Option(
            metavar="SPEC", help="What CI installs with pip (default: where this crm came from), e.g. a git URL."
        ),
    ] = None,
    force: Annotated[
        list[str] | None, typer.Option("--force", metavar="FILE", help="Replace this file even if it is there; repeat.")
    ] = None,
    no_input: NoInput = False,
) -> None:
    """Start a review, or add what an existing folder lacks.

    Writes configs/ (with the eight principles unless --blank), evidence/, a README for the team,
    .gitignore, .gitattributes and the CI workflow, keeping every file that is already there. In a git
    repository it registers crm's merge driver for evidence files (run `crm init .` in each clone).
    """
    from crm_review.errors import InstallUnknown
    from crm_review.scaffold import init_review

    with reported():
        try:
            done = init_review(
                directory, title=title, question=question, blank=blank, install=install, force=force or ()
            )
        except InstallUnknown as exc:
            if not _may_ask(no_input):
                raise
            _stderr().print(escape(f"{exc.reason}. Give a requirement pip can install on GitHub, e.g. {exc.example}"))
            answer = typer.prompt("What should CI install with pip", err=True).strip()
            done = init_review(
                directory, title=title, question=question, blank=blank, install=answer, force=force or ()
            )
    root = directory
    for name in done.created:
        _echo(f"created  {root / name}")
    for name in done.replaced:
        _echo(f"replaced {root / name}")
    for name, lines in done.extended.items():
        _echo(f"added to {root / name}: {', '.join(lines)}")
    for name in done.kept:
        _echo(f"kept     {root / name} (already there; --force {name} replaces it)")
    for note in done.notes:
        _echo(f"note: {note}")


add_app = typer.Typer(help="Add a source or a CMOC.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(add_app, name="add")


def _print_added(added: Added, as_json: bool, what: str) -> None:
    if as_json:
        _write(json_text(json.dumps({"id": added.id, "file": str(added.path)}, ensure_ascii=False)))
    else:
        _echo(f"added {what} {added.id} to {added.path}")


class RatingChoice(StrEnum):
    high = "high"
    moderate = "moderate"
    low = "low"


class DirectionChoice(StrEnum):
    positive = "positive"
    negative = "negative"
    mixed = "mixed"


class RelationChoice(StrEnum):
    supports = "supports"
    refutes = "refutes"
    refines = "refines"


# --- the fields of a source and of a CMOC as options ----------------------------------------------------
# One definition of each, given to `crm add source`, `crm add cmoc` and `crm edit` by `_with_options`, so
# that a new field is written here once. Spelled out rather than derived from model.Source, so that `crm`
# starts without pydantic: tests/test_cli_intake.py fails when a field of a source has no option here.

SOURCE_OPTIONS: dict[str, object] = {
    "title": Annotated[str | None, typer.Option("--title", help="The title.")],
    "authors": Annotated[
        list[str] | None, typer.Option("--author", metavar="NAME", help='"Family, Given"; repeat for each.')
    ],
    "year": Annotated[int | None, typer.Option("--year", help="The year of publication.")],
    "journal": Annotated[str | None, typer.Option("--journal", help="The journal.")],
    "volume": Annotated[str | None, typer.Option("--volume")],
    "issue": Annotated[str | None, typer.Option("--issue")],
    "pages": Annotated[str | None, typer.Option("--pages")],
    "doi": Annotated[str | None, typer.Option("--doi", help="e.g. 10.1111/hex.12996")],
    "url": Annotated[str | None, typer.Option("--url")],
    "design": Annotated[str | None, typer.Option("--design", help="The study design.")],
    "countries": Annotated[
        list[str] | None, typer.Option("--country", metavar="COUNTRY", help="Repeat for each country.")
    ],
    "setting": Annotated[str | None, typer.Option("--setting")],
    "relevance": Annotated[RatingChoice | None, typer.Option("--relevance", help="Appraisal: relevance.")],
    "rigour": Annotated[RatingChoice | None, typer.Option("--rigour", help="Appraisal: rigour.")],
    "abstract": Annotated[str | None, typer.Option("--abstract", help="The abstract.")],
    "keywords": Annotated[
        list[str] | None, typer.Option("--keyword", metavar="WORDS", help="Repeat for each keyword.")
    ],
    "notes": Annotated[str | None, typer.Option("--notes", help="Free text.")],
    "fulltext": Annotated[
        str | None,
        typer.Option("--fulltext", help="The full text's path, when not fulltext/<id>.pdf (or .html, .md, .txt)."),
    ],
    "first_page": Annotated[
        int | None, typer.Option("--first-page", help="The printed number of the PDF's first page.")
    ],
}
"""A source's fields as options, in the order of the evidence format; the keys are model.Source's names."""

CMOC_OPTIONS: dict[str, object] = {
    "context": Annotated[str | None, typer.Option("--context", help="In which circumstances.")],
    "resource": Annotated[str | None, typer.Option("--resource", help="Mechanism: the resource offered.")],
    "response": Annotated[str | None, typer.Option("--response", help="Mechanism: how people respond.")],
    "outcome": Annotated[str | None, typer.Option("--outcome", help="What follows.")],
    "direction": Annotated[DirectionChoice | None, typer.Option("--direction", help="positive, negative or mixed.")],
    "principles": Annotated[
        list[str] | None,
        typer.Option(
            "--principle",
            metavar="ID[=RELATION]",
            help="An id or a prefix of one, with =refutes or =refines unless the CMOC supports it; repeat for each.",
        ),
    ],
    "quotes": Annotated[
        list[str] | None, typer.Option("--quote", metavar="TEXT", help="Verbatim text; pair each with --locator.")
    ],
    "locators": Annotated[
        list[str] | None, typer.Option("--locator", metavar="WHERE", help='Where the quote stands, e.g. "p. 3".')
    ],
    "notes": SOURCE_OPTIONS["notes"],
    "themes": Annotated[
        list[str] | None, typer.Option("--theme", metavar="TAG", help="A mechanism tag; repeat for each.")
    ],
}
"""A CMOC's fields as options (the mechanism's resource and response apart, quotes paired with locators)."""

Command = TypeVar("Command", bound=Callable[..., None])


def _with_options(*groups: Mapping[str, object], after: str) -> Callable[[Command], Command]:
    """Give a command the options of ``groups`` (one for a name in several), after its parameter ``after``.

    typer reads a command's options from its signature: the signature is rewritten to hold them, and the
    command takes their values as ``**fields``, by the names of the groups' keys.
    """
    options = {name: option for group in groups for name, option in group.items()}

    def rewrite(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        at = [p.name for p in own].index(after) + 1
        added = [
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=option)
            for name, option in options.items()
        ]
        command.__signature__ = signature.replace(parameters=[*own[:at], *added, *own[at:]])  # type: ignore[attr-defined]
        return command

    return rewrite


def _values(fields: Mapping[str, object]) -> dict[str, Any]:
    """The options' values as plain data: a choice as its text, a repeated option as a tuple, None if not given."""
    return {
        name: value.value if isinstance(value, StrEnum) else tuple(value) if isinstance(value, list) else value
        for name, value in fields.items()
    }


def _quote_pairs(quotes: list[str] | None, locators: list[str] | None) -> tuple[tuple[str, str], ...]:
    """Each --quote with its --locator, or a usage error when they do not pair up."""
    quotes, locators = quotes or [], locators or []
    if len(quotes) != len(locators):
        raise typer.BadParameter(
            f"{len(quotes)} --quote but {len(locators)} --locator: give each quote its locator", param_hint="--locator"
        )
    return tuple(zip(quotes, locators, strict=True))


@add_app.command("source")
@_with_options(SOURCE_OPTIONS, after="source_id")
def add_source(
    review: ReviewDir = Path(),
    source_id: Annotated[str | None, typer.Option("--id", help="The id (default: first author and year).")] = None,
    no_input: NoInput = False,
    as_json: AsJson = False,
    **fields: Any,
) -> None:
    """Add a source: a new evidence file, ready for CMOCs."""
    from crm_review.edit import add_source as run_add_source
    from crm_review.entries import SourceInput

    given = SourceInput(id=source_id, **_values(fields))
    with reported():
        if given.missing() and _may_ask(no_input):
            from crm_review.prompts import Asker, ask_source

            ask = Asker(_stderr())
            with asking():
                given = ask_source(given, ask)
                if not ask.confirm("The new source:", given.record(given.id or "(from first author and year)")):
                    _echo("nothing was written", err=True)
                    return
        added = run_add_source(review, given)
    _print_added(added, as_json, "source")


@add_app.command("cmoc")
@_with_options(CMOC_OPTIONS, after="cmoc_id")
def add_cmoc(
    review: ReviewDir = Path(),
    source: Annotated[str | None, typer.Option(help="The id of the source the CMOC comes from.")] = None,
    cmoc_id: Annotated[str | None, typer.Option("--id", help="The id (default: <source>-N).")] = None,
    no_input: NoInput = False,
    as_json: AsJson = False,
    **fields: Any,
) -> None:
    """Add a CMOC to a source.

    The CMOC goes at the end of the source's cmocs: list; the rest of the file stays as it was.
    """
    from crm_review.edit import add_cmoc as run_add_cmoc
    from crm_review.entries import CmocInput

    values = _values(fields)
    given = CmocInput(
        source=source,
        id=cmoc_id,
        principles=values.pop("principles") or (),
        quotes=_quote_pairs(values.pop("quotes"), values.pop("locators")),
        themes=values.pop("themes") or (),
        **values,  # context, resource, response, outcome, direction, notes
    )
    with reported():
        if given.missing() and _may_ask(no_input):
            from crm_review.load import load_review_files
            from crm_review.prompts import Asker, ask_cmoc, confirm_cmoc

            files = load_review_files(review)
            if files.taxonomy is not None:  # otherwise add_cmoc below reports the taxonomy's errors
                known = files.taxonomy.record.principles
                ask = Asker(_stderr())
                with asking():
                    sources = [f.record.id for f in files.sources]
                    confirmed = confirm_cmoc(ask_cmoc(given, known, sources, ask), known, sources, ask)
                if confirmed is None:
                    _echo("nothing was written", err=True)
                    return
                given = confirmed
        added = run_add_cmoc(review, given)
    _print_added(added, as_json, "CMOC")


class ImportFormat(StrEnum):
    ris = "ris"
    bibtex = "bibtex"
    csl_json = "csl-json"


@app.command("import")
def import_(
    export: Annotated[Path, typer.Argument(help="A RIS, BibTeX or CSL-JSON export (e.g. from Zotero).")],
    review: ReviewDir = Path(),
    input_format: Annotated[
        ImportFormat | None, typer.Option("--format", help="The export's format (default: from its suffix).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be created; write nothing.")] = False,
    as_json: AsJson = False,
) -> None:
    """Create source stubs from a Zotero or EndNote export.

    Reads RIS, BibTeX or CSL-JSON; skips records the review already has (same DOI, or same title and year).
    """
    from crm_review.edit import import_references

    with reported(), _progress(machine_output=as_json):
        result = import_references(review, export, input_format.value if input_format else None, dry_run=dry_run)
    if as_json:
        payload = {
            "dry_run": result.dry_run,
            "created": [{"id": a.id, "file": str(a.path)} for a in result.created],
            "skipped": [{"title": s.reference.title, "reason": s.reason} for s in result.skipped],
            "notes": result.notes,
        }
        _echo_json(payload)
        return
    verb = "would create" if dry_run else "created"
    for added in result.created:
        _echo(f"{verb} {added.path}")
    for skipped in result.skipped:
        _echo(f"skipped {skipped.reference.title or '(untitled record)'}: {skipped.reason}")
    for note in result.notes:
        _echo(f"note: {note}")
    _stderr().print(f"{len(result.created)} {verb}, {len(result.skipped)} skipped")


class ListWhat(StrEnum):
    sources = "sources"
    cmocs = "cmocs"
    principles = "principles"


@app.command("list")
def list_(
    what: Annotated[ListWhat, typer.Argument(help="sources, cmocs or principles.")],
    review: ReviewDir = Path(),
    principle: Annotated[str | None, typer.Option(help="Only what links to this principle (id or prefix).")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source's CMOCs.")] = None,
    direction: Annotated[DirectionChoice | None, typer.Option(help="Only CMOCs of this direction.")] = None,
    relation: Annotated[
        RelationChoice | None, typer.Option(help="Only CMOCs that support, refute or refine (a principle).")
    ] = None,
    all_fields: Annotated[
        bool,
        typer.Option(
            "--all-fields", help="cmocs: every field, one row per quote with its locator (as in evidence.xlsx)."
        ),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """List sources, CMOCs or principles.

    A table in a terminal, tab-separated text when piped, JSON with --json.
    """
    if all_fields and what is not ListWhat.cmocs:
        raise typer.BadParameter("only `crm list cmocs` has more fields to show", param_hint="--all-fields")
    from crm_review import queries
    from crm_review.pipeline import load_valid_review

    with reported():
        loaded = load_valid_review(review)
        principle_id = None
        if principle:
            from crm_review.edit import resolve_principle  # edit.py brings the importers: only when needed

            principle_id = resolve_principle(principle, loaded.principles)
        where = queries.CmocFilter(
            principle_id, source, direction.value if direction else None, relation.value if relation else None
        )
        rows = {
            ListWhat.sources: queries.source_rows,
            ListWhat.cmocs: queries.cmoc_rows_all_fields if all_fields else queries.cmoc_rows,
            ListWhat.principles: queries.principle_rows,
        }[what](loaded, where)
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        filtered = principle or source or direction or relation
        _stderr().print(f"no {what.value} match" if filtered else f"no {what.value} yet")
        return
    console = Console(soft_wrap=False, highlight=False)
    if console.is_terminal and all_fields:
        for row in rows:  # seventeen columns side by side would be unreadable: one field a line instead
            console.print(_record(row))
        return
    if console.is_terminal:
        console.print(_table(what.value, rows))
        return
    _echo("\t".join(rows[0]))
    for row in rows:
        _echo("\t".join(_cell(value) for value in row.values()))


def _cell(value: object) -> str:
    """One table cell on one line; control characters shown as escapes, in the table as in piped text."""
    if value is None:
        return ""
    if isinstance(value, list):
        return visible(", ".join(str(v) for v in value), keep="")
    return visible(" ".join(str(value).split()), keep="")


def _table(title: str, rows: list[dict[str, object]]) -> object:
    from rich.table import Table

    table = Table(title=f"{len(rows)} {title}", title_justify="left")
    for column in rows[0]:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(_cell(value)) for value in row.values()))
    return table


def _record(row: dict[str, object]) -> object:
    from rich.table import Table

    table = Table(title=f"{row['id']}, quote {row['quote_number']}", title_justify="left", show_header=False)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for field, value in row.items():
        if value is not None and field not in ("id", "quote_number"):
            table.add_row(field, escape(str(value)))
    return table


@app.command()
def show(
    item_id: Annotated[str, typer.Argument(metavar="ID", help="A source, CMOC or principle id.")],
    review: ReviewDir = Path(),
    as_json: AsJson = False,
) -> None:
    """Show one source, CMOC or principle in full.

    A principle is shown with every CMOC linked to it.
    """
    from crm_review.pipeline import load_valid_review
    from crm_review.queries import find

    with reported():
        found = find(load_valid_review(review), item_id)
    data = found.as_json()
    if as_json:
        _echo_json(data)
        return
    from crm_review.yamltext import dump

    _echo(dump(data), nl=False)


# --- changing what is there ---------------------------------------------------------------------


@app.command()
@_with_options(SOURCE_OPTIONS, CMOC_OPTIONS, after="review")
def edit(
    item_id: Annotated[str, typer.Argument(metavar="ID", help="A source or CMOC id.")],
    review: ReviewDir = Path(),
    relations: Annotated[
        list[str] | None,
        typer.Option(
            "--relation",
            metavar="ID=RELATION",
            help="Link one principle so, leaving the others (e.g. motivations=refines).",
        ),
    ] = None,
    editor: Annotated[bool, typer.Option("--editor", help="Open only this entry in $EDITOR.")] = False,
    no_input: NoInput = False,
    as_json: AsJson = False,
    **fields: Any,
) -> None:
    """Change a source or a CMOC.

    At a terminal, asks each field with its current value ready to edit, shows what changes and asks a
    last yes/no. Flags change fields directly (for scripts): --title to --first-page those of a source,
    --context to --theme those of a CMOC, --notes either. A repeated flag (--author, --principle,
    --quote...) replaces the whole list; "" removes an optional field. The rest of the file stays as it was.
    """
    from crm_review.entries import CmocChanges, SourceChanges

    values = _values(fields)
    source_values = {name: values[name] for name in SOURCE_OPTIONS}
    principles = values["principles"]
    cmoc_changes = CmocChanges(
        context=values["context"],
        resource=values["resource"],
        response=values["response"],
        outcome=values["outcome"],
        direction=values["direction"],
        quotes=_quote_pairs(values["quotes"], values["locators"]),
        notes=values["notes"],
        themes=values["themes"],
    )
    with reported():
        from crm_review import revise

        if editor:
            edited = revise.edit_in_editor(review, item_id)
            if edited is None:
                _echo("nothing was written", err=True)
                return
        elif any(v is not None for v in source_values.values()) or not cmoc_changes.empty() or principles or relations:
            edited = revise.edit_with_flags(
                review, item_id, SourceChanges(source_values), cmoc_changes, principles or [], relations or []
            )
        elif _may_ask(no_input):
            maybe = _edit_at_terminal(review, item_id)
            if maybe is None:
                return
            edited = maybe
        else:
            raise typer.BadParameter(
                "nothing to change: give flags (e.g. --relevance high), run it at a terminal, or use --editor"
            )
    _print_edited(edited, as_json)


def _edit_at_terminal(review: Path, item_id: str) -> Edited | None:
    """Ask every field with its current value, show what changes, write after a last yes (None: nothing written)."""
    from crm_review import revise
    from crm_review.prompts import Asker, ask_edit

    ask = Asker(_stderr())
    with asking():
        answers = ask_edit(review, item_id, ask)
    if answers is None:
        _echo("nothing was written", err=True)
        return None
    entry, final = answers
    return revise.edit_entry(review, item_id, lambda _entry, _principles: final, expected=entry.data)


def _print_edited(edited: Edited, as_json: bool) -> None:
    if as_json:
        changes = [{"field": d.field, "old": d.old, "new": d.new} for d in edited.changes]
        _echo_json({"id": edited.id, "file": str(edited.path), "changes": changes})
        return
    if not edited.changes:
        _echo(f"{edited.id} already reads so: nothing was written")
        return
    _echo(f"edited {edited.id} in {edited.path}")
    for difference in edited.changes:
        _echo(f"  {difference}")


@app.command()
def remove(
    item_id: Annotated[str, typer.Argument(metavar="ID", help="A source (with its CMOCs) or a CMOC.")],
    review: ReviewDir = Path(),
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Remove without asking (for scripts).")] = False,
    as_json: AsJson = False,
) -> None:
    """Remove a source (its file, with its CMOCs) or one CMOC.

    Shows what goes and what refers to it elsewhere, then asks for a yes (scripts give --yes).
    """
    from crm_review import revise
    from crm_review.errors import NotConfirmed
    from crm_review.references import NAMES

    with reported():
        plan = revise.plan_removal(review, item_id)
        if not as_json:
            for line in _removal_lines(plan):
                _stderr().print(escape(line))
        if not yes:
            if not _may_ask(False):
                raise NotConfirmed("crm remove needs a yes: add --yes to remove without being asked")
            from crm_review.prompts import Asker

            ask = Asker(_stderr())
            with asking():
                if not ask.yes(f"Remove {NAMES[plan.kind]} {item_id}?", default=False):
                    _echo("nothing was written", err=True)
                    return
        removed = revise.remove_entry(review, item_id)
    if as_json:
        refs = [{"file": str(r.path), "line": r.line, "holder": r.holder, "id": r.target} for r in removed.references]
        payload = {
            "removed": removed.kind,
            "id": removed.id,
            "file": str(removed.path),
            "cmocs": list(removed.cmoc_ids),
        }
        _echo_json({**payload, "referred_to_by": refs})
        return
    _echo(
        f"removed {NAMES[removed.kind]} {removed.id} "
        + ("(deleted " if removed.kind == "source" else "from ")
        + f"{removed.path}"
        + (")" if removed.kind == "source" else "")
    )


def _removal_lines(plan: Removal) -> list[str]:
    if plan.kind == "source":
        lines = [f"This removes source {plan.id}: the file {plan.path}"]
        if plan.cmoc_ids:
            lines[0] += f" with its {len(plan.cmoc_ids)} CMOC(s): {', '.join(plan.cmoc_ids)}"
    else:
        lines = [f"This removes CMOC {plan.id} from {plan.path}"]
    if plan.references:
        lines.append("Still naming it afterwards (check them after removing):")
        lines += [f"  {ref.describe()}" for ref in plan.references]
    else:
        lines.append("Nothing else in the review refers to it.")
    return lines


class KindChoice(StrEnum):
    principle = "principle"
    source = "source"
    cmoc = "cmoc"


@app.command("rename")
def rename_(
    kind: Annotated[KindChoice, typer.Argument(help="principle, source or cmoc.")],
    old: Annotated[str, typer.Argument(help="The id now.")],
    new: Annotated[str, typer.Argument(help="The new id.")],
    review: ReviewDir = Path(),
    as_json: AsJson = False,
) -> None:
    """Rename a principle, source or CMOC id everywhere.

    Every reference in every file is rewritten (and a source's file renamed, with its CMOCs' ids), in one
    change that is written whole or not at all.
    """
    from crm_review.references import NAMES
    from crm_review.revise import rename as run_rename

    with reported():
        done = run_rename(review, kind.value, old, new)
    if as_json:
        payload = {
            "kind": done.kind,
            "ids": done.ids,
            "files": [str(p) for p in done.paths],
            "moved": [{"from": str(a), "to": str(b)} for a, b in done.moved],
        }
        _echo_json(payload)
        return
    for old_id, new_id in done.ids.items():
        _echo(f"renamed {NAMES[done.kind]} {old_id} -> {new_id}")
    for source, target in done.moved:
        _echo(f"moved {source} -> {target}")
    for path in done.paths:
        _echo(f"rewrote {path}")


# --- judging confidence ------------------------------------------------------------------------

Level = Annotated[str | None, typer.Option(metavar="LEVEL", help="no, minor, moderate or serious (concerns).")]
Why = Annotated[str | None, typer.Option(metavar="TEXT", help="Why: the explanation of that judgement.")]


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"`{value}` is not a date: write it as YYYY-MM-DD", param_hint="--on") from None


@app.command()
def assess(
    principle: Annotated[
        str, typer.Argument(metavar="PRINCIPLE", help="A principle id or an unambiguous start of it.")
    ],
    review: ReviewDir = Path(),
    finding: Annotated[str | None, typer.Option(metavar="TEXT", help="The finding's summary statement.")] = None,
    limitations: Level = None,
    limitations_why: Why = None,
    coherence: Level = None,
    coherence_why: Why = None,
    adequacy: Level = None,
    adequacy_why: Why = None,
    relevance: Level = None,
    relevance_why: Why = None,
    confidence: Annotated[
        str | None, typer.Option(metavar="LEVEL", help="Overall: high, moderate, low or very low.")
    ] = None,
    confidence_why: Why = None,
    assessed_by: Annotated[
        list[str] | None, typer.Option("--by", metavar="NAME", help="Who judged; repeat for each person.")
    ] = None,
    assessed_on: Annotated[str | None, typer.Option("--on", metavar="DATE", help="When (default: today).")] = None,
    notes: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Free text (kept from before if not given).")
    ] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace an existing assessment.")] = False,
    suggest_only: Annotated[
        bool, typer.Option("--suggest", help="Only show the evidence and the rule's suggestion; write nothing.")
    ] = False,
    no_input: NoInput = False,
    as_json: AsJson = False,
) -> None:
    """Judge confidence in a principle's finding, GRADE-CERQual style.

    Shows the evidence in numbers and the rule's suggestion for each component, then asks for the
    team's judgements and explanations, and writes assessments/PRINCIPLE.yaml.
    """
    from crm_review.assess import AssessmentInput, brief, nothing_to_assess, principle_for, write_assessment
    from crm_review.pipeline import load_valid_review

    given = AssessmentInput(
        finding=finding,
        concerns={
            "methodological_limitations": limitations,
            "coherence": coherence,
            "adequacy": adequacy,
            "relevance": relevance,
        },
        explanations={
            "methodological_limitations": limitations_why,
            "coherence": coherence_why,
            "adequacy": adequacy_why,
            "relevance": relevance_why,
        },
        confidence=confidence,
        explanation=confidence_why,
        assessed_by=tuple(assessed_by or ()),
        assessed_on=_date(assessed_on),
        notes=notes,
    )
    with reported():
        loaded = load_valid_review(review)
        shown = brief(loaded, principle_for(loaded, principle))
        if suggest_only:
            _print_brief(shown, as_json)
            return
        if not shown.cmoc_ids:
            raise nothing_to_assess(shown.principle.id)
        interactive = bool(given.missing()) and _may_ask(no_input)
        if interactive:
            from crm_review.prompts import ask_assessment, show_brief

            console = _stderr()
            show_brief(shown, console)
            given = ask_assessment(shown, given, console)
            replace = replace or shown.existing is not None
        given = dataclasses.replace(given, cmocs=shown.cmoc_ids)
        written = write_assessment(review, shown.principle.id, given, replace_existing=replace)
    if as_json:
        _write(
            json_text(json.dumps({"principle": written.principle, "file": str(written.path), "cmocs": written.covered}))
        )
    else:
        _echo(f"wrote {written.path} (covers {written.covered} CMOC(s) of `{written.principle}`)")


def _print_brief(shown: Brief, as_json: bool) -> None:
    data = {
        "principle": shown.principle.id,
        "sources": list(shown.source_ids),
        "cmocs": list(shown.cmoc_ids),
        "relations": shown.relations,
        "directions": shown.directions,
        "rigour": shown.rigour,
        "relevance": shown.relevance,
        "patterns": [{"theme": t, "cmocs": c, "sources": s} for t, c, s in shown.patterns],
        "suggestion": {
            "components": {s.component: {"concern": s.concern, "reason": s.reason} for s in shown.suggested},
            "confidence": shown.suggested_confidence,
        },
        "assessed": shown.existing is not None,
        "stale": bool(shown.coverage and shown.coverage.stale),
    }
    if as_json:
        _echo_json(data)
        return
    from crm_review.prompts import show_brief

    show_brief(shown, Console(soft_wrap=True, highlight=False))
    for s in shown.suggested:
        _echo(f"suggestion: {s.label}: {s.concern} concerns ({s.reason})")
    _echo(f"suggestion: overall confidence: {shown.suggested_confidence or 'none (no evidence)'}")


# --- synthesis --------------------------------------------------------------------------------


def _formats(value: str) -> tuple[str, ...]:
    from crm_review.outputs import OUTPUT_FORMATS

    chosen = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [f for f in chosen if f not in OUTPUT_FORMATS]
    if unknown or not chosen:
        raise typer.BadParameter(f"choose from {', '.join(OUTPUT_FORMATS)}, separated by commas", param_hint="--format")
    return tuple(f for f in OUTPUT_FORMATS if f in chosen)


@app.command()
def synthesize(
    review: ReviewDir = Path(),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write (default: review/).")] = None,
    formats: Annotated[
        str, typer.Option("--format", "-f", help="Any of md, html, json, explorer, docx, xlsx, csv, comma-separated.")
    ] = "md,html,json,explorer,docx,xlsx",
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 naming the documents that are out of date.")
    ] = False,
    no_cache: NoCache = False,
) -> None:
    """Render the review document.

    Builds the graph of sources, CMOCs and principles, analyses it, and writes REVIEW.md, review.html,
    review.json, the evidence explorer explorer.html, review.docx and evidence.xlsx (by default into
    review/); csv adds cmocs.csv, sources.csv and principles.csv.
    """
    from crm_review.pipeline import synthesize as run_synthesis

    chosen = _formats(formats)
    with reported(), _progress():
        result = run_synthesis(review, out, chosen, check=check, use_cache=not no_cache)
    for path in result.paths:
        _echo(f"{'up to date' if check else 'wrote'} {path}")


class GraphFormat(StrEnum):
    graphml = "graphml"
    gexf = "gexf"
    json = "json"
    dot = "dot"
    mermaid = "mermaid"


@app.command()
def graph(
    review: ReviewDir = Path(),
    graph_format: Annotated[GraphFormat, typer.Option("--format", "-f", help="The file format.")] = GraphFormat.graphml,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="The file to write (default: print).")] = None,
) -> None:
    """Export the evidence graph.

    Sources, CMOCs and principles as GraphML, GEXF, JSON, DOT or Mermaid.
    """
    from crm_review.files import write_atomic
    from crm_review.pipeline import export

    with reported():
        text = export(review, graph_format.value)
        if output is not None:
            write_atomic(output, text)
    _echo(f"wrote {output}" if output is not None else text, nl=output is not None)


# --- teams: history and changes ------------------------------------------------------------------


class ChangeFormat(StrEnum):
    rich = "rich"
    md = "md"
    json = "json"


ChangeFormatOption = Annotated[
    ChangeFormat, typer.Option("--format", "-f", help="rich at a terminal, md for a report or a pull request, json.")
]
ChangesFile = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead.")]


def _print_markdown(text: str) -> None:
    """Markdown drawn by rich at a terminal; the Markdown itself when piped or written to a file."""
    console = Console(highlight=False)
    if console.is_terminal:
        from rich.markdown import Markdown

        console.print(Markdown(visible(text)))
    else:
        _echo(text, nl=False)


@app.command()
def diff(
    base: Annotated[
        str | None,
        typer.Argument(metavar="BASE", help="A git revision (default: where this branch left the default branch)."),
    ] = None,
    head: Annotated[
        str | None, typer.Argument(metavar="HEAD", help="A git revision (default: the files as they are now).")
    ] = None,
    review: ReviewDir = Path(),
    output_format: ChangeFormatOption = ChangeFormat.rich,
    output: ChangesFile = None,
) -> None:
    """Show what changed in the review between two git revisions.

    Sources, CMOCs field by field, principle links, the principles themselves, the evidence and confidence
    per principle, and patterns that appeared or vanished.
    """
    from crm_review import diffreport
    from crm_review.versions import compare

    with reported():
        changes = compare(review, base, head)
        text = diffreport.as_json(changes) if output_format is ChangeFormat.json else diffreport.as_markdown(changes)
    _show_changes(text, output_format, output)


def _show_changes(text: str, output_format: ChangeFormat, output: Path | None) -> None:
    """The report of `crm diff` and `crm log`: written to ``output`` (saying so), or printed in its format."""
    if output is not None:
        from crm_review.files import write_atomic

        with reported():
            write_atomic(output, text)
        _echo(f"wrote {output}")
    elif output_format is ChangeFormat.rich:
        _print_markdown(text)
    elif output_format is ChangeFormat.json:
        _write(json_text(text), nl=False)
    else:
        _echo(text, nl=False)


@app.command()
def log(
    revision: Annotated[
        str, typer.Argument(metavar="REVISION", help="Show the history up to this git revision.")
    ] = "HEAD",
    review: ReviewDir = Path(),
    output_format: ChangeFormatOption = ChangeFormat.rich,
    output: ChangesFile = None,
) -> None:
    """The history of the principles and their evidence.

    Commit by commit, newest first, in Markdown for the review's report (RAMESES item 5: changes in the review process).
    """
    from crm_review import history

    with reported():
        entries = history.review_log(review, revision)
        text = history.as_json(entries) if output_format is ChangeFormat.json else history.as_markdown(entries)
    _show_changes(text, output_format, output)


@app.command("pr-comment")
def pr_comment(
    report_file: Annotated[Path, typer.Argument(metavar="FILE", help="The Markdown to post, e.g. from crm diff -o.")],
) -> None:
    """Post or update the pull request's crm comment (in CI).

    Posts the report as the pull request's crm comment, or edits the one an earlier run posted. Reads the pull request from GitHub Actions' environment; one comment per pull request, edited on
    each push. Where the token may not comment (a fork's pull request), it says so and succeeds.
    """
    import os

    from crm_review.prcomment import post_or_update

    with reported():
        posted = post_or_update(report_file.read_text(encoding="utf-8"), os.environ)
    if posted.action == "skipped":
        _stderr().print(f"note: no comment posted: {escape(posted.reason)}; the report is in the run's summary")
    else:
        _echo(f"{posted.action} {posted.url}".rstrip())


@app.command("merge-file")
def merge_file(
    base: Annotated[Path, typer.Argument(metavar="BASE", help="The common ancestor's version (git's %O).")],
    ours: Annotated[Path, typer.Argument(metavar="OURS", help="Our version, replaced by the result (git's %A).")],
    theirs: Annotated[Path, typer.Argument(metavar="THEIRS", help="Their version (git's %B).")],
    path: Annotated[
        str, typer.Argument(metavar="PATH", help="The file's path in the repository, for messages (git's %P).")
    ] = "",
) -> None:
    """Merge an evidence file (git's merge driver).

    Git runs this as the merge driver `crm init` registers.
    Both sides' new CMOCs are kept; one whose id the other side took too gets the next free number.
    Anything else that both sides changed is left with conflict markers, and the exit code is 1.
    """
    from crm_review.errors import MergeFailed
    from crm_review.files import write_atomic
    from crm_review.merging import merge_evidence

    with reported():
        try:
            base_text, ours_text, theirs_text = (p.read_bytes().decode("utf-8") for p in (base, ours, theirs))
        except UnicodeDecodeError:
            raise MergeFailed(f"{path or ours} is not UTF-8 text: merge it by hand") from None
        result = merge_evidence(base_text, ours_text, theirs_text, label=path or str(ours))
        write_atomic(ours, result.text)
    for old, new in result.renumbered:
        _stderr().print(f"crm: {escape(path)}: their CMOC {old} is now {new} (both branches added {old})")
    if result.conflicts:
        _stderr().print(f"crm: {escape(path)}: {result.conflicts} conflict(s) left for you to resolve")
        raise typer.Exit(1)


@app.command()
def renumber(
    old: Annotated[str, typer.Argument(metavar="ID", help="The CMOC to renumber.")],
    new: Annotated[
        str | None, typer.Argument(metavar="NEW", help="Its new id (default: the next free number).")
    ] = None,
    review: ReviewDir = Path(),
) -> None:
    """Give a CMOC a new id, and update the notes that mention it.

    When two CMOCs share the id (a merge kept both), the later one is renumbered.
    """
    from crm_review.merging import renumber as run_renumber

    with reported():
        done = run_renumber(review, old, new)
    _echo(f"renumbered {done.old} to {done.new} in {done.path}")
    for where, line in done.mentions:
        _echo(f"updated the mention in {where}:{line}")
    for where, line in done.left:
        _echo(f"check {where}:{line}: it mentions {done.old}, which may have meant either CMOC")
    _echo("run `crm synthesize` to update the review document")


def main() -> None:
    app(prog_name="crm")
