"""The failures view (``F``): failed and partial jobs grouped by cause.

One line per group, largest first: its count, the providers, and the
signature (kind, provider code, masked message). ``enter`` closes the view
with the group's ``sig:`` query term, which the dashboard adds to the
filter, so it composes with whatever ``/`` holds already.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from jobtui.insights.failures import FailureGroup
from jobtui.textsafe import visible

__all__ = ["FailuresScreen", "group_line"]


def group_line(group: FailureGroup) -> Text:
    """``  12  deepo,ta  deepomatic: Could not download <url>`` (escape-safe)."""
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append(f"{group.count:>5,}  ", style="bold")
    line.append(visible(",".join(sorted(group.providers))) + "  ", style="dim")
    line.append(visible(str(group.signature)))
    return line


class FailuresScreen(ModalScreen[str | None]):
    """Failure groups; ``enter`` picks one (its ``sig:`` term), ``esc``/``q``/``F`` close."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,F", "close", "Close", show=False),
    ]

    def __init__(self, groups: Sequence[FailureGroup]) -> None:
        super().__init__(classes="modal")
        self._groups = list(groups)

    @property
    def groups(self) -> list[FailureGroup]:
        """The groups shown, in order."""
        return list(self._groups)

    def compose(self) -> ComposeResult:
        total = sum(g.count for g in self._groups)
        with Vertical(id="failures-dialog", classes="dialog") as dialog:
            dialog.border_title = f"Failures — {total:,} jobs in {len(self._groups):,} groups"
            if not self._groups:
                yield Static("No failed or partial jobs.", id="failures-empty")
            else:
                yield OptionList(
                    *(Option(group_line(g), id=str(i)) for i, g in enumerate(self._groups)),
                    id="failures-list",
                )
            yield Static("enter filters the list to a group · esc closes", classes="hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Close with the chosen group's filter term."""
        event.stop()
        index = int(event.option.id or 0)
        self.dismiss(self._groups[index].signature.term)

    def action_close(self) -> None:
        """Close without filtering."""
        self.dismiss(None)
