"""What the dashboard asks of its surroundings: the time, and what the terminal can draw."""

from __future__ import annotations

import locale
import os
import sys
from collections.abc import Mapping

# The engine's wall clock is the dashboard's too when no clock is injected; one
# definition, so the two can never disagree about what "now" means.
from jobtui.engine.clock import SystemClock

__all__ = ["SystemClock", "terminal_is_utf8"]


def terminal_is_utf8(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the terminal can draw the UTF-8 glyphs (else ASCII ones are used)."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = env.get(name)
        if value:
            return "utf-8" in value.lower() or "utf8" in value.lower()
    encoding = getattr(sys.stdout, "encoding", None) or locale.getpreferredencoding(False)
    return "utf" in encoding.lower()
