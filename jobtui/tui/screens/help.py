"""The help screen: every key by action id, what the state glyphs mean, the filter language.

It scrolls with the keys the list uses: j/k and the arrows, PgUp/PgDn and
space, g/G and home/end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from jobtui.model import JobState
from jobtui.tui.joblist.glyphs import glyph, waiting_glyph
from jobtui.tui.keys import KEY_SPECS, writes

__all__ = ["FILTER_HELP", "HelpScreen", "help_text", "state_legend"]

FILTER_HELP = """\
Filter (/):  words match provider, id, label, summary, status or error
  state:failed        a state: queued running paused succeeded partial
                      failed canceled unknown, or active terminal problem
  provider:deepo      kind: id: label: summary: error: (substring)
  state:failed,partial  any of several values
  "two words"         a phrase        !term  negates a term
  esc clears the filter; enter goes back to the list

Detail pane (3):  [ and ] switch between Result, JSON, Timeline and Preview.
  Result: j/k or arrows move, enter/space opens and closes a branch,
  l opens it or goes into it, h goes to the parent, enter on "… N more" adds
  the next page;
  c copies the selected line.  JSON: j/k g/G scroll, / search, n/N next.
  Preview (i): the pictures a job names, in half-blocks; [ui] images in
  config.toml picks "sixel" or "kitty" graphics instead, or "off".
Providers pane (1):  j/k move, g/G first/last, r retries a provider that
  stopped (auth failed).
Help (?):  j/k, PgUp/PgDn, space, g/G scroll; esc closes.
In a browser:  jobtui serve (ctrl+p "Serve this dashboard in a browser")."""


def state_legend(*, ascii_only: bool = False) -> str:
    """``States:  ● queued  ◐ running …``: each glyph the list and the detail draw."""
    entries = [f"{glyph(state, ascii_only=ascii_only)} {state.value}" for state in JobState]
    half = (len(entries) + 1) // 2
    # A job added and not yet polled: the list's state column says so (``columns.py``).
    entries.append(f"{waiting_glyph(ascii_only=ascii_only)} waiting")
    return "States:  " + "  ".join(entries[:half]) + "\n         " + "  ".join(entries[half:])


def help_text(
    keys: Mapping[str, str],
    display: Callable[[str], str],
    *,
    ascii_only: bool = False,
    read_only: bool = False,
) -> Text:
    """The keys table as text: keys, action id, description; then the glyphs and filter.

    ``read_only`` leaves out the keys that write (a ``--read-only`` dashboard has none).
    """
    text = Text(no_wrap=True, end="")
    text.append(state_legend(ascii_only=ascii_only) + "\n\n")
    rows = [
        (" ".join(display(key) for key in keys[spec.id].split(",")), spec.id, spec.description)
        for spec in KEY_SPECS
        if not (read_only and writes(spec))
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
        # The screen's, not the scroll's: they work wherever the focus is.
        Binding("j,down", "scroll('down')", "Scroll down", show=False),
        Binding("k,up", "scroll('up')", "Scroll up", show=False),
        Binding("pagedown,space", "scroll('page_down')", "Page down", show=False),
        Binding("pageup", "scroll('page_up')", "Page up", show=False),
        Binding("g,home", "scroll('home')", "Top", show=False),
        Binding("G,end", "scroll('end')", "Bottom", show=False),
    ]

    def __init__(
        self,
        keys: Mapping[str, str],
        display: Callable[[str], str],
        *,
        ascii_only: bool = False,
        read_only: bool = False,
    ) -> None:
        super().__init__(classes="modal")
        self._read_only = read_only
        self._keys = keys
        self._display = display
        self._ascii_only = ascii_only

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog", classes="dialog") as dialog:
            dialog.border_title = "Help — keys (action id) · ctrl+p for the command palette"
            yield Static(
                help_text(
                    self._keys,
                    self._display,
                    ascii_only=self._ascii_only,
                    read_only=self._read_only,
                ),
                id="help-text",
            )

    def action_scroll(self, where: str) -> None:
        """Scroll the help: down, up, page_down, page_up, home or end."""
        dialog = self.query_one("#help-dialog", VerticalScroll)
        moves = {
            "down": dialog.scroll_down,
            "up": dialog.scroll_up,
            "page_down": dialog.scroll_page_down,
            "page_up": dialog.scroll_page_up,
            "home": dialog.scroll_home,
            "end": dialog.scroll_end,
        }
        moves[where](animate=False)

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
