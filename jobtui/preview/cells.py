"""A picture as terminal cells: two pixels a cell with the upper-half block ``▀``.

The foreground paints the top pixel, the background the bottom one. This is
pure (no Rich, no Textual): the detail pane turns cells into styled segments.
Polygons are drawn as outlines on the pixel grid before cells are made, so an
outline lands in exactly the cells its pixels fall in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from jobtui.preview.loader import Picture
from jobtui.preview.sources import Polygon

__all__ = [
    "OUTLINE_COLORS",
    "UPPER_HALF",
    "Cell",
    "ColorMode",
    "fit",
    "gray",
    "half_cells",
    "outline_cells",
    "to_256",
]

ColorMode = Literal["truecolor", "256", "gray"]
RGB = tuple[int, int, int]

OUTLINE_COLORS: tuple[RGB, ...] = (
    (255, 60, 60),
    (60, 200, 255),
    (255, 220, 0),
    (80, 255, 120),
    (255, 80, 255),
)
"""Outline colour per segment (cycled), bright enough to stand out on a photo."""

UPPER_HALF = "▀"


@dataclass(frozen=True)
class Cell:
    """One terminal cell: ``▀`` with the top pixel as foreground, the bottom as background."""

    top: RGB
    bottom: RGB
    outline: bool = False
    """Whether a polygon outline passes through this cell."""


def fit(width: int, height: int, columns: int, rows: int) -> tuple[int, int]:
    """The pixel size of a picture scaled into ``columns × rows`` cells (aspect kept).

    A cell is about twice as tall as wide, and holds two pixels stacked, so a
    pixel is roughly square: ``columns`` pixels across, ``2 × rows`` down.
    """
    if width <= 0 or height <= 0 or columns <= 0 or rows <= 0:
        return (0, 0)
    scale = min(columns / width, 2 * rows / height)
    return (max(1, round(width * scale)), max(2, round(height * scale) // 2 * 2))


def _scaled(picture: Picture, width: int, height: int) -> list[list[RGB]]:
    """Nearest-neighbour resampling: cheap, and exact for a snapshot."""
    return [
        [
            picture.pixel(
                min(picture.width - 1, x * picture.width // width),
                min(picture.height - 1, y * picture.height // height),
            )
            for x in range(width)
        ]
        for y in range(height)
    ]


def _line(x0: float, y0: float, x1: float, y1: float) -> list[tuple[int, int]]:
    steps = max(1, int(max(abs(x1 - x0), abs(y1 - y0)) * 2))
    return [
        (int(x0 + (x1 - x0) * k / steps), int(y0 + (y1 - y0) * k / steps))
        for k in range(steps + 1)
    ]


def outline_pixels(polygon: Polygon, width: int, height: int) -> set[tuple[int, int]]:
    """The pixels of ``polygon``'s outline on a ``width × height`` grid."""
    points = [
        (min(width - 1, max(0.0, x * width)), min(height - 1, max(0.0, y * height)))
        for x, y in polygon
    ]
    found: set[tuple[int, int]] = set()
    for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True):
        found.update(_line(x0, y0, x1, y1))
    return found


def half_cells(
    picture: Picture,
    columns: int,
    rows: int,
    polygons: Sequence[Polygon] = (),
    segment_of: Sequence[int] = (),
) -> list[list[Cell]]:
    """The picture fitted into ``columns × rows`` cells, polygon outlines drawn over it."""
    width, height = fit(picture.width, picture.height, columns, rows)
    if width == 0:
        return []
    pixels = _scaled(picture, width, height)
    marked: set[tuple[int, int]] = set()
    for index, polygon in enumerate(polygons):
        owner = segment_of[index] if index < len(segment_of) else index
        color = OUTLINE_COLORS[owner % len(OUTLINE_COLORS)]
        for x, y in outline_pixels(polygon, width, height):
            pixels[y][x] = color
            marked.add((x, y // 2))
    return [
        [
            Cell(pixels[2 * row][x], pixels[2 * row + 1][x], (x, row) in marked)
            for x in range(width)
        ]
        for row in range(height // 2)
    ]


def outline_cells(cells: Sequence[Sequence[Cell]]) -> set[tuple[int, int]]:
    """``(column, row)`` of every cell an outline passes through."""
    return {(x, y) for y, row in enumerate(cells) for x, cell in enumerate(row) if cell.outline}


def gray(color: RGB) -> RGB:
    """Luma (Rec. 601) as a gray: what NO_COLOR shows."""
    level = round(0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2])
    return (level, level, level)


def to_256(color: RGB) -> int:
    """The nearest xterm-256 index: the 6×6×6 cube or the 24-step gray ramp."""
    red, green, blue = color

    def cube(value: int) -> int:
        return 0 if value < 48 else 1 if value < 115 else (value - 35) // 40

    levels = (0, 95, 135, 175, 215, 255)
    r, g, b = cube(red), cube(green), cube(blue)
    cube_color = (levels[r], levels[g], levels[b])
    average = (red + green + blue) // 3
    gray_index = 23 if average > 238 else max(0, (average - 3) // 10)
    gray_level = 8 + 10 * gray_index

    def distance(other: RGB) -> int:
        return sum((a - b) ** 2 for a, b in zip(color, other, strict=True))

    if distance((gray_level,) * 3) < distance(cube_color):
        return 232 + gray_index
    return 16 + 36 * r + 6 * g + b
