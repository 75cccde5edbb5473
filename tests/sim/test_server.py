"""The simulator's server: routing, keep-alive, /_sim endpoints, faults, determinism, config."""

from __future__ import annotations

import asyncio
import threading
import time
import tomllib
from collections import Counter
from typing import Any

import httpx
import pytest

from jobtui.sim import CREDENTIALS, Simulator
from jobtui.sim.deepomatic.service import API_KEY as DEEPOMATIC_KEY
from jobtui.sim.faults import FAULT_KINDS

EPOCH = 1_767_225_600.0
DEEPO = {"X-API-KEY": DEEPOMATIC_KEY}


async def test_unknown_prefix_is_404_json(start_sim: Any) -> None:
    sim = start_sim(jobs=1, speed=0)
    async with httpx.AsyncClient(base_url=sim.url) as client:
        response = await client.get("/nosuchprovider/v1/jobs/1")
    assert response.status_code == 404
    assert "nosuchprovider" in response.json()["message"]


async def test_stats_count_by_provider_endpoint_and_status(start_sim: Any) -> None:
    sim = start_sim(jobs=3, speed=0)
    task = sim.job_ids("deepomatic")[0]
    async with httpx.AsyncClient(base_url=sim.base_url("deepomatic")) as client:
        for _ in range(3):
            assert (await client.get(f"/v0.7/tasks/{task}", headers=DEEPO)).status_code == 200
        assert (await client.get(f"/v0.7/tasks/{task}/")).status_code == 401
        assert (await client.get("/v0.7/tasks/1", headers=DEEPO)).status_code == 404
        await client.get("/v0.7/tasks/", params={"task_ids": task}, headers=DEEPO)
        served = (await client.get(f"{sim.url}/_sim/stats")).json()
    deepomatic = served["providers"]["deepomatic"]
    assert deepomatic["requests"] == 6
    assert deepomatic["endpoints"]["GET /v0.7/tasks/{id}"] == {"200": 3, "401": 1, "404": 1}
    assert deepomatic["endpoints"]["GET /v0.7/tasks/"] == {"200": 1}
    assert deepomatic["statuses"] == {"200": 4, "401": 1, "404": 1}
    assert served["requests"] == {"deepomatic": 6}
    assert served["total"] == 6
    assert sim.stats() == served  # /_sim/* requests are not counted


async def test_stats_detail_says_when_each_job_was_asked_for(start_sim: Any) -> None:
    sim = start_sim(jobs=3, speed=0)
    first, second, third = sim.job_ids("deepomatic")[:3]
    before = time.time()
    async with httpx.AsyncClient(base_url=sim.base_url("deepomatic")) as client:
        await client.get(f"/v0.7/tasks/{first}", headers=DEEPO)
        # A batch asks for each of its ids (a comma list counts like repeated keys).
        batch = {"task_ids": [first, f"{second},{third}"]}
        await client.get("/v0.7/tasks/", params=batch, headers=DEEPO)
        served = (await client.get(f"{sim.url}/_sim/stats", params={"detail": "1"})).json()
    detail = served["detail"]["deepomatic"]
    assert {job_id: len(times) for job_id, times in detail["jobs"].items()} == {
        first: 2,
        second: 1,
        third: 1,
    }
    assert len(detail["times"]) == 2
    assert all(before <= t <= time.time() for t in detail["times"])
    assert detail["jobs"][second] == [detail["times"][1]]
    assert "detail" not in sim.stats()  # only when asked: the plain counts stay small


