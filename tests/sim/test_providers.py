"""jobtui's own provider clients against the simulator, through the config it prints.

These run once ``jobtui.config`` and the provider modules have landed (they are
written alongside the simulator); until then they skip. They are the contract
check between the two sides: same documents, same wire format.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

import pytest

from jobtui.model import Job, JobState

STATE_TABLE: dict[str, dict[str, JobState]] = {
    "imageintelligence": {
        "IN_PROGRESS": JobState.RUNNING,
        "COMPLETED_SUCCESSFULLY": JobState.SUCCEEDED,
        "COMPLETED_PARTIAL_ERROR": JobState.PARTIAL,
        "COMPLETED_ALL_ERROR": JobState.FAILED,
    },
    "deepomatic": {
        "pending": JobState.RUNNING,
        "success": JobState.SUCCEEDED,
        "error": JobState.FAILED,
    },
    "superai": {
        "SCHEDULED": JobState.QUEUED,
        "IN_PROGRESS": JobState.RUNNING,
        "SUSPENDED": JobState.PAUSED,
        "COMPLETED": JobState.SUCCEEDED,
        "FAILED": JobState.FAILED,
        "EXPIRED": JobState.FAILED,
        "CANCELED": JobState.CANCELED,
    },
}
"""DESIGN.md's state table for the three kinds."""


def _load(kind: str, sim: Any, tmp_path: Path) -> Any:
    """The provider client for ``kind``, built from the simulator's printed config."""
    config_module = pytest.importorskip("jobtui.config")
    providers = pytest.importorskip("jobtui.providers")
    try:
        importlib.import_module(f"jobtui.providers.{kind}")
    except ModuleNotFoundError:
        pytest.skip(f"jobtui.providers.{kind} has not landed yet")
    path = tmp_path / "config.toml"
    path.write_text(sim.config_toml(store_jobs=True))
    path.chmod(0o600)
    config = config_module.load_config(path)
    return providers.create_provider(config.providers[kind])


async def _fetch_all(provider: Any, ids: list[str]) -> list[Any]:
    return list(await provider.fetch(ids))


@pytest.mark.parametrize("kind", sorted(STATE_TABLE))
async def test_provider_reads_every_seeded_job_then_every_ending(
    start_sim: Any, tmp_path: Path, kind: str
) -> None:
    sim = start_sim(jobs=30, speed=0)
    provider = _load(kind, sim, tmp_path)
    ids = sim.job_ids(kind)
    try:
        step = max(1, int(getattr(provider, "batch_size", 1)))
        first: list[Any] = []
        for start in range(0, len(ids), step):
            first += await _fetch_all(provider, ids[start : start + step])
        sim.clock.advance(8 * 3600)
        later: list[Any] = []
        for start in range(0, len(ids), step):
            later += await _fetch_all(provider, ids[start : start + step])
    finally:
        await provider.aclose()
    table = STATE_TABLE[kind]
    for job_id, job in zip(ids, first, strict=True):
        assert isinstance(job, Job), job
        assert job.id == job_id
        assert job.state == table[str(job.raw_status)]
    assert {job.state for job in first} == set(table.values())
    assert all(isinstance(job, Job) and job.state.terminal for job in later)
    if kind == "deepomatic":
        requests = sim.stats()["providers"]["deepomatic"]["requests"]
        assert requests <= 2 * math.ceil(len(ids) / step) + 2  # batched, not one per task


@pytest.mark.parametrize("kind", sorted(STATE_TABLE))
async def test_provider_reports_an_unknown_job_as_a_fetch_error(
    start_sim: Any, tmp_path: Path, kind: str
) -> None:
    errors = pytest.importorskip("jobtui.errors")
    sim = start_sim(jobs=1, speed=0)
    provider = _load(kind, sim, tmp_path)
    try:
        (missing,) = await _fetch_all(provider, ["00000000-0000-4000-8000-000000000404"])
    finally:
        await provider.aclose()
    assert isinstance(missing, errors.FetchError)
