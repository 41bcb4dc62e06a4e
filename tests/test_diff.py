"""`crm diff`: what changed between two versions of a review, read from real git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import PRINCIPLES_YAML, source_yaml
from crm_review.cli import app
from crm_review.diffreport import NOTHING
from crm_review.versions import compare
from gitrepos import commit_all, git, new_repository, review_repository


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed review: doe-2020 with two CMOCs on quick-wins, roe-2021 with one on invest-in-skills."""
    return review_repository(
        tmp_path / "repo",
        {
            "doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1", "doe-2020-2"),
            "roe-2021.yaml": source_yaml("roe-2021", "roe-2021-1", principle="invest-in-skills", direction="negative"),
        },
    )


def edit(path: Path, old: str, new: str, count: int = -1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_sources_and_cmocs_added_and_removed_against_the_work_tree(repo: Path) -> None:
    """A new source with a CMOC and a deleted source show up, uncommitted, against the last commit."""
    (repo / "evidence" / "roe-2021.yaml").unlink()
    (repo / "evidence" / "poe-2022.yaml").write_text(source_yaml("poe-2022", "poe-2022-1"), encoding="utf-8")
    changes = compare(repo, "HEAD")
    assert [s.id for s in changes.sources_added] == ["poe-2022"]
    assert [s.id for s in changes.sources_removed] == ["roe-2021"]
    assert [c.id for c in changes.cmocs_added] == ["poe-2022-1"]
    assert [c.id for c in changes.cmocs_removed] == ["roe-2021-1"]
    assert changes.cmocs_added[0].links == {"quick-wins": "supports"}
    assert changes.base.startswith("HEAD (") and changes.head == "the work tree"


def test_cmoc_changes_are_reported_field_by_field(repo: Path) -> None:
    """An edited outcome, direction and quote are each named with their text before and after."""
    path = repo / "evidence" / "doe-2020.yaml"
    text = path.read_text(encoding="utf-8")
    first, second = text.split("  - id: doe-2020-2\n")
    second = second.replace("More people take part.", "Fewer people leave.").replace("positive", "mixed")
    second = second.replace("We learnt a lot.", "We learnt a great deal.")
    path.write_text(first + "  - id: doe-2020-2\n" + second, encoding="utf-8")
    commit_all(repo, "Recode doe-2020-2")
    [changed] = compare(repo, "HEAD~1", "HEAD").cmocs_changed
    assert changed.id == "doe-2020-2"
    assert [(c.field, c.before, c.after) for c in changed.changes] == [
        ("outcome", "More people take part.", "Fewer people leave."),
        ("direction", "positive", "mixed"),
        ("quote (p. 3)", "We learnt a lot.", "We learnt a great deal."),
    ]


def test_links_principles_and_source_fields(repo: Path) -> None:
    """A CMOC relinked, a principle reworded and added, and an appraisal changed are each reported."""
    edit(repo / "evidence" / "roe-2021.yaml", "principles: [invest-in-skills]", "principles: [quick-wins]")
    edit(repo / "evidence" / "roe-2021.yaml", "rigour: moderate", "rigour: low")
    principles = PRINCIPLES_YAML.replace("Create quick and tangible wins.", "Create quick, visible wins.")
    principles += "  - id: feedback\n    title: Feedback\n    statement: Tell people what became of their views.\n"
    (repo / "configs" / "principles.yaml").write_text(principles, encoding="utf-8")
    changes = compare(repo, "HEAD")
    assert [(link.cmoc, link.principle, link.before, link.after) for link in changes.links] == [
        ("roe-2021-1", "invest-in-skills", "supports", None),
        ("roe-2021-1", "quick-wins", None, "supports"),
    ]
    assert [p.id for p in changes.principles_added] == ["feedback"]
    [reworded] = changes.principles_changed
    assert reworded.changes[0].before == "Create quick and tangible wins."
    assert reworded.changes[0].after == "Create quick, visible wins."
    [source] = changes.sources_changed
    assert (source.id, source.changes[0].field, source.changes[0].after) == ("roe-2021", "appraisal.rigour", "low")


def test_confidence_and_evidence_per_principle(repo: Path) -> None:
    """Moving a principle's only CMOC away empties it: its counts and confidence before and after."""
    edit(repo / "evidence" / "roe-2021.yaml", "principles: [invest-in-skills]", "principles: [quick-wins]")
    by_principle = {e.principle: e for e in compare(repo, "HEAD").evidence}
    skills = by_principle["invest-in-skills"]
    assert (skills.cmocs_before, skills.cmocs_after) == (1, 0)
    assert skills.confidence_before is not None and skills.confidence_after is None
    wins = by_principle["quick-wins"]
    assert (wins.cmocs_before, wins.cmocs_after, wins.sources_before, wins.sources_after) == (2, 3, 1, 2)
    assert [(c.field, c.before, c.after) for c in wins.components] == [("adequacy", "concern", "no concern")]
    assert wins.confidence_before != wins.confidence_after


def test_pattern_appears_when_a_second_source_shares_a_theme(repo: Path) -> None:
    """A theme carried by CMOCs of two sources under one principle is a pattern; it is reported as appeared."""
    edit(
        repo / "evidence" / "doe-2020.yaml",
        "    direction: positive\n",
        "    direction: positive\n    themes: [trust]\n",
        1,
    )
    commit_all(repo, "Tag trust")
    edit(
        repo / "evidence" / "roe-2021.yaml",
        "principles: [invest-in-skills]",
        "principles: [quick-wins]\n    themes: [trust]",
    )
    [pattern] = compare(repo, "HEAD").patterns
    assert (pattern.principle, pattern.theme, pattern.appeared) == ("quick-wins", "trust", True)
    assert pattern.cmoc_ids == ("doe-2020-1", "roe-2021-1")


def test_default_base_is_where_the_branch_left_the_default_branch(tmp_path: Path, runner: CliRunner) -> None:
    """In a clone, `crm diff` on a branch shows its own changes, not what the default branch did since."""
    upstream = review_repository(
        tmp_path / "upstream", {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1")}, "trunk"
    )
    git(tmp_path, "clone", "--quiet", str(upstream), "clone")
    clone = tmp_path / "clone"
    git(clone, "config", "user.name", "Test Reviewer")
    git(clone, "config", "user.email", "reviewer@example.org")
    git(clone, "switch", "--quiet", "-c", "add-roe")
    (clone / "evidence" / "roe-2021.yaml").write_text(source_yaml("roe-2021", "roe-2021-1"), encoding="utf-8")
    commit_all(clone, "Add roe-2021")
    (upstream / "evidence" / "poe-2022.yaml").write_text(source_yaml("poe-2022"), encoding="utf-8")
    commit_all(upstream, "Add poe-2022 on trunk")
    git(clone, "fetch", "--quiet")
    result = runner.invoke(app, ["diff", "--review", str(clone), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert [s["id"] for s in payload["sources_added"]] == ["roe-2021"]
    assert payload["sources_removed"] == [] and payload["base"].startswith("origin/trunk (")


def test_default_branch_that_cannot_be_told_asks_for_a_base(repo: Path, runner: CliRunner) -> None:
    """Two local branches, neither main nor master, and no remote: the user is told to name the base."""
    git(repo, "branch", "-m", "draft")
    git(repo, "branch", "other")
    result = runner.invoke(app, ["diff", "--review", str(repo)])
    assert result.exit_code == 1
    assert "cannot tell the default branch" in result.output and "`crm diff main`" in result.output


def test_markdown_escapes_evidence_text(repo: Path, runner: CliRunner) -> None:
    """Quote and outcome text is data in the Markdown: HTML and table pipes cannot act."""
    edit(repo / "evidence" / "doe-2020.yaml", "More people take part.", '"<script>x</script> | **bold**"', 1)
    result = runner.invoke(app, ["diff", "HEAD", "--review", str(repo), "--format", "md"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "<script>" not in result.output and "\\<script\\>" in result.output
    assert "\\| \\*\\*bold\\*\\*" in result.output
    assert result.output.startswith("## What changed in the review\n")


def test_no_change_says_so(repo: Path, runner: CliRunner) -> None:
    """Comparing a commit with itself reports that nothing changed."""
    result = runner.invoke(app, ["diff", "HEAD", "HEAD", "--review", str(repo), "-f", "md"], catch_exceptions=False)
    assert NOTHING in result.output


def test_review_added_in_head_counts_everything_as_new(tmp_path: Path) -> None:
    """Against a commit from before the review existed, every source and principle is added."""
    repo = new_repository(tmp_path / "repo")
    (repo / "notes.txt").write_text("plans\n", encoding="utf-8")
    commit_all(repo, "Plans")
    review_dir = repo
    from conftest import write_review

    write_review(review_dir, {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1")})
    changes = compare(repo, "HEAD")
    assert [s.id for s in changes.sources_added] == ["doe-2020"]
    assert [p.id for p in changes.principles_added] == ["quick-wins", "invest-in-skills"]


def test_review_in_a_subfolder(tmp_path: Path) -> None:
    """A review kept in a folder of a larger repository is compared within that folder."""
    repo = new_repository(tmp_path / "repo")
    from conftest import write_review

    write_review(repo / "reviews" / "ours", {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1")})
    commit_all(repo, "Review in a subfolder")
    (repo / "reviews" / "ours" / "evidence" / "doe-2020.yaml").unlink()
    assert [s.id for s in compare(repo / "reviews" / "ours", "HEAD").sources_removed] == ["doe-2020"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nonsense-rev"], "`nonsense-rev` is not a commit of this repository"),
        (["HEAD", "HEAD~5"], "`HEAD~5` is not a commit of this repository"),
    ],
)
def test_unknown_revision_is_one_line(repo: Path, runner: CliRunner, args: list[str], message: str) -> None:
    """A revision git does not know is named, with exit code 1 and no traceback."""
    result = runner.invoke(app, ["diff", *args, "--review", str(repo)])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_outside_a_repository_says_so(tmp_path: Path, runner: CliRunner) -> None:
    """A review folder that is not in git is told how to start."""
    from conftest import write_review

    root = write_review(tmp_path / "plain", {})
    result = runner.invoke(app, ["diff", "--review", str(root)])
    assert result.exit_code == 1
    assert "is not inside a git repository (start one with `git init`)" in result.output


def test_errors_at_a_revision_are_named_with_its_commit(repo: Path, runner: CliRunner) -> None:
    """A version with invalid evidence is reported as `<commit>:evidence/file:line`."""
    edit(repo / "evidence" / "doe-2020.yaml", "direction: positive", "direction: sideways", 1)
    bad = commit_all(repo, "Break it")
    result = runner.invoke(app, ["diff", "HEAD~1", "HEAD", "--review", str(repo)])
    assert result.exit_code == 1
    assert f"{bad[:7]}:evidence/doe-2020.yaml:" in result.output


def test_relation_changed_and_rewritten_links(repo: Path) -> None:
    """A link that now refines is a relation change; the same links in the mapping form are no change."""
    edit(
        repo / "evidence" / "roe-2021.yaml", "principles: [invest-in-skills]", "principles: {invest-in-skills: refines}"
    )
    edit(repo / "evidence" / "doe-2020.yaml", "principles: [quick-wins]", "principles: {quick-wins: supports}")
    changes = compare(repo, "HEAD")
    assert [(link.cmoc, link.principle, link.before, link.after) for link in changes.links] == [
        ("roe-2021-1", "invest-in-skills", "supports", "refines")
    ]
    assert changes.cmocs_changed == ()
    [skills] = [e for e in changes.evidence if e.principle == "invest-in-skills"]
    assert [(c.field, c.before, c.after) for c in skills.relations] == [("supports", "1", None), ("refines", None, "1")]


def test_a_repository_without_commits_says_to_commit_first(tmp_path: Path, runner: CliRunner) -> None:
    """Right after `git init` there is nothing to compare with: the message says what to do."""
    from conftest import write_review

    repo = new_repository(tmp_path / "repo")
    write_review(repo, {})
    result = runner.invoke(app, ["diff", "--review", str(repo)])
    assert result.exit_code == 1
    assert "this repository has no commits yet: commit the review, then `crm diff` compares with it" in result.output


def test_a_small_edit_is_marked_word_by_word() -> None:
    """A reworded statement shows its removed and added words in place; a rewrite shows before and after."""
    from crm_review.diffreport import word_changes

    assert (
        word_changes(
            "Share decision-making and governance control with citizens.",
            "Share decision-making and governance control with citizens and community groups.",
        )
        == "Share decision-making and governance control with ~~citizens.~~ **citizens and community groups.**"
    )
    assert word_changes("Staff short of time.", "A completely different sentence here.") is None
    assert word_changes("a *b* c d e", "a *b* c d f") == "a \\*b\\* c d ~~e~~ **f**"


def test_without_git_installed_says_so(repo: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a machine without git, the message names what is missing."""
    monkeypatch.setenv("PATH", str(repo / "no-such-folder"))
    result = runner.invoke(app, ["diff", "--review", str(repo)])
    assert result.exit_code == 1
    assert "this needs the `git` command, which is not installed" in result.output
