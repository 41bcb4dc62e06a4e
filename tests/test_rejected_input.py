"""Each kind of bad input: exit 1, the file and line named, the fix said, no traceback, nothing written.

One fixture file per case in fixtures/invalid/, whose first line says where and what the error is.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES, snapshot, write_review
from crm_review.cli import app

INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
HEADERLESS = {"utf16.yaml": ("1:1", "the file is saved as UTF-16: save it as UTF-8 text")}


def expectation(path: Path) -> tuple[str, str]:
    if path.name in HEADERLESS:
        return HEADERLESS[path.name]
    first_line = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    where, message = first_line.removeprefix("# expect: ").split(" ", 1)
    return where, message


@pytest.mark.parametrize("fixture", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_file_is_reported_at_its_line(fixture: Path, tmp_path: Path, runner: CliRunner, in_dir: Path) -> None:
    """The error names the file, line (and column) and says what is wrong, in one line."""
    root = write_review(tmp_path / "r", {})
    shutil.copy(fixture, root / "evidence" / fixture.name)
    before = snapshot(root)

    result = runner.invoke(app, ["validate", "--review", "r"])

    where, message = expectation(fixture)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.output
    assert errors[0].startswith(f"r/evidence/{fixture.name}:{where}")
    assert message in errors[0]
    assert "Traceback" not in result.output
    assert snapshot(root) == before


def test_all_problems_of_all_files_are_reported_sorted(tmp_path: Path, runner: CliRunner, in_dir: Path) -> None:
    """One run reports every file's problems, ordered by file and line."""
    root = write_review(tmp_path / "r", {})
    for name in ("unknown-key.yaml", "bad-doi.yaml", "duplicate-key.yaml"):
        shutil.copy(FIXTURES / "invalid" / name, root / "evidence" / name)

    result = runner.invoke(app, ["validate", "--review", "r"])

    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert [line.split(":")[0] for line in errors] == [
        "r/evidence/bad-doi.yaml",
        "r/evidence/duplicate-key.yaml",
        "r/evidence/unknown-key.yaml",
    ]
    assert "3 error(s)" in result.output