async def test_clock_endpoint_reads_and_advances_frozen_time(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    async with httpx.AsyncClient(base_url=sim.url) as client:
        first = (await client.get("/_sim/clock")).json()
        second = (await client.get("/_sim/clock")).json()
        moved = (await client.post("/_sim/clock", json={"advance": 120.5})).json()
        bad = await client.post("/_sim/clock", json={"advance": -1})
    assert first == second == {"now": 0.0, "speed": 0.0}
    assert moved["now"] == pytest.approx(120.5)
    assert sim.clock.now() == pytest.approx(120.5)
    assert bad.status_code == 400


async def test_sim_jobs_endpoints_list_and_create(start_sim: Any) -> None:
    sim = start_sim(jobs=2, speed=0)
    async with httpx.AsyncClient(base_url=sim.url) as client:
        listing = (await client.get("/_sim/jobs")).json()
        created = await client.post("/_sim/jobs/superai")
    assert listing["deepomatic"] == sim.job_ids("deepomatic")
    assert created.status_code == 201
    assert sim.job_ids("superai")[-1] == created.json()["id"]


async def test_pipelined_requests_on_one_connection() -> None:
    sim = Simulator(jobs=2, speed=0, port=0)
    await sim.start()
    try:
        task = sim.job_ids("deepomatic")[0]
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        request = (
            f"GET /deepomatic/v0.7/tasks/{task} HTTP/1.1\r\nHost: x\r\n"
            f"X-API-KEY: {DEEPOMATIC_KEY}\r\n\r\n"
        ).encode()
        writer.write(request * 3)  # three requests before reading any answer
        await writer.drain()
        bodies = []
        for _ in range(3):
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            bodies.append(await reader.readexactly(length))
        writer.close()
        await writer.wait_closed()
    finally:
        await sim.stop()
    assert len(set(bodies)) == 1
    assert sim.stats()["providers"]["deepomatic"]["requests"] == 3


async def _fault_run(sim: Simulator, count: int) -> list[str]:
    """Outcome of ``count`` sequential requests: a status code, or ``cut`` for a truncated body."""
    task = sim.job_ids("deepomatic")[0]
    outcomes: list[str] = []
    async with httpx.AsyncClient(base_url=sim.base_url("deepomatic"), headers=DEEPO) as client:
        for _ in range(count):
            try:
                response = await client.get(f"/v0.7/tasks/{task}")
            except httpx.RemoteProtocolError:
                outcomes.append("cut")
                continue
            outcomes.append(str(response.status_code))
            if response.status_code in (429, 503):
                assert int(response.headers["retry-after"]) >= 1
                assert "detail" in response.json()  # Deepomatic's own error shape
            if response.status_code == 502:
                assert response.headers["content-type"].startswith("text/html")
                assert b"<html>" in response.content
    return outcomes


async def test_faults_rate_roughly_honoured_and_every_kind_occurs(start_sim: Any) -> None:
    sim = start_sim(jobs=1, speed=0, faults=0.3, seed=7, slow_delay=0.001)
    outcomes = await _fault_run(sim, 500)
    injected = sim.stats()["providers"]["deepomatic"]["faults"]
    total = sum(injected.values())
    assert 0.22 * 500 <= total <= 0.38 * 500
    assert set(injected) == set(FAULT_KINDS)
    counted = Counter(outcomes)
    assert counted["cut"] == injected["truncated"]
    for status in ("429", "500", "502", "503"):
        assert counted[status] == injected[status]
    assert counted["200"] == 500 - total + injected["slow"]


async def test_faults_are_deterministic_per_seed(start_sim: Any) -> None:
    def make(seed: int) -> Simulator:
        return start_sim(jobs=1, speed=0, faults=0.25, seed=seed, slow_delay=0.001, epoch=EPOCH)

    first = await _fault_run(make(3), 120)
    again = await _fault_run(make(3), 120)
    other = await _fault_run(make(4), 120)
    assert first == again
    assert first != other


async def test_no_faults_at_rate_zero(start_sim: Any) -> None:
    sim = start_sim(jobs=1, speed=0)
    assert set(await _fault_run(sim, 50)) == {"200"}
    assert sim.stats()["providers"]["deepomatic"]["faults"] == {}


async def test_same_seed_same_world_other_seed_other_world(start_sim: Any) -> None:
    one = start_sim(jobs=6, seed=11, speed=0, epoch=EPOCH)
    two = start_sim(jobs=6, seed=11, speed=0, epoch=EPOCH)
    three = start_sim(jobs=6, seed=12, speed=0, epoch=EPOCH)
    assert set(one.kinds) >= {"imageintelligence", "deepomatic", "superai"}
    for kind in one.kinds:
        assert one.job_ids(kind) == two.job_ids(kind)
        assert one.job_ids(kind) != three.job_ids(kind)
    async with httpx.AsyncClient() as client:
        for task in one.job_ids("deepomatic"):
            path = f"/v0.7/tasks/{task}"
            a = await client.get(one.base_url("deepomatic") + path, headers=DEEPO)
            b = await client.get(two.base_url("deepomatic") + path, headers=DEEPO)
            assert a.json() == b.json()


def test_config_toml_lists_every_provider_and_job() -> None:
    sim = Simulator(jobs=4, seed=2, speed=0, port=0)
    sim.start_in_thread()
    try:
        config = tomllib.loads(sim.config_toml(store_jobs=True))
        bare = tomllib.loads(sim.config_toml(store_jobs=False))
    finally:
        sim.stop_in_thread()
    assert set(config["providers"]) == set(sim.kinds)
    for kind, table in config["providers"].items():
        assert table["kind"] == kind
        assert table["base_url"] == f"{sim.url}/{kind}"
        assert table["allow_insecure"] is True
        for key, value in CREDENTIALS[kind].items():
            assert table[key] == value
    assert config["providers"]["deepomatic"]["api_key"] == DEEPOMATIC_KEY
    assert {"client_id", "client_secret"} <= set(config["providers"]["imageintelligence"])
    jobs = [(entry["provider"], entry["id"]) for entry in config["jobs"]]
    assert jobs == [(kind, job) for kind in sim.kinds for job in sim.job_ids(kind)]
    assert len(jobs) == 4 * len(sim.kinds)
    assert "jobs" not in bare


def test_thread_mode_serves_and_create_job_is_thread_safe() -> None:
    sim = Simulator(jobs=0, speed=0, port=0)
    sim.start_in_thread()
    try:
        made: list[str] = []
        lock = threading.Lock()

        def create() -> None:
            for _ in range(50):
                job = sim.create_job("deepomatic")
                with lock:
                    made.append(job)

        threads = [threading.Thread(target=create) for _ in range(4)]
        for thread in threads:
            thread.start()
        with httpx.Client(base_url=sim.base_url("deepomatic"), headers=DEEPO) as client:
            for _ in range(20):
                client.get("/v0.7/tasks/")
        for thread in threads:
            thread.join()
        with httpx.Client(base_url=sim.base_url("deepomatic"), headers=DEEPO) as client:
            listed = client.get("/v0.7/tasks/", params={"limit": 1000}).json()
    finally:
        sim.stop_in_thread()
    assert len(set(made)) == 200
    assert listed["count"] == 200
    assert {task["id"] for task in listed["results"]} == set(made)


async def test_frozen_clock_freezes_states_and_advance_moves_them(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    task = sim.create_job("deepomatic")
    url = f"{sim.base_url('deepomatic')}/v0.7/tasks/{task}"
    async with httpx.AsyncClient(headers=DEEPO) as client:
        before = (await client.get(url)).json()
        again = (await client.get(url)).json()
        sim.clock.advance(4 * 3600)
        after = (await client.get(url)).json()
    assert before == again
    assert before["status"] == "pending"
    assert after["status"] in ("success", "error")
