"""How crm's work grows with the size of a review, against PyYAML's C loader. Writes benchmarks/RESULTS.md.

Run with `make bench`. Reviews of 10 x 5, 300 x 20 and 1,000 x 20 (sources x CMOCs, realistic text:
see generate.py) are generated in a temporary folder. In the same run, and alternating with crm's own
work so that a busy machine slows both alike, PyYAML's C loader (`yaml.load(..., CSafeLoader)`, one
process) parses the same files: every time is also given as a ratio to that parse. Times are medians
of wall-clock seconds; peak memory is the resident set size of a child process doing only that work.

After its own tables, bench.py imports each module `benchmarks/sections/*.py` (sorted by name) and
appends the Markdown its `measure(workdir: Path) -> str` returns. `workdir` holds the generated
reviews, named `review-<sources>x<cmocs>` (e.g. `review-300x20`), each with a warm `.crm-cache/`
and its rendered documents in `review/`, so that a section can time its own command on them.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import make_review, review_root  # noqa: E402

from crm_review import layout  # noqa: E402
from crm_review.cache import CACHE_DIR  # noqa: E402
from crm_review.edit import add_cmoc  # noqa: E402
from crm_review.entries import CmocInput  # noqa: E402
from crm_review.pipeline import validate  # noqa: E402

SIZES = tuple(
    tuple(int(n) for n in size.split("x"))
    for size in os.environ.get("CRM_BENCH_SIZES", "10x5,300x20,1000x20").split(",")
)
RESULTS = HERE / "RESULTS.md"
SECTIONS = HERE / "sections"
DOCUMENTS = ("REVIEW.md", "review.html", "review.json")


@dataclass(frozen=True)
class Row:
    sources: int
    cmocs: int
    evidence_bytes: int
    parse: float
    cold: float
    warm: float
    one_changed: float
    add: float
    validate_rss: float
    # Filled in by measure_syntheses, whose rounds run every size in turn:
    validate_no_cache: float = float("nan")
    synthesize: float | None = None
    synthesis_parse: float = float("nan")
    """The C-loader parse timed in the same rounds as synthesize and validate: the synthesis ratio's unit."""
    synthesis_ratio_by_round: float = float("nan")
    """The median of each round's own (synthesize - validate) / parse, its three terms timed seconds apart."""
    documents: dict[str, int] = field(default_factory=dict)
    synthesize_rss: float | None = None


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def parse_all(root: Path) -> None:
    for path in layout.evidence_files(root):
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)


def clear_cache(root: Path) -> None:
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)


SYNTHESIZE_TIMEOUT = 120.0
"""Seconds after which a synthesis is stopped and reported as slower than that."""


def in_child(
    code: str, root: Path, *, sample_memory: bool = True, timeout: float = SYNTHESIZE_TIMEOUT
) -> tuple[float, float] | None:
    """Seconds ``code`` takes on ``root`` in a fresh process, and the peak memory (MB) of its processes.

    The peak is the largest sum, over the process and every process it forks (synthesize renders a large
    review's documents side by side), of each one's proportional set size: pages shared after a fork
    count once in all. It is sampled every 20 ms while the work runs, and is never below the kernel's
    high-water mark of the process itself (VmHWM). Sampling reads the memory maps of every process,
    which costs time on the cores the work runs on: runs that are timed pass ``sample_memory=False``
    and report the high-water mark alone. None when the work takes longer than ``timeout``.
    """
    script = (
        "import time\n"
        "from pathlib import Path\n"
        "from crm_review.pipeline import synthesize, validate\n"
        f"root = Path({str(root)!r})\n"
        "start = time.perf_counter()\n"
        f"{code}\n"
        "seconds = time.perf_counter() - start\n"
        "status = Path('/proc/self/status').read_text()\n"
        "peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith('VmHWM:'))\n"
        "print(seconds, peak / 1024)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    tree_peak_kb = 0
    while child.poll() is None:
        if time.monotonic() > deadline:
            child.kill()
            child.wait()
            return None
        if sample_memory:
            tree_peak_kb = max(tree_peak_kb, sum(_pss_kb(pid) for pid in _process_tree(child.pid)))
        time.sleep(0.02)
    out, _ = child.communicate()
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, "benchmark child", out)
    seconds, own_peak = out.split()[-2:]
    return float(seconds), max(float(own_peak), tree_peak_kb / 1024)


def _process_tree(root_pid: int) -> list[int]:
    """``root_pid`` and every process descended from it, from /proc."""
    parents: dict[int, int] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat_file.parent.name)] = int(fields[1])
    tree, added = {root_pid}, True
    while added:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        added = bool(found)
    return sorted(tree)


