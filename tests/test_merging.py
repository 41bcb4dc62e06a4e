"""Two reviewers, two branches, one source: CMOCs merge without an id clash, and `crm renumber`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import source_yaml, write_review
from crm_review.cli import app
from crm_review.ids import mention_pattern
from crm_review.merging import merge_evidence
from crm_review.pipeline import validate
from gitrepos import commit_all, git, new_repository

SOURCE = "karuga-2022"


def add_cmoc(runner: CliRunner, repo: Path, outcome: str) -> str:
    result = runner.invoke(
        app,
        [
            "add", "cmoc", "--review", str(repo), "--source", SOURCE, "--context", "Rural clinics",
            "--resource", "A community forum", "--response", "People speak up", "--outcome", outcome,
            "--direction", "positive", "--principle", "quick-wins", "--quote", f"Quote for {outcome}",
            "--locator", "p. 4", "--no-input", "--json",
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    import json

    return str(json.loads(result.output)["id"])


@pytest.fixture
def team(tmp_path: Path, runner: CliRunner) -> Path:
    """A review repository with crm's merge driver registered and one source with one CMOC."""
    repo = new_repository(tmp_path / "repo")
    write_review(repo, {f"{SOURCE}.yaml": source_yaml(SOURCE, f"{SOURCE}-1")})
    result = runner.invoke(app, ["init", str(repo)], catch_exceptions=False)
    assert "registered the `crm-evidence` merge driver" in result.output
    commit_all(repo, "Start the review")
    return repo


def two_branches_adding(runner: CliRunner, repo: Path) -> None:
    """Amina and Ben each add a CMOC to the same source on their own branch: both get -2."""
    git(repo, "switch", "--quiet", "-c", "amina")
    assert add_cmoc(runner, repo, "Amina's outcome") == f"{SOURCE}-2"
    commit_all(repo, "Amina codes a CMOC")
    git(repo, "switch", "--quiet", "main")
    git(repo, "switch", "--quiet", "-c", "ben")
    assert add_cmoc(runner, repo, "Ben's outcome") == f"{SOURCE}-2"
    commit_all(repo, "Ben codes a CMOC")
    git(repo, "switch", "--quiet", "main")
    git(repo, "merge", "--quiet", "--no-edit", "amina")


