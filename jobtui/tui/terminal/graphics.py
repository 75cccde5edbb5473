"""Sixel and Kitty pictures drawn over cells Textual has reserved, after each frame.

Textual's compositor knows only cells: a picture in pixels cannot be one of
its segments. So a picture widget reserves its cells (drawing half-blocks
there, which is also the fallback), and this layer writes the graphics
sequence at the widget's screen offset right after a frame that repainted
those cells (``ESC 7``, cursor move, the picture, ``ESC 8``): text painted
over a Sixel erases it, so it is sent again whenever its cells were touched.
Kitty keeps its pictures on a layer of their own: a placement is sent only
when it moves, and deleted when the widget is hidden, scrolled partly out of
view, or covered by another screen.

Nothing is ever asked of the terminal (no probing: the user chose the
protocol). Inside tmux each sequence goes through a DCS passthrough
(``allow-passthrough on``), placed with the pane's offset in the window.
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import termios
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Literal, Protocol

from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.geometry import Region

from jobtui.preview.kitty import kitty_delete, kitty_hide, kitty_place, kitty_transmit
from jobtui.tui.terminal.clipboard import read_tmux_option
from jobtui.tui.terminal.notify import tmux_wrap

__all__ = [
    "DEFAULT_CELL",
    "GraphicsLayer",
    "GraphicsProtocol",
    "KittyPayload",
    "SixelPayload",
    "cell_pixels",
    "open_graphics",
    "placed",
    "tmux_pane_offset",
    "touched_regions",
]

GraphicsProtocol = Literal["sixel", "kitty"]

DEFAULT_CELL = (10, 20)
"""The cell size in pixels assumed when the terminal reports none (Sixel needs pixels)."""


@dataclass(frozen=True)
class SixelPayload:
    """A Sixel sequence drawn for a box of ``columns × rows`` cells."""

    sequence: str
    columns: int
    rows: int


@dataclass(frozen=True)
class KittyPayload:
    """A PNG the terminal scales into ``columns × rows`` cells."""

    png: bytes
    columns: int
    rows: int


class Placeable(Protocol):
    """What the layer asks of a picture widget."""

    def graphic_spot(self) -> Region | None:
        """The screen cells the picture covers, or None when it is not wholly on view."""
        ...

    def graphic_payload(self) -> SixelPayload | KittyPayload | None:
        """What to draw there (None until it has been encoded)."""
        ...


def cell_pixels(fd: int | None = None) -> tuple[int, int] | None:
    """A cell's size in pixels from the kernel's window size (``TIOCGWINSZ``), if known.

    An ioctl, not a terminal query: it cannot hang or echo. SSH forwards the
    pixel size; many terminals and tmux report 0, and then None is returned.
    """
    try:
        descriptor = fd if fd is not None else os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return None
    try:
        packed = fcntl.ioctl(descriptor, termios.TIOCGWINSZ, b"\0" * 8)
    except OSError:
        return None
    finally:
        if fd is None:
            os.close(descriptor)
    rows, columns, width, height = struct.unpack("HHHH", packed)
    if not (rows and columns and width and height):
        return None
    return (max(1, width // columns), max(1, height // rows))


def tmux_pane_offset(env: Mapping[str, str]) -> tuple[int, int]:
    """The ``(left, top)`` of this tmux pane in its window (0, 0 when tmux cannot say)."""
    target = ["-t", env["TMUX_PANE"]] if env.get("TMUX_PANE") else []
    try:
        done = subprocess.run(
            ["tmux", "display-message", "-p", *target, "#{pane_left},#{pane_top}"],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
            env=dict(env),
        )
        left, top = done.stdout.strip().split(",")
        return (int(left), int(top))
    except (OSError, subprocess.SubprocessError, ValueError):
        return (0, 0)


def placed(
    sequence: str, x: int, y: int, *, tmux: bool = False, offset: tuple[int, int] = (0, 0)
) -> str:
    """``sequence`` written with the cursor at cell ``(x, y)``, the cursor restored after.

    Inside tmux the whole of it passes through to the outer terminal, where the
    pane starts at ``offset``: tmux's own cursor is never moved.
    """
    if not tmux:
        return f"\x1b7\x1b[{y + 1};{x + 1}H{sequence}\x1b8"
    return tmux_wrap(f"\x1b7\x1b[{y + offset[1] + 1};{x + offset[0] + 1}H{sequence}\x1b8")


def touched_regions(update: object) -> list[Region]:
    """The screen regions a compositor update repainted."""
    if isinstance(update, LayoutUpdate):
        return [update.region]
    if isinstance(update, ChopsUpdate):
        return [Region(x1, y, x2 - x1 + 1, 1) for y, x1, x2 in update.spans]
    return []


_PROCESS_BASE = (os.getpid() & 0x7FFF) << 16
"""Kitty image ids are per terminal window: the process id keeps two jobtuis apart."""


class GraphicsLayer:
    """The pictures on screen drawn with one protocol, refreshed after each frame.

    Args:
        protocol: ``sixel`` or ``kitty``, as the user chose.
        write: raw output to the terminal (the app's driver, or a test's capture).
        tmux: wrap every sequence in a tmux passthrough.
        pane_offset: where the tmux pane starts in its window (asked when needed).
        cell_size: the cell size in pixels, if the terminal reports it.
    """

    def __init__(
        self,
        protocol: GraphicsProtocol,
        write: Callable[[str], None],
        *,
        tmux: bool = False,
        pane_offset: Callable[[], tuple[int, int]] = lambda: (0, 0),
        cell_size: Callable[[], tuple[int, int] | None] = lambda: None,
    ) -> None:
        self.protocol: GraphicsProtocol = protocol
        self._write = write
        self.tmux = tmux
        self._pane_offset = pane_offset
        self._offset: tuple[int, int] | None = None
        self._cell_size = cell_size
        self._pictures: dict[int, Placeable] = {}
        self._drawn: dict[int, tuple[Region, object]] = {}
        self._image_ids: dict[int, int] = {}
        self._sent: dict[int, object] = {}
        self._next_id = count(1)

    def cell_size(self) -> tuple[int, int]:
        """The cell size in pixels, reported or assumed (``DEFAULT_CELL``)."""
        return self._cell_size() or DEFAULT_CELL

    def cell_size_known(self) -> bool:
        """Whether the terminal reports its cell size (else ``DEFAULT_CELL`` is assumed)."""
        return self._cell_size() is not None

    def add(self, picture: Placeable) -> None:
        """Draw ``picture`` from the next frame on."""
        self._pictures[id(picture)] = picture

    def remove(self, picture: Placeable) -> None:
        """Stop drawing ``picture``; a Kitty image is deleted from the terminal too."""
        key = id(picture)
        self._pictures.pop(key, None)
        self._drawn.pop(key, None)
        self._sent.pop(key, None)
        image_id = self._image_ids.pop(key, None)
        if image_id is not None:
            self._emit(kitty_delete(image_id))

    def moved(self) -> None:
        """The terminal was resized: ask tmux for the pane's offset again."""
        self._offset = None

    def after_display(self, touched: Sequence[Region]) -> None:
        """A frame was written that repainted ``touched``: draw what it covered or moved."""
        for key, picture in list(self._pictures.items()):
            spot = picture.graphic_spot()
            payload = picture.graphic_payload() if spot is not None else None
            drawn = self._drawn.get(key)
            if spot is None or payload is None:
                if drawn is not None:
                    del self._drawn[key]
                    if key in self._image_ids:
                        self._emit(kitty_hide(self._image_ids[key]))
                continue
            same = drawn == (spot, payload)
            if same and (self.protocol == "kitty" or not any(spot.overlaps(r) for r in touched)):
                continue
            self._draw(key, spot, payload)
            self._drawn[key] = (spot, payload)

    def _draw(self, key: int, spot: Region, payload: SixelPayload | KittyPayload) -> None:
        if isinstance(payload, SixelPayload):
            self._emit_at(payload.sequence, spot)
            return
        image_id = self._image_ids.get(key)
        if image_id is None:
            image_id = self._image_ids[key] = _PROCESS_BASE | next(self._next_id)
        if self._sent.get(key) is not payload.png:
            for command in kitty_transmit(payload.png, image_id):
                self._emit(command)
            self._sent[key] = payload.png
        self._emit_at(kitty_place(image_id, 1, spot.width, spot.height), spot)

    def _emit(self, sequence: str) -> None:
        self._write(tmux_wrap(sequence) if self.tmux else sequence)

    def _emit_at(self, sequence: str, spot: Region) -> None:
        if self.tmux and self._offset is None:
            self._offset = self._pane_offset()
        self._write(placed(sequence, spot.x, spot.y, tmux=self.tmux, offset=self._offset or (0, 0)))


