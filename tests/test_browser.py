"""review.html in a real browser (Debian's Chromium, headless): the page and its figure render."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.browser

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("chromium is not installed (.ci/run installs it for CI)", allow_module_level=True)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None, "chromium is missing: .ci/run should have installed it"
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0", *args,
        (REPO / "review" / "review.html").as_uri(),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def png_rgb(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        header = chunk if kind == b"IHDR" else header
        idat += chunk if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                near = min((abs(p - left), left), (abs(p - up), up), (abs(p - corner), corner), key=lambda t: t[0])
                line[x] = (line[x] + near[1]) & 255
        rows.append(bytes(b for i, b in enumerate(line) if i % channels < 3))
        previous = line
    return width, height, rows


def test_page_and_figure_are_in_the_rendered_dom(tmp_path: Path) -> None:
    """Chromium builds the whole page: every section, and the figure's nodes and edges."""
    dom = chromium(tmp_path, "--dump-dom").stdout
    assert dom.count('class="edge"') == (REPO / "review" / "review.html").read_text().count('class="edge"') > 10
    assert len(re.findall(r'<g class="node (?:principle|source)', dom)) == 8 + 3
    assert 'id="rameses-reporting-checklist"' in dom and "</html>" in dom


def test_figure_is_painted_without_errors(tmp_path: Path) -> None:
    """A screenshot shows the figure's green and red edges; the browser logs no page error."""
    shot = tmp_path / "page.png"
    run = chromium(tmp_path, "--hide-scrollbars", "--window-size=1000,2600", f"--screenshot={shot}")
    assert "Uncaught" not in run.stderr and ":CONSOLE(" not in run.stderr
    _, _, rows = png_rgb(shot)
    green = red = 0
    for row in rows:
        for i in range(0, len(row), 3):
            r, g, b = row[i], row[i + 1], row[i + 2]
            green += g > r + 50 and g > b + 30
            red += r > g + 80 and r > b + 80
    assert green > 500 and red > 500, (green, red)
