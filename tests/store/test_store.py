"""The store, SQLite and PostgreSQL alike: watching, poll outcomes, transitions, listing."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from jobtui.model import Job, JobItem, JobState
from jobtui.store import JobStore, PollOutcome, Store, StoreError, Transition, is_url, open_store

from support.data import REAL_PAYLOADS

T0 = datetime(2026, 3, 4, 12, 0, 0, 123456, tzinfo=UTC)
REAL_PAYLOADS = REAL_PAYLOADS
PAYLOAD: dict[str, Any] = {
    "id": 269999729,
    "status": "success",
    "data": {"outputs": [{"labels": {"predicted": [{"label_name": "chien ✓", "score": 0.95}]}}]},
    "nested": [[1, 2.5, None, True], {"deep": {"er": ["🦮", "\u202eevil"]}}],
    "big": 12345678901234567890,
}


def job(
    job_id: str = "269999729",
    state: JobState = JobState.RUNNING,
    *,
    provider: str = "deepo",
    raw_status: str | None = "pending",
    raw: Any = None,
) -> Job:
    return Job(
        kind="deepomatic",
        provider=provider,
        id=job_id,
        state=state,
        raw_status=raw_status,
        created_at=T0 - timedelta(minutes=3),
        progress=0.5,
        summary="golden retriever 0.95",
        items=(JobItem(id="0", label="golden retriever 0.95", state=JobState.SUCCEEDED),),
        raw=PAYLOAD if raw is None else raw,
    )


def ok(snapshot: Job, at: datetime = T0, next_poll: datetime | None = None) -> PollOutcome:
    return PollOutcome(snapshot.provider, snapshot.id, at, next_poll, job=snapshot)


def failed(
    job_id: str,
    error: str,
    at: datetime = T0,
    mark: JobState | None = None,
    provider: str = "deepo",
) -> PollOutcome:
    return PollOutcome(
        provider, job_id, at, at + timedelta(seconds=30), error=error, mark_state=mark
    )


@pytest.fixture
def store(store_location: str | Path) -> Iterator[JobStore]:
    with open_store(store_location) as opened:
        yield opened


def tamper(location: str | Path, statement: str, rows: Sequence[tuple[Any, ...]] = ((),)) -> None:
    """Run ``statement`` (``?`` placeholders) on the store's database behind its back."""
    if is_url(location):
        import psycopg

        with psycopg.connect(str(location), autocommit=True) as conn, conn.cursor() as cursor:
            cursor.executemany(statement.replace("?", "%s"), rows)
        return
    raw = sqlite3.connect(location)
    raw.executemany(statement, rows)
    raw.commit()
    raw.close()


def watch(store: JobStore, *ids: str, provider: str = "deepo") -> int:
    return store.add_jobs((provider, "deepomatic", job_id, None) for job_id in ids)


# -- watching -----------------------------------------------------------------


def test_added_job_is_unknown_and_never_fetched(store: JobStore) -> None:
    assert store.add_jobs([("deepo", "deepomatic", "1", "retriever batch")]) == 1
    watched = store.get_job("deepo", "1")
    assert watched is not None
    assert (watched.provider, watched.kind, watched.id) == ("deepo", "deepomatic", "1")
    assert watched.label == "retriever batch"
    assert watched.job is None and watched.state is JobState.UNKNOWN
    assert watched.poll_error is None and watched.polled_at is None
    assert watched.next_poll_at is None
    assert watched.added_at.tzinfo is not None and watched.added_at.utcoffset() == timedelta(0)
    assert store.transitions("deepo", "1") == []


def test_adding_again_counts_only_new_jobs_and_keeps_the_label(store: JobStore) -> None:
    assert (
        store.add_jobs([("deepo", "deepomatic", "1", "first"), ("deepo", "deepomatic", "2", None)])
        == 2
    )
    assert (
        store.add_jobs([("deepo", "deepomatic", "1", "second"), ("deepo", "deepomatic", "3", None)])
        == 1
    )
    assert store.count_jobs() == 3
    first = store.get_job("deepo", "1")
    assert first is not None and first.label == "first"


def test_same_id_at_two_providers_is_two_jobs(store: JobStore) -> None:
    assert watch(store, "7", provider="a") + watch(store, "7", provider="b") == 2
    assert {j.provider for j in store.list_jobs()} == {"a", "b"}


def test_add_rejects_an_empty_id(store: JobStore) -> None:
    with pytest.raises(ValueError, match="id"):
        store.add_jobs([("deepo", "deepomatic", "", None)])
    assert store.count_jobs() == 0


