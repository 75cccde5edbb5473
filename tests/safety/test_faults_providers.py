"""Fault injection: every provider, every way an answer can go wrong, through the real engine.

The simulator serves genuine answers; ``FaultProxy`` sits in front of it and
breaks the answers about one job. Each case polls once cleanly (the last good
snapshot), once broken, and once cleanly again, and checks that the broken poll
left a clear ``poll_error``, kept the snapshot, scheduled another poll, and that
the next poll went out and cleared the error.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jobtui.config.model import Config, WatchedJobConfig
from jobtui.engine import Engine, ManualClock
from jobtui.model import JobState
from jobtui.providers import KINDS
from jobtui.sim import Simulator
from jobtui.sim.faults import BAD_GATEWAY_HTML
from jobtui.store import Store, WatchedJob

from support.engine_sim import frozen_simulator
from support.fault_proxy import FaultProxy, Forwarded
from support.scripted_server import Reply, ScriptedServer, serve
from support.sim_configs import sim_config

KNOWN_STATUSES = frozenset(
    {
        "IN_PROGRESS",
        "COMPLETED_SUCCESSFULLY",
        "COMPLETED_PARTIAL_ERROR",
        "COMPLETED_ALL_ERROR",
        "pending",
        "success",
        "error",
        "SCHEDULED",
        "SUSPENDED",
        "COMPLETED",
        "FAILED",
        "EXPIRED",
        "CANCELED",
        "DEFAULT",
        "CREATED",
        "PENDING",
        "WAITING",
        "RUNNING",
        "SUCCESS",
        "Queued",
        "Running",
        "Completed",
        "Failed",
    }
)
"""Every documented raw status (DESIGN.md), to find the status field in any payload."""

SMALL_CAP = 4096
"""``max_body_bytes`` in these tests, so an oversized body is cheap to send."""


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """A frozen simulator (speed 0): a fresh job stays in its first state."""
    yield from frozen_simulator(seed=8)


@pytest.fixture
def other_origin() -> Iterator[ScriptedServer]:
    """Where a malicious redirect points; it records every header it is sent."""
    with serve() as server:
        yield server


class Rig:
    """One provider behind the proxy, one watched job, an engine on a ManualClock."""

    def __init__(
        self, sim: Simulator, proxy: FaultProxy, kind: str, tmp_path: Path, timeout: float = 5.0
    ) -> None:
        self.kind = kind
        self.job_id = sim.create_job(kind)
        cfg = sim_config(
            sim, kind, base_url=f"{proxy.url}/{kind}", max_body_bytes=SMALL_CAP, timeout=timeout
        )
        config = Config(
            providers={kind: cfg}, jobs=(WatchedJobConfig(provider=kind, id=self.job_id),)
        )
        self.store = Store(tmp_path / "jobs.sqlite")
        self.clock = ManualClock()
        self.engine = Engine(config, self.store, clock=self.clock, discover=False)

    @property
    def job(self) -> WatchedJob:
        """The job as the engine holds it, checked against the store."""
        held = self.engine.jobs()[(self.kind, self.job_id)]
        stored = self.store.get_job(self.kind, self.job_id)
        assert stored is not None
        assert (stored.poll_error, stored.state, stored.job) == (
            held.poll_error,
            held.state,
            held.job,
        )
        return held

    async def sweep(self) -> None:
        await self.engine.sweep(all_jobs=True)

    async def sweep_until_answered(self, what: str, deadline: float = 60.0) -> None:
        """Sweep until the job's poll succeeds (a short timeout can lapse on a busy machine)."""
        give_up = time.monotonic() + deadline
        await self.sweep()
        while self.job.poll_error is not None:
            assert time.monotonic() < give_up, (
                f"{what}: no poll of {self.kind} answered in {deadline:.0f} s "
                f"(last: {self.job.poll_error})"
            )
            self.clock.advance(600)  # past any back-off the lapsed poll set
            await self.sweep()

    async def close(self) -> None:
        await self.engine.aclose()
        self.store.close()


