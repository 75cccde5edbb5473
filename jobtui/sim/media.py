"""The pictures the simulator names: small deterministic PNGs drawn from a seed.

The simulated providers name images (Tensor.Art results, Image Intelligence
inputs, Cognite files); ``/_media/<kind>/...`` serves them so that a preview
works with no account. Everything is drawn here with a scanline rasterizer and
written with zlib + struct: the simulator needs no imaging library, and the
same seed gives the same bytes on every machine.
"""

from __future__ import annotations

import hashlib
import math
import random
import struct
import zlib
from collections.abc import Sequence

from jobtui.sim.api import SimResponse

__all__ = [
    "MAX_SIDE",
    "Canvas",
    "Color",
    "media_response",
    "photo",
    "png_bytes",
    "scaled_size",
    "scene",
    "segmented",
    "signature",
]

Color = tuple[int, int, int]
Point = tuple[float, float]

MAX_SIDE = 96
"""The longest side of a served image: a terminal preview shows ~120×72 pixels at most."""

SEGMENT_COLORS: tuple[Color, ...] = (
    (230, 80, 70),
    (70, 170, 230),
    (250, 200, 60),
    (120, 210, 110),
    (200, 110, 220),
)
"""Fill colours of the segments, in the order the job lists them."""


def png_bytes(width: int, height: int, rgb: bytes) -> bytes:
    """An 8-bit RGB PNG of ``width × height`` from packed rows of ``rgb``."""
    if len(rgb) != width * height * 3:
        raise ValueError("pixel data does not match the size")
    stride = width * 3
    raw = b"".join(b"\x00" + rgb[row * stride : (row + 1) * stride] for row in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(raw, 9)),
            chunk(b"IEND", b""),
        )
    )


