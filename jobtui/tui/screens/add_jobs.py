"""The add-jobs modal: pick a provider, paste ids, optionally a label."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from jobtui.tui.widgets.steady import SteadyInput, SteadyTextArea

__all__ = ["AddJobsRequest", "AddJobsScreen", "split_ids"]

_SEPARATORS = re.compile(r"[\s,;]+")


def split_ids(text: str) -> list[str]:
    """Job ids from pasted text: split on whitespace, commas and semicolons, deduplicated."""
    return list(dict.fromkeys(part for part in _SEPARATORS.split(text) if part))


SHORT_TERMINAL = 30
"""Terminals with fewer rows get the compact dialog."""


@dataclass(frozen=True, slots=True)
class AddJobsRequest:
    """What the user asked to watch."""

    provider: str
    ids: tuple[str, ...]
    label: str | None


NO_PROVIDERS = (
    "No provider is configured: `jobtui config init` writes a config to edit; "
    "`jobtui demo` tries simulated ones."
)
"""What the Add dialog says when there is no provider to add jobs to."""


class AddJobsScreen(ModalScreen[AddJobsRequest | None]):
    """Dismisses with an ``AddJobsRequest``, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("ctrl+s", "submit", "Add", show=False),
    ]

    def __init__(self, providers: Sequence[str], *, selected: str | None = None) -> None:
        super().__init__(classes="modal")
        self._providers = list(providers)
        self._selected = selected if selected in self._providers else None

    def compose(self) -> ComposeResult:
        with Vertical(id="add-dialog", classes="dialog") as dialog:
            dialog.border_title = "Add jobs"
            yield Label("Provider")
            initial = self._selected or (self._providers[0] if self._providers else Select.NULL)
            yield Select(
                [(Text(name), name) for name in self._providers],
                value=initial,
                allow_blank=not self._providers,
                id="add-provider",
            )
            yield Label("Job ids (any number: one per line, or separated by spaces or commas)")
            yield SteadyTextArea("", id="add-ids", soft_wrap=True, show_line_numbers=False)
            yield Label("Label (optional)")
            yield SteadyInput(placeholder="e.g. retriever batch", id="add-label")
            yield Static("", id="add-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Add (ctrl+s)", variant="primary", id="add-submit")
                yield Button("Cancel (esc)", id="add-cancel")

    def on_mount(self) -> None:
        self._fit(self.app.size.height)
        self.query_one("#add-ids", TextArea).focus()
        if not self._providers:
            # An empty list would say nothing: say why, and what to do.
            self.query_one("#add-error", Static).update(Text(NO_PROVIDERS))

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.height)

    def _fit(self, height: int) -> None:
        # In a short terminal (24 rows) the full dialog would push its buttons off the
        # screen: a smaller id box and tighter spacing keep them in sight.
        self.set_class(height < SHORT_TERMINAL, "-short")

    def action_cancel(self) -> None:
        """Close without adding."""
        self.dismiss(None)

    def action_submit(self) -> None:
        """Validate and close with the request, or say what is missing."""
        provider = self.query_one("#add-provider", Select).value
        ids = split_ids(self.query_one("#add-ids", TextArea).text)
        label = self.query_one("#add-label", Input).value.strip() or None
        error = self.query_one("#add-error", Static)
        if not isinstance(provider, str):
            error.update(Text(NO_PROVIDERS if not self._providers else "Pick a provider."))
            return
        if not ids:
            error.update(Text("Paste at least one job id."))
            return
        self.dismiss(AddJobsRequest(provider, tuple(ids), label))

    @on(Button.Pressed, "#add-submit")
    def _submit_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#add-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    @on(Input.Submitted, "#add-label")
    def _label_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()