def test_time_added_can_come_from_a_clock(store: JobStore) -> None:
    store.add_jobs([("deepo", "deepomatic", "1", None)], added_at=T0)
    store.add_jobs([("deepo", "deepomatic", "1", None)], added_at=T0 + timedelta(days=1))
    watched = store.get_job("deepo", "1")
    assert watched is not None and watched.added_at == T0


def test_adding_with_relabel_replaces_labels_given(store: JobStore) -> None:
    store.add_jobs([("deepo", "deepomatic", "1", "old"), ("deepo", "deepomatic", "2", "keep")])
    added = store.add_jobs(
        [("deepo", "deepomatic", "1", "new"), ("deepo", "deepomatic", "2", None),
         ("deepo", "deepomatic", "3", "fresh")],
        relabel=True,
    )  # fmt: skip
    assert added == 1
    assert {j.id: j.label for j in store.list_jobs()} == {"1": "new", "2": "keep", "3": "fresh"}


def test_set_label(store: JobStore) -> None:
    watch(store, "1")
    assert store.set_label("deepo", "1", "renamed") is True
    assert store.set_label("deepo", "nope", "x") is False
    got = store.get_job("deepo", "1")
    assert got is not None and got.label == "renamed"


def test_remove_counts_watched_jobs_and_drops_their_history(store: JobStore) -> None:
    watch(store, "1", "2", "3")
    store.save_outcomes([ok(job("1")), ok(job("2"))])
    assert store.remove_jobs("deepo", ["1", "2", "missing"]) == 2
    assert store.get_job("deepo", "1") is None
    assert store.transitions("deepo", "1") == []
    assert [j.id for j in store.list_jobs()] == ["3"]
    # Watching it again starts a fresh history.
    watch(store, "1")
    [again] = store.save_outcomes([ok(job("1"))])
    assert again.from_state is None


# -- poll outcomes ------------------------------------------------------------


def test_snapshot_round_trips_exactly_with_raw(store: JobStore) -> None:
    watch(store, "269999729")
    snapshot = job()
    store.save_outcomes([ok(snapshot, next_poll=T0 + timedelta(seconds=5))])
    watched = store.get_job("deepo", "269999729")
    assert watched is not None
    assert watched.job == snapshot
    assert watched.job.raw == PAYLOAD
    assert watched.state is JobState.RUNNING
    assert watched.polled_at == T0 and watched.next_poll_at == T0 + timedelta(seconds=5)


def test_real_payloads_round_trip(store: JobStore) -> None:
    payloads = {p.name: json.loads(p.read_text()) for p in REAL_PAYLOADS.glob("*.json")}
    assert payloads
    watch(store, *payloads)
    store.save_outcomes([ok(job(name, raw=raw)) for name, raw in payloads.items()])
    for name, raw in payloads.items():
        watched = store.get_job("deepo", name)
        assert watched is not None and watched.job is not None and watched.job.raw == raw


def test_timestamps_come_back_aware_in_utc(store: JobStore) -> None:
    watch(store, "1")
    paris = timezone(timedelta(hours=1))
    at = datetime(2026, 3, 4, 13, 0, 0, tzinfo=paris)
    store.save_outcomes([ok(job("1"), at=at, next_poll=at + timedelta(microseconds=1))])
    watched = store.get_job("deepo", "1")
    [change] = store.transitions("deepo", "1")
    assert watched is not None and watched.polled_at is not None
    for moment in (watched.polled_at, watched.next_poll_at, watched.added_at, change.at):
        assert moment is not None and moment.tzinfo is not None
        assert moment.utcoffset() == timedelta(0)
    assert watched.polled_at == datetime(2026, 3, 4, 12, 0, 0, tzinfo=UTC)
    assert watched.next_poll_at == watched.polled_at + timedelta(microseconds=1)


def test_naive_timestamp_is_refused_before_anything_is_written(store: JobStore) -> None:
    watch(store, "1", "2")
    naive = datetime(2026, 3, 4, 12, 0, 0)
    with pytest.raises(ValueError, match="timezone"):
        store.save_outcomes([ok(job("1")), ok(job("2"), at=naive)])
    first = store.get_job("deepo", "1")
    assert first is not None and first.job is None


def test_poll_outcome_holds_exactly_one_of_job_and_error() -> None:
    with pytest.raises(ValueError):
        PollOutcome("deepo", "1", T0, None)
    with pytest.raises(ValueError):
        PollOutcome("deepo", "1", T0, None, job=job("1"), error="boom")


