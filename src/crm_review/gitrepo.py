"""The only place that runs ``git``: revisions, history, and a review's files as they stood at a commit.

Every call goes through :func:`run`, which turns a missing ``git`` or a failing command into a
:class:`GitFailed` that says what was asked and what git answered.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from crm_review import layout
from crm_review.errors import GitFailed

# What a review's evidence is made of; templates change the documents, not the findings.
REVIEW_FOLDERS = (layout.CONFIG_DIR, layout.EVIDENCE_DIR)
NO_GIT = "this needs the `git` command, which is not installed (https://git-scm.com/downloads)"


def run(cwd: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    """``git ARGS`` in ``cwd``; its standard output, or :class:`GitFailed` with git's own message."""
    git = shutil.which("git")
    if git is None:
        raise GitFailed(NO_GIT)
    done = subprocess.run([git, *args], cwd=cwd, input=input_bytes, capture_output=True, check=False, env=_quiet_env())
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitFailed(f"git {' '.join(args)}: {said[-1] if said else f'exit code {done.returncode}'}")
    return done.stdout


def text(cwd: Path, *args: str) -> str:
    """``git ARGS`` as text, without the trailing newline."""
    return run(cwd, *args).decode("utf-8").rstrip("\n")


def _quiet_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    return env


def merge_file(base: str, ours: str, theirs: str) -> tuple[str, int]:
    """git's own three-way merge of three texts: the result (with conflict markers) and how many conflicts."""
    git = shutil.which("git")
    if git is None:
        raise GitFailed(NO_GIT)
    with tempfile.TemporaryDirectory(prefix="crm-merge-") as folder:
        paths = []
        for name, content in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(folder) / name
            path.write_bytes(content.encode("utf-8"))
            paths.append(str(path))
        done = subprocess.run(
            [git, "merge-file", "-p", "-L", "ours", "-L", "base", "-L", "theirs", *paths],
            capture_output=True,
            check=False,
            env=_quiet_env(),
        )
    if not 0 <= done.returncode < 128:
        raise GitFailed(f"git merge-file: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout.decode("utf-8"), done.returncode


def is_repository(folder: Path) -> bool:
    """Whether ``folder`` lies inside a git work tree (and git is installed)."""
    if shutil.which("git") is None or not folder.is_dir():
        return False
    try:
        return text(folder, "rev-parse", "--is-inside-work-tree") == "true"
    except GitFailed:
        return False


def init_repository(folder: Path) -> None:
    run(folder, "init", "--quiet")


def set_config(folder: Path, key: str, value: str) -> None:
    run(folder, "config", key, value)


@dataclass(frozen=True)
class ReviewInRepository:
    """A review folder placed in its repository: the work tree's root and the review's path inside it."""

    top: Path
    prefix: str  # "" when the review is the repository's root, else "sub/dir/"

    @classmethod
    def of(cls, review: Path) -> ReviewInRepository:
        folder = review.resolve()
        if shutil.which("git") is None:
            raise GitFailed(NO_GIT)
        if not is_repository(folder):
            raise GitFailed(f"{layout.shown(review)} is not inside a git repository (start one with `git init`)")
        return cls(Path(text(folder, "rev-parse", "--show-toplevel")), text(folder, "rev-parse", "--show-prefix"))

    def has_commits(self) -> bool:
        try:
            run(self.top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        except GitFailed:
            return False
        return True

    def commit(self, revision: str) -> str:
        """The full commit id of ``revision``, or a message naming the revision git did not know."""
        try:
            return text(self.top, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
        except GitFailed:
            raise GitFailed(
                f"`{revision}` is not a commit of this repository (try a branch, a tag or `HEAD~1`)"
            ) from None

    def default_branch(self) -> str:
        """The repository's default branch, whatever it is called.

        The remote's HEAD when there is a remote, else ``init.defaultBranch``, else ``main`` or ``master``,
        whichever exists, else the only branch there is.
        """
        try:
            return text(self.top, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
        except GitFailed:
            pass
        candidates = []
        with contextlib.suppress(GitFailed):
            candidates.append(text(self.top, "config", "--get", "init.defaultBranch"))
        candidates += ["main", "master"]
        for branch in candidates:
            for ref in (f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"):
                try:
                    run(self.top, "rev-parse", "--verify", "--quiet", ref)
                except GitFailed:
                    continue
                return ref.removeprefix("refs/heads/").removeprefix("refs/remotes/")
        branches = text(self.top, "for-each-ref", "--format=%(refname:short)", "refs/heads/").split()
        if len(branches) == 1:  # a new repository with one branch, whatever `git init` called it
            return branches[0]
        raise GitFailed(
            "cannot tell the default branch (no origin/HEAD, main or master): name the base, e.g. `crm diff main`"
        )

    def merge_base(self, one: str, other: str) -> str:
        try:
            return text(self.top, "merge-base", one, other)
        except GitFailed:
            raise GitFailed(f"`{one}` and `{other}` share no history: name the base to compare with") from None

    def export(self, commit: str, destination: Path) -> bool:
        """Write the review's configs and evidence as they stood at ``commit`` into ``destination``.

        False when the review did not exist at that commit (no configs/review.yaml there).
        """
        paths = [f"{self.prefix}{folder}" for folder in REVIEW_FOLDERS]
        listed = run(self.top, "ls-tree", "-r", "--name-only", "-z", commit, "--", *paths).decode("utf-8")
        if f"{self.prefix}{layout.CONFIG_DIR}/{layout.REVIEW_FILE}" not in listed.split("\0"):
            return False
        present = [f for f in REVIEW_FOLDERS if any(n.startswith(f"{self.prefix}{f}/") for n in listed.split("\0"))]
        archive = run(self.top, "archive", "--format=tar", f"{commit}:{self.prefix}", "--", *present)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(destination, filter="data")
        return True

    def commits_touching_review(self, revision: str) -> list[Commit]:
        """The commits up to ``revision`` that changed the review's configs or evidence, oldest first."""
        separator = "\x1f"
        fields = separator.join(("%H", "%P", "%an", "%ad", "%s"))
        paths = [f"{self.prefix}{folder}" for folder in REVIEW_FOLDERS]
        out = text(self.top, "log", "--reverse", "--date=short", f"--format={fields}", revision, "--", *paths)
        commits = []
        for line in out.splitlines():
            sha, parents, author, date, subject = line.split(separator, 4)
            commits.append(Commit(sha, tuple(parents.split()), author, date, subject))
        return commits


@dataclass(frozen=True)
class Commit:
    """One commit as ``crm log`` reports it."""

    sha: str
    parents: tuple[str, ...]
    author: str
    date: str
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:7]
