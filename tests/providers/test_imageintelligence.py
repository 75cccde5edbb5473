"""Image Intelligence: parsing the documented and real payloads, and the provider over HTTP."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from jobtui.config.model import ImageIntelligenceConfig, SecretRef
from jobtui.errors import ConfigError, FetchCategory, FetchError, PayloadError
from jobtui.model import Job, JobState
from jobtui.providers.imageintelligence.auth import ClientSecret, read_token_answer
from jobtui.providers.imageintelligence.client import ImageIntelligenceProvider, parse
from jobtui.sim import Simulator

from support.data import PROVIDER_DOCS, REAL_PAYLOADS, seed_object
from support.scripted_server import Reply, ScriptedServer, serve
from support.sim_configs import sim_config

SEED = PROVIDER_DOCS / "imageintelligence.seed.txt"
REAL = REAL_PAYLOADS
CREATED = datetime(2017, 2, 21, 3, 39, 8, tzinfo=UTC)
SECRET = "ii-client-secret-value"
JOB_ID = "5d689c71-e68f-46c3-ac71-4053806e71de"
JOB_PATH = f"/v2/ask/{JOB_ID}"
NOW = 1_700_000_000.0


def seed_example() -> dict[str, Any]:
    """The response sample printed on the published ask-status page."""
    return seed_object("imageintelligence", '{\n  "id"')


def real(name: str) -> dict[str, Any]:
    payload = json.loads((REAL / f"imageintelligence--{name}.json").read_text())
    assert isinstance(payload, dict)
    return payload


def ask_job(status: str, *images: tuple[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "id": "job-1",
        "createdAt": 1487648348000,
        "status": status,
        "question": "Is the door open?",
        "jobResults": {},
        "imageResults": [
            {"id": image_id, "url": f"https://x.test/{image_id}.jpg", "status": image_status}
            for image_id, image_status in images
        ],
        **fields,
    }


# --- parse -----------------------------------------------------------------------------------


def test_seed_example() -> None:
    payload = seed_example()
    job = parse(payload)
    assert (job.kind, job.provider, job.id) == ("imageintelligence", "imageintelligence", JOB_ID)
    assert job.state is JobState.SUCCEEDED
    assert job.raw_status == "COMPLETED_SUCCESSFULLY"
    assert job.created_at == CREATED
    assert job.progress == 1.0
    assert job.summary == "Is my garage door open? yes: some_garage_door_opened_image"
    assert job.error is None
    first, second = job.items
    assert first.id == "52547074-a622-11e6-8f61-63f37dc33285"
    assert first.label == "some_garage_door_opened_image"
    assert first.url == "https://publicly.available.domain.net/image-001.jpg"
    assert {first.state, second.state} == {JobState.SUCCEEDED}
    assert job.raw is payload


def test_ask_answer_no() -> None:
    job = parse(ask_job("COMPLETED_SUCCESSFULLY", ("a", "COMPLETED_SUCCESSFULLY")))
    assert job.summary == "Is the door open? no"


@pytest.mark.parametrize(
    "name",
    ["v1-detect-get-completed-status-object", "v1-detect-get-completed-createdat-seconds"],
)
def test_legacy_status_object_and_seconds(name: str) -> None:
    job = parse(real(name))
    assert job.state is JobState.SUCCEEDED
    assert job.raw_status == "COMPLETED_SUCCESSFULLY"
    assert job.created_at == CREATED
    (item,) = job.items
    assert item.state is JobState.SUCCEEDED
    assert item.label == "some_person_filled_image: person 1.00"
    assert job.summary == "1 found: person, best 1.00"


def test_real_detect_match_and_find_target() -> None:
    detect = parse(real("v2-detect-get-completed"))
    assert detect.summary == "2 found: person, car, best 1.00"
    assert [i.label for i in detect.items] == [
        "some_person_filled_image: person 1.00",
        "some_car_filled_image: car 1.00",
    ]
    match = parse(real("v2-match-get"))
    assert match.summary == "person matched in some_person_filled_image"
    target = parse(real("v2-find-target-get-completed"))
    assert target.summary == "2 matched: person, car"
    assert target.items == ()
    assert target.created_at == CREATED


def test_real_recognize_has_images_without_status() -> None:
    job = parse(real("v2-recognize-get"))
    (item,) = job.items
    assert item.state is JobState.SUCCEEDED
    assert item.label.startswith("a7e0bc2d-3226-46da-b242-9bb40666b14a: ")


def test_in_progress_counts_images() -> None:
    job = parse(
        ask_job(
            "IN_PROGRESS",
            ("a", "COMPLETED_SUCCESSFULLY"),
            ("b", "IN_PROGRESS"),
            ("c", "IMAGE_DOWNLOAD_ERROR"),
            ("d", "IN_PROGRESS"),
        )
    )
    assert job.state is JobState.RUNNING
    assert job.progress == 0.5
    assert job.summary == "Is the door open?: 2 of 4 images done, 1 failed"
    assert [i.state for i in job.items] == [
        JobState.SUCCEEDED,
        JobState.RUNNING,
        JobState.FAILED,
        JobState.RUNNING,
    ]
    assert job.items[2].error == "IMAGE_DOWNLOAD_ERROR"
    assert job.finished_at is None


def test_partial_error() -> None:
    job = parse(
        ask_job(
            "COMPLETED_PARTIAL_ERROR",
            ("a", "COMPLETED_SUCCESSFULLY"),
            ("b", "INVALID_IMAGE_FORMAT_ERROR"),
            jobResults={"image": {"id": "a", "url": "https://x.test/a.jpg"}},
        )
    )
    assert job.state is JobState.PARTIAL
    assert job.error == "INVALID_IMAGE_FORMAT_ERROR"
    assert job.summary == "Is the door open? yes: a.jpg (1 of 2 images failed)"
    assert job.items[1].error == "INVALID_IMAGE_FORMAT_ERROR"


def test_all_error_with_legacy_messages() -> None:
    payload = {
        "id": "j",
        "createdAt": 1487648348,
        "status": {"code": "COMPLETED_ALL_ERROR", "message": "No image could be processed."},
        "results": [
            {"id": "i1", "status": {"code": "JOB_ERROR", "message": "model crashed"}},
            {"id": "i2", "status": {"code": "SPIDERWEBS_ERROR"}},
        ],
    }
    job = parse(payload)
    assert job.state is JobState.FAILED
    assert job.error == "No image could be processed."
    assert job.summary == "No image could be processed."
    assert [i.error for i in job.items] == ["JOB_ERROR: model crashed", "SPIDERWEBS_ERROR"]
    assert job.created_at == CREATED


def test_unknown_states_never_raise() -> None:
    job = parse(ask_job("QUEUED_FOR_REVIEW", ("a", "WAITING_FOR_HUMAN")))
    assert job.state is JobState.UNKNOWN
    assert job.raw_status == "QUEUED_FOR_REVIEW"
    assert job.items[0].state is JobState.UNKNOWN
    assert job.summary == "Is the door open?: 0 of 1 images done"


def test_missing_optionals() -> None:
    job = parse({"id": 7, "status": "IN_PROGRESS"})
    assert (job.id, job.state, job.created_at, job.items) == ("7", JobState.RUNNING, None, ())
    assert job.summary == "in progress"
    assert parse({"id": "x", "status": "IN_PROGRESS", "createdAt": "soon"}).created_at is None


def test_match_without_image_is_no_match() -> None:
    payload = {
        "id": "m",
        "status": "COMPLETED_SUCCESSFULLY",
        "jobResults": {"target": {"class": "car"}},
    }
    assert parse(payload).summary == "no match for car"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([1, 2], "job"),
        (None, "job"),
        ({"status": "IN_PROGRESS"}, "id"),
        ({"id": "x"}, "status"),
        ({"id": True, "status": "IN_PROGRESS"}, "id"),
        ({"id": "x", "status": 3}, "status"),
        ({"id": "x", "status": "IN_PROGRESS", "imageResults": {"a": 1}}, "imageResults"),
    ],
)
def test_not_a_job(payload: object, field: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse(payload, provider="ii")
    assert caught.value.provider == "ii"
    assert caught.value.field.startswith(field)


def test_token_answer() -> None:
    token, expires = read_token_answer({"accessToken": "t", "expiresAt": 1_700_000_100_000}, NOW)
    assert (token, expires) == ("t", 1_700_000_100.0)
    assert read_token_answer({"accessToken": "t"}, NOW) == ("t", NOW + 3600)
    with pytest.raises(FetchError) as caught:
        read_token_answer({"error": SECRET}, NOW)
    assert caught.value.category is FetchCategory.AUTH
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(ClientSecret("id", SECRET))


# --- HTTP ------------------------------------------------------------------------------------


class WallClock:
    """The provider's wall clock, moved by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serve() as running:
        yield running


