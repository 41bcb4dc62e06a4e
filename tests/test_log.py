"""`crm log`: commit by commit, how the principles and their evidence changed, from a real history."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from conftest import PRINCIPLES_YAML, source_yaml
from crm_review.cli import app
from crm_review.history import review_log
from gitrepos import commit_all, git, new_repository, review_repository


def history(tmp_path: Path) -> Path:
    """Three commits: the review starts, a second source arrives, a principle is reworded; plus an unrelated one."""
    repo = review_repository(tmp_path / "repo", {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1")})
    (repo / "evidence" / "roe-2021.yaml").write_text(
        source_yaml("roe-2021", "roe-2021-1", "roe-2021-2"), encoding="utf-8"
    )
    commit_all(repo, "Code roe-2021")
    (repo / "notes.md").write_text("meeting notes\n", encoding="utf-8")
    commit_all(repo, "Meeting notes")
    principles = PRINCIPLES_YAML.replace("Create quick and tangible wins.", "Create quick, visible wins.")
    (repo / "configs" / "principles.yaml").write_text(principles, encoding="utf-8")
    commit_all(repo, "Reword quick-wins after the stakeholder meeting")
    return repo


def test_log_lists_each_commit_that_changed_the_review(tmp_path: Path) -> None:
    """Only commits touching configs or evidence, oldest first, each with its own changes."""
    entries = review_log(history(tmp_path))
    assert [e.commit.subject for e in entries] == [
        "Start the review",
        "Code roe-2021",
        "Reword quick-wins after the stakeholder meeting",
    ]
    start, coded, reworded = (e.diff for e in entries)
    assert start is not None and [p.id for p in start.principles_added] == ["quick-wins", "invest-in-skills"]
    assert coded is not None and [c.id for c in coded.cmocs_added] == ["roe-2021-1", "roe-2021-2"]
    assert reworded is not None and [c.id for c in reworded.principles_changed] == ["quick-wins"]


def test_log_markdown_for_the_report(tmp_path: Path, runner: CliRunner) -> None:
    """The Markdown says, newest first, what each commit did to the principles and their evidence."""
    repo = history(tmp_path)
    result = runner.invoke(app, ["log", "--review", str(repo), "--format", "md"], catch_exceptions=False)
    assert result.exit_code == 0
    text = result.output
    assert text.startswith("## How the programme theory and its evidence changed\n\n3 commit(s) changed")
    assert text.index("Reword quick-wins") < text.index("Code roe-2021") < text.index("Start the review")
    assert (
        "- principle `quick-wins` reworded (statement): Create quick and tangible wins. → Create quick, visible wins."
        in text
    )
    assert "- `quick-wins`: CMOCs 1 → 3, sources 1 → 2" in text
    assert "- evidence: 1 source(s) added, 2 CMOC(s) added" in text
    assert "By Test Reviewer." in text


def test_log_json_and_file_output(tmp_path: Path, runner: CliRunner) -> None:
    """--format json is for scripts; --output writes the file the report includes."""
    repo = history(tmp_path)
    result = runner.invoke(app, ["log", "--review", str(repo), "-f", "json"], catch_exceptions=False)
    payload = json.loads(result.output)
    assert [item["subject"] for item in payload][-1] == "Reword quick-wins after the stakeholder meeting"
    out = tmp_path / "history.md"
    runner.invoke(app, ["log", "--review", str(repo), "-f", "md", "-o", str(out)], catch_exceptions=False)
    assert out.read_text(encoding="utf-8").startswith("## How the programme theory")


def test_a_commit_with_broken_evidence_is_named_not_fatal(tmp_path: Path) -> None:
    """A commit whose evidence did not validate is listed as not compared; the rest of the history stays."""
    repo = new_repository(tmp_path / "repo")
    from conftest import write_review

    write_review(repo, {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1").replace("positive", "sideways")})
    bad = commit_all(repo, "Broken")
    (repo / "evidence" / "doe-2020.yaml").write_text(source_yaml("doe-2020", "doe-2020-1"), encoding="utf-8")
    commit_all(repo, "Fixed")
    entries = review_log(repo)
    assert entries[0].diff is None and entries[0].problem == f"the review had 1 error(s) at {bad[:7]}"
    assert entries[1].diff is None  # nothing readable before it to compare with


def test_a_repair_is_compared_with_the_last_valid_version(tmp_path: Path, runner: CliRunner) -> None:
    """After a broken commit, the repairing commit is compared with the last valid one, and says so."""
    repo = review_repository(tmp_path / "repo", {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1")})
    good = git(repo, "rev-parse", "HEAD").strip()
    commit_all(repo, "Nothing")  # an empty commit does not touch the review
    path = repo / "evidence" / "doe-2020.yaml"
    path.write_text(source_yaml("doe-2020", "doe-2020-1").replace("positive", "sideways"), encoding="utf-8")
    commit_all(repo, "Broken")
    path.write_text(source_yaml("doe-2020", "doe-2020-1").replace("positive", "negative"), encoding="utf-8")
    commit_all(repo, "Repaired as negative")
    entries = review_log(repo)
    repaired = entries[-1]
    assert repaired.compared_with == good[:7]
    assert repaired.diff is not None
    [changed] = repaired.diff.cmocs_changed
    assert [(c.field, c.before, c.after) for c in changed.changes] == [("direction", "positive", "negative")]
    text = runner.invoke(app, ["log", "--review", str(repo), "-f", "md"], catch_exceptions=False).output
    assert "the last version before it whose evidence was valid" in text
