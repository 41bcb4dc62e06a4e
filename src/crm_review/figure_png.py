"""The principle-source network as a PNG picture for the Word document: the only user of Pillow.

The HTML page draws the same figure as SVG; Word shows SVG only with a PNG beside it, and LibreOffice
not reliably, so the Word document gets a PNG drawn here. Pillow rather than matplotlib: a few lines,
boxes and labels need no plotting library, Pillow draws them in milliseconds and imports in a tenth
of the time. The output is deterministic: Pillow's own bundled font (no system font is looked up),
no timestamp or other metadata in the file, everything drawn in a fixed order.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

EDGE_COLOURS = {"positive": "#1b7f3b", "negative": "#b3261e", "mixed": "#a15c00"}
LEGEND = {"positive": "all positive", "negative": "all negative", "mixed": "mixed directions"}
_WIDTH = 860
_BOX_W = 300
_MAX_HEIGHT = 4000
_SUPERSAMPLE = 2  # drawn twice as large, then shrunk: smooth lines without anti-aliasing support
_SUPERSAMPLE_UP_TO = 1500  # taller figures (hundreds of sources) are drawn once, at size, to stay quick


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    gap: bool = False


@dataclass(frozen=True)
class Edge:
    principle: str
    source: str
    cmocs: int
    kind: str
    """``positive``, ``negative`` or ``mixed``: the colour of the line."""


@dataclass(frozen=True)
class Picture:
    png: bytes
    width: int
    height: int


def network_png(principles: list[Node], sources: list[Node], edges: list[Edge]) -> Picture:
    """Principles left, sources right, a line per pair whose width grows with its CMOCs."""
    count = max(len(principles), len(sources), 1)
    row = max(14, min(46, (_MAX_HEIGHT - 70) // count))
    height = count * row + 70
    k = _SUPERSAMPLE if height <= _SUPERSAMPLE_UP_TO else 1
    image = Image.new("RGB", (_WIDTH * k, height * k), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(8, min(14, row - 6)) * k)
    left = _column(len(principles), height, row)
    right = _column(len(sources), height, row)
    where_principle = {node.id: left[i] for i, node in enumerate(principles)}
    where_source = {node.id: right[i] for i, node in enumerate(sources)}
    for edge in edges:
        y1, y2 = where_principle[edge.principle], where_source[edge.source]
        draw.line(
            ((_BOX_W + 10) * k, y1 * k, (_WIDTH - _BOX_W - 10) * k, y2 * k),
            fill=EDGE_COLOURS[edge.kind],
            width=round((1.5 + 1.5 * edge.cmocs) * k),
        )
    box = min(34, row - 8)
    for node, y in zip(principles, left, strict=True):
        fill, outline = ("#fdecea", "#b3261e") if node.gap else ("#e8eef4", "#3b5b7a")
        _box(draw, font, k, (10, y, box), node.label, (fill, outline))
    for node, y in zip(sources, right, strict=True):
        _box(draw, font, k, (_WIDTH - _BOX_W - 10, y, box), node.label, ("#f4f1e8", "#7a6a3b"))
    legend_y = height - 18
    for offset, (kind, colour) in enumerate(EDGE_COLOURS.items()):
        x = 10 + offset * 170
        draw.line((x * k, legend_y * k, (x + 36) * k, legend_y * k), fill=colour, width=4 * k)
        draw.text(((x + 44) * k, legend_y * k), LEGEND[kind], fill="#222222", font=font, anchor="lm")
    image = image.resize((_WIDTH, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=6)
    return Picture(buffer.getvalue(), _WIDTH, height)


def _column(count: int, height: int, row: int) -> list[int]:
    top = (height - 40 - count * row) // 2 + row // 2
    return [top + i * row for i in range(count)]


def _box(
    draw: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    k: int,
    place: tuple[int, int, int],
    label: str,
    colours: tuple[str, str],
) -> None:
    x, y, box = place
    top, bottom = (y - box // 2) * k, (y + box // 2) * k
    draw.rounded_rectangle(
        (x * k, top, (x + _BOX_W) * k, bottom), radius=6 * k, fill=colours[0], outline=colours[1], width=k
    )
    text = _fit(draw, font, " ".join(label.split()), (_BOX_W - 20) * k)
    draw.text(((x + 10) * k, y * k), text, fill="#111111", font=font, anchor="lm")


def _fit(
    draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, label: str, width: int
) -> str:
    """The label, cut with an ellipsis where it would run out of its box."""
    if draw.textlength(label, font=font) <= width:
        return label
    while label and draw.textlength(label + "…", font=font) > width:
        label = label[:-1]
    return label.rstrip() + "…"
