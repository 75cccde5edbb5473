"""The ``Store`` class: one SQLite file, its connection, its transactions."""

from __future__ import annotations

import math
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jobtui.model import JobState
from jobtui.store import claims as claim_sql
from jobtui.store.bus import (
    OP_ADD,
    OP_CHANGE,
    OP_REMOVE,
    RELEASED,
    TAKE_LEASE,
    ChangeBatch,
    Lease,
    Request,
    fold_changes,
    lease_from_row,
    record_changes,
    trim_changes,
)
from jobtui.store.pages import OUTLINE_SQLITE, JobOutline, outlines
from jobtui.store.records import (
    JOB_COLUMNS,
    JOB_COLUMNS_LEAN,
    JOB_COLUMNS_RAW_UP_TO,
    JOB_COLUMNS_WITHOUT_RAW,
    UPDATE_JOB,
    PollOutcome,
    PreparedOutcome,
    StoreError,
    Transition,
    WatchedJob,
    chunks,
    gc_paused,
    stamp,
    state_of,
    transition_from_row,
    watch_rows,
    watched_jobs,
)
from jobtui.store.schema import SCHEMA_VERSION, migrate

__all__ = ["BUSY_TIMEOUT_MS", "Store"]

BUSY_TIMEOUT_MS = 10_000
"""How long a write waits for another process's write to finish before failing."""

_PROBE_STEP = 0.05
"""Seconds between two probes of ``wait_for_change``."""

_TRIM_EVERY = 500
"""Write transactions between two trims of the change log."""


