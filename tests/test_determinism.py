"""The same evidence gives byte-identical files across processes, whatever Python's hash seed.

Inside one process every set iterates the same way, so only separate processes with different
PYTHONHASHSEEDs can show an order that leaks from a set or a dict built from one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, generated_review, snapshot

# What `crm synthesize --out OUT` and `crm graph --format F -o OUT/graph.F` do, in one fresh process.
RENDER = """
import sys
from pathlib import Path
from crm_review.export import GRAPH_FORMATS
from crm_review.pipeline import export, synthesize
review, out = Path(sys.argv[1]), Path(sys.argv[2])
synthesize(review, out)
for fmt in GRAPH_FORMATS:
    (out / f"graph.{fmt}").write_text(export(review, fmt), encoding="utf-8")
"""


def render_in_a_new_process(review: Path, out: Path, seed: str) -> dict[str, bytes]:
    environment = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run([sys.executable, "-c", RENDER, str(review), str(out)], env=environment, check=True, timeout=300)
    return snapshot(out)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["small-review", "generated"])
def test_outputs_do_not_depend_on_the_hash_seed(tmp_path: Path, which: str) -> None:
    """Documents and graph exports from two processes with different hash seeds are identical."""
    review = FIXTURES / "small-review" if which == "small-review" else generated_review(tmp_path / "r", 25, 4)
    first = render_in_a_new_process(review, tmp_path / "first", "1")
    second = render_in_a_new_process(review, tmp_path / "second", "4242")
    assert len(first) == 11  # six documents (explorer.html, review.docx, evidence.xlsx too) and five graph exports
    assert first == second
