"""An answer about another job than the one polled never replaces the watched job.

The simulator serves each provider's genuine answer; ``FaultProxy`` rewrites
the job's id in it. Through the real engine and a real store file, the watched
id must stay listed (``jobtui ls --json``) with its last good snapshot and a
poll error naming both ids, and no job may appear under the foreign id. The
same job spelled the provider's other way (a UUID's case, ``007`` for an
integer id) is the watched job, kept under the id as watched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jobtui.cli import main
from jobtui.config.model import Config, WatchedJobConfig
from jobtui.engine import Engine, ManualClock
from jobtui.providers import KINDS
from jobtui.sim import Simulator
from jobtui.store import Store

from support.engine_sim import frozen_simulator
from support.fault_proxy import FaultProxy, Forwarded
from support.scripted_server import Reply
from support.sim_configs import sim_config

Spelling = Callable[[str], object]
"""The id an answer names, from the id polled."""


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """A frozen simulator (speed 0): a fresh job stays in its first state."""
    yield from frozen_simulator(seed=12)


def _renamed(value: object, job_id: str, spelling: Spelling) -> object:
    """``value`` with every scalar equal to ``job_id`` (text or integer) spelled anew."""
    if isinstance(value, dict):
        return {key: _renamed(item, job_id, spelling) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, job_id, spelling) for item in value]
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value) == job_id:
        return spelling(job_id)
    return value


def answering_as(job_id: str, spelling: Spelling) -> Callable[[Forwarded], Reply]:
    """A fault: the genuine answer, naming the job ``spelling(job_id)``."""

    def fault(genuine: Forwarded) -> Reply:
        body = _renamed(json.loads(genuine.body), job_id, spelling)
        return Reply(genuine.status, json.dumps(body).encode(), dict(genuine.headers))

    return fault


class Rig:
    """One provider behind the proxy, one watched job, the engine on a ManualClock."""

    def __init__(self, sim: Simulator, proxy: FaultProxy, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.job_id = sim.create_job(kind)
        self.store_path = tmp_path / "jobs.sqlite"
        config = Config(
            providers={kind: sim_config(sim, kind, base_url=f"{proxy.url}/{kind}")},
            jobs=(WatchedJobConfig(provider=kind, id=self.job_id),),
        )
        self.store = Store(self.store_path)
        self.clock = ManualClock()
        self.engine = Engine(config, self.store, clock=self.clock, discover=False)

    async def sweep(self) -> None:
        await self.engine.sweep(all_jobs=True)

    async def close(self) -> None:
        await self.engine.aclose()
        self.store.close()


def listed(store_path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """What ``jobtui ls --json`` prints for the store file."""
    capsys.readouterr()
    code = main(["--store", str(store_path), "ls", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = json.loads(out)
    assert isinstance(rows, list)
    return rows


FOREIGN: dict[str, tuple[tuple[str, ...], Spelling, str]] = {
    # name: (kinds, the id the answer names, that id as the poll error shows it)
    "another id": (KINDS, lambda job_id: 7, "7"),
    "another id as text": (KINDS, lambda job_id: "ok-other", "ok-other"),
    # Image Intelligence and super.AI ids are strings: a leading zero is another job.
    "a leading zero on a string id": (
        ("imageintelligence", "superai"),
        lambda job_id: f"0{job_id}",
        "0{job_id}",
    ),
}
CASES = [(kind, name) for name, (kinds, _, _) in FOREIGN.items() for kind in kinds]


@pytest.mark.parametrize(("kind", "case"), CASES)
async def test_an_answer_for_another_job_is_a_payload_error_of_the_watched_job(
    sim: Simulator,
    proxy: FaultProxy,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    case: str,
) -> None:
    _, spelling, shown = FOREIGN[case]
    rig = Rig(sim, proxy, kind, tmp_path)
    try:
        await rig.sweep()
        [good] = listed(rig.store_path, capsys)
        assert good["id"] == rig.job_id and good["poll_error"] is None, good
        good_snapshot = rig.store.get_job(kind, rig.job_id)
        assert good_snapshot is not None and good_snapshot.job is not None

        proxy.arm(rig.job_id, answering_as(rig.job_id, spelling))
        rig.clock.advance(600)
        await rig.sweep()
        assert proxy.faulted, "the foreign answer was never served"

        rows = listed(rig.store_path, capsys)
        assert [row["id"] for row in rows] == [rig.job_id], "a job was created or replaced"
        [row] = rows
        foreign = shown.format(job_id=rig.job_id)
        assert row["poll_error"] is not None
        assert f"answered for job {foreign}, not {rig.job_id}" in row["poll_error"], row
        kept = {k: v for k, v in row.items() if k not in ("poll_error", "polled_at")}
        assert kept == {k: v for k, v in good.items() if k not in ("poll_error", "polled_at")}
        stored = rig.store.get_job(kind, rig.job_id)
        assert stored is not None and stored.job == good_snapshot.job, "the snapshot was lost"
        assert rig.store.get_job(kind, foreign) is None
        held = rig.engine.jobs()
        assert list(held) == [(kind, rig.job_id)]
        assert held[(kind, rig.job_id)].poll_error == row["poll_error"]
        assert held[(kind, rig.job_id)].job == good_snapshot.job

        proxy.disarm()
        rig.clock.advance(600)
        await rig.sweep()
        [healed] = listed(rig.store_path, capsys)
        assert healed["id"] == rig.job_id and healed["poll_error"] is None, healed
    finally:
        await rig.close()


SAME_JOB: dict[str, tuple[tuple[str, ...], Spelling]] = {
    # name: (kinds whose ids read that way, the same id spelled differently)
    "integer id with leading zeros": (
        ("cognite", "deepomatic", "tensorart"),
        lambda job_id: f"00{job_id}",
    ),
    "integer id as a number": (("deepomatic", "superai", "tensorart"), int),
    "uuid in capitals": (("imageintelligence",), str.upper),
}
SAME_CASES = [(kind, name) for name, (kinds, _) in SAME_JOB.items() for kind in kinds]


@pytest.mark.parametrize(("kind", "case"), SAME_CASES)
async def test_the_same_id_spelled_the_providers_other_way_is_the_watched_job(
    sim: Simulator,
    proxy: FaultProxy,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    case: str,
) -> None:
    _, spelling = SAME_JOB[case]
    rig = Rig(sim, proxy, kind, tmp_path)
    try:
        proxy.arm(rig.job_id, answering_as(rig.job_id, spelling))
        await rig.sweep()
        assert proxy.faulted, "the respelled answer was never served"
        [row] = listed(rig.store_path, capsys)
        assert row["id"] == rig.job_id, "the job is kept under the id as watched"
        assert row["poll_error"] is None, row
        assert row["state"] != "unknown", row
        stored = rig.store.get_job(kind, rig.job_id)
        assert stored is not None and stored.job is not None and stored.job.id == rig.job_id
    finally:
        await rig.close()


@pytest.mark.parametrize("kind", ["superai", "tensorart"])  # the providers that can cancel
async def test_a_cancel_answer_about_another_job_does_not_replace_the_watched_job(
    sim: Simulator,
    proxy: FaultProxy,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    rig = Rig(sim, proxy, kind, tmp_path)
    try:
        await rig.sweep()
        good_snapshot = rig.store.get_job(kind, rig.job_id)
        assert good_snapshot is not None and good_snapshot.job is not None
        proxy.arm(rig.job_id, answering_as(rig.job_id, lambda job_id: 7))
        await rig.engine.cancel(kind, rig.job_id)
        await rig.sweep()  # the cancel's answer was not taken: the job is polled instead
        assert proxy.faulted, "the foreign answer was never served"
        rows = listed(rig.store_path, capsys)
        assert [row["id"] for row in rows] == [rig.job_id], "a job was created or replaced"
        stored = rig.store.get_job(kind, rig.job_id)
        assert stored is not None and stored.job == good_snapshot.job
        assert stored.poll_error is not None and "answered for job 7" in stored.poll_error
    finally:
        await rig.close()
