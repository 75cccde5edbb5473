"""Start-up without payloads, the detail pane reading them back, and detail refreshes.

The dashboard (and the engine under it) lists jobs without their ``raw``
payloads; the detail pane reads a shown job whole from the store. Also: the
JSON tab after an update that kept the payload, relative times on the tick,
and a Result tree of 10,000 images built a page at a time.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from jobtui.engine import Engine
from jobtui.insights.failures import FAILURE_STATES
from jobtui.model import Job, JobKey, JobState
from jobtui.store import Store
from jobtui.tui.app import JobtuiApp, make_app
from jobtui.tui.feed.enginelink import TickChanges
from jobtui.tui.results.nodes import PAGE_SIZE
from jobtui.tui.screens.detailfollow import PAYLOAD_READ_AT_ONCE
from jobtui.tui.widgets.detail import DetailPane
from jobtui.tui.widgets.jsonview import JsonLines
from jobtui.tui.widgets.resulttree import ResultTree

from support.data import REAL_PAYLOADS
from support.detail import DetailHost, labels, make_job, screen_text
from support.detail import watched as detail_watched
from support.tui_data import (
    NOW,
    FrozenClock,
    open_store,
    seed_store,
    seeded_jobs,
    shell_config,
    watched,
)
from support.waiting import wait_until, wait_until_settled

REAL = REAL_PAYLOADS / "imageintelligence--v2-detect-get-completed.json"
KEY = ("ii", "detect-1")
BIG_KEY = ("ii", "detect-big")


def real_payload() -> dict[str, Any]:
    """A real Image Intelligence v2 detect answer."""
    payload = json.loads(REAL.read_text())
    assert isinstance(payload, dict)
    return payload


def big_payload() -> dict[str, Any]:
    """The real answer with its job results repeated past what is read on the event loop."""
    payload = real_payload()
    one = json.dumps(payload["jobResults"], separators=(",", ":"))
    payload["jobResults"] = payload["jobResults"] * (PAYLOAD_READ_AT_ONCE // len(one) + 2)
    assert len(json.dumps(payload, separators=(",", ":"))) > PAYLOAD_READ_AT_ONCE
    return payload


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """The shell's seeded jobs plus one newest job carrying a real payload."""
    store = open_store(tmp_path / "store.sqlite")
    with_payload = watched(
        "ii", KEY[1], JobState.SUCCEEDED, minutes_old=0.5, raw=real_payload()
    )
    with_big_payload = watched(
        "ii", BIG_KEY[1], JobState.SUCCEEDED, minutes_old=30, raw=big_payload()
    )
    seed_store(store, [*seeded_jobs(), with_payload, with_big_payload])
    yield store
    store.close()


def shown_payload(app: JobtuiApp) -> object:
    watched_job = app.dashboard.detail.watched
    job = watched_job.job if watched_job is not None else None
    return job.raw if job is not None else None


async def open_job(pilot: Pilot[Any], app: JobtuiApp, key: tuple[str, str]) -> None:
    """Put the cursor on ``key`` and wait until the detail shows its payload."""
    dashboard = app.dashboard
    assert dashboard.model.move_cursor_to_key(key)
    dashboard.job_list.sync()
    await wait_until(
        pilot,
        lambda: dashboard.detail.watched is not None
        and (dashboard.detail.watched.provider, dashboard.detail.watched.id) == key
        and shown_payload(app) is not None,
        f"the payload of {key}",
    )
    # The start-up focus may still be bubbling through the detail's tabs: let it
    # land first, or it switches a tab chosen next back to Result.
    await wait_until_settled(pilot)


# -- start-up without payloads ---------------------------------------------------------------------


