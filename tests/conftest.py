"""Shared helpers: a small valid review written into a temporary folder, and the CLI runner."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm_review.verify import QuoteVerification, Status

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = REPO.parent / "shared" / "seeds"

REVIEW_YAML = """\
title: A test review
question: What works, for whom?
"""

PRINCIPLES_YAML = """\
principles:
  - id: quick-wins
    title: Quick wins
    statement: Create quick and tangible wins.
  - id: invest-in-skills
    title: Skills
    statement: Invest in citizens who feel they lack the skills and confidence to engage.
"""


def source_yaml(source_id: str, *cmoc_ids: str, principle: str = "quick-wins", direction: str = "positive") -> str:
    """A valid evidence file with the given CMOC ids (all linked to one principle)."""
    text = f'id: {source_id}\ntitle: Study {source_id}\nauthors: ["Doe, Jane"]\nyear: 2020\n'
    text += "appraisal: {relevance: high, rigour: moderate}\n"
    if not cmoc_ids:
        return text + "cmocs: []\n"
    text += "cmocs:\n"
    for cmoc_id in cmoc_ids:
        text += (
            f"  - id: {cmoc_id}\n"
            "    context: Staff short of time.\n"
            "    mechanism: {resource: Training, response: Confidence grows}\n"
            "    outcome: More people take part.\n"
            f"    direction: {direction}\n"
            f"    principles: [{principle}]\n"
            "    evidence:\n"
            '      - {quote: "We learnt a lot.", locator: p. 3}\n'
        )
    return text


def write_review(root: Path, sources: dict[str, str], *, principles: str | None = PRINCIPLES_YAML) -> Path:
    """A review folder with configs and the given evidence files (file name -> text)."""
    (root / "configs").mkdir(parents=True, exist_ok=True)
    (root / "evidence").mkdir(exist_ok=True)
    (root / "configs" / "review.yaml").write_text(REVIEW_YAML, encoding="utf-8")
    if principles is not None:
        (root / "configs" / "principles.yaml").write_text(principles, encoding="utf-8")
    for name, text in sources.items():
        (root / "evidence" / name).write_text(text, encoding="utf-8")
    return root


def verification_of(
    statuses: dict[tuple[str, int], Status], elsewhere: dict[tuple[str, int], str], *, sources_without: int = 0
) -> QuoteVerification:
    """What `crm verify` would report of these quotes (by CMOC id and quote number), counts included."""
    counted = list(statuses.values())
    return QuoteVerification(
        quotes=len(counted),
        verified=counted.count("verified"),
        approximate=counted.count("approximate"),
        not_found=counted.count("not-found"),
        unchecked=counted.count("unchecked"),
        sources_with_fulltext=len({cmoc_id.rsplit("-", 1)[0] for cmoc_id, _ in statuses}) - sources_without,
        sources_without_fulltext=sources_without,
        statuses=statuses,
        elsewhere=elsewhere,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` with its bytes, to prove a command wrote nothing.

    crm's own cache of checked files (``.crm-cache/``) is left out: it is crm's memory, not the review.
    """
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".crm-cache" not in p.relative_to(root).parts
    }


@pytest.fixture(autouse=True, scope="session")
def private_template_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Compiled templates go to a folder of the test run's own, never the user's ~/.cache."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("user-cache"))
    yield
    if previous is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture(autouse=True)
def installed_from_a_release(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run crm from an editable checkout, which `crm init` rightly refuses to put into CI; here it
    behaves as for most users, installed from a release (tests/test_init.py covers the other origins)."""
    from crm_review import __version__, install

    monkeypatch.setattr(install, "detected_spec", lambda: f"crm-review=={__version__}")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def review(tmp_path: Path) -> Path:
    """A valid two-source review whose CMOCs cover both principles."""
    return write_review(
        tmp_path / "review",
        {
            "doe-2020.yaml": source_yaml("doe-2020", "doe-2020-1", "doe-2020-2"),
            "roe-2021.yaml": source_yaml("roe-2021", "roe-2021-1", principle="invest-in-skills", direction="negative"),
        },
    )


@pytest.fixture
def in_dir(tmp_path: Path) -> Iterator[Path]:
    """Run the test from inside ``tmp_path`` so that paths print relative to it."""
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


DEFAULT_PRINCIPLE_IDS = (
    "facilitative-leadership", "safe-trusting-environment", "early-involvement", "shared-governance",
    "power-imbalances", "invest-in-skills", "quick-wins", "motivations",
)  # fmt: skip
_WORDS = [
    "community",
    "groups",
    "staff",
    "trust",
    "funding",
    "representation",
    "clinics",
    "outreach",
    "training",
    "leaders",
    "citizens",
    "meetings",
    "budget",
    "decisions",
    "peer",
    "support",
    "stigma",
    "workshops",
    "nurses",
    "carers",
    "volunteers",
    "council",
    "services",
    "district",
]


def generated_review(root: Path, sources: int, cmocs_per_source: int) -> Path:
    """A review of ``sources`` x ``cmocs_per_source`` CMOCs with varied text, relations and themes (deterministic)."""

    def words(seed: int, count: int) -> str:
        return " ".join(_WORDS[(seed * 7 + i * 3) % len(_WORDS)] for i in range(count))

    files = {}
    for s in range(sources):
        source_id = f"author{s:04d}-2020"
        text = (
            f"id: {source_id}\ntitle: Study {s} of {words(s, 6)}\n"
            f'authors: ["Author{s:04d}, Ann", "Second, Sam", "Third, Tim"]\nyear: {2000 + s % 25}\n'
            f"design: qualitative study\ncountries: [{('Chile', 'Peru', 'Nigeria', 'Kenya')[s % 4]}]\n"
            f"appraisal: {{relevance: {('high', 'moderate', 'low')[s % 3]}, rigour: {('moderate', 'high')[s % 2]}}}\n"
            "cmocs:\n"
        )
        for c in range(cmocs_per_source):
            n = s * cmocs_per_source + c
            first, second = DEFAULT_PRINCIPLE_IDS[n % 8], DEFAULT_PRINCIPLE_IDS[(n * 3 + 1) % 8]
            relation = ("supports", "supports", "refines", "refutes")[n % 4]
            links = f"{{{first}: {relation}}}" if first == second else f"{{{first}: {relation}, {second}: supports}}"
            text += (
                f"  - id: {source_id}-{c + 1}\n"
                f"    context: {words(n, 30)}.\n"
                f"    mechanism: {{resource: {words(n + 1, 10)}, response: {words(n + 2, 10)}}}\n"
                f"    outcome: {words(n + 3, 15)}.\n"
                f"    direction: {('positive', 'negative', 'mixed')[n % 3]}\n"
                f"    principles: {links}\n"
                f"    themes: [theme-{n % 24}]\n"
                "    evidence:\n"
                f'      - {{quote: "Quote {n}: {words(n + 4, 40)}", locator: p. {c + 1}}}\n'
            )
        files[f"{source_id}.yaml"] = text
    return write_review(root, files, principles=None)
