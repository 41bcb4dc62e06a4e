"""The only place the review's graph is built: sources report CMOCs, CMOCs inform principles.

Nodes are ``source:<id>``, ``cmoc:<id>`` and ``principle:<id>``, each with ``kind`` and ``label`` and
the attributes a reader of the graph needs. Attributes keep their Python values (lists stay lists);
exporters flatten them for formats that cannot hold them.
"""

from __future__ import annotations

from typing import TypeAlias

import networkx as nx

from crm_review.model import Cmoc, Principle, Review, Source

ReviewGraph: TypeAlias = "nx.DiGraph[str]"


def node_id(kind: str, record_id: str) -> str:
    return f"{kind}:{record_id}"


def build_graph(review: Review) -> ReviewGraph:
    """Principles, then sources, then CMOCs, each sorted by id, so that every export is deterministic."""
    graph: ReviewGraph = nx.DiGraph(
        title=review.config.title,
        question=review.config.question,
        principle_order=[node_id("principle", p.id) for p in review.principles],
    )
    for principle in sorted(review.principles, key=lambda p: p.id):
        graph.add_node(node_id("principle", principle.id), **_principle_attributes(principle))
    for source in sorted(review.sources, key=lambda s: s.id):
        graph.add_node(node_id("source", source.id), **_source_attributes(source))
    for source, cmoc in sorted(review.cmocs(), key=lambda pair: pair[1].id):
        cmoc_node = node_id("cmoc", cmoc.id)
        graph.add_node(cmoc_node, **_cmoc_attributes(source, cmoc))
        graph.add_edge(node_id("source", source.id), cmoc_node, kind="reports")
        for principle_id, relation in sorted(cmoc.links):
            graph.add_edge(
                cmoc_node,
                node_id("principle", principle_id),
                kind="informs",
                relation=relation,
                direction=cmoc.direction,
            )
    return graph


def _principle_attributes(principle: Principle) -> dict[str, object]:
    return {"kind": "principle", "id": principle.id, "label": principle.title, "statement": principle.statement}


def _source_attributes(source: Source) -> dict[str, object]:
    """Every field of the source as people give it (the appraisal's ratings flat), with its label."""
    return {"kind": "source", "id": source.id, "label": source.citation(), **source.given()}


def _cmoc_attributes(source: Source, cmoc: Cmoc) -> dict[str, object]:
    return {
        "kind": "cmoc",
        "id": cmoc.id,
        "label": cmoc.id,
        "source": source.id,
        "context": cmoc.context,
        "resource": cmoc.mechanism.resource,
        "response": cmoc.mechanism.response,
        "outcome": cmoc.outcome,
        "direction": cmoc.direction,
        "themes": sorted(set(cmoc.themes)),
        "quotes": len(cmoc.evidence),
    }


def nodes_of_kind(graph: ReviewGraph, kind: str) -> list[str]:
    """The graph's nodes of one kind, sorted."""
    return sorted(node for node, data in graph.nodes(data=True) if data["kind"] == kind)
