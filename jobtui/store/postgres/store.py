"""``PostgresStore``: the ``JobStore`` interface on a PostgreSQL database (psycopg 3).

Three connections, each under a lock of its own, as the SQLite store has: one
for writes, one for reads (a listing never waits behind a write batch) and,
for viewers, one that LISTENs for change numbers. A connection that breaks is
opened again on its next use; a viewer waiting for changes backs off between
attempts and says the store is unreachable meanwhile (``problem``).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

import psycopg
from pydantic import TypeAdapter

from jobtui.model import JobState
from jobtui.store.bus import (
    CHANGES_KEPT,
    OP_ADD,
    OP_CHANGE,
    OP_REMOVE,
    ChangeBatch,
    Lease,
    Request,
    fold_changes,
    lease_from_row,
)
from jobtui.store.location import mask_url
from jobtui.store.pages import OUTLINE_POSTGRES, JobOutline, outlines
from jobtui.store.postgres import sql
from jobtui.store.postgres.claims import SharedPollingOnPostgres
from jobtui.store.postgres.connection import Connection, connect, failure
from jobtui.store.postgres.listen import ChangeListener
from jobtui.store.postgres.notify import DEFAULT_NOTIFY_GAP, NotifyThrottle
from jobtui.store.postgres.schema import current_version, ensure_schema, require_current
from jobtui.store.records import (
    PollOutcome,
    StoreError,
    Transition,
    WatchedJob,
    gc_paused,
    state_of,
    transition_from_row,
    watch_rows,
    watched_jobs,
)

__all__ = ["PostgresStore"]

log = logging.getLogger("jobtui.store")

_TRIM_EVERY = 500
_RAW: TypeAdapter[Any] = TypeAdapter(Any)


class _Broken(StoreError):
    """The connection broke under a statement (the server restarted, a pooler cut it)."""


_T = TypeVar("_T")
_P = ParamSpec("_P")


def _read_again(method: Callable[_P, _T]) -> Callable[_P, _T]:
    """A read that met a dead connection is tried once more on a fresh one: reads repeat safely."""

    @functools.wraps(method)
    def read(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(*args, **kwargs)
        except _Broken:
            return method(*args, **kwargs)

    return read


def _update_of(outcome: PollOutcome) -> tuple[tuple[Any, ...], JobState | None]:
    """``sql.UPDATE_JOB``'s parameters for one outcome, and the state it records."""
    job = outcome.job
    if outcome.polled_at.tzinfo is None or (
        outcome.next_poll_at is not None and outcome.next_poll_at.tzinfo is None
    ):
        raise ValueError("store timestamps must be timezone-aware")
    tail = (outcome.next_poll_at, outcome.error, outcome.polled_at, outcome.provider, outcome.id)
    if job is not None:
        # Defaults left out, as the SQLite store writes them: the same Job back.
        core = job.model_dump_json(exclude_defaults=True, exclude={"raw"})
        raw = None if job.raw is None else _RAW.dump_json(job.raw).decode()
        listing = job.model_dump_json(exclude_defaults=True, exclude={"raw", "items"})
        update: tuple[Any, ...] = (
            job.kind, job.state.value, True, True, job.raw_status, core, True, raw, listing,
            *tail,
        )  # fmt: skip
        return update, job.state
    marked = outcome.mark_state
    # The snapshot, its payload and its status word stay: a failed poll keeps the last good job.
    update = (
        None, None if marked is None else marked.value, marked is not None, False, None,
        None, False, None, None, *tail,
    )  # fmt: skip
    return update, marked


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("store timestamps must be timezone-aware")
    return moment.astimezone(UTC)


def _minute(moment: datetime) -> datetime:
    return _aware(moment).replace(second=0, microsecond=0)