def ii_config(server: ScriptedServer, **fields: Any) -> ImageIntelligenceConfig:
    values: dict[str, Any] = {
        "name": "ii",
        "base_url": server.url,
        "client_id": "client-1",
        "timeout": 5.0,
        "secrets": {
            "client_secret": SecretRef(
                key="client_secret", source="literal", literal=SecretStr(SECRET)
            )
        },
        **fields,
    }
    return ImageIntelligenceConfig.model_validate(values)


def issue_tokens(server: ScriptedServer, lifetime: float = 86400) -> None:
    counter = iter(range(1, 100))

    def answer(_: object) -> Reply:
        n = next(counter)
        return Reply(body={"accessToken": f"tok-{n}", "expiresAt": int((NOW + lifetime) * 1000)})

    server.handle("POST", "/v2/oauth/token", answer)


def bearers(server: ScriptedServer, path: str = JOB_PATH) -> list[str]:
    return [r.headers["authorization"] for r in server.to("GET", path)]


async def fetch_one(provider: ImageIntelligenceProvider, job_id: str = JOB_ID) -> Job | FetchError:
    (result,) = await provider.fetch([job_id])
    assert isinstance(result, Job | FetchError)
    return result


async def test_token_then_job(server: ScriptedServer) -> None:
    issue_tokens(server)
    server.script("GET", JOB_PATH, Reply(body=seed_example()))
    provider = ImageIntelligenceProvider(ii_config(server), now=WallClock())
    try:
        first = await fetch_one(provider)
        second = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(first, Job) and isinstance(second, Job)
    assert first.provider == "ii" and first.state is JobState.SUCCEEDED
    (token_request,) = server.to("POST", "/v2/oauth/token")
    assert token_request.json() == {"clientId": "client-1", "clientSecret": SECRET}
    assert token_request.headers["content-type"] == "application/json"
    assert bearers(server) == ["Bearer tok-1", "Bearer tok-1"]
    assert provider.tokens_fetched == 1


