"""Generated reviews for the benchmarks: realistic lengths and layout, the same bytes on every run.

Text lengths follow what reviewers write (a context of about 30 words, a mechanism's resource and
response of 10-15 words each, an outcome of about 15 words, one to three quotes of about 40 words);
the layout follows the bundled review's files (folded `>-` blocks for long text, quoted quotes, flow
lists), so that the parser meets what it meets in real reviews.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from crm_review import layout

PRINCIPLES = tuple(
    re.findall(r"^  - id: (\S+)$", layout.packaged("defaults", "principles.yaml").read_text(encoding="utf-8"), re.M)
)

_WORDS = [
    "community",
    "health",
    "services",
    "engagement",
    "citizens",
    "patients",
    "carers",
    "staff",
    "clinicians",
    "managers",
    "board",
    "members",
    "local",
    "groups",
    "volunteers",
    "trust",
    "power",
    "decision",
    "making",
    "resources",
    "funding",
    "training",
    "confidence",
    "skills",
    "participation",
    "representation",
    "leadership",
    "governance",
    "partnership",
    "meetings",
    "forum",
    "council",
    "primary",
    "care",
    "hospital",
    "district",
    "region",
    "national",
    "policy",
    "reform",
    "programme",
    "implementation",
    "outreach",
    "workers",
    "home",
    "visits",
    "peer",
    "support",
    "clubs",
    "workshops",
    "campaigns",
    "stigma",
    "knowledge",
    "awareness",
    "feedback",
    "listening",
    "respect",
    "time",
    "commitment",
    "motivation",
    "incentives",
    "barriers",
    "facilitators",
    "information",
    "language",
    "culture",
    "rural",
    "urban",
    "indigenous",
    "women",
    "young",
    "people",
    "older",
    "adults",
    "families",
    "households",
    "neighbourhood",
    "networks",
    "relationships",
    "accountability",
    "transparency",
    "shared",
    "goals",
    "early",
    "involvement",
    "quick",
    "wins",
    "tangible",
    "results",
    "evaluation",
    "priorities",
    "needs",
    "planning",
    "design",
    "delivery",
    "access",
    "quality",
    "safety",
    "satisfaction",
    "outcomes",
    "mental",
    "wellbeing",
    "services",
    "users",
    "voices",
    "concerns",
    "expectations",
    "roles",
    "responsibilities",
    "professionals",
    "researchers",
    "facilitators",
    "coordinators",
    "agencies",
    "organisations",
    "municipal",
    "authorities",
    "ministry",
    "budgets",
    "contracts",
    "sustainability",
    "continuity",
    "capacity",
    "infrastructure",
    "workload",
    "pressure",
    "turnover",
    "commitment",
    "legitimacy",
    "credibility",
    "ownership",
    "empowerment",
    "dialogue",
    "deliberation",
    "consensus",
    "conflict",
    "tension",
    "contradiction",
    "negotiation",
]

_THEMES = tuple(
    f"{a}-{b}"
    for a, b in [
        ("peer", "support"),
        ("community", "workers"),
        ("trust", "building"),
        ("shared", "decisions"),
        ("power", "sharing"),
        ("staff", "training"),
        ("funding", "gaps"),
        ("early", "contact"),
        ("quick", "results"),
        ("local", "leaders"),
        ("tokenism", "risk"),
        ("feedback", "loops"),
        ("language", "barriers"),
        ("role", "clarity"),
        ("time", "pressure"),
        ("formal", "structures"),
        ("informal", "networks"),
        ("lay", "expertise"),
        ("service", "redesign"),
        ("user", "voice"),
        ("cultural", "fit"),
        ("political", "will"),
        ("turnover", "effects"),
        ("meeting", "formats"),
        ("incentive", "design"),
        ("information", "sharing"),
        ("accountability", "lines"),
        ("capacity", "building"),
        ("consensus", "seeking"),
        ("conflict", "handling"),
        ("outreach", "visits"),
        ("stigma", "reduction"),
        ("youth", "involvement"),
        ("carer", "roles"),
        ("rural", "access"),
        ("digital", "tools"),
    ]
)

_DESIGNS = (
    "qualitative case study",
    "qualitative study (semi-structured interviews)",
    "mixed methods evaluation",
    "realist evaluation",
    "cross-sectional survey",
    "participatory action research",
    "ethnography",
)
_COUNTRIES = ("Chile", "Peru", "United Kingdom", "Netherlands", "Canada", "Australia", "Kenya", "India", "Brazil")
_JOURNALS = (
    "Health Expectations",
    "BMC Health Services Research",
    "Social Science & Medicine",
    "International Journal of Health Policy and Management",
    "Health Policy and Planning",
    "Implementation Science",
)
_FAMILIES = ("Montenegro", "Mercado", "De Weger", "Van Vooren", "Arriola-Vigo", "Stovall", "Moon", "Okafor", "Singh")
_RATINGS = ("high", "moderate", "low")
_DIRECTIONS = ("positive", "negative", "mixed")


def _words(rng: random.Random, low: int, high: int) -> str:
    count = rng.randint(low, high)
    words = [rng.choice(_WORDS) for _ in range(count)]
    for at in range(5, count - 3, rng.randint(6, 11)):
        words[at] += ","
    return " ".join(words).capitalize() + "."


def _folded(key: str, text: str, indent: int) -> list[str]:
    """A long text as a folded `>-` block, wrapped near 100 columns as people wrap by hand."""
    pad = " " * (indent + 2)
    lines, line = [], ""
    for word in text.split():
        if line and len(pad) + len(line) + 1 + len(word) > 100:
            lines.append(pad + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(pad + line)
    return [" " * indent + f"{key}: >-", *lines]


def _text(key: str, text: str, indent: int) -> list[str]:
    if len(text) > 90:
        return _folded(key, text, indent)
    return [" " * indent + f"{key}: {text}"]


def _flow(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


def source_text(rng: random.Random, number: int, cmocs: int, relations: bool) -> tuple[str, str]:
    """One evidence file: its id and its YAML text."""
    family = rng.choice(_FAMILIES)
    year = rng.randint(1995, 2025)
    source_id = f"{family.lower().replace(' ', '-')}-{number:05d}-{year}"
    authors = [f"{rng.choice(_FAMILIES)}, {rng.choice('ABCDEFGHJKLMNPRST')}." for _ in range(rng.randint(2, 6))]
    lines = [
        f"id: {source_id}",
        f"title: {json.dumps(_words(rng, 10, 18)[:-1], ensure_ascii=False)}",
        f"authors: {_flow([json.dumps(a) for a in authors])}",
        f"year: {year}",
        f"journal: {rng.choice(_JOURNALS)}",
        f'volume: "{rng.randint(1, 60)}"',
        f'issue: "{rng.randint(1, 12)}"',
        f'pages: "{rng.randint(1, 900)}-{rng.randint(901, 999)}"',
        f"doi: 10.{rng.randint(1000, 99999)}/hex.{number:05d}",
        f"design: {rng.choice(_DESIGNS)}",
        f"countries: {_flow(sorted(set(rng.sample(_COUNTRIES, rng.randint(1, 2)))))}",
        *_text("setting", _words(rng, 8, 14), 0),
        f"appraisal: {{relevance: {rng.choice(_RATINGS)}, rigour: {rng.choice(_RATINGS)}}}",
        "cmocs:",
    ]
    for c in range(cmocs):
        principles = rng.sample(PRINCIPLES, rng.randint(1, 3))
        if relations and rng.random() < 0.3:
            kinds = ("supports", "refutes", "refines")
            linked = "{" + ", ".join(f"{p}: {rng.choice(kinds)}" for p in principles) + "}"
        else:
            linked = _flow(principles)
        lines += [
            f"  - id: {source_id}-{c + 1}",
            *_text("context", _words(rng, 25, 35), 4),
            "    mechanism:",
            *_text("resource", _words(rng, 10, 15), 6),
            *_text("response", _words(rng, 10, 15), 6),
            *_text("outcome", _words(rng, 12, 18), 4),
            f"    direction: {rng.choice(_DIRECTIONS)}",
            f"    principles: {linked}",
            "    evidence:",
        ]
        for _ in range(rng.randint(1, 3)):
            quote = json.dumps(_words(rng, 30, 50), ensure_ascii=False)
            lines += [f"      - quote: {quote}", f"        locator: p. {rng.randint(1, 30)}"]
        if rng.random() < 0.3:
            lines += _text("notes", _words(rng, 12, 25), 4)
        lines += [f"    themes: {_flow(sorted(set(rng.sample(_THEMES, rng.randint(1, 2)))))}", ""]
    return source_id, "\n".join(lines) + "\n"


def review_root(workdir: Path, sources: int, cmocs: int) -> Path:
    """Where bench.py keeps the generated review of this size (its sections find it there too)."""
    return workdir / f"review-{sources}x{cmocs}"


def make_review(root: Path, sources: int, cmocs: int, *, seed: int = 2026, relations: bool = False) -> int:
    """Write a review of ``sources`` evidence files with ``cmocs`` CMOCs each; return the evidence bytes."""
    rng = random.Random(seed)
    (root / layout.CONFIG_DIR).mkdir(parents=True)
    evidence = layout.evidence_dir(root)
    evidence.mkdir()
    layout.review_file(root).write_text(
        "title: Benchmark review\nquestion: What works, for whom, in what circumstances and why?\n", encoding="utf-8"
    )
    total = 0
    for number in range(sources):
        source_id, text = source_text(rng, number, cmocs, relations)
        data = text.encode("utf-8")
        (evidence / f"{source_id}.yaml").write_bytes(data)
        total += len(data)
    return total
