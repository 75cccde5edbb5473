"""A loopback proxy in front of the simulator that breaks chosen answers on purpose.

Every request is forwarded to the simulator unchanged (auth flows, signatures
and token endpoints keep working) unless a fault is armed: then requests that
name the armed job (in the path, the query or the body) get the fault's reply
instead, built from the simulator's genuine answer when the fault needs one
(a truncated body, a mutated enum). Every request is recorded with the time
of an optional clock, so tests measure gaps on the engine's ManualClock.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from datetime import datetime
from urllib.parse import unquote

from support.scripted_server import Recorded, Reply, ScriptedServer

__all__ = ["FaultProxy", "Forwarded"]

_PASSED_HEADERS = ("content-type", "retry-after", "x-request-id", "location")


class Forwarded:
    """The simulator's genuine answer to one request."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.status = status
        self.body = body
        self.headers = headers

    def reply(self) -> Reply:
        """The answer passed on unchanged."""
        return Reply(self.status, self.body, dict(self.headers))


Fault = Callable[[Forwarded], Reply]
"""Builds the broken answer from the genuine one."""


class FaultProxy(ScriptedServer):
    """Forwards to ``upstream`` (host, port); ``arm`` breaks the answers about one job."""

    def __init__(
        self, upstream: tuple[str, int], now: Callable[[], datetime] | None = None
    ) -> None:
        super().__init__()
        self.upstream = upstream
        self.now = now
        self.times: list[tuple[datetime | None, Recorded]] = []
        self.faulted: list[Recorded] = []
        self._fault: Fault | None = None
        self._job_id: str | None = None
        self._left: int | None = None
        self._arm_lock = threading.Lock()

    def arm(self, job_id: str, fault: Fault, times: int | None = None) -> None:
        """Break every answer that names ``job_id`` (``times`` answers, or until disarmed)."""
        with self._arm_lock:
            self._job_id, self._fault, self._left = job_id, fault, times

    def disarm(self) -> None:
        """Forward everything again."""
        with self._arm_lock:
            self._job_id, self._fault, self._left = None, None, None

    def polls(self, job_id: str) -> list[Recorded]:
        """Requests that named ``job_id``."""
        return [r for r in self.requests if _names(r, job_id)]

    def _answer(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.times.append((self.now() if self.now else None, request))
        with self._arm_lock:
            fault = self._fault
            if fault is not None and self._job_id is not None and _names(request, self._job_id):
                if self._left is not None:
                    self._left -= 1
                    if self._left <= 0:
                        self._fault, self._job_id = None, None
            else:
                fault = None
        genuine = self._forward(request)
        if fault is None:
            return genuine.reply()
        self.faulted.append(request)
        return fault(genuine)

    def _forward(self, request: Recorded) -> Forwarded:
        conn = http.client.HTTPConnection(*self.upstream, timeout=10)
        try:
            headers = {k: v for k, v in request.headers.items() if k not in ("host", "connection")}
            conn.request(request.method, request.target, body=request.body or None, headers=headers)
            answer = conn.getresponse()
            body = answer.read()
            kept = {
                name: value
                for name, value in answer.getheaders()
                if name.lower() in _PASSED_HEADERS
            }
            return Forwarded(answer.status, body, kept)
        finally:
            conn.close()


def _names(request: Recorded, job_id: str) -> bool:
    return job_id in unquote(request.target) or job_id.encode() in request.body
