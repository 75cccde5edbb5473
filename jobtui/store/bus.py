"""The store as a bus between processes: change numbers, leases, requests.

Every write of a job (added, removed, polled, relabelled) records a row in
``changes`` under a store-wide increasing number, in the same transaction
as the write; a process that shows the jobs asks for the numbers above the
last it saw (``Store.changes_since``). A lease says which process polls a
provider (``Store.take_lease``); a viewer that does not hold it leaves a
request (``Store.add_request``) that the holder consumes.

The SQL here is plain (``INSERT … ON CONFLICT … DO UPDATE … WHERE``,
``DELETE … RETURNING``) so that another database can run it too; the one
SQLite-only check, ``PRAGMA data_version``, is behind ``Store.data_version``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "CHANGES_KEPT",
    "OP_ADD",
    "OP_CHANGE",
    "OP_REMOVE",
    "ChangeBatch",
    "Lease",
    "Request",
    "record_changes",
    "trim_changes",
]

OP_ADD = "add"
OP_CHANGE = "change"
OP_REMOVE = "rm"

CHANGES_KEPT = 100_000
"""How many of the newest change rows are kept; a reader further behind reloads."""

_NEVER = "0000"
"""An ``expires_at`` before any timestamp: a released lease."""


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    """What changed after a change number: the jobs to read again and the jobs removed.

    ``reset`` says the reader fell behind the kept changes (or the store was
    replaced): it must read the whole list again. ``seq`` is the number to ask
    after next time.
    """

    seq: int
    changed: set[tuple[str, str]] = field(default_factory=set)
    removed: set[tuple[str, str]] = field(default_factory=set)
    reset: bool = False

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed or self.reset)


@dataclass(frozen=True, slots=True)
class Lease:
    """Who polls a provider (or last did), until when, and what must survive a hand-over."""

    provider: str
    holder: str
    pid: int
    host: str
    heartbeat: datetime
    expires_at: datetime | None  # None: released
    hold_until: datetime | None  # the provider asked for quiet (Retry-After) until then
    health: str | None  # the holder's ProviderHealth as JSON

    def live(self, now: datetime) -> bool:
        """Whether the holder is polling (it renewed in time)."""
        return self.expires_at is not None and self.expires_at > now


@dataclass(frozen=True, slots=True, order=True)
class Request:
    """A viewer's request to the polling process."""

    seq: int
    provider: str
    op: str  # refresh, retry, pause, resume, scale, cancel
    job_id: str | None  # refresh: one job (None: all of the provider's)
    value: float | None  # scale: the factor


def record_changes(
    conn: sqlite3.Connection, op: str, keys: Iterable[tuple[str, str]], origin: str
) -> None:
    """Number a write's jobs (inside the write's transaction)."""
    conn.executemany(
        "INSERT INTO changes (provider, job_id, op, origin) VALUES (?, ?, ?, ?)",
        [(provider, job_id, op, origin) for provider, job_id in keys],
    )


def trim_changes(conn: sqlite3.Connection, kept: int = CHANGES_KEPT) -> None:
    """Drop all but the newest ``kept`` change rows (the newest always stays)."""
    conn.execute(
        "DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?", (max(1, kept),)
    )


def fold_changes(
    rows: Sequence[tuple[int, str, str, str, str]], after: int, first: int | None, origin: str
) -> ChangeBatch:
    """Rows of ``changes`` after ``after`` as a batch; ``first`` is the oldest kept number."""
    # Changes after ``after`` were trimmed away: what they named is unknown.
    reset = first is not None and first > after + 1 and after > 0
    seq = after
    changed: set[tuple[str, str]] = set()
    removed: set[tuple[str, str]] = set()
    for number, provider, job_id, op, by in rows:
        seq = max(seq, number)
        if by == origin:
            continue  # this process's own write: its model has it already
        key = (provider, job_id)
        if op == OP_REMOVE:
            removed.add(key)
            changed.discard(key)
        else:
            changed.add(key)
            removed.discard(key)
    return ChangeBatch(seq, changed, removed, reset)


def lease_from_row(row: tuple[object, ...]) -> Lease:
    """A ``leases`` row (provider, holder, pid, host, heartbeat, expires_at, hold_until, health)."""
    provider, holder, pid, host, heartbeat, expires, hold, health = row
    return Lease(
        provider=str(provider),
        holder=str(holder),
        pid=int(pid),  # type: ignore[call-overload]
        host=str(host),
        heartbeat=datetime.fromisoformat(str(heartbeat)),
        expires_at=None if expires in (None, _NEVER) else datetime.fromisoformat(str(expires)),
        hold_until=None if hold is None else datetime.fromisoformat(str(hold)),
        health=None if health is None else str(health),
    )


RELEASED = _NEVER

TAKE_LEASE = """
INSERT INTO leases (provider, holder, pid, host, heartbeat, expires_at, health)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (provider) DO UPDATE SET
    holder = excluded.holder,
    pid = excluded.pid,
    host = excluded.host,
    heartbeat = excluded.heartbeat,
    expires_at = excluded.expires_at,
    health = COALESCE(excluded.health, leases.health)
WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
"""
"""Take a free or expired lease, or renew one's own, in one statement."""
