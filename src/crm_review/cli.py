"""The ``crm`` command: parse arguments, call one library function, print. No work happens here."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from crm_review import report
from crm_review.errors import CrmError, InvalidEvidence

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


@contextmanager
def reported() -> Iterator[None]:
    """Turn a user-facing failure into its message on stderr and exit code 1; let bugs keep their traceback."""
    try:
        yield
    except InvalidEvidence as exc:
        for line in report.as_text(exc.problems):
            typer.echo(line, err=True)
        _stderr().print(f"[red]{len(exc.problems)} error(s)[/red]: nothing was written")
        raise typer.Exit(1) from None
    except CrmError as exc:
        _stderr().print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None


def _show_version(value: bool) -> None:
    if value:
        from crm_review import __version__

        typer.echo(f"crm-review {__version__}")
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


@app.command()
def validate(
    review: ReviewDir = Path(),
    output_format: Annotated[
        ProblemFormat, typer.Option("--format", "-f", help="text for people, json for scripts, github for annotations.")
    ] = ProblemFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check every evidence and config file; report each problem as path:line:col."""
    from crm_review.pipeline import validate as run_validation

    with reported():
        result = run_validation(review)
    if output_format is ProblemFormat.json:
        typer.echo(report.as_json(result.problems))
    else:
        lines = (
            report.as_github(result.problems)
            if output_format is ProblemFormat.github
            else report.as_text(result.problems)
        )
        for line in lines:
            typer.echo(line)
    if output_format is ProblemFormat.text:
        sources = len(result.review.sources) if result.review else 0
        cmocs = len(result.review.cmocs()) if result.review else 0
        summary = f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)"
        if result.review is not None:
            summary += f"; {sources} source(s), {cmocs} CMOC(s)"
        _stderr().print(summary)
    if result.failed(strict=strict):
        raise typer.Exit(1)


def main() -> None:
    app(prog_name="crm")


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(0)
