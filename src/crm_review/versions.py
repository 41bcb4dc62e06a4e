"""A review as it stood at a git revision (or as it is in the work tree), loaded and analysed.

``crm diff`` and ``crm log`` compare such versions; each is read from git into a temporary folder and
goes through the same load -> validate -> graph -> analyse steps as ``crm synthesize``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from crm_review.errors import GitFailed, InvalidEvidence, Problem
from crm_review.gitrepo import ReviewInRepository
from crm_review.model import Review

if TYPE_CHECKING:  # the analysis is imported when a version is analysed
    from crm_review.analysis import Findings
    from crm_review.diff import ReviewDiff

WORK_TREE = "the work tree"


@dataclass(frozen=True)
class Version:
    """One version of the review: its label (``main (1a2b3c4)``), records and findings.

    ``review`` is ``None`` when the review did not exist at that revision (every source then counts as
    added).
    """

    label: str
    review: Review | None
    findings: Findings | None

    @classmethod
    def absent(cls, label: str) -> Version:
        return cls(label, None, None)


def load_work_tree(root: Path) -> Version:
    """The review as it is on disk now."""
    return _analysed(WORK_TREE, root)


def load_revision(repo: ReviewInRepository, revision: str, label: str | None = None) -> Version:
    """The review as it stood at ``revision``; its errors, if it had any, are named with the revision."""
    commit = repo.commit(revision)
    shown = label or (revision if revision.startswith(commit[:7]) else f"{revision} ({commit[:7]})")
    with tempfile.TemporaryDirectory(prefix="crm-version-") as folder:
        root = Path(folder)
        if not repo.export(commit, root):
            return Version.absent(shown)
        try:
            return _analysed(shown, root)
        except InvalidEvidence as exc:
            raise InvalidEvidence([_relabel(p, root, commit[:7]) for p in exc.problems]) from None


def _analysed(label: str, root: Path) -> Version:
    from crm_review.analysis import analyse
    from crm_review.pipeline import load_valid_review

    review = load_valid_review(root)
    return Version(label, review, analyse(review))


def _relabel(problem: Problem, root: Path, short: str) -> Problem:
    """A problem found in a temporary copy, named as ``<commit>:evidence/x.yaml`` as git would say it."""
    try:
        relative = Path(problem.path).resolve().relative_to(root.resolve())
    except ValueError:
        return problem
    return replace(problem, path=Path(f"{short}:{relative.as_posix()}"))


def compare(root: Path, base: str | None = None, head: str | None = None) -> ReviewDiff:
    """``crm diff``: the review at ``base`` against ``head`` (default: the work tree).

    Without ``base``, the base is where the current branch left the default branch (their merge base),
    so that a branch's diff shows its own changes only, as a pull request does.
    """
    from crm_review.diff import diff_versions

    repo = ReviewInRepository.of(root)
    if not repo.has_commits():
        raise GitFailed("this repository has no commits yet: commit the review, then `crm diff` compares with it")
    if base is None:
        branch = repo.default_branch()
        commit = repo.merge_base(branch, "HEAD")
        before = load_revision(repo, commit, label=f"{branch} ({commit[:7]})")
    else:
        before = load_revision(repo, base)
    after = load_work_tree(root) if head is None else load_revision(repo, head)
    return diff_versions(before, after)
