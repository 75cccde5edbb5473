"""Simulated Cognite vision jobs over real HTTP: documented shapes, batches, tokens, cdf-version,
errors, create, and our own provider working against it end to end."""

from __future__ import annotations

import base64
import itertools
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from jobtui.config.model import SECRET_KEYS, CogniteConfig, SecretRef
from jobtui.errors import FetchCategory, FetchError
from jobtui.model import Job, JobState
from jobtui.providers.cognite.client import CogniteProvider
from jobtui.sim import Simulator
from jobtui.sim.api import World
from jobtui.sim.cognite.auth import TOKEN_LIFETIME
from jobtui.sim.cognite.service import CLIENT_ID, CLIENT_SECRET, PROJECT, TOKEN_PATH, CogniteSim

from support.data import seed_object
from support.shapes import assert_like, real_payload

ROOT = f"/api/v1/projects/{PROJECT}/context/vision"
JOB_KEYS = ("status", "createdTime", "startTime", "statusTime", "jobId", "items")
EXTRACT_DONE = real_payload("cognite--vision-extract-get-completed-sdk-fixture.json")
EXTRACT_QUEUED = real_payload("cognite--vision-extract-post-queued-sdk-fixture.json")
ORDER = ("Queued", "Running", "END")


def seed_example() -> dict[str, Any]:
    """The segment job printed on the published status page."""
    return seed_object("cognite", '{\n"status"')


SEGMENT_EXAMPLE = seed_example()


def form(**changes: str | None) -> dict[str, str]:
    fields: dict[str, str | None] = {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": "http://127.0.0.1/cognite/.default",
        **changes,
    }
    return {key: value for key, value in fields.items() if value is not None}


async def token_for(client: httpx.AsyncClient) -> str:
    answer = await client.post(TOKEN_PATH, data=form())
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    assert isinstance(token, str)
    return token


@asynccontextmanager
async def api_client(sim: Simulator, version: str = "beta") -> AsyncIterator[httpx.AsyncClient]:
    """A client with a fresh token and the ``cdf-version`` header."""
    async with httpx.AsyncClient(base_url=sim.base_url("cognite")) as client:
        client.headers["Authorization"] = f"Bearer {await token_for(client)}"
        client.headers["cdf-version"] = version
        yield client


async def fetch_all(
    client: httpx.AsyncClient, ids: list[str], job_type: str = "segment"
) -> dict[str, dict[str, Any]]:
    """Every job, with a fresh token (tests move the clock past a token's life)."""
    client.headers["Authorization"] = f"Bearer {await token_for(client)}"
    found: dict[str, dict[str, Any]] = {}
    for job_id in ids:
        answer = await client.get(f"{ROOT}/{job_type}/{job_id}")
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-request-id"]
        found[job_id] = answer.json()
    return found


def provider_config(table: dict[str, object], **changes: object) -> CogniteConfig:
    """The provider table the simulator prints, as the config loader would model it."""
    fields = {**table, **changes}
    secrets = {
        key: SecretRef(key=f"providers.sim.{key}", source="literal", literal=SecretStr(str(value)))
        for key, value in fields.items()
        if key in SECRET_KEYS and value is not None
    }
    plain = {key: value for key, value in fields.items() if key not in SECRET_KEYS}
    return CogniteConfig.model_validate({"name": "sim", **plain, "secrets": secrets})


def file_key(ref: dict[str, Any]) -> int:
    value = ref["fileId"]
    assert isinstance(value, int)
    return value


# -- shapes and lifecycle -----------------------------------------------------------------


async def test_seeded_jobs_match_the_documented_shape_and_show_every_state(
    start_sim: Any,
) -> None:
    sim = start_sim(jobs=24, speed=0)
    async with api_client(sim) as client:
        jobs = await fetch_all(client, sim.job_ids("cognite"))
    for job in jobs.values():
        assert_like(SEGMENT_EXAMPLE, job, required=(*JOB_KEYS, "errorMessage"))
        assert job["createdTime"] <= job["startTime"] <= job["statusTime"]
        assert job["createdTime"] > 1_600_000_000_000  # epoch milliseconds
        for item in job["items"]:
            assert "fileId" in item
    statuses = {job["status"] for job in jobs.values()}
    assert statuses == {"Queued", "Running", "Completed", "Failed"}
    completed = [job for job in jobs.values() if job["status"] == "Completed"]
    assert any("failedItems" in job for job in completed), "a partial success"
    assert any("failedItems" not in job for job in completed), "a clean success"
    running = [job for job in jobs.values() if job["status"] == "Running"]
    assert any(job["items"] for job in running), "items of finished batches while running"
    queued = [job for job in jobs.values() if job["status"] == "Queued"]
    assert all(job["items"] and job["startTime"] == job["createdTime"] for job in queued)
    for job in jobs.values():
        if job["status"] == "Failed":
            assert not job["items"] and job["failedItems"]
            assert job["errorMessage"] == job["failedItems"][0]["errorMessage"]
        else:
            assert job["errorMessage"] is None


