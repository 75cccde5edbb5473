"""The help screen: every key by action id, and the filter language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from jobtui.tui.keys import KEY_SPECS

__all__ = ["FILTER_HELP", "HelpScreen", "help_text"]

FILTER_HELP = """\
Filter (/):  words match provider, id, label, summary, status or error
  state:failed        a state: queued running paused succeeded partial
                      failed canceled unknown, or active terminal problem
  provider:deepo      kind: id: label: summary: error: (substring)
  state:failed,partial  any of several values
  "two words"         a phrase        !term  negates a term
  esc clears the filter; enter goes back to the list

Detail pane (3):  [ and ] switch between Result, JSON and Timeline.
  Result: j/k or arrows move, enter/space or l opens and closes a branch,
  h goes to the parent, enter on "… N more" adds the next page;
  c copies the selected line.  JSON: j/k g/G scroll, / search, n/N next.
Providers pane (1):  r retries a provider that stopped (auth failed)."""


def help_text(keys: Mapping[str, str], display: Callable[[str], str]) -> Text:
    """The keys table as text: keys, action id, description."""
    text = Text(no_wrap=True, end="")
    rows = [
        (" ".join(display(key) for key in keys[spec.id].split(",")), spec.id, spec.description)
        for spec in KEY_SPECS
    ]
    key_width = max(len(row[0]) for row in rows)
    id_width = max(len(row[1]) for row in rows)
    for shown, action_id, description in rows:
        text.append(f" {shown:<{key_width}}  ", style="bold")
        text.append(f"{action_id:<{id_width}}  ", style="dim")
        text.append(f"{description}\n")
    text.append("\nRemap any key by its action id in config.toml:\n", style="dim")
    text.append('  [ui.keys]\n  refresh_all = "R,f5"\n\n', style="dim")
    text.append(FILTER_HELP)
    return text


class HelpScreen(ModalScreen[None]):
    """Keys and the filter language; any of esc, q, ? or F1 closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", show=False),
    ]

    def __init__(self, keys: Mapping[str, str], display: Callable[[str], str]) -> None:
        super().__init__(classes="modal")
        self._keys = keys
        self._display = display

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog", classes="dialog") as dialog:
            dialog.border_title = "Help — keys (action id) · ctrl+p for the command palette"
            yield Static(help_text(self._keys, self._display), id="help-text")

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