def test_first_state_is_a_transition_from_nothing(store: JobStore) -> None:
    watch(store, "1")
    recorded = store.save_outcomes([ok(job("1", JobState.QUEUED, raw_status="queued"))])
    expected = Transition("deepo", "1", T0, None, JobState.QUEUED, "queued")
    assert recorded == [expected]
    assert store.transitions("deepo", "1") == [expected]


def test_only_state_changes_are_transitions(store: JobStore) -> None:
    watch(store, "1")
    states = [JobState.QUEUED, JobState.QUEUED, JobState.RUNNING, JobState.RUNNING,
              JobState.SUCCEEDED]  # fmt: skip
    returned: list[Transition] = []
    for n, state in enumerate(states):
        returned += store.save_outcomes([ok(job("1", state), at=T0 + timedelta(seconds=n))])
    history = store.transitions("deepo", "1")
    assert history == returned
    assert [(t.from_state, t.to_state) for t in history] == [
        (None, JobState.QUEUED),
        (JobState.QUEUED, JobState.RUNNING),
        (JobState.RUNNING, JobState.SUCCEEDED),
    ]
    assert [t.at for t in history] == [T0, T0 + timedelta(seconds=2), T0 + timedelta(seconds=4)]


def test_failed_poll_keeps_the_last_good_snapshot(store: JobStore) -> None:
    watch(store, "1")
    snapshot = job("1", JobState.RUNNING)
    store.save_outcomes([ok(snapshot)])
    later = T0 + timedelta(minutes=1)
    assert store.save_outcomes([failed("1", "HTTP 503: service unavailable", at=later)]) == []
    watched = store.get_job("deepo", "1")
    assert watched is not None
    assert watched.job == snapshot and watched.state is JobState.RUNNING
    assert watched.poll_error == "HTTP 503: service unavailable"
    assert watched.polled_at == later and watched.next_poll_at == later + timedelta(seconds=30)
    # The next success clears the error.
    store.save_outcomes([ok(job("1", JobState.RUNNING), at=later + timedelta(seconds=30))])
    again = store.get_job("deepo", "1")
    assert again is not None and again.poll_error is None


def test_not_found_marks_unknown_and_records_it(store: JobStore) -> None:
    watch(store, "1")
    snapshot = job("1", JobState.RUNNING)
    store.save_outcomes([ok(snapshot)])
    later = T0 + timedelta(minutes=1)
    recorded = store.save_outcomes(
        [failed("1", "not found at provider", at=later, mark=JobState.UNKNOWN)]
    )
    assert recorded == [Transition("deepo", "1", later, JobState.RUNNING, JobState.UNKNOWN, None)]
    watched = store.get_job("deepo", "1")
    assert watched is not None
    assert watched.state is JobState.UNKNOWN
    assert watched.job == snapshot  # the last good fields stay
    assert store.list_jobs(state=JobState.UNKNOWN) == [watched]
    assert store.list_jobs(state=JobState.RUNNING) == []


def test_error_on_a_never_fetched_job_records_nothing_until_marked(store: JobStore) -> None:
    watch(store, "1")
    assert store.save_outcomes([failed("1", "timeout")]) == []
    [marked] = store.save_outcomes([failed("1", "gone", mark=JobState.UNKNOWN)])
    assert (marked.from_state, marked.to_state) == (None, JobState.UNKNOWN)
    [found] = store.save_outcomes([ok(job("1", JobState.RUNNING))])
    assert (found.from_state, found.to_state) == (JobState.UNKNOWN, JobState.RUNNING)


def test_outcomes_of_jobs_no_longer_watched_are_ignored(store: JobStore) -> None:
    watch(store, "1")
    recorded = store.save_outcomes([ok(job("gone")), ok(job("1")), failed("also-gone", "x")])
    assert [t.id for t in recorded] == ["1"]
    assert store.get_job("deepo", "gone") is None
    assert store.count_jobs() == 1


def test_one_job_twice_in_a_batch_applies_in_order(store: JobStore) -> None:
    watch(store, "1")
    recorded = store.save_outcomes(
        [
            ok(job("1", JobState.QUEUED)),
            ok(job("1", JobState.RUNNING), at=T0 + timedelta(seconds=1)),
            failed("1", "HTTP 502", at=T0 + timedelta(seconds=2)),
        ]
    )
    assert [(t.from_state, t.to_state) for t in recorded] == [
        (None, JobState.QUEUED),
        (JobState.QUEUED, JobState.RUNNING),
    ]
    watched = store.get_job("deepo", "1")
    assert watched is not None and watched.job is not None
    assert watched.job.state is JobState.RUNNING and watched.poll_error == "HTTP 502"


