"""review.html in a real browser (Debian's Chromium, headless): the page and its figures render and stay legible."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from conftest import REPO, generated_review
from crm_review.pipeline import synthesize

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.browser

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("chromium is not installed (.ci/run installs it for CI)", allow_module_level=True)

BUNDLED = REPO / "review" / "review.html"
PHONE = 390
# Headless Chromium will not make a window narrower than 500 px, so a page is measured at phone width inside an
# iframe of a small harness page (a test file; the product's pages have no script). The harness records how wide
# the laid-out page is against the width it has, so a test can tell whether a phone would scroll sideways.
HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" src="{src}" style="width:{width}px;height:800px;border:0"></iframe>
<script>document.getElementById("page").addEventListener("load", function () {{
  var root = this.contentDocument.documentElement;
  document.body.dataset.widths = root.scrollWidth + "," + root.clientWidth;
}});</script></body></html>
"""


def chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None, "chromium is missing: .ci/run should have installed it"
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--allow-file-access-from-files", f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
        "--v=0", *args, page.as_uri(),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def widths_at(tmp_path: Path, page: Path, width: int) -> tuple[int, int]:
    """How wide the page lays out, and how wide the frame it has, at ``width`` CSS pixels."""
    harness = tmp_path / "harness.html"
    harness.write_text(HARNESS.format(src=page.as_uri(), width=width), encoding="utf-8")
    dom = chromium(tmp_path, harness, "--window-size=800,900", "--virtual-time-budget=5000", "--dump-dom").stdout
    found = re.search(r'data-widths="(\d+),(\d+)"', dom)
    assert found, "the harness could not measure the page"
    return int(found.group(1)), int(found.group(2))


def coloured_pixels(shot: Path, colour: tuple[int, int, int], tolerance: int = 40) -> int:
    image = Image.open(shot).convert("RGB")
    counted: list[tuple[int, tuple[int, int, int]]] = image.getcolors(maxcolors=1 << 24) or []  # type: ignore[assignment]
    return sum(
        count
        for count, (r, g, b) in counted
        if abs(r - colour[0]) + abs(g - colour[1]) + abs(b - colour[2]) <= tolerance
    )


def test_page_sections_and_figures_are_in_the_rendered_dom(tmp_path: Path) -> None:
    """Chromium builds the whole page: every section, the evidence map's rows, and the network's nodes and edges."""
    dom = chromium(tmp_path, BUNDLED, "--dump-dom").stdout
    for section in (
        "method",
        "summary-of-qualitative-findings",
        "evidence-profile",
        "evidence-map",
        "evidence-appendix",
        "rameses-reporting-checklist",
    ):
        assert f'id="{section}"' in dom
    assert len(re.findall(r"<tr><th scope=\"row\"><a href=\"#source-", dom)) == 3
    assert len(re.findall(r'<line [^>]*class="edge ', dom)) == BUNDLED.read_text().count('class="edge ') > 10
    assert len(re.findall(r'<g class="node (?:principle|source)', dom)) == 8 + 3


def test_figures_are_painted_without_errors(tmp_path: Path) -> None:
    """A screenshot shows green (supports) and amber (refines) marks in the figures; the browser logs no error."""
    shot = tmp_path / "page.png"
    run = chromium(tmp_path, BUNDLED, "--hide-scrollbars", "--window-size=1000,5600", f"--screenshot={shot}")
    assert "Uncaught" not in run.stderr and ":CONSOLE(" not in run.stderr
    assert coloured_pixels(shot, (0x1B, 0x7F, 0x3B)) > 500
    assert coloured_pixels(shot, (0x8A, 0x5A, 0x00)) > 50


@pytest.fixture(scope="module")
def large_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = generated_review(tmp_path_factory.mktemp("large"), sources=300, cmocs_per_source=2)
    synthesize(root, formats=("html",))
    return root / "review" / "review.html"


def test_a_large_review_has_the_map_and_no_tangled_network(large_page: Path) -> None:
    """At 300 sources the network figure gives way to the evidence map, one row per source."""
    page = large_page.read_text(encoding="utf-8")
    assert 'class="network"' not in page
    assert page.count('<tr><th scope="row"><a href="#source-') == 300


@pytest.mark.parametrize("page", ["bundled", "large"])
def test_a_phone_never_scrolls_the_page_sideways(tmp_path: Path, large_page: Path, page: str) -> None:
    """At 390 px wide, wide tables scroll inside their frame; the page itself fits the screen."""
    laid_out, available = widths_at(tmp_path, BUNDLED if page == "bundled" else large_page, PHONE)
    assert available <= PHONE
    assert laid_out <= available
