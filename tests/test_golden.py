"""Golden files: the documents and graph exports rendered from the small fixture review, and review.json's schema.

After an intended change of output, regenerate them with `make golden` and read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import FIXTURES
from crm_review import layout
from crm_review.analysis import analyse
from crm_review.export import GRAPH_FORMATS, export_graph
from crm_review.graph import build_graph
from crm_review.model import Review
from crm_review.output import json_schema
from crm_review.outputs import render_outputs
from crm_review.pipeline import load_valid_review

SMALL = FIXTURES / "small-review"
GOLDEN = Path(__file__).resolve().parent / "golden" / "small-review"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
FORMATS = ("md", "html", "json")
NAMES = sorted(["REVIEW.md", "review.html", "review.json", *(f"graph.{fmt}" for fmt in GRAPH_FORMATS)])


def rendered(review: Review) -> dict[str, str]:
    documents = {
        name: content.decode("utf-8")
        for name, content in render_outputs(review, analyse(review), FORMATS, SMALL / "templates").items()
    }
    graph = build_graph(review)
    documents.update({f"graph.{fmt}": export_graph(graph, fmt) for fmt in GRAPH_FORMATS})
    return documents


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    return rendered(load_valid_review(SMALL))


@pytest.mark.parametrize("name", NAMES)
def test_matches_golden_file(name: str, documents: dict[str, str]) -> None:
    """Each output is byte for byte what was reviewed and committed."""
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(documents[name], encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == documents[name], f"run `make golden` if {name} changed on purpose"


def test_shipped_schema_is_generated_from_the_output_models() -> None:
    """review.schema.json is what the typed output models say, so it cannot drift from review.json."""
    shipped = Path(str(layout.packaged("schema", "review.schema.json")))
    if UPDATE:
        shipped.write_text(json_schema(), encoding="utf-8")
    assert shipped.read_text(encoding="utf-8") == json_schema(), "run `make golden` after changing output.py"


def test_documents_do_not_depend_on_reading_order(documents: dict[str, str]) -> None:
    """Sources read in reverse order render to the same bytes, review.json included."""
    review = load_valid_review(SMALL)
    reversed_review = Review(config=review.config, principles=review.principles, sources=review.sources[::-1])
    assert rendered(reversed_review) == documents
