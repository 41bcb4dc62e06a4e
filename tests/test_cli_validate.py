"""`crm validate` as a user runs it: formats, exit codes, strictness, a folder that is not a review."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from conftest import FIXTURES, REPO, source_yaml, write_review
from crm_review.cli import app


def test_valid_review_exits_zero_with_a_summary(review: Path, runner: CliRunner) -> None:
    """A clean review says how much it holds and exits 0."""
    result = runner.invoke(app, ["validate", "--review", str(review)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "0 error(s), 0 warning(s); 2 source(s), 3 CMOC(s)" in result.output


def test_warnings_fail_only_with_strict(tmp_path: Path, runner: CliRunner) -> None:
    """A source with no CMOCs warns; --strict turns the warning into exit 1."""
    root = write_review(tmp_path, {"a.yaml": source_yaml("a", "a-1"), "b.yaml": source_yaml("b", "b-1")})
    (root / "evidence" / "c.yaml").write_text(source_yaml("c"), encoding="utf-8")
    root_args = ["validate", "--review", str(root)]
    assert runner.invoke(app, root_args).exit_code == 0
    strict = runner.invoke(app, [*root_args, "--strict"])
    assert strict.exit_code == 1
    assert "warning: source `c` has no CMOCs yet" in strict.output


def test_github_format_prints_annotations(tmp_path: Path, runner: CliRunner, in_dir: Path) -> None:
    """--format github prints ::error lines that GitHub shows on the pull request's files."""
    root = write_review(tmp_path / "r", {})
    shutil.copy(FIXTURES / "invalid" / "bad-doi.yaml", root / "evidence")
    result = runner.invoke(app, ["validate", "--review", "r", "--format", "github"])
    assert result.exit_code == 1
    assert [line for line in result.stdout.splitlines() if line.startswith("::error")] == [
        "::error file=r/evidence/bad-doi.yaml,line=4,col=6::`doi` is wrong: `hex.12996` does not look like a DOI: "
        "DOIs start with `10.` and a slash, e.g. 10.1111/hex.12996"
    ]


def test_json_format_is_machine_readable(tmp_path: Path, runner: CliRunner, in_dir: Path) -> None:
    """--format json gives every problem with path, line, column, severity and message."""
    root = write_review(tmp_path / "r", {})
    shutil.copy(FIXTURES / "invalid" / "norway-boolean.yaml", root / "evidence")
    result = runner.invoke(app, ["validate", "--review", "r", "--format", "json"])
    assert result.exit_code == 1
    [problem] = [p for p in json.loads(result.stdout)["problems"] if p["severity"] == "error"]
    assert problem["path"] == "r/evidence/norway-boolean.yaml"
    assert (problem["line"], problem["column"], problem["severity"]) == (4, 13, "error")


def test_folder_that_is_not_a_review(tmp_path: Path, runner: CliRunner) -> None:
    """Pointing at the wrong folder is one clear line and exit 1, not a traceback."""
    result = runner.invoke(app, ["validate", "--review", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not a review: configs/review.yaml is missing (start one with `crm init DIR`)" in result.output
    assert "Traceback" not in result.output


def test_invalid_config_is_located(tmp_path: Path, runner: CliRunner, in_dir: Path) -> None:
    """Config files get the same located messages as evidence."""
    root = write_review(tmp_path / "r", {"a.yaml": source_yaml("a", "a-1")})
    (root / "configs" / "review.yaml").write_text("title: T\nquestion: Q\nsuggestion: {min_sorces: 2}\n")
    result = runner.invoke(app, ["validate", "--review", "r"])
    assert result.exit_code == 1
    assert "r/configs/review.yaml:3:14: error: unknown key `min_sorces`: did you mean `min_sources`?" in result.output


def test_unknown_option_is_a_usage_error(runner: CliRunner) -> None:
    """Usage errors exit 2, as the brief promises scripts."""
    assert runner.invoke(app, ["validate", "--no-such-option"]).exit_code == 2


def test_version(runner: CliRunner) -> None:
    """`crm --version` names the version the package was built and installed as (its one home is __init__.py)."""
    import re
    from importlib.metadata import version

    written = re.search(r'^__version__ = "([^"]+)"$', (REPO / "src" / "crm_review" / "__init__.py").read_text(), re.M)
    assert written is not None
    assert version("crm-review") == written.group(1)  # the installed metadata, not the module compared with itself
    assert runner.invoke(app, ["--version"]).output.strip() == f"crm-review {written.group(1)}"


def test_unwritable_output_is_one_line_not_a_traceback(tmp_path: Path, runner: CliRunner) -> None:
    """A folder the user may not write to is named in one line, exit 1."""
    import os

    if os.geteuid() == 0:
        target = Path("/proc/crm-review-cannot-write-here/review.graphml")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "review.graphml"
    root = write_review(tmp_path / "r", {"a.yaml": source_yaml("a", "a-1")})
    result = runner.invoke(app, ["graph", "--review", str(root), "-o", str(target)])
    assert result.exit_code == 1
    assert result.output.startswith("error: ")
    assert str(target.parent) in result.output
    assert "Traceback" not in result.output