def test_a_batch_is_all_or_nothing(store: JobStore, store_location: str | Path) -> None:
    watch(store, "1", "2", "boom")
    # A trigger in the real database fails the third update: the first two must roll back.
    if is_url(store_location):
        tamper(
            store_location,
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'refused'; END $$",
        )
        tamper(
            store_location,
            "CREATE TRIGGER refuse BEFORE UPDATE ON jobs FOR EACH ROW"
            " WHEN (NEW.id = 'boom') EXECUTE FUNCTION refuse()",
        )
        drop = "DROP TRIGGER refuse ON jobs"
    else:
        tamper(
            store_location,
            "CREATE TRIGGER refuse BEFORE UPDATE ON jobs WHEN NEW.id = 'boom'"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        drop = "DROP TRIGGER refuse"
    with pytest.raises(StoreError, match="refused"):
        store.save_outcomes([ok(job("1")), ok(job("2")), ok(job("boom"))])
    assert all(j.job is None for j in store.list_jobs())
    assert store.transitions("deepo", "1") == []
    tamper(store_location, drop)
    # The store is still usable after the rollback.
    assert len(store.save_outcomes([ok(job("1"))])) == 1


def test_kind_follows_the_snapshot(store: JobStore) -> None:
    store.add_jobs([("mine", "superai", "1", None)])
    snapshot = job("1", provider="mine").model_copy(update={"kind": "deepomatic"})
    store.save_outcomes([ok(snapshot)])
    watched = store.get_job("mine", "1")
    assert watched is not None and watched.kind == "deepomatic"


# -- listing ------------------------------------------------------------------


def test_list_filters_by_provider_and_state(store: JobStore) -> None:
    watch(store, "1", "2", "3", provider="a")
    watch(store, "4", provider="b")
    store.save_outcomes(
        [
            ok(job("1", JobState.RUNNING, provider="a")),
            ok(job("2", JobState.FAILED, provider="a")),
            ok(job("4", JobState.RUNNING, provider="b")),
        ]
    )
    assert [j.id for j in store.list_jobs(provider="a")] == ["1", "2", "3"]
    assert [j.id for j in store.list_jobs(state=JobState.RUNNING)] == ["1", "4"]
    assert [j.id for j in store.list_jobs("a", JobState.UNKNOWN)] == ["3"]
    assert store.list_jobs(provider="c") == []


def test_list_orders_by_provider_then_time_added_then_id(store: JobStore) -> None:
    watch(store, "z", provider="b")
    watch(store, "b", "a", provider="a")
    watch(store, "0", provider="a")
    assert [(j.provider, j.id) for j in store.list_jobs()] == [
        ("a", "a"), ("a", "b"), ("a", "0"), ("b", "z"),
    ]  # fmt: skip


def test_an_unreadable_snapshot_hides_only_itself(
    store: JobStore, store_location: str | Path
) -> None:
    watch(store, "1", "2", "3")
    store.save_outcomes([ok(job("1")), ok(job("2")), ok(job("3"))])
    tamper(store_location, "UPDATE jobs SET snapshot = '{\"kind\": 1}' WHERE id = '2'")
    listed = {j.id: j for j in store.list_jobs()}
    assert listed["1"].job == job("1") and listed["3"].job == job("3")
    assert listed["2"].job is None and listed["2"].state is JobState.RUNNING


def test_snapshots_never_land_on_another_row(store: JobStore, store_location: str | Path) -> None:
    # Hand-edited snapshots that would shift when parsed together: each row alone.
    watch(store, "1", "2", "3")
    other = '{"kind":"deepomatic","provider":"deepo","id":"X","state":"failed"}'
    edits = {
        "1": "null," + other,
        "2": '{"kind":"deepomatic","provider":"deepo","id":"2","state":"running","raw":[1',
        "3": "2]}",
    }
    tamper(
        store_location,
        "UPDATE jobs SET snapshot = ?, raw = NULL WHERE id = ?"
        if is_url(store_location)
        else "UPDATE jobs SET snapshot = ? WHERE id = ?",
        [(v, k) for k, v in edits.items()],
    )
    assert [j.job for j in store.list_jobs()] == [None, None, None]


def test_closed_store_says_so(store_location: str | Path) -> None:
    store = open_store(store_location)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_jobs()


def test_listing_without_raw_keeps_every_other_field(
    store: JobStore, store_location: str | Path
) -> None:
    watch(store, "1", "2", "3")
    store.save_outcomes([ok(job("1")), ok(job("2")), ok(job("3"))])
    tamper(store_location, "UPDATE jobs SET snapshot = 'not json' WHERE id = '3'")
    light = {j.id: j for j in store.list_jobs(include_raw=False)}
    assert light["1"].job == job("1").model_copy(update={"raw": None})
    assert light["3"].job is None  # unreadable: hidden alone, the listing still works
    whole = store.get_job("deepo", "1")
    assert whole is not None and whole.job == job("1")  # the payload is still stored


def test_get_job_leaves_out_payloads_over_a_limit(store: JobStore) -> None:
    big = {"images": ["x" * 100 for _ in range(100)]}  # about 10,000 characters
    watch(store, "small", "big")
    store.save_outcomes([ok(job("small")), ok(job("big", raw=big))])
    small = store.get_job("deepo", "small", raw_limit=5_000)
    assert small is not None and small.job == job("small")
    stripped = store.get_job("deepo", "big", raw_limit=5_000)
    assert stripped is not None and stripped.job == job("big", raw=big).model_copy(
        update={"raw": None}
    )
    whole = store.get_job("deepo", "big", raw_limit=50_000)
    assert whole is not None and whole.job is not None and whole.job.raw == big
    assert store.get_job("deepo", "absent", raw_limit=5_000) is None


# --- the lean listing ------------------------------------------------------------------------


def test_a_lean_listing_has_what_the_list_shows_without_raw_or_items(
    store_location: str | Path,
) -> None:
    with open_store(store_location) as store:
        store.add_jobs([("deepo", "deepomatic", "1", "a"), ("deepo", "deepomatic", "2", None)])
        store.save_outcomes([ok(job("1"))])
        first = job("1")
        store.save_outcomes([ok(job("1", JobState.SUCCEEDED, raw_status="success"))])
        store.save_outcomes([failed("1", "HTTP 503")])  # a failed poll keeps the listing
        lean = {w.id: w for w in store.list_jobs(lean=True)}
        whole = store.get_job("deepo", "1")
    assert whole is not None and whole.job is not None and whole.job.items
    assert lean["1"].job == whole.job.model_copy(update={"raw": None, "items": ()})
    assert lean["1"].job != first
    assert (lean["1"].label, lean["1"].poll_error) == ("a", "HTTP 503")
    assert lean["2"].job is None


def test_a_version_3_store_gains_its_listing(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.add_jobs([("deepo", "deepomatic", "1", None)])
        store.save_outcomes([ok(job("1"))])
    conn = sqlite3.connect(path)
    # Back to version 3: the listing column did not exist.
    conn.execute("ALTER TABLE jobs DROP COLUMN listing")
    for table in ("changes", "leases", "requests"):  # the bus (version 5) came later
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DROP INDEX jobs_due")  # shared polling (version 6) came later still
    conn.execute("DROP TABLE buckets")
    for column in ("claimed_by", "claim_until"):
        conn.execute(f"ALTER TABLE jobs DROP COLUMN {column}")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    with Store(path) as store:
        [lean] = store.list_jobs(lean=True)
        with store._reading() as reader:
            [(listing,)] = reader.execute("SELECT listing FROM jobs").fetchall()
    assert listing is not None and '"raw"' not in listing and '"items"' not in listing
    assert lean.job == job("1").model_copy(update={"raw": None, "items": ()})


_OPEN_AT_ONCE = """
import sys, time
from jobtui.store import Store
start = float(sys.argv[2])
while time.time() < start:
    pass
with Store(sys.argv[1]) as store:
    store.add_jobs([("deepo", "deepomatic", sys.argv[3], None)])
"""


def test_processes_opening_a_new_store_at_once_all_open_it(tmp_path: Path) -> None:
    # A dashboard and the poller it forks open a new store file in the same instant:
    # both switch it to WAL, and SQLite answers one of them "locked" without waiting.
    path = tmp_path / "jobs.sqlite"
    start = time.time() + 1.0  # a common instant, after every interpreter started
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_AT_ONCE, str(path), str(start), str(n)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(6)
    ]
    errors = [child.communicate(timeout=120)[1] for child in children]
    assert [child.returncode for child in children] == [0] * 6, errors
    with Store(path) as store:
        assert sorted(job.id for job in store.list_jobs()) == [str(n) for n in range(6)]