async def test_token_refreshed_30_seconds_before_expiry(server: ScriptedServer) -> None:
    issue_tokens(server, lifetime=3600)
    server.script("GET", JOB_PATH, Reply(body=seed_example()))
    clock = WallClock()
    provider = ImageIntelligenceProvider(ii_config(server), now=clock)
    try:
        await fetch_one(provider)
        clock.now += 3569  # 31 s left
        await fetch_one(provider)
        clock.now += 1  # 30 s left: renew first
        await fetch_one(provider)
    finally:
        await provider.aclose()
    assert bearers(server) == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


async def test_a_401_renews_the_token_once(server: ScriptedServer) -> None:
    issue_tokens(server)
    server.script("GET", JOB_PATH, Reply(401, b"Unauthorized"), Reply(body=seed_example()))
    provider = ImageIntelligenceProvider(ii_config(server), now=WallClock())
    try:
        result = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(result, Job)
    assert bearers(server) == ["Bearer tok-1", "Bearer tok-2"]


async def test_a_second_401_is_an_auth_error(server: ScriptedServer) -> None:
    issue_tokens(server)
    server.script("GET", JOB_PATH, Reply(401, b"Token expired"))
    provider = ImageIntelligenceProvider(ii_config(server), now=WallClock())
    try:
        result = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError)
    assert (result.category, result.job_id) == (FetchCategory.AUTH, JOB_ID)
    assert "Token expired" in str(result)
    assert len(server.to("GET", JOB_PATH)) == 2


