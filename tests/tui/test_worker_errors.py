"""A background task of the dashboard that fails says so on screen; the dashboard goes on."""

from __future__ import annotations

import pytest

from jobtui.tui.app import JobtuiApp

from support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("no_user_config")


def messages(app: JobtuiApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def test_a_failed_background_task_is_reported_and_the_keys_still_work(
    app: JobtuiApp,
) -> None:
    async def broken() -> None:
        raise RuntimeError("the feed broke")

    app.run_in_background(broken)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: any("the feed broke" in m for m in messages(app)),
                         "the failure told", detail=lambda: messages(app))  # fmt: skip
        told = next(n for n in app._notifications if "the feed broke" in str(n.message))
        assert (told.title, told.severity, told.markup) == ("Internal error", "error", False)
        await app.loaded.wait()
        first = app.model.cursor
        await pilot.press("j")
        await wait_until(pilot, lambda: app.model.cursor == first + 1, "the cursor moving")
