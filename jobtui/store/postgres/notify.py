"""Pushing change numbers to viewers: a bounded rate of NOTIFY out, a LISTEN connection in.

PostgreSQL serializes the commits of every transaction that sent a NOTIFY
(one lock on the notification queue, held while the commit is written). A
poller writing hundreds of batches a second must not put each write behind
that lock, so writes never notify inside their own transaction: after the
commit, ``NotifyThrottle`` sends the newest change number at once if nothing
was sent in the last ``gap`` seconds, else once when the gap has passed (the
newest number then, the ones in between folded into it). A burst of writes
costs at most one notification per gap per process.

A notification is only a wake-up: the payload is the change number, never
job data, and a viewer still checks for changes every few seconds
(``PostgresStore.wait_for_change``'s timeout), so a dropped notification or
a pooler that does not carry LISTEN costs seconds, not correctness.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["DEFAULT_NOTIFY_GAP", "NotifyThrottle"]

DEFAULT_NOTIFY_GAP = 0.05
"""Seconds between two notifications of one process: at most 20 a second."""


class NotifyThrottle:
    """Calls ``send(payload)`` for the newest payload, at most once per ``gap`` seconds."""

    def __init__(self, send: Callable[[str], None], gap: float = DEFAULT_NOTIFY_GAP) -> None:
        self._send = send
        self.gap = gap
        self._lock = threading.Lock()
        self._pending: str | None = None
        self._last = float("-inf")
        self._timer: threading.Timer | None = None
        self.sent = 0
        """Notifications sent so far (for tests and the benchmark)."""

    def changed(self, payload: str) -> None:
        """A write committed: notify now, or fold it into the one due at the end of the gap."""
        with self._lock:
            self._pending = payload
            if self._timer is not None:
                return
            wait = self._last + self.gap - time.monotonic()
            if wait > 0:
                self._timer = threading.Timer(wait, self._flush_timer)
                self._timer.daemon = True
                self._timer.start()
                return
        self.flush()

    def _flush_timer(self) -> None:
        with self._lock:
            self._timer = None
        self.flush()

    def flush(self) -> None:
        """Send the pending payload, if any, now."""
        with self._lock:
            payload, self._pending = self._pending, None
            if payload is None:
                return
            self._last = time.monotonic()
            self.sent += 1
        try:
            self._send(payload)
        except Exception:  # a lost notification costs a viewer its polling floor, no more
            return

    def close(self) -> None:
        """Stop the timer and send what is pending (a short-lived writer still wakes viewers)."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.flush()