class Store:
    """One SQLite file in WAL mode.

    Safe to share between threads (the engine writes through
    ``asyncio.to_thread``). Writes go through one connection under a lock;
    reads (``list_jobs``, ``get_job``, ``transitions``, ``count_jobs``) through
    a second one under a lock of their own, so a read, such as the dashboard
    showing a job, never waits for a write batch to commit: WAL lets a reader
    see the last committed state while a writer works. Several processes may
    open the same file at once. Database failures come out as ``StoreError``.
    """

    pushes_changes = False
    """Nothing wakes a SQLite reader: followers probe ``data_version``, which is cheap."""
    problem: str | None = None
    """A local file is reachable or fails outright: never a connection problem."""

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        """A viewer's store: nothing is created or migrated, and every write fails."""
        self._lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._reader: sqlite3.Connection | None = None
        # A third connection only for ``data_version``: the check must never wait
        # behind a long listing on the read connection.
        self._probe_lock = threading.Lock()
        self._probe: sqlite3.Connection | None = None
        self._writes = 0
        self.origin = uuid.uuid4().hex
        """This ``Store``'s name in the change log: ``changes_since`` skips its own writes."""
        self.shared_polling = False
        """One file on one machine: one poller per provider (its lease) unless asked."""
        self._closed = False
        if read_only and not self.path.exists():
            raise StoreError(f"{self.path}: no store there (a read-only viewer creates none)")
        _create_private(self.path)
        try:
            self._conn = _connect(self.path)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from exc
        try:
            with self._session() as conn:
                _configure(conn, self.path)
            if read_only:
                self._check_current()
                with self._session() as conn:
                    conn.execute("PRAGMA query_only = ON")
            else:
                self._upgrade()
        except BaseException:
            self.close()
            raise

    def _check_current(self) -> None:
        with self._session() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: the store is at schema {version} (this jobtui needs"
                f" {SCHEMA_VERSION}); a read-only viewer cannot migrate it: open it once"
                " without --read-only"
            )

    def _upgrade(self) -> None:
        with self._session() as conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                return
        with self._writing() as conn:
            # Another process may have migrated while this one waited for the lock.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: the store was written by a newer jobtui "
                    f"(schema {version}; this version reads up to {SCHEMA_VERSION})"
                )
            if version == 0:
                tables = conn.execute(
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                ).fetchone()[0]
                if tables:
                    raise StoreError(f"{self.path}: not a jobtui store (it holds other tables)")
            if version != SCHEMA_VERSION:
                migrate(conn, version)

    @contextmanager
    def _using(
        self, lock: threading.Lock, connection: Callable[[], sqlite3.Connection]
    ) -> Iterator[sqlite3.Connection]:
        """``connection()`` under ``lock``, with database errors made ``StoreError``."""
        with lock:
            if self._closed:
                raise StoreError(f"{self.path}: the store is closed")
            try:
                yield connection()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: {exc}") from exc

    def _session(self) -> AbstractContextManager[sqlite3.Connection]:
        """The write connection, under its lock."""
        return self._using(self._lock, lambda: self._conn)

    def _reading(self) -> AbstractContextManager[sqlite3.Connection]:
        """The read connection (opened on first use), under its own lock."""
        return self._using(self._read_lock, self._read_connection)

    def _read_connection(self) -> sqlite3.Connection:
        if self._reader is None:
            self._reader = _connect(self.path)
            self._reader.execute("PRAGMA query_only = ON")
        return self._reader

    def _probing(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._using(self._probe_lock, self._probe_connection)

    def _probe_connection(self) -> sqlite3.Connection:
        if self._probe is None:
            self._probe = _connect(self.path)
            self._probe.execute("PRAGMA query_only = ON")
        return self._probe

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed at the end, rolled back on any exception."""
        with self._session() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                self._writes += 1
                if self._writes % _TRIM_EVERY == 0:
                    trim_changes(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        """The file's schema version (``PRAGMA user_version``)."""
        with self._session() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close the connection; later calls raise ``StoreError``. Closing twice is harmless."""
        with self._lock, self._read_lock, self._probe_lock:
            if not self._closed:
                self._closed = True
                self._conn.close()
                if self._reader is not None:
                    self._reader.close()
                if self._probe is not None:
                    self._probe.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- watch list ---------------------------------------------------------

    def add_jobs(
        self,
        entries: Iterable[tuple[str, str, str, str | None]],
        *,
        added_at: datetime | None = None,
        relabel: bool = False,
    ) -> int:
        """Watch (provider, kind, id, label) entries; returns how many were new.

        ``added_at`` defaults to now (pass a clock's time to control it). A job
        already watched keeps its kind, history and time added, and its label
        too unless ``relabel`` (then an entry's label, when not None, replaces it).
        """
        since = stamp(added_at if added_at is not None else datetime.now(UTC))
        rows = watch_rows(entries, since)
        if not rows:
            return 0
        with self._writing() as conn:
            cursor = conn.executemany(
                "INSERT OR IGNORE INTO jobs (provider, id, kind, label, added_at)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            added = max(cursor.rowcount, 0)
            if relabel:
                conn.executemany(
                    "UPDATE jobs SET label = ? WHERE provider = ? AND id = ?",
                    [(label, p, job_id) for p, job_id, _, label, _ in rows if label is not None],
                )
            if added or relabel:
                record_changes(conn, OP_ADD, [(p, job_id) for p, job_id, *_ in rows], self.origin)
            return added

    def set_label(self, provider: str, job_id: str, label: str | None) -> bool:
        """Set a watched job's label; False when the job is not watched."""
        with self._writing() as conn:
            cursor = conn.execute(
                "UPDATE jobs SET label = ? WHERE provider = ? AND id = ?",
                (label, provider, job_id),
            )
            if cursor.rowcount > 0:
                record_changes(conn, OP_CHANGE, [(provider, job_id)], self.origin)
            return cursor.rowcount > 0

    def remove_jobs(self, provider: str, ids: Sequence[str]) -> int:
        """Stop watching ``ids`` at ``provider`` (history included); returns how many were."""
        if not ids:
            return 0
        with self._writing() as conn:
            cursor = conn.executemany(
                "DELETE FROM jobs WHERE provider = ? AND id = ?",
                [(provider, job_id) for job_id in ids],
            )
            removed = max(cursor.rowcount, 0)
            if removed:
                record_changes(conn, OP_REMOVE, [(provider, i) for i in ids], self.origin)
            # rowcount counts the jobs only, not their cascaded transitions.
            return removed

    # -- poll results -------------------------------------------------------

    def save_outcomes(
        self,
        outcomes: Sequence[PollOutcome],
        requests: Mapping[tuple[str, datetime], int] | None = None,
    ) -> list[Transition]:
        """Write a batch in one transaction; returns the transitions it recorded.

        Outcomes apply in order. Outcomes of jobs no longer watched (removed
        while their poll was in flight) are ignored. ``requests`` adds to the
        request counts, by (provider, time in the minute), in the same transaction.
        """
        if not outcomes:
            if requests:
                self.record_requests(requests)
            return []
        # Serialize before taking the lock: JSON and timestamps need no database,
        # and a bad timestamp fails here, before anything is written.
        prepared = [PreparedOutcome.of(outcome) for outcome in outcomes]
        with self._writing() as conn:
            current = _current_states(conn, outcomes)
            updates: list[tuple[Any, ...]] = []
            touched: dict[tuple[str, str], None] = {}
            recorded: list[Transition] = []
            for item in prepared:
                outcome = item.outcome
                key = (outcome.provider, outcome.id)
                known = current.get(key)
                if known is None:
                    continue
                state, seen = known
                updates.append(item.update)
                touched[key] = None
                new_state = item.new_state
                if new_state is not None and (not seen or new_state != state):
                    recorded.append(
                        Transition(
                            provider=outcome.provider,
                            id=outcome.id,
                            at=item.at,
                            from_state=state if seen else None,
                            to_state=new_state,
                            raw_status=outcome.job.raw_status if outcome.job else None,
                        )
                    )
                    current[key] = (new_state, True)
            conn.executemany(UPDATE_JOB, updates)
            finished = [
                (item.outcome.provider, item.outcome.id, item.outcome.claimed_by)
                for item in prepared
                if item.outcome.claimed_by is not None
            ]
            if finished:
                conn.executemany(
                    "UPDATE jobs SET claimed_by = NULL, claim_until = NULL"
                    " WHERE provider = ? AND id = ? AND claimed_by = ?",
                    finished,
                )
            if requests:
                _add_requests(conn, requests)
            record_changes(conn, OP_CHANGE, touched, self.origin)
            conn.executemany(
                "INSERT INTO transitions (provider, id, at, from_state, to_state, raw_status)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        t.provider,
                        t.id,
                        stamp(t.at),
                        None if t.from_state is None else t.from_state.value,
                        t.to_state.value,
                        t.raw_status,
                    )
                    for t in recorded
                ],
            )
        return recorded

    # -- reading ------------------------------------------------------------

    def list_jobs(
        self,
        provider: str | None = None,
        state: JobState | None = None,
        *,
        include_raw: bool = True,
        lean: bool = False,
    ) -> list[WatchedJob]:
        """Watched jobs, optionally of one provider and/or in one state.

        Ordered by provider, then the time they were added, then id. With
        ``include_raw=False`` each snapshot's ``raw`` payload is left out (None):
        a list screen needs the normalized fields only, and the payloads are most
        of the bytes; ``get_job`` gives one job whole. ``lean=True`` leaves out
        ``items`` too (empty), reading the compact copy the store keeps beside each
        snapshot: what a job list shows, at a fraction of the cost for 10,000 jobs.
        """
        where: list[str] = []
        params: list[str] = []
        if provider is not None:
            where.append("provider = ?")
            params.append(provider)
        if state is not None:
            where.append("state = ?")
            params.append(JobState(state).value)
        if lean:
            columns = JOB_COLUMNS_LEAN
        else:
            columns = JOB_COLUMNS if include_raw else JOB_COLUMNS_WITHOUT_RAW
        sql = f"SELECT {columns} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        # The fetch makes a tuple and strings per row: keep the collector out of it too.
        with gc_paused():
            with self._reading() as conn:
                rows = conn.execute(sql, params).fetchall()
            # Rebuilt outside the lock: parsing snapshots is the slow part of a read.
            return watched_jobs(rows)

    def job_outline(self) -> list[JobOutline]:
        """Every job's key, state, creation time and newest good poll: one narrow query.

        What the dashboard's first screen needs (``jobtui.store.pages``), at a
        fraction of the cost of ``list_jobs``: no snapshot is parsed.
        """
        with gc_paused():
            with self._reading() as conn:
                rows = conn.execute(OUTLINE_SQLITE).fetchall()
            return outlines(rows)

    def get_job(
        self, provider: str, job_id: str, *, raw_limit: int | None = None
    ) -> WatchedJob | None:
        """One watched job, or None when it is not watched.

        With ``raw_limit``, a snapshot longer than that many characters comes
        without its ``raw`` payload (None), as ``list_jobs(include_raw=False)``
        gives it: a caller on an event loop can read small payloads at once and
        leave big ones (parsing 10 MB takes a while) to a thread.
        """
        columns = JOB_COLUMNS if raw_limit is None else JOB_COLUMNS_RAW_UP_TO
        params: tuple[object, ...] = (provider, job_id)
        if raw_limit is not None:
            params = (raw_limit, *params)
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {columns} FROM jobs WHERE provider = ? AND id = ?", params
            ).fetchone()
        return None if row is None else watched_jobs([row])[0]

    def transitions(self, provider: str, job_id: str) -> list[Transition]:
        """A job's state changes, oldest first."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT provider, id, at, from_state, to_state, raw_status FROM transitions"
                " WHERE provider = ? AND id = ? ORDER BY at, seq",
                (provider, job_id),
            ).fetchall()
        return [transition_from_row(row) for row in rows]

    def transitions_since(self, since: datetime | None = None) -> list[Transition]:
        """Every job's state changes at or after ``since`` (all when None), by job then time.

        One query for reports over many jobs (``jobtui errors``, ``jobtui stats``).
        """
        sql = "SELECT provider, id, at, from_state, to_state, raw_status FROM transitions"
        params: tuple[str, ...] = ()
        if since is not None:
            sql += " WHERE at >= ?"
            params = (stamp(since),)
        with self._reading() as conn:
            rows = conn.execute(sql + " ORDER BY provider, id, at, seq", params).fetchall()
        return [transition_from_row(row) for row in rows]

    def record_requests(self, counts: Mapping[tuple[str, datetime], int]) -> None:
        """Add request counts, by (provider, a time in the minute they were sent)."""
        with self._writing() as conn:
            _add_requests(conn, counts)

    def request_counts(self, since: datetime | None = None) -> dict[str, int]:
        """Requests sent per provider in the minutes from ``since``'s minute on (all when None)."""
        sql = "SELECT provider, sum(count) FROM request_counts"
        params: tuple[str, ...] = ()
        if since is not None:
            sql += " WHERE minute >= ?"
            params = (stamp(minute_of(since)),)
        with self._reading() as conn:
            rows = conn.execute(sql + " GROUP BY provider", params).fetchall()
        return {provider: int(total) for provider, total in rows}

    def count_jobs(self) -> int:
        """How many jobs are watched."""
        with self._reading() as conn:
            return int(conn.execute("SELECT count(*) FROM jobs").fetchone()[0])

    def get_jobs(self, keys: Iterable[tuple[str, str]]) -> list[WatchedJob]:
        """The watched jobs among ``keys``, without snapshot payloads, in list order."""
        by_provider: dict[str, list[str]] = {}
        for provider, job_id in keys:
            by_provider.setdefault(provider, []).append(job_id)
        rows: list[tuple[Any, ...]] = []
        with self._reading() as conn:
            for provider, ids in by_provider.items():
                for chunk in chunks(list(dict.fromkeys(ids))):
                    marks = ",".join("?" * len(chunk))
                    rows.extend(
                        conn.execute(
                            f"SELECT {JOB_COLUMNS_WITHOUT_RAW} FROM jobs"
                            f" WHERE provider = ? AND id IN ({marks})",
                            (provider, *chunk),
                        ).fetchall()
                    )
        return watched_jobs(rows)

    # -- the bus: change numbers, leases, requests ---------------------------

    def data_version(self) -> int:
        """A number that moves when another connection (any process) commits a write.

        SQLite's ``PRAGMA data_version`` on a connection of its own: a few
        microseconds, no file read, so an idle viewer can ask often. A store on
        another database gives its own cheap equivalent (or the latest change).
        """
        with self._probing() as conn:
            return int(conn.execute("PRAGMA data_version").fetchone()[0])

    def wait_for_change(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for another connection's commit; True when one came.

        SQLite tells no one: this probes ``data_version`` every ``_PROBE_STEP``.
        """
        start = self.data_version()
        deadline = time.monotonic() + timeout
        while True:
            if self.data_version() != start:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(_PROBE_STEP, left))

    def latest_change(self) -> int:
        """The newest change number (0 when nothing was ever written)."""
        with self._reading() as conn:
            found = conn.execute("SELECT max(seq) FROM changes").fetchone()[0]
        return int(found or 0)

    def changes_since(self, seq: int) -> ChangeBatch:
        """What other ``Store`` objects (other processes) wrote after change ``seq``."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT seq, provider, job_id, op, origin FROM changes WHERE seq > ? ORDER BY seq",
                (seq,),
            ).fetchall()
            first = None
            if rows and rows[0][0] > seq + 1:
                first = conn.execute("SELECT min(seq) FROM changes").fetchone()[0]
            elif not rows:
                newest = conn.execute("SELECT max(seq) FROM changes").fetchone()[0] or 0
                if newest < seq:  # the file was replaced by an older one
                    return ChangeBatch(int(newest), reset=True)
        return fold_changes(rows, seq, first, self.origin)

    def take_lease(
        self,
        provider: str,
        holder: str,
        *,
        pid: int,
        host: str,
        now: datetime,
        period: float,
        health: str | None = None,
    ) -> Lease | None:
        """Take ``provider``'s lease if it is free or expired (or renew one's own).

        One statement decides, so two processes never both get it. Returns the
        lease as taken (its ``hold_until`` is what the previous holder left),
        or None when another holder's lease is live.
        """
        expires = stamp(now + timedelta(seconds=period))
        with self._writing() as conn:
            conn.execute(
                TAKE_LEASE,
                (provider, holder, pid, host, stamp(now), expires, health, stamp(now)),
            )
            row = conn.execute(
                "SELECT provider, holder, pid, host, heartbeat, expires_at, hold_until, health"
                " FROM leases WHERE provider = ?",
                (provider,),
            ).fetchone()
        lease = lease_from_row(row)
        return lease if lease.holder == holder and lease.expires_at is not None else None

    def renew_lease(
        self,
        provider: str,
        holder: str,
        *,
        now: datetime,
        period: float,
        hold_until: datetime | None,
        health: str | None,
    ) -> bool:
        """Extend one's own lease and save what a successor needs; False if it was lost."""
        with self._writing() as conn:
            cursor = conn.execute(
                "UPDATE leases SET heartbeat = ?, expires_at = ?, hold_until = ?, health = ?"
                " WHERE provider = ? AND holder = ? AND expires_at > ?",
                (
                    stamp(now),
                    stamp(now + timedelta(seconds=period)),
                    None if hold_until is None else stamp(hold_until),
                    health,
                    provider,
                    holder,
                    RELEASED,
                ),
            )
            return cursor.rowcount > 0

    def release_lease(
        self, provider: str, holder: str, *, hold_until: datetime | None, health: str | None
    ) -> None:
        """Give the lease up at once (the row stays, with what a successor needs)."""
        with self._writing() as conn:
            conn.execute(
                "UPDATE leases SET expires_at = ?, hold_until = ?, health = ?"
                " WHERE provider = ? AND holder = ?",
                (
                    RELEASED,
                    None if hold_until is None else stamp(hold_until),
                    health,
                    provider,
                    holder,
                ),
            )

    def leases(self) -> dict[str, Lease]:
        """Every provider's lease row (live or not), by provider."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT provider, holder, pid, host, heartbeat, expires_at, hold_until, health"
                " FROM leases"
            ).fetchall()
        return {row[0]: lease_from_row(row) for row in rows}

    def add_request(
        self,
        provider: str,
        op: str,
        *,
        job_ids: Sequence[str | None] = (None,),
        value: float | None = None,
        now: datetime | None = None,
    ) -> None:
        """Ask whoever polls ``provider`` to do ``op`` (one row per job id)."""
        at = stamp(now if now is not None else datetime.now(UTC))
        with self._writing() as conn:
            conn.executemany(
                "INSERT INTO requests (provider, op, job_id, value, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(provider, op, job_id, value, at) for job_id in job_ids],
            )

    def pending_requests(self) -> int:
        """How many requests wait to be consumed (cheap: a read)."""
        with self._reading() as conn:
            return int(conn.execute("SELECT count(*) FROM requests").fetchone()[0])

    def take_requests(self, providers: Sequence[str]) -> list[Request]:
        """Consume the requests for ``providers``, oldest first."""
        if not providers:
            return []
        marks = ",".join("?" * len(providers))
        with self._writing() as conn:
            rows = conn.execute(
                f"DELETE FROM requests WHERE provider IN ({marks})"
                " RETURNING seq, provider, op, job_id, value",
                tuple(providers),
            ).fetchall()
        return sorted(Request(*row) for row in rows)

    # -- shared polling: claims, the team's budget, the provider's block -----------

    def claim_jobs(
        self,
        provider: str,
        holder: str,
        *,
        now: datetime,
        until: datetime,
        limit: int,
        ids: Sequence[str] = (),
    ) -> list[str]:
        """Claim for ``holder`` until ``until``: ``ids`` (any state), then due jobs up to ``limit``.

        A job is due when it is active, its ``next_poll_at`` has come (or it
        was never polled) and no live claim of another holder is on it. One
        transaction decides, so two pollers never claim the same job.
        """
        with self._writing() as conn:
            claimed: list[str] = []
            if ids:
                for chunk in chunks(list(dict.fromkeys(ids))):
                    marks = ",".join("?" * len(chunk))
                    rows = conn.execute(
                        claim_sql.CLAIM_IDS.format(marks=marks),
                        (holder, stamp(until), provider, *chunk, stamp(now), holder),
                    ).fetchall()
                    claimed.extend(row[0] for row in rows)
            room = limit - len(claimed)
            if room > 0:
                rows = conn.execute(
                    claim_sql.CLAIM_DUE,
                    {
                        "holder": holder,
                        "until": stamp(until),
                        "provider": provider,
                        "now": stamp(now),
                        "limit": room,
                    },
                ).fetchall()
                claimed.extend(row[0] for row in rows)
        return claimed

    def release_claims(self, provider: str, holder: str, ids: Sequence[str] | None = None) -> int:
        """Hand back ``holder``'s claims on ``ids`` (None: on all ``provider``'s jobs) unpolled."""
        with self._writing() as conn:
            if ids is None:
                return max(conn.execute(claim_sql.RELEASE_CLAIMS, (provider, holder)).rowcount, 0)
            released = 0
            for chunk in chunks(list(ids)):
                marks = ",".join("?" * len(chunk))
                cursor = conn.execute(
                    claim_sql.RELEASE_CLAIMS.rstrip() + f" AND id IN ({marks})",
                    (provider, holder, *chunk),
                )
                released += max(cursor.rowcount, 0)
            return released

    def claims(self, provider: str, now: datetime) -> dict[str, str]:
        """The live claims on ``provider``'s jobs at ``now``: job id → holder."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, claimed_by FROM jobs"
                " WHERE provider = ? AND claimed_by IS NOT NULL AND claim_until > ?",
                (provider, stamp(now)),
            ).fetchall()
        return {str(job_id): str(holder) for job_id, holder in rows}

    def next_claimable(self, provider: str, now: datetime) -> datetime | None:
        """When an active job of ``provider`` can next be claimed (``now`` or earlier: at once).

        None when ``provider`` has no active job.
        """
        with self._reading() as conn:
            found = conn.execute(
                claim_sql.NEXT_CLAIMABLE, {"provider": provider, "now": stamp(now)}
            ).fetchone()[0]
        if found is None:
            return None
        return now if found == "" else datetime.fromisoformat(found)

    def take_tokens(
        self, provider: str, *, rate: float | None, burst: float, count: float = 1.0
    ) -> claim_sql.TokenGrant:
        """Take ``count`` tokens of ``provider``'s shared budget, or say how long to wait.

        Refilled at ``rate`` per second up to ``burst`` and taken in one
        statement (None: no limit, only the block counts). A live block
        (Retry-After, a provider held down, an auth failure) refuses every
        take until it ends; the grant carries it.
        """
        moment = datetime.now(UTC)
        now = moment.timestamp()
        with self._writing() as conn:
            conn.execute(claim_sql.NEW_BUCKET, (provider, burst, now))
            row = conn.execute(
                claim_sql.TAKE_TOKENS,
                {
                    "provider": provider,
                    "burst": burst,
                    "rate": rate if rate is not None else 0.0,
                    "count": 0.0 if rate is None else count,
                    "now": now,
                    "nowtext": stamp(moment),
                },
            ).fetchone()
            if row is not None:
                return claim_sql.TokenGrant(0.0)
            tokens, then, until, state, reason = conn.execute(
                claim_sql.READ_BUCKET, (provider,)
            ).fetchone()
        block = _block(until, state, reason)
        if block is not None and block.live(moment):
            wait = math.inf if block.until is None else (block.until - moment).total_seconds()
            return claim_sql.TokenGrant(max(wait, 1e-3), block)
        wait = claim_sql.bucket_wait(tokens, now - then, rate=rate or 0.0, burst=burst, count=count)
        return claim_sql.TokenGrant(max(wait, 1e-3))

    def give_back_tokens(self, provider: str, count: float, *, burst: float) -> None:
        """Return tokens taken for a request that was not sent (nothing was due after all)."""
        with self._writing() as conn:
            conn.execute(claim_sql.GIVE_BACK, (burst, count, provider))

    def block_provider(
        self, provider: str, *, state: str, until: datetime | None, reason: str | None
    ) -> None:
        """Stop every poller of ``provider`` until ``until`` (None: until cleared).

        An auth failure replaces any block; two timed blocks keep the later end.
        """
        moment = datetime.now(UTC)
        with self._writing() as conn:
            conn.execute(
                claim_sql.BLOCK,
                {
                    "provider": provider,
                    "now": moment.timestamp(),
                    "nowtext": stamp(moment),
                    "until": None if until is None else stamp(until),
                    "state": state,
                    "reason": reason,
                },
            )

    def clear_block(self, provider: str, states: Sequence[str] | None = None) -> None:
        """Lift ``provider``'s block (only one in ``states``, when given)."""
        with self._writing() as conn:
            if states is None:
                conn.execute(claim_sql.CLEAR_BLOCK, (provider,))
                return
            marks = ",".join("?" * len(states))
            conn.execute(
                claim_sql.CLEAR_BLOCK.rstrip() + f" AND block_state IN ({marks})",
                (provider, *states),
            )

    def provider_block(self, provider: str) -> claim_sql.ProviderBlock | None:
        """``provider``'s block as stored (live or not), or None."""
        with self._reading() as conn:
            row = conn.execute(
                "SELECT blocked_until, block_state, block_reason FROM buckets WHERE provider = ?",
                (provider,),
            ).fetchone()
        return None if row is None else _block(*row)


