"""`crm init`: a new review, or the missing parts of an existing folder, with an install spec CI can use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO, snapshot
from crm_review import install
from crm_review.cli import app
from crm_review.errors import InstallUnknown
from crm_review.pipeline import validate
from gitrepos import git, new_repository

REAL_DETECTED_SPEC = install.detected_spec  # conftest replaces it for every test; these tests want the real one
WORKFLOW = Path(".github") / "workflows" / "review.yml"


def test_init_makes_a_valid_review_with_ci(tmp_path: Path, runner: CliRunner) -> None:
    """A new review validates at once and carries the CI workflow, .gitattributes and a README for the team."""
    root = tmp_path / "my-review"
    result = runner.invoke(app, ["init", str(root)], catch_exceptions=False)
    assert result.exit_code == 0
    assert validate(root).errors == ()
    workflow = (root / WORKFLOW).read_text()
    assert "crm validate --format github" in workflow and "crm diff HEAD^1 HEAD" in workflow
    assert 'run: python -m pip install "crm-review==' in workflow
    assert (root / "README.md").read_text().startswith("# My review\n")
    assert ".crm.lock" in (root / ".gitignore").read_text()
    assert "evidence/*.yaml merge=crm-evidence" in (root / ".gitattributes").read_text()
    assert f"created  {root / WORKFLOW}" in result.output


def test_init_install_sets_what_ci_installs(tmp_path: Path, runner: CliRunner) -> None:
    """--install puts the team's own pip requirement into the workflow."""
    spec = "crm-review @ git+https://example.org/team/crm-review@v0.1.0"
    runner.invoke(app, ["init", str(tmp_path), "--install", spec], catch_exceptions=False)
    workflow = (tmp_path / WORKFLOW).read_text()
    assert f'run: python -m pip install "{spec}"' in workflow


def test_init_blank_has_no_principles(tmp_path: Path, runner: CliRunner) -> None:
    """--blank starts the taxonomy empty for a team with its own programme theory."""
    runner.invoke(app, ["init", str(tmp_path), "--blank", "--title", "T"], catch_exceptions=False)
    assert (tmp_path / "configs" / "principles.yaml").read_text() == "principles: []\n"
    assert validate(tmp_path).errors == ()


# --- an existing folder ---------------------------------------------------------------------------


def test_init_into_a_folder_github_made_keeps_its_files(tmp_path: Path, runner: CliRunner) -> None:
    """A repository GitHub created with a README and .gitignore: both kept, the rest written, each named."""
    (tmp_path / "README.md").write_text("# Our review\n\nWritten by us.\n")
    (tmp_path / ".gitignore").write_text("*.pyc\n.crm.lock\n")
    result = runner.invoke(app, ["init", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0
    assert (tmp_path / "README.md").read_text() == "# Our review\n\nWritten by us.\n"
    assert f"kept     {tmp_path / 'README.md'} (already there; --force README.md replaces it)" in result.output
    gitignore = (tmp_path / ".gitignore").read_text()
    assert gitignore.startswith("*.pyc\n.crm.lock\n# Added by `crm init`\n")
    assert gitignore.count(".crm.lock") == 1 and "preview/" in gitignore
    assert f"added to {tmp_path / '.gitignore'}: preview/" in result.output
    assert f"created  {tmp_path / 'configs' / 'review.yaml'}" in result.output
    assert validate(tmp_path).errors == ()


def test_init_twice_changes_nothing(tmp_path: Path, runner: CliRunner) -> None:
    """Running init again in a complete review keeps every file byte for byte and says so."""
    runner.invoke(app, ["init", str(tmp_path)], catch_exceptions=False)
    (tmp_path / "configs" / "review.yaml").write_text("title: Ours\nquestion: Why?\n")
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["init", str(tmp_path)], catch_exceptions=False)
    assert snapshot(tmp_path) == before
    assert "created" not in result.output and result.output.count("kept") == 7


def test_force_replaces_one_deleted_or_changed_file(tmp_path: Path, runner: CliRunner) -> None:
    """--force FILE restores the workflow and leaves every other file as the team wrote it."""
    runner.invoke(app, ["init", str(tmp_path)], catch_exceptions=False)
    (tmp_path / WORKFLOW).write_text("name: broken\n")
    (tmp_path / "README.md").write_text("ours\n")
    result = runner.invoke(app, ["init", str(tmp_path), "--force", str(WORKFLOW)], catch_exceptions=False)
    assert "crm validate --format github" in (tmp_path / WORKFLOW).read_text()
    assert (tmp_path / "README.md").read_text() == "ours\n"
    assert f"replaced {tmp_path / WORKFLOW}" in result.output


def test_force_of_a_file_init_does_not_write_is_refused(tmp_path: Path, runner: CliRunner) -> None:
    """--force names only scaffold files: anything else is one line listing them, and nothing is written."""
    result = runner.invoke(app, ["init", str(tmp_path), "--force", "evidence/doe-2020.yaml"])
    assert result.exit_code == 1
    assert "--force evidence/doe-2020.yaml: crm init does not write that file; it writes configs/review.yaml" in (
        result.output
    )
    assert snapshot(tmp_path) == {}


def test_init_in_a_repository_registers_the_merge_driver(tmp_path: Path, runner: CliRunner) -> None:
    """In a git repository, init registers crm's merge driver in the clone's own config."""
    new_repository(tmp_path)
    result = runner.invoke(app, ["init", str(tmp_path)], catch_exceptions=False)
    driver = git(tmp_path, "config", "merge.crm-evidence.driver").strip()
    assert f"{sys.executable} -m crm_review merge-file %O %A %B %P" in driver
    assert "registered the `crm-evidence` merge driver" in result.output


def test_init_outside_a_repository_says_how_to_register_later(tmp_path: Path, runner: CliRunner) -> None:
    """Outside git, init says to run it again after `git init`."""
    result = runner.invoke(app, ["init", str(tmp_path / "r")], catch_exceptions=False)
    assert (
        "note: not a git repository yet: after `git init` (or in each clone), run `crm init .` again" in result.output
    )


# --- what CI installs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direct_url", "spec"),
    [
        (None, "crm-review==1.2.0"),
        (
            {"url": "https://github.com/org/crm-review.git", "vcs_info": {"vcs": "git", "commit_id": "abc123"}},
            "crm-review @ git+https://github.com/org/crm-review.git@abc123",
        ),
        (
            {
                "url": "https://user:secret@example.org/org/tools.git",
                "vcs_info": {"vcs": "git", "commit_id": "abc123", "requested_revision": "v1.2.0"},
                "subdirectory": "crm",
            },
            "crm-review @ git+https://example.org/org/tools.git@abc123#subdirectory=crm",
        ),
        (
            {"url": "https://files.example.org/crm_review-1.2.0-py3-none-any.whl", "archive_info": {}},
            "crm-review @ https://files.example.org/crm_review-1.2.0-py3-none-any.whl",
        ),
    ],
)
def test_install_spec_from_where_crm_came_from(direct_url: dict[str, object] | None, spec: str) -> None:
    """PEP 610 direct_url.json gives the release, the git commit or the archive CI installs; never a password."""
    assert install.spec_from("1.2.0", json.dumps(direct_url) if direct_url else None) == spec


