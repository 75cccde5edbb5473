"""The failures view (``F``): failed and partial jobs grouped by cause, kept live.

One entry per group, largest first: its count, the providers, and the
signature (kind, provider code, masked message), wrapped at 80 columns
rather than cut. ``enter`` closes the view with the group's ``sig:`` query
term, which the dashboard adds to the filter, so it composes with whatever
``/`` holds already. ``r``, ``d`` and ``x`` ask the dashboard to refresh,
stop watching or cancel every job of the highlighted group (it confirms
with the count first); the view stays open and its counts follow the
store as new failures arrive (``update_groups``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from typing import ClassVar, Literal

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from jobtui.insights.failures import FailureGroup, Signature
from jobtui.textsafe import visible

__all__ = ["WRAP_COLUMNS", "BulkAction", "FailuresScreen", "group_line"]

WRAP_COLUMNS = 80
"""A group's entry wraps at this many columns (or the list's width, when narrower)."""

BulkAction = Literal["refresh", "remove", "cancel"]
"""What the view's keys ask the dashboard to do to every job of a group."""

_HINT = "enter filter to it · r refresh · d stop watching · x cancel · esc close"
_READ_ONLY_HINT = "enter filter to it · esc close"
"""Under ``--read-only`` the bulk keys do nothing: the hint does not offer them."""


def group_line(group: FailureGroup, width: int = WRAP_COLUMNS) -> Text:
    """``  12  deepo,ta  deepomatic: Could not download <url>``, wrapped under itself.

    The signature wraps at ``width`` columns with its continuation lines
    indented under its first character, so a long message is read whole.
    Provider text goes through ``visible``: no escape reaches the terminal.
    """
    head = f"{group.count:>5,}  "
    providers = visible(",".join(sorted(group.providers))) + "  "
    indent = len(head) + len(providers)
    sig = group.signature
    if group.providers == {sig.kind}:
        # Providers named after their kind: "superai  superai: job failed" says it twice.
        code = sig.code or ""
        text = f"{code}: {sig.message}" if code and sig.message else code or sig.message
    else:
        text = str(sig)
    signature = visible(text)
    room = max(width - indent, 20)
    pieces = textwrap.wrap(signature, room, break_on_hyphens=False) or [""]
    line = Text(end="", no_wrap=True, overflow="fold")
    line.append(head, style="bold")
    line.append(providers, style="dim")
    line.append(pieces[0])
    for piece in pieces[1:]:
        line.append("\n" + " " * indent + piece)
    return line


class FailuresScreen(ModalScreen[str | None]):
    """Failure groups; ``enter`` picks one (its ``sig:`` term), ``esc``/``q``/``F`` close."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,F", "close", "Close", show=False),
        Binding("r", "bulk('refresh')", "Refresh the group", show=False),
        Binding("d,delete", "bulk('remove')", "Stop watching the group", show=False),
        Binding("x", "bulk('cancel')", "Cancel the group", show=False),
        # The list keys of the rest of the dashboard move here too.
        Binding("j", "move('cursor_down')", "Next group", show=False),
        Binding("k", "move('cursor_up')", "Previous group", show=False),
        Binding("g", "move('first')", "First group", show=False),
        Binding("G", "move('last')", "Last group", show=False),
    ]

    def __init__(
        self,
        groups: Sequence[FailureGroup],
        on_bulk: Callable[[BulkAction, FailureGroup], None] | None = None,
        *,
        ascii_only: bool = False,
        current: str | None = None,
    ) -> None:
        super().__init__(classes="modal")
        self._groups = list(groups)
        self._current = current
        self._on_bulk = on_bulk
        self._ascii_only = ascii_only
        self._width = WRAP_COLUMNS

    @property
    def groups(self) -> list[FailureGroup]:
        """The groups shown, in order."""
        return list(self._groups)

    @property
    def highlighted_group(self) -> FailureGroup | None:
        """The group under the cursor, if any."""
        if not self._groups:
            return None
        index = self.query_one("#failures-list", OptionList).highlighted
        return self._groups[index] if index is not None and index < len(self._groups) else None

    def compose(self) -> ComposeResult:
        with Vertical(id="failures-dialog", classes="dialog"):
            yield Static("No failed or partial jobs.", id="failures-empty")
            yield OptionList(id="failures-list")
            hint = _HINT if self._on_bulk is not None else _READ_ONLY_HINT
            hint = hint.replace(" · ", " | ") if self._ascii_only else hint
            # Docked: a long list scrolls above it, and the keys stay in sight.
            yield Static(hint, classes="hint", id="failures-hint")

    def on_mount(self) -> None:
        # Reopened while the list is filtered to a group: the cursor starts on that group.
        self._show(next((g for g in self._groups if g.signature.term == self._current), None))

    def on_resize(self, event: events.Resize) -> None:
        # The list's own width is known after layout: wrap to it when under 80 columns.
        self.call_after_refresh(self._fit_width)

    def _fit_width(self) -> None:
        option_list = self.query_one("#failures-list", OptionList)
        room = option_list.scrollable_content_region.width
        width = min(WRAP_COLUMNS, room) if room > 0 else WRAP_COLUMNS
        if width != self._width:
            self._width = width
            self._show(self.highlighted_group)

    def update_groups(self, groups: Sequence[FailureGroup]) -> None:
        """Show ``groups`` instead, the cursor staying on the group it was on."""
        keep = self.highlighted_group
        self._groups = list(groups)
        self._show(keep)

    def _show(self, keep: FailureGroup | None) -> None:
        total = sum(g.count for g in self._groups)
        dialog = self.query_one("#failures-dialog")
        dash = "-" if self._ascii_only else "—"
        dialog.border_title = f"Failures {dash} {total:,} jobs in {len(self._groups):,} groups"
        self.query_one("#failures-empty").display = not self._groups
        option_list = self.query_one("#failures-list", OptionList)
        option_list.display = bool(self._groups)
        option_list.set_options(
            Option(group_line(g, self._width), id=str(i)) for i, g in enumerate(self._groups)
        )
        if self._groups:
            option_list.highlighted = self._index_of(keep.signature) if keep else 0

    def _index_of(self, signature: Signature) -> int:
        for index, group in enumerate(self._groups):
            if group.signature == signature:
                return index
        return 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Close with the chosen group's filter term."""
        event.stop()
        index = int(event.option.id or 0)
        self.dismiss(self._groups[index].signature.term)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The bulk keys only where the dashboard may act (not ``--read-only``)."""
        if action == "bulk":
            return self._on_bulk is not None
        return True

    def action_move(self, where: str) -> None:
        """Move the cursor in the list of groups (``cursor_down``, ``cursor_up``, …)."""
        option_list = self.query_one("#failures-list", OptionList)
        getattr(option_list, f"action_{where}")()

    def action_bulk(self, action: BulkAction) -> None:
        """Ask the dashboard to act on every job of the highlighted group."""
        group = self.highlighted_group
        if group is not None and self._on_bulk is not None:
            self._on_bulk(action, group)

    def action_close(self) -> None:
        """Close without filtering."""
        self.dismiss(None)
