"""The review's figures as PNG pictures for the Word document: the only user of Pillow.

The HTML page draws the figures as SVG from the geometry in the view (``view.NetworkFigure``,
``view.FlowFigure``); Word shows SVG only with a PNG beside it, and LibreOffice not reliably, so the
Word document gets PNGs drawn here from the same geometry, boxes and lines where the SVG has them.
Pillow rather than matplotlib: a few lines, boxes and labels need no plotting library, Pillow draws
them in milliseconds and imports in a fraction of the time. The output is deterministic: Pillow's
own bundled font (no system font is looked up), no timestamp or other metadata in the file, and
everything drawn in a fixed order.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from crm_review.view import Box, FlowFigure, NetworkFigure

SCALE = 2
"""Pixels per unit of the view's geometry: sharp when printed at the width of a page."""
INK = "#1d1d1f"
MUTED = "#5b5b66"
TINT = "#f5f6f8"
BORDER = "#9a9aa5"
EDGE_STYLES = {  # colour and dash pattern (in geometry units), as the HTML page's stylesheet draws them
    "supports": ("#1b7f3b", ()),
    "refutes": ("#b3261e", (8, 4)),
    "refines": ("#8a5a00", (2, 3)),
    "several": ("#5b5b66", ()),
}
LEGEND = (("supports", "supports"), ("refutes", "refutes (dashed)"), ("refines", "refines (dotted)"),
          ("several", "several relations"))  # fmt: skip

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Picture:
    png: bytes
    width: int
    height: int


def network(figure: NetworkFigure) -> Picture:
    """Principles left, sources right, one line per pair styled by relation, and the legend below."""
    image, draw, font = _canvas(figure.width, figure.height)
    for edge in figure.edges:
        kind = edge.css.split()[-1]
        colour, dashes = EDGE_STYLES.get(kind, EDGE_STYLES["several"])
        _line(draw, (edge.x1, edge.y1, edge.x2, edge.y2), colour, edge.width, dashes)
    for box in figure.boxes:
        gap = "gap" in box.css.split()
        _box(draw, font, box, fill="#ffffff" if gap else TINT, dashed=gap, centred=False)
    y = figure.height - 18
    for index, (kind, label) in enumerate(LEGEND):
        colour, dashes = EDGE_STYLES[kind]
        x = 10 + index * 200
        _line(draw, (x, y, x + 36, y), colour, 4, dashes)
        draw.text(((x + 44) * SCALE, y * SCALE), label, fill=MUTED, font=font, anchor="lm")
    return _png(image, figure.width, figure.height)


def flow(figure: FlowFigure) -> Picture:
    """The document flow: stages in a column, exclusions to the side, arrows between them."""
    image, draw, font = _canvas(figure.width, figure.height)
    for arrow in figure.arrows:
        _line(draw, (arrow.x1, arrow.y1, arrow.x2, arrow.y2), MUTED, 1.5, ())
        _arrowhead(draw, (arrow.x1, arrow.y1, arrow.x2, arrow.y2))
    for box in figure.boxes:
        _box(draw, font, box, fill=TINT, dashed=False, centred=True)
    return _png(image, figure.width, figure.height)


def _canvas(width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw, Font]:
    image = Image.new("RGB", (width * SCALE, height * SCALE), "white")
    return image, ImageDraw.Draw(image), ImageFont.load_default(size=13 * SCALE)


def _png(image: Image.Image, width: int, height: int) -> Picture:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return Picture(buffer.getvalue(), width * SCALE, height * SCALE)


def _line(
    draw: ImageDraw.ImageDraw,
    ends: tuple[float, float, float, float],
    colour: str,
    width: float,
    dashes: tuple[int, ...],
) -> None:
    x1, y1, x2, y2 = (v * SCALE for v in ends)
    stroke = max(1, round(width * SCALE))
    if not dashes:
        draw.line((x1, y1, x2, y2), fill=colour, width=stroke)
        return
    length = math.hypot(x2 - x1, y2 - y1)
    if length == 0:
        return
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    on, off = (d * SCALE for d in dashes)
    position = 0.0
    while position < length:
        end = min(position + on, length)
        draw.line((x1 + ux * position, y1 + uy * position, x1 + ux * end, y1 + uy * end), fill=colour, width=stroke)
        position = end + off


def _arrowhead(draw: ImageDraw.ImageDraw, ends: tuple[float, float, float, float]) -> None:
    x1, y1, x2, y2 = (v * SCALE for v in ends)
    angle = math.atan2(y2 - y1, x2 - x1)
    size = 8 * SCALE
    left = (x2 - size * math.cos(angle - 0.45), y2 - size * math.sin(angle - 0.45))
    right = (x2 - size * math.cos(angle + 0.45), y2 - size * math.sin(angle + 0.45))
    draw.polygon([(x2, y2), left, right], fill=MUTED)


def _box(draw: ImageDraw.ImageDraw, font: Font, box: Box, *, fill: str, dashed: bool, centred: bool) -> None:
    x, y, w, h = (v * SCALE for v in (box.x, box.y, box.width, box.height))
    draw.rounded_rectangle((x, y, x + w, y + h), radius=6 * SCALE, fill=fill, outline=None if dashed else BORDER,
                           width=SCALE)  # fmt: skip
    if dashed:
        for a, b in (
            ((x, y), (x + w, y)),
            ((x + w, y), (x + w, y + h)),
            ((x + w, y + h), (x, y + h)),
            ((x, y + h), (x, y)),
        ):
            _line(draw, (a[0] / SCALE, a[1] / SCALE, b[0] / SCALE, b[1] / SCALE), BORDER, 1, (4, 3))
    label = _fit(draw, font, " ".join(box.label.split()), w - 20 * SCALE)
    if centred:
        draw.text((x + w / 2, y + h / 2), label, fill=INK, font=font, anchor="mm")
    else:
        draw.text((x + 10 * SCALE, y + h / 2), label, fill=INK, font=font, anchor="lm")


def _fit(draw: ImageDraw.ImageDraw, font: Font, label: str, width: float) -> str:
    """The label, cut with an ellipsis where it would run out of its box."""
    if draw.textlength(label, font=font) <= width:
        return label
    while label and draw.textlength(label + "…", font=font) > width:
        label = label[:-1]
    return label.rstrip() + "…"
