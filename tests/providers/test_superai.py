"""super.AI: parsing job objects, the output fetched once, cancel and discovery over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from jobtui.config.model import SecretRef, SuperaiConfig
from jobtui.errors import FetchCategory, FetchError, PayloadError
from jobtui.model import Job, JobState
from jobtui.providers.superai.client import (
    RESPONSE_ERROR_KEY,
    RESPONSE_KEY,
    SuperaiProvider,
    parse,
)
from jobtui.providers.superai.parse import answer_text
from jobtui.sim import Simulator

from support.data import PROVIDER_DOCS, seed_object
from support.scripted_server import Recorded, Reply, ScriptedServer, serve
from support.sim_configs import sim_config

SEED = PROVIDER_DOCS / "superai.seed.txt"
KEY = "superai-api-key-value"
JOB_PATH = "/v1/jobs/1234567"
OUTPUT = {"id": "1234567", "response": {"label": "pink poodle", "confidence": 0.93}}


def seed_example() -> dict[str, Any]:
    """The job object printed on the published page."""
    return seed_object("superai", '{\n"id"')


def job_object(status: str, **fields: Any) -> dict[str, Any]:
    payload = seed_example()
    payload["status"] = status
    if status not in ("COMPLETED", "FAILED", "CANCELED", "EXPIRED"):
        payload.pop("completed")
    payload.update(fields)
    return payload


# --- parse -----------------------------------------------------------------------------------


def test_seed_example() -> None:
    payload = seed_example()
    job = parse(payload)
    assert (job.kind, job.id, job.state, job.raw_status) == (
        "superai",
        "1234567",
        JobState.SUCCEEDED,
        "COMPLETED",
    )
    assert job.created_at == datetime(2020, 2, 12, 13, 27, 3, tzinfo=UTC)
    assert job.finished_at == datetime(2020, 2, 12, 13, 41, 41, 695000, tzinfo=UTC)
    assert job.summary == "tags: poodle, pink"
    assert job.items == ()
    assert job.raw is payload


def test_attached_output_gives_the_answer() -> None:
    job = parse({**seed_example(), RESPONSE_KEY: OUTPUT})
    assert job.summary == "pink poodle 0.93"
    (item,) = job.items
    assert (item.id, item.label, item.state) == ("response", "pink poodle 0.93", JobState.SUCCEEDED)
    assert item.url == "data://12345/images/dogs/poodles/pink-poodle.jpeg"


def test_output_error_is_an_item() -> None:
    job = parse({**seed_example(), RESPONSE_ERROR_KEY: "output unavailable: HTTP 404"})
    assert job.items[0].error == "output unavailable: HTTP 404"
    assert job.state is JobState.SUCCEEDED


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("SCHEDULED", JobState.QUEUED),
        ("IN_PROGRESS", JobState.RUNNING),
        ("SUSPENDED", JobState.PAUSED),
        ("COMPLETED", JobState.SUCCEEDED),
        ("FAILED", JobState.FAILED),
        ("EXPIRED", JobState.FAILED),
        ("CANCELED", JobState.CANCELED),
        ("POST PROCESSING", JobState.UNKNOWN),
        ("NEEDS REVIEW", JobState.UNKNOWN),
    ],
)
def test_every_status(status: str, state: JobState) -> None:
    job = parse(job_object(status))
    assert job.state is state
    assert job.raw_status == status
    assert (job.finished_at is not None) == state.terminal


def test_failed_and_unknown_summaries() -> None:
    assert parse(job_object("EXPIRED", tags=[])).summary == "job expired"
    assert parse(job_object("EXPIRED")).error == "job expired"
    unknown = parse(job_object("POST PROCESSING", tags=[], jobType="CALIBRATION"))
    assert unknown.summary == "post processing · calibration job"


def test_uuid_stands_in_for_id() -> None:
    payload = {"uuid": "1a23bc4d", "status": "SCHEDULED"}
    job = parse(payload)
    assert (job.id, job.state, job.summary) == ("1a23bc4d", JobState.QUEUED, "scheduled")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "job"),
        ({"status": "COMPLETED"}, "job"),
        ({"id": True, "status": "COMPLETED"}, "id"),
        ({"id": "1", "status": ["COMPLETED"]}, "status"),
        ({"id": "1", "tags": "pink"}, "tags"),
    ],
)
def test_not_a_job(payload: object, field: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse(payload, provider="sai")
    assert (caught.value.provider, caught.value.field) == ("sai", field)


@pytest.mark.parametrize(
    ("output", "text"),
    [
        ({"response": {"answer": True}}, "yes"),
        ({"response": [{"class": "cat", "score": 0.5}]}, "cat 0.50"),
        ({"response": {"boxes": [], "count": 3}}, "3"),
        ({"response": {"text": "  many\n words "}}, "many words"),
        ({"response": None}, None),
        ("plain", "plain"),
    ],
)
def test_answer_text(output: object, text: str | None) -> None:
    assert answer_text(output) == text


# --- HTTP ------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serve() as running:
        yield running


def sai_config(server: ScriptedServer, **fields: Any) -> SuperaiConfig:
    values: dict[str, Any] = {
        "name": "sai",
        "base_url": server.url,
        "timeout": 5.0,
        "secrets": {"api_key": SecretRef(key="api_key", source="literal", literal=SecretStr(KEY))},
        **fields,
    }
    return SuperaiConfig.model_validate(values)


async def fetch_one(provider: SuperaiProvider, job_id: str = "1234567") -> Job | FetchError:
    (result,) = await provider.fetch([job_id])
    assert isinstance(result, Job | FetchError)
    return result


async def test_output_fetched_once_when_completed(server: ScriptedServer) -> None:
    server.script(
        "GET",
        JOB_PATH,
        Reply(body=job_object("IN_PROGRESS")),
        Reply(body=job_object("COMPLETED")),
    )
    server.script("GET", f"{JOB_PATH}/response", Reply(body=OUTPUT))
    provider = SuperaiProvider(sai_config(server))
    try:
        running = await fetch_one(provider)
        done = await fetch_one(provider)
        again = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(running, Job) and running.state is JobState.RUNNING
    assert isinstance(done, Job) and isinstance(again, Job)
    assert done.raw[RESPONSE_KEY] == OUTPUT == again.raw[RESPONSE_KEY]
    assert done.summary == "pink poodle 0.93"
    assert len(server.to("GET", f"{JOB_PATH}/response")) == 1
    assert all(r.headers["api-key"] == KEY for r in server.requests)


async def test_a_missing_output_is_noted(server: ScriptedServer) -> None:
    server.script("GET", JOB_PATH, Reply(body=job_object("COMPLETED")))
    server.script("GET", f"{JOB_PATH}/response", Reply(404, {"message": "Job has no response"}))
    provider = SuperaiProvider(sai_config(server))
    try:
        job = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(job, Job) and job.state is JobState.SUCCEEDED
    assert "Job has no response" in job.raw[RESPONSE_ERROR_KEY]
    assert job.items[0].error is not None


async def test_a_transient_output_failure_fails_the_poll(server: ScriptedServer) -> None:
    server.script("GET", JOB_PATH, Reply(body=job_object("COMPLETED")))
    server.script(
        "GET",
        f"{JOB_PATH}/response",
        Reply(503, {"message": "busy"}, {"Retry-After": "5"}),
        Reply(body=OUTPUT),
    )
    provider = SuperaiProvider(sai_config(server))
    try:
        first = await fetch_one(provider)
        second = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(first, FetchError)
    assert (first.category, first.retry_after, first.job_id) == (
        FetchCategory.SERVER,
        5.0,
        "1234567",
    )
    assert isinstance(second, Job) and second.summary == "pink poodle 0.93"


async def test_cancel(server: ScriptedServer) -> None:
    server.script("POST", f"{JOB_PATH}/cancel", Reply(body=job_object("CANCELED")))
    provider = SuperaiProvider(sai_config(server))
    try:
        job = await provider.cancel("1234567")
    finally:
        await provider.aclose()
    assert isinstance(job, Job) and job.state is JobState.CANCELED
    assert SuperaiProvider.supports_cancel


async def test_refused_cancel_raises(server: ScriptedServer) -> None:
    server.script("POST", f"{JOB_PATH}/cancel", Reply(409, {"message": "Job is already COMPLETED"}))
    provider = SuperaiProvider(sai_config(server))
    try:
        with pytest.raises(FetchError) as caught:
            await provider.cancel("1234567")
    finally:
        await provider.aclose()
    assert caught.value.category is FetchCategory.CLIENT
    assert "already COMPLETED" in str(caught.value)
    assert caught.value.job_id == "1234567"


async def test_discover_pages_through_the_app(server: ScriptedServer) -> None:
    def listing(request: Recorded) -> Reply:
        page = int(request.query["page"][0])
        jobs = [{"id": f"{page}-{n}"} for n in range(2)] + [{"uuid": f"u{page}"}, {"x": 1}]
        return Reply(body={"jobs": jobs, "pages": 3})

    server.handle("GET", "/v1/apps/app-9/jobs", listing)
    provider = SuperaiProvider(sai_config(server, app_id="app-9"))
    try:
        assert provider.can_discover
        found = await provider.discover()
    finally:
        await provider.aclose()
    assert found == ["0-0", "0-1", "u0", "1-0", "1-1", "u1", "2-0", "2-1", "u2"]
    pages = server.to("GET", "/v1/apps/app-9/jobs")
    assert [p.query["page"] for p in pages] == [["0"], ["1"], ["2"]]
    assert pages[0].query["size"] == ["500"]


async def test_discover_without_app_id(server: ScriptedServer) -> None:
    provider = SuperaiProvider(sai_config(server))
    try:
        assert not provider.can_discover
        assert await provider.discover() == []
    finally:
        await provider.aclose()
    assert server.requests == []


@pytest.mark.parametrize(
    ("reply", "category"),
    [
        (Reply(401, {"message": f"Invalid API-KEY {KEY}"}), FetchCategory.AUTH),
        (Reply(404, {"message": "Job not found"}), FetchCategory.NOT_FOUND),
        (Reply(429, {"message": "Too many"}, {"Retry-After": "2"}), FetchCategory.RATE_LIMITED),
        (Reply(200, {"status": "COMPLETED"}), FetchCategory.BAD_PAYLOAD),
    ],
)
async def test_errors(server: ScriptedServer, reply: Reply, category: FetchCategory) -> None:
    server.script("GET", JOB_PATH, reply)
    provider = SuperaiProvider(sai_config(server))
    try:
        result = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError) and result.category is category
    assert KEY not in str(result)


async def test_against_the_simulator(start_sim: Callable[..., Simulator]) -> None:
    sim = start_sim(jobs=10, seed=2, speed=0)
    sim.clock.advance(7 * 86400)  # everything has finished
    ids = sim.job_ids("superai")
    app_id = sim.sim("superai").app_id  # type: ignore[attr-defined]
    provider = SuperaiProvider(sim_config(sim, "superai", app_id=app_id))  # type: ignore[arg-type]
    try:
        results = await provider.fetch(ids)
        discovered = await provider.discover()
    finally:
        await provider.aclose()
    jobs = [r for r in results if isinstance(r, Job)]
    assert [j.id for j in jobs] == ids
    completed = [j for j in jobs if j.state is JobState.SUCCEEDED]
    assert completed
    for job in jobs:
        assert (RESPONSE_KEY in job.raw) == (job.state is JobState.SUCCEEDED)
    assert all(job.items and job.items[0].error is None for job in completed)
    assert set(ids) <= set(discovered)