class Canvas:
    """An RGB raster with the few drawing operations the pictures need."""

    def __init__(self, width: int, height: int, background: Color = (0, 0, 0)) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(background) * (width * height))

    def set(self, x: int, y: int, color: Color) -> None:
        """Paint one pixel (ignored outside the canvas)."""
        if 0 <= x < self.width and 0 <= y < self.height:
            offset = (y * self.width + x) * 3
            self.pixels[offset : offset + 3] = bytes(color)

    def get(self, x: int, y: int) -> Color:
        """The colour of one pixel."""
        offset = (y * self.width + x) * 3
        red, green, blue = self.pixels[offset : offset + 3]
        return (red, green, blue)

    def vertical_gradient(self, top: Color, bottom: Color, start: int = 0, end: int = -1) -> None:
        """Fill rows ``start..end`` with a blend from ``top`` to ``bottom``."""
        last = self.height if end < 0 else end
        span = max(1, last - start - 1)
        for y in range(start, last):
            row = bytes(_mix(top, bottom, (y - start) / span)) * self.width
            self.pixels[y * self.width * 3 : (y + 1) * self.width * 3] = row

    def polygon(self, points: Sequence[Point], color: Color) -> None:
        """Fill a polygon given in pixel coordinates (even-odd rule, pixel centres)."""
        if len(points) < 3:
            return
        for y in range(self.height):
            centre = y + 0.5
            crossings: list[float] = []
            for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True):
                if (y0 <= centre < y1) or (y1 <= centre < y0):
                    crossings.append(x0 + (centre - y0) * (x1 - x0) / (y1 - y0))
            crossings.sort()
            for left, right in zip(crossings[::2], crossings[1::2], strict=False):
                for x in range(
                    max(0, math.ceil(left - 0.5)), min(self.width, math.ceil(right - 0.5))
                ):
                    self.set(x, y, color)

    def disc(self, cx: float, cy: float, radius: float, color: Color) -> None:
        """Fill a disc."""
        for y in range(max(0, int(cy - radius)), min(self.height, int(cy + radius) + 2)):
            for x in range(max(0, int(cx - radius)), min(self.width, int(cx + radius) + 2)):
                if (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= radius**2:
                    self.set(x, y, color)

    def png(self) -> bytes:
        """The canvas as PNG bytes."""
        return png_bytes(self.width, self.height, bytes(self.pixels))


def _mix(a: Color, b: Color, t: float) -> Color:
    t = min(1.0, max(0.0, t))
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _rng(*parts: str) -> random.Random:
    digest = hashlib.blake2b("\x00".join(parts).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def scaled_size(width: int, height: int, side: int = MAX_SIDE) -> tuple[int, int]:
    """``width × height`` scaled so that the longer side is ``side`` (aspect kept)."""
    if width <= 0 or height <= 0:
        return (side, side)
    scale = side / max(width, height)
    return (max(1, round(width * scale)), max(1, round(height * scale)))


def scene(seed: str, width: int, height: int) -> bytes:
    """A generated-looking landscape: a sky at some hour, a sun, ridges, water."""
    rng = _rng("scene", seed)
    w, h = scaled_size(width, height)
    canvas = Canvas(w, h)
    palettes = (
        ((255, 140, 90), (255, 210, 150), (90, 40, 90)),  # sunset
        ((40, 90, 200), (170, 210, 250), (30, 70, 60)),  # noon
        ((20, 20, 60), (110, 60, 140), (15, 15, 35)),  # dusk
        ((250, 170, 200), (255, 230, 200), (120, 70, 110)),  # dawn
    )
    top, horizon, land = rng.choice(palettes)
    shore = int(h * rng.uniform(0.62, 0.75))
    canvas.vertical_gradient(top, horizon, 0, shore)
    canvas.disc(
        w * rng.uniform(0.2, 0.8), shore * rng.uniform(0.35, 0.7), h * 0.09, (255, 245, 200)
    )
    for layer in range(3):
        shade = _mix(land, horizon, 0.55 - layer * 0.25)
        base = shore - layer * h * 0.04
        points: list[Point] = [(0.0, float(shore))]
        steps = 6 + layer * 2
        for k in range(steps + 1):
            points.append((w * k / steps, base - h * rng.uniform(0.08, 0.3 - layer * 0.05)))
        points.append((float(w), float(shore)))
        canvas.polygon(points, shade)
    canvas.vertical_gradient(_mix(horizon, land, 0.5), _mix(top, land, 0.7), shore, h)
    return canvas.png()


def photo(seed: str, width: int = 96, height: int = 72) -> bytes:
    """A plain input photo: a floor, a wall, and a few objects on it."""
    rng = _rng("photo", seed)
    w, h = scaled_size(width, height)
    canvas = Canvas(w, h)
    wall = (rng.randint(150, 220), rng.randint(150, 220), rng.randint(140, 200))
    floor = int(h * 0.65)
    canvas.vertical_gradient(wall, _mix(wall, (60, 60, 60), 0.3), 0, floor)
    canvas.vertical_gradient((110, 85, 60), (70, 50, 35), floor, h)
    for _ in range(rng.randint(2, 4)):
        color: Color = (rng.randint(30, 230), rng.randint(30, 230), rng.randint(30, 230))
        cx, size = rng.uniform(0.15, 0.85) * w, rng.uniform(0.1, 0.22) * h
        if rng.random() < 0.5:
            canvas.disc(cx, floor - size, size, color)
        else:
            canvas.polygon(
                [
                    (cx - size, floor + 2.0),
                    (cx + size, floor + 2.0),
                    (cx + size, floor - 2 * size),
                    (cx - size, floor - 2 * size),
                ],
                color,
            )
    return canvas.png()


def segmented(
    seed: str, polygons: Sequence[Sequence[Point]], width: int = 96, height: int = 72
) -> bytes:
    """An industrial-looking gray scene with each segment's polygons painted in colour.

    ``polygons`` holds, per segment, its polygons' vertices in 0–1 image
    coordinates (what the Cognite job reports), so the shapes a user sees are
    exactly where the job says the segments are.
    """
    rng = _rng("segmented", seed)
    canvas = Canvas(width, height)
    canvas.vertical_gradient((150, 155, 160), (80, 85, 90))
    for _ in range(3):  # pipes: horizontal bands that give the scene some depth
        y = rng.uniform(0.1, 0.9) * height
        canvas.polygon(
            [(0.0, y), (float(width), y), (float(width), y + 3), (0.0, y + 3)], (110, 110, 115)
        )
    for index, shape in enumerate(polygons):
        color = SEGMENT_COLORS[index % len(SEGMENT_COLORS)]
        canvas.polygon([(x * width, y * height) for x, y in shape], color)
    return canvas.png()


def signature(secret: str, path: str, expires: int) -> str:
    """The signature of an expiring URL (so a client cannot extend it by editing it)."""
    return hashlib.blake2b(
        f"{path}\x00{expires}".encode(), key=secret.encode()[:64], digest_size=8
    ).hexdigest()


def media_response(png: bytes) -> SimResponse:
    """A PNG answer, cacheable as an immutable object store would serve it."""
    return SimResponse(
        200, png, {"content-type": "image/png", "cache-control": "public, max-age=3600"}
    )