async def test_lifecycle_batches_finish_one_by_one_and_every_job_ends(start_sim: Any) -> None:
    sim = start_sim(jobs=30, speed=0)
    ids = sim.job_ids("cognite")
    history: dict[str, list[dict[str, Any]]] = {job_id: [] for job_id in ids}
    async with api_client(sim) as client:
        for _ in range(30):
            for job_id, job in (await fetch_all(client, ids)).items():
                history[job_id].append(job)
            sim.clock.advance(150.0)
        sim.clock.advance(2 * 3600)
        final = await fetch_all(client, ids)
    rank = {status: position for position, status in enumerate(ORDER)}
    for job_id, seen in history.items():
        steps = [rank.get(job["status"], rank["END"]) for job in seen]
        assert steps == sorted(steps), f"{job_id}: {[job['status'] for job in seen]}"
        times = [job["statusTime"] for job in seen]
        assert times == sorted(times)
        later = [job for job in seen if job["status"] != "Queued"]
        done = [{file_key(item) for item in job["items"]} for job in later]
        failed = [
            {file_key(ref) for batch in job.get("failedItems", []) for ref in batch["items"]}
            for job in later
        ]
        for before, after in itertools.pairwise(done):
            assert before <= after, "results never disappear"
        for before, after in itertools.pairwise(failed):
            assert before <= after
        assert all(job == final[job_id] for job in seen if job["status"] in ("Completed", "Failed"))
    for job in final.values():
        assert job["status"] in ("Completed", "Failed")
        assert (job["status"] == "Completed") == bool(job["items"])
        assert all("segments" in item for item in job["items"])