def _pss_kb(pid: int) -> int:
    """A process's proportional set size in kB (0 once it has ended)."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)


def measure(workdir: Path, sources: int, cmocs: int) -> Row:
    root = review_root(workdir, sources, cmocs)
    evidence_bytes = make_review(root, sources, cmocs, relations=True)
    repeats = 5 if sources >= 300 else 7  # this host's speed varies by a third from run to run
    first = layout.evidence_files(root)[0]
    source_id = first.stem

    # Parse and cold validation alternate, so that load from other work on the machine falls on both.
    parses, colds = [], []
    for _ in range(repeats):
        parses.append(timed(lambda: parse_all(root)))
        clear_cache(root)
        colds.append(timed(lambda: validate(root)))
    assert not validate(root).errors, validate(root).errors[:3]
    warm = statistics.median(timed(lambda: validate(root)) for _ in range(repeats))

    def change_one_file(number: int) -> float:
        text = first.read_text(encoding="utf-8")
        first.write_text(text.replace("direction:", f"# edited {number}\n    direction:", 1), encoding="utf-8")
        return timed(lambda: validate(root))

    one_changed = statistics.median(change_one_file(n) for n in range(repeats))
    new = CmocInput(
        source=source_id,
        context="A benchmark context of a few words",
        resource="A resource offered",
        response="A response to it",
        outcome="An outcome that follows",
        direction="positive",
        principles=("quick-wins",),
        quotes=(("A quote from the paper, verbatim.", "p. 1"),),
    )
    add = statistics.median(timed(lambda: add_cmoc(root, new)) for _ in range(repeats))
    clear_cache(root)
    validated = in_child("validate(root)", root)
    assert validated is not None
    print(f"{sources} x {cmocs} validation done", file=sys.stderr)
    return Row(
        sources,
        cmocs,
        evidence_bytes,
        statistics.median(parses),
        statistics.median(colds),
        warm,
        one_changed,
        add,
        validate_rss=validated[1],
    )


SYNTHESIS = 'synthesize(root, formats=("md", "html", "json"), use_cache=False)'
SYNTHESIS_ROUNDS = 5


def measure_syntheses(workdir: Path, rows: list[Row]) -> list[Row]:
    """Synthesis against validation and a C-loader parse, for every size, in the same rounds.

    Each in a fresh process, cache off, so that start-up, a cold allocator and whatever else the machine
    runs fall on both. Each round runs every size in turn: the host's speed drifts within minutes, and the
    ratio's three terms, and the growth from one size to the next, then meet the same drift.
    """
    roots = [review_root(workdir, row.sources, row.cmocs) for row in rows]
    parses: list[list[float]] = [[] for _ in rows]
    validations: list[list[float]] = [[] for _ in rows]
    syntheses: list[list[float] | None] = [[] for _ in rows]
    for _ in range(SYNTHESIS_ROUNDS):
        for index, root in enumerate(roots):
            parses[index].append(timed(partial(parse_all, root)))
            fresh = in_child("validate(root, use_cache=False)", root, sample_memory=False)
            assert fresh is not None
            validations[index].append(fresh[0])
            timings = syntheses[index]
            if timings is None:  # stopped once: not run again
                continue
            synthesized = in_child(SYNTHESIS, root, sample_memory=False)
            if synthesized is None:
                syntheses[index] = None
            else:
                timings.append(synthesized[0])
    measured = []
    for row, root, parse, validation, synthesis in zip(rows, roots, parses, validations, syntheses, strict=True):
        sampled = in_child(SYNTHESIS, root) if synthesis else None  # memory measured apart from the timed runs
        out = root / layout.OUTPUT_DIR
        documents = {name: (out / name).stat().st_size if (out / name).is_file() else 0 for name in DOCUMENTS}
        measured.append(
            replace(
                row,
                validate_no_cache=statistics.median(validation),
                synthesize=statistics.median(synthesis) if synthesis else None,
                synthesis_parse=statistics.median(parse),
                synthesis_ratio_by_round=(
                    statistics.median((s - v) / p for s, v, p in zip(synthesis, validation, parse, strict=False))
                    if synthesis
                    else float("nan")
                ),
                documents=documents,
                synthesize_rss=sampled[1] if sampled is not None else None,
            )
        )
    print("synthesis done", file=sys.stderr)
    return measured


def startup_seconds() -> float:
    command = [sys.executable, "-m", "crm_review", "--help"]
    return statistics.median(timed(lambda: subprocess.run(command, check=True, capture_output=True)) for _ in range(7))


def sections(workdir: Path) -> list[str]:
    """The Markdown of each plug-in section, in file-name order."""
    parts = []
    for path in sorted(SECTIONS.glob("*.py")) if SECTIONS.is_dir() else []:
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"bench_section_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
            parts.append(module.measure(workdir).rstrip() + "\n")
        except Exception as exc:  # one broken section must not cost the others their figures
            traceback.print_exc()
            parts.append(f"Section `{path.name}` failed: `{type(exc).__name__}: {exc}`\n")
    return parts


def table(rows: list[Row]) -> list[str]:
    def ratio(value: float, row: Row) -> str:
        return f"{value:.3f} ({value / row.parse:.2f}x)"

    lines = [
        "| sources x CMOCs | evidence | C-loader parse | cold validate | warm, unchanged | warm, one file changed "
        "| add one CMOC | peak memory, validate |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.sources:,} x {r.cmocs} | {r.evidence_bytes / 1e6:.2f} MB | {r.parse:.3f} | {ratio(r.cold, r)} "
            f"| {r.warm:.3f} ({r.warm / r.cold:.2f}x cold) | {r.one_changed:.3f} ({r.one_changed / r.cold:.2f}x cold) "
            f"| {r.add:.3f} ({r.add / r.cold:.2f}x cold) | {r.validate_rss:.0f} MB |"
        )
    lines += [
        "",
        "Synthesis (md, html, json; targets: (synthesize - validate) / parse at most 1.0x, each document at most",
        "4x the evidence, peak memory at most 1 GB at 1,000 x 20, growth from 300 to 1,000 sources at most 3.6x):",
        "",
        "| sources x CMOCs | C-loader parse | validate, no cache | synthesize md, html, json (no cache) "
        "| (synthesize - validate) / parse | REVIEW.md | review.html | review.json | peak memory, synthesize |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r.synthesize is None:
            lines.append(
                f"| {r.sources:,} x {r.cmocs} | {r.synthesis_parse:.3f} | {r.validate_no_cache:.3f} "
                f"| over {SYNTHESIZE_TIMEOUT:.0f} s (stopped) | | | | | |"
            )
            continue
        docs = " | ".join(
            f"{r.documents[name] / 1e6:.2f} MB ({r.documents[name] / r.evidence_bytes:.2f}x)" for name in DOCUMENTS
        )
        lines.append(
            f"| {r.sources:,} x {r.cmocs} | {r.synthesis_parse:.3f} | {r.validate_no_cache:.3f} | {r.synthesize:.3f} "
            f"| {(r.synthesize - r.validate_no_cache) / r.synthesis_parse:.2f}x | {docs} | {r.synthesize_rss:.0f} MB |"
        )
    by_round = [
        f"{r.sources:,} x {r.cmocs}: {r.synthesis_ratio_by_round:.2f}x" for r in rows if r.synthesize is not None
    ]
    lines += [
        "",
        f"The same ratio, as the median of each round's own ratio (its three terms timed seconds apart, so that a "
        f"drift of the host's speed between rounds cancels out): {'; '.join(by_round)}.",
    ]
    big, mid = rows[-1], rows[-2]
    if big.synthesize is not None and mid.synthesize is not None:
        growth = big.synthesize / mid.synthesize
        parse_growth = big.synthesis_parse / mid.synthesis_parse
        lines += [
            "",
            f"Synthesis grows {growth:.2f}x from {mid.sources:,} to {big.sources:,} sources (the C loader's parse "
            f"of the same files, in the same rounds: {parse_growth:.2f}x).",
        ]
    return lines


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        rows = measure_syntheses(workdir, [measure(workdir, sources, cmocs) for sources, cmocs in SIZES])
        extra = sections(workdir)
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (benchmarks/bench.py): median wall-clock seconds on generated reviews with",
        "realistic text (benchmarks/generate.py), each also as a ratio to PyYAML's C loader",
        "(`yaml.load(..., CSafeLoader)`, one process) parsing the same files in the same run.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()}; the run took {time.perf_counter() - started:.0f} s.",
        "",
        f"Start-up of `crm --help` (median of 7 runs): {startup_seconds():.3f} s.",
        "",
        *table(rows),
        "",
        "How the figures are taken:",
        "",
        "- *cold validate*: `crm validate`'s library call with an empty `.crm-cache/` (so it also writes the",
        f"  cache). From 2 MB of evidence the files are read by one process per core ({os.cpu_count()} here): forked",
        "  readers check a share each and this process builds the review from what they found, as from the",
        "  cache. Ordinary files are read from the C parser's events without positions; a file is read",
        "  again with positions only when it has a problem to locate.",
        "- *warm*: the same call again with the cache filled; *one file changed*: after editing one file.",
        "- *add one CMOC*: `crm add cmoc`'s library call on the warm review (it checks the whole review).",
        "  It reads every source from the cache and the CMOC ids in use from the cached outlines, without",
        "  building every record.",
        "- *peak memory*: a fresh process running only that call, cache empty (start-up and imports included);",
        "  for synthesize, the process and the rendering processes it forks together (the sum of their",
        "  proportional set sizes, sampled every 20 ms, so that pages shared after a fork count once), in a",
        "  run of its own: reading every process's memory maps takes time on the cores the work runs on.",
        "- *synthesize* and *validate, no cache*: each timed inside a fresh process, cache off, in alternation",
        f"  with each other and with a C-loader parse (the parse in this table), median of {SYNTHESIS_ROUNDS} rounds, each",
        "  round running every size in turn, so that the difference is what analysis, records and rendering",
        "  add, and a drift of the host's speed falls on all three alike and on every size (the growth from one",
        "  size to the next compares times taken in the same rounds). Compiled templates are kept between",
        "  runs, as Python keeps `__pycache__` (`templating.compiled_templates_cache`), so the first run",
        f"  compiles them. From 2,000 CMOCs each document is rendered in its own forked process, on the machine's {os.cpu_count()}",
        f"  cores. A synthesis still running after {SYNTHESIZE_TIMEOUT:.0f} s is stopped and reported as such.",
        "",
        *extra,
    ]
    RESULTS.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
