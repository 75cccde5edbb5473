"""Leave when the terminal goes away.

A dropped SSH session normally sends SIGHUP, but not every way of losing the
terminal does (a pty whose other end just closes, a detached session with no
controlling terminal). Then the input side sees end-of-file forever and the
app would spin on it at full CPU. So the app listens for SIGHUP and a
thread waits for the terminal's hang-up (``HangupWatch``), both acting even
while the event loop is busy polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable

__all__ = [
    "NO_TERMINAL",
    "HangupWatch",
    "driven_over_pipes",
    "end_after_hangup",
    "has_terminal",
    "install_hangup_handler",
    "terminal_hung_up",
]

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


GRACE_SECONDS = 1.0
"""How long an orderly exit may take after a hang-up before the process ends itself.

An orderly exit releases the store and the provider connections; under load
(thousands of jobs polled) it can lag behind the event loop's backlog. Past
this grace the process leaves anyway: SQLite's journal keeps the store whole,
and the provider leases expire on their own. Together with detection (which
is immediate) this keeps a lost terminal from outliving itself by over 2 s,
with room left for a machine so loaded that the hang-up thread waits its turn
(a tmux session killed at load 9.5 on 2 cores: gone after 2.2 s at 1.5 s grace).
"""


class HangupWatch:
    """Leaves when the terminal goes away, even while the event loop is busy.

    A thread blocks in ``poll()`` on the terminal's descriptors and on a wake-up
    pipe: the terminal's hang-up (its other end closed: POLLHUP, or EIO on the
    descriptor: POLLERR/POLLNVAL) and SIGHUP (its handler writes to the pipe,
    from whatever the main thread is doing) wake it at once, at no cost while
    idle. It then asks the app to leave through ``call_soon_threadsafe`` and,
    should that not have happened within ``grace`` seconds, ends the process
    with exit status 129 (128 + SIGHUP, as a shell reports a hang-up).
    Only for a real terminal: headless and test apps never start one.
    """

    def __init__(
        self,
        leave: Callable[[], object],
        descriptors: tuple[int, ...] = (0, 1),
        *,
        grace: float = GRACE_SECONDS,
        hard_exit: Callable[[int], object] = os._exit,
    ) -> None:
        self._leave = leave
        self._descriptors = descriptors
        self._grace = grace
        self._hard_exit = hard_exit
        self._wake_read, self._wake_write = os.pipe()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous_handler: object = None
        self.hung_up = threading.Event()
        """Set once a hang-up or SIGHUP was seen (tests wait on it)."""

    def start(self) -> None:
        """Watch from now on; call inside the app's event loop, in the main thread."""
        self._loop = asyncio.get_running_loop()
        try:
            # A plain handler (not the loop's) runs between two bytecodes of the
            # main thread, so a loop stuck in a long computation still hears it.
            self._previous_handler = signal.signal(signal.SIGHUP, self._on_sighup)
        except (ValueError, OSError, AttributeError):
            self._previous_handler = None  # not the main thread: the poll still works
        self._thread = threading.Thread(target=self._watch, name="jobtui-hangup", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (an orderly exit).

        After a hang-up the grace timer keeps running: an exit that stalls past
        this point (writing to a terminal that is gone) still ends in time.
        """
        if self.hung_up.is_set():
            return
        self._stopping.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_write, b"s")
        if self._previous_handler is not None:
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(signal.SIGHUP, self._previous_handler)  # type: ignore[arg-type]
            self._previous_handler = None
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1)
        for descriptor in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(descriptor)

    def _on_sighup(self, _signum: int, _frame: object) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_write, b"h")

    def _watch(self) -> None:
        poller = select.poll()
        for descriptor in self._descriptors:
            with contextlib.suppress(OSError, ValueError):
                poller.register(descriptor, 0)  # hang-up and errors only: never input
        poller.register(self._wake_read, select.POLLIN)
        while not self._stopping.is_set():
            try:
                events = poller.poll()
            except InterruptedError:
                continue
            except OSError:
                return
            if self._stopping.is_set():
                return
            woken = any(fd == self._wake_read for fd, _mask in events)
            if woken:
                with contextlib.suppress(OSError):
                    os.read(self._wake_read, 64)
            if woken or any(fd != self._wake_read and mask & _HUNG_UP for fd, mask in events):
                break
        if self._stopping.is_set():
            return
        self.hung_up.set()
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed: leaving anyway
                loop.call_soon_threadsafe(self._leave)
        time.sleep(self._grace)  # a daemon thread: an orderly exit ends it sooner
        self._hard_exit(128 + signal.SIGHUP)


NO_TERMINAL = "jobtui: the dashboard needs a terminal; try jobtui status or jobtui watch"
"""What the dashboard says, on stderr, when it is started without a terminal."""


def driven_over_pipes() -> bool:
    """Whether a Textual driver named in ``$TEXTUAL_DRIVER`` draws instead of a terminal.

    ``jobtui serve`` runs each dashboard under Textual's web driver, which
    talks to ``serve`` over stdin and stdout: no terminal is needed, and those
    pipes hanging up (``serve`` killed) is the hang-up to leave on.
    """
    return bool(os.environ.get("TEXTUAL_DRIVER"))


def has_terminal() -> bool:
    """True when stdin and stdout are both a terminal (the dashboard reads one, draws on one).

    Without one (``jobtui </dev/null >out``, cron, a pipe) Textual would spin
    on end-of-file and fill the file with escape codes.
    """
    for stream in (sys.stdin, sys.stdout):
        try:
            if stream is None or not stream.isatty():
                return False
        except (OSError, ValueError):
            return False
    return True


def end_after_hangup(code: int) -> None:
    """End the process at once after a hang-up, once the caller has closed what it owns.

    Interpreter shutdown frees every object one by one (seconds with thousands
    of jobs loaded, on a busy machine): nobody waits for it on a terminal that
    is gone, and it must not keep a poller's footprint around.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