@pytest.mark.parametrize(
    ("direct_url", "kind"),
    [
        ({"url": "file:///home/me/crm-review", "dir_info": {"editable": True}}, "an editable checkout"),
        ({"url": "file:///home/me/crm-review", "dir_info": {}}, "a local folder"),
        ({"url": "file:///home/me/crm_review-1.2.0-py3-none-any.whl", "archive_info": {}}, "a local file"),
        (
            {"url": "file:///home/me/crm-review", "vcs_info": {"vcs": "git", "commit_id": "abc"}},
            "a local git repository",
        ),
    ],
)
def test_local_installs_cannot_be_put_into_ci(direct_url: dict[str, object], kind: str) -> None:
    """A local folder, checkout or file is named, with what to give instead."""
    with pytest.raises(InstallUnknown) as caught:
        install.spec_from("1.2.0", json.dumps(direct_url))
    assert f"crm-review was installed from {kind} (/home/me/crm" in str(caught.value)
    assert '--install "crm-review @ git+https://github.com/YOUR-ORG/crm-review@v' in str(caught.value)


def test_editable_install_in_a_script_fails_with_what_to_do(tmp_path: Path) -> None:
    """The real crm of this checkout (an editable install) in a script: exit 1, one clear line, nothing written."""
    crm = Path(sys.executable).parent / "crm"
    done = subprocess.run(
        [str(crm), "init", str(tmp_path / "r")], capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )
    assert done.returncode == 1
    assert f"crm-review was installed from an editable checkout ({REPO}" in done.stderr
    assert "--install" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "r" / WORKFLOW).exists()


def test_at_a_terminal_init_asks_what_ci_installs(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a terminal, the reason is shown and the answer goes into the workflow."""
    from crm_review import prompts

    def local() -> str:
        raise InstallUnknown("crm-review was installed from an editable checkout (/src), which CI cannot reach")

    monkeypatch.setattr(install, "detected_spec", local)
    monkeypatch.setattr(prompts, "stdin_is_terminal", lambda: True)
    spec = "crm-review @ git+https://github.com/org/crm-review@v0.1.0"
    result = runner.invoke(app, ["init", str(tmp_path)], input=f"{spec}\n", catch_exceptions=False)
    assert result.exit_code == 0
    assert "which CI cannot reach" in result.output and "What should CI install with pip" in result.output
    assert f'python -m pip install "{spec}"' in (tmp_path / WORKFLOW).read_text()


def test_kept_workflow_needs_no_install_spec(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Completing a folder whose workflow is there never asks what CI installs."""
    monkeypatch.setattr(install, "detected_spec", REAL_DETECTED_SPEC)
    (tmp_path / WORKFLOW).parent.mkdir(parents=True)
    (tmp_path / WORKFLOW).write_text("name: ours\n")
    result = runner.invoke(app, ["init", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0 and (tmp_path / WORKFLOW).read_text() == "name: ours\n"


def test_release_check_compares_tag_and_built_files(tmp_path: Path) -> None:
    """The release workflow's check refuses a tag that is not the package's version, and stray files."""
    from crm_review import __version__

    (tmp_path / f"crm_review-{__version__}.tar.gz").write_text("")
    (tmp_path / f"crm_review-{__version__}-py3-none-any.whl").write_text("")
    script = REPO / ".github" / "check_release.py"
    ok = subprocess.run([sys.executable, str(script), f"v{__version__}", str(tmp_path)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    wrong = subprocess.run([sys.executable, str(script), "v9.9.9", str(tmp_path)], capture_output=True, text=True)
    assert wrong.returncode == 1
    assert f"the tag is v9.9.9 but crm-review's version is {__version__}" in wrong.stderr


def test_version_is_written_once(runner: CliRunner) -> None:
    """pyproject.toml takes the version from the package, so `crm --version`, pip and the wheel agree."""
    from importlib import metadata

    from crm_review import __version__

    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject and '\nversion = "' not in pyproject
    assert 'path = "src/crm_review/__init__.py"' in pyproject
    assert metadata.version("crm-review") == __version__
    assert runner.invoke(app, ["--version"]).output == f"crm-review {__version__}\n"
