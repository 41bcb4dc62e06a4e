"""The benchmark's generated reviews stay valid, and its plug-in sections are read in name order."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import REPO
from crm_review.pipeline import validate

BENCHMARKS = REPO / "benchmarks"


def load(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_generated_review_is_valid_and_uses_both_link_forms(tmp_path: Path) -> None:
    """What `make bench` times is a valid review, with list and mapping principle links."""
    generate = load("generate")
    size = generate.make_review(tmp_path / "r", 6, 4, relations=True)
    result = validate(tmp_path / "r")
    assert result.errors == ()
    assert result.counts() == (6, 24)
    assert size == sum(p.stat().st_size for p in (tmp_path / "r" / "evidence").iterdir())
    texts = "".join(p.read_text() for p in (tmp_path / "r" / "evidence").iterdir())
    assert "principles: {" in texts and "principles: [" in texts


def test_sections_are_appended_in_name_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each benchmarks/sections/*.py adds its Markdown, sorted by file name; private modules are skipped."""
    bench = load("bench")
    for name, text in (("b_second", "## B"), ("a_first", "## A"), ("_helper", "## hidden")):
        (tmp_path / f"{name}.py").write_text(
            f"from pathlib import Path\n\ndef measure(workdir: Path) -> str:\n    return {text!r} + ' ' + workdir.name\n"
        )
    monkeypatch.setattr(bench, "SECTIONS", tmp_path)
    assert bench.sections(Path("work")) == ["## A work\n", "## B work\n"]


def test_word_and_excel_are_judged_round_by_round() -> None:
    """The goal's ratio pairs the two sets run back to back in each round, so that a host slowing down between
    rounds does not count: it is the median of the rounds' own ratios, not the ratio of the two medians."""
    section = load_section("docx_xlsx")
    office, text = section.OFFICE, section.TEXT
    rounds = {office: ([2.0, 4.0, 6.0], [0.0] * 3), text: ([1.0, 8.0, 3.0], [0.0] * 3)}
    assert section._by_round(rounds, 0) == 2.0  # the rounds' ratios are 2, 0.5 and 2; the medians' ratio is 4/3


def load_section(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_section_{name}", BENCHMARKS / "sections" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))
