"""`crm pr-comment` against a simulated GitHub: one comment per pull request, updated on each push."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from crm_review.cli import app
from crm_review.prcomment import MARKER

REPOSITORY = "team/our-review"
NUMBER = 7


class FakeGitHub(ThreadingHTTPServer):
    """The three REST calls the comment needs, kept in memory; `refuse` answers every call 403."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        # Other people's comments fill the first page, so the marker has to be found on a later one.
        self.comments: list[dict[str, Any]] = [{"id": i, "body": f"comment {i}"} for i in range(1, 121)]
        self.tokens: set[str] = set()
        self.refuse = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        return dict(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))

    def _allowed(self) -> bool:
        self.server.tokens.add(self.headers.get("Authorization", ""))
        if self.server.refuse:
            self._reply(403, {"message": "Resource not accessible by integration"})
        return not self.server.refuse

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if not self._allowed():
            return
        assert url.path == f"/repos/{REPOSITORY}/issues/{NUMBER}/comments"
        query = parse_qs(url.query)
        size, page = int(query["per_page"][0]), int(query["page"][0])
        self._reply(200, self.server.comments[(page - 1) * size : page * size])

    def do_POST(self) -> None:
        if not self._allowed():
            return
        assert self.path == f"/repos/{REPOSITORY}/issues/{NUMBER}/comments"
        comment = {"id": 1000 + len(self.server.comments), "body": self._body()["body"]}
        comment["html_url"] = f"https://github.com/{REPOSITORY}/pull/{NUMBER}#issuecomment-{comment['id']}"
        self.server.comments.append(comment)
        self._reply(201, comment)

    def do_PATCH(self) -> None:
        if not self._allowed():
            return
        comment_id = int(self.path.rsplit("/", 1)[1])
        [comment] = [c for c in self.server.comments if c["id"] == comment_id]
        comment["body"] = self._body()["body"]
        self._reply(200, {**comment, "html_url": f"https://github.com/{REPOSITORY}/pull/{NUMBER}#c{comment_id}"})


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    server = FakeGitHub()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def actions_env(tmp_path: Path, github: FakeGitHub, event: dict[str, Any]) -> dict[str, str]:
    """What GitHub Actions sets for a step of a pull_request run."""
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    return {
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": "ghs_test",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }


PULL_REQUEST_EVENT = {"action": "synchronize", "number": NUMBER, "pull_request": {"number": NUMBER}}


def report(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crm-diff.md"
    path.write_text(text, encoding="utf-8")
    return path


def ours(github: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in github.comments if MARKER in c["body"]]


def test_first_push_creates_and_later_pushes_update_one_comment(
    tmp_path: Path, github: FakeGitHub, runner: CliRunner
) -> None:
    """Two pushes to a pull request leave one crm comment, holding the second report."""
    env = actions_env(tmp_path, github, PULL_REQUEST_EVENT)
    first = runner.invoke(app, ["pr-comment", str(report(tmp_path, "## first\n"))], env=env, catch_exceptions=False)
    assert first.exit_code == 0 and first.output.startswith("created https://github.com/")
    second = runner.invoke(app, ["pr-comment", str(report(tmp_path, "## second\n"))], env=env, catch_exceptions=False)
    assert second.exit_code == 0 and second.output.startswith("updated https://github.com/")
    [comment] = ours(github)
    assert comment["body"] == f"{MARKER}\n## second\n"
    assert len(github.comments) == 121
    assert github.tokens == {"Bearer ghs_test"}
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == "## first\n## second\n"


def test_a_read_only_token_is_a_note_not_a_failure(tmp_path: Path, github: FakeGitHub, runner: CliRunner) -> None:
    """A fork's pull request cannot be commented on: the step says so and passes; the summary has the report."""
    github.refuse = True
    env = actions_env(tmp_path, github, PULL_REQUEST_EVENT)
    result = runner.invoke(app, ["pr-comment", str(report(tmp_path, "## diff\n"))], env=env, catch_exceptions=False)
    assert result.exit_code == 0
    assert "note: no comment posted: GitHub answered 403" in result.output
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == "## diff\n"


def test_outside_a_pull_request_is_one_line(tmp_path: Path, github: FakeGitHub, runner: CliRunner) -> None:
    """A push event has no pull request to comment on: exit 1 and one line."""
    env = actions_env(tmp_path, github, {"ref": "refs/heads/main"})
    result = runner.invoke(app, ["pr-comment", str(report(tmp_path, "x\n"))], env=env)
    assert result.exit_code == 1
    assert "this is not a pull request event" in result.output and "Traceback" not in result.output
    assert ours(github) == []


def test_a_long_report_is_cut_to_what_github_accepts(tmp_path: Path, github: FakeGitHub, runner: CliRunner) -> None:
    """A report longer than GitHub's limit is cut with a note, never refused."""
    env = actions_env(tmp_path, github, PULL_REQUEST_EVENT)
    runner.invoke(app, ["pr-comment", str(report(tmp_path, "x" * 70_000))], env=env, catch_exceptions=False)
    [comment] = ours(github)
    assert len(comment["body"]) < 65_536 and comment["body"].endswith("the whole report is in the run's summary)\n")


def test_the_workflow_step_comments_on_a_simulated_pull_request(tmp_path: Path, github: FakeGitHub) -> None:
    """The generated workflow's own comment step, run by bash on a pull request's merge commit, posts the diff."""
    import os
    import subprocess
    import sys

    import yaml

    from conftest import source_yaml
    from crm_review import layout
    from gitrepos import commit_all, git, review_repository

    workflow = yaml.safe_load(layout.packaged("defaults", "scaffold", "review.yml").read_text(encoding="utf-8"))
    [step] = [s for s in workflow["jobs"]["check"]["steps"] if "crm pr-comment" in s.get("run", "")]
    repo = review_repository(tmp_path / "repo", {"doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1")})
    git(repo, "switch", "--quiet", "-c", "feature")
    (repo / "evidence" / "roe-2021.yaml").write_text(source_yaml("roe-2021", "roe-2021-1"), encoding="utf-8")
    commit_all(repo, "Add roe-2021")
    git(repo, "switch", "--quiet", "main")
    git(repo, "merge", "--quiet", "--no-ff", "--no-edit", "feature")  # what actions/checkout gives a pull request
    env = {
        **os.environ,
        **actions_env(tmp_path, github, PULL_REQUEST_EVENT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    for _ in range(2):  # two pushes
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    [comment] = ours(github)
    assert "- added `roe-2021`" in comment["body"] and comment["body"].startswith(MARKER)
