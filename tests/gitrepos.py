"""Real git repositories for tests: a review committed on a branch, with a known author."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import write_review


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its output; fail the test with git's message if it fails."""
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def new_repository(root: Path, branch: str = "main") -> Path:
    """An empty repository with a user set, its first branch called ``branch``."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "--quiet", "--initial-branch", branch)
    git(root, "config", "user.name", "Test Reviewer")
    git(root, "config", "user.email", "reviewer@example.org")
    git(root, "config", "commit.gpgsign", "false")
    return root


def commit_all(repo: Path, message: str) -> str:
    """Stage everything and commit it; the new commit's id."""
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def review_repository(root: Path, sources: dict[str, str], branch: str = "main") -> Path:
    """A repository holding a review with ``sources``, committed once."""
    new_repository(root, branch)
    write_review(root, sources)
    commit_all(root, "Start the review")
    return root
