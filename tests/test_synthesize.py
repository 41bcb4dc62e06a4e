"""`crm synthesize` as a user and CI run it: what it writes, --check, failures, template overrides."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES, REPO, snapshot
from crm_review.cli import app

SMALL = FIXTURES / "small-review"


@pytest.fixture
def review(tmp_path: Path) -> Path:
    root = tmp_path / "review-repo"
    shutil.copytree(SMALL, root)
    return root


def synth(runner: CliRunner, root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["synthesize", "--review", str(root), *args])
    return result.exit_code, result.output


def test_writes_the_six_documents(review: Path, runner: CliRunner) -> None:
    """By default REVIEW.md, review.html, review.json, the explorer, review.docx and evidence.xlsx land in review/."""
    code, output = synth(runner, review)
    assert code == 0
    names = sorted(p.name for p in (review / "review").iterdir())
    assert names == ["REVIEW.md", "evidence.xlsx", "explorer.html", "review.docx", "review.html", "review.json"]
    assert output.count("wrote ") == 6


def test_csv_format_writes_the_three_tables(review: Path, runner: CliRunner, tmp_path: Path) -> None:
    """--format csv writes the appendix tables, one file each."""
    code, _ = synth(runner, review, "--format", "csv", "--out", str(tmp_path / "tables"))
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == ["cmocs.csv", "principles.csv", "sources.csv"]


def test_format_and_out_choose_what_and_where(review: Path, runner: CliRunner, tmp_path: Path) -> None:
    """--format md,json --out DIR writes just those two, there."""
    code, _ = synth(runner, review, "--format", "json,md", "--out", str(tmp_path / "site"))
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == ["REVIEW.md", "review.json"]


def test_unknown_format_is_a_usage_error(review: Path, runner: CliRunner) -> None:
    """A format that does not exist is exit 2, naming the choices."""
    code, output = synth(runner, review, "--format", "pdf")
    assert code == 2
    assert "choose from md, html, json, explorer, docx, xlsx, csv" in output


def test_running_twice_changes_no_byte(review: Path, runner: CliRunner) -> None:
    """The same evidence gives byte-identical files."""
    synth(runner, review)
    first = snapshot(review / "review")
    synth(runner, review)
    assert snapshot(review / "review") == first


def test_check_passes_when_up_to_date_and_names_stale_files(review: Path, runner: CliRunner) -> None:
    """--check is quiet success after a render, and after an evidence change names what is stale, writing nothing."""
    synth(runner, review)
    assert synth(runner, review, "--check")[0] == 0
    path = review / "evidence" / "beta-2021.yaml"
    path.write_text(path.read_text().replace("Falling response rates.", "Response rates fall."))
    before = snapshot(review)
    code, output = synth(runner, review, "--check")
    assert code == 1
    assert "out of date:" in output and "REVIEW.md" in output and "review.json" in output
    assert snapshot(review) == before


def test_check_without_a_rendered_review_fails(review: Path, runner: CliRunner) -> None:
    """A review never rendered is stale."""
    code, output = synth(runner, review, "--check")
    assert code == 1 and "out of date" in output
    assert not (review / "review").exists()


def test_invalid_evidence_leaves_the_previous_review(review: Path, runner: CliRunner) -> None:
    """A failed run shows the errors and keeps the documents already there."""
    synth(runner, review)
    before = snapshot(review / "review")
    (review / "evidence" / "beta-2021.yaml").write_text("id: beta-2021\ntitle: x\ntitle: y\n")
    code, output = synth(runner, review)
    assert code == 1
    assert "beta-2021.yaml:3:1: error: `title` appears twice" in output
    assert "Traceback" not in output
    assert snapshot(review / "review") == before


def test_undefined_name_in_template_is_an_error_not_blank(review: Path, runner: CliRunner) -> None:
    """A misspelt variable fails loudly instead of leaving a hole in the document."""
    (review / "templates").mkdir()
    (review / "templates" / "REVIEW.md.j2").write_text("# {{ reveiw.title }}\n")
    code, output = synth(runner, review)
    assert code == 1
    assert "'reveiw' is undefined" in output


def test_bundled_review_is_committed_up_to_date(runner: CliRunner) -> None:
    """The repository's review/ is what its evidence renders to (CI fails otherwise)."""
    result = runner.invoke(app, ["synthesize", "--review", str(REPO), "--check"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("blank", [False, True])
def test_new_review_without_evidence_renders(tmp_path: Path, runner: CliRunner, blank: bool) -> None:
    """A review just made by `crm init` (with or without principles) renders: every principle a gap."""
    root = tmp_path / "new"
    runner.invoke(app, ["init", str(root), *(["--blank"] if blank else [])], catch_exceptions=False)
    code, output = synth(runner, root)
    assert code == 0, output
    markdown = (root / "review" / "REVIEW.md").read_text()
    assert "0 sources" in markdown
    assert ("Every principle has at least one CMOC." in markdown) is blank
    assert "<svg" in (root / "review" / "review.html").read_text()


def test_failure_while_writing_keeps_every_old_document(
    review: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If writing the third document fails: one line, exit 1, none of the three replaced, no temporary left."""
    synth(runner, review)
    path = review / "evidence" / "beta-2021.yaml"
    path.write_text(path.read_text().replace("Falling response rates.", "Response rates fall."))
    before = snapshot(review / "review")
    import os as os_module

    real_fsync = os_module.fsync
    calls = []

    def failing_fsync(fd: int) -> None:  # a full disk often shows only when the data is flushed
        calls.append(fd)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os_module, "fsync", failing_fsync)
    result = runner.invoke(app, ["synthesize", "--review", str(review)])
    assert result.exit_code == 1
    assert result.output == "error: No space left on device\n"
    assert snapshot(review / "review") == before
