"""Cognite vision jobs: parsing the documented and real payloads, and the provider over HTTP."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest
from pydantic import SecretStr

from jobtui.config.model import CogniteConfig, SecretRef
from jobtui.errors import ConfigError, FetchCategory, FetchError, PayloadError
from jobtui.model import Job, JobState
from jobtui.providers.cognite.auth import ClientCredentials, read_token_answer
from jobtui.providers.cognite.client import CogniteProvider, api_root, parse

from support.data import PROVIDER_DOCS, REAL_PAYLOADS, seed_object
from support.scripted_server import Recorded, Reply, serve
from support.scripted_server import ScriptedServer as LoopbackServer

SEED = PROVIDER_DOCS / "cognite.seed.txt"
REAL = REAL_PAYLOADS
T0 = datetime(2024, 10, 29, 12, 19, 6, tzinfo=UTC)


def seed_example() -> dict[str, Any]:
    """The response example printed on the published segmentation status page."""
    return seed_object("cognite", '{\n"status"')


def real(name: str) -> dict[str, Any]:
    payload = json.loads((REAL / f"cognite--{name}.json").read_text())
    assert isinstance(payload, dict)
    return payload


def segment_job(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "status": status,
        "createdTime": 1730204346000,
        "startTime": 1730204350000,
        "statusTime": 1730204406000,
        "jobId": 123,
        **fields,
    }


def segmented(file_id: int, *scores: float | None) -> dict[str, Any]:
    polygon = {"vertices": [{"x": 0.5, "y": 0.5, "confidence": None}], "confidence": None}
    return {"fileId": file_id, "segments": [{"score": s, "polygons": [polygon]} for s in scores]}


def test_seed_example_queued_with_done_and_failed_files() -> None:
    payload = seed_example()
    parsed = parse(payload)
    assert parsed.kind == "cognite"
    assert parsed.id == "123"
    assert parsed.state is JobState.QUEUED
    assert parsed.raw_status == "Queued"
    assert parsed.created_at == parsed.started_at == parsed.updated_at == T0
    assert parsed.finished_at is None
    done, failed = parsed.items
    assert (done.id, done.label, done.state) == ("1234", "1 segment, best 0.80", JobState.SUCCEEDED)
    assert (failed.id, failed.state, failed.error) == ("1234", JobState.FAILED, "<string>")
    assert parsed.summary == "1 of 2 files failed: <string>"
    assert parsed.error is None
    assert parsed.raw == payload


def test_real_extract_completed_fixture() -> None:
    payload = real("vision-extract-get-completed-sdk-fixture")
    parsed = parse(payload, job_type="extract")
    assert parsed.state is JobState.SUCCEEDED
    assert parsed.id == "1"
    assert parsed.created_at == datetime(1999, 8, 17, 7, 45, 34, 785000, tzinfo=UTC)
    assert parsed.finished_at == parsed.updated_at
    assert parsed.progress == 1.0
    (item,) = parsed.items
    assert (item.id, item.state) == ("1", JobState.SUCCEEDED)
    assert item.label == "1 prediction (asset tag), best 0.90"
    assert parsed.summary == "1 prediction (asset tag), best 0.90"
    assert parsed.raw["parameters"]["assetTagDetectionParameters"]["threshold"] == 0.4


def test_real_extract_queued_fixture_lists_input_files() -> None:
    parsed = parse(real("vision-extract-post-queued-sdk-fixture"), job_type="extract")
    assert parsed.state is JobState.QUEUED
    assert [i.id for i in parsed.items] == ["1", "2", "3", "4", "5"]
    assert [i.label for i in parsed.items][:2] == ["file 1", "some_external_id"]
    assert {i.state for i in parsed.items} == {JobState.QUEUED}
    assert parsed.summary == "queued, 5 files"


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("Queued", JobState.QUEUED),
        ("Running", JobState.RUNNING),
        ("Completed", JobState.SUCCEEDED),
        ("Failed", JobState.FAILED),
        ("Collecting", JobState.UNKNOWN),
    ],
)
def test_every_status_without_failed_items(status: str, state: JobState) -> None:
    parsed = parse(segment_job(status))
    assert parsed.state is state
    assert parsed.raw_status == status
    assert parsed.finished_at == (parsed.updated_at if state.terminal else None)


def test_completed_with_results_summarises_segments() -> None:
    parsed = parse(segment_job("Completed", items=[segmented(7, 0.8, 0.4, 0.65)], failedItems=[]))
    assert parsed.state is JobState.SUCCEEDED
    assert parsed.summary == "3 segments, best 0.80"
    assert parsed.items[0].label == "3 segments, best 0.80"
    assert parsed.error is None


def test_completed_over_several_files() -> None:
    items = [segmented(1, 0.5), segmented(2, 0.91, None), segmented(3)]
    parsed = parse(segment_job("Completed", items=items))
    assert parsed.summary == "3 files, 3 segments, best 0.91"
    assert parsed.items[2].label == "0 segments"


def test_completed_with_failed_items_and_results_is_partial() -> None:
    payload = segment_job(
        "Completed",
        items=[segmented(1, 0.7)],
        failedItems=[
            {"errorMessage": "File too large", "items": [{"fileExternalId": "big.png"}]},
        ],
    )
    parsed = parse(payload)
    assert parsed.state is JobState.PARTIAL
    assert parsed.summary == "1 of 2 files failed: File too large"
    assert parsed.items[1].id == "big.png"
    assert parsed.items[1].error == "File too large"
    assert parsed.finished_at == datetime(2024, 10, 29, 12, 20, 6, tzinfo=UTC)


def test_completed_with_only_failed_items_is_failed() -> None:
    payload = segment_job(
        "Completed",
        items=[],
        failedItems=[
            {"errorMessage": "Unsupported format", "items": [{"fileId": 1}, {"fileId": 2}]},
            {
                "errorMessage": "Not found",
                "items": [{"fileInstanceId": {"space": "sp", "externalId": "x"}}, {}],
            },
        ],
    )
    parsed = parse(payload)
    assert parsed.state is JobState.FAILED
    assert parsed.error == "Unsupported format"
    assert parsed.summary == "4 of 4 files failed: Unsupported format"
    assert [i.id for i in parsed.items] == ["1", "2", "sp:x", "failed-file-4"]
    assert [i.error for i in parsed.items] == ["Unsupported format"] * 2 + ["Not found"] * 2


def test_failed_job_with_error_message() -> None:
    parsed = parse(segment_job("Failed", errorMessage="Internal error, try again"))
    assert parsed.state is JobState.FAILED
    assert parsed.error == "Internal error, try again"
    assert parsed.summary == "Internal error, try again"


def test_failed_batch_without_files_still_counts() -> None:
    parsed = parse(
        segment_job(
            "Completed", items=[segmented(1, 0.3)], failedItems=[{"errorMessage": "batch lost"}]
        )
    )
    assert parsed.state is JobState.PARTIAL
    assert parsed.summary == "1 batch failed: batch lost"


def test_running_job_shows_results_so_far() -> None:
    parsed = parse(segment_job("Running", items=[segmented(1, 0.42), {"fileId": 2}]))
    assert parsed.state is JobState.RUNNING
    assert parsed.summary == "running, so far 1 segment, best 0.42"
    assert [i.state for i in parsed.items] == [JobState.SUCCEEDED, JobState.RUNNING]


def test_extract_predictions_of_several_kinds() -> None:
    item = {
        "fileId": 9,
        "predictions": {
            "textPredictions": [{"confidence": 0.4, "text": "P-101"}],
            "peoplePredictions": [{"confidence": 0.95}, {"confidence": None}],
            "emptyPredictions": [],
        },
    }
    parsed = parse(segment_job("Completed", items=[item]), job_type="extract")
    assert parsed.summary == "3 predictions (text, people), best 0.95"


def test_missing_optionals_and_bad_times_are_tolerated() -> None:
    parsed = parse({"jobId": "77", "createdTime": "soon", "statusTime": -1, "startTime": 1e30})
    assert parsed.id == "77"
    assert parsed.state is JobState.UNKNOWN
    assert parsed.raw_status is None
    assert parsed.created_at is parsed.updated_at is parsed.started_at is None
    assert parsed.items == ()
    assert parsed.summary == "unknown status"


def test_times_are_milliseconds_even_when_small() -> None:
    # A small value is still milliseconds here: Cognite documents epoch ms.
    parsed = parse({"jobId": 1, "status": "Queued", "createdTime": 1500})
    assert parsed.created_at == datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)


def test_unknown_fields_survive_in_raw() -> None:
    payload = copy.deepcopy(seed_example())
    payload["newField"] = {"nested": [1, 2]}
    assert parse(payload).raw["newField"] == {"nested": [1, 2]}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "job"),
        (None, "job"),
        ({}, "jobId"),
        ({"error": {"code": 404, "message": "Not found"}}, "jobId"),
        ({"jobId": True}, "jobId"),
        ({"jobId": 1, "status": 2}, "status"),
        ({"jobId": 1, "items": {"fileId": 1}}, "items"),
        ({"jobId": 1, "items": [{"segments": [{"score": "high"}]}]}, "items.0.segments.0.score"),
        ({"jobId": 1, "failedItems": [{"items": [3]}]}, "failedItems.0.items.0"),
    ],
)
def test_what_is_not_a_job_raises_payload_error_naming_the_field(
    payload: object, field: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        parse(payload, provider="cdf")
    assert (caught.value.provider, caught.value.field) == ("cdf", field)


# --- the provider over loopback HTTP -----------------------------------------------------------

SECRET = "cdf-client-s3cr3t"
STATIC = "static-bearer-t0ken"
JOB_PATH = "/api/v1/projects/my%20proj/context/vision/segment/123"


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serve() as running_server:
        yield running_server


def cdf_config(server: LoopbackServer, **settings: Any) -> CogniteConfig:
    secrets = {
        key: SecretRef(key=f"providers.cdf.{key}", source="literal", literal=SecretStr(value))
        for key, value in settings.pop("secrets", {}).items()
    }
    settings.setdefault("base_url", server.url)
    return CogniteConfig(name="cdf", project="my proj", secrets=secrets, **settings)


def credentials_config(server: LoopbackServer, **settings: Any) -> CogniteConfig:
    return cdf_config(
        server,
        token_url=f"{server.url}/oauth/token",
        client_id="jobtui-client",
        scopes=("https://api.cognitedata.com/.default", "offline"),
        secrets={"client_secret": SECRET},
        **settings,
    )


def issue_tokens(server: LoopbackServer, lifetime: object = 3600) -> None:
    def answer(request: Recorded) -> Reply:
        count = len(server.to("POST", "/oauth/token"))
        return Reply(body={"access_token": f"tok-{count}", "expires_in": lifetime})

    server.handle("POST", "/oauth/token", answer)


async def fetch_one(provider: CogniteProvider, job_id: str = "123") -> Job | FetchError:
    (result,) = await provider.fetch([job_id])
    assert isinstance(result, Job | FetchError)
    return result


async def test_static_token_and_cdf_version_header(server: LoopbackServer) -> None:
    server.script("GET", f"{'/cognite'}{JOB_PATH}", Reply(body=seed_example()))
    config = cdf_config(server, base_url=f"{server.url}/cognite", secrets={"token": STATIC})
    provider = CogniteProvider(config)
    try:
        result = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(result, Job) and result.provider == "cdf" and result.id == "123"
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {STATIC}"
    assert request.headers["cdf-version"] == "beta"


async def test_extract_jobs_and_configured_version(server: LoopbackServer) -> None:
    path = "/api/v1/projects/my%20proj/context/vision/extract/1"
    server.script("GET", path, Reply(body=real("vision-extract-get-completed-sdk-fixture")))
    config = cdf_config(server, job_type="extract", cdf_version="alpha", secrets={"token": STATIC})
    provider = CogniteProvider(config)
    try:
        result = await fetch_one(provider, "1")
    finally:
        await provider.aclose()
    assert isinstance(result, Job) and result.summary == "1 prediction (asset tag), best 0.90"
    assert server.requests[0].headers["cdf-version"] == "alpha"


async def test_client_credentials_token_is_cached_and_refreshed_near_expiry(
    server: LoopbackServer,
) -> None:
    issue_tokens(server, lifetime="3600")
    server.script("GET", JOB_PATH, Reply(body=seed_example()))
    clock = FakeMonotonic()
    provider = CogniteProvider(credentials_config(server), monotonic=clock)
    try:
        assert isinstance(await fetch_one(provider), Job)
        clock.now += 3569  # 31 s left: still good
        assert isinstance(await fetch_one(provider), Job)
        clock.now += 1  # 30 s left: refresh before use
        assert isinstance(await fetch_one(provider), Job)
    finally:
        await provider.aclose()
    (first_token, *_) = server.to("POST", "/oauth/token")
    form = parse_qs(first_token.body.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": ["jobtui-client"],
        "client_secret": [SECRET],
        "scope": ["https://api.cognitedata.com/.default offline"],
    }
    assert first_token.headers["content-type"] == "application/x-www-form-urlencoded"
    bearers = [r.headers["authorization"] for r in server.to("GET", JOB_PATH)]
    assert bearers == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    assert provider.tokens_fetched == 2


async def test_a_401_renews_the_token_once(server: LoopbackServer) -> None:
    issue_tokens(server)
    server.script(
        "GET",
        JOB_PATH,
        Reply(401, {"error": {"code": 401, "message": "Unauthorized"}}),
        Reply(body=seed_example()),
    )
    provider = CogniteProvider(credentials_config(server), monotonic=FakeMonotonic())
    try:
        result = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(result, Job)
    bearers = [r.headers["authorization"] for r in server.to("GET", JOB_PATH)]
    assert bearers == ["Bearer tok-1", "Bearer tok-2"]


async def test_a_second_401_is_an_auth_error(server: LoopbackServer) -> None:
    issue_tokens(server)
    denied = Reply(401, {"error": {"code": 401, "message": "Unauthorized"}}, {"x-request-id": "r1"})
    server.script("GET", JOB_PATH, denied)
    provider = CogniteProvider(credentials_config(server), monotonic=FakeMonotonic())
    try:
        result = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError) and result.category is FetchCategory.AUTH
    assert len(server.to("GET", JOB_PATH)) == 2
    assert result.request_id == "r1"


async def test_static_token_401_is_not_retried(server: LoopbackServer) -> None:
    server.script("GET", JOB_PATH, Reply(401, {"error": {"code": 401, "message": "Unauthorized"}}))
    provider = CogniteProvider(cdf_config(server, secrets={"token": STATIC}))
    try:
        result = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError) and result.category is FetchCategory.AUTH
    assert len(server.requests) == 1
    assert STATIC not in str(result)


async def test_refused_client_credentials_never_show_the_secret(server: LoopbackServer) -> None:
    server.script(
        "POST",
        "/oauth/token",
        Reply(401, {"error": "invalid_client", "error_description": f"bad secret {SECRET}"}),
    )
    provider = CogniteProvider(credentials_config(server), monotonic=FakeMonotonic())
    try:
        result = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError) and result.category is FetchCategory.AUTH
    assert "invalid_client" in str(result)
    assert result.job_id == "123"
    assert SECRET not in str(result) and SECRET not in repr(result)
    assert server.to("GET", JOB_PATH) == []


@pytest.mark.parametrize(
    ("reply", "category", "words"),
    [
        (
            Reply(
                400,
                {"error": {"code": 400, "message": "Jobs not found", "missing": [{"jobId": 123}]}},
                {"x-request-id": "req-abc"},
            ),
            FetchCategory.CLIENT,
            "Jobs not found (missing: 123)",
        ),
        (
            Reply(429, {"error": {"code": 429, "message": "Too many"}}, {"Retry-After": "12"}),
            FetchCategory.RATE_LIMITED,
            "Too many",
        ),
        (Reply(404, {"error": {"code": 404, "message": "nope"}}), FetchCategory.NOT_FOUND, "nope"),
        (Reply(503, b"overloaded"), FetchCategory.SERVER, "HTTP 503"),
        (Reply(200, {"error": {"code": 1}}), FetchCategory.BAD_PAYLOAD, "cdf: jobId"),
    ],
)
async def test_error_bodies_and_request_ids(
    server: LoopbackServer, reply: Reply, category: FetchCategory, words: str
) -> None:
    server.script("GET", JOB_PATH, reply)
    provider = CogniteProvider(cdf_config(server, secrets={"token": STATIC}))
    try:
        result = await fetch_one(provider)
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError)
    assert (result.category, result.job_id) == (category, "123")
    assert words in str(result)
    if "x-request-id" in reply.headers:
        assert result.request_id == "req-abc"
        assert str(result).endswith("(request id req-abc)")
    if category is FetchCategory.RATE_LIMITED:
        assert result.retry_after == 12.0


async def test_no_credentials_is_an_auth_error_before_any_request(server: LoopbackServer) -> None:
    provider = CogniteProvider(cdf_config(server, token_url=f"{server.url}/oauth/token"))
    result = await fetch_one(provider)
    await provider.aclose()
    assert isinstance(result, FetchError) and result.category is FetchCategory.AUTH
    assert server.requests == []


def test_host_comes_from_cluster_or_base_url() -> None:
    assert api_root(CogniteConfig(name="c", project="p", cluster="westeurope-1")) == (
        "https://westeurope-1.cognitedata.com"
    )
    assert api_root(CogniteConfig(name="c", project="p", base_url="http://h/x/")) == "http://h/x"
    with pytest.raises(ConfigError) as caught:
        CogniteProvider(CogniteConfig(name="c", project="p"))
    assert caught.value.key == "providers.c.cluster"
    with pytest.raises(ConfigError) as caught:
        CogniteProvider(CogniteConfig(name="c", cluster="api"))
    assert caught.value.key == "providers.c.project"


def test_credentials_repr_hides_the_secret() -> None:
    credentials = ClientCredentials("https://idp/token", "client", SECRET, ())
    assert SECRET not in repr(credentials)
    assert "scope" not in credentials.form()


@pytest.mark.parametrize(
    ("body", "token", "lifetime"),
    [
        ({"access_token": "a", "expires_in": 599}, "a", 599.0),
        ({"access_token": "a", "expires_in": "60"}, "a", 60.0),
        ({"access_token": "a"}, "a", 3600.0),
        ({"access_token": "a", "expires_in": -1}, "a", 3600.0),
    ],
)
def test_token_answers(body: dict[str, Any], token: str, lifetime: float) -> None:
    assert read_token_answer(body) == (token, lifetime)


def test_token_answer_without_token() -> None:
    with pytest.raises(FetchError, match="no access_token: invalid_grant"):
        read_token_answer({"error": "invalid_grant"})


async def test_a_burst_of_401s_renews_the_token_once(server: LoopbackServer) -> None:
    issue_tokens(server)

    def answer(request: Recorded) -> Reply:
        if request.headers["authorization"] == "Bearer tok-1":
            return Reply(401, {"error": {"code": 401, "message": "revoked"}})
        return Reply(body=seed_example())

    server.handle("GET", JOB_PATH, answer)
    provider = CogniteProvider(credentials_config(server), monotonic=FakeMonotonic())
    try:
        results = await asyncio.gather(*(fetch_one(provider) for _ in range(4)))
    finally:
        await provider.aclose()
    assert all(isinstance(result, Job) for result in results)
    assert provider.tokens_fetched == 2


def test_token_url_in_clear_text_is_refused() -> None:
    config = CogniteConfig(
        name="c", project="p", cluster="api", token_url="http://idp.example.com/token"
    )
    with pytest.raises(ConfigError) as caught:
        CogniteProvider(config)
    assert caught.value.key == "providers.c.token_url"
