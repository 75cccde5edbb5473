"""The PostgreSQL store's schema, its version, and creating or migrating it on open.

The tables mirror the SQLite schema at the same ``SCHEMA_VERSION`` (see
``jobtui.store.schema``), with PostgreSQL types: ``timestamptz`` for every
time, identity columns for the change, transition and request numbers. A
snapshot is kept as two texts, the job without its payload (``snapshot``)
and the payload (``raw``), so a listing never reads the payloads and one job
comes back whole by joining the two texts; ``listing`` is what a job list
shows (no payload, no items).

The version lives in ``jobtui_schema``. Opening a store takes a transaction
advisory lock before looking at it, so two processes opening a fresh
database at once create it once; a store at the current version is only
read (a role without write rights can open it).
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from jobtui.store.postgres.connection import Connection
from jobtui.store.records import StoreError
from jobtui.store.schema import SCHEMA_VERSION

__all__ = ["MIGRATIONS", "SCHEMA_LOCK", "current_version", "ensure_schema", "require_current"]

SCHEMA_LOCK = 0x6A6F6274  # "jobt": the advisory lock key held while creating or migrating

_TABLES = (
    "CREATE TABLE jobtui_schema (version integer NOT NULL)",
    """
    CREATE TABLE jobs (
        provider     text NOT NULL,
        id           text NOT NULL,
        kind         text NOT NULL,
        label        text,
        added_at     timestamptz NOT NULL,
        state        text NOT NULL DEFAULT 'unknown',
        state_seen   boolean NOT NULL DEFAULT false,
        raw_status   text,
        snapshot     text,   -- the Job as JSON without ``raw``
        raw          text,   -- the provider's payload as JSON
        listing      text,   -- the Job without ``raw`` and ``items``
        next_poll_at timestamptz,
        poll_error   text,
        polled_at    timestamptz,
        PRIMARY KEY (provider, id)
    )
    """,
    "CREATE INDEX jobs_by_state ON jobs (state, provider)",
    """
    CREATE TABLE transitions (
        seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        provider   text NOT NULL,
        id         text NOT NULL,
        at         timestamptz NOT NULL,
        from_state text,
        to_state   text NOT NULL,
        raw_status text,
        FOREIGN KEY (provider, id) REFERENCES jobs (provider, id) ON DELETE CASCADE
    )
    """,
    "CREATE INDEX transitions_by_job ON transitions (provider, id, at, seq)",
    "CREATE INDEX transitions_by_time ON transitions (at)",
    """
    CREATE TABLE request_counts (
        provider text NOT NULL,
        minute   timestamptz NOT NULL,
        count    bigint NOT NULL,
        PRIMARY KEY (provider, minute)
    )
    """,
    # Numbered in commit order: writers that record changes take CHANGE_LOCK first
    # (see jobtui.store.postgres.sql), so a reader that saw N never misses N - 1.
    """
    CREATE TABLE changes (
        seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        provider text NOT NULL,
        job_id   text NOT NULL,
        op       text NOT NULL,
        origin   text NOT NULL
    )
    """,
    """
    CREATE TABLE leases (
        provider   text PRIMARY KEY,
        holder     text NOT NULL,
        pid        integer NOT NULL,
        host       text NOT NULL,
        heartbeat  timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        hold_until timestamptz,
        health     text
    )
    """,
    """
    CREATE TABLE requests (
        seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        provider   text NOT NULL,
        op         text NOT NULL,
        job_id     text,
        value      double precision,
        created_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX requests_by_provider ON requests (provider, seq)",
)


def _create(conn: Connection) -> None:
    for statement in _TABLES:
        conn.execute(statement)
    conn.execute("INSERT INTO jobtui_schema (version) VALUES (%s)", (SCHEMA_VERSION,))


MIGRATIONS: dict[int, Callable[[Connection], None]] = {}
"""Step from version ``n`` (the key) to ``n + 1``; PostgreSQL stores begin at version 5."""


def current_version(conn: Connection) -> int:
    """The store's schema version; 0 for a database without jobtui's tables."""
    # An MVCC read of the catalog, not to_regclass: the latter may answer from a cache
    # that a process waiting on the advisory lock has not refreshed yet.
    found = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_tables"
        " WHERE schemaname = current_schema() AND tablename = 'jobtui_schema')"
    ).fetchone()
    if not found or not found[0]:
        return 0
    row = conn.execute("SELECT max(version) FROM jobtui_schema").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _check(version: int, where: str) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{where}: the store was written by a newer jobtui "
            f"(schema {version}; this version reads up to {SCHEMA_VERSION})"
        )


def require_current(conn: Connection, where: str) -> None:
    """For a read-only viewer: the schema must be current, since it may change nothing."""
    version = current_version(conn)
    if version != SCHEMA_VERSION:
        state = "has no jobtui tables" if version == 0 else f"is at schema {version}"
        raise StoreError(
            f"{where}: the store {state} (this jobtui needs {SCHEMA_VERSION}); a read-only"
            " viewer cannot create or migrate it: open it once with a role that may write"
            " (e.g. `jobtui ls`)"
        )


def ensure_schema(conn: Connection, where: str) -> int:
    """Create or migrate the schema (under the advisory lock) unless it is current.

    ``conn`` is in autocommit mode. Returns the version. A role that may not
    write gets a ``StoreError`` saying what to do rather than a bare SQL error.
    """
    version = current_version(conn)
    _check(version, where)
    if version == SCHEMA_VERSION:
        return version
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            # Another process may have created or migrated it while this one waited.
            version = current_version(conn)
            _check(version, where)
            if version == 0:
                other = conn.execute(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
                ).fetchone()
                if other and other[0]:
                    raise StoreError(f"{where}: not a jobtui store (it holds other tables)")
                _create(conn)
            elif version < SCHEMA_VERSION:
                for step in range(version, SCHEMA_VERSION):
                    MIGRATIONS[step](conn)
                conn.execute("UPDATE jobtui_schema SET version = %s", (SCHEMA_VERSION,))
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction):
        state = "has no jobtui tables" if version == 0 else f"is at schema {version}"
        raise StoreError(
            f"{where}: the store {state} (this jobtui needs {SCHEMA_VERSION}) and this role may"
            " not change it; open it once with a role that owns the tables (e.g. `jobtui ls`)"
        ) from None
    return SCHEMA_VERSION
