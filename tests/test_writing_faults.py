"""Writing under faults: a set of documents is never left half replaced or littered, special files and
links given to -o are written through, and a stream that cannot be written is one line, exit 1."""

from __future__ import annotations

import ast
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES, REPO, snapshot, source_yaml, write_review
from crm_review import files
from crm_review.cli import app

SMALL = FIXTURES / "small-review"
DOCUMENTS = ["REVIEW.md", "review.html", "review.json"]

# Runs `crm ...` in a child that is killed (SIGKILL, as by the OOM killer or a closed laptop) just as it
# starts the given rename of a document; the journal's own rename is not counted.
KILL_AT_RENAME = """
import os, signal, sys
from pathlib import Path
from crm_review.cli import main
real_replace, renames, stop_at = Path.replace, [], int(sys.argv[1])
def replace(self, target):
    if not str(target).endswith(".replacing.crm.tmp"):
        renames.append(target)
        if len(renames) == stop_at:
            os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(self, target)
Path.replace = replace
sys.argv = ["crm", *sys.argv[2:]]
main()
"""

KILL_AT_SECOND_TEMPORARY = """
import os, signal, sys
from crm_review.cli import main
real_fsync, calls = os.fsync, []
def fsync(fd):
    calls.append(fd)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_fsync(fd)
os.fsync = fsync
sys.argv = ["crm", *sys.argv[1:]]
main()
"""


def crm(*args: str, stdout: int | IO[str] = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crm_review", *args], stdout=stdout, stderr=subprocess.PIPE, text=True, check=False
    )


