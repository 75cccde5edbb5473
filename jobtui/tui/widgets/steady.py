"""Text inputs with a steady cursor.

A blinking cursor redraws its input twice a second for as long as it has
focus: bytes over a slow SSH link and wake-ups for nothing, and a screen that
is never still. jobtui's inputs keep their cursor steady.
"""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Input, TextArea

__all__ = ["SteadyInput", "SteadyTextArea"]


class SteadyInput(Input):
    """``Input`` whose cursor does not blink."""

    cursor_blink = reactive(False, init=False)


class SteadyTextArea(TextArea):
    """``TextArea`` whose cursor does not blink."""

    cursor_blink = reactive(False, init=False)