def test_two_branches_merge_without_an_id_clash(team: Path, runner: CliRunner) -> None:
    """With the driver, `git merge` succeeds: both CMOCs kept, Ben's renumbered -3, the review valid."""
    two_branches_adding(runner, team)
    merged = subprocess.run(["git", "merge", "--no-edit", "ben"], cwd=team, capture_output=True, text=True, check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert f"their CMOC {SOURCE}-2 is now {SOURCE}-3" in merged.stderr
    result = validate(team)
    assert result.errors == ()
    assert result.review is not None
    outcomes = {c.id: c.outcome for _, c in result.review.cmocs()}
    assert outcomes == {
        f"{SOURCE}-1": "More people take part.",
        f"{SOURCE}-2": "Amina's outcome",
        f"{SOURCE}-3": "Ben's outcome",
    }
    assert git(team, "status", "--porcelain") == ""


def test_without_the_driver_git_reports_a_conflict(team: Path, runner: CliRunner) -> None:
    """The same merge without crm's driver is the textual conflict the driver resolves."""
    git(team, "config", "--remove-section", "merge.crm-evidence")  # a clone without it: git merges text
    two_branches_adding(runner, team)
    merged = subprocess.run(["git", "merge", "--no-edit", "ben"], cwd=team, capture_output=True, text=True, check=False)
    assert merged.returncode == 1, merged.stderr
    assert "CONFLICT" in merged.stdout


BASE = source_yaml(SOURCE, f"{SOURCE}-1")


def cmoc_block(cmoc_id: str, outcome: str) -> str:
    return source_yaml(SOURCE, cmoc_id).split("cmocs:\n", 1)[1].replace("More people take part.", outcome)


def test_merge_keeps_both_sides_text_and_comments() -> None:
    """Their CMOC moves as written (comments included); only its id changes."""
    ours = BASE + cmoc_block(f"{SOURCE}-2", "Ours.")
    theirs = BASE + cmoc_block(f"{SOURCE}-2", "Theirs.").replace("    context:", "    # coded by Ben\n    context:")
    result = merge_evidence(BASE, ours, theirs)
    assert result.conflicts == 0 and result.renumbered == ((f"{SOURCE}-2", f"{SOURCE}-3"),)
    assert result.text == ours + cmoc_block(f"{SOURCE}-3", "Theirs.").replace(
        "    context:", "    # coded by Ben\n    context:"
    )


def test_merge_of_other_changes_is_plain_git() -> None:
    """Changes to different CMOCs merge as git would, with nothing renumbered."""
    base = BASE + cmoc_block(f"{SOURCE}-2", "Two.")
    ours = base.replace("Two.", "Two, revised.")
    theirs = base.replace("year: 2020", "year: 2021")
    result = merge_evidence(base, ours, theirs)
    assert (result.conflicts, result.renumbered) == (0, ())
    assert "Two, revised." in result.text and "year: 2021" in result.text


def test_both_sides_editing_one_outcome_is_left_to_a_person() -> None:
    """A real disagreement keeps git's conflict markers and counts as a conflict."""
    ours = BASE.replace("More people take part.", "Ours.")
    theirs = BASE.replace("More people take part.", "Theirs.")
    result = merge_evidence(BASE, ours, theirs)
    assert result.conflicts == 1 and "<<<<<<< ours" in result.text and ">>>>>>> theirs" in result.text


def test_blank_line_spacing_is_kept() -> None:
    """A file that separates CMOCs by blank lines keeps doing so after the merge."""
    spaced_base = BASE + "\n" + cmoc_block(f"{SOURCE}-2", "Two.")
    ours = spaced_base + "\n" + cmoc_block(f"{SOURCE}-3", "Ours.")
    theirs = spaced_base + "\n" + cmoc_block(f"{SOURCE}-3", "Theirs.")
    result = merge_evidence(spaced_base, ours, theirs)
    assert result.text == ours + "\n" + cmoc_block(f"{SOURCE}-4", "Theirs.")


# --- crm renumber -----------------------------------------------------------------------------------


def test_renumber_updates_mentions_in_notes(tmp_path: Path, runner: CliRunner) -> None:
    """A CMOC renumbered by hand: its id and every whole-word mention in notes change, nothing else."""
    roe = source_yaml("roe-2021", "roe-2021-1").replace(
        "    direction:", "    notes: Compare doe-2020-1 with doe-2020-12.\n    direction:"
    )
    root = write_review(tmp_path / "r", {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1"), "roe-2021.yaml": roe})
    result = runner.invoke(app, ["renumber", "doe-2020-1", "doe-2020-7", "--review", str(root)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "renumbered doe-2020-1 to doe-2020-7 in" in result.output
    assert "updated the mention in" in result.output and "roe-2021.yaml:" in result.output
    assert "notes: Compare doe-2020-7 with doe-2020-12." in (root / "evidence" / "roe-2021.yaml").read_text()
    assert "- id: doe-2020-7\n" in (root / "evidence" / "doe-2020.yaml").read_text()
    assert validate(root).errors == ()


def test_renumber_the_later_of_two_equal_ids(tmp_path: Path, runner: CliRunner) -> None:
    """After a merge that kept two CMOCs with one id, renumber gives the later one the next free number."""
    text = source_yaml("doe-2020", "doe-2020-1", "doe-2020-1").replace("More people take part.", "Second.", 2)
    text = text.replace("Second.", "More people take part.", 1)
    root = write_review(tmp_path / "r", {"doe-2020.yaml": text})
    assert validate(root).errors != ()
    result = runner.invoke(app, ["renumber", "doe-2020-1", "--review", str(root)], catch_exceptions=False)
    assert "renumbered doe-2020-1 to doe-2020-2" in result.output
    review = validate(root).review
    assert review is not None
    assert [(c.id, c.outcome) for _, c in review.cmocs()] == [
        ("doe-2020-1", "More people take part."),
        ("doe-2020-2", "Second."),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["doe-2020-9"], "no CMOC `doe-2020-9`: did you mean `doe-2020-1`?"),
        (["doe-2020-1", "roe-2021-1"], "CMOC id `roe-2021-1` is already used; choose another"),
        (["doe-2020-1", "Not An Id"], "`Not An Id` is not a valid id"),
    ],
)
def test_renumber_refuses_with_one_line(tmp_path: Path, runner: CliRunner, args: list[str], message: str) -> None:
    """Unknown, taken or malformed ids: one line, exit 1, nothing written."""
    from conftest import snapshot

    root = write_review(
        tmp_path / "r",
        {
            "doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1"),
            "roe-2021.yaml": source_yaml("roe-2021", "roe-2021-1"),
        },
    )
    before = snapshot(root)
    result = runner.invoke(app, ["renumber", *args, "--review", str(root)])
    assert result.exit_code == 1 and message in result.output
    assert {k: v for k, v in snapshot(root).items() if k != ".crm.lock"} == before


def test_a_driver_whose_crm_is_gone_falls_back_to_git(team: Path, runner: CliRunner) -> None:
    """A clone whose registered Python was deleted gets git's conflict markers, never our side alone."""
    from crm_review.scaffold import merge_driver_command

    git(team, "config", "merge.crm-evidence.driver", merge_driver_command("/nonexistent/python3"))
    two_branches_adding(runner, team)
    merged = subprocess.run(["git", "merge", "--no-edit", "ben"], cwd=team, capture_output=True, text=True, check=False)
    assert merged.returncode == 1 and "crm is not installed here" in merged.stderr
    text = (team / "evidence" / f"{SOURCE}.yaml").read_text(encoding="utf-8")
    assert "<<<<<<< ours" in text and "Amina's outcome" in text and "Ben's outcome" in text


def test_the_same_source_added_on_both_branches(tmp_path: Path, runner: CliRunner) -> None:
    """Both reviewers import the same paper and code a CMOC each: the add/add merge keeps both CMOCs."""
    repo = new_repository(tmp_path / "repo")
    write_review(repo, {})
    runner.invoke(app, ["init", str(repo)], catch_exceptions=False)
    commit_all(repo, "Start")
    stub = source_yaml(SOURCE).replace("cmocs: []\n", "")
    for branch, outcome in (("amina", "Amina's outcome"), ("ben", "Ben's outcome")):
        git(repo, "switch", "--quiet", "-c", branch, "main")
        (repo / "evidence" / f"{SOURCE}.yaml").write_text(stub, encoding="utf-8")
        add_cmoc(runner, repo, outcome)
        commit_all(repo, f"{branch} imports and codes")
    git(repo, "switch", "--quiet", "main")
    git(repo, "merge", "--quiet", "--no-edit", "amina")
    merged = subprocess.run(["git", "merge", "--no-edit", "ben"], cwd=repo, capture_output=True, text=True, check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    review = validate(repo).review
    assert review is not None
    assert [(c.id, c.outcome) for _, c in review.cmocs()] == [
        (f"{SOURCE}-1", "Amina's outcome"),
        (f"{SOURCE}-2", "Ben's outcome"),
    ]


@pytest.mark.parametrize(
    ("text", "mentioned"),
    [
        ("see doe-2020-1", True),
        ("see doe-2020-1.", True),
        ("(doe-2020-1, doe-2020-3)", True),
        ("see doe-2020-12", False),
        ("see doe-2020-1a", False),
        ("see x.doe-2020-1", False),
        ("see doe-2020-1.5", False),
        ("see predoe-2020-1", False),
    ],
)
def test_a_mention_is_the_id_as_a_whole_word(text: str, mentioned: bool) -> None:
    """Notes mention an id only where it stands whole, never as part of a longer id."""
    assert bool(mention_pattern("doe-2020-1").search(text)) is mentioned
