"""An idle dashboard over SSH writes nothing each second: ages past a minute change once a minute.

A real ``jobtui`` on a real pty, two jobs that finished minutes ago, the
first shown in the detail pane. What the terminal receives over a few idle
seconds is counted. Before minute precision, the detail pane's
"(2m 3s ago)" lines were rewritten every second (~550 B/s over SSH).
"""

from __future__ import annotations

import select
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobtui.model import Job, JobState
from jobtui.store import PollOutcome, Store

from support.pty_run import PtyChild

WINDOW = 2.5
"""Seconds of idling observed: at least two of the old once-a-second rewrites (each
hundreds of bytes, against a bound of 200). Longer only made the test longer."""
QUIET = 0.7
"""Seconds without a byte that mark the start-up frames as done: well under the old
rewrites' one second, well over the gap between two frames of one paint."""
SETTLE_DEADLINE = 20.0
"""Seconds the start-up frames get to end (not a timing: only a dashboard that never
stops painting reaches it)."""


def _seed_two_finished_jobs(path: Path) -> None:
    now = datetime.now(UTC)
    store = Store(path)
    try:
        store.add_jobs(("deepo", "deepomatic", job_id, None) for job_id in ("idle-1", "idle-2"))
        outcomes = []
        for n, job_id in enumerate(("idle-1", "idle-2")):
            # Finished 2m 20s ago: no minute boundary falls in the window.
            finished = now - timedelta(minutes=2, seconds=20 + n)
            job = Job(kind="deepomatic", provider="deepo", id=job_id, state=JobState.SUCCEEDED,
                      raw_status="success", created_at=finished - timedelta(minutes=5),
                      updated_at=finished, finished_at=finished, summary="done",
                      raw={"id": job_id, "status": "success"})  # fmt: skip
            outcomes.append(PollOutcome("deepo", job_id, finished, None, job=job))
        store.save_outcomes(outcomes)
    finally:
        store.close()


def _bytes_while_idle(child: PtyChild, seconds: float) -> int:
    """Everything the dashboard writes to its terminal during ``seconds`` of idling."""
    start = len(child.seen)
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if select.select([child.master], [], [], left)[0]:
            child.drain()
    return len(child.seen) - start


def _settle(child: PtyChild) -> None:
    """Read until the terminal has received nothing for ``QUIET`` seconds.

    The start-up paint, the detail and the hints end when they end on a busy
    machine: waiting for the silence, not for a fixed time, keeps them out of
    the window that is counted.
    """
    give_up = time.monotonic() + SETTLE_DEADLINE
    while select.select([child.master], [], [], QUIET)[0]:
        child.drain()
        if time.monotonic() > give_up:
            raise AssertionError(
                f"the dashboard never went quiet for {QUIET}s within {SETTLE_DEADLINE}s: "
                f"{child.seen[-400:]!r}"
            )


def test_an_idle_detail_pane_does_not_rewrite_its_ages_each_second(tmp_path: Path) -> None:
    _seed_two_finished_jobs(tmp_path / "jobs.sqlite")
    child = PtyChild([], tmp_path)
    try:
        child.wait_for(b"idle-1")
        child.wait_for(b"2m ago")  # the detail pane's times, minutes only
        # Let the first frames settle: the start-up paint, the detail, the hints.
        _settle(child)
        written = _bytes_while_idle(child, WINDOW)
        print(f"idle: {written} bytes in {WINDOW}s")  # the figure, with pytest -s
        # A cursor blink or a status repaint could cost a few bytes; one rewrite of
        # the detail's time lines costs hundreds, every second.
        assert written < 200, f"{written} bytes in {WINDOW}s of idling: {child.seen[-400:]!r}"
        assert b"2m 2" not in child.seen  # never "2m 20s ago"
    finally:
        child.cleanup()
