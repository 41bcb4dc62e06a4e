"""One comment per pull request, updated on each push: what the review workflow says about a change.

Runs inside GitHub Actions and reads only what Actions provides: the event payload
(``GITHUB_EVENT_PATH``), ``GITHUB_REPOSITORY``, ``GITHUB_API_URL`` and a token (``GITHUB_TOKEN``).
The comment is found again by a hidden marker, so a second push edits it instead of adding another.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm_review.errors import CommentFailed

MARKER = "<!-- crm-review: crm diff -->"
MAX_BODY = 65_000  # GitHub refuses comments over 65,536 characters
PAGE = 100


@dataclass(frozen=True)
class Posted:
    """What happened: ``created``, ``updated`` or ``skipped`` (with why), and the comment's address."""

    action: str
    url: str = ""
    reason: str = ""


def comment_body(markdown: str) -> str:
    """The marker, then the Markdown, cut to what GitHub accepts."""
    body = f"{MARKER}\n{markdown}"
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY] + "\n\n… (cut here: the whole report is in the run's summary)\n"
    return body


def post_or_update(markdown: str, env: Mapping[str, str]) -> Posted:
    """Create the pull request's crm comment, or edit it if an earlier run made one."""
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:  # the run's own page shows the report even where the token may not comment
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(markdown)
    event = _event(env)
    number = (event.get("pull_request") or {}).get("number") or event.get("number")
    if not isinstance(number, int):
        raise CommentFailed("this is not a pull request event: `crm pr-comment` runs in a pull_request workflow")
    repository, token = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_TOKEN", "")
    if not repository or not token:
        raise CommentFailed(
            "GITHUB_REPOSITORY and GITHUB_TOKEN must be set (give the step `GITHUB_TOKEN: ${{ github.token }}`)"
        )
    api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    client = _Client(api, token)
    body = comment_body(markdown)
    try:
        existing = _find(client, f"/repos/{repository}/issues/{number}/comments")
        if existing is not None:
            done = client.send("PATCH", f"/repos/{repository}/issues/comments/{existing}", {"body": body})
            return Posted("updated", str(done.get("html_url", "")))
        done = client.send("POST", f"/repos/{repository}/issues/{number}/comments", {"body": body})
        return Posted("created", str(done.get("html_url", "")))
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403, 404):  # a fork's pull request gets a read-only token: not the author's fault
            return Posted("skipped", reason=f"GitHub answered {exc.code} {exc.reason}: the token may not comment here")
        raise CommentFailed(f"GitHub answered {exc.code} {exc.reason} to {exc.url}") from exc
    except urllib.error.URLError as exc:
        raise CommentFailed(f"cannot reach {api}: {exc.reason}") from exc


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        raise CommentFailed("GITHUB_EVENT_PATH is not set: `crm pr-comment` runs inside GitHub Actions")
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommentFailed(f"cannot read the event payload {path}: {exc}") from exc
    return event if isinstance(event, dict) else {}


def _find(client: _Client, comments: str) -> int | None:
    """The id of the first comment carrying the marker, reading every page of comments."""
    page = 1
    while True:
        batch = client.get_list(f"{comments}?per_page={PAGE}&page={page}")
        for comment in batch:
            if MARKER in str(comment.get("body", "")):
                return int(comment["id"])
        if len(batch) < PAGE:
            return None
        page += 1


class _Client:
    def __init__(self, api: str, token: str) -> None:
        self.api = api
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "crm-review",
        }

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = json.dumps(payload).encode("utf-8") if payload is not None else None
        headers = {**self.headers, **({"Content-Type": "application/json"} if data else {})}
        request = urllib.request.Request(self.api + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read().decode("utf-8") or "null")

    def get_list(self, path: str) -> list[dict[str, Any]]:
        result = self._call("GET", path)
        return [item for item in result if isinstance(item, dict)] if isinstance(result, list) else []

    def send(self, method: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        result = self._call(method, path, payload)
        return result if isinstance(result, dict) else {}
