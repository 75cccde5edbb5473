"""Engine changes and keys: the keys' frames go first, the changes follow in the gaps.

While keys come closer together than ``KEY_QUIET_SECONDS`` the changes wait;
once they have waited ``MOST_HELD_SECONDS`` they are shown right after the next
key's frame (the gap before the key after it), or when the keys pause.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from jobtui.engine.events import JobChanged
from jobtui.model import JobState
from jobtui.tui.app import MOST_HELD_SECONDS, JobtuiApp

from support.tui_data import seeded_jobs
from support.waiting import wait_until, wait_until_settled

pytestmark = pytest.mark.usefixtures("no_user_config")


async def test_changes_held_while_typing_land_after_a_keys_frame(app: JobtuiApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        await app.loaded.wait()
        await wait_until_settled(pilot)
        running = next(job for job in seeded_jobs() if job.state is JobState.RUNNING)
        done = replace(running, state=JobState.SUCCEEDED)
        key = (running.provider, running.id)

        def shown_state() -> JobState | None:
            index = app.model.index_of(key)
            return None if index is None else app.model.row_at(index).state

        assert shown_state() is JobState.RUNNING
        await pilot.press("j")
        app._engine_callback([JobChanged(done, JobState.RUNNING)])
        queued_at = time.monotonic()
        # Keys keep coming: the change waits for them, up to MOST_HELD_SECONDS...
        presses = 0
        while not app._apply_after_key:
            await pilot.press("k" if presses % 2 else "j")
            presses += 1
            assert shown_state() is JobState.RUNNING, "a change was shown between keys"
            assert time.monotonic() - queued_at < 10 * MOST_HELD_SECONDS, "never held long"
        assert time.monotonic() - queued_at >= MOST_HELD_SECONDS
        # ...then the next key's frame comes first and the change right after it.
        cursor = app.model.cursor
        await pilot.press("j")
        await wait_until(pilot, lambda: shown_state() is JobState.SUCCEEDED,
                         "the held change shown after the key")  # fmt: skip
        assert app.model.cursor == cursor + 1
