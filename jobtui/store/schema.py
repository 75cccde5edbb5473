"""The store's SQLite schema and its forward migrations.

The schema version lives in ``PRAGMA user_version``. Each entry of
``MIGRATIONS`` moves a file from version ``n`` to ``n + 1``; opening a store
runs the missing steps in one transaction, so a file is always at one
version or the next, never in between.

History:

- version 1: the first layout — ``jobs(provider, id, label, added_at,
  job_json, state, next_poll_at, last_error)`` and ``transitions(provider,
  id, at, from_state, to_state)``, without the provider kind, the poll time
  or the provider's status words.
- version 2: ``jobs`` gains ``kind``, ``raw_status``, ``polled_at``
  and ``state_seen``; ``job_json`` becomes ``snapshot`` and ``last_error``
  becomes ``poll_error``; ``transitions`` gains ``raw_status``, a sequence
  number for a stable order, and a foreign key to its job.
- version 3: ``request_counts(provider, minute, count)`` — requests the
  pollers sent, per provider per minute, for ``jobtui stats`` (budget use).
- version 4: ``jobs`` gains ``listing``, the snapshot without its ``raw``
  payload and ``items``: what a job list shows, read at start-up instead of
  the whole snapshot (``Store.list_jobs(lean=True)``).
- version 5 (the bus): ``changes`` (a store-wide change number per
  write: which job, added / changed / removed, by which process), ``leases``
  (which process polls which provider, until when, and the schedule state
  that must survive a hand-over) and ``requests`` (what viewers ask the
  polling process to do). See ``_bus_tables``.
- version 6 (current, shared polling): ``jobs`` gains ``claimed_by`` and
  ``claim_until`` (which poller of a shared pool polls the job now, until
  when), and ``buckets`` holds each provider's shared request budget (a
  token bucket) and its shared hold (Retry-After, back-off, auth failure).
  See ``_sharing_tables``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

__all__ = ["LISTING_OF", "MIGRATIONS", "SCHEMA_VERSION", "create_schema", "migrate"]

_JOBS_V2 = """
CREATE TABLE jobs (
    provider     TEXT NOT NULL,
    id           TEXT NOT NULL,
    kind         TEXT NOT NULL,
    label        TEXT,
    added_at     TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'unknown',
    -- 0 until a state has been recorded: the first transition has no "from".
    state_seen   INTEGER NOT NULL DEFAULT 0,
    raw_status   TEXT,
    snapshot     TEXT,
    next_poll_at TEXT,
    poll_error   TEXT,
    polled_at    TEXT,
    PRIMARY KEY (provider, id)
)
"""

_TRANSITIONS_V2 = """
CREATE TABLE transitions (
    seq        INTEGER PRIMARY KEY,
    provider   TEXT NOT NULL,
    id         TEXT NOT NULL,
    at         TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    raw_status TEXT,
    FOREIGN KEY (provider, id) REFERENCES jobs (provider, id) ON DELETE CASCADE
)
"""

_INDEXES_V2 = (
    "CREATE INDEX jobs_by_state ON jobs (state, provider)",
    "CREATE INDEX transitions_by_job ON transitions (provider, id, at, seq)",
)


# Self-contained (no reference to the other tables).
_REQUEST_COUNTS_V3 = """
CREATE TABLE request_counts (
    provider TEXT NOT NULL,
    minute   TEXT NOT NULL,   -- the minute's start, UTC ISO-8601 like every stamp
    count    INTEGER NOT NULL,
    PRIMARY KEY (provider, minute)
)
"""


def _create_v2(conn: sqlite3.Connection) -> None:
    conn.execute(_JOBS_V2)
    conn.execute(_TRANSITIONS_V2)
    for statement in _INDEXES_V2:
        conn.execute(statement)


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    conn.execute(_REQUEST_COUNTS_V3)


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the current schema in an empty database (inside the caller's transaction)."""
    _create_v2(conn)
    _v2_to_v3(conn)
    _add_listing(conn)
    _bus_tables(conn)
    _sharing_tables(conn)


LISTING_OF = "json_remove({}, '$.raw', '$.items')"
"""SQL making a snapshot's ``listing`` (``{}``: the snapshot expression)."""


