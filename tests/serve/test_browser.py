"""Smoke test in a real browser: headless Chromium opens the served page and shows job rows.

Debian's ``chromium`` (``.ci/run`` installs it when missing) loads the URL
``jobtui serve`` printed; the test reads the rows xterm.js shows (see
``support.chromium``) until a seeded job's id is among them, then types a key
into the page and sees the dashboard answer. Skipped where there is no
chromium, except under CI, where a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from jobtui.sim import Simulator
from jobtui.store import Store

from support.chromium import chromium_path, open_browser
from support.engine_sim import write_config
from support.serving import ServeProcess

pytest.importorskip("textual_serve", reason="the serve extra (textual-serve) is not installed")

StartSim = Callable[..., Simulator]


@pytest.fixture
def chromium() -> str:
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("no chromium under CI: .ci/run installs Debian's chromium")
        pytest.skip("no chromium here (apt-get install chromium, or run .ci/run)")
    return path


@pytest.fixture
async def server(tmp_path: Path, start_sim: StartSim) -> AsyncIterator[tuple[ServeProcess, str]]:
    sim = start_sim(jobs=3, speed=0)
    config = write_config(tmp_path / "config.toml", sim, jobs=False)
    config.chmod(0o600)  # it holds the simulator's fake keys: no warning toast over the rows
    store_path = tmp_path / "jobs.sqlite"
    store = Store(store_path)
    try:
        store.add_jobs(
            ("deepomatic", "deepomatic", i, "browser") for i in sim.job_ids("deepomatic")
        )
    finally:
        store.close()
    served = ServeProcess(config, store_path, tmp_path)
    try:
        yield served, sim.job_ids("deepomatic")[0]
    finally:
        served.kill()


async def test_chromium_shows_the_job_rows_and_takes_keys(
    chromium: str, server: tuple[ServeProcess, str], tmp_path: Path
) -> None:
    served, job_id = server
    async with open_browser(tmp_path / "profile", chromium) as browser:
        await browser.open_page(1200, 800)
        await browser.navigate(served.url)
        screen = await browser.wait_for_screen(job_id, "a seeded job's row in the browser")
        assert "Jobs (3)" in screen  # the list's title counts the seeded jobs
        await browser.press("?")
        await browser.wait_for_screen("Help", "the help screen after ? typed in the page")
