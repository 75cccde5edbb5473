"""One glyph per job state, in a UTF-8 set and a plain ASCII set.

The job list, the detail pane and the timeline all mark states the same way.
The ASCII set is for terminals and fonts without the geometric shapes
(``LANG=C``, some Windows consoles, serial consoles).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from jobtui.model import JobState

__all__ = ["ASCII_GLYPHS", "UTF8_GLYPHS", "glyph", "glyphs", "state_variable", "waiting_glyph"]

UTF8_GLYPHS: Mapping[JobState, str] = MappingProxyType(
    {
        JobState.QUEUED: "●",
        JobState.RUNNING: "◐",
        JobState.PAUSED: "‖",
        JobState.SUCCEEDED: "✓",
        JobState.PARTIAL: "◑",
        JobState.FAILED: "✗",
        JobState.CANCELED: "⊘",
        JobState.UNKNOWN: "?",
    }
)
"""Glyphs for terminals that draw Unicode geometric shapes."""

ASCII_GLYPHS: Mapping[JobState, str] = MappingProxyType(
    {
        JobState.QUEUED: "*",
        JobState.RUNNING: "~",
        JobState.PAUSED: "=",
        JobState.SUCCEEDED: "+",
        JobState.PARTIAL: "!",
        JobState.FAILED: "x",
        JobState.CANCELED: "-",
        JobState.UNKNOWN: "?",
    }
)
"""Glyphs made of printable ASCII only, one cell each."""


def waiting_glyph(*, ascii_only: bool = False) -> str:
    """The mark of a job added and not yet polled (no state known, and no error either)."""
    return "." if ascii_only else "…"


def glyphs(*, ascii_only: bool = False) -> Mapping[JobState, str]:
    """Return the glyph table to use."""
    return ASCII_GLYPHS if ascii_only else UTF8_GLYPHS


def glyph(state: JobState, *, ascii_only: bool = False) -> str:
    """Return the one-cell glyph for ``state``."""
    return glyphs(ascii_only=ascii_only)[state]


def state_variable(state: JobState) -> str:
    """Return the theme variable holding ``state``'s colour, e.g. ``state-failed``."""
    return f"state-{state.value}"
