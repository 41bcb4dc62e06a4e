"""Word and Excel against the text documents: at 300 sources x 20 CMOCs, docx+xlsx may take no longer than md+html+json.

`measure(workdir)` is called by benchmarks/bench.py (`make bench`) and returns a Markdown section.
The review is generated here (6,000 CMOCs, each linked to one or two of the eight default principles,
with two quotes); it is loaded and analysed once, then each set of formats is rendered in memory,
after one warm-up run so that imports are not counted, and the median of three runs is kept.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from pathlib import Path

from crm_review import layout
from crm_review.analysis import analyse
from crm_review.outputs import render_outputs
from crm_review.pipeline import load_valid_review
from crm_review.yamltext import dump

SOURCES = 300
CMOCS_PER_SOURCE = 20
REPEATS = 3
PRINCIPLES = (
    "facilitative-leadership",
    "safe-trusting-environment",
    "early-involvement",
    "shared-governance",
    "power-imbalances",
    "invest-in-skills",
    "quick-wins",
    "motivations",
)
TEXT = ("md", "html", "json")
OFFICE = ("docx", "xlsx")


def make_review(root: Path) -> None:
    (root / "configs").mkdir(parents=True)
    (root / "evidence").mkdir()
    (root / "configs" / "review.yaml").write_text("title: Benchmark\nquestion: How fast?\n", encoding="utf-8")
    relations = ("supports", "refutes", "refines")
    for s in range(SOURCES):
        source_id = f"author{s:04d}-2020"
        cmocs = []
        for c in range(CMOCS_PER_SOURCE):
            first, second = PRINCIPLES[(s + c) % 8], PRINCIPLES[(s + 3 * c + 1) % 8]
            links = {first: relations[(s + c) % 3]} | ({second: "supports"} if second != first else {})
            cmocs.append(
                {
                    "id": f"{source_id}-{c + 1}",
                    "context": f"Context {s}-{c}: a community health service working with local groups in a rural district.",
                    "mechanism": {"resource": "Training offered to citizens", "response": "Citizens gain confidence"},
                    "outcome": "More citizens take part in planning and stay involved.",
                    "direction": ("positive", "negative", "mixed")[(s + c) % 3],
                    "principles": links,
                    "evidence": [
                        {
                            "quote": f"Quote {c} of source {s}, verbatim, as the participants said it.",
                            "locator": f"p. {c + 1}",
                        },
                        {"quote": f"A second passage of source {s} on the same point.", "locator": f"p. {c + 2}"},
                    ],
                    "themes": [f"theme-{(s + c) % 12}"],
                }
            )
        record = {
            "id": source_id,
            "title": f"Study {s}",
            "authors": [f"Author{s:04d}, A."],
            "year": 2020,
            "countries": ["Chile" if s % 2 else "Peru"],
            "design": "qualitative study",
            "appraisal": {"relevance": ("high", "moderate")[s % 2], "rigour": ("high", "moderate", "low")[s % 3]},
            "cmocs": cmocs,
        }
        (root / "evidence" / f"{source_id}.yaml").write_text(dump(record), encoding="utf-8")


def _cpu_seconds() -> float:
    """CPU time of this process and of the children it waited for (large documents render on a second core)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def measure(workdir: Path) -> str:
    root = workdir / "docx-xlsx-review"
    make_review(root)
    review = load_valid_review(root)
    findings = analyse(review)
    templates = root / layout.TEMPLATES_DIR
    gc.freeze()  # as `crm synthesize` does: the loaded records stay out of the collector's scans

    def timed(formats: tuple[str, ...]) -> tuple[float, float, int]:
        render_outputs(review, findings, formats, templates)  # warm-up: imports and caches
        wall, cpu, size = [], [], 0
        for _ in range(REPEATS):
            start, start_cpu = time.perf_counter(), _cpu_seconds()
            files = render_outputs(review, findings, formats, templates)
            wall.append(time.perf_counter() - start)
            cpu.append(_cpu_seconds() - start_cpu)
            size = sum(len(data) for data in files.values())
        return statistics.median(wall), statistics.median(cpu), size

    text_wall, text_cpu, text_bytes = timed(TEXT)
    office_wall, office_cpu, office_bytes = timed(OFFICE)
    each = {fmt: timed((fmt,)) for fmt in OFFICE}

    def verdict(ratio: float) -> str:
        return "within the goal" if ratio <= 1 else "over the goal"

    gc.unfreeze()
    lines = [
        "## Word and Excel (`crm synthesize --format docx,xlsx`)",
        "",
        f"A generated review of {SOURCES} sources x {CMOCS_PER_SOURCE} CMOCs ({SOURCES * CMOCS_PER_SOURCE:,} CMOCs, "
        f"two quotes each), loaded and analysed once; rendering only, in memory, median of {REPEATS} runs after a "
        "warm-up. The goal: docx and xlsx together take no longer than md, html and json together. Wall-clock",
        "seconds move with whatever else the machine runs (and fall when a large document is rendered on a second",
        "core); CPU seconds (this process and its forked renderer) are the steadier comparison of the work done.",
        "",
        "| formats | wall s | CPU s | output |",
        "|---|---:|---:|---:|",
        f"| md + html + json | {text_wall:.2f} | {text_cpu:.2f} | {text_bytes / 1e6:.1f} MB |",
        f"| docx + xlsx | {office_wall:.2f} | {office_cpu:.2f} | {office_bytes / 1e6:.1f} MB |",
        *(f"| {fmt} alone | {w:.2f} | {c:.2f} | {size / 1e6:.1f} MB |" for fmt, (w, c, size) in each.items()),
        "",
        f"docx + xlsx / md + html + json = {office_wall / text_wall:.2f} in wall-clock time "
        f"({verdict(office_wall / text_wall)}), {office_cpu / text_cpu:.2f} in CPU time "
        f"({verdict(office_cpu / text_cpu)}).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        sys.stdout.write(measure(Path(folder)))