async def test_list_holds_no_payload_and_detail_reads_it(store: Store) -> None:
    app = make_app(shell_config(), store, FrozenClock(), None, ascii_only=False, tz=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.loaded.wait()
        rows = list(app.model.rows())
        assert len(rows) == len(seeded_jobs()) + 2
        assert all(row.watched.job is not None for row in rows)
        assert all(row.watched.job.raw is None for row in rows if row.watched.job is not None)
        await open_job(pilot, app, KEY)
        assert shown_payload(app) == real_payload()
        tree = app.dashboard.detail.query_one(ResultTree)
        shown = labels(tree)
        assert any(line.startswith("jobResults (2)") for line in shown), shown
        assert any(line.startswith("imageResults (2)") for line in shown), shown
        app.dashboard.detail.select_tab("json")
        shown_id = '"id": "5d689c71-e68f-46c3-ac71-4053806e71de"'
        await wait_until(
            pilot,
            lambda: shown_id in screen_text(app),
            "the JSON tab painted with the payload's id",
            detail=lambda: screen_text(app),
        )
        body = app.dashboard.detail.query_one(JsonLines)
        assert any('"feedId"' in line for line in body.lines)
        # Reading the payload for the detail pane leaves the list as it was.
        row = app.model.row(KEY)
        assert row is not None and row.watched.job is not None and row.watched.job.raw is None


def payload_reads(app: JobtuiApp) -> list[object]:
    return [worker for worker in app.workers if worker.group == "payload"]


async def drawn(pilot: Pilot[Any], app: JobtuiApp) -> None:
    """Wait until no cursor move's detail is waiting to be built."""
    await wait_until(pilot, lambda: not app.dashboard.detail_follower.pending, "the detail built")


def shown_key(app: JobtuiApp) -> JobKey | None:
    """The job the detail pane shows."""
    shown = app.dashboard.detail.watched
    return None if shown is None else (shown.provider, shown.id)


async def test_small_payload_is_shown_with_the_cursor_move(store: Store) -> None:
    app = make_app(shell_config(), store, FrozenClock(), None, ascii_only=False, tz=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.loaded.wait()
        await drawn(pilot, app)
        key = ("deepo", "269999729")
        assert app.dashboard.job_list.move_cursor_to_key(key)
        # The cursor's frame first: the detail is built after it.
        assert app.dashboard.detail_follower.pending
        await wait_until(pilot, lambda: shown_key(app) == key, "the detail on the cursor's job")
        # Shown at once with the whole job, read from the store on the event loop:
        # no read went to a thread, and no tree was built without the payload first.
        assert shown_payload(app) == {"id": "269999729", "status": "SUCCEEDED"}
        assert payload_reads(app) == []
        await wait_until(
            pilot,
            lambda: '"status": "SUCCEEDED"' in app.dashboard.detail.payload_text(),
            "the small payload's text in the detail",
        )


async def test_big_payload_is_read_in_a_thread_after_the_fields(store: Store) -> None:
    app = make_app(shell_config(), store, FrozenClock(), None, ascii_only=False, tz=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.loaded.wait()
        await drawn(pilot, app)
        assert app.dashboard.job_list.move_cursor_to_key(BIG_KEY)
        # What the cursor's move builds after its frame, built now: no turn of the
        # event loop lets the thread answer before the fields are checked.
        app.dashboard.show_detail(BIG_KEY)
        assert shown_key(app) == BIG_KEY
        shown = app.dashboard.detail.watched
        assert shown is not None
        assert shown.job is not None and shown.job.state is JobState.SUCCEEDED
        assert shown_payload(app) is None  # the fields now, the payload from the thread
        assert len(payload_reads(app)) == 1
        await wait_until(pilot, lambda: shown_payload(app) is not None, "the big payload")
        assert shown_payload(app) == big_payload()


async def test_payload_arriving_after_the_cursor_left_is_not_shown(store: Store) -> None:
    app = make_app(shell_config(), store, FrozenClock(), None, ascii_only=False, tz=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.loaded.wait()
        await drawn(pilot, app)
        dashboard = app.dashboard
        assert dashboard.model.move_cursor_to_key(BIG_KEY)
        dashboard.job_list.sync()
        dashboard.show_detail(BIG_KEY)  # what the move builds after its frame, built now
        assert payload_reads(app)  # the detail follows the cursor: its payload is being read
        other = ("deepo", "269999729")
        await open_job(pilot, app, other)
        await wait_until(pilot, lambda: not list(app.workers), "every read done")
        shown = dashboard.detail.watched
        assert shown is not None and (shown.provider, shown.id) == other
        assert shown_payload(app) == {"id": "269999729", "status": "SUCCEEDED"}


async def test_engine_start_lists_the_store_once_without_payloads(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store.sqlite")
    with_payload = watched("ii", KEY[1], JobState.SUCCEEDED, minutes_old=0.5, raw=real_payload())
    seed_store(store, [*seeded_jobs(), with_payload])
    config = shell_config()
    # No credentials: no provider can be built, so nothing is polled and nothing changes.
    engine = Engine(config, store, clock=FrozenClock(), providers={}, discover=False)
    app = make_app(config, store, FrozenClock(), engine, ascii_only=False, tz=UTC)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await app.loaded.wait()
            engine_jobs = engine.jobs()
            assert len(engine_jobs) == len(seeded_jobs()) + 1
            # Once the list is loaded, the failed and partial rows are read again whole, off
            # the loop (see below): that may have landed already. It replaces them and sets
            # ``whole`` in one step, so until it is set every row is the engine's own.
            read_again = app.dashboard.failure_watch.whole.is_set()
            for key, job in engine_jobs.items():
                assert job.job is None or job.job.raw is None
                # The dashboard took the engine's own objects: the store was listed once.
                row = app.model.row(key)
                assert row is not None
                if job.state not in FAILURE_STATES or not read_again:
                    assert row.watched is job, key
            await open_job(pilot, app, KEY)
            assert shown_payload(app) == real_payload()
            # The engine announced its start-up jobs; the list is not rebuilt for them. Only
            # the failed and partial rows are read again, whole (their items, for the failure
            # groups): wait for that, so it cannot land between two of these checks.
            await app.dashboard.failure_watch.whole.wait()
            for key, job in engine.jobs().items():
                if job.state in FAILURE_STATES:
                    row = app.model.row(key)
                    assert row is not None and row.watched.job is not None
                    assert row.watched.job.raw is None  # still no payload in the list
                else:
                    assert app.model.holds(job), key
            assert engine_jobs[KEY].job is not None and engine_jobs[KEY].job.raw is None
    finally:
        store.close()


# -- the JSON tab and updates ----------------------------------------------------------------------


async def test_json_tab_opened_after_an_update_keeping_the_payload_shows_it() -> None:
    job = make_job("superai", {"id": "7", "status": "IN_PROGRESS", "tags": ["poodle"]})
    app = DetailHost(detail_watched(job))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(DetailPane)
        await wait_until_settled(pilot)  # the start-up focus must not switch the tab back
        # A new poll: same payload, new poll time. The JSON tab was never drawn for it.
        pane.show(detail_watched(job, polled_at=NOW), [])
        pane.select_tab("json")
        await wait_until(
            pilot,
            lambda: '"poodle"' in screen_text(app) and "7 lines" in screen_text(app),
            "the JSON tab painted with the kept payload and its line count",
            detail=lambda: screen_text(app),
        )


async def test_json_tab_follows_a_super_ai_job_updated_while_shown(store: Store) -> None:
    app = make_app(shell_config(), store, FrozenClock(), None, ascii_only=False, tz=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.loaded.wait()
        key = ("sai", "job-7")
        await open_job(pilot, app, key)
        dashboard = app.dashboard
        dashboard.detail.select_tab("json")
        await wait_until(
            pilot,
            lambda: '"QUEUED"' in screen_text(app),
            "the JSON tab painted with the queued payload",
            detail=lambda: screen_text(app),
        )
        body = dashboard.detail.query_one(JsonLines)
        for position, status in ((2, "QUEUED"), (2, "QUEUED"), (1, "IN_PROGRESS")):
            raw = {"id": "job-7", "status": status, "queue": position}
            # Each poll brings a new snapshot: the same payload twice, then a new one.
            for _ in range(2):
                update = dataclasses.replace(
                    watched("sai", "job-7", JobState.QUEUED, queue=(position, 17), raw=raw),
                    polled_at=NOW,
                )
                dashboard.apply_changes(TickChanges(jobs={key: update}))
                await wait_until(
                    pilot,
                    lambda status=status: bool(body.lines)
                    and f'"{status}"' in screen_text(app)
                    and f"{len(body.lines)} lines" in screen_text(app),
                    f"the JSON tab painted with {status} and its line count",
                    detail=lambda: screen_text(app),
                )


# -- relative times on the tick --------------------------------------------------------------------


def finished_job() -> Job:
    return Job(
        kind="tensorart",
        provider="tart",
        id="9",
        state=JobState.SUCCEEDED,
        raw_status="SUCCESS",
        created_at=NOW - timedelta(minutes=2),
        started_at=NOW - timedelta(seconds=90),
        finished_at=NOW - timedelta(seconds=51),
        raw={"job": {"id": "9", "status": "SUCCESS"}, "extra": {"a": [1, 2, 3]}},
    )


async def test_relative_times_refresh_on_the_tick_without_a_rebuild(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store.sqlite")
    stored = dataclasses.replace(watched("tart", "9", JobState.SUCCEEDED), job=finished_job())
    seed_store(store, [stored])
    clock = FrozenClock()
    app = make_app(shell_config(), store, clock, None, ascii_only=False, tz=UTC)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await app.loaded.wait()
            await open_job(pilot, app, ("tart", "9"))
            tree = app.dashboard.detail.query_one(ResultTree)
            assert any("(51s ago)" in line for line in labels(tree)), labels(tree)
            nodes_before = [node for node in tree.root.children]
            clock.current = NOW + timedelta(seconds=9)
            app._tick()
            await wait_until(
                pilot,
                lambda: any("(1m ago)" in line for line in labels(tree)),
                "the tick relabelled 51s ago as 1m ago",
                detail=lambda: labels(tree),
            )
            shown = labels(tree)
            assert not any("(51s ago)" in line for line in shown)
            # The same tree lines, relabelled: nothing was rebuilt.
            assert [node for node in tree.root.children] == nodes_before
            assert all(a is b for a, b in zip(tree.root.children, nodes_before, strict=True))
    finally:
        store.close()


async def test_relabel_keeps_open_branches_and_cursor() -> None:
    moments = [NOW]
    job = finished_job()
    app = DetailHost(detail_watched(job))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(DetailPane)
        pane._now = lambda: moments[0]
        tree = app.query_one(ResultTree)
        branch = next(node for node in tree.root.children if node.allow_expand)
        branch.expand()
        await wait_until(pilot, lambda: bool(branch.children), "the branch opened")
        tree.move_cursor(branch.children[0])
        opened = {entry.path for _, entry in tree.entries()}
        moments[0] = NOW + timedelta(hours=2)
        pane.refresh_times()
        await wait_until(
            pilot,
            lambda: any("(2h ago)" in line for line in labels(tree)),
            "the times relabelled 2h ago",
            detail=lambda: labels(tree),
        )
        assert {entry.path for _, entry in tree.entries()} == opened
        assert tree.cursor_node is branch.children[0]
        assert any("(2h ago)" in line for line in labels(tree)), labels(tree)


# -- a Result tree of 10,000 images ----------------------------------------------------------------


async def test_ten_thousand_image_results_are_built_a_page_at_a_time() -> None:
    raw = real_payload()
    template = raw["imageResults"][0]
    raw["imageResults"] = [
        {**template, "customId": f"image-{index:05d}"} for index in range(10_000)
    ]
    job = make_job("imageintelligence", raw)
    app = DetailHost(detail_watched(job))
    async with app.run_test(size=(100, 30)) as pilot:
        tree = app.query_one(ResultTree)
        await wait_until(
            pilot,
            lambda: tree.find_node("imageResults (10,000)") is not None,
            "the Result tree built with its 10,000 images",
        )
        images = tree.find_node("imageResults (10,000)")
        assert images is not None and images.is_expanded
        assert len(images.children) == PAGE_SIZE + 1
        more = images.children[-1].data
        assert more is not None and more.text == f"… {10_000 - PAGE_SIZE:,} more"
        built = sum(1 for _ in tree.entries())
        assert built < 4 * PAGE_SIZE, built
        tree.load_more(images.children[-1])
        await wait_until(
            pilot,
            lambda: len(images.children) == 2 * PAGE_SIZE + 1,
            "the second page of images loaded",
            detail=lambda: len(images.children),
        )
        last = images.children[-1].data
        assert last is not None and last.text == f"… {10_000 - 2 * PAGE_SIZE:,} more"
