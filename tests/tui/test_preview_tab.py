"""The Preview tab draws a simulated Tensor.Art result as half-block cells, says "expired"
once its URL expired, and is off in ASCII mode with a line saying why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Static

from jobtui.model import Job
from jobtui.preview import image_refs
from jobtui.providers import create_provider
from jobtui.sim import Simulator
from jobtui.tui.widgets.preview import HalfBlockPicture, PreviewView

from support.sim_configs import sim_config
from support.waiting import wait_until


class Host(App[None]):
    def __init__(self, view: PreviewView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        yield self.view


async def tensorart_job(sim: Simulator) -> Job:
    provider = create_provider(sim_config(sim, "tensorart"))
    try:
        jobs = await provider.fetch(sim.job_ids("tensorart"))
    finally:
        await provider.aclose()
    return next(j for j in jobs if isinstance(j, Job) and image_refs(j))


async def test_preview_shows_the_picture_then_expired(start_sim: Any) -> None:
    sim = start_sim(jobs=30, speed=0, seed=3)
    job = await tensorart_job(sim)
    label = image_refs(job)[0].label
    view = PreviewView(now=lambda: datetime.fromtimestamp(sim.world.wall(), UTC))
    async with Host(view).run_test(size=(80, 24)) as pilot:
        view.show_job(job)
        await wait_until(pilot, lambda: view.shown.get(label) == "picture", "the picture drawn")
        pictures = [w for w in view.query(Static) if isinstance(w.content, HalfBlockPicture)]
        assert pictures
        expires = image_refs(job)[0].expires_at
        assert expires is not None
        sim.clock.advance(expires.timestamp() - sim.world.wall() + 1)
        view.show_job(job)
        await wait_until(pilot, lambda: view.shown.get(label) == "expired", "'expired' shown")


async def test_ascii_mode_turns_images_off_with_a_reason(start_sim: Any) -> None:
    sim = start_sim(jobs=30, speed=0, seed=3)
    job = await tensorart_job(sim)
    view = PreviewView(ascii_only=True)
    async with Host(view).run_test(size=(80, 24)) as pilot:
        view.show_job(job)
        await wait_until(pilot, lambda: len(view.query(Static)) == 1, "the preview rebuilt")
        text = str(view.query_one(Static).render())
        assert "ASCII" in text and view.shown == {}
