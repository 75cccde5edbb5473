"""The job list: a virtual line widget over ``JobListModel``.

Only the lines on screen are ever drawn (``render_line``), each from a
small cache keyed by the row object, so 100k rows cost what 60 do. A tick
of engine changes redraws the changed lines in place; the screen is never
laid out again for a row update.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from jobtui.model import JobState
from jobtui.tui.joblist.columns import DEFAULT_COLUMNS, Column, cell_text, fit, layout_columns
from jobtui.tui.joblist.model import JobKey, JobListModel, JobRow
from jobtui.tui.keys import bindings_for
from jobtui.tui.messages import JobOpened, MarksChanged
from jobtui.tui.widgets.passstyle import PassStyle

__all__ = ["JobList"]

_CACHE_LIMIT = 4000
_GUTTER = 2
"""Cells left of the columns: the cursor or mark sign, then a space."""


class JobList(PassStyle, ScrollView, can_focus=True):
    """Watched jobs, one per line, with a header, a cursor and marks."""

    BINDINGS: ClassVar[list[BindingType]] = bindings_for("joblist")

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "joblist--header",
        "joblist--cursor",
        "joblist--marked",
        "joblist--muted",
        *(f"joblist--state-{state.value}" for state in JobState),
    }

    DEFAULT_CSS = """
    JobList {
        overflow-x: hidden;
        overflow-y: auto;
    }
    """

    def __init__(
        self,
        model: JobListModel,
        *,
        now: Callable[[], float],
        ascii_only: bool = False,
        columns: Collection[str] = DEFAULT_COLUMNS,
        on_highlight: Callable[[JobKey | None], None] = lambda key: None,
        after_whole_list: Callable[[Callable[[], object]], bool] = lambda action: False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """``on_highlight`` is called each time the cursor rests on another job, with its
        key (None: the list is empty), synchronously, so whatever follows the cursor is
        drawn in the same frame as the cursor. ``after_whole_list(action)`` says whether
        only the first page is in yet, and then runs ``action`` once the whole list is."""
        super().__init__(name=name, id=id, classes=classes)
        self.model = model
        self._after_whole_list = after_whole_list
        self.marks: set[JobKey] = set()
        self.columns: tuple[str, ...] = tuple(c for c in DEFAULT_COLUMNS if c in columns)
        self._now = now
        self._ascii_only = ascii_only
        # Drawn lines by job and look; each entry keeps its row, so a hit is only taken
        # for that very row object (a newer poll of the job is a new row, drawn anew).
        self._cache: dict[tuple[object, ...], tuple[JobRow, Strip]] = {}
        self._layout: list[tuple[Column, int, int]] = []
        self._layout_width = -1
        self._layout_id_width = -1
        self._on_highlight = on_highlight
        self._last_highlight: JobKey | None = None
        self._sizes_seen: tuple[Size, Size, Size] | None = None
        self._age_texts: dict[int, tuple[str, ...]] = {}
        # The row each job's line was last drawn from: a change that shows nothing
        # new (a failed probe writing the same poll error) redraws nothing.
        self._drawn: dict[JobKey, JobRow] = {}

    # ----------------------------------------------------------------- public

    def sync(self, *, order_changed: bool = True, changed: Collection[JobKey] = ()) -> None:
        """Bring the screen in step with the model after it changed.

        With ``order_changed`` every visible line is redrawn; otherwise only
        the lines of ``changed`` jobs that are on screen.
        """
        height = len(self.model) + 1
        if self.virtual_size.height != height:
            self.virtual_size = Size(self.size.width, height)
            # Show, hide and size the scrollbar now, and tell the next layout it is
            # done: Textual would do it during that layout and then draw the
            # scrollbar again, a frame later.
            self._scroll_update(self.virtual_size)
            if self._sizes_seen is not None:
                self._sizes_seen = (*self._sizes_seen[:2], self.virtual_size)
        if order_changed:
            self._scroll_cursor_into_view()
            self.refresh()
        else:
            top = int(self.scroll_y)
            bottom = top + self.size.height
            for key in changed:
                index = self.model.index_of(key)
                if index is None or not top <= index < bottom:
                    continue
                drawn = self._drawn.get(key)
                if drawn is None or not drawn.looks_like(self.model.row_at(index)):
                    self.refresh_line(index + 1)
        self._post_highlight()

    def show_from_top(self) -> None:
        """The user asked for another view (a filter, a sort, a provider, problems only):
        show its first row, cursor on it and scrolled to the top.

        Only changes from the engine keep the cursor on its job (``sync``): a new
        view that kept it would hide the rows above it, the newest failures first.
        """
        self.model.move_cursor_to(0)
        self.sync()

    def set_columns(self, columns: Collection[str]) -> None:
        """Show ``columns`` (names from ``jobtui.tui.joblist.columns.COLUMNS``)."""
        self.columns = tuple(c for c in DEFAULT_COLUMNS if c in columns) or ("state", "id")
        self._layout_width = -1
        self._cache.clear()
        self.refresh()

    def shown_columns(self) -> tuple[str, ...]:
        """The columns that fit the list's current width, left to right."""
        width = self.scrollable_content_region.width
        return tuple(column.name for column, _, _ in self._columns_layout(width))

    def refresh_ages(self) -> None:
        """Redraw the lines whose age text changed since they were drawn."""
        now = self._now()
        top = int(self.scroll_y)
        for index in range(top, min(len(self.model), top + self.size.height)):
            row = self.model.row_at(index)
            texts = self._age_cells(row, now)
            if self._age_texts.get(index) != texts:
                self.refresh_line(index + 1)

    def move_cursor(self, index: int) -> None:
        """Move the cursor to visible ``index`` (clamped) and scroll to it."""
        before = self.model.cursor
        self.model.move_cursor_to(index)
        after = self.model.cursor
        if before != after:
            self.refresh_line(before + 1)
            self.refresh_line(after + 1)
        self._scroll_cursor_into_view()
        self._post_highlight()

    def move_cursor_to_key(self, key: JobKey) -> bool:
        """Move the cursor to ``key`` if it is visible; returns whether it is."""
        index = self.model.index_of(key)
        if index is None:
            return False
        self.move_cursor(index)
        return True

    def toggle_mark(self) -> None:
        """Mark or unmark the job under the cursor, then step down."""
        key = self.model.cursor_key
        if key is None:
            return
        if key in self.marks:
            self.marks.discard(key)
        else:
            self.marks.add(key)
        self.post_message(MarksChanged())
        self.refresh_line(self.model.cursor + 1)
        self.move_cursor(self.model.cursor + 1)

    def clear_marks(self) -> None:
        """Unmark every job."""
        self.marks.clear()
        self.post_message(MarksChanged())
        self.refresh()

    # ---------------------------------------------------------------- actions

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    def action_cursor_down(self) -> None:
        """Move down one row."""
        self.move_cursor(self.model.cursor + 1)

    def action_cursor_up(self) -> None:
        """Move up one row."""
        self.move_cursor(self.model.cursor - 1)

    def action_cursor_first(self) -> None:
        """Go to the first row."""
        self.move_cursor(0)

    def action_cursor_last(self) -> None:
        """Go to the last row (of the whole list: it waits for it)."""
        if self._after_whole_list(self.action_cursor_last):
            return
        self.move_cursor(len(self.model) - 1)

    def action_page_down(self) -> None:
        """Move down one screen."""
        self.move_cursor(self.model.cursor + self._page)

    def action_page_up(self) -> None:
        """Move up one screen."""
        self.move_cursor(self.model.cursor - self._page)

    def action_open(self) -> None:
        """Open the job under the cursor."""
        key = self.model.cursor_key
        if key is not None:
            self.post_message(JobOpened(key))

    def action_toggle_mark(self) -> None:
        """Mark the job under the cursor for a bulk action."""
        self.toggle_mark()

    # ----------------------------------------------------------------- events

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # Textual calls this on every layout of the screen. ScrollView compares the
        # compositor's virtual size (the visible region) with ours (a line per job),
        # which always differ, and so repainted this list's scrollbar whenever any
        # pane changed its layout (each new job in the detail pane): a frame and a
        # kilobyte for nothing. Pass on only what changed.
        sizes = (size, container_size, self.virtual_size)
        if sizes == self._sizes_seen:
            return False
        self._sizes_seen = sizes
        return super()._size_updated(size, virtual_size, container_size, layout)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.model) + 1)
        self._cache.clear()
        self._scroll_cursor_into_view()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        index = int(self.scroll_y) + offset.y - 1
        if 0 <= index < len(self.model):
            self.move_cursor(index)
            if event.chain >= 2:
                self.action_open()

    def notify_style_update(self) -> None:
        """Styles changed (a new theme, NO_COLOR): every cached line has old colours."""
        self._cache.clear()
        super().notify_style_update()

    def on_focus(self) -> None:
        self.refresh_line(self.model.cursor + 1)

    def on_blur(self) -> None:
        self.refresh_line(self.model.cursor + 1)

    # -------------------------------------------------------------- rendering

    def _scroll_cursor_into_view(self) -> None:
        rows_on_screen = max(1, self.scrollable_content_region.height - 1)
        cursor = self.model.cursor
        top = int(self.scroll_y)
        if cursor < top:
            self.scroll_to(y=cursor, animate=False, immediate=True)
        elif cursor >= top + rows_on_screen:
            self.scroll_to(y=cursor - rows_on_screen + 1, animate=False, immediate=True)

    def _post_highlight(self) -> None:
        key = self.model.cursor_key
        if key != self._last_highlight:
            self._last_highlight = key
            self._on_highlight(key)

    def _columns_layout(self, width: int) -> list[tuple[Column, int, int]]:
        if (width, self.model.longest_id) != (self._layout_width, self._layout_id_width):
            provider_width = max((len(name) for name in self.model.counts), default=8)
            self._layout = layout_columns(
                width - _GUTTER, self.columns, provider_width=provider_width,
                id_width=self.model.longest_id,
            )  # fmt: skip
            self._layout_width = width
            self._layout_id_width = self.model.longest_id
            self._cache.clear()  # lines drawn for the old widths
        return self._layout

    def _age_cells(self, row: JobRow, now: float) -> tuple[str, ...]:
        return tuple(
            cell_text(name, row, 8, now, ascii_only=self._ascii_only)
            for name in ("age", "updated")
            if name in self.columns
        )

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        layout = self._columns_layout(width)
        base = self.pass_style
        if y == 0:
            return self._header_strip(layout, width, base)
        index = int(self.scroll_y) + y - 1
        if index >= len(self.model):
            if y == 1 and not len(self.model):
                return self._empty_strip(width, base)
            return Strip.blank(width, base)
        row = self.model.row_at(index)
        now = self._now()
        ages = self._age_cells(row, now)
        self._age_texts[index] = ages
        self._drawn[row.key] = row
        is_cursor = index == self.model.cursor
        marked = row.key in self.marks
        cache_key = (row.key, width, is_cursor, self.has_focus, marked, ages, self.columns)
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] is row:
            return cached[1]
        strip = self._row_strip(row, layout, width, base, now, is_cursor=is_cursor, marked=marked)
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
            self._age_texts.clear()
            self._drawn.clear()
        self._cache[cache_key] = (row, strip)
        return strip

    def _empty_strip(self, width: int, base: Style) -> Strip:
        if self.model.total:
            message = "No job matches: esc clears the filter."
        else:
            message = "No jobs watched yet: press a to add some."
        style = base + self.get_component_rich_style("joblist--muted")
        return Strip([Segment(fit("  " + message, width), style)], width)

    def _header_strip(
        self, layout: list[tuple[Column, int, int]], width: int, base: Style
    ) -> Strip:
        style = base + self.get_component_rich_style("joblist--header")
        arrow_up, arrow_down = ("^", "v") if self._ascii_only else ("▲", "▼")
        segments: list[Segment] = [Segment(" " * _GUTTER, style)]
        x = 0
        for column, column_x, column_width in layout:
            if column_x > x:
                segments.append(Segment(" " * (column_x - x), style))
            title = column.title
            if column.name == self.model.sort_column:
                # The arrow always shows, even when the title has to be shortened.
                arrow = arrow_down if self.model.sort_reverse else arrow_up
                title = fit(title, min(len(title), column_width - 1)).rstrip() + arrow
            segments.append(Segment(fit(title, column_width), style))
            x = column_x + column_width
        if x + _GUTTER < width:
            segments.append(Segment(" " * (width - x - _GUTTER), style))
        return Strip(segments, width).crop(0, width)

    def _row_strip(
        self,
        row: JobRow,
        layout: list[tuple[Column, int, int]],
        width: int,
        base: Style,
        now: float,
        *,
        is_cursor: bool,
        marked: bool,
    ) -> Strip:
        line_style = base
        if marked:
            line_style += self.get_component_rich_style("joblist--marked")
        if is_cursor:
            line_style += self.get_component_rich_style("joblist--cursor")
            if self.app.no_color:
                # Without colour a background is invisible: reverse the line instead.
                line_style += Style(reverse=True)
        state_style = line_style + self.get_component_rich_style(
            f"joblist--state-{row.state.value}"
        )
        muted = line_style + self.get_component_rich_style("joblist--muted")
        # The gutter shows the cursor and the mark as signs, never by colour alone.
        if marked:
            sign = "*" if self._ascii_only else "•"
        elif is_cursor:
            sign = ">" if self._ascii_only else "▶"
        else:
            sign = " "
        segments: list[Segment] = [Segment(sign + " ", line_style)]
        x = 0
        for column, column_x, column_width in layout:
            if column_x > x:
                segments.append(Segment(" " * (column_x - x), line_style))
            text = cell_text(column.name, row, column_width, now, ascii_only=self._ascii_only)
            style = state_style if column.name == "state" else line_style
            if column.name in ("age", "updated", "provider"):
                style = muted
            segments.append(Segment(fit(text, column_width, ascii_only=self._ascii_only), style))
            x = column_x + column_width
        if x + _GUTTER < width:
            segments.append(Segment(" " * (width - x - _GUTTER), line_style))
        return Strip(segments, width).crop(0, width)