def open_graphics(
    setting: str,
    write: Callable[[str], None],
    *,
    env: Mapping[str, str],
    ascii_only: bool,
    tmux_option: Callable[[str], str | None] | None = None,
    cell_size: Callable[[], tuple[int, int] | None] = cell_pixels,
) -> tuple[GraphicsLayer | None, str | None]:
    """The graphics layer ``[ui] images`` asks for, and the Preview line that explains it.

    No layer for ``halfcell``/``off``, in ASCII mode, or inside a tmux whose
    ``allow-passthrough`` is known to be off (half-blocks are shown instead).
    """
    if setting not in ("sixel", "kitty") or ascii_only:
        return None, None
    protocol: GraphicsProtocol = "sixel" if setting == "sixel" else "kitty"
    name = "Sixel" if protocol == "sixel" else "Kitty"
    line = f'{name} graphics ([ui] images = "{setting}"); half-blocks where a picture is cut off.'
    tmux = bool(env.get("TMUX"))
    if tmux:
        ask = tmux_option or (lambda option: read_tmux_option(option, env))
        passthrough = ask("allow-passthrough")
        if passthrough not in (None, "on", "all"):
            return None, (
                f"{name} graphics need tmux's `set -g allow-passthrough on` (it is "
                f"{passthrough}): showing half-blocks."
            )
        line += (
            " Through tmux (allow-passthrough on)."
            if passthrough is not None
            else " Through tmux: needs `set -g allow-passthrough on`."
        )
    if protocol == "sixel" and cell_size() is None:
        width, height = DEFAULT_CELL
        line += f" The terminal reports no cell size: assuming {width}×{height} pixels."
    layer = GraphicsLayer(
        protocol,
        write,
        tmux=tmux,
        pane_offset=lambda: tmux_pane_offset(env),
        cell_size=cell_size,
    )
    return layer, line
