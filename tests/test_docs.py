"""Docs that cannot drift: every command has help and is described in the README."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from conftest import REPO
from crm_review.cli import app

README = (REPO / "README.md").read_text(encoding="utf-8")


def command_names() -> list[str]:
    group = typer.main.get_group(app)
    names = []
    for name, command in sorted(group.commands.items()):
        sub = getattr(command, "commands", None)
        names += [f"{name} {child}" for child in sorted(sub)] if sub else [name]
    return names


@pytest.mark.parametrize("command", command_names())
def test_command_has_help_and_a_readme_section(command: str, runner: CliRunner) -> None:
    """`crm COMMAND --help` explains it, and the README documents it under its own heading."""
    result = runner.invoke(app, [*command.split(), "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    # init makes the folder it is given; git and GitHub Actions run merge-file and pr-comment on files
    if command not in ("init", "merge-file", "pr-comment"):
        assert "--review" in result.output
    assert re.search(rf"^### `crm {re.escape(command)}", README, re.MULTILINE), command


def test_readme_quick_start_is_the_two_make_commands() -> None:
    """The quick start is `make review` and `make test`, which the Makefile defines."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "make review" in README and "make test" in README
    assert re.search(r"^review:", makefile, re.MULTILINE) and re.search(r"^test:", makefile, re.MULTILINE)
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_pre_commit_hooks_run_crm() -> None:
    """Review repositories can run validate and the staleness check as pre-commit hooks."""
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert hooks["crm-validate"]["entry"] == "crm validate"
    assert hooks["crm-synthesize-check"]["entry"] == "crm synthesize --check"
    assert hooks["crm-verify"]["entry"] == "crm verify"