class PostgresStore(SharedPollingOnPostgres):
    """A jobtui store in a PostgreSQL database named by a ``postgresql://`` URL.

    ``password`` (from the config's ``password_cmd``) is used when given;
    otherwise libpq finds one itself (the URL, ``PGPASSWORD``, ``.pgpass``).
    ``read_only`` opens it as a viewer: nothing is created or migrated and
    the server refuses any write. ``notify=False`` neither sends nor listens
    for notifications (viewers then see changes at the polling floor).
    """

    pushes_changes = True
    """Viewers wait on ``wait_for_change`` (notifications) rather than probing often."""

    def __init__(
        self,
        url: str,
        *,
        password: str | None = None,
        read_only: bool = False,
        notify: bool = True,
        notify_gap: float = DEFAULT_NOTIFY_GAP,
    ) -> None:
        self.url = url
        self.where = mask_url(url)
        self.read_only = read_only
        self.notify = notify
        self.origin = uuid.uuid4().hex
        """This store's name in the change log: ``changes_since`` skips its own writes."""
        self._password = password
        self._closed = False
        self._writes = 0
        self._lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._conns: dict[str, Connection | None] = {"write": None, "read": None}
        self._throttle = NotifyThrottle(self._send_notify, notify_gap)
        # Its own channel lets close() wake this store's wait (no other process listens there).
        self._listener = ChangeListener(
            url, password, read_only=read_only, wake_channel=f"jobtui_wake_{self.origin}"
        )
        try:
            with self._reading() as conn:
                if read_only:
                    require_current(conn, self.where)
                else:
                    ensure_schema(conn, self.where)
                row = conn.execute(sql.MAY_WRITE).fetchone()
            self.writable = bool(row and row[0]) and not read_only
            """Whether this role may write (a ``SELECT``-only role may not: a viewer)."""
        except BaseException:
            self.close()
            raise

    # -- connections ----------------------------------------------------------

    def _connection(self, name: str) -> Connection:
        if self._closed:
            raise StoreError(f"{self.where}: the store is closed")
        conn = self._conns[name]
        if conn is None or conn.closed or conn.broken:
            if conn is not None:
                conn.close()
            self._conns[name] = None
            conn = connect(self.url, self._password, read_only=self.read_only)
            self._conns[name] = conn
        return conn

    @contextmanager
    def _using(self, lock: threading.Lock, name: str) -> Iterator[Connection]:
        with lock:
            conn = self._connection(name)
            try:
                yield conn
            except psycopg.Error as exc:
                raise self._failed(name, conn, exc) from None

    def _failed(self, name: str, conn: Connection, exc: psycopg.Error) -> StoreError:
        """``exc`` as a ``StoreError``; a broken connection is dropped (reopened on next use)."""
        if conn.broken or conn.closed:
            self._conns[name] = None
            return _Broken(str(failure(self.url, exc, self._password)))
        return failure(self.url, exc, self._password)

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with self._using(self._read_lock, "read") as conn:
            yield conn

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """One write transaction, committed at the end, rolled back on any exception.

        A write connection found dead when the transaction begins (the server
        restarted, an idle timeout) is replaced once: nothing was sent yet.
        """
        with self._lock:
            conn = self._connection("write")
            transaction = conn.transaction()
            try:
                transaction.__enter__()
            except psycopg.OperationalError as exc:
                error = self._failed("write", conn, exc)
                if not isinstance(error, _Broken):
                    raise error from None
                conn = self._connection("write")
                transaction = conn.transaction()
                try:
                    transaction.__enter__()
                except psycopg.Error as again:
                    raise self._failed("write", conn, again) from None
            try:
                try:
                    yield conn
                    self._writes += 1
                    if self._writes % _TRIM_EVERY == 0:
                        conn.execute(sql.TRIM_CHANGES, (CHANGES_KEPT,))
                except BaseException as exc:
                    transaction.__exit__(type(exc), exc, exc.__traceback__)
                    raise
                transaction.__exit__(None, None, None)
            except psycopg.Error as exc:
                raise self._failed("write", conn, exc) from None

    def _number(self, conn: Connection, op: str, keys: Iterable[tuple[str, str]]) -> int:
        """Record a write's changes (inside its transaction); returns the newest number."""
        providers: list[str] = []
        ids: list[str] = []
        for provider, job_id in keys:
            providers.append(provider)
            ids.append(job_id)
        if not ids:
            return 0
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (sql.CHANGE_LOCK,))
        rows = conn.execute(sql.NUMBER_CHANGES, (op, self.origin, providers, ids)).fetchall()
        return max(int(row[0]) for row in rows)

    def _committed(self, seq: int | str) -> None:
        if self.notify and seq:
            self._throttle.changed(str(seq))

    def _send_notify(self, payload: str, channel: str = sql.CHANNEL) -> None:
        with self._using(self._lock, "write") as conn:
            conn.execute(sql.NOTIFY, (channel, payload))

    @property
    def notifications_sent(self) -> int:
        """How many notifications this store sent (bounded by the throttle)."""
        return self._throttle.sent

    @property
    def schema_version(self) -> int:
        """The database's schema version."""
        with self._reading() as conn:
            return current_version(conn)

    def close(self) -> None:
        """Send what is pending and close the connections; closing twice is harmless.

        A thread inside ``wait_for_change`` is woken (a notification on this
        store's own channel) and closes the LISTEN connection itself.
        """
        if self._closed:
            return
        self._throttle.close()
        if self._listener.waiting:
            with contextlib.suppress(StoreError):
                self._send_notify("close", self._listener.wake_channel)
        with self._lock, self._read_lock:
            self._closed = True
            for name in ("write", "read"):
                conn = self._conns[name]
                if conn is not None:
                    conn.close()
        self._listener.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- watch list -----------------------------------------------------------

    def add_jobs(
        self,
        entries: Iterable[tuple[str, str, str, str | None]],
        *,
        added_at: datetime | None = None,
        relabel: bool = False,
    ) -> int:
        """Watch (provider, kind, id, label) entries; returns how many were new."""
        since = _aware(added_at if added_at is not None else datetime.now(UTC))
        rows = watch_rows(entries, since)
        if not rows:
            return 0
        seq = 0
        with self._writing() as conn:
            columns = [list(column) for column in zip(*rows, strict=True)][:4]
            added = len(conn.execute(sql.ADD_JOBS, (since, *columns)).fetchall())
            with conn.cursor() as cursor:
                if relabel:
                    cursor.executemany(
                        sql.RELABEL,
                        [
                            (label, p, job_id)
                            for p, job_id, _, label, _ in rows
                            if label is not None
                        ],
                    )
            if added or relabel:
                seq = self._number(conn, OP_ADD, [(p, job_id) for p, job_id, *_ in rows])
        self._committed(seq)
        return added

    def set_label(self, provider: str, job_id: str, label: str | None) -> bool:
        """Set a watched job's label; False when the job is not watched."""
        seq = 0
        with self._writing() as conn:
            found = conn.execute(sql.RELABEL, (label, provider, job_id)).rowcount > 0
            if found:
                seq = self._number(conn, OP_CHANGE, [(provider, job_id)])
        self._committed(seq)
        return found

    def remove_jobs(self, provider: str, ids: Sequence[str]) -> int:
        """Stop watching ``ids`` at ``provider`` (history included); returns how many were."""
        if not ids:
            return 0
        seq = 0
        with self._writing() as conn:
            removed = conn.execute(sql.REMOVE_JOBS, (provider, list(ids))).fetchall()
            if removed:
                seq = self._number(conn, OP_REMOVE, [(provider, i) for i in ids])
        self._committed(seq)
        return len(removed)

    # -- poll results -----------------------------------------------------------

    def save_outcomes(
        self,
        outcomes: Sequence[PollOutcome],
        requests: Mapping[tuple[str, datetime], int] | None = None,
    ) -> list[Transition]:
        """Write a batch in one transaction; returns the transitions it recorded."""
        if not outcomes:
            if requests:
                self.record_requests(requests)
            return []
        prepared = [(outcome, *_update_of(outcome)) for outcome in outcomes]
        seq = 0
        with self._writing() as conn:
            current = _current_states(conn, outcomes)
            updates: list[tuple[Any, ...]] = []
            touched: dict[tuple[str, str], None] = {}
            recorded: list[Transition] = []
            for outcome, update, new_state in prepared:
                key = (outcome.provider, outcome.id)
                known = current.get(key)
                if known is None:
                    continue
                state, seen = known
                updates.append(update)
                touched[key] = None
                if new_state is not None and (not seen or new_state != state):
                    recorded.append(
                        Transition(
                            provider=outcome.provider,
                            id=outcome.id,
                            at=outcome.polled_at.astimezone(UTC),
                            from_state=state if seen else None,
                            to_state=new_state,
                            raw_status=outcome.job.raw_status if outcome.job else None,
                        )
                    )
                    current[key] = (new_state, True)
            with conn.cursor() as cursor:
                if updates:
                    cursor.executemany(sql.UPDATE_JOB, updates)
                finished = [
                    (outcome.provider, outcome.id, outcome.claimed_by)
                    for outcome, *_ in prepared
                    if outcome.claimed_by is not None
                ]
                if finished:
                    cursor.executemany(sql.FINISH_CLAIM, finished)
                if recorded:
                    cursor.executemany(
                        sql.ADD_TRANSITIONS,
                        [
                            (
                                t.provider,
                                t.id,
                                t.at,
                                None if t.from_state is None else t.from_state.value,
                                t.to_state.value,
                                t.raw_status,
                            )
                            for t in recorded
                        ],
                    )
            if requests:
                _add_requests(conn, requests)
            seq = self._number(conn, OP_CHANGE, touched)
        self._committed(seq)
        return recorded

    # -- reading ------------------------------------------------------------------

    @_read_again
    def list_jobs(
        self,
        provider: str | None = None,
        state: JobState | None = None,
        *,
        include_raw: bool = True,
        lean: bool = False,
    ) -> list[WatchedJob]:
        """Watched jobs, optionally of one provider and/or in one state (see ``Store``)."""
        where: list[str] = []
        params: list[str] = []
        if provider is not None:
            where.append("provider = %s")
            params.append(provider)
        if state is not None:
            where.append("state = %s")
            params.append(JobState(state).value)
        if lean:
            columns = sql.JOB_COLUMNS_LEAN
        else:
            columns = sql.JOB_COLUMNS if include_raw else sql.JOB_COLUMNS_WITHOUT_RAW
        query = f"SELECT {columns} FROM jobs"
        if where:
            query += " WHERE " + " AND ".join(where)
        with gc_paused():
            with self._reading() as conn:
                rows = conn.execute(query, params).fetchall()
            return watched_jobs(rows)

    @_read_again
    def job_outline(self) -> list[JobOutline]:
        """Every job's key, state, creation time and newest good poll: one narrow query.

        What the dashboard's first screen needs (``jobtui.store.pages``), at a
        fraction of the cost of ``list_jobs``: no snapshot is parsed.
        """
        with gc_paused():
            with self._reading() as conn:
                rows = conn.execute(OUTLINE_POSTGRES).fetchall()
            return outlines(rows)

    @_read_again
    def get_job(
        self, provider: str, job_id: str, *, raw_limit: int | None = None
    ) -> WatchedJob | None:
        """One watched job, or None; ``raw_limit`` as for ``Store.get_job``."""
        columns = sql.JOB_COLUMNS if raw_limit is None else sql.JOB_COLUMNS_RAW_UP_TO
        params: tuple[object, ...] = (provider, job_id)
        if raw_limit is not None:
            params = (raw_limit, *params)
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {columns} FROM jobs WHERE provider = %s AND id = %s", params
            ).fetchone()
        return None if row is None else watched_jobs([row])[0]

    @_read_again
    def transitions(self, provider: str, job_id: str) -> list[Transition]:
        """A job's state changes, oldest first."""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {sql.TRANSITION_COLUMNS} FROM transitions"
                " WHERE provider = %s AND id = %s ORDER BY at, seq",
                (provider, job_id),
            ).fetchall()
        return [transition_from_row(row) for row in rows]

    @_read_again
    def transitions_since(self, since: datetime | None = None) -> list[Transition]:
        """Every job's state changes at or after ``since`` (all when None), by job then time."""
        query = f"SELECT {sql.TRANSITION_COLUMNS} FROM transitions"
        params: tuple[datetime, ...] = ()
        if since is not None:
            query += " WHERE at >= %s"
            params = (_aware(since),)
        with self._reading() as conn:
            rows = conn.execute(query + " ORDER BY provider, id, at, seq", params).fetchall()
        return [transition_from_row(row) for row in rows]

    def record_requests(self, counts: Mapping[tuple[str, datetime], int]) -> None:
        """Add request counts, by (provider, a time in the minute they were sent)."""
        with self._writing() as conn:
            _add_requests(conn, counts)

    @_read_again
    def request_counts(self, since: datetime | None = None) -> dict[str, int]:
        """Requests sent per provider in the minutes from ``since``'s minute on (all when None)."""
        query = "SELECT provider, sum(count) FROM request_counts"
        params: tuple[datetime, ...] = ()
        if since is not None:
            query += " WHERE minute >= %s"
            params = (_minute(since),)
        with self._reading() as conn:
            rows = conn.execute(query + " GROUP BY provider", params).fetchall()
        return {str(provider): int(total) for provider, total in rows}

    @_read_again
    def count_jobs(self) -> int:
        """How many jobs are watched."""
        with self._reading() as conn:
            row = conn.execute("SELECT count(*) FROM jobs").fetchone()
        return int(row[0]) if row else 0

    @_read_again
    def get_jobs(self, keys: Iterable[tuple[str, str]]) -> list[WatchedJob]:
        """The watched jobs among ``keys``, without snapshot payloads, in list order."""
        by_provider: dict[str, list[str]] = {}
        for provider, job_id in keys:
            by_provider.setdefault(provider, []).append(job_id)
        rows: list[tuple[Any, ...]] = []
        with self._reading() as conn:
            for provider, ids in by_provider.items():
                rows.extend(
                    conn.execute(
                        f"SELECT {sql.JOB_COLUMNS_WITHOUT_RAW} FROM jobs"
                        " WHERE provider = %s AND id = ANY(%s)",
                        (provider, list(dict.fromkeys(ids))),
                    ).fetchall()
                )
        return watched_jobs(rows)

    # -- the bus: change numbers, leases, requests -------------------------------

    @_read_again
    def data_version(self) -> int:
        """A number that moves when anyone numbers a change or leaves a request.

        Two index lookups (the newest change, the newest request) on the read
        connection: as cheap a question as PostgreSQL answers.
        """
        with self._reading() as conn:
            row = conn.execute(sql.DATA_VERSION).fetchone()
        changes, requests = (int(value) for value in row) if row else (0, 0)
        return (changes << 32) ^ requests

    def wait_for_change(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for a notification; True when one came.

        On a LISTEN connection of its own (``ChangeListener``), opened on first
        use; a lost one is retried on a back-off while ``problem`` says why.
        With ``notify=False`` this only waits. ``close()`` ends a wait at once.
        """
        if not self.notify:
            self._listener.sleep(timeout)
            return False
        return self._listener.wait(timeout)

    @property
    def problem(self) -> str | None:
        """Why the store cannot be reached right now (None while it can)."""
        return self._listener.problem

    @_read_again
    def latest_change(self) -> int:
        """The newest change number (0 when nothing was ever written)."""
        with self._reading() as conn:
            row = conn.execute("SELECT max(seq) FROM changes").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    @_read_again
    def changes_since(self, seq: int) -> ChangeBatch:
        """What other stores (other processes) wrote after change ``seq``."""
        with self._reading() as conn:
            rows: list[Any] = conn.execute(sql.CHANGES_AFTER, (seq,)).fetchall()
            first = None
            if rows and rows[0][0] > seq + 1:
                found = conn.execute("SELECT min(seq) FROM changes").fetchone()
                first = None if found is None else found[0]
            elif not rows:
                found = conn.execute("SELECT max(seq) FROM changes").fetchone()
                newest = int(found[0] or 0) if found else 0
                if newest < seq:  # the database was replaced by an older one
                    return ChangeBatch(newest, reset=True)
        return fold_changes(rows, seq, None if first is None else int(first), self.origin)

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
        """Take ``provider``'s lease if it is free or expired (or renew one's own)."""
        now = _aware(now)
        expires = now + timedelta(seconds=period)
        with self._writing() as conn:
            row = conn.execute(
                sql.TAKE_LEASE, (provider, holder, pid, host, now, expires, health, now)
            ).fetchone()
        return None if row is None else _lease(row)

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
        now = _aware(now)
        with self._writing() as conn:
            cursor = conn.execute(
                sql.RENEW_LEASE,
                (
                    now,
                    now + timedelta(seconds=period),
                    hold_until,
                    health,
                    provider,
                    holder,
                    sql.RELEASED,
                ),
            )
            return cursor.rowcount > 0

    def release_lease(
        self, provider: str, holder: str, *, hold_until: datetime | None, health: str | None
    ) -> None:
        """Give the lease up at once (the row stays, with what a successor needs)."""
        with self._writing() as conn:
            conn.execute(sql.RELEASE_LEASE, (sql.RELEASED, hold_until, health, provider, holder))

    @_read_again
    def leases(self) -> dict[str, Lease]:
        """Every provider's lease row (live or not), by provider."""
        with self._reading() as conn:
            rows = conn.execute(f"SELECT {sql.LEASE_COLUMNS} FROM leases").fetchall()
        return {str(row[0]): _lease(row) for row in rows}

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
        at = _aware(now if now is not None else datetime.now(UTC))
        with self._writing() as conn, conn.cursor() as cursor:
            cursor.executemany(
                sql.ADD_REQUEST, [(provider, op, job_id, value, at) for job_id in job_ids]
            )
        # The holder wakes on the notification as a viewer does on a change.
        self._committed("request")

    @_read_again
    def pending_requests(self) -> int:
        """How many requests wait to be consumed."""
        with self._reading() as conn:
            row = conn.execute("SELECT count(*) FROM requests").fetchone()
        return int(row[0]) if row else 0

    def take_requests(self, providers: Sequence[str]) -> list[Request]:
        """Consume the requests for ``providers``, oldest first."""
        if not providers:
            return []
        with self._writing() as conn:
            rows = conn.execute(sql.TAKE_REQUESTS, (list(providers),)).fetchall()
        return sorted(Request(*row) for row in rows)


