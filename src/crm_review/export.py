"""The review's graph in formats other tools read: GraphML, GEXF, node-link JSON, DOT and Mermaid."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import networkx as nx

from crm_review.escape import dot_string, json_text, mermaid_id, mermaid_label, visible
from crm_review.graph import ReviewGraph
from crm_review.palette import RELATION_COLOURS, RELATION_DOT_STYLES


def export_graph(graph: ReviewGraph, fmt: str) -> str:
    """The graph as text in ``fmt`` (one of :data:`GRAPH_FORMATS`); the same graph always gives the same bytes."""
    return _EXPORTERS[fmt](graph)


def flat(graph: ReviewGraph) -> ReviewGraph:
    """A copy whose attributes are all text or numbers, as GraphML and GEXF require.

    Lists become ``"; "``-joined text and missing values are left out, so that tools other than
    networkx (Gephi, yEd, igraph, Cytoscape) read every attribute with one declared type. Control
    characters, which XML 1.0 cannot carry at all, are written as visible escapes (``\\x1b``).
    """
    copy: ReviewGraph = nx.DiGraph()
    copy.graph.update({k: visible(v) for k, v in graph.graph.items() if isinstance(v, str)})
    for node, data in graph.nodes(data=True):
        copy.add_node(node, **_flat_attributes(data))
    for u, v, data in graph.edges(data=True):
        copy.add_edge(u, v, **_flat_attributes(data))
    return copy


def _flat_attributes(data: dict[str, object]) -> dict[str, object]:
    flat_data: dict[str, object] = {}
    for key, value in data.items():
        if value is None:
            continue
        text = "; ".join(str(v) for v in value) if isinstance(value, list | tuple) else value
        flat_data[key] = visible(text) if isinstance(text, str) else text
    return flat_data


def _graphml(graph: ReviewGraph) -> str:
    return "\n".join(nx.generate_graphml(flat(graph), prettyprint=True)) + "\n"


def _gexf(graph: ReviewGraph) -> str:
    text = "\n".join(nx.generate_gexf(flat(graph), prettyprint=True))
    # networkx stamps today's date and its own version; a deterministic file carries neither.
    text = re.sub(r"<meta[^>]*>.*?</meta>", "<meta><creator>crm-review</creator></meta>", text, flags=re.DOTALL)
    return text + "\n"


def _json(graph: ReviewGraph) -> str:
    data = nx.node_link_data(graph, edges="edges")
    return json_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)) + "\n"


_SHAPES = {"principle": "box", "source": "note", "cmoc": "ellipse"}


def _dot(graph: ReviewGraph) -> str:
    lines = ["digraph review {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for node, data in graph.nodes(data=True):
        lines.append(f"  {dot_string(node)} [label={dot_string(data['label'])}, shape={_SHAPES[data['kind']]}];")
    for u, v, data in graph.edges(data=True):
        if data["kind"] == "reports":
            lines.append(f"  {dot_string(u)} -> {dot_string(v)};")
            continue
        relation = data["relation"]
        style = f"color={dot_string(RELATION_COLOURS[relation])}, style={RELATION_DOT_STYLES[relation]}"
        lines.append(f"  {dot_string(u)} -> {dot_string(v)} [label={dot_string(relation)}, {style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid(graph: ReviewGraph) -> str:
    lines = ["graph LR"]
    for node, data in graph.nodes(data=True):
        label = mermaid_label(data["label"])
        shape = f'["{label}"]' if data["kind"] != "cmoc" else f'("{label}")'
        lines.append(f"  {mermaid_id(node)}{shape}")
    for u, v, data in graph.edges(data=True):
        arrow = "-->" if data["kind"] == "reports" else f"-- {data['relation']}, outcome {data['direction']} -->"
        lines.append(f"  {mermaid_id(u)} {arrow} {mermaid_id(v)}")
    return "\n".join(lines) + "\n"


_EXPORTERS: dict[str, Callable[[ReviewGraph], str]] = {
    "graphml": _graphml,
    "gexf": _gexf,
    "json": _json,
    "dot": _dot,
    "mermaid": _mermaid,
}
GRAPH_FORMATS = tuple(_EXPORTERS)
"""The formats `crm graph --format` offers (the CLI spells them out to start light; a test keeps them equal)."""
