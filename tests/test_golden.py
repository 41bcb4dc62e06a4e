"""Golden files: the documents and graph exports rendered from the small fixture review.

After an intended change of output, regenerate them with `make golden` and read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import FIXTURES
from crm_review.analysis import analyse
from crm_review.export import GRAPH_FORMATS, export_graph
from crm_review.graph import build_graph
from crm_review.pipeline import load_valid_review
from crm_review.render import render_documents

SMALL = FIXTURES / "small-review"
GOLDEN = Path(__file__).resolve().parent / "golden" / "small-review"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def rendered() -> dict[str, str]:
    review = load_valid_review(SMALL)
    graph = build_graph(review)
    documents = render_documents(
        review, analyse(graph, review.config.confidence), ("md", "html", "json"), SMALL / "templates"
    )
    documents.update({f"graph.{fmt}": export_graph(graph, fmt) for fmt in GRAPH_FORMATS})
    return documents


DOCUMENTS = rendered()


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_matches_golden_file(name: str) -> None:
    """Each output is byte for byte what was reviewed and committed."""
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(DOCUMENTS[name], encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == DOCUMENTS[name], f"run `make golden` if {name} changed on purpose"


def test_rendering_twice_gives_identical_bytes() -> None:
    """Nothing in the output depends on the clock, the machine or chance."""
    assert rendered() == DOCUMENTS


def test_documents_do_not_depend_on_reading_order() -> None:
    """Sources read in reverse order render to the same bytes, review.json included."""
    from crm_review.model import Review

    review = load_valid_review(SMALL)
    reversed_review = Review(config=review.config, principles=review.principles, sources=review.sources[::-1])
    formats = ("md", "html", "json")
    original = render_documents(review, analyse(build_graph(review), review.config.confidence), formats, SMALL)
    again = render_documents(
        reversed_review, analyse(build_graph(reversed_review), review.config.confidence), formats, SMALL
    )
    assert again == original
