"""Word and Excel against the text documents: at 300 sources x 20 CMOCs, docx+xlsx may take no longer than md+html+json.

`measure(workdir)` is called by benchmarks/bench.py (`make bench`) and returns a Markdown section.
The goal's review is generated here (6,000 CMOCs, each linked to one or two of the eight default
principles, with two quotes); bench.py's realistic review of the same size (benchmarks/generate.py) is
measured beside it. Each is loaded and analysed once, then each set of formats is rendered in memory,
after one warm-up run so that imports are not counted: the median of seven runs is kept, and the median of
each run's own ratio of the two sets.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from pathlib import Path

from crm_review import layout
from crm_review.analysis import analyse
from crm_review.outputs import render_outputs
from crm_review.pipeline import load_valid_review
from crm_review.yamltext import dump

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import generate  # benchmarks/generate.py, beside this folder

SOURCES = 300
CMOCS_PER_SOURCE = 20
REPEATS = 7
PRINCIPLES = generate.PRINCIPLES
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
    """CPU time of this process and of any children it waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


Timing = tuple[float, float, int]
"""Median wall-clock seconds, median CPU seconds, and bytes written."""
Rounds = tuple[list[float], list[float]]
"""Wall-clock and CPU seconds of each round, in order."""


def _timings(root: Path) -> tuple[dict[tuple[str, ...], Timing], dict[tuple[str, ...], Rounds]]:
    """Each set of formats rendered from ``root``, loaded and analysed once: the medians, and each round's times."""
    review = load_valid_review(root)
    findings = analyse(review)
    templates = root / layout.TEMPLATES_DIR
    gc.freeze()  # as `crm synthesize` does: the loaded records stay out of the collector's scans

    sets = (TEXT, OFFICE, *((fmt,) for fmt in OFFICE))
    walls: dict[tuple[str, ...], list[float]] = {formats: [] for formats in sets}
    cpus: dict[tuple[str, ...], list[float]] = {formats: [] for formats in sets}
    sizes: dict[tuple[str, ...], int] = {}
    try:
        for formats in sets:
            render_outputs(review, findings, formats, templates)  # warm-up: imports and caches
        # Round by round, each set once: this host's speed drifts by a third within a minute, and a drift
        # then falls on every set alike instead of on whichever happened to run during it.
        for _ in range(REPEATS):
            for formats in sets:
                start, start_cpu = time.perf_counter(), _cpu_seconds()
                files = render_outputs(review, findings, formats, templates)
                walls[formats].append(time.perf_counter() - start)
                cpus[formats].append(_cpu_seconds() - start_cpu)
                sizes[formats] = sum(len(data) for data in files.values())
    finally:
        gc.unfreeze()
    medians = {f: (statistics.median(walls[f]), statistics.median(cpus[f]), sizes[f]) for f in sets}
    return medians, {f: (walls[f], cpus[f]) for f in sets}


def _by_round(rounds: dict[tuple[str, ...], Rounds], clock: int) -> float:
    """The median of each round's own docx + xlsx / md + html + json: the two sets run back to back in a round."""
    return statistics.median(o / t for o, t in zip(rounds[OFFICE][clock], rounds[TEXT][clock], strict=True))


def _table(measured: tuple[dict[tuple[str, ...], Timing], dict[tuple[str, ...], Rounds]]) -> list[str]:
    timings, rounds = measured

    def row(label: str, timing: Timing) -> str:
        wall, cpu, size = timing
        return f"| {label} | {wall:.2f} | {cpu:.2f} | {size / 1e6:.1f} MB |"

    def verdict(ratio: float) -> str:
        return "within the goal" if ratio <= 1 else "over the goal"

    text, office = timings[TEXT], timings[OFFICE]
    wall, cpu = _by_round(rounds, 0), _by_round(rounds, 1)
    return [
        "| formats | wall s | CPU s | output |",
        "|---|---:|---:|---:|",
        row("md + html + json", text),
        row("docx + xlsx", office),
        *(row(f"{fmt} alone", timings[(fmt,)]) for fmt in OFFICE),
        "",
        f"docx + xlsx / md + html + json, the median of the rounds' own ratios = {wall:.2f} in wall-clock time "
        f"({verdict(wall)}), {cpu:.2f} in CPU time ({verdict(cpu)}); from the medians above, "
        f"{office[0] / text[0]:.2f} and {office[1] / text[1]:.2f}.",
    ]


def measure(workdir: Path) -> str:
    load_before = os.getloadavg()[0]
    uniform = workdir / "docx-xlsx-review"
    make_review(uniform)
    realistic = generate.review_root(workdir, SOURCES, CMOCS_PER_SOURCE)  # bench.py's, when this runs inside it
    if not realistic.is_dir():
        generate.make_review(realistic, SOURCES, CMOCS_PER_SOURCE, relations=True)
    uniform_timings, realistic_timings = _timings(uniform), _timings(realistic)
    load_after = os.getloadavg()[0]
    lines = [
        "## Word and Excel (`crm synthesize --format docx,xlsx`)",
        "",
        f"Two generated reviews of {SOURCES} sources x {CMOCS_PER_SOURCE} CMOCs, each loaded and analysed once;",
        f"rendering only, in memory, one file after another, median of {REPEATS} rounds (each set of formats once a",
        "round, so that the host's drift falls on all alike) after a warm-up. The goal:",
        "docx and xlsx together take no longer than md, html and json together, judged by the median of each",
        "round's own ratio (the two sets run back to back, seconds apart: a drift of the host's speed between",
        "rounds cancels out). Both clocks move with whatever else the machine runs; CPU seconds (of this",
        "process and any it waited for) move less.",
        f"Machine load (1-minute average) when the run began and ended: {load_before:.1f} and {load_after:.1f} on "
        f"{os.cpu_count()} cores.",
        "",
        f"The goal's review: {SOURCES * CMOCS_PER_SOURCE:,} CMOCs, two short quotes each, the same few sentences "
        "throughout:",
        "",
        *_table(uniform_timings),
        "",
        "The review `make bench` measures everywhere else (`benchmarks/generate.py`: realistic text lengths, every",
        "sentence different, one to three quotes per CMOC), for comparison:",
        "",
        *_table(realistic_timings),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        sys.stdout.write(measure(Path(folder)))