def _block(
    until: str | None, state: str | None, reason: str | None
) -> claim_sql.ProviderBlock | None:
    if state is None:
        return None
    return claim_sql.ProviderBlock(
        state=state, until=None if until is None else datetime.fromisoformat(until), reason=reason
    )


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit mode: every write opens its own BEGIN IMMEDIATE, so a writer takes
    # the write lock up front and waits for it (the timeout) instead of failing when
    # it would upgrade a read lock; a read sees the last commit of any connection.
    return sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )


def _create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist yet.

    The store holds job payloads and labels, so other users must not read it.
    SQLite would create the file with the umask's mode (often 0644); an empty
    file is a valid empty database, and SQLite gives its -wal and -shm files the
    main file's mode. An existing file keeps the mode its owner chose.
    """
    if path.exists():
        # Never open and close an existing store file here: closing any descriptor
        # of it drops the POSIX locks that other connections of this process hold
        # on it (SQLite then fails with "disk I/O error").
        return
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StoreError(f"{path}: cannot open the store: {reason}") from None
    os.close(descriptor)


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    mode = _into_wal(conn)
    if str(mode).lower() != "wal":
        raise StoreError(f"{path}: cannot put the store in WAL mode (got {mode!r})")
    # In WAL mode NORMAL loses no committed transaction when the process dies;
    # a power cut may drop the last few commits, and never corrupts the file.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def _into_wal(conn: sqlite3.Connection) -> str:
    """Switch to WAL mode and return the mode now in force.

    Two processes opening a new store file at once (a dashboard and the poller
    it forks) both switch it from the rollback journal to WAL, and SQLite
    answers the loser "database is locked" at once, without its busy handler.
    The switch is retried (the winner's takes microseconds) for as long as a
    write would wait.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def minute_of(moment: datetime) -> datetime:
    """The start of ``moment``'s minute (the request counts' granularity)."""
    return moment.replace(second=0, microsecond=0)


def _add_requests(conn: sqlite3.Connection, counts: Mapping[tuple[str, datetime], int]) -> None:
    merged: dict[tuple[str, str], int] = {}
    for (provider, at), count in counts.items():
        key = (provider, stamp(minute_of(at)))
        merged[key] = merged.get(key, 0) + count
    conn.executemany(
        "INSERT INTO request_counts (provider, minute, count) VALUES (?, ?, ?)"
        " ON CONFLICT (provider, minute) DO UPDATE SET count = count + excluded.count",
        [(p, m, c) for (p, m), c in merged.items() if c > 0],
    )


def _current_states(
    conn: sqlite3.Connection, outcomes: Sequence[PollOutcome]
) -> dict[tuple[str, str], tuple[JobState, bool]]:
    """(state, state seen) of every watched job the outcomes may write.

    A job whose outcome answers a claim (``claimed_by``) that is no longer
    that poller's is left out: its answer is stale, another poller's counts.
    """
    by_provider: dict[str, list[str]] = {}
    claimed: dict[tuple[str, str], str] = {}
    for outcome in outcomes:
        by_provider.setdefault(outcome.provider, []).append(outcome.id)
        if outcome.claimed_by is not None:
            claimed[(outcome.provider, outcome.id)] = outcome.claimed_by
    found: dict[tuple[str, str], tuple[JobState, bool]] = {}
    for provider, ids in by_provider.items():
        for chunk in chunks(list(dict.fromkeys(ids))):
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT id, state, state_seen, claimed_by FROM jobs"
                f" WHERE provider = ? AND id IN ({marks})",
                (provider, *chunk),
            )
            for job_id, state, seen, claimed_by in rows:
                claim = claimed.get((provider, job_id))
                if claim is not None and claim != claimed_by:
                    continue
                found[(provider, job_id)] = (state_of(state), bool(seen))
    return found