def _mutate_status(value: object, new: object) -> object:
    """The payload with every documented status string replaced by ``new``."""
    if isinstance(value, dict):
        return {k: _mutate_status(v, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_mutate_status(v, new) for v in value]
    if isinstance(value, str) and value in KNOWN_STATUSES:
        return new
    return value


def _rewrite(new_status: object) -> Callable[[Forwarded], Reply]:
    def fault(genuine: Forwarded) -> Reply:
        payload = json.loads(genuine.body)
        body = json.dumps(_mutate_status(payload, new_status)).encode()
        return Reply(200, body, {"Content-Type": "application/json"})

    return fault


def _wrong_types(genuine: Forwarded) -> Reply:
    """Every scalar field of the job object turned into a list of objects."""

    def spoil(value: object) -> object:
        if isinstance(value, dict):
            return {k: spoil(v) for k, v in value.items()}
        if isinstance(value, list):
            return [spoil(v) for v in value]
        return [{"not": "a scalar"}]

    return Reply(200, json.dumps(spoil(json.loads(genuine.body))).encode())


def _raw(status: int, body: bytes, **headers: str) -> Callable[[Forwarded], Reply]:
    return lambda genuine: Reply(status, body, {"Content-Type": "application/json", **headers})


def _truncated(genuine: Forwarded) -> Reply:
    return Reply(200, genuine.body[: max(1, len(genuine.body) // 2)])


def _streamed_too_large(genuine: Forwarded) -> Reply:
    # No Content-Length: only counting the streamed bytes can stop it.
    chunk = b" " * 1024
    return Reply(200, chunks=[b'{"pad": "'] + [chunk] * (SMALL_CAP // 1024 + 4) + [b'"}'])


DEEP = b"[" * 2000 + b"]" * 2000  # 4,000 bytes: under the size cap, so depth decides
BROKEN_ANSWERS: dict[str, tuple[Callable[[Forwarded], Reply], str]] = {
    # name: (fault, a word the poll_error must contain)
    "500": (_raw(500, b'{"error": "internal"}'), "500"),
    "503": (_raw(503, b"", **{"Retry-After": "2"}), "503"),
    "502 html": (
        lambda g: Reply(502, BAD_GATEWAY_HTML, {"Content-Type": "text/html"}),
        "502",
    ),
    "429": (_raw(429, b'{"message": "slow down"}', **{"Retry-After": "3"}), "429"),
    "truncated json": (_truncated, "json"),
    "invalid json": (_raw(200, b"{'status': nope,"), "json"),
    "invalid utf-8": (_raw(200, b'{"status": "\xff\xfe\xfd"}'), "utf-8"),
    "empty body": (_raw(200, b""), "empty"),
    "null": (_raw(200, b"null"), ""),
    "array": (_raw(200, b"[1, 2, 3]"), ""),
    "wrong types": (_wrong_types, ""),
    "html with 200": (_raw(200, b"<html><body>maintenance</body></html>"), "html"),
    "too large (declared)": (_raw(200, b'{"pad": "' + b"x" * (SMALL_CAP * 2) + b'"}'), "larger"),
    "too large (streamed)": (_streamed_too_large, "larger"),
    "nested thousands deep": (_raw(200, DEEP), "deep"),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fault_name", list(BROKEN_ANSWERS))
async def test_broken_answer_leaves_clear_error_keeps_snapshot_and_polling_goes_on(
    sim: Simulator, proxy: FaultProxy, tmp_path: Path, kind: str, fault_name: str
) -> None:
    fault, word = BROKEN_ANSWERS[fault_name]
    rig = Rig(sim, proxy, kind, tmp_path)
    try:
        await rig.sweep()
        good = rig.job
        assert good.poll_error is None, good.poll_error
        assert good.job is not None
        assert good.state is not JobState.UNKNOWN

        proxy.arm(rig.job_id, fault)
        await rig.sweep()
        assert proxy.faulted, "the fault was never served"
        broken = rig.job
        assert broken.poll_error, f"{fault_name}: no poll_error"
        assert word.lower() in broken.poll_error.lower(), broken.poll_error
        assert "Traceback" not in broken.poll_error and "\n" not in broken.poll_error
        assert broken.job == good.job, "the last good snapshot was lost"
        assert broken.state == good.state
        assert broken.next_poll_at is not None and broken.next_poll_at >= rig.clock.now()

        proxy.disarm()
        before = len(proxy.polls(rig.job_id))
        rig.clock.advance(600)
        await rig.sweep()
        assert len(proxy.polls(rig.job_id)) > before, "polling stopped after the fault"
        healed = rig.job
        assert healed.poll_error is None
        assert healed.job is not None and healed.job.id == rig.job_id
    finally:
        await rig.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_unknown_enum_becomes_unknown_state_with_raw_value(
    sim: Simulator, proxy: FaultProxy, tmp_path: Path, kind: str
) -> None:
    rig = Rig(sim, proxy, kind, tmp_path)
    try:
        await rig.sweep()
        proxy.arm(rig.job_id, _rewrite("QUANTUM_ENTANGLED"))
        await rig.sweep()
        job = rig.job
        # DESIGN.md: an unknown enum is not an error; it shows as unknown with its raw value.
        assert job.poll_error is None, job.poll_error
        assert job.state is JobState.UNKNOWN
        assert job.job is not None and job.job.raw_status == "QUANTUM_ENTANGLED"
        assert job.next_poll_at is not None
    finally:
        await rig.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_wrongly_typed_status_never_crashes(
    sim: Simulator, proxy: FaultProxy, tmp_path: Path, kind: str
) -> None:
    rig = Rig(sim, proxy, kind, tmp_path)
    try:
        await rig.sweep()
        good = rig.job
        proxy.arm(rig.job_id, _rewrite({"state": ["RUNNING"]}))
        await rig.sweep()
        job = rig.job
        # Either the job is unreadable (error, snapshot kept) or its state is unknown.
        if job.poll_error is not None:
            assert job.job == good.job
        else:
            assert job.state is JobState.UNKNOWN
        assert job.next_poll_at is not None
    finally:
        await rig.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_404_for_a_job_that_existed(
    sim: Simulator, proxy: FaultProxy, tmp_path: Path, kind: str
) -> None:
    rig = Rig(sim, proxy, kind, tmp_path)
    try:
        await rig.sweep()
        good = rig.job
        proxy.arm(rig.job_id, _raw(404, b'{"message": "no such job"}'))
        await rig.sweep()
        gone = rig.job
        assert gone.poll_error == "not found at provider"
        assert gone.state is JobState.UNKNOWN
        assert gone.job == good.job, "the last good snapshot was lost"
        assert gone.next_poll_at is not None
        transitions = rig.store.transitions(kind, rig.job_id)
        assert transitions[-1].to_state is JobState.UNKNOWN
        proxy.disarm()
        rig.clock.advance(3600)
        await rig.sweep()
        assert rig.job.poll_error is None and rig.job.state is good.state
    finally:
        await rig.close()


CREDENTIAL_HEADERS = ("authorization", "x-api-key", "api-key", "x-signature", "cookie")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("kind", KINDS)
async def test_redirect_to_another_origin_carries_no_credentials(
    sim: Simulator,
    proxy: FaultProxy,
    other_origin: ScriptedServer,
    tmp_path: Path,
    kind: str,
    status: int,
) -> None:
    other_origin.handle("GET", "/steal", lambda r: Reply(200, {"status": "COMPLETED"}))
    rig = Rig(sim, proxy, kind, tmp_path)
    try:
        await rig.sweep()
        good = rig.job

        def redirect(genuine: Forwarded) -> Reply:
            return Reply(status, b"", {"Location": f"{other_origin.url}/steal?next=1"})

        proxy.arm(rig.job_id, redirect)
        await rig.sweep()
        job = rig.job
        for request in other_origin.requests:
            leaked = {h for h in CREDENTIAL_HEADERS if h in request.headers}
            assert not leaked, f"credentials followed the redirect: {leaked}"
        assert other_origin.requests == [], "the redirect was followed"
        assert job.poll_error is not None and "redirect" in job.poll_error
        assert job.job == good.job
        assert job.next_poll_at is not None
    finally:
        await rig.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_a_hang_past_the_timeout_keeps_the_snapshot(
    sim: Simulator, proxy: FaultProxy, tmp_path: Path, kind: str
) -> None:
    release = threading.Event()
    rig = Rig(sim, proxy, kind, tmp_path, timeout=0.3)
    try:
        # A 0.3 s timeout keeps the hang short; an answer that takes longer on a busy
        # machine is a timeout too, so the good snapshot is polled until it comes.
        await rig.sweep_until_answered("the good snapshot")
        good = rig.job
        assert good.poll_error is None and good.job is not None
        proxy.arm(rig.job_id, lambda g: Reply(200, g.body, dict(g.headers), hold=release))
        await rig.sweep()
        hung = rig.job
        assert hung.poll_error == "request timed out"
        assert hung.job == good.job
        assert hung.next_poll_at is not None
        proxy.disarm()
        release.set()
        rig.clock.advance(600)
        await rig.sweep_until_answered("the poll after the hang")
        assert rig.job.poll_error is None
    finally:
        release.set()
        await rig.close()
