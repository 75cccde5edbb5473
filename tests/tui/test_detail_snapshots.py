"""Snapshots of the detail pane: deterministic (frozen clock, fixed jobs, no animation)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from jobtui.model import Job, JobItem, JobState
from jobtui.tui.widgets.jsonview import JsonView
from jobtui.tui.widgets.resulttree import ResultTree

from support.detail import (
    NOW,
    DetailHost,
    expand_all,
    seed_payload,
    transitions_for,
    watched,
)
from support.waiting import wait_until_settled

# Fixed normalized fields per provider, so the snapshots do not depend on parse().
FIELDS: dict[str, dict[str, Any]] = {
    "imageintelligence": {
        "id": "5d689c71",
        "state": JobState.SUCCEEDED,
        "raw_status": "COMPLETED_SUCCESSFULLY",
        "summary": "Is my garage door open? yes",
    },
    "deepomatic": {
        "id": "269999729",
        "state": JobState.SUCCEEDED,
        "raw_status": "success",
        "summary": "golden retriever 0.95",
    },
    "superai": {
        "id": "1234567",
        "state": JobState.SUCCEEDED,
        "raw_status": "COMPLETED",
        "summary": "DEFAULT poodle, pink",
    },
    "tensorart": {
        "id": "1f3c",
        "state": JobState.RUNNING,
        "raw_status": "RUNNING",
        "progress": 0.62,
        "summary": "RUNNING 62% step 3",
    },
    "cognite": {
        "id": "123",
        "state": JobState.PARTIAL,
        "raw_status": "Completed",
        "summary": "1 of 2 files failed: <string>",
        "items": (JobItem(id="1234", label="1234", state=JobState.FAILED, error="<string>"),),
    },
}


def fixed_job(kind: str) -> Job:
    return Job(
        kind=kind,
        provider=kind,
        raw=seed_payload(kind),
        created_at=NOW - timedelta(minutes=10),
        started_at=NOW - timedelta(minutes=9),
        updated_at=NOW - timedelta(minutes=1),
        **FIELDS[kind],
    )


class SnapshotHost(DetailHost):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.animation_level = "none"


def expanded(depth: int) -> Any:
    async def run(pilot: Pilot[Any]) -> None:
        await expand_all(pilot, pilot.app.query_one(ResultTree), depth=depth)
        pilot.app.query_one(ResultTree).move_cursor_to_line(0)
        await wait_until_settled(pilot)

    return run


@pytest.mark.parametrize("kind", list(FIELDS))
def test_result_tree_snapshot(kind: str, snap_compare: Any) -> None:
    job = fixed_job(kind)
    app = SnapshotHost(watched(job, label="nightly batch"), transitions_for(job))
    assert snap_compare(app, terminal_size=(100, 44), run_before=expanded(3))


def test_json_tab_snapshot_with_search(snap_compare: Any) -> None:
    job = fixed_job("imageintelligence")

    async def run(pilot: Pilot[Any]) -> None:
        pilot.app.query_one(JsonView).search("garage")
        await pilot.press("n")
        await wait_until_settled(pilot)

    app = SnapshotHost(watched(job), transitions_for(job), initial_tab="json")
    assert snap_compare(app, terminal_size=(90, 24), run_before=run)


def test_timeline_snapshot(snap_compare: Any) -> None:
    job = fixed_job("tensorart")

    app = SnapshotHost(watched(job), transitions_for(job), initial_tab="timeline")
    assert snap_compare(app, terminal_size=(90, 12))


@pytest.mark.parametrize(
    "theme", ["jobtui-dark", "jobtui-light", "ansi-dark", "ansi-light", "high-contrast"]
)
def test_theme_snapshot(theme: str, snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    job = fixed_job("cognite")
    app = SnapshotHost(watched(job), transitions_for(job), theme=theme)
    assert snap_compare(app, terminal_size=(70, 16), run_before=expanded(2))
