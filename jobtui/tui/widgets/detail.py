"""The detail pane: the selected job's Result tree, raw JSON and Timeline, as tabs.

The shell calls :meth:`DetailPane.show` whenever the selection or the
selected job changes. Only the visible tab is rebuilt; the others are marked
stale and rebuilt when opened, so a 1 MB payload costs nothing until the
JSON tab is shown. ``[`` and ``]`` switch tabs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane, Tabs

from jobtui.preview import image_refs
from jobtui.store import Transition, WatchedJob
from jobtui.tui.joblist.glyphs import waiting_glyph
from jobtui.tui.results.nodes import ResultNode, format_time, header_nodes, item_nodes, leaf
from jobtui.tui.results.providers import provider_nodes
from jobtui.tui.widgets.jsonview import JsonView
from jobtui.tui.widgets.preview import PreviewView
from jobtui.tui.widgets.resulttree import ResultTree
from jobtui.tui.widgets.timeline import Timeline

__all__ = ["TABS", "DetailPane", "result_nodes"]

TABS: tuple[str, ...] = ("result", "json", "timeline", "preview")
"""Tab ids, in display order (Preview is hidden for jobs that name no image)."""


def _system_now() -> datetime:
    return datetime.now(UTC)


def result_nodes(
    watched: WatchedJob, now: datetime, *, ascii_only: bool = False
) -> list[ResultNode]:
    """Everything the Result tab shows for ``watched``, as lazy nodes."""
    job = watched.job
    if job is None:
        # Not yet asked reads as the list says it; asked and never answered is unknown.
        if watched.awaiting_first_poll:
            state = (
                (f"{waiting_glyph(ascii_only=ascii_only)} ", "muted"),
                ("waiting for its first poll  ", "muted"),
            )
        else:
            state = ("? ", "state-unknown"), ("never fetched  ", "state-unknown")
        return [
            leaf(
                *state,
                (watched.provider, "key"),
                (" ", ""),
                (watched.id, "str"),
                key="state",
            ),
            leaf(("added    ", "key"), (format_time(watched.added_at), "num"), key="added"),
            *(
                [leaf(("poll     ", "key"), (watched.poll_error, "error"), key="poll")]
                if watched.poll_error
                else []
            ),
        ]
    nodes = header_nodes(
        job, now, label=watched.label, poll_error=watched.poll_error, ascii_only=ascii_only
    )
    fetched_at = watched.polled_at if watched.poll_error is None else None
    structures = provider_nodes(job, now, fetched_at=fetched_at)
    if job.items:
        items = item_nodes(job.items, ascii_only=ascii_only)
        if structures:
            # The provider's own structures say the same in more detail: start folded.
            items = ResultNode(items.spans, items.children, expanded=False, key=items.key)
        nodes.append(items)
    return nodes + structures


class DetailPane(Widget):
    """Tabs Result / JSON / Timeline (/ Preview) for one watched job.

    Public API for the shell: :meth:`show`, :attr:`watched`, :attr:`active_tab`,
    :meth:`select_tab`, :meth:`next_tab`, :meth:`previous_tab`, :meth:`focus_body`,
    :meth:`selected_text`, :meth:`payload_text`.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "previous_tab", "Prev tab", show=False),
        Binding("right_square_bracket", "next_tab", "Next tab", show=False),
    ]

    DEFAULT_CSS = """
    DetailPane { height: 1fr; }
    DetailPane TabbedContent { height: 1fr; }
    DetailPane TabPane { padding: 0; height: 1fr; }
    DetailPane ContentSwitcher { height: 1fr; }
    """

    def __init__(
        self,
        *,
        now: Callable[[], datetime] | None = None,
        ascii_only: bool = False,
        initial_tab: str = "result",
        preview: PreviewView | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """``now`` gives the current UTC time (inject a frozen clock in tests).

        ``initial_tab`` is the tab shown first (e.g. the one the user left open).
        """
        super().__init__(id=id, classes=classes)
        if initial_tab not in TABS:
            raise ValueError(f"unknown tab {initial_tab!r}; tabs are {', '.join(TABS)}")
        self._initial_tab = initial_tab
        self._now = now or _system_now
        self.ascii_only = ascii_only
        self.watched: WatchedJob | None = None
        """The job shown, or None."""
        self._transitions: list[Transition] = []
        self._stale: set[str] = set(TABS)
        self._preview_offered: bool | None = None
        self._preview = preview or PreviewView(ascii_only=ascii_only, id="preview-view")

    def compose(self) -> ComposeResult:
        with TabbedContent(initial=self._initial_tab):
            with TabPane("Result", id="result"):
                yield ResultTree(id="result-tree")
            with TabPane("JSON", id="json"):
                yield JsonView(id="json-view")
            with TabPane("Timeline", id="timeline"):
                yield Timeline(ascii_only=self.ascii_only, id="timeline-table")
            with TabPane("Preview", id="preview"):
                yield self._preview

    def on_mount(self) -> None:
        self._sync_preview_tab()
        self._render_tab(self.active_tab)

    def _has_images(self) -> bool:
        job = self.watched.job if self.watched is not None else None
        return job is not None and bool(image_refs(job))

    def _sync_preview_tab(self) -> None:
        """Offer Preview only for a job that names images (other jobs keep three tabs)."""
        wanted = self._has_images()
        if wanted == self._preview_offered:
            return  # showing or hiding a tab again re-lays the tab row out (and loses a switch)
        self._preview_offered = wanted
        tabs = self.query_one(TabbedContent)
        if wanted:
            tabs.show_tab("preview")
        else:
            if tabs.active == "preview":
                tabs.active = "result"
            tabs.hide_tab("preview")

    # -- public API --------------------------------------------------------------------------------

    def show(self, job: WatchedJob | None, transitions: Sequence[Transition]) -> None:
        """Show ``job`` (None: nothing selected) and its ``transitions``.

        Calling it again with an unchanged job and transitions does nothing, so the
        shell may call it on every engine tick. A changed job keeps open branches open.
        """
        new_transitions = list(transitions)
        if job == self.watched and new_transitions == self._transitions:
            return
        same_payload = (
            job is not None
            and self.watched is not None
            and job.job is not None
            and self.watched.job is not None
            and job.job.raw == self.watched.job.raw
        )
        self.watched, self._transitions = job, new_transitions
        # An unchanged payload spares the JSON tab a rebuild only when it shows that
        # payload already: a JSON tab not yet drawn for this job stays due (dropping it
        # left the tab blank when it was opened after an update that kept the payload).
        kept = {"json"} - self._stale if same_payload else set()
        self._stale = set(TABS) - kept
        if same_payload:
            self._stale.discard("preview")  # the same images: no refetch
        if self.is_mounted:
            self._sync_preview_tab()
            self._render_tab(self.active_tab)

    def refresh_times(self) -> None:
        """Bring times relative to now ("51s ago") up to date without rebuilding the tree.

        Call it once a second. A Result tab out of sight is rebuilt when opened instead.
        """
        if self.watched is None or not self.is_mounted:
            return
        if self.active_tab != "result":
            self._stale.add("result")
            return
        if "result" in self._stale:
            return  # a rebuild is due anyway
        nodes = result_nodes(self.watched, self._now(), ascii_only=self.ascii_only)
        self.query_one(ResultTree).relabel(nodes)

    @property
    def active_tab(self) -> str:
        """The id of the tab shown: ``result``, ``json``, ``timeline`` or ``preview``."""
        return self.query_one(TabbedContent).active or "result"

    def select_tab(self, tab: str) -> None:
        """Show tab ``tab`` (one of :data:`TABS`)."""
        if tab not in TABS:
            raise ValueError(f"unknown tab {tab!r}; tabs are {', '.join(TABS)}")
        self.query_one(TabbedContent).active = tab

    def _offered(self) -> tuple[str, ...]:
        return TABS if self._has_images() else tuple(t for t in TABS if t != "preview")

    @property
    def offered_tabs(self) -> tuple[str, ...]:
        """The tabs shown for this job (Preview only when it names images)."""
        return self._offered()

    def next_tab(self) -> None:
        """Show the tab to the right, wrapping around."""
        tabs = self._offered()
        self.select_tab(tabs[(tabs.index(self.active_tab) + 1) % len(tabs)])

    def previous_tab(self) -> None:
        """Show the tab to the left, wrapping around."""
        tabs = self._offered()
        self.select_tab(tabs[(tabs.index(self.active_tab) - 1) % len(tabs)])

    def focus_body(self) -> None:
        """Give the keyboard to the visible tab's content (tree, JSON lines or table)."""
        self._tab_body(self.active_tab).focus()

    def selected_text(self) -> str:
        """What ``c`` should copy: the Result line under the cursor, else the whole payload."""
        if self.active_tab == "result":
            text = self.query_one(ResultTree).selected_text()
            if text:
                return text
        return self.payload_text()

    def payload_text(self) -> str:
        """The raw payload as pretty JSON text ("" when there is none)."""
        job = self.watched.job if self.watched is not None else None
        if job is None or job.raw is None:
            return ""
        # The real characters, not the on-screen escapes: a clipboard is not a terminal.
        return json.dumps(job.raw, indent=2, ensure_ascii=False, default=str)

    def action_next_tab(self) -> None:
        """Key ``]``."""
        self.next_tab()

    def action_previous_tab(self) -> None:
        """Key ``[``."""
        self.previous_tab()

    # -- rendering ---------------------------------------------------------------------------------

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        tab = event.pane.id or "result"
        if tab != self.active_tab:
            # A late message for a tab left since (the first activation at start-up
            # can arrive after a key chose another): focusing its body would switch back.
            return
        self._render_tab(tab)
        focused = self.screen.focused
        # Keep the keyboard in the pane: the widget that had focus is hidden now, and
        # Textual would otherwise hand it to the search box, which swallows "[" and "]".
        if focused is None or (
            focused is not self and self in focused.ancestors and not isinstance(focused, Tabs)
        ):
            self._tab_body(tab).focus()

    def _tab_body(self, tab: str) -> Widget:
        if tab == "result":
            return self.query_one(ResultTree)
        if tab == "json":
            return self.query_one(JsonView).body
        if tab == "preview":
            return self._preview
        return self.query_one(Timeline)

    def _render_tab(self, tab: str) -> None:
        if tab not in self._stale:
            return
        self._stale.discard(tab)
        watched, now = self.watched, self._now()
        if tab == "result":
            tree = self.query_one(ResultTree)
            if watched is None:
                tree.show_nodes([leaf(("no job selected", "muted"))], keep_open=False)
            else:
                tree.show_nodes(result_nodes(watched, now, ascii_only=self.ascii_only))
        elif tab == "json":
            job = watched.job if watched is not None else None
            self.query_one(JsonView).show_payload(job.raw if job is not None else None)
        elif tab == "preview":
            self._preview.show_job(watched.job if watched is not None else None)
        else:
            self.query_one(Timeline).show_transitions(self._transitions, now)
