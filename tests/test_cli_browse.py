"""`crm list` and `crm show`: tables in a terminal, plain text when piped, JSON for scripts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO
from crm_review.cli import app


def run(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, [*args, "--review", str(REPO)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_list_sources_piped_is_tab_separated(runner: CliRunner) -> None:
    """Piped output has a header row and one tab-separated row per source."""
    lines = run(runner, "list", "sources").splitlines()
    assert lines[0] == "id\tyear\tauthors\ttitle\tcountries\trelevance\trigour\tcmocs"
    assert lines[1].split("\t")[:3] == ["arriola-vigo-nd", "", "Arriola-Vigo et al."]
    assert [line.split("\t")[0] for line in lines[1:]] == ["arriola-vigo-nd", "de-weger-2018", "montenegro-2020"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["--principle", "quick"], ["arriola-vigo-nd-7", "de-weger-2018-3"]),
        (["--source", "montenegro-2020", "--direction", "negative"], ["montenegro-2020-2", "montenegro-2020-3"]),
        (
            ["--principle", "facilitative-leadership", "--direction", "positive"],
            ["de-weger-2018-1", "montenegro-2020-1"],
        ),
    ],
)
def test_list_cmocs_filters(runner: CliRunner, filters: list[str], expected: list[str]) -> None:
    """Filters by principle (id or prefix), source and direction combine."""
    rows = json.loads(run(runner, "list", "cmocs", *filters, "--json"))
    assert [row["id"] for row in rows] == expected


def test_list_principles_counts_cmocs_and_sources(runner: CliRunner) -> None:
    """Each principle shows how many CMOCs and sources support it."""
    rows = {row["id"]: row for row in json.loads(run(runner, "list", "principles", "--json"))}
    assert (rows["facilitative-leadership"]["cmocs"], rows["facilitative-leadership"]["sources"]) == (4, 3)
    assert len(rows) == 8


def test_list_in_a_terminal_is_a_table_without_colour_under_no_color(runner: CliRunner) -> None:
    """In a terminal the list is a table; NO_COLOR leaves out every colour code."""
    out = run(runner, "list", "principles", env={"TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "120"})
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "8 principles" in plain and "┃ id " in plain and "│ quick-wins " in plain
    assert not re.search(r"\x1b\[[0-9;]*(?:3[0-8]|9[0-7]|4[0-8])m", out), "colour codes despite NO_COLOR"


def test_show_cmoc_in_full(runner: CliRunner) -> None:
    """A CMOC is shown with its source and every quote."""
    data = json.loads(run(runner, "show", "montenegro-2020-3", "--json"))
    assert (data["kind"], data["source"], data["direction"]) == ("cmoc", "montenegro-2020", "negative")
    assert data["evidence"][0]["locator"] == "Abstract, Findings"


def test_show_principle_lists_its_cmocs(runner: CliRunner) -> None:
    """A principle is shown with the CMOCs linked to it."""
    out = run(runner, "show", "quick-wins")
    assert out.startswith("kind: principle\nid: quick-wins\n")
    assert "  - id: arriola-vigo-nd-7" in out and "    source: arriola-vigo-nd" in out


def test_show_unknown_id_suggests(runner: CliRunner) -> None:
    """A mistyped id is exit 1 with the nearest id suggested."""
    result = runner.invoke(app, ["show", "montenegro-202", "--review", str(REPO)])
    assert result.exit_code == 1
    assert "no source, CMOC or principle `montenegro-202`: did you mean `montenegro-2020`?" in result.output


def test_list_refuses_an_invalid_review(tmp_path: Path, runner: CliRunner) -> None:
    """Browsing an invalid review shows its errors instead of a partial list."""
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "review.yaml").write_text("title: T\n")
    result = runner.invoke(app, ["list", "sources", "--review", str(tmp_path)])
    assert result.exit_code == 1
    assert "review.yaml:1:1: error: missing `question`" in result.output


def test_list_says_when_nothing_matches(runner: CliRunner) -> None:
    """An empty selection says so, instead of printing nothing."""
    result = runner.invoke(
        app, ["list", "cmocs", "--source", "montenegro-2020", "--principle", "quick-wins", "--review", str(REPO)]
    )
    assert result.exit_code == 0
    assert result.stdout == "" and "no cmocs match" in result.output
