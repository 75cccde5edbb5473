"""Pilot tests of the detail pane in a minimal host app (no engine, frozen clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from jobtui.model import Job, JobItem, JobState
from jobtui.tui.results.nodes import PAGE_SIZE
from jobtui.tui.widgets.detail import DetailPane
from jobtui.tui.widgets.resulttree import ResultTree

from support.detail import (
    KINDS,
    NOW,
    DetailHost,
    expand_all,
    labels,
    make_job,
    real_payloads,
    screen_text,
    seed_payload,
    transitions_for,
    watched,
)
from support.waiting import wait_until, wait_until_settled

EXPECTED_SEED_LABELS = {
    "imageintelligence": [
        "question Is my garage door open?",
        "imageResults (2)  2 of 2 images done",
        "✓ some_garage_door_opened_image  COMPLETED_SUCCESSFULLY",
        "yes [3]",
    ],
    "deepomatic": [
        "output 1  golden retriever 0.95",
        "✓ golden retriever  score 0.953 ≥ threshold 0.025  id 207",
        "discarded (0)",
    ],
    "superai": [
        "input {1}",
        "image_url: data://12345/images/dogs/poodles/pink-poodle.jpeg",
        "tags poodle, pink",
    ],
    "tensorart": ["waiting queue string/string", "◐ image string  0%", "credits 0"],
    "cognite": [
        "✓ file 1234 (1234)  1 segment, best 0.80",
        "[0] polygon, 1 vertex, confidence —",
        "[0] x 0.5, y 0.5, confidence —",
        "✗ batch 1: <string>  (1 file)",
        "✗ file 1234 (1234)  <string>",
    ],
}


@pytest.mark.parametrize("kind", KINDS)
async def test_seed_payload_tree_expands_to_provider_structures(kind: str) -> None:
    job = make_job(kind, seed_payload(kind))
    app = DetailHost(watched(job), transitions_for(job))
    async with app.run_test(size=(110, 40)) as pilot:
        tree = app.query_one(ResultTree)
        await expand_all(pilot, tree)
        shown = labels(tree)
        assert shown[0].startswith(job.state.value, 2)
        for expected in EXPECTED_SEED_LABELS[kind]:
            assert any(expected in label for label in shown), (expected, shown)


@pytest.mark.parametrize(("kind", "name", "payload"), list(real_payloads()))
async def test_real_payload_tree_shows_every_field(kind: str, name: str, payload: Any) -> None:
    job = make_job(kind, payload)
    app = DetailHost(watched(job))
    async with app.run_test(size=(110, 40)) as pilot:
        tree = app.query_one(ResultTree)
        await expand_all(pilot, tree, depth=8)
        text = "\n".join(labels(tree))
        # Every scalar leaf of the payload appears somewhere in the tree.
        for value in _scalars(payload):
            assert value in text, (name, value)


def _scalars(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, list):
        for item in value[:PAGE_SIZE]:
            yield from _scalars(item)
    elif isinstance(value, str) and len(value) < 60:
        yield value


async def test_ten_thousand_elements_expand_one_page_at_a_time() -> None:
    raw = {"status": "Completed", "jobId": 7, "vertices": list(range(10_000))}
    job = make_job("cognite", raw)
    app = DetailHost(watched(job))
    async with app.run_test(size=(100, 30)) as pilot:
        tree = app.query_one(ResultTree)
        await expand_all(pilot, tree, depth=1)
        big = tree.find_node("vertices [10,000]")
        assert big is not None
        big.expand()
        # Only one page of nodes is built however long the array (speed is in bench/).
        await wait_until(pilot, lambda: bool(big.children), "the big array opened")
        await wait_until_settled(pilot)
        assert len(big.children) == PAGE_SIZE + 1
        more = big.children[-1]
        assert more.data is not None and more.data.text == "… 9,950 more"
        tree.select_node(more)
        await wait_until(
            pilot,
            lambda: len(big.children) == 2 * PAGE_SIZE + 1,
            "the next page loaded",
            detail=lambda: len(big.children),
        )
        assert big.children[PAGE_SIZE].data is not None
        assert big.children[PAGE_SIZE].data.text == "[50]: 50"
        last = big.children[-1].data
        assert last is not None and last.text == "… 9,900 more"


async def test_hostile_provider_strings_show_literally() -> None:
    raw = {
        "id": "[red]evil[/]",
        "status": "success",
        "data": {
            "outputs": [
                {
                    "labels": {
                        "predicted": [
                            {
                                "label_name": "[bold]x[/]\x1b[31mred\u202eeman",
                                "score": 0.5,
                                "threshold": 0.1,
                            }
                        ],
                        "discarded": [],
                    }
                }
            ]
        },
    }
    job = Job(
        kind="deepomatic",
        provider="deepo",
        id="[red]evil[/]",
        state=JobState.SUCCEEDED,
        raw_status="success",
        raw=raw,
        summary="[link=http://x]click[/link]\x07",
        items=(JobItem(id="0", label="\x9b2J", state=JobState.FAILED, error="\x1b]52;c;eA==\x07"),),
    )
    app = DetailHost(watched(job, label="\x1b[2Jwipe"))
    async with app.run_test(size=(120, 40)) as pilot:
        tree = app.query_one(ResultTree)
        await expand_all(pilot, tree)
        await wait_until(
            pilot,
            lambda: "\\x1b[2Jwipe" in screen_text(app),
            "the hostile label painted",
            detail=lambda: screen_text(app),
        )
        shown = screen_text(app)
        assert "[red]evil[/]" in shown
        assert "[link=http://x]click[/link]\\x07" in shown
        assert "\\x1b[2Jwipe" in shown
        assert "[bold]x[/]\\x1b[31mred\\u202eeman" in shown
        assert "\x1b" not in shown and "\u202e" not in shown and "\x9b" not in shown
        await pilot.press("right_square_bracket")
        await wait_until(
            pilot,
            lambda: "[bold]x[/]\\u001b[31mred\\u202eeman" in screen_text(app),
            "the JSON tab painted with the escaped payload",
            detail=lambda: screen_text(app),
        )
        shown = screen_text(app)
        assert "\u202e" not in shown


async def test_brackets_switch_tabs_and_wrap() -> None:
    job = make_job("deepomatic", seed_payload("deepomatic"))
    app = DetailHost(watched(job), transitions_for(job))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(DetailPane)
        seen = []
        await wait_until_settled(pilot)  # the start-up focus must not switch a tab back
        for expected in ("json", "timeline", "result"):
            await pilot.press("right_square_bracket")
            await wait_until(
                pilot, lambda e=expected: pane.active_tab == e, f"the {expected} tab on ]"
            )
            await wait_until_settled(pilot)
            seen.append(pane.active_tab)
        assert seen == ["json", "timeline", "result"]
        await pilot.press("left_square_bracket")
        await wait_until(pilot, lambda: pane.active_tab == "timeline", "the timeline tab on [")


async def test_refresh_keeps_open_branches_and_skips_unchanged_jobs() -> None:
    raw = seed_payload("cognite")
    job = make_job("cognite", raw)
    app = DetailHost(watched(job))
    async with app.run_test(size=(100, 40)) as pilot:
        pane, tree = app.query_one(DetailPane), app.query_one(ResultTree)
        file_node = tree.find_node("file 1234 (1234)")
        assert file_node is not None
        file_node.expand()
        await wait_until(pilot, lambda: bool(file_node.children), "the file branch opened")
        first_root_child = tree.root.children[0]
        pane.show(watched(job), [])  # same job: nothing rebuilt
        assert tree.root.children[0] is first_root_child
        changed = dict(raw, statusTime=raw["statusTime"] + 1000)
        pane.show(watched(make_job("cognite", changed)), [])
        await wait_until(
            pilot, lambda: tree.root.children[0] is not first_root_child, "the tree rebuilt"
        )
        reopened = tree.find_node("file 1234 (1234)")
        assert reopened is not None and reopened.is_expanded
        assert any(label.startswith("segments (1)") for label in labels(tree))


async def test_never_fetched_job_and_no_selection() -> None:
    row = watched(None, poll_error="HTTP 401: bad key")
    app = DetailHost(row)
    async with app.run_test(size=(100, 20)) as pilot:
        shown = labels(app.query_one(ResultTree))
        assert shown[0] == "? never fetched  deepo 42"
        assert "poll     HTTP 401: bad key" in shown
        app.query_one(DetailPane).show(None, [])
        await wait_until(
            pilot,
            lambda: labels(app.query_one(ResultTree)) == ["no job selected"],
            "the empty detail",
        )


async def test_a_job_not_yet_polled_waits_as_the_list_says_not_unknown() -> None:
    app = DetailHost(watched(None, polled_at=None))
    async with app.run_test(size=(100, 20)):
        shown = labels(app.query_one(ResultTree))
        assert shown[0] == "… waiting for its first poll  deepo 42"
        assert [label.split()[0] for label in shown[1:]] == ["added"]  # no poll error line


async def test_header_shows_times_durations_progress_queue_error() -> None:
    job = Job(
        kind="tensorart",
        provider="ta",
        id="9",
        state=JobState.FAILED,
        raw_status="FAILED",
        created_at=NOW - timedelta(minutes=5),
        started_at=NOW - timedelta(minutes=4, seconds=20),
        finished_at=NOW - timedelta(minutes=1, seconds=8),
        progress=0.62,
        queue_position=3,
        queue_length=17,
        error="out of memory",
        raw={"job": {"id": "9", "status": "FAILED"}},
    )
    app = DetailHost(watched(job))
    async with app.run_test(size=(100, 30)):
        shown = labels(app.query_one(ResultTree))
        assert shown[0] == "✗ failed  FAILED  ta 9"
        assert "started  2026-11-22 11:55:40Z  (4m ago)  queued 40s" in shown
        assert "finished 2026-11-22 11:58:52Z  (1m ago)  ran 3m 12s" in shown
        assert "progress 62%" in shown
        assert "queue    3/17" in shown
        assert "error    out of memory" in shown


async def test_tensorart_outputs_show_expiry_from_the_clock() -> None:
    raw = {
        "job": {
            "id": "1",
            "status": "SUCCESS",
            "successInfo": {
                "images": [
                    {
                        "id": "img",
                        "url": "https://x/a.png",
                        "expiredIn": "7200s",
                        "meta": {"image": {"format": "png", "width": 512, "height": 768}},
                    }
                ],
                "videos": [
                    {"id": "vid", "url": "https://x/v.mp4", "expiredIn": "2026-11-22T11:00:00Z"}
                ],
                "workflowFinishItem": {
                    "status": "SUCCESS",
                    "progress": 100,
                    "step": 3,
                    "nodes": {"n1": {"status": "SUCCESS"}, "n2": {"status": "RUNNING"}},
                    "finishedNodes": {"n1": {}},
                },
            },
        }
    }
    job = make_job("tensorart", raw)
    app = DetailHost(watched(job, polled_at=NOW))
    async with app.run_test(size=(110, 40)) as pilot:
        tree = app.query_one(ResultTree)
        await expand_all(pilot, tree, depth=2)
        shown = labels(tree)
        assert "image img  png 512×768  expires in 2h" in shown
        assert "video vid  expired 1h ago" in shown
        assert "✓ n1  SUCCESS  finished" in shown
        assert "◐ n2  RUNNING" in shown
