"""Sixel encoding of a picture: at most 256 colour registers, bands of six pixel rows.

The picture is quantised with Pillow (fast octree, no dithering, so the same
picture always gives the same bytes). Each band of six rows is sent colour by
colour: ``#n`` selects a register, one character per column carries the six
bits of that column (``?`` + bits), ``!count`` repeats a character, ``$``
returns to the band's start for the next colour and ``-`` moves to the next
band. The raster attributes ``"1;1;W;H`` fix a square pixel aspect and the
size; the parameter ``P2 = 1`` leaves pixels of no colour untouched.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["MAX_COLORS", "SIXEL_END", "SIXEL_START", "sixel_encode"]

MAX_COLORS = 256
"""Colour registers a Sixel terminal is expected to have (xterm, foot, WezTerm, mlterm)."""
SIXEL_START = "\x1bP0;1;0q"
"""DCS with P2 = 1: bits set to 0 keep what is under them."""
SIXEL_END = "\x1b\\"

_TO_CHAR = bytes(range(63, 127)) + bytes(192)
"""Six bits (0–63) to the Sixel data character ``?``–``~``."""
_RUN = re.compile(rb"(.)\1{3,}")
"""Four or more equal characters are shorter as ``!count`` + the character."""


@lru_cache(maxsize=MAX_COLORS * 6)
def _bit_for(color: int, row: int) -> bytes:
    """A ``bytes.translate`` table: ``color`` becomes the bit of ``row``, others 0."""
    table = bytearray(256)
    table[color] = 1 << row
    return bytes(table)


def _repeat(match: re.Match[bytes]) -> bytes:
    run = match.group(0)
    return b"!%d%c" % (len(run), run[0])


def _percent(level: int) -> int:
    return (level * 100 + 127) // 255


def sixel_encode(image: Image, colors: int = MAX_COLORS) -> str:
    """The Sixel sequence (DCS … ST) that draws ``image`` at the cursor.

    Pure and blocking (a thread's work for a large picture): the band loop runs
    in C through ``bytes.translate`` and big-integer ORs, one pass per colour.
    """
    from PIL import Image as PILImage

    rgb = image if image.mode == "RGB" else image.convert("RGB")
    indexed = rgb.quantize(
        colors=max(1, min(colors, MAX_COLORS)),
        method=PILImage.Quantize.FASTOCTREE,
        dither=PILImage.Dither.NONE,
    )
    width, height = indexed.size
    palette = indexed.getpalette() or []
    data = indexed.tobytes()
    parts = [SIXEL_START, f'"1;1;{width};{height}']
    for index in sorted(set(data)):
        red, green, blue = palette[3 * index : 3 * index + 3]
        parts.append(f"#{index};2;{_percent(red)};{_percent(green)};{_percent(blue)}")
    bands: list[str] = []
    for top in range(0, height, 6):
        rows = [data[y * width : (y + 1) * width] for y in range(top, min(top + 6, height))]
        lines: list[str] = []
        for color in sorted(set(b"".join(rows))):
            bits = 0
            for row, pixels in enumerate(rows):
                # Bits of different rows never overlap, so OR adds them column by column.
                bits |= int.from_bytes(pixels.translate(_bit_for(color, row)), "big")
            chars = bits.to_bytes(width, "big").translate(_TO_CHAR).rstrip(b"?")
            lines.append(f"#{color}" + _RUN.sub(_repeat, chars).decode("ascii"))
        bands.append("$".join(lines))
    parts.append("-".join(bands))
    parts.append(SIXEL_END)
    return "".join(parts)
