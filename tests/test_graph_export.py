"""`crm graph`: the review's graph in formats that tools other than networkx read."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES
from crm_review.cli import app
from crm_review.model import SOURCE_FIELDS

SMALL = FIXTURES / "small-review"
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def export(runner: CliRunner, fmt: str) -> str:
    result = runner.invoke(app, ["graph", "--review", str(SMALL), "--format", fmt], catch_exceptions=False)
    assert result.exit_code == 0
    return result.stdout


def test_graphml_is_plain_graphml(runner: CliRunner) -> None:
    """Every attribute is declared once with a GraphML type, and every value is text or a number."""
    root = ET.fromstring(export(runner, "graphml"))
    keys = {k.get("id"): k for k in root.iter(f"{GRAPHML}key")}
    assert {k.get("attr.type") for k in keys.values()} <= {"string", "int", "long", "double", "boolean"}
    graph = root.find(f"{GRAPHML}graph")
    assert graph is not None and graph.get("edgedefault") == "directed"
    nodes = {
        n.get("id"): {keys[d.get("key")].get("attr.name"): d.text for d in n} for n in graph.iter(f"{GRAPHML}node")
    }
    assert len(nodes) == 3 + 3 + 5
    assert nodes["source:gamma-2022"]["countries"] == "Chile; Peru"
    assert nodes["cmoc:alpha-2019-1"]["kind"] == "cmoc" and nodes["cmoc:alpha-2019-1"]["themes"] == "trust"
    assert "relevance" not in nodes["source:gamma-2022"]
    edges = [(e.get("source"), e.get("target")) for e in graph.iter(f"{GRAPHML}edge")]
    assert ("source:alpha-2019", "cmoc:alpha-2019-1") in edges and (
        "cmoc:alpha-2019-1",
        "principle:quick-wins",
    ) in edges
    assert len(edges) == 5 + 6


def test_gexf_carries_no_date_or_version(runner: CliRunner) -> None:
    """GEXF is deterministic: networkx's date and version stamp are replaced."""
    text = export(runner, "gexf")
    assert "lastmodifieddate" not in text and "NetworkX" not in text
    ET.fromstring(text)


def test_json_is_node_link(runner: CliRunner) -> None:
    """The JSON export is node-link data with every attribute, lists kept as lists."""
    data = json.loads(export(runner, "json"))
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["source:gamma-2022"]["countries"] == ["Chile", "Peru"]
    assert {e["kind"] for e in data["edges"]} == {"reports", "informs"}


def test_a_source_node_carries_every_field_of_a_source(runner: CliRunner) -> None:
    """Each field people give for a source is an attribute of its node, the appraisal's ratings flat."""
    nodes = {n["id"]: n for n in json.loads(export(runner, "json"))["nodes"]}
    alpha = nodes["source:alpha-2019"]
    assert set(SOURCE_FIELDS) <= set(alpha)
    assert (alpha["volume"], alpha["issue"], alpha["pages"], alpha["rigour"]) == ("4", "2", "10-20", "high")


def test_dot_and_mermaid(runner: CliRunner) -> None:
    """DOT and Mermaid name every node and label each link with its relation (and, in DOT, its line style)."""
    dot = export(runner, "dot")
    assert dot.startswith("digraph review {") and dot.rstrip().endswith("}")
    assert '"cmoc:alpha-2019-2" -> "principle:shared-gov" [label="refines", color="#8a5a00", style=dotted];' in dot
    mermaid = export(runner, "mermaid")
    assert mermaid.startswith("graph LR\n")
    assert "  cmoc_beta_2021_2 -- supports, outcome mixed --> principle_quick_wins" in mermaid


def test_output_file(tmp_path: Path, runner: CliRunner) -> None:
    """-o writes the file (atomically) instead of printing."""
    out = tmp_path / "review.graphml"
    result = runner.invoke(app, ["graph", "--review", str(SMALL), "-o", str(out)])
    assert result.exit_code == 0 and out.read_text().startswith("<graphml")


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json", "dot", "mermaid"])
def test_same_review_same_bytes(runner: CliRunner, fmt: str) -> None:
    """Exports are deterministic."""
    assert export(runner, fmt) == export(runner, fmt)
