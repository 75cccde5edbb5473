"""A picture as pixels for a graphics protocol: scaled to a cell box, outlines drawn.

Half-blocks draw two pixels a cell; Sixel and Kitty draw real pixels, so the
picture is scaled with Pillow to the box the half-blocks would take (the same
cells are reserved for both) and the segments' polygons are drawn as lines
whose width follows the picture's size. Blocking: a thread's work.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from jobtui.preview.cells import OUTLINE_COLORS, fit
from jobtui.preview.loader import Picture
from jobtui.preview.sources import Polygon

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["cell_box", "png_bytes", "raster"]


def cell_box(picture: Picture, columns: int, rows: int) -> tuple[int, int]:
    """The ``(columns, rows)`` of cells the picture takes, as the half-block drawing does."""
    width, height = fit(picture.width, picture.height, columns, rows)
    return (width, height // 2)


def raster(
    picture: Picture,
    size: tuple[int, int],
    polygons: Sequence[Polygon] = (),
    segment_of: Sequence[int] = (),
    *,
    gray: bool = False,
) -> Image:
    """``picture`` resized to ``size`` pixels, polygon outlines over it, gray if asked."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    image = PILImage.frombytes("RGB", (picture.width, picture.height), picture.rgb)
    image = image.resize((max(1, size[0]), max(1, size[1])), PILImage.Resampling.BILINEAR)
    if polygons:
        draw = ImageDraw.Draw(image)
        line = max(1, round(min(image.size) / 100))
        for index, polygon in enumerate(polygons):
            owner = segment_of[index] if index < len(segment_of) else index
            points = [(x * (image.width - 1), y * (image.height - 1)) for x, y in polygon]
            draw.line(
                [*points, points[0]], fill=OUTLINE_COLORS[owner % len(OUTLINE_COLORS)], width=line
            )
    if gray:
        image = image.convert("L").convert("RGB")
    return image


def png_bytes(image: Image) -> bytes:
    """``image`` as a PNG file (what the Kitty protocol's ``f=100`` carries)."""
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()
