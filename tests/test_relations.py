"""Typed links to the programme theory: each CMOC supports, refutes or refines the principles it informs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import source_yaml, write_review
from crm_review.cli import app
from crm_review.pipeline import validate

MAPPING_BLOCK = """\
    principles:
      quick-wins: refutes
      invest-in-skills: refines
"""
MAPPING_FLOW = "    principles: {quick-wins: refutes, invest-in-skills: refines}\n"


def _with_principles(lines: str) -> str:
    return source_yaml("doe-2020", "doe-2020-1").replace("    principles: [quick-wins]\n", lines)


@pytest.mark.parametrize("lines", [MAPPING_BLOCK, MAPPING_FLOW], ids=["block", "flow"])
def test_mapping_form_names_each_relation(tmp_path: Path, lines: str) -> None:
    """`principles: {id: relation}` gives each principle its relation, in the order written."""
    root = write_review(tmp_path, {"doe-2020.yaml": _with_principles(lines)})
    review = validate(root).review
    assert review is not None
    assert review.sources[0].cmocs[0].links == (("quick-wins", "refutes"), ("invest-in-skills", "refines"))


def test_list_form_means_supports(tmp_path: Path) -> None:
    """The list form that reviews already use stays valid and means that the CMOC supports each principle."""
    root = write_review(
        tmp_path, {"doe-2020.yaml": _with_principles("    principles: [quick-wins, invest-in-skills]\n")}
    )
    review = validate(root).review
    assert review is not None
    assert review.sources[0].cmocs[0].links == (("quick-wins", "supports"), ("invest-in-skills", "supports"))


def test_unknown_principle_in_mapping_form_is_located_at_its_key(tmp_path: Path) -> None:
    """A misspelt principle in the mapping form is reported on its own line, with the nearest id."""
    root = write_review(
        tmp_path, {"doe-2020.yaml": _with_principles(MAPPING_BLOCK.replace("quick-wins", "quick-wnis"))}
    )
    [problem] = validate(root).errors
    assert (problem.line, problem.col) == (13, 7)
    assert problem.message == "CMOC `doe-2020-1`: unknown principle `quick-wnis`: did you mean `quick-wins`?"


def test_add_cmoc_writes_the_mapping_form_for_a_named_relation(tmp_path: Path, runner: CliRunner) -> None:
    """`--principle quick=refu` resolves both prefixes and writes `principles: {...}` into the file."""
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020")})
    flags = ["--source", "doe-2020", "--context", "c", "--resource", "r", "--response", "s", "--outcome", "o",
             "--direction", "negative", "--principle", "quick=refu", "--principle", "invest",
             "--quote", "q", "--locator", "p. 1"]  # fmt: skip
    runner.invoke(app, ["add", "cmoc", "--review", str(root), *flags], catch_exceptions=False)
    text = (root / "evidence" / "doe-2020.yaml").read_text(encoding="utf-8")
    assert "principles: {quick-wins: refutes, invest-in-skills: supports}\n" in text
    review = validate(root).review
    assert review is not None
    assert review.sources[0].cmocs[0].links == (("quick-wins", "refutes"), ("invest-in-skills", "supports"))


def test_add_cmoc_keeps_the_list_form_when_every_link_supports(tmp_path: Path, runner: CliRunner) -> None:
    """Without a relation the file keeps the familiar list form."""
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020")})
    flags = ["--source", "doe-2020", "--context", "c", "--resource", "r", "--response", "s", "--outcome", "o",
             "--direction", "positive", "--principle", "quick", "--quote", "q", "--locator", "p. 1"]  # fmt: skip
    runner.invoke(app, ["add", "cmoc", "--review", str(root), *flags], catch_exceptions=False)
    assert "principles: [quick-wins]\n" in (root / "evidence" / "doe-2020.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("quick=re", "relation `re` could be refutes or refines: write more of it"),
        ("quick=refutse", "unknown relation `refutse`: did you mean `refutes`?"),
        ("quick=rejects", "unknown relation `rejects`; write supports, refutes, refines"),
    ],
)
def test_add_cmoc_refuses_an_unclear_relation(tmp_path: Path, runner: CliRunner, token: str, message: str) -> None:
    """An ambiguous or unknown relation is one line, exit 1, and the file is left as it was."""
    root = write_review(tmp_path, {"doe-2020.yaml": source_yaml("doe-2020")})
    before = (root / "evidence" / "doe-2020.yaml").read_bytes()
    flags = ["--source", "doe-2020", "--context", "c", "--resource", "r", "--response", "s", "--outcome", "o",
             "--direction", "positive", "--principle", token, "--quote", "q", "--locator", "p. 1"]  # fmt: skip
    result = runner.invoke(app, ["add", "cmoc", "--review", str(root), *flags])
    assert result.exit_code == 1
    assert message in result.output
    assert (root / "evidence" / "doe-2020.yaml").read_bytes() == before


def test_list_filters_by_relation_and_shows_it(tmp_path: Path, runner: CliRunner) -> None:
    """`crm list cmocs --relation refutes` keeps CMOCs with a refuting link and shows each link's relation."""
    text = _with_principles(MAPPING_FLOW) + source_yaml("roe-2021", "roe-2021-1").split("cmocs:\n")[1]
    root = write_review(tmp_path, {"doe-2020.yaml": text.replace("roe-2021-1", "doe-2020-2")})
    result = runner.invoke(
        app, ["list", "cmocs", "--review", str(root), "--relation", "refutes", "--json"], catch_exceptions=False
    )
    rows = json.loads(result.stdout)
    assert [(row["id"], row["principles"]) for row in rows] == [
        ("doe-2020-1", {"quick-wins": "refutes", "invest-in-skills": "refines"})
    ]
    principles = runner.invoke(app, ["list", "principles", "--review", str(root), "--json"], catch_exceptions=False)
    counts = {row["id"]: (row["supports"], row["refutes"], row["refines"]) for row in json.loads(principles.stdout)}
    assert counts == {"quick-wins": (1, 1, 0), "invest-in-skills": (0, 0, 1)}


def test_show_gives_every_link_its_relation(tmp_path: Path, runner: CliRunner) -> None:
    """`crm show` of a source, a CMOC and a principle states each link's relation, whichever form was written."""
    root = write_review(tmp_path, {"doe-2020.yaml": _with_principles(MAPPING_FLOW)})
    source = json.loads(runner.invoke(app, ["show", "doe-2020", "-r", str(root), "--json"]).stdout)
    assert source["kind"] == "source" and source["title"] == "Study doe-2020"
    assert source["cmocs"][0]["principles"] == {"quick-wins": "refutes", "invest-in-skills": "refines"}
    cmoc = runner.invoke(app, ["show", "doe-2020-1", "-r", str(root)], catch_exceptions=False).stdout
    assert "principles: {quick-wins: refutes, invest-in-skills: refines}\n" in cmoc
    principle = json.loads(runner.invoke(app, ["show", "invest-in-skills", "-r", str(root), "--json"]).stdout)
    assert [(c["id"], c["relation"]) for c in principle["cmocs"]] == [("doe-2020-1", "refines")]