async def test_extract_jobs_match_the_real_payloads(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    request = {
        "items": [{"fileId": 1}, {"fileExternalId": "some_external_id"}, {"fileId": 3}],
        "features": ["AssetTagDetection", "TextDetection"],
        "parameters": EXTRACT_DONE["parameters"],
    }
    async with api_client(sim) as client:
        created = await client.post(f"{ROOT}/extract", json=request)
        assert created.status_code == 200, created.text
        queued = created.json()
        job_id = str(queued["jobId"])
        sim.clock.advance(3 * 3600)
        (done,) = (await fetch_all(client, [job_id], "extract")).values()
        wrong_type = await client.get(f"{ROOT}/segment/{job_id}")
    assert_like(EXTRACT_QUEUED, queued, required=JOB_KEYS)
    assert queued["status"] == "Queued"
    assert [item.get("fileExternalId") for item in queued["items"]] == [
        None,
        "some_external_id",
        None,
    ]
    assert_like(EXTRACT_DONE, done, required=(*JOB_KEYS, "parameters"))
    assert done["parameters"] == EXTRACT_DONE["parameters"]
    for item in done["items"]:
        assert set(item["predictions"]) == {"assetTagPredictions", "textPredictions"}
        for tag in item["predictions"]["assetTagPredictions"]:
            assert_like(EXTRACT_DONE["items"][0]["predictions"]["assetTagPredictions"][0], tag)
    assert sim.job_ids("cognite") == [job_id]
    assert wrong_type.status_code == 404


async def test_segment_create_echoes_files_and_the_prompt(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    prompt = SEGMENT_EXAMPLE["prompt"]
    items = [
        {"fileId": 1234},
        {"fileInstanceId": {"space": "space", "externalId": "externalId"}},
    ]
    async with api_client(sim, version="alpha") as client:
        created = await client.post(f"{ROOT}/segment", json={"items": items, "prompt": prompt})
        job = created.json()
        sim.clock.advance(3 * 3600)
        (done,) = (await fetch_all(client, [str(job["jobId"])])).values()
    assert created.status_code == 200, created.text
    assert job["status"] == "Queued" and job["prompt"] == prompt
    assert job["items"][0] == {"fileId": 1234}
    assert job["items"][1]["fileInstanceId"] == items[1]["fileInstanceId"]
    assert done["prompt"] == prompt
    listed = done["items"] + [ref for b in done.get("failedItems", []) for ref in b["items"]]
    assert sorted(file_key(ref) for ref in listed) == sorted(file_key(ref) for ref in job["items"])


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("segment", {}, "items"),
        ("segment", {"items": []}, "items"),
        ("segment", {"items": [{"fileId": 1, "fileExternalId": "a"}]}, "exactly one"),
        ("segment", {"items": [{"fileId": "1"}]}, "invalid value"),
        ("segment", {"items": [{"fileId": 1}] * 101}, "at most 100"),
        ("segment", {"items": [{"fileId": 1}], "prompt": []}, "prompt"),
        ("extract", {"items": [{"fileId": 1}]}, "features"),
        ("extract", {"items": [{"fileId": 1}], "features": ["Telepathy"]}, "Telepathy"),
    ],
)
async def test_create_refuses_bad_requests(
    start_sim: Any, path: str, body: dict[str, Any], message: str
) -> None:
    sim = start_sim(jobs=0, speed=0)
    async with api_client(sim) as client:
        answer = await client.post(f"{ROOT}/{path}", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == 400 and message in error["message"]
    assert sim.job_ids("cognite") == []


async def test_duplicate_files_are_named(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    async with api_client(sim) as client:
        answer = await client.post(
            f"{ROOT}/segment", json={"items": [{"fileId": 7}, {"fileId": 8}, {"fileId": 7}]}
        )
    assert answer.status_code == 400
    assert answer.json()["error"]["duplicated"] == [{"fileId": 7}]


# -- tokens, headers, errors ----------------------------------------------------------------


async def test_token_endpoint_takes_client_credentials_only(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    async with httpx.AsyncClient(base_url=sim.base_url("cognite")) as client:
        good = await client.post(TOKEN_PATH, data=form())
        by_basic = await client.post(
            TOKEN_PATH,
            data=form(client_id=None, client_secret=None),
            headers={"Authorization": f"Basic {basic}"},
        )
        refused = {
            "wrong secret": (401, await client.post(TOKEN_PATH, data=form(client_secret="x"))),
            "wrong client": (401, await client.post(TOKEN_PATH, data=form(client_id="x"))),
            "no secret": (401, await client.post(TOKEN_PATH, data=form(client_secret=None))),
            "password grant": (
                400,
                await client.post(TOKEN_PATH, data=form(grant_type="password")),
            ),
            "no grant": (400, await client.post(TOKEN_PATH, data=form(grant_type=None))),
            "no scope": (400, await client.post(TOKEN_PATH, data=form(scope=None))),
            "odd scope": (400, await client.post(TOKEN_PATH, data=form(scope="files:read"))),
            "json body": (400, await client.post(TOKEN_PATH, json=form())),
            "get": (405, await client.get(TOKEN_PATH)),
        }
    body = good.json()
    assert good.status_code == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == TOKEN_LIFETIME
    assert by_basic.status_code == 200
    assert by_basic.json()["access_token"] != body["access_token"]
    for why, (status, answer) in refused.items():
        assert answer.status_code == status, why
        assert isinstance(answer.json()["error"], str), why
        assert CLIENT_SECRET not in answer.text
    assert refused["wrong secret"][1].json() == refused["wrong client"][1].json()
    assert refused["password grant"][1].json()["error"] == "unsupported_grant_type"


async def test_api_checks_token_project_and_cdf_version(start_sim: Any) -> None:
    sim = start_sim(jobs=2, speed=0)
    job_id = sim.job_ids("cognite")[0]
    path = f"{ROOT}/segment/{job_id}"
    async with api_client(sim) as client:
        ok = await client.get(path)
        dated = await client.get(path, headers={"cdf-version": "20230101-beta"})
        extract = await client.post(
            f"{ROOT}/extract",
            json={"items": [{"fileId": 1}], "features": ["TextDetection"]},
            headers={"cdf-version": ""},  # generally available: no version needed
        )
        answers = {
            "no token": (401, await client.get(path, headers={"Authorization": ""})),
            "bad token": (401, await client.get(path, headers={"Authorization": "Bearer nope"})),
            "other project": (403, await client.get(path.replace(PROJECT, "someone-else"))),
            "no version": (400, await client.get(path, headers={"cdf-version": ""})),
            "ga version": (400, await client.get(path, headers={"cdf-version": "20230101"})),
            "bad version": (
                400,
                await client.get(
                    f"{ROOT}/extract/{extract.json()['jobId']}", headers={"cdf-version": "v2"}
                ),
            ),
            "unknown job": (404, await client.get(f"{ROOT}/segment/99")),
            "not a number": (400, await client.get(f"{ROOT}/segment/abc")),
            "unknown path": (404, await client.get(f"{ROOT}/classify/{job_id}")),
            "wrong method": (405, await client.delete(path)),
        }
        sim.clock.advance(TOKEN_LIFETIME + 1)
        expired = await client.get(path)
    assert ok.status_code == dated.status_code == extract.status_code == 200
    request_ids = {ok.headers["x-request-id"], dated.headers["x-request-id"]}
    for why, (status, answer) in answers.items():
        assert answer.status_code == status, why
        error = answer.json()["error"]
        assert error["code"] == status and error["message"], why
        request_ids.add(answer.headers["x-request-id"])
    assert len(request_ids) == len(answers) + 2, "every answer has its own request id"
    assert answers["unknown job"][1].json()["error"]["missing"] == [{"jobId": 99}]
    assert expired.status_code == 401


async def test_injected_faults_speak_the_cdf_error_shape(start_sim: Any) -> None:
    sim = start_sim(jobs=1, speed=0, faults=1.0, slow_delay=0.0)
    seen = []
    async with httpx.AsyncClient(base_url=sim.base_url("cognite")) as client:
        for _ in range(30):
            try:
                answer = await client.get(f"{ROOT}/segment/1")
            except httpx.HTTPError:
                continue  # a truncated answer
            if answer.headers["content-type"] == "application/json" and answer.status_code >= 429:
                seen.append(answer)
    assert seen
    for answer in seen:
        assert answer.json()["error"]["code"] == answer.status_code
        assert answer.headers["x-request-id"]


# -- our provider against the simulator ---------------------------------------------------


async def test_provider_polls_with_client_credentials_and_renews_expired_tokens(
    start_sim: Any,
) -> None:
    sim = start_sim(jobs=16, speed=0)
    table = sim.provider_tables()["cognite"]
    provider = CogniteProvider(provider_config(table))
    ids = sim.job_ids("cognite")
    try:
        results = await provider.fetch([*ids, "17"])
        jobs = [result for result in results if isinstance(result, Job)]
        assert len(jobs) == len(ids)
        assert {job.state for job in jobs} == {
            JobState.QUEUED,
            JobState.RUNNING,
            JobState.SUCCEEDED,
            JobState.PARTIAL,
            JobState.FAILED,
        }
        missing = results[-1]
        assert isinstance(missing, FetchError) and missing.category is FetchCategory.NOT_FOUND
        assert missing.request_id
        partial = next(job for job in jobs if job.state is JobState.PARTIAL)
        assert "files failed" in partial.summary
        assert provider.tokens_fetched == 1
        # The provider still trusts its token (its own clock did not move); the API does not.
        sim.clock.advance(TOKEN_LIFETIME + 60)
        (again,) = await provider.fetch([ids[0]])
        assert isinstance(again, Job)
        assert provider.tokens_fetched == 2
    finally:
        await provider.aclose()
    endpoints = sim.stats()["providers"]["cognite"]["endpoints"]
    assert endpoints[f"POST {TOKEN_PATH}"] == {"200": 2}
    job_endpoint = "GET /api/v1/projects/{project}/context/vision/segment/{jobId}"
    assert endpoints[job_endpoint] == {"200": len(ids) + 1, "401": 1, "404": 1}


async def test_provider_reads_extract_jobs_and_refuses_bad_credentials(start_sim: Any) -> None:
    sim = start_sim(jobs=0, speed=0)
    created = sim.create_job(
        "cognite",
        {"_type": "extract", "items": [{"fileId": 5}], "features": ["PeopleDetection"]},
    )
    table = sim.provider_tables()["cognite"]
    extract = CogniteProvider(provider_config(table, job_type="extract"))
    wrong = CogniteProvider(provider_config(table, client_secret="not-it"))
    try:
        sim.clock.advance(3 * 3600)
        (job,) = await extract.fetch([created])
        (refused,) = await wrong.fetch([created])
    finally:
        await extract.aclose()
        await wrong.aclose()
    assert isinstance(job, Job) and job.state in (JobState.SUCCEEDED, JobState.FAILED)
    assert isinstance(refused, FetchError) and refused.category is FetchCategory.AUTH
    assert "not-it" not in str(refused)


def test_config_table_is_client_credentials_against_the_simulation() -> None:
    table = CogniteSim(World()).config("http://127.0.0.1:1/cognite")
    assert table["project"] == PROJECT
    assert table["token_url"] == "http://127.0.0.1:1/cognite" + TOKEN_PATH
    assert table["scopes"] == ["http://127.0.0.1:1/cognite/.default"]
    assert (table["client_id"], table["client_secret"]) == (CLIENT_ID, CLIENT_SECRET)


def test_same_seed_same_jobs() -> None:
    first, second = CogniteSim(World(seed=4)), CogniteSim(World(seed=4))
    assert first.seed_jobs(9) == second.seed_jobs(9)
    assert first.seed_jobs(1) != CogniteSim(World(seed=5)).seed_jobs(1)


async def test_printed_config_table_works_as_is(start_sim: Any) -> None:
    sim = start_sim(jobs=4, speed=0)
    printed = tomllib.loads(sim.config_toml())
    table = printed["providers"]["cognite"]
    jobs = [job["id"] for job in printed["jobs"] if job["provider"] == "cognite"]
    assert jobs == sim.job_ids("cognite")
    provider = CogniteProvider(provider_config(table))
    try:
        results = await provider.fetch(jobs)
    finally:
        await provider.aclose()
    assert all(isinstance(result, Job) for result in results), results
