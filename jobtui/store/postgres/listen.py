"""``ChangeListener``: a viewer's LISTEN connection, waited on for change numbers.

One connection of its own (a LISTEN must not share a connection that runs
statements under another lock), opened on the first wait. A connection that
fails is dropped and tried again after a back-off (0.5 s doubling to 10 s);
meanwhile ``problem`` says why, which the dashboard shows. ``close()`` from
another thread wakes a wait at once: the store sends a notification on the
listener's private ``wake_channel``.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg

from jobtui.store.postgres import sql
from jobtui.store.postgres.connection import Connection, connect, failure
from jobtui.store.records import StoreError

__all__ = ["BACKOFF", "ChangeListener"]

log = logging.getLogger("jobtui.store")

BACKOFF = (0.5, 10.0)
"""A lost connection is tried again after the first, doubling up to the second (seconds)."""


class ChangeListener:
    """Waits for notifications on ``sql.CHANNEL`` (and ``wake_channel``) of ``url``."""

    def __init__(
        self, url: str, password: str | None, *, read_only: bool, wake_channel: str
    ) -> None:
        self._url = url
        self._password = password
        self._read_only = read_only
        self.wake_channel = wake_channel
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._closed = False
        self._stopping = threading.Event()
        self._backoff = BACKOFF[0]
        self._retry_at = 0.0
        self.problem: str | None = None
        """Why the server cannot be reached right now (None while it can)."""

    @property
    def waiting(self) -> bool:
        """Whether a thread is inside ``wait`` (holding the connection)."""
        return self._lock.locked()

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` for a change notification; True when one came.

        After a failure this returns True once (the caller's next check then
        meets the failure and reports it), then False without trying until the
        back-off has passed.
        """
        pause = self._retry_at - time.monotonic()
        if pause > 0:
            self._stopping.wait(min(timeout, pause))
            return False
        with self._lock:
            try:
                conn = self._connection()
                got = False
                for note in conn.notifies(timeout=timeout, stop_after=1):
                    got = note.channel == sql.CHANNEL
                if got:  # fold the ones queued behind it into this wake-up
                    for _ in conn.notifies(timeout=0.001):
                        pass
            except (psycopg.Error, StoreError) as exc:
                if self._closed:
                    self._drop()
                    return False
                self._lost(exc)
                return True
            if self._closed:
                self._drop()
                return False
        self._backoff = BACKOFF[0]
        self._retry_at = 0.0
        if self.problem is not None:
            log.warning("the store is reachable again")
            self.problem = None
        return got

    def sleep(self, timeout: float) -> None:
        """Wait ``timeout`` without listening (notifications off); ``close()`` ends it."""
        self._stopping.wait(timeout)

    def close(self) -> None:
        """Stop: a wait in progress closes the connection as it ends (the caller wakes it)."""
        self._closed = True
        self._stopping.set()
        if self._lock.acquire(blocking=False):
            try:
                self._drop()
            finally:
                self._lock.release()

    def _connection(self) -> Connection:
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            if self._closed:
                raise StoreError("the store is closed")
            conn = connect(self._url, self._password, read_only=self._read_only)
            conn.execute(sql.LISTEN)
            conn.execute(f"LISTEN {self.wake_channel}")
            self._conn = conn
        return conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _lost(self, exc: BaseException) -> None:
        self._drop()
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(BACKOFF[1], self._backoff * 2)
        message = str(
            exc if isinstance(exc, StoreError) else failure(self._url, exc, self._password)
        )
        if self.problem is None:
            log.warning("the store is unreachable, reconnecting: %s", message)
        self.problem = message
