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
    if command != "init":  # init makes the review folder it is given, so it takes DIR as an argument
        assert "--review" in result.output
    assert re.search(rf"^### `crm {re.escape(command)}", README, re.MULTILINE), command


def test_readme_quick_start_is_the_two_make_commands() -> None:
    """The quick start is `make review` and `make test`, which the Makefile defines."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "make review" in README and "make test" in README
    assert re.search(r"^review:", makefile, re.MULTILINE) and re.search(r"^test:", makefile, re.MULTILINE)
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_repository_workflow_is_the_one_crm_init_writes() -> None:
    """This repository runs the workflow review teams get, installing crm-review from the checkout."""
    import yaml

    from crm_review import layout

    ours = yaml.safe_load((REPO / ".github" / "workflows" / "review.yml").read_text(encoding="utf-8"))
    theirs = yaml.safe_load(layout.packaged("defaults", "scaffold", "review.yml").read_text(encoding="utf-8"))
    for workflow in (ours, theirs):
        for step in workflow["jobs"]["review"]["steps"]:
            if step.get("name") == "Install crm-review":
                step["run"] = "install"
        for event in ("push", "pull_request"):
            workflow[True][event]["paths"] = [p for p in workflow[True][event]["paths"] if p != "src/**"]
    assert ours == theirs
    steps = [step.get("run", "") for step in ours["jobs"]["review"]["steps"]]
    assert "crm validate --format github" in steps and "crm synthesize --check" in steps


def test_pre_commit_hooks_run_crm() -> None:
    """Review repositories can run validate and the staleness check as pre-commit hooks."""
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert hooks["crm-validate"]["entry"] == "crm validate"
    assert hooks["crm-synthesize-check"]["entry"] == "crm synthesize --check"
    assert hooks["crm-verify"]["entry"] == "crm verify"
