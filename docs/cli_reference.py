"""The README's command reference, generated from the CLI itself so that help and README cannot drift.

`make docs` rewrites the README's reference with cog; `make test` runs `cog --check` and fails when
the README no longer matches what `crm COMMAND --help` prints.
"""

from __future__ import annotations

from typer.testing import CliRunner

from crm_review.cli import app

WIDTH = 100
"""Help is wrapped at this many columns in the README, whatever the terminal of whoever regenerates it."""


def commands() -> list[str]:
    """Every command, subcommands under their group (``add cmoc``), as `crm --help` lists them."""
    import typer.main

    group = typer.main.get_group(app)
    found: list[str] = []
    for name, command in sorted(group.commands.items()):
        children = getattr(command, "commands", None)
        found += [f"{name} {child}" for child in sorted(children)] if children else [name]
    return found


def help_text(path: str) -> str:
    """What `crm PATH --help` prints at ``WIDTH`` columns."""
    result = CliRunner().invoke(
        app, [*path.split(), "--help"], prog_name="crm", terminal_width=WIDTH, env={"COLUMNS": str(WIDTH)}
    )
    assert result.exit_code == 0, result.output
    return result.output.rstrip() + "\n"


def markdown() -> str:
    """One heading and one block of help per command, in the order `crm --help` lists them."""
    return "\n".join(f"#### `crm {path}`\n\n```text\n{help_text(path)}```\n" for path in commands())
