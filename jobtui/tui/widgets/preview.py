"""The Preview tab: the pictures a job names, drawn as half-block cells.

A small renderer of our own on Rich segments rather than ``textual-image``:
half-blocks need no terminal probing at all (0.12 picked the wrong protocol at
300 ms of latency and echoed late replies onto the screen), cost nothing to
draw, and work unchanged over SSH and inside tmux. Sixel and Kitty are opt-in
config values only (``[ui] images``), never detected: with one of them the
app's ``GraphicsLayer`` draws each picture over its half-blocks
(``widgets/picture.py``, ``terminal/graphics.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.dom import NoScreen
from textual.errors import NoWidget
from textual.widgets import Static

from jobtui.config.model import CogniteConfig, ProviderConfig
from jobtui.errors import FetchCategory, FetchError, JobtuiError
from jobtui.model import Job
from jobtui.preview import ImageLoader, ImageRef, PreviewFailure, image_refs
from jobtui.preview.cells import ColorMode
from jobtui.preview.loader import PICTURE_SIDE, Resolver
from jobtui.tui.terminal.graphics import GraphicsLayer
from jobtui.tui.widgets.picture import MAX_ROWS, HalfBlockPicture, PictureView

if TYPE_CHECKING:
    from jobtui.providers.cognite.client import CogniteProvider

__all__ = ["GRAPHICS_SIDE", "HalfBlockPicture", "PreviewView", "images_line"]

GRAPHICS_SIDE = 512
"""Pixels a side kept of a picture drawn with Sixel or Kitty (half-blocks need far fewer)."""


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
        graphics: GraphicsLayer | None = None,
        graphics_line: str | None = None,
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
        self.graphics = graphics
        """Sixel or Kitty drawing over the half-blocks (``[ui] images``), None for half-blocks."""
        self.graphics_line = graphics_line
        """What the graphics setting does here, shown above the pictures."""
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
        if self.graphics_line is not None:
            self.mount(
                Static(
                    self.graphics_line, classes="preview-label", markup=False, id="graphics-line"
                )
            )
        for index, ref in enumerate(refs):
            self.mount(Static(self._label(ref), classes="preview-label"))
            self.mount(Static("loading…", id=f"picture-{self._generation}-{index}"))
        self._load(job, refs)

    def _rows_fitting(self) -> int:
        """Rows a picture may take so that it is seen whole below its label (and the note)."""
        height = self.scrollable_content_region.height
        with suppress(NoScreen, NoWidget):  # what is seen of the view: ancestors may clip it
            height = min(height, self.screen.find_widget(self).visible_region.height)
        height -= 2  # the label and its margin
        note = self.query("#graphics-line")
        if note:
            height -= note.first().outer_size.height + 1  # and its margin
        return max(4, min(MAX_ROWS, height))

    def on_resize(self) -> None:
        # After the refresh: only then does the compositor know how much of the view is seen.
        self.call_after_refresh(self._fit_pictures)

    def _fit_pictures(self) -> None:
        rows = self._rows_fitting()
        for picture in self.query(PictureView):
            picture.fit_rows(rows)

    def _label(self, ref: ImageRef) -> str:
        if ref.expires_at is None:
            return ref.label
        expired = ref.expires_at <= self._now()
        when = ref.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        return f"{ref.label}  ({'expired' if expired else 'expires'} {when})"

    @work(exclusive=True, exit_on_error=False, group="preview")
    async def _load(self, job: Job, refs: list[ImageRef]) -> None:
        if self._loader is None:
            side = GRAPHICS_SIDE if self.graphics is not None else PICTURE_SIDE
            self._loader = ImageLoader(
                self._make_resolvers(),
                now=self._now,
                side=side,
                # 16 × 512² or 64 × 160² RGB pictures: at most ~13 MB in memory
                max_entries=16 if self.graphics is not None else 64,
            )
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
                picture = PictureView(
                    result,
                    ref.polygons,
                    ref.segment_of,
                    mode=self._mode(),
                    max_rows=self._rows_fitting(),
                    graphics=self.graphics,
                    id=f"drawn-{self._generation}-{index}",
                )
                await self.mount(picture, after=widget)
                await widget.remove()
                self.call_after_refresh(self._fit_pictures)  # the note's height is known then

    def _make_resolvers(self) -> dict[str, Resolver]:
        """Cognite files resolve through each Cognite provider's own client (its token)."""
        resolvers: dict[str, Resolver] = {}
        configs = self._providers() if self._providers is not None else {}
        for name, cfg in configs.items():
            if not isinstance(cfg, CogniteConfig):
                continue
            # Imported here: the client (and httpx) only once a job's pictures are shown.
            from jobtui.providers.cognite.client import CogniteProvider

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