def _add_listing(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE jobs ADD COLUMN listing TEXT")


def _v3_to_v4(conn: sqlite3.Connection) -> None:
    # Self-contained: a column beside the snapshot, filled from it in C.
    _add_listing(conn)
    conn.execute(
        f"UPDATE jobs SET listing = {LISTING_OF.format('snapshot')} WHERE json_valid(snapshot)"
    )


_BUS_TABLES = (
    # Every write names the jobs it touched under a new number; a reader asks for
    # the numbers above the last it saw. AUTOINCREMENT: a number is never reused,
    # even after the newest rows are trimmed. ``origin`` lets a process skip its own.
    """
    CREATE TABLE changes (
        seq      INTEGER PRIMARY KEY AUTOINCREMENT,
        provider TEXT NOT NULL,
        job_id   TEXT NOT NULL,
        op       TEXT NOT NULL,
        origin   TEXT NOT NULL
    )
    """,
    # One row per provider ever polled; expired rows stay so that the schedule
    # state (``hold_until``) and the last health survive a hand-over.
    """
    CREATE TABLE leases (
        provider   TEXT PRIMARY KEY,
        holder     TEXT NOT NULL,
        pid        INTEGER NOT NULL,
        host       TEXT NOT NULL,
        heartbeat  TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        hold_until TEXT,
        health     TEXT
    )
    """,
    """
    CREATE TABLE requests (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        provider   TEXT NOT NULL,
        op         TEXT NOT NULL,
        job_id     TEXT,
        value      REAL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX requests_by_provider ON requests (provider, seq)",
)


def _bus_tables(conn: sqlite3.Connection) -> None:
    """The bus: change numbers, leases and requests (self-contained, adds tables only)."""
    for statement in _BUS_TABLES:
        conn.execute(statement)


_SHARING_TABLES = (
    # A claim is a poller's promise to poll the job now; it lapses at claim_until,
    # so a poller that dies leaves its jobs to the others after one lease period.
    "ALTER TABLE jobs ADD COLUMN claimed_by TEXT",
    "ALTER TABLE jobs ADD COLUMN claim_until TEXT",
    # One row per provider polled in shared mode: the team's budget and hold.
    # ``stamp`` is Unix seconds (the bucket's arithmetic needs a number).
    """
    CREATE TABLE buckets (
        provider      TEXT PRIMARY KEY,
        tokens        REAL NOT NULL,
        stamp         REAL NOT NULL,
        blocked_until TEXT,
        block_state   TEXT,
        block_reason  TEXT
    )
    """,
    "CREATE INDEX jobs_due ON jobs (provider, next_poll_at)",
)


def _sharing_tables(conn: sqlite3.Connection) -> None:
    """Claims on jobs and the shared buckets (self-contained: two columns, one table)."""
    for statement in _SHARING_TABLES:
        conn.execute(statement)


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    # New constraints (the foreign key, the primary key) need new tables: copy, then swap.
    conn.execute("ALTER TABLE jobs RENAME TO jobs_v1")
    conn.execute("ALTER TABLE transitions RENAME TO transitions_v1")
    _create_v2(conn)
    conn.execute(
        """
        INSERT OR IGNORE INTO jobs (provider, id, kind, label, added_at, state, state_seen,
                                    raw_status, snapshot, next_poll_at, poll_error, polled_at)
        SELECT provider, id,
               COALESCE(json_extract(job_json, '$.kind'), provider),
               label, added_at, COALESCE(state, 'unknown'),
               EXISTS (SELECT 1 FROM transitions_v1 t
                       WHERE t.provider = j.provider AND t.id = j.id),
               json_extract(job_json, '$.raw_status'),
               job_json, next_poll_at, last_error, NULL
        FROM jobs_v1 j
        """
    )
    conn.execute(
        """
        INSERT INTO transitions (provider, id, at, from_state, to_state, raw_status)
        SELECT t.provider, t.id, t.at, t.from_state, t.to_state, NULL
        FROM transitions_v1 t JOIN jobs j ON j.provider = t.provider AND j.id = t.id
        ORDER BY t.rowid
        """
    )
    conn.execute("DROP TABLE transitions_v1")
    conn.execute("DROP TABLE jobs_v1")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
    4: _bus_tables,
    5: _sharing_tables,
}
"""Step from version ``n`` (the key) to ``n + 1``."""

SCHEMA_VERSION = 6
"""The version this code writes."""


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a database at ``version`` to ``SCHEMA_VERSION`` (inside the caller's transaction)."""
    if version == 0:
        create_schema(conn)
    else:
        for step in range(version, SCHEMA_VERSION):
            MIGRATIONS[step](conn)
    # PRAGMA takes no parameters; the value is our own integer constant.
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