@pytest.fixture
def rendered(tmp_path: Path, runner: CliRunner) -> Path:
    """A review rendered once, then changed so that every document of the next render differs."""
    root = write_review(tmp_path / "r", {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1")})
    runner.invoke(app, ["synthesize", "--review", str(root)], catch_exceptions=False)
    path = root / "evidence" / "doe-2020.yaml"
    path.write_text(path.read_text().replace("More people take part.", "Turnout doubles."))
    return root


def fresh_render(root: Path, tmp_path: Path, runner: CliRunner) -> dict[str, bytes]:
    """A clean render of the same evidence elsewhere; the documents whose bytes do not depend on the folder."""
    out = tmp_path / "clean"
    runner.invoke(app, ["synthesize", "--review", str(root), "--out", str(out)], catch_exceptions=False)
    return snapshot(out)


def same_set(folder: Path, clean: dict[str, bytes]) -> bool:
    """The folder holds exactly the clean render's files (nothing left over), md, html and json byte-equal."""
    found = snapshot(folder)
    return sorted(found) == sorted(clean) and all(found[name] == clean[name] for name in DOCUMENTS)


def test_killed_between_renames_is_detected_then_finished_by_the_next_run(
    rendered: Path, tmp_path: Path, runner: CliRunner
) -> None:
    """Killed at the second rename: --check fails on the mixed set; the next run leaves one whole new set."""
    old = snapshot(rendered / "review")
    killed = subprocess.run([sys.executable, "-c", KILL_AT_RENAME, "2", "synthesize", "--review", str(rendered)])
    assert killed.returncode == -signal.SIGKILL
    mixed = {k: v for k, v in snapshot(rendered / "review").items() if k in DOCUMENTS}
    assert mixed != old and sum(mixed[name] == old[name] for name in DOCUMENTS) == 2  # one replaced, two old

    check = runner.invoke(app, ["synthesize", "--review", str(rendered), "--check"])
    assert check.exit_code == 1 and "out of date" in check.output

    runner.invoke(app, ["synthesize", "--review", str(rendered)], catch_exceptions=False)
    assert same_set(rendered / "review", fresh_render(rendered, tmp_path, runner))


def test_journal_finishes_the_interrupted_set_without_rendering_again(tmp_path: Path) -> None:
    """What the killed run meant to write is completed from its journal, byte for byte, nothing left over."""
    folder = tmp_path / "out"
    files.write_all_atomic({folder / name: "old\n" for name in DOCUMENTS})
    script = (
        "import os, signal, sys\nfrom pathlib import Path\nfrom crm_review import files\n"
        "real, n = Path.replace, []\n"
        "def replace(self, target):\n"
        "    if not str(target).endswith(files.JOURNAL):\n"
        "        n.append(1)\n"
        "        if len(n) == 2: os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(self, target)\n"
        "Path.replace = replace\n"
        f"files.write_all_atomic({{Path({str(folder)!r}) / name: 'new\\n' for name in {DOCUMENTS!r}}})\n"
    )
    assert subprocess.run([sys.executable, "-c", script]).returncode == -signal.SIGKILL
    assert (folder / files.JOURNAL).exists()

    finished = files.recover(folder)

    assert len(finished) == 2
    assert snapshot(folder) == dict.fromkeys(DOCUMENTS, b"new\n")


def test_killed_while_writing_leaves_the_old_set_and_the_next_run_tidies_up(
    rendered: Path, tmp_path: Path, runner: CliRunner
) -> None:
    """Killed before any rename: every old document stands; the next run removes the temporaries."""
    old = snapshot(rendered / "review")
    killed = subprocess.run([sys.executable, "-c", KILL_AT_SECOND_TEMPORARY, "synthesize", "--review", str(rendered)])
    assert killed.returncode == -signal.SIGKILL
    after = snapshot(rendered / "review")
    assert {k: v for k, v in after.items() if not k.endswith(".crm.tmp")} == old
    assert any(name.endswith(".crm.tmp") for name in after)

    runner.invoke(app, ["synthesize", "--review", str(rendered)], catch_exceptions=False)
    assert same_set(rendered / "review", fresh_render(rendered, tmp_path, runner))


def test_folder_where_a_document_goes_stops_the_run_before_any_rename(rendered: Path, runner: CliRunner) -> None:
    """`review/review.html` a folder: one line naming it, exit 1, REVIEW.md and review.json untouched."""
    (rendered / "review" / "review.html").unlink()
    (rendered / "review" / "review.html").mkdir()
    before = snapshot(rendered / "review")

    result = runner.invoke(app, ["synthesize", "--review", str(rendered)])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: {rendered}/review/review.html: a folder stands where this file is written: move or rename the folder"
    ]
    assert snapshot(rendered / "review") == before
    assert (rendered / "review" / "review.html").is_dir()
    assert not [p.name for p in (rendered / "review").iterdir() if p.name.endswith(".crm.tmp")]


def test_graph_output_through_a_symlink_keeps_the_link(tmp_path: Path, runner: CliRunner) -> None:
    """-o on a symbolic link writes the file it points to; the link stays a link."""
    real = tmp_path / "shared" / "review.graphml"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.graphml"
    link.symlink_to(real)

    result = runner.invoke(app, ["graph", "--review", str(SMALL), "-o", str(link)])

    assert result.exit_code == 0, result.output
    assert link.is_symlink() and real.read_text().startswith("<graphml")
    assert sorted(p.name for p in real.parent.iterdir()) == ["review.graphml"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_graph_output_to_a_device_writes_to_it_never_replaces_it(runner: CliRunner) -> None:
    """-o /dev/full: the device is written to (and reports a full disk); it is never replaced by a file."""
    result = runner.invoke(app, ["graph", "--review", str(SMALL), "-o", "/dev/full"])
    assert result.exit_code == 1
    assert result.output == "error: /dev/full: No space left on device\n"
    assert stat.S_ISCHR(Path("/dev/full").stat().st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [["graph", "--format", "json"], ["list", "cmocs"], ["validate"]])
def test_stdout_on_a_full_device_is_one_line(args: list[str]) -> None:
    """`crm graph --format json > /dev/full`: one line on stderr, exit 1, no traceback."""
    with Path("/dev/full").open("w") as full:
        done = crm(*args, "--review", str(SMALL), stdout=full)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == "error: cannot write to standard output: No space left on device"
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) <= 2


def test_stdout_into_a_closed_pipe_ends_quietly() -> None:
    """`crm list cmocs | head -0`: the reader is gone; crm stops with exit 1 and no traceback."""
    child = subprocess.Popen(
        [sys.executable, "-m", "crm_review", "graph", "--format", "json", "--review", str(SMALL)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # before the child has written anything: it meets a closed pipe
    with child.stderr:
        stderr = child.stderr.read().decode()
    assert child.wait(timeout=60) == 1
    assert stderr == ""


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_init_ignores_the_temporaries_of_an_interrupted_write(tmp_path: Path, runner: CliRunner) -> None:
    """The .gitignore of a new review keeps temporaries and the journal out of git."""
    root = tmp_path / "new"
    runner.invoke(app, ["init", str(root)], catch_exceptions=False)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    names = ["review/.REVIEW.md.a1b2c3.crm.tmp", "review/.replacing.crm.tmp", "evidence/.doe-2020.yaml.x.crm.tmp"]
    ignored = subprocess.run(["git", "check-ignore", *names], cwd=root, capture_output=True, text=True)
    assert ignored.stdout.splitlines() == names


def test_every_line_the_cli_prints_goes_through_one_function() -> None:
    """cli.py calls typer.echo in one place only, which shows control characters as escapes."""
    tree = ast.parse((REPO / "src" / "crm_review" / "cli.py").read_text(encoding="utf-8"))
    callers = [
        function.name
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and ast.unparse(node.func) in {"typer.echo", "print", "sys.stdout.write"}
    ]
    assert callers == ["_write"], "print with _echo() (text) or _echo_json() (data): they show control characters"


def test_a_journal_naming_other_files_is_refused(tmp_path: Path, runner: CliRunner) -> None:
    """A journal committed to a repository cannot make crm move files outside its own temporaries."""
    root = write_review(tmp_path / "r", {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1")})
    outside = tmp_path / "keep.txt"
    outside.write_text("mine")
    (root / "review").mkdir()
    (root / "review" / files.JOURNAL).write_text('[["../../keep.txt", "REVIEW.md"]]')

    result = runner.invoke(app, ["synthesize", "--review", str(root)])

    assert result.exit_code == 1
    assert result.output == (
        f"error: {root}/review/{files.JOURNAL}: a journal naming files it did not write: delete it\n"
    )
    assert outside.read_text() == "mine" and not (root / "review" / "REVIEW.md").exists()
