"""What only the PostgreSQL store has: schema on open, notifications, reconnects, roles.

A real server (``tests/support/pgserver.py``), a fresh database per test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from jobtui.store import StoreError, open_store
from jobtui.store.postgres import PostgresStore
from jobtui.store.schema import SCHEMA_VERSION

from support.pgserver import PostgresServer
from support.waiting import wait_until_sync

TART = "tensorart"


@pytest.fixture
def store(pg_url: str) -> Iterator[PostgresStore]:
    with PostgresStore(pg_url) as opened:
        yield opened


def test_two_processes_opening_a_fresh_database_create_it_once(pg_url: str) -> None:
    opened: list[PostgresStore] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_one() -> None:
        barrier.wait()
        try:
            opened.append(PostgresStore(pg_url))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        assert {store.schema_version for store in opened} == {SCHEMA_VERSION}
        with psycopg.connect(pg_url) as conn:
            assert conn.execute("SELECT count(*) FROM jobtui_schema").fetchone() == (1,)
    finally:
        for store in opened:
            store.close()


def test_a_newer_schema_is_refused_and_other_tables_too(pg_url: str) -> None:
    PostgresStore(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE jobtui_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer jobtui"):
        PostgresStore(pg_url)


def test_a_database_holding_other_tables_is_not_taken(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(StoreError, match="not a jobtui store"):
        PostgresStore(pg_url)


def test_times_are_timestamptz(store: PostgresStore, pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_name = 'jobs' AND column_name LIKE '%%_at'"
            ).fetchall()
        )
    assert set(types.values()) == {"timestamp with time zone"}


def test_a_write_wakes_a_waiting_viewer(store: PostgresStore, pg_url: str) -> None:
    with PostgresStore(pg_url) as viewer:
        assert not viewer.wait_for_change(0.01)  # opens the LISTEN connection: nothing yet
        woke: list[bool] = []
        waiter = threading.Thread(target=lambda: woke.append(viewer.wait_for_change(60)))
        started = time.monotonic()
        waiter.start()
        store.add_jobs([(TART, TART, "a", None)])
        waiter.join(30)
        # Woken by the notification, far before the 60 s it was ready to wait.
        assert woke == [True] and time.monotonic() - started < 30


def test_a_burst_of_writes_sends_a_bounded_number_of_notifications(pg_url: str) -> None:
    with PostgresStore(pg_url, notify_gap=0.2) as store:
        started = time.monotonic()
        for n in range(200):
            store.add_jobs([(TART, TART, f"j{n}", None)])
        elapsed = time.monotonic() - started
        store.close()  # the last folded notification goes out now
        # At most one a gap, plus the first at once and the last at close.
        assert store.notifications_sent <= elapsed / 0.2 + 2
        assert store.notifications_sent < 200


def test_without_notifications_a_viewer_still_finds_changes(pg_url: str) -> None:
    with PostgresStore(pg_url, notify=False) as writer, PostgresStore(pg_url) as viewer:
        version = viewer.data_version()
        writer.add_jobs([(TART, TART, "a", None)])
        assert writer.notifications_sent == 0
        assert viewer.data_version() != version  # the floor's check finds it


def test_a_lost_connection_is_reported_then_reopened(store: PostgresStore, pg_url: str) -> None:
    store.add_jobs([(TART, TART, "a", None)])
    assert not store.wait_for_change(0.01)
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'jobtui' AND datname = current_database()"
        )
    # The LISTEN connection is gone: the wait says so, and the store says why.
    wait_until_sync(lambda: store.wait_for_change(0.2) and store.problem, "the loss noticed")
    assert store.problem is not None and "terminat" in store.problem.lower()
    # The next waits reconnect; reads and writes open fresh connections too.
    wait_until_sync(lambda: not store.wait_for_change(0.05) and store.problem is None, "back")
    assert [job.id for job in store.list_jobs()] == ["a"]
    assert store.add_jobs([(TART, TART, "b", None)]) == 1


def test_close_ends_a_wait_at_once(pg_url: str) -> None:
    viewer = PostgresStore(pg_url)
    assert not viewer.wait_for_change(0.01)
    done = threading.Event()

    def wait() -> None:
        viewer.wait_for_change(120)
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    wait_until_sync(lambda: viewer._listener.waiting, "the viewer waiting")
    viewer.close()
    assert done.wait(30), "close() left the wait running"


# -- roles: a read-only viewer ----------------------------------------------------


READ_ONLY_ROLE_SQL = """
CREATE ROLE jobtui_viewer LOGIN;
GRANT CONNECT ON DATABASE {db} TO jobtui_viewer;
GRANT USAGE ON SCHEMA public TO jobtui_viewer;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO jobtui_viewer;
"""


def viewer_url(pg_server: PostgresServer, pg_url: str) -> str:
    db = pg_url.split("/")[3].split("?")[0]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'jobtui_viewer'").fetchone()
        for statement in READ_ONLY_ROLE_SQL.format(db=db).strip().splitlines():
            if exists and statement.startswith("CREATE ROLE"):
                continue
            conn.execute(statement)
    return pg_server.url(db, user="jobtui_viewer")


def test_a_read_only_role_reads_and_cannot_write(pg_server: PostgresServer, pg_url: str) -> None:
    with PostgresStore(pg_url) as owner:
        owner.add_jobs([(TART, TART, "a", "x")])
        assert owner.writable
    url = viewer_url(pg_server, pg_url)
    # Opened as any command opens it: the schema is current, so nothing is written.
    with open_store(url) as plain:
        assert [job.id for job in plain.list_jobs()] == ["a"]
        assert not plain.writable  # type: ignore[attr-defined]  # the dashboard goes read-only
        with pytest.raises(StoreError, match="permission denied"):
            plain.add_jobs([(TART, TART, "b", None)])
    with open_store(url, read_only=True) as viewer:
        assert [job.label for job in viewer.list_jobs()] == ["x"]
        assert viewer.changes_since(0).changed == {(TART, "a")}
        with pytest.raises(StoreError, match="read-only"):
            viewer.add_request(TART, "refresh")


def test_a_read_only_role_on_a_missing_schema_is_told_what_to_do(
    pg_server: PostgresServer, pg_url: str
) -> None:
    url = viewer_url(pg_server, pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    for read_only in (False, True):
        with pytest.raises(StoreError) as caught:
            open_store(url, read_only=read_only)
        message = str(caught.value)
        assert "no jobtui tables" in message and "jobtui ls" in message


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ana:p%40ss-9@127.0.0.1:1/db",
        "postgresql://ana@127.0.0.1:1/db?password=p%40ss-9",
    ],
)
def test_errors_are_scrubbed_of_every_spelling_of_the_password(url: str) -> None:
    from jobtui.store.postgres.connection import failure, scrub

    message = f"could not use p@ss-9 (p%40ss-9) from {url}"
    shown = scrub(message, url) + str(failure(url, RuntimeError(message)))
    assert "ss-9" not in shown and "***" in shown
    assert "p@ss-9" not in scrub("x", url, password="p@ss-9") + scrub("p@ss-9", url, "p@ss-9")
