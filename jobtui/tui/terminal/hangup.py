"""Leave when the terminal goes away.

A dropped SSH session normally sends SIGHUP, but not every way of losing the
terminal does (a pty whose other end just closes, a detached session with no
controlling terminal). Then the input side sees end-of-file forever and the
app would spin on it at full CPU. So the app listens for SIGHUP and also
looks, once a second, whether its terminal has hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import signal
import sys
from collections.abc import Callable

__all__ = ["install_hangup_handler", "terminal_hung_up"]

_HUNG_UP = select.POLLHUP | select.POLLERR | select.POLLNVAL


def terminal_hung_up(fd: int | None = None) -> bool:
    """True when the terminal on ``fd`` (default: stdin) has hung up or is gone."""
    if fd is None:
        try:
            fd = sys.__stdin__.fileno() if sys.__stdin__ is not None else -1
        except (OSError, ValueError):
            return False  # no real stdin (tests, embedded): nothing to watch
    if fd < 0:
        return False
    poller = select.poll()
    poller.register(fd, 0)  # no events asked: hang-up and errors are always reported
    return any(mask & _HUNG_UP for _, mask in poller.poll(0))


def install_hangup_handler(leave: Callable[[], object]) -> Callable[[], None]:
    """Call ``leave`` on SIGHUP; returns a function that removes the handler.

    Must run inside the app's event loop. Where signals cannot be handled
    (not the main thread, Windows) it does nothing.
    """
    try:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, leave)
    except (RuntimeError, ValueError, NotImplementedError, AttributeError):
        return lambda: None

    def remove() -> None:
        with contextlib.suppress(RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGHUP)

    return remove
