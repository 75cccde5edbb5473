"""Waiting for what a test asserts, in a running Textual app, without sleeping.

The app (and whatever serves it on the same loop) runs turn by turn until the
condition holds; a generous deadline on the monotonic clock turns a hang into
a failure that names what never happened, and a busy machine only makes the
wait longer, never the test wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

__all__ = ["DEADLINE", "until"]

DEADLINE = 60.0
"""Seconds a condition may take before the test fails (generous: CI machines are busy)."""


async def until(
    pilot: Pilot[Any], condition: Callable[[], bool], what: str, *, deadline: float = DEADLINE
) -> None:
    """Let the app run until ``condition()`` holds; else ``AssertionError`` naming ``what``."""
    give_up = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"never happened within {deadline:.0f} s: {what}")
        await pilot.pause()
