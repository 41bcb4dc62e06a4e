"""The evidence explorer at size: file size against the evidence, and its speed in headless Chromium.

`measure(workdir)` takes the reviews of 300 and 1,000 sources with 20 CMOCs each that bench.py
generated in `workdir` (run alone, it generates its own: sentences of realistic length drawn from a
fixed vocabulary, one to three quotes per CMOC), writes each review's explorer.html with
`crm synthesize --format explorer`, opens it in Debian's Chromium through Playwright
and times what a reader waits for: the first filterable view, a filter, a search, opening a CMOC.
Each interaction is timed inside the page from the event to the next painted frame; the median of
several runs is kept. Returns the Markdown section for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from crm_review.pipeline import synthesize
from crm_review.yamltext import dump

SIZES = ((300, 20), (1000, 20))
PRINCIPLES = (
    "early-involvement", "shared-governance", "safe-trusting-environment", "power-imbalances",
    "facilitative-leadership", "invest-in-skills", "quick-wins", "motivations",
)  # fmt: skip
COUNTRIES = ("Chile", "Peru", "Nigeria", "United Kingdom", "India", "Brazil", "Kenya", "Canada", "Ghana", "Nepal")
DESIGNS = ("qualitative case study", "mixed methods", "ethnography", "realist evaluation", "cross-sectional survey")
WORDS = (
    "community", "members", "health", "workers", "trust", "funding", "local", "groups", "representation", "staff",
    "clinic", "meetings", "priorities", "services", "decisions", "volunteers", "leaders", "training",
    "confidence", "feedback", "resources", "councils", "women", "young", "people", "carers", "stigma", "mental",
    "health", "primary", "care", "district", "managers", "budget", "transport", "language", "elders", "outreach",
    "peer", "support", "forums", "partnership", "accountability", "listening", "respect", "time", "evidence",
    "planning", "delivery", "rural", "urban", "participation", "ownership", "credibility", "turnover", "workload",
)  # fmt: skip
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
RUNS = 5
"""Page loads per size; each times three principle and three country filters and four searches."""
TIME_TO_PAINT = "() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)))"


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def make_review(root: Path, sources: int, per_source: int, seed: int = 15) -> int:
    """A valid review of generated sources; returns the bytes of its evidence files."""
    rng = random.Random(seed)
    (root / "configs").mkdir(parents=True)
    (root / "evidence").mkdir()
    (root / "configs" / "review.yaml").write_text("title: Explorer benchmark\nquestion: How fast?\n", encoding="utf-8")
    size = 0
    for s in range(sources):
        source_id = f"author{s:04d}-2020"
        cmocs = []
        for c in range(per_source):
            chosen = rng.sample(PRINCIPLES, rng.randint(1, 3))
            cmocs.append(
                {
                    "id": f"{source_id}-{c + 1}",
                    "context": sentence(rng, 18, 40),
                    "mechanism": {"resource": sentence(rng, 8, 18), "response": sentence(rng, 8, 18)},
                    "outcome": sentence(rng, 10, 25),
                    "direction": rng.choice(("positive", "negative", "mixed")),
                    "principles": {p: rng.choice(("supports", "supports", "refutes", "refines")) for p in chosen},
                    "evidence": [
                        {"quote": sentence(rng, 20, 60), "locator": f"p. {rng.randint(1, 30)}"}
                        for _ in range(rng.randint(1, 3))
                    ],
                    "themes": sorted(set(rng.sample([f"theme-{n}" for n in range(30)], rng.randint(0, 2)))),
                }
            )
        record = {
            "id": source_id,
            "title": sentence(rng, 8, 16).rstrip("."),
            "authors": [f"Author{s:04d}, A.", "Second, B.", "Third, C."][: rng.randint(1, 3)],
            "year": 2000 + s % 25,
            "journal": "Health Expectations",
            "doi": f"10.1000/bench.{s}",
            "countries": [rng.choice(COUNTRIES)],
            "design": rng.choice(DESIGNS),
            "appraisal": {
                "relevance": rng.choice(("high", "moderate", "low")),
                "rigour": rng.choice(("high", "moderate", "low")),
            },
            "cmocs": cmocs,
        }
        path = root / "evidence" / f"{source_id}.yaml"
        path.write_text(dump(record), encoding="utf-8")
        size += path.stat().st_size
    return size


def timed_in_page(page: Any, action: str, argument: object) -> float:
    """Milliseconds from an action in the page to the next painted frame."""
    return float(
        page.evaluate(
            "async ([action, arg]) => {"
            " const t0 = performance.now();"
            " const changed = new Promise(done => window.addEventListener('hashchange', done, {once: true}));"
            " if (action === 'select') {"
            "   const box = document.getElementById(arg[0]); box.value = arg[1];"
            "   box.dispatchEvent(new Event('change')); await changed;"
            " } else if (action === 'search') {"
            "   const box = document.getElementById('q'); box.value = arg;"
            "   box.dispatchEvent(new Event('input'));"
            " } else if (action === 'open') {"
            "   document.querySelector('#results .card h3 a').click(); await changed;"
            " }"
            f" await ({TIME_TO_PAINT})();"
            " return performance.now() - t0; }",
            [action, argument],
        )
    )


def browse(page_path: Path, chromium: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    results: dict[str, list[float]] = {}

    def record(name: str, value: float) -> None:
        results.setdefault(name, []).append(value)

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            profile,
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        for run in range(RUNS):
            page = context.new_page()
            page.goto(page_path.as_uri())
            page.wait_for_selector("html[data-ready]")
            record("first view", page.evaluate("performance.getEntriesByName('explorer-ready')[0].startTime"))
            # At once after opening: the search index may not be built yet, so this search builds it.
            if run == 0:
                record("first search", timed_in_page(page, "search", "trust funding"))
                timed_in_page(page, "search", "")
            page.wait_for_timeout(1500)
            for principle, country in (("shared-governance", "Chile"), ("motivations", "Peru"), ("", "")):
                record("filter: principle", timed_in_page(page, "select", ["f-principle", principle]))
                record("filter: country", timed_in_page(page, "select", ["f-country", country]))
            for query in ("trust", "community funding", "stigma elders rural", ""):
                record("search", timed_in_page(page, "search", query))
            record("open a CMOC", timed_in_page(page, "open", None))
            page.close()
        context.close()
    return {name: statistics.median(values) for name, values in results.items()}


def measure(workdir: Path) -> str:
    """The explorer's section of benchmarks/RESULTS.md."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return "## Evidence explorer\n\nNot measured: chromium is not installed.\n"
    rows = []
    load_before = os.getloadavg()[0]
    for sources, per_source in SIZES:
        # bench.py leaves its generated reviews in workdir as review-<sources>x<cmocs>; alone, make one.
        root = workdir / f"review-{sources}x{per_source}"
        if not (root / "evidence").is_dir():
            make_review(root, sources, per_source)
        evidence_bytes = sum(path.stat().st_size for path in (root / "evidence").iterdir())
        out = workdir / f"explorer-{sources}x{per_source}"
        start = time.perf_counter()
        synthesize(root, out, formats=("explorer",))
        seconds = time.perf_counter() - start
        page = out / "explorer.html"
        timings = browse(page, chromium)
        rows.append((sources, per_source, evidence_bytes, page.stat().st_size, seconds, timings))
    lines = [
        "## Evidence explorer",
        "",
        "`review/explorer.html` for the generated reviews (realistic text lengths, several quotes per CMOC),",
        "opened from disk in headless Chromium (Debian's, driven by Playwright). Times in milliseconds are",
        "medians, from the event to the next painted frame; the first view is from navigation start until",
        "the list, counts and filters are on screen and usable. Targets at 300 x 20: first view under 1,500 ms,",
        "a filter or search under 150 ms, the file at most 3 x the evidence.",
        f"Machine load (1-minute average) when the run began and ended: {load_before:.1f} and "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; timings grow with it.",
        "",
        "| sources x CMOCs | evidence (YAML) | explorer.html | ratio | synthesize (s) | first view | "
        "filter: principle | filter: country | search | first search at once | open a CMOC |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for sources, per_source, evidence, page_bytes, seconds, t in rows:
        lines.append(
            f"| {sources:,} x {per_source} | {evidence / 1e6:.1f} MB | {page_bytes / 1e6:.1f} MB | "
            f"{page_bytes / evidence:.2f} | {seconds:.1f} | {t['first view']:.0f} | {t['filter: principle']:.0f} | "
            f"{t['filter: country']:.0f} | {t['search']:.0f} | {t['first search']:.0f} | {t['open a CMOC']:.0f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # a quick look without the whole benchmark: python benchmarks/sections/explorer.py
    with tempfile.TemporaryDirectory() as folder:
        print(measure(Path(folder)))
