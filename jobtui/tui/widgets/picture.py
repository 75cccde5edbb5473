"""One picture in the Preview tab: half-block cells, with Sixel or Kitty drawn over them.

The half-blocks are always there: they reserve the cells a graphics protocol
draws over, and they are what shows wherever graphics cannot (the picture
partly scrolled out of view, a tmux without passthrough, a terminal that
ignores the sequence).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.dom import NoScreen
from textual.errors import NoWidget
from textual.geometry import Region
from textual.widgets import Static

from jobtui.preview.cells import UPPER_HALF, ColorMode, gray, half_cells, to_256
from jobtui.preview.loader import Picture
from jobtui.preview.raster import cell_box, png_bytes, raster
from jobtui.preview.sixel import sixel_encode
from jobtui.preview.sources import Polygon
from jobtui.tui.terminal.graphics import GraphicsLayer, KittyPayload, SixelPayload

__all__ = ["MAX_ROWS", "HalfBlockPicture", "PictureView"]

MAX_ROWS = 18
"""Cells a picture may take vertically (36 pixels), so a few fit in the pane."""


@dataclass(frozen=True)
class HalfBlockPicture:
    """A Rich renderable: ``picture`` fitted to the width it is given, outlines drawn."""

    picture: Picture
    polygons: Sequence[Any] = ()
    segment_of: Sequence[int] = ()
    mode: ColorMode = "truecolor"
    max_rows: int = MAX_ROWS

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        cells = half_cells(
            self.picture, options.max_width, self.max_rows, self.polygons, self.segment_of
        )
        styles: dict[tuple[Any, Any], Style] = {}
        for row in cells:
            for cell in row:
                key = (cell.top, cell.bottom)
                style = styles.get(key)
                if style is None:
                    style = Style(color=self._color(cell.top), bgcolor=self._color(cell.bottom))
                    styles[key] = style
                yield Segment(UPPER_HALF, style)
            yield Segment.line()

    def _color(self, rgb: tuple[int, int, int]) -> Color:
        if self.mode == "gray":
            return Color.from_rgb(*gray(rgb))
        if self.mode == "256":
            return Color.from_ansi(to_256(rgb))
        return Color.from_rgb(*rgb)


class PictureView(Static):
    """A picture as half-block cells, drawn again by ``graphics`` (Sixel/Kitty) when given."""

    def __init__(
        self,
        picture: Picture,
        polygons: Sequence[Polygon] = (),
        segment_of: Sequence[int] = (),
        *,
        mode: ColorMode = "truecolor",
        max_rows: int = MAX_ROWS,
        graphics: GraphicsLayer | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(
            HalfBlockPicture(picture, polygons, segment_of, mode=mode, max_rows=max_rows), id=id
        )
        self.max_rows = max_rows
        """The most cells the picture takes vertically (the pane's height, at most ``MAX_ROWS``)."""
        self.picture = picture
        self.polygons = tuple(polygons)
        self.segment_of = tuple(segment_of)
        self.mode = mode
        self.graphics = graphics
        self._payload: SixelPayload | KittyPayload | None = None

    def on_mount(self) -> None:
        if self.graphics is not None:
            self.graphics.add(self)

    def on_unmount(self) -> None:
        if self.graphics is not None:
            self.graphics.remove(self)

    def on_resize(self, event: events.Resize) -> None:
        if self.graphics is not None:
            self._encode(self.box())

    def fit_rows(self, max_rows: int) -> None:
        """Take at most ``max_rows`` cells vertically (the pane was resized)."""
        max_rows = max(1, min(MAX_ROWS, max_rows))
        if max_rows == self.max_rows:
            return
        self.max_rows = max_rows
        self.update(
            HalfBlockPicture(
                self.picture, self.polygons, self.segment_of, mode=self.mode, max_rows=max_rows
            )
        )
        if self.graphics is not None:
            self._encode(self.box())

    def box(self) -> tuple[int, int]:
        """The ``(columns, rows)`` the half-blocks take at the widget's width."""
        return cell_box(self.picture, self.content_size.width, self.max_rows)

    @work(exclusive=True, exit_on_error=False, group="graphic")
    async def _encode(self, box: tuple[int, int]) -> None:
        graphics = self.graphics
        if graphics is None or box[0] == 0 or box[1] == 0:
            return
        current = self._payload
        if current is not None and (current.columns, current.rows) == box:
            return
        gray = self.mode == "gray"
        if graphics.protocol == "kitty":
            if isinstance(current, KittyPayload):
                self._payload = KittyPayload(current.png, *box)  # the terminal rescales it
            else:
                image = await asyncio.to_thread(
                    raster,
                    self.picture,
                    (self.picture.width, self.picture.height),
                    self.polygons,
                    self.segment_of,
                    gray=gray,
                )
                self._payload = KittyPayload(await asyncio.to_thread(png_bytes, image), *box)
        else:
            width, height = graphics.cell_size()
            image = await asyncio.to_thread(
                raster,
                self.picture,
                (box[0] * width, box[1] * height),
                self.polygons,
                self.segment_of,
                gray=gray,
            )
            self._payload = SixelPayload(await asyncio.to_thread(sixel_encode, image), *box)
        self.refresh()  # the repaint of these cells is what draws the graphic

    def graphic_payload(self) -> SixelPayload | KittyPayload | None:
        """The encoded picture, if it fits the current box."""
        payload = self._payload
        if payload is None or (payload.columns, payload.rows) != self.box():
            return None
        return payload

    def graphic_spot(self) -> Region | None:
        """The cells of the picture on screen, None unless all of them are visible."""
        try:
            if not self.is_attached or self.app.screen is not self.screen or not self.display:
                return None
            geometry = self.screen.find_widget(self)
        except (NoScreen, NoWidget):
            return None
        columns, rows = self.box()
        content = self.content_region
        spot = Region(content.x, content.y, columns, rows)
        if not spot or not geometry.visible_region.contains_region(spot):
            return None
        if not self._uncovered(spot):
            return None  # a toast or a tooltip lies over it: graphics would hide it
        return spot

    def _uncovered(self, spot: Region) -> bool:
        """Whether this widget is what shows in the cells of ``spot`` (sampled every 3)."""
        columns = sorted({*range(spot.x, spot.right, 3), spot.right - 1})
        for y in range(spot.y, spot.bottom):
            for x in columns:
                try:
                    widget, _ = self.screen.get_widget_at(x, y)
                except NoWidget:
                    return False
                if widget is not self:
                    return False
        return True
