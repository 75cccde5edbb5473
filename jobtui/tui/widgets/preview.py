"""The Preview tab: the pictures a job names, drawn as half-block cells.

A small renderer of our own on Rich segments rather than ``textual-image``:
half-blocks need no terminal probing at all (0.12 picked the wrong protocol at
300 ms of latency and echoed late replies onto the screen), cost nothing to
draw, and work unchanged over SSH and inside tmux. Sixel and Kitty are opt-in
config values only (``[ui] images``), never detected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from jobtui.config.model import CogniteConfig, ProviderConfig
from jobtui.errors import FetchCategory, FetchError, JobtuiError
from jobtui.model import Job
from jobtui.preview import ImageLoader, ImageRef, Picture, PreviewFailure, image_refs
from jobtui.preview.cells import UPPER_HALF, ColorMode, gray, half_cells, to_256
from jobtui.preview.loader import Resolver
from jobtui.providers.cognite.client import CogniteProvider

__all__ = ["HalfBlockPicture", "PreviewView", "images_line"]

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


def images_line(setting: str, *, ascii_only: bool) -> str | None:
    """Why no picture is drawn, or None when half-blocks are drawn."""
    if setting == "off":
        return 'Images are off ([ui] images = "off").'
    if ascii_only:
        return "Images are off: this terminal draws ASCII only, and pictures need the ▀ block."
    return None


class PreviewView(VerticalScroll):
    """The pictures of one job: a label line, then the picture or why it failed."""

    DEFAULT_CSS = """
    PreviewView { height: 1fr; }
    PreviewView .preview-label { color: $text-muted; margin-top: 1; }
    PreviewView .preview-failure { color: $error; }
    """

    def __init__(
        self,
        *,
        setting: Literal["halfcell", "sixel", "kitty", "off"] = "halfcell",
        ascii_only: bool = False,
        providers: Callable[[], Mapping[str, ProviderConfig]] | None = None,
        now: Callable[[], datetime] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.can_focus = True
        self.setting = setting
        self.ascii_only = ascii_only
        self._providers = providers
        self._clients: list[CogniteProvider] = []
        self._now = now or (lambda: datetime.now(UTC))
        self._loader: ImageLoader | None = None
        self._generation = 0
        self._job: Job | None = None
        self.shown: dict[str, str] = {}
        """Per image label, what is on screen: ``picture`` or the failure reason (tests read it)."""

    def compose(self) -> ComposeResult:
        yield Static("no job selected", classes="preview-label")

    def _mode(self) -> ColorMode:
        if self.app.no_color:
            return "gray"
        system = self.app.console.color_system
        return "truecolor" if system in (None, "truecolor", "windows") else "256"

    def show_job(self, job: Job | None) -> None:
        """Show ``job``'s pictures (loading them in the background)."""
        self._job = job
        self._generation += 1  # removal is deferred: new pictures need ids of their own
        self.shown = {}
        self.remove_children()
        refs = image_refs(job) if job is not None else []
        if job is None or not refs:
            self.mount(Static("This job names no images.", classes="preview-label"))
            return
        off = images_line(self.setting, ascii_only=self.ascii_only)
        if off is not None:
            self.mount(Static(off, classes="preview-label"))
            return
        if self.setting in ("sixel", "kitty"):
            self.mount(
                Static(
                    f"{self.setting} output is not built yet: showing half-block cells.",
                    classes="preview-label",
                )
            )
        for index, ref in enumerate(refs):
            self.mount(Static(self._label(ref), classes="preview-label"))
            self.mount(Static("loading…", id=f"picture-{self._generation}-{index}"))
        self._load(job, refs)

    def _label(self, ref: ImageRef) -> str:
        if ref.expires_at is None:
            return ref.label
        expired = ref.expires_at <= self._now()
        when = ref.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        return f"{ref.label}  ({'expired' if expired else 'expires'} {when})"

    @work(exclusive=True, exit_on_error=False, group="preview")
    async def _load(self, job: Job, refs: list[ImageRef]) -> None:
        if self._loader is None:
            self._loader = ImageLoader(self._make_resolvers(), now=self._now)
        for index, ref in enumerate(refs):
            result = await self._loader.load(job.provider, ref)
            if self._job is not job:
                return  # the selection moved on
            target = self.query(f"#picture-{self._generation}-{index}")
            if not target:
                return
            widget = target.first(Static)
            if isinstance(result, PreviewFailure):
                self.shown[ref.label] = result.reason
                widget.update(f"✗ {result.reason}")
                widget.add_class("preview-failure")
            else:
                self.shown[ref.label] = "picture"
                widget.update(
                    HalfBlockPicture(result, ref.polygons, ref.segment_of, mode=self._mode())
                )

    def _make_resolvers(self) -> dict[str, Resolver]:
        """Cognite files resolve through each Cognite provider's own client (its token)."""
        resolvers: dict[str, Resolver] = {}
        configs = self._providers() if self._providers is not None else {}
        for name, cfg in configs.items():
            if not isinstance(cfg, CogniteConfig):
                continue
            try:
                client = CogniteProvider(cfg)
            except JobtuiError:
                continue  # a broken provider table: its files show "no download link"
            self._clients.append(client)

            async def resolve(ref: ImageRef, client: CogniteProvider = client) -> str:
                if ref.file_id is None:
                    raise FetchError(FetchCategory.BAD_PAYLOAD, "no file id")
                return await client.download_url(ref.file_id)

            resolvers[name] = resolve
        return resolvers

    async def on_unmount(self) -> None:
        if self._loader is not None:
            await self._loader.aclose()
        for client in self._clients:
            await client.aclose()
