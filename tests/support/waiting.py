"""Waiting for what a test asserts: poll a condition until it holds or a deadline passes.

No test waits by sleeping, by counting frames or by one ``pilot.pause()``
before an assertion: on a busy machine a paint, a worker or a poll takes as
long as it takes. These helpers poll the condition the test then asserts,
with a generous deadline, and fail naming what never happened.

- ``wait_until(pilot, condition, what)``: a Textual app under Pilot.
- ``wait_until_settled(pilot)``: before an action, until no message of the
  screen is pending (a start-up focus still bubbling can switch a tab back).
- ``wait_for(condition, what)``: plain asyncio (an engine, a server thread).
- ``wait_until_sync(condition, what)``: a thread, a subprocess, a pty.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

__all__ = ["DEADLINE", "wait_for", "wait_until", "wait_until_settled", "wait_until_sync"]

DEADLINE = 10.0
"""Seconds a condition gets to hold: far above what it takes, so only a bug fails."""
_STEP = 0.01
"""The polling step of the loops that cannot be woken by the thing they wait for."""


def _never(what: str, timeout: float, detail: Callable[[], object] | None) -> AssertionError:
    message = f"never happened within {timeout}s: {what}"
    if detail is not None:
        message += f"\n{detail()}"
    return AssertionError(message)


async def wait_until(
    pilot: Pilot[Any],
    condition: Callable[[], object],
    what: str,
    timeout: float = DEADLINE,  # noqa: ASYNC109 - the deadline is what these helpers are for
    *,
    detail: Callable[[], object] | None = None,
) -> None:
    """Let the app run (messages, workers, paints) until ``condition()`` is true.

    ``detail`` adds what the test would like to see on failure (the screen text,
    the state), computed only then.
    """
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while not condition():
        if loop.time() > give_up:
            raise _never(what, timeout, detail)
        # pause() waits until the process idles (a short sleep at least), so
        # thread workers and socket answers get their turn too.
        await pilot.pause()


def _quiet(pilot: Pilot[Any]) -> bool:
    """Whether the app and every node of its screen have no message waiting.

    Nor a callback waiting for the next frame (``call_after_refresh``): the
    dashboard builds the detail of a cursor move after the frame that moves
    the cursor, and a screen without it yet is not the settled one.
    """
    app = pilot.app
    nodes = [app, *app.screen.walk_children(with_self=True)]
    return not app.screen._callbacks and all(node._message_queue.empty() for node in nodes)


async def wait_until_settled(
    pilot: Pilot[Any],
    timeout: float = DEADLINE,  # noqa: ASYNC109 - a bounded wait, not a cancel scope
) -> None:
    """Let the app run until no message is pending on its screen, twice in a row.

    For a step that acts on the app after start-up: a message chain still in
    flight (a focus bubbling up through the panes) would otherwise land after
    the action and undo it.
    """
    quiet = 0

    def settled() -> bool:
        nonlocal quiet
        quiet = quiet + 1 if _quiet(pilot) else 0
        return quiet >= 2

    await wait_until(pilot, settled, "the app's pending messages handled", timeout)


async def wait_for(
    condition: Callable[[], object],
    what: str,
    timeout: float = DEADLINE,  # noqa: ASYNC109 - the deadline is what these helpers are for
    *,
    detail: Callable[[], object] | None = None,
) -> None:
    """Yield to the event loop until ``condition()`` is true (no app involved)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while not condition():
        if loop.time() > give_up:
            raise _never(what, timeout, detail)
        await asyncio.sleep(_STEP)


def wait_until_sync(
    condition: Callable[[], object],
    what: str,
    timeout: float = DEADLINE,
    *,
    step: Callable[[], object] | None = None,
    detail: Callable[[], object] | None = None,
) -> None:
    """Poll ``condition()`` from plain code (a pty, a subprocess, a thread) until true.

    ``step`` runs between polls instead of a short sleep, e.g. reading a pty
    with a timeout, so the wait itself makes the progress it waits for.
    """
    give_up = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > give_up:
            raise _never(what, timeout, detail)
        if step is not None:
            step()
        else:
            time.sleep(_STEP)
