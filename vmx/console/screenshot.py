"""A screenshot: the screen's cells drawn as a PNG (8×16 pixel cells, the VGA text palette).

Pillow is imported here only, when a screenshot is taken, so a vmx that never takes one never
loads it.
"""

from __future__ import annotations

import io
from pathlib import Path

from pyesx.atomic import atomic_write
from vmx.console.screen import Attr, Cell

CELL_W, CELL_H = 8, 16
PALETTE = [
    (0, 0, 0), (170, 0, 0), (0, 170, 0), (170, 85, 0), (0, 0, 170), (170, 0, 170), (0, 170, 170),
    (170, 170, 170), (85, 85, 85), (255, 85, 85), (85, 255, 85), (255, 255, 85), (85, 85, 255),
    (255, 85, 255), (85, 255, 255), (255, 255, 255),
]  # fmt: skip
DEFAULT_FG, DEFAULT_BG = 7, 0


def colours(attr: Attr) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """A cell's (foreground, background) RGB."""
    fg = DEFAULT_FG if attr.fg < 0 else attr.fg
    bg = DEFAULT_BG if attr.bg < 0 else attr.bg
    if attr.bold and fg < 8:
        fg += 8
    if attr.reverse:
        fg, bg = bg, fg
    return PALETTE[fg], PALETTE[bg]


def render_png(cells: list[list[Cell]]) -> bytes:
    """The PNG of a screen's cells."""
    from PIL import Image, ImageDraw, ImageFont

    rows, cols = len(cells), len(cells[0]) if cells else 0
    image = Image.new("RGB", (cols * CELL_W, rows * CELL_H), PALETTE[DEFAULT_BG])
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default_imagefont()
    for y, line in enumerate(cells):
        for x, (ch, attr) in enumerate(line):
            fg, bg = colours(attr)
            left, top = x * CELL_W, y * CELL_H
            if bg != PALETTE[DEFAULT_BG]:
                draw.rectangle((left, top, left + CELL_W - 1, top + CELL_H - 1), fill=bg)
            if ch != " ":
                glyph = ch if ord(ch) < 256 else "?"  # the bitmap font has Latin-1 only
                draw.text((left + 1, top + 2), glyph, fill=fg, font=font)
            if attr.underline:
                draw.line((left, top + CELL_H - 2, left + CELL_W - 1, top + CELL_H - 2), fill=fg)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def write_screenshot(cells: list[list[Cell]], path: Path) -> int:
    """Write the PNG to path atomically; return its size in bytes."""
    data = render_png(cells)
    atomic_write(path, data)
    return len(data)
