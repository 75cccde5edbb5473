"""The JSON tab: a job's raw payload, pretty-printed, highlighted and searchable.

The payload is formatted once into lines; only the lines on screen are
highlighted (and cached), so a 1 MB payload scrolls as fast as a small one.
Lines longer than :data:`HIGHLIGHT_LIMIT` characters are drawn plain.
Every line is passed through :func:`jobtui.textsafe.visible` first: control
and bidi characters in provider strings show as escapes.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.theme import Theme
from textual.widgets import Input, Static

from jobtui.textsafe import visible
from jobtui.tui.terminal.safe_text import component_text_style
from jobtui.tui.widgets.passstyle import PassStyle
from jobtui.tui.widgets.steady import SteadyInput

__all__ = ["HIGHLIGHT_LIMIT", "MAX_MATCHES", "JsonLines", "JsonView", "format_payload"]

HIGHLIGHT_LIMIT = 4_000
"""Lines longer than this are drawn without syntax colours."""

MAX_MATCHES = 10_000
"""Search stops counting here: enough to step through, bounded in memory."""

_TOKEN = re.compile(
    r'(?P<key>"(?:[^"\\]|\\.)*")(?=\s*:)'
    r'|(?P<str>"(?:[^"\\]|\\.)*")'
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<lit>\btrue\b|\bfalse\b|\bnull\b)"
    r"|(?P<punct>[{}\[\],:])"
)


def format_payload(payload: object) -> list[str]:
    """The payload as indented JSON lines, with control and bidi characters made visible."""
    if payload is None:
        return []
    text = json.dumps(payload, indent=2, ensure_ascii=False, default=str)
    return visible(text, keep="\n").split("\n")


class JsonLines(PassStyle, ScrollView, can_focus=True):
    """The scrolling body of the JSON tab, drawn a line at a time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "jsonlines--key",
        "jsonlines--str",
        "jsonlines--num",
        "jsonlines--lit",
        "jsonlines--punct",
        "jsonlines--match",
        "jsonlines--current",
    }

    DEFAULT_CSS = """
    JsonLines { background: $surface; }
    JsonLines > .jsonlines--key { color: $text-accent; }
    JsonLines > .jsonlines--str { color: $text-success; }
    JsonLines > .jsonlines--num { color: $text-primary; }
    JsonLines > .jsonlines--lit { color: $text-warning; text-style: italic; }
    JsonLines > .jsonlines--punct { color: $text-muted; }
    JsonLines > .jsonlines--match { background: $warning 40%; text-style: underline; }
    JsonLines > .jsonlines--current { background: $warning; color: $background;
                                       text-style: bold reverse; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[str] = []
        self._lowered: list[str] | None = None
        self._cache: LRUCache[int, Strip] = LRUCache(256)
        self._styles: dict[str, Style] = {}
        self.matches: list[tuple[int, int]] = []
        """(line, column) of each match, in order."""
        self.current: int = -1
        """Index into ``matches`` of the highlighted one, -1 for none."""
        self.query_length = 0
        """Length of the searched text (0: no search)."""

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)

    def _on_theme_changed(self, theme: Theme) -> None:
        self._styles = {}
        self._cache.clear()
        self.refresh()

    @property
    def lines(self) -> list[str]:
        """The formatted, escaped lines."""
        return self._lines

    def set_lines(self, lines: list[str]) -> None:
        """Show new lines from the top; clears the search."""
        self._lines = lines
        self._lowered = None
        self.matches, self.current, self.query_length = [], -1, 0
        self._cache.clear()
        width = max((len(line) for line in lines), default=0)
        self.virtual_size = Size(width, len(lines))
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    # -- search ------------------------------------------------------------------------------------

    def search(self, query: str) -> int:
        """Find ``query`` (case-insensitive), highlight all, go to the first; returns the count."""
        self.matches, self.current, self.query_length = [], -1, len(query)
        self._cache.clear()
        if query:
            if self._lowered is None:
                self._lowered = [line.lower() for line in self._lines]
            needle = query.lower()
            for number, line in enumerate(self._lowered):
                start = line.find(needle)
                while start != -1 and len(self.matches) < MAX_MATCHES:
                    self.matches.append((number, start))
                    start = line.find(needle, start + len(needle))
                if len(self.matches) >= MAX_MATCHES:
                    break
        if self.matches:
            self._go(0)
        self.refresh()
        return len(self.matches)

    def next_match(self) -> None:
        """Move to the next match, wrapping around."""
        if self.matches:
            self._go((self.current + 1) % len(self.matches))

    def previous_match(self) -> None:
        """Move to the previous match, wrapping around."""
        if self.matches:
            self._go((self.current - 1) % len(self.matches))

    def _go(self, index: int) -> None:
        previous = self.matches[self.current][0] if self.current >= 0 else None
        self.current = index
        line, column = self.matches[index]
        for dirty in {previous, line} - {None}:
            assert dirty is not None
            self._cache.discard(dirty)
        height, width = self.scrollable_content_region.height, self.scrollable_content_region.width
        x = 0 if column + self.query_length < width else column - width // 3
        self.scroll_to(x, max(line - height // 2, 0), animate=False)
        self.refresh()

    # -- drawing -----------------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        if not self._styles:
            self._styles = {
                role.removeprefix("jsonlines--"): component_text_style(
                    self, role, background=role.endswith(("--match", "--current"))
                )
                for role in self.COMPONENT_CLASSES
            }
        return self._styles[name]

    def _line_strip(self, number: int) -> Strip:
        cached = self._cache.get(number)
        if cached is not None:
            return cached
        line = self._lines[number]
        text = Text(line, style=self.pass_style, end="", no_wrap=True)
        if len(line) <= HIGHLIGHT_LIMIT:
            for match in _TOKEN.finditer(line):
                kind = match.lastgroup
                if kind is not None:
                    text.stylize(self._style(kind), match.start(), match.end())
        if self.matches:
            first = bisect.bisect_left(self.matches, (number, -1))
            for index in range(first, len(self.matches)):
                row, column = self.matches[index]
                if row != number:
                    break
                role = "current" if index == self.current else "match"
                text.stylize(self._style(role), column, column + self.query_length)
        strip = Strip(text.render(self.app.console), text.cell_len)
        self._cache[number] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        """Draw screen line ``y``."""
        scroll_x, scroll_y = self.scroll_offset
        number = scroll_y + y
        width = self.scrollable_content_region.width
        if number >= len(self._lines):
            return Strip.blank(width, self.pass_style)
        strip = self._line_strip(number)
        return strip.crop_extend(scroll_x, scroll_x + width, self.pass_style)

    def notify_style_update(self) -> None:
        """Forget cached colours when the CSS changes."""
        super().notify_style_update()
        self._styles = {}
        self._cache.clear()


class JsonView(Vertical):
    """The JSON tab: a search box, the payload, and the match counter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", show=False),
        Binding("n", "next_match", "Next match", show=False),
        Binding("N", "previous_match", "Previous match", show=False),
    ]

    DEFAULT_CSS = """
    JsonView { height: 1fr; }
    JsonView > #json-search { height: 1; border: none; padding: 0 1; }
    JsonView > JsonLines { height: 1fr; }
    JsonView > #json-status { height: 1; color: $text-muted; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield SteadyInput(placeholder="/ search · enter · n/N next/previous", id="json-search")
        yield JsonLines(id="json-lines")
        yield Static("", id="json-status")

    @property
    def body(self) -> JsonLines:
        """The scrolling payload."""
        return self.query_one(JsonLines)

    def show_payload(self, payload: object) -> None:
        """Format and show ``payload`` (any JSON-able value; None shows nothing)."""
        lines = format_payload(payload)
        self.body.set_lines(lines)
        query = self.query_one("#json-search", Input).value
        if query:
            self.search(query)
        else:
            self._status(f"{len(lines):,} lines" if lines else "no payload yet")

    def search(self, query: str) -> int:
        """Highlight ``query`` in the payload and go to the first match; returns the count."""
        count = self.body.search(query)
        self._update_status()
        return count

    def _update_status(self) -> None:
        body = self.body
        if not body.matches:
            self._status("no match" if body.query_length else f"{len(body.lines):,} lines")
            return
        more = "+" if len(body.matches) >= MAX_MATCHES else ""
        line = body.matches[body.current][0] + 1
        self._status(f"match {body.current + 1:,}/{len(body.matches):,}{more} · line {line:,}")

    def _status(self, message: str) -> None:
        self.query_one("#json-status", Static).update(Text(message))

    @on(Input.Submitted, "#json-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search(event.value)
        self.body.focus()

    def action_focus_search(self) -> None:
        """Put the cursor in the search box."""
        # Now, not after a refresh (what focus() does): keys typed right after "/"
        # belong to the search.
        self.screen.set_focus(self.query_one("#json-search", Input))

    def action_next_match(self) -> None:
        """Go to the next match."""
        self.body.next_match()
        self._update_status()

    def action_previous_match(self) -> None:
        """Go to the previous match."""
        self.body.previous_match()
        self._update_status()