def _lease(row: Sequence[Any]) -> Lease:
    values = list(row)
    if values[5] is not None and values[5] <= sql.RELEASED:
        values[5] = None
    lease = lease_from_row(tuple(values))
    return lease


def _add_requests(conn: Connection, counts: Mapping[tuple[str, datetime], int]) -> None:
    merged: dict[tuple[str, datetime], int] = {}
    for (provider, at), count in counts.items():
        key = (provider, _minute(at))
        merged[key] = merged.get(key, 0) + count
    rows = [(p, m, c) for (p, m), c in merged.items() if c > 0]
    if rows:
        with conn.cursor() as cursor:
            cursor.executemany(sql.ADD_REQUEST_COUNTS, rows)


def _current_states(
    conn: Connection, outcomes: Sequence[PollOutcome]
) -> dict[tuple[str, str], tuple[JobState, bool]]:
    """(state, state seen) of every watched job the outcomes may write, rows locked.

    A job whose outcome answers a claim (``claimed_by``) that is no longer that
    poller's is left out: its answer is stale, another poller's counts.
    """
    by_provider: dict[str, list[str]] = {}
    claimed: dict[tuple[str, str], str] = {}
    for outcome in outcomes:
        by_provider.setdefault(outcome.provider, []).append(outcome.id)
        if outcome.claimed_by is not None:
            claimed[(outcome.provider, outcome.id)] = outcome.claimed_by
    found: dict[tuple[str, str], tuple[JobState, bool]] = {}
    for provider in sorted(by_provider):
        ids = sorted(dict.fromkeys(by_provider[provider]))
        for job_id, state, seen, holder in conn.execute(sql.CURRENT_STATES, (provider, ids)):
            claim = claimed.get((provider, str(job_id)))
            if claim is not None and claim != holder:
                continue
            found[(provider, str(job_id))] = (state_of(str(state)), bool(seen))
    return found
