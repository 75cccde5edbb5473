"""Simulated super.AI over real HTTP: job, output, cancel, app listing, create, auth."""

from __future__ import annotations

from typing import Any

import httpx

from jobtui.sim.superai.service import API_KEY

from support.shapes import assert_like, seed_examples

KEY = {"API-KEY": API_KEY}
(JOB_EXAMPLE,) = seed_examples("superai")
JOB_KEYS = (
    "id", "completed", "created", "callbackUrl", "appId", "status", "input", "metadata",
    "tags", "uuid", "correct", "jobType", "batchId",
)  # fmt: skip
ALL_STATES = {"SCHEDULED", "IN_PROGRESS", "SUSPENDED", "COMPLETED", "FAILED", "CANCELED", "EXPIRED"}
FINAL = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}


def client_for(sim: Any, headers: dict[str, str] | None = KEY) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sim.base_url("superai"), headers=headers or {})


async def states_of(client: httpx.AsyncClient, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {job: (await client.get(f"/v1/jobs/{job}")).json() for job in ids}


async def test_jobs_match_the_documented_object_and_show_every_state(start_sim: Any) -> None:
    sim = start_sim(jobs=40, speed=0)
    async with client_for(sim) as client:
        jobs = await states_of(client, sim.job_ids("superai"))
    for job_id, body in jobs.items():
        assert_like(JOB_EXAMPLE, body, required=JOB_KEYS)
        assert body["id"] == job_id
        assert body["created"].endswith("+00:00")
        assert (body["completed"] is not None) == (body["status"] in FINAL)
    assert {body["status"] for body in jobs.values()} == ALL_STATES


async def test_lifecycles_reach_every_final_state(start_sim: Any) -> None:
    sim = start_sim(jobs=40, speed=0)
    seen_running: set[str] = set()
    async with client_for(sim) as client:
        for _ in range(30):
            jobs = await states_of(client, sim.job_ids("superai"))
            seen_running |= {job for job, body in jobs.items() if body["status"] == "IN_PROGRESS"}
            sim.clock.advance(300)
        sim.clock.advance(6 * 3600)
        final = await states_of(client, sim.job_ids("superai"))
    assert {body["status"] for body in final.values()} == FINAL
    assert any(final[job]["status"] == "COMPLETED" for job in seen_running)


async def test_uuid_is_accepted_in_place_of_id(start_sim: Any) -> None:
    sim = start_sim(jobs=2, speed=0)
    job = sim.job_ids("superai")[1]
    async with client_for(sim) as client:
        by_id = (await client.get(f"/v1/jobs/{job}")).json()
        by_uuid = (await client.get(f"/v1/jobs/{by_id['uuid']}")).json()
    assert by_id == by_uuid


async def test_response_endpoint_only_once_completed(start_sim: Any) -> None:
    sim = start_sim(jobs=40, speed=0)
    async with client_for(sim) as client:
        jobs = await states_of(client, sim.job_ids("superai"))
        done = next(job for job, body in jobs.items() if body["status"] == "COMPLETED")
        waiting = next(job for job, body in jobs.items() if body["status"] == "SCHEDULED")
        output = await client.get(f"/v1/jobs/{done}/response")
        early = await client.get(f"/v1/jobs/{waiting}/response")
    assert output.status_code == 200
    assert output.json()["id"] == done and output.json()["response"]["label"]
    assert early.status_code == 404 and "message" in early.json()


async def test_cancel_only_while_scheduled_running_or_suspended(start_sim: Any) -> None:
    sim = start_sim(jobs=40, speed=0)
    async with client_for(sim) as client:
        jobs = await states_of(client, sim.job_ids("superai"))
        by_state: dict[str, str] = {}
        for job, body in jobs.items():
            by_state.setdefault(body["status"], job)
        results = {
            state: await client.post(f"/v1/jobs/{job}/cancel") for state, job in by_state.items()
        }
        sim.clock.advance(24 * 3600)
        after = await states_of(client, list(by_state.values()))
        wrong_method = await client.get(f"/v1/jobs/{by_state['SCHEDULED']}/cancel")
    for state in ("SCHEDULED", "IN_PROGRESS", "SUSPENDED"):
        assert results[state].status_code == 200
        assert results[state].json()["status"] == "CANCELED"
        assert after[by_state[state]]["status"] == "CANCELED"
        assert after[by_state[state]]["completed"] is not None
    for state in FINAL:
        assert results[state].status_code == 409
        assert "message" in results[state].json()
        assert after[by_state[state]]["status"] == state
    assert wrong_method.status_code == 405


async def test_a_job_canceled_while_scheduled_answers_canceled_ever_after(
    start_sim: Any,
) -> None:
    sim = start_sim(jobs=40, speed=0)
    async with client_for(sim) as client:
        jobs = await states_of(client, sim.job_ids("superai"))
        scheduled = [job for job, body in jobs.items() if body["status"] == "SCHEDULED"]
        for job in scheduled:
            assert (await client.post(f"/v1/jobs/{job}/cancel")).status_code == 200
        seen: list[dict[str, Any]] = []
        for step in (0.0, 0.5, 3000.0, 24 * 3600.0):
            sim.clock.advance(step)
            seen += (await states_of(client, scheduled)).values()
    assert scheduled
    assert {body["status"] for body in seen} == {"CANCELED"}
    completed = {body["id"]: body["completed"] for body in seen[: len(scheduled)]}
    assert all(body["completed"] == completed[body["id"]] for body in seen)


async def test_app_job_list_pages_filters_and_sorts(start_sim: Any) -> None:
    sim = start_sim(jobs=23, speed=0)
    app = sim.sim("superai").app_id
    async with client_for(sim) as client:
        pages: list[dict[str, Any]] = []
        page = 0
        while True:
            params: dict[str, str | int] = {
                "page": page,
                "size": 10,
                "sortBy": "id",
                "orderBy": "desc",
            }
            body = (await client.get(f"/v1/apps/{app}/jobs", params=params)).json()
            pages.append(body)
            page += 1
            if page >= body["pages"]:
                break
        listed = [job["id"] for body in pages for job in body["jobs"]]
        statuses = {job["status"] for body in pages for job in body["jobs"]}
        wanted = sorted(statuses)[:2]
        filtered = (
            await client.get(
                f"/v1/apps/{app}/jobs", params={"size": 500, "statusIn": ",".join(wanted)}
            )
        ).json()
        repeated = (
            await client.get(
                f"/v1/apps/{app}/jobs", params=[("size", 500), *(("statusIn", s) for s in wanted)]
            )
        ).json()
        future = (
            await client.get(
                f"/v1/apps/{app}/jobs", params={"createdStartDate": "2999-01-01T00:00:00Z"}
            )
        ).json()
        finished = (
            await client.get(
                f"/v1/apps/{app}/jobs",
                params={"size": 500, "completedStartDate": "2000-01-01T00:00:00Z"},
            )
        ).json()
        unknown = await client.get("/v1/apps/00000000-0000-4000-8000-000000000000/jobs")
    assert [body["pages"] for body in pages] == [3, 3, 3]
    assert [len(body["jobs"]) for body in pages] == [10, 10, 3]
    assert listed == sorted(sim.job_ids("superai"), key=int, reverse=True)
    assert filtered["jobs"] and {job["status"] for job in filtered["jobs"]} <= set(wanted)
    assert filtered == repeated
    assert future == {"jobs": [], "pages": 0}
    assert finished["jobs"] and all(job["completed"] for job in finished["jobs"])
    assert len(finished["jobs"]) < len(listed)
    assert unknown.status_code == 404 and "message" in unknown.json()


async def test_create_jobs_in_an_app(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    app = sim.sim("superai").app_id
    body = {
        "inputs": [{"image_url": "https://example.com/a.jpg"}, {"image_url": "b"}],
        "callbackUrl": "https://example.com/hook/",
        "tags": ["mine"],
    }
    async with client_for(sim) as client:
        created = await client.post(f"/v1/apps/{app}/jobs", json=body)
        single = await client.post(f"/v1/apps/{app}/jobs", json={"inputs": [{"image_url": "c"}]})
        empty = await client.post(f"/v1/apps/{app}/jobs", json={"inputs": []})
        ids = sim.job_ids("superai")
        jobs = [(await client.get(f"/v1/jobs/{job}")).json() for job in ids]
    assert created.status_code == single.status_code == 200 and empty.status_code == 400
    assert len(ids) == 3
    assert {job["batchId"] for job in jobs[:2]} == {created.json()["batchId"]}
    assert "uuid" not in created.json() and created.json()["message"]
    assert single.json()["uuid"] == jobs[2]["uuid"]
    fetched = jobs[0]
    assert fetched["status"] == "SCHEDULED"
    assert fetched["input"] == {"image_url": "https://example.com/a.jpg"}
    assert fetched["callbackUrl"] == "https://example.com/hook/" and fetched["tags"] == ["mine"]


async def test_auth_and_not_found_bodies_carry_a_message(start_sim: Any) -> None:
    sim = start_sim(jobs=1, speed=0)
    job = sim.job_ids("superai")[0]
    async with client_for(sim, headers=None) as client:
        missing = await client.get(f"/v1/jobs/{job}")
        wrong = await client.get(f"/v1/jobs/{job}", headers={"API-KEY": "nope"})
        unknown = await client.get("/v1/jobs/1", headers=KEY)
        elsewhere = await client.get("/v2/whatever", headers=KEY)
    assert missing.status_code == wrong.status_code == 401
    assert unknown.status_code == elsewhere.status_code == 404
    for response in (missing, wrong, unknown, elsewhere):
        assert isinstance(response.json()["message"], str)