async def test_refused_credentials_say_so_without_the_secret(server: ScriptedServer) -> None:
    server.script("POST", "/v2/oauth/token", Reply(401, f"bad secret {SECRET}".encode()))
    provider = ImageIntelligenceProvider(ii_config(server), now=WallClock())
    try:
        result = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError) and result.category is FetchCategory.AUTH
    assert "check client_id and client_secret" in str(result)
    assert SECRET not in str(result) and SECRET not in repr(result)
    assert server.to("GET", JOB_PATH) == []


async def test_missing_secret_is_an_auth_error(server: ScriptedServer) -> None:
    provider = ImageIntelligenceProvider(ii_config(server, secrets={}), now=WallClock())
    try:
        result = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError) and result.category is FetchCategory.AUTH
    assert server.requests == []


@pytest.mark.parametrize(
    ("reply", "category", "words"),
    [
        (Reply(404, b"No job found with the given ID"), FetchCategory.NOT_FOUND, "No job found"),
        (Reply(429, b"slow", {"Retry-After": "9"}), FetchCategory.RATE_LIMITED, "slow"),
        (Reply(500, b"<html>oops</html>"), FetchCategory.SERVER, "HTTP 500"),
        (Reply(200, {"unexpected": True}), FetchCategory.BAD_PAYLOAD, "ii: id"),
    ],
)
async def test_errors(
    server: ScriptedServer, reply: Reply, category: FetchCategory, words: str
) -> None:
    issue_tokens(server)
    server.script("GET", JOB_PATH, reply)
    provider = ImageIntelligenceProvider(ii_config(server), now=WallClock())
    try:
        result = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError)
    assert (result.category, result.job_id) == (category, JOB_ID)
    assert words in str(result)
    if category is FetchCategory.RATE_LIMITED:
        assert result.retry_after == 9.0


async def test_job_type_picks_the_path_and_discovery_uses_the_feed(server: ScriptedServer) -> None:
    issue_tokens(server)
    detect = real("v2-detect-get-completed")
    server.script("GET", f"/v2/detect/{JOB_ID}", Reply(body=detect))
    server.script("GET", "/v2/detect", Reply(body=[detect, {"id": "other"}, detect, "junk"]))
    config = ii_config(server, job_type="detect", feed_id="Camera_123456")
    provider = ImageIntelligenceProvider(config, now=WallClock())
    try:
        assert provider.can_discover
        result = await fetch_one(provider)
        found = await provider.discover()
    finally:
        await provider.aclose()
    assert isinstance(result, Job) and result.summary.startswith("2 found")
    assert found == [JOB_ID, "other"]
    (search,) = server.to("GET", "/v2/detect")
    assert search.query == {"feedId": ["Camera_123456"]}


def test_plain_http_elsewhere_is_refused() -> None:
    config = ImageIntelligenceConfig(name="ii", base_url="http://api.imageintelligence.com")
    with pytest.raises(ConfigError, match="clear text"):
        ImageIntelligenceProvider(config)


async def test_against_the_simulator(start_sim: Callable[..., Simulator]) -> None:
    sim = start_sim(jobs=4, seed=3, speed=0)
    provider = ImageIntelligenceProvider(sim_config(sim, "imageintelligence"))  # type: ignore[arg-type]
    ids = sim.job_ids("imageintelligence")
    try:
        results = await provider.fetch([*ids, "no-such-job"])
    finally:
        await provider.aclose()
    jobs = results[:-1]
    assert all(isinstance(job, Job) for job in jobs)
    assert [job.id for job in jobs] == ids
    missing = results[-1]
    assert isinstance(missing, FetchError) and missing.category is FetchCategory.NOT_FOUND


def test_parse_does_not_mutate_its_input() -> None:
    payload = seed_example()
    before = copy.deepcopy(payload)
    parse(payload)
    assert payload == before
