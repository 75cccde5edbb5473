"""The store as a bus, on both backends: change numbers, leases, requests.

Two store objects on one location stand for two processes (each has its own
connections and its own ``origin``); the cross-process tests with real
processes are in ``tests/cli/test_sharing.py`` and ``tests/cli/test_postgres.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobtui.store import JobStore, open_store

TART = "tensorart"
T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def pair(store_location: str | Path) -> Iterator[tuple[JobStore, JobStore]]:
    """A viewer and a writer on one store, as two processes would open it."""
    with open_store(store_location) as viewer, open_store(store_location) as writer:
        yield viewer, writer


def test_change_numbers_name_what_other_processes_wrote(
    pair: tuple[JobStore, JobStore],
) -> None:
    viewer, writer = pair
    start = viewer.latest_change()
    version = viewer.data_version()
    assert viewer.data_version() == version  # nobody wrote: nothing to read
    writer.add_jobs([(TART, TART, "a", None), (TART, TART, "b", "x")])
    assert viewer.data_version() != version
    batch = viewer.changes_since(start)
    assert batch.changed == {(TART, "a"), (TART, "b")} and not batch.removed
    writer.remove_jobs(TART, ["a"])
    later = viewer.changes_since(batch.seq)
    assert later.removed == {(TART, "a")} and later.seq > batch.seq
    # A process's own writes are not news to it.
    assert not writer.changes_since(start)
    assert viewer.latest_change() == later.seq


def test_change_numbers_only_grow_and_are_never_reused(pair: tuple[JobStore, JobStore]) -> None:
    viewer, writer = pair
    seen = []
    for n in range(5):
        writer.add_jobs([(TART, TART, f"j{n}", None)])
        seen.append(viewer.latest_change())
        writer.remove_jobs(TART, [f"j{n}"])
    assert seen == sorted(set(seen))
    assert viewer.changes_since(seen[-1]).removed == {(TART, "j4")}


def test_concurrent_writers_never_hide_a_change_from_a_reader(
    pair: tuple[JobStore, JobStore], store_location: str | Path
) -> None:
    viewer, writer = pair
    with open_store(store_location) as other:
        cursor = viewer.latest_change()
        seen: set[tuple[str, str]] = set()
        done = threading.Event()

        def write(store: JobStore, prefix: str) -> None:
            for n in range(40):
                store.add_jobs([(TART, TART, f"{prefix}{n}", None)])

        threads = [
            threading.Thread(target=write, args=(writer, "w")),
            threading.Thread(target=write, args=(other, "o")),
        ]
        for thread in threads:
            thread.start()

        def read() -> None:
            nonlocal cursor
            batch = viewer.changes_since(cursor)
            assert not batch.reset
            seen.update(batch.changed)
            cursor = batch.seq

        while not done.is_set():
            read()
            if not any(thread.is_alive() for thread in threads):
                done.set()
        for thread in threads:
            thread.join()
        read()
    # Reading while both wrote, following only the numbers: every job was seen.
    assert len(seen) == 80


def test_a_lease_goes_to_one_holder_until_it_expires_or_is_released(
    pair: tuple[JobStore, JobStore],
) -> None:
    one, two = pair
    taken = one.take_lease(TART, "A", pid=1, host="h", now=T0, period=10)
    assert taken is not None and taken.holder == "A" and taken.live(T0)
    assert (
        two.take_lease(TART, "B", pid=2, host="h", now=T0 + timedelta(seconds=5), period=10) is None
    )
    assert one.renew_lease(
        TART, "A", now=T0 + timedelta(seconds=5), period=10, hold_until=T0, health='{"x": 1}'
    )
    assert not two.renew_lease(TART, "B", now=T0, period=10, hold_until=None, health=None)
    # Expired: another holder takes it over, and finds what the last one left.
    later = T0 + timedelta(seconds=16)
    over = two.take_lease(TART, "B", pid=2, host="h", now=later, period=10)
    assert over is not None and over.holder == "B" and over.hold_until == T0
    assert over.health == '{"x": 1}'
    two.release_lease(TART, "B", hold_until=None, health="gone")
    lease = one.leases()[TART]
    assert lease.expires_at is None and not lease.live(later) and lease.health == "gone"
    again = one.take_lease(TART, "A", pid=1, host="h", now=later, period=10)
    assert again is not None and again.holder == "A"


def test_racing_takers_get_one_lease(store_location: str | Path) -> None:
    stores = [open_store(store_location) for _ in range(4)]
    try:
        results: list[object] = [None] * len(stores)
        barrier = threading.Barrier(len(stores))

        def take(n: int) -> None:
            barrier.wait()
            results[n] = stores[n].take_lease(TART, f"h{n}", pid=n, host="h", now=T0, period=10)

        threads = [threading.Thread(target=take, args=(n,)) for n in range(len(stores))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for store in stores:
            store.close()
    assert sum(result is not None for result in results) == 1


def test_requests_are_consumed_once_oldest_first(pair: tuple[JobStore, JobStore]) -> None:
    viewer, holder = pair
    version = holder.data_version()
    viewer.add_request(TART, "refresh", job_ids=["1", "2"], now=T0)
    viewer.add_request(TART, "scale", value=2.0, now=T0)
    viewer.add_request("deepo", "pause", now=T0)
    assert holder.data_version() != version  # a request is news to the holder
    assert holder.pending_requests() == 4
    taken = holder.take_requests([TART])
    assert [(r.op, r.job_id, r.value) for r in taken] == [
        ("refresh", "1", None), ("refresh", "2", None), ("scale", None, 2.0),
    ]  # fmt: skip
    assert holder.take_requests([TART]) == []
    assert [r.op for r in viewer.take_requests(["deepo", TART])] == ["pause"]
    assert holder.take_requests([]) == []


def test_request_counts_add_up_by_minute(pair: tuple[JobStore, JobStore]) -> None:
    one, two = pair
    one.record_requests({(TART, T0): 3, (TART, T0 + timedelta(seconds=30)): 2})
    two.record_requests({(TART, T0 + timedelta(minutes=1)): 4, ("deepo", T0): 1})
    assert one.request_counts() == {TART: 9, "deepo": 1}
    assert one.request_counts(T0 + timedelta(seconds=59)) == {TART: 9, "deepo": 1}
    assert one.request_counts(T0 + timedelta(minutes=1)) == {TART: 4}
