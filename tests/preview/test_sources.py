"""Which images a job names: Deepomatic inputs only when the task carries them (the simulator's
tasks, like the real API's, do not), and NO_COLOR pictures in gray."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from jobtui.model import Job, JobState
from jobtui.preview import Picture, image_refs
from jobtui.preview.cells import gray
from jobtui.providers import create_provider
from jobtui.tui.widgets.picture import HalfBlockPicture

from support.sim_configs import sim_config


def deepomatic_job(raw: dict[str, Any]) -> Job:
    return Job(kind="deepomatic", provider="deepo", id="1", state=JobState.SUCCEEDED, raw=raw)


def test_deepomatic_inputs_are_previewed_when_the_task_carries_them() -> None:
    raw = {"id": "1", "status": "success", "inputs": [
        {"image": {"source": "https://example.com/a.jpg"}},
        {"image": {"source": "file:///etc/passwd"}},  # never fetched: not http(s)
        {"text": "no image here"},
    ]}  # fmt: skip
    [ref] = image_refs(deepomatic_job(raw))
    assert ref.url == "https://example.com/a.jpg" and ref.label == "input 1"
    assert image_refs(deepomatic_job({"id": "1", "status": "success"})) == []


async def test_simulated_deepomatic_tasks_name_no_images(start_sim: Any) -> None:
    sim = start_sim(jobs=6, speed=0, seed=3)
    provider = create_provider(sim_config(sim, "deepomatic"))
    try:
        jobs = [j for j in await provider.fetch(sim.job_ids("deepomatic")) if isinstance(j, Job)]
    finally:
        await provider.aclose()
    assert jobs and all(image_refs(job) == [] for job in jobs)


def test_no_color_draws_the_picture_in_gray() -> None:
    picture = Picture(2, 2, bytes([200, 30, 30, 30, 200, 30, 30, 30, 200, 250, 250, 0]))
    console = Console(width=2, color_system="truecolor", force_terminal=True, record=True)
    console.print(HalfBlockPicture(picture, mode="gray"))
    text = console.export_text(styles=True)
    expected = "38;2;{0};{0};{0}".format(gray((200, 30, 30))[0])
    assert expected in text
    assert "38;2;200;30;30" not in text
