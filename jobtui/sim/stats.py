"""Request counters behind ``GET /_sim/stats``: by provider, endpoint and status code.

``GET /_sim/stats?detail=1`` adds, per provider, when each job was asked for
(a batch counts for each of its ids) and the wall-clock time of every
request (the newest ``TIMES_KEPT`` of each): what proves that several
pollers ask for each job once per round and keep to a rate limit together.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable

__all__ = ["TIMES_KEPT", "RequestStats"]

TIMES_KEPT = 200_000
"""Request times kept per provider (the oldest are dropped)."""


class RequestStats:
    """Counts every request the simulator answers, and every fault it injects."""

    def __init__(self) -> None:
        # The server records from its loop thread while tests and benches read from theirs.
        self._lock = threading.Lock()
        # kind -> endpoint -> status -> count; plain dict updates keep the hot path cheap.
        self._counts: defaultdict[str, defaultdict[str, defaultdict[int, int]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(int))
        )
        self._faults: defaultdict[str, defaultdict[str, int]] = defaultdict(
            lambda: defaultdict(int)
        )
        self._per_job: defaultdict[str, defaultdict[str, list[float]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._times: defaultdict[str, deque[float]] = defaultdict(lambda: deque(maxlen=TIMES_KEPT))

    def record(
        self,
        kind: str,
        endpoint: str,
        status: int,
        jobs: Iterable[str] = (),
        *,
        at: float | None = None,
    ) -> None:
        """Count one answered request, when it came (``at``, Unix seconds), and its jobs."""
        now = time.time() if at is None else at
        with self._lock:
            self._counts[kind][endpoint][status] += 1
            self._times[kind].append(now)
            per_job = self._per_job[kind]
            for job_id in jobs:
                asked = per_job[job_id]
                if len(asked) < TIMES_KEPT:
                    asked.append(now)

    def detail(self) -> dict[str, object]:
        """``{kind: {"jobs": {id: [unix seconds, ...]}, "times": [unix seconds, ...]}}``."""
        with self._lock:
            return {
                kind: {
                    "jobs": {job_id: list(t) for job_id, t in self._per_job.get(kind, {}).items()},
                    "times": list(self._times.get(kind, ())),
                }
                for kind in sorted(set(self._per_job) | set(self._times))
            }

    def record_fault(self, kind: str, fault: str) -> None:
        """Count one injected fault (``429``, ``slow``, ``truncated``, ...)."""
        with self._lock:
            self._faults[kind][fault] += 1

    def snapshot(self) -> dict[str, object]:
        """Counts as JSON-ready data.

        ``{"total": N, "requests": {kind: n}, "providers": {kind: {"requests": n,
        "statuses": {"200": n}, "endpoints": {"GET /v0.7/tasks/{id}": {"200": n}},
        "faults": {"429": n}}}}``
        """
        with self._lock:
            counts = {
                kind: {endpoint: dict(by_status) for endpoint, by_status in endpoints.items()}
                for kind, endpoints in self._counts.items()
            }
            faults = {kind: dict(by_fault) for kind, by_fault in self._faults.items()}
        providers: dict[str, object] = {}
        requests: dict[str, int] = {}
        total = 0
        for kind in sorted(set(counts) | set(faults)):
            endpoints = counts.get(kind, {})
            statuses: defaultdict[str, int] = defaultdict(int)
            endpoint_counts: dict[str, dict[str, int]] = {}
            for endpoint, by_status in sorted(endpoints.items()):
                endpoint_counts[endpoint] = {str(code): n for code, n in sorted(by_status.items())}
                for code, n in by_status.items():
                    statuses[str(code)] += n
            count = sum(statuses.values())
            total += count
            requests[kind] = count
            providers[kind] = {
                "requests": count,
                "statuses": dict(sorted(statuses.items())),
                "endpoints": endpoint_counts,
                "faults": dict(sorted(faults.get(kind, {}).items())),
            }
        return {"total": total, "requests": requests, "providers": providers}
