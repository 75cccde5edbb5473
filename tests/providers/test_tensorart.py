"""Tensor.Art: parsing the documented job object, and the provider over real loopback HTTP."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pydantic import SecretStr

from jobtui.config.model import SecretRef, TensorartConfig
from jobtui.errors import ConfigError, FetchCategory, FetchError, PayloadError
from jobtui.model import Job, JobState
from jobtui.providers.tensorart.auth import SCHEME, RequestSigner, SigningKeyError, string_to_sign
from jobtui.providers.tensorart.client import TensorartProvider, expiry_text, parse

from support.data import PROVIDER_DOCS, seed_object
from support.scripted_server import Reply, serve
from support.scripted_server import ScriptedServer as LoopbackServer

SEED = PROVIDER_DOCS / "tensorart.seed.txt"


def seed_example() -> dict[str, Any]:
    """The schema example printed on the published status page."""
    return seed_object("tensorart", '{\n  "job"')


def job(status: str | None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": "1813792398476169216", **fields}
    if status is not None:
        body["status"] = status
    return {"job": body}


def test_seed_example_is_an_unknown_default_job_and_keeps_everything() -> None:
    payload = seed_example()
    parsed = parse(payload)
    assert parsed.kind == "tensorart"
    assert parsed.provider == "tensorart"
    assert parsed.id == "string"
    assert parsed.state is JobState.UNKNOWN
    assert parsed.raw_status == "DEFAULT"
    # "string" is not a number: no queue place is invented, no time either.
    assert parsed.queue_position is None and parsed.queue_length is None
    assert parsed.created_at is None
    assert parsed.summary == "status DEFAULT"
    assert parsed.raw == payload
    ids = [item.id for item in parsed.items]
    assert ids.count("string") == 3  # one image, one video, one image in progress


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("CREATED", JobState.QUEUED),
        ("PENDING", JobState.QUEUED),
        ("WAITING", JobState.QUEUED),
        ("RUNNING", JobState.RUNNING),
        ("SUCCESS", JobState.SUCCEEDED),
        ("FAILED", JobState.FAILED),
        ("CANCELED", JobState.CANCELED),
        ("DEFAULT", JobState.UNKNOWN),
        ("PAUSED_FOR_MAINTENANCE", JobState.UNKNOWN),
        (None, JobState.UNKNOWN),
    ],
)
def test_every_status_maps_per_the_design_table(status: str | None, state: JobState) -> None:
    parsed = parse(job(status))
    assert parsed.state is state
    assert parsed.raw_status == status
    assert (parsed.finished_at is None) or state.terminal


def test_waiting_job_shows_its_place_in_the_queue() -> None:
    parsed = parse(job("WAITING", waitingInfo={"queueRank": "3", "queueLen": "17"}))
    assert parsed.state is JobState.QUEUED
    assert (parsed.queue_position, parsed.queue_length) == (3, 17)
    assert parsed.summary == "queue 3/17"
    assert parsed.progress is None


def test_waiting_job_with_unreadable_queue_numbers_is_still_read() -> None:
    parsed = parse(job("WAITING", waitingInfo={"queueRank": "soon", "queueLen": 4}))
    assert parsed.queue_position is None
    assert parsed.queue_length == 4
    assert parsed.summary == "waiting"


def test_queue_block_left_on_a_running_job_is_ignored() -> None:
    parsed = parse(job("RUNNING", waitingInfo={"queueRank": "3", "queueLen": "17"}))
    assert parsed.queue_position is None
    assert parsed.summary == "RUNNING"


def running(progress: Any, **extra: Any) -> dict[str, Any]:
    return job(
        "RUNNING",
        runningInfo={
            "workflowFinishItem": {
                "status": "RUNNING",
                "progress": progress,
                "step": 3,
                "ctime": "1730204346000",
                "mtime": "1730204406000",
                "nodes": {
                    "4": {"status": "SUCCESS", "progress": 100},
                    "7": {"status": "RUNNING", "progress": 40},
                    "9": {"status": "INIT"},
                    "11": {"status": "DEFAULT"},
                },
                "finishedNodes": {"4": {}},
            },
            **extra,
        },
    )


@pytest.mark.parametrize("progress", [62, 62.0, "62"])
def test_running_job_in_percent(progress: Any) -> None:
    parsed = parse(running(progress))
    assert parsed.state is JobState.RUNNING
    assert parsed.progress == pytest.approx(0.62)
    assert parsed.summary == "RUNNING 62% step 3"
    assert parsed.created_at == datetime(2024, 10, 29, 12, 19, 6, tzinfo=UTC)
    assert parsed.updated_at == datetime(2024, 10, 29, 12, 20, 6, tzinfo=UTC)
    assert parsed.finished_at is None


def test_running_job_in_fractions_of_one() -> None:
    payload = job(
        "RUNNING",
        runningInfo={"workflowFinishItem": {"progress": 0.29, "step": 2, "nodes": {}}},
    )
    parsed = parse(payload)
    assert parsed.progress == pytest.approx(0.29)
    # 0.29 * 100 is 28.999… in floating point: the line must still say 29.
    assert parsed.summary == "RUNNING 29% step 2"


def test_workflow_nodes_become_items_with_node_states() -> None:
    parsed = parse(running(62))
    nodes = {item.id: item for item in parsed.items if item.id.startswith("node:")}
    assert {k: v.state for k, v in nodes.items()} == {
        "node:4": JobState.SUCCEEDED,
        "node:7": JobState.RUNNING,
        "node:9": JobState.QUEUED,
        "node:11": JobState.QUEUED,
    }
    assert nodes["node:4"].label == "node 4 SUCCESS (finished)"
    assert nodes["node:7"].label == "node 7 RUNNING 40%"


def test_node_only_listed_as_finished_is_succeeded() -> None:
    payload = job(
        "RUNNING",
        runningInfo={
            "workflowFinishItem": {
                "nodes": {"1": {"status": "RUNNING"}},
                "finishedNodes": ["0", "1"],
            }
        },
    )
    states = {item.id: item.state for item in parse(payload).items}
    assert states == {"node:1": JobState.SUCCEEDED, "node:0": JobState.SUCCEEDED}


def test_running_without_workflow_progress_averages_processing_images() -> None:
    payload = job(
        "RUNNING",
        runningInfo={
            "processingImages": [
                {
                    "resourceImage": {"id": "p1", "url": "https://cdn.example/p1.png"},
                    "progress": 0.5,
                },
                {"progress": 0.25},
            ]
        },
    )
    parsed = parse(payload)
    assert parsed.progress == pytest.approx(0.375)
    assert parsed.summary == "RUNNING 37%"
    first, second = parsed.items
    assert (first.id, first.state, first.url) == (
        "p1",
        JobState.RUNNING,
        "https://cdn.example/p1.png",
    )
    assert first.label == "image in progress 50%"
    assert second.id == "processing-2"


@pytest.mark.parametrize("bad", [-5, 250, "NaN"])
def test_nonsense_progress_is_dropped_not_fatal(bad: Any) -> None:
    parsed = parse(job("RUNNING", runningInfo={"workflowFinishItem": {"progress": bad}}))
    assert parsed.progress is None
    assert parsed.summary == "RUNNING"


def test_success_lists_images_and_videos_with_urls_and_expiry() -> None:
    payload = job(
        "SUCCESS",
        credits=2.5,
        successInfo={
            "images": [
                {
                    "id": "img-1",
                    "url": "https://cdn.example/1.png",
                    "expiredIn": "3600s",
                    "meta": {"image": {"format": "png", "width": 1024, "height": 768}},
                },
                {"url": "https://cdn.example/2.png", "expiredIn": "1763830000"},
            ],
            "videos": [{"id": "vid-1", "url": "https://cdn.example/v.mp4", "expiredIn": "86400"}],
            "workflowFinishItem": {
                "status": "SUCCESS",
                "progress": 100,
                "ctime": "1730204346000",
                "mtime": "1730204466000",
            },
        },
    )
    parsed = parse(payload)
    assert parsed.state is JobState.SUCCEEDED
    assert parsed.summary == "2 images, 1 video"
    assert parsed.progress == 1.0
    assert parsed.finished_at == datetime(2024, 10, 29, 12, 21, 6, tzinfo=UTC)
    by_id = {item.id: item for item in parsed.items}
    assert by_id["img-1"].label == "image 1024×768 png, expires in 1h"
    assert by_id["img-1"].url == "https://cdn.example/1.png"
    assert by_id["image-2"].label == "image, expires 2025-11-22 16:46 UTC"
    assert by_id["vid-1"].label == "video, expires in 1d"
    assert all(item.state is JobState.SUCCEEDED for item in parsed.items)


def test_success_without_outputs() -> None:
    assert parse(job("SUCCESS")).summary == "no outputs"
    assert parse(job("SUCCESS", successInfo={"images": [{"url": "u"}]})).summary == "1 image"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("", None),
        ("90s", "expires in 1m 30s"),
        ("7200", "expires in 2h"),
        ("5400.5s", "expires in 1h 30m"),
        ("1763830000000", "expires 2025-11-22 16:46 UTC"),
        ("2026-01-02T03:04:05Z", "expires 2026-01-02 03:04 UTC"),
        ("next tuesday", "expires in next tuesday"),
        ("-3", "expires in -3"),
    ],
)
def test_expiry_text_reads_durations_and_instants(value: str | None, text: str | None) -> None:
    assert expiry_text(value) == text


@pytest.mark.parametrize(
    ("code", "error", "summary"),
    [
        (
            "TRANSITORY_ERROR",
            "TRANSITORY_ERROR: GPU lost",
            "transitory error, resubmitting may work: GPU lost",
        ),
        ("FATAL_ERROR", "FATAL_ERROR: GPU lost", "fatal error: GPU lost"),
        ("DEFAULT", "GPU lost", "GPU lost"),
        (None, "GPU lost", "GPU lost"),
    ],
)
def test_failed_job_names_its_reason_and_whether_to_resubmit(
    code: str | None, error: str, summary: str
) -> None:
    info: dict[str, Any] = {"reason": "GPU lost"}
    if code is not None:
        info["code"] = code
    parsed = parse(job("FAILED", failedInfo=info))
    assert parsed.state is JobState.FAILED
    assert parsed.error == error
    assert parsed.summary == summary


def test_failed_job_without_info_still_has_an_error() -> None:
    parsed = parse(job("FAILED"))
    assert parsed.error == "failed without a reason"
    assert parsed.summary == "failed"


def test_failed_info_on_a_running_job_is_not_an_error() -> None:
    assert parse(job("RUNNING", failedInfo={"reason": "string", "code": "DEFAULT"})).error is None


def test_canceled_and_configured_provider_name() -> None:
    parsed = parse(job("CANCELED"), provider="tams-prod")
    assert parsed.summary == "canceled"
    assert parsed.provider == "tams-prod"
    assert parsed.key == ("tams-prod", "1813792398476169216")


def test_uint64_id_as_a_bare_number_is_kept_exactly() -> None:
    assert parse({"job": {"id": 18446744073709551615, "status": "PENDING"}}).id == (
        "18446744073709551615"
    )


def test_unknown_fields_are_kept_in_raw() -> None:
    payload = job("PENDING", priority="high", waitingInfo={"eta": "soon"})
    parsed = parse(payload)
    assert parsed.raw["job"]["priority"] == "high"
    assert parsed.summary == "pending"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "job"),
        ("{}", "job"),
        (None, "job"),
        ({}, "job"),
        ({"job": None}, "job"),
        ({"job": {"status": "RUNNING"}}, "job.id"),
        ({"job": {"id": True}}, "job.id"),
        ({"job": {"id": "1", "status": 3}}, "job.status"),
        ({"job": {"id": "1", "waitingInfo": ["3", "17"]}}, "job.waitingInfo"),
        ({"job": {"id": "1", "successInfo": {"images": {"url": "x"}}}}, "job.successInfo.images"),
        ({"code": 5, "message": "job not found", "details": []}, "job"),
    ],
)
def test_what_is_not_a_job_raises_payload_error_naming_the_field(
    payload: object, field: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        parse(payload, provider="tams")
    assert caught.value.provider == "tams"
    assert caught.value.field == field
    assert str(caught.value).startswith(f"tams: {field}: ")


# --- request signing -------------------------------------------------------------------------


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _header_fields(header: str) -> dict[str, str]:
    scheme, _, rest = header.partition(" ")
    assert scheme == SCHEME
    return dict(part.split("=", 1) for part in rest.split(","))


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_signature_verifies_with_the_public_key(rsa_key: rsa.RSAPrivateKey) -> None:
    signer = RequestSigner("app-7", _pem(rsa_key), now=lambda: 1730204346.9, nonce=lambda: "n0")
    header = signer.authorization("get", "/v1/jobs/42?x=1")
    fields = _header_fields(header)
    assert fields["app_id"] == "app-7"
    assert fields["nonce_str"] == "n0"
    assert fields["timestamp"] == "1730204346"
    message = b"GET\n/v1/jobs/42?x=1\n1730204346\nn0\n"
    assert string_to_sign("get", "/v1/jobs/42?x=1", 1730204346, "n0", "").encode() == message
    rsa_key.public_key().verify(
        base64.b64decode(fields["signature"]), message, padding.PKCS1v15(), hashes.SHA256()
    )


def test_bare_base64_key_body_is_accepted(rsa_key: rsa.RSAPrivateKey) -> None:
    body = "".join(line for line in _pem(rsa_key).splitlines() if "-----" not in line)
    assert RequestSigner("a", body).authorization("DELETE", "/v1/jobs/1").startswith(SCHEME)


@pytest.mark.parametrize(
    "pem",
    [
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----",
        "secret-key-material",
    ],
)
def test_bad_key_error_never_quotes_the_key(pem: str) -> None:
    with pytest.raises(SigningKeyError) as caught:
        RequestSigner("a", pem)
    assert "c2VjcmV0" not in str(caught.value)
    assert "secret-key-material" not in str(caught.value)


def test_non_rsa_key_is_refused() -> None:
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with pytest.raises(SigningKeyError, match="not an RSA key"):
        RequestSigner("a", ec_pem)


def test_signer_repr_shows_no_key(rsa_key: rsa.RSAPrivateKey) -> None:
    signer = RequestSigner("app-7", _pem(rsa_key))
    assert repr(signer) == "RequestSigner(app_id='app-7')"
    assert "PRIVATE" not in repr(vars(signer))


# --- the provider over loopback HTTP -----------------------------------------------------------

TOKEN = "tams-token-s3cr3t"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with serve() as running_server:
        yield running_server


def tams_config(base_url: str, **secrets: str) -> TensorartConfig:
    refs = {
        key: SecretRef(key=f"providers.tams.{key}", source="literal", literal=SecretStr(value))
        for key, value in secrets.items()
    }
    extra = {"app_id": "app-7"} if "private_key" in secrets else {}
    return TensorartConfig(name="tams", base_url=base_url, secrets=refs, **extra)


def running_job(job_id: str) -> dict[str, Any]:
    return {"job": {"id": job_id, "status": "WAITING", "waitingInfo": {"queueRank": "2"}}}


async def test_bearer_fetch_in_order(server: LoopbackServer) -> None:
    server.script("GET", "/v1/jobs/1", Reply(body=running_job("1")))
    server.script("GET", "/v1/jobs/2", Reply(body=job("SUCCESS")))
    provider = TensorartProvider(tams_config(server.url, token=TOKEN))
    try:
        first, second = await provider.fetch(["1", "2"])
    finally:
        await provider.aclose()
    assert isinstance(first, Job) and first.summary == "queue 2"
    assert isinstance(second, Job) and second.state is JobState.SUCCEEDED
    assert first.provider == "tams"
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert TensorartProvider.default_rate_limit == 5.0


async def test_signed_requests_exclude_the_base_url_prefix(
    server: LoopbackServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    server.script("GET", "/tensorart/v1/jobs/42", Reply(body=running_job("42")))
    server.script("DELETE", "/tensorart/v1/jobs/42", Reply(body={"jobId": "42"}))
    config = tams_config(f"{server.url}/tensorart", private_key=_pem(rsa_key))
    provider = TensorartProvider(config)
    try:
        (fetched,) = await provider.fetch(["42"])
        assert await provider.cancel("42") is None
    finally:
        await provider.aclose()
    assert isinstance(fetched, Job) and fetched.id == "42"
    assert [r.method for r in server.requests] == ["GET", "DELETE"]
    for request in server.requests:
        fields = _header_fields(request.headers["authorization"])
        assert fields["app_id"] == "app-7"
        message = f"{request.method}\n/v1/jobs/42\n{fields['timestamp']}\n{fields['nonce_str']}\n"
        rsa_key.public_key().verify(
            base64.b64decode(fields["signature"]),
            message.encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    nonces = {_header_fields(r.headers["authorization"])["nonce_str"] for r in server.requests}
    assert len(nonces) == 2


async def test_ids_are_escaped_in_the_path(server: LoopbackServer) -> None:
    provider = TensorartProvider(tams_config(server.url, token=TOKEN))
    try:
        (result,) = await provider.fetch(["../admin?x=1"])
    finally:
        await provider.aclose()
    assert server.requests[0].path == "/v1/jobs/..%2Fadmin%3Fx%3D1"
    assert isinstance(result, FetchError) and result.category is FetchCategory.NOT_FOUND


@pytest.mark.parametrize(
    ("reply", "category", "words"),
    [
        (
            Reply(404, {"code": 5, "message": "job not found", "details": []}),
            FetchCategory.NOT_FOUND,
            "job not found",
        ),
        (
            Reply(401, {"code": 16, "message": "signature verification failed"}),
            FetchCategory.AUTH,
            "signature verification failed",
        ),
        (
            Reply(429, {"code": 8, "message": "too frequent"}, {"Retry-After": "7"}),
            FetchCategory.RATE_LIMITED,
            "too frequent",
        ),
        (Reply(502, b"<html>bad gateway</html>"), FetchCategory.SERVER, "HTTP 502"),
        (Reply(400, {"code": 3, "message": "bad jobId"}), FetchCategory.CLIENT, "bad jobId"),
        (Reply(200, b"not json"), FetchCategory.BAD_PAYLOAD, "not JSON"),
        (Reply(200, {"jobId": "9"}), FetchCategory.BAD_PAYLOAD, "tams: job: missing"),
    ],
)
async def test_failures_become_fetch_errors(
    server: LoopbackServer, reply: Reply, category: FetchCategory, words: str
) -> None:
    server.script("GET", "/v1/jobs/9", reply)
    provider = TensorartProvider(tams_config(server.url, token=TOKEN))
    try:
        (result,) = await provider.fetch(["9"])
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError)
    assert result.category is category
    assert result.job_id == "9"
    assert words in str(result)
    assert TOKEN not in str(result) and TOKEN not in repr(result)
    if category is FetchCategory.RATE_LIMITED:
        assert result.retry_after == 7.0


async def test_cancel_failure_raises_fetch_error(server: LoopbackServer) -> None:
    server.script("DELETE", "/v1/jobs/5", Reply(404, {"code": 5, "message": "job not found"}))
    provider = TensorartProvider(tams_config(server.url, token=TOKEN))
    try:
        with pytest.raises(FetchError) as caught:
            await provider.cancel("5")
    finally:
        await provider.aclose()
    assert caught.value.category is FetchCategory.NOT_FOUND
    assert TensorartProvider.supports_cancel


async def test_missing_or_bad_credentials_are_auth_errors_without_secrets(
    server: LoopbackServer,
) -> None:
    bad_key = "-----BEGIN PRIVATE KEY-----\nbm90LWEta2V5LXMzY3IzdA==\n-----END PRIVATE KEY-----"
    for config in (tams_config(server.url), tams_config(server.url, private_key=bad_key)):
        provider = TensorartProvider(config)
        (result,) = await provider.fetch(["1"])
        await provider.aclose()
        assert isinstance(result, FetchError) and result.category is FetchCategory.AUTH
        assert result.job_id == "1"
        assert "bm90LWEta2V5" not in str(result)
        assert "bm90LWEta2V5" not in repr(provider.config)
    assert server.requests == []  # nothing was sent without credentials


def test_base_url_is_required() -> None:
    with pytest.raises(ConfigError) as caught:
        TensorartProvider(TensorartConfig(name="tams"))
    assert caught.value.key == "providers.tams.base_url"


@pytest.mark.parametrize("url", ["http://tams.example.com", "ftp://tams.example.com"])
def test_credentials_never_travel_in_clear_text(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        TensorartProvider(TensorartConfig(name="tams", base_url=url))
    assert caught.value.key == "providers.tams.base_url"
    allowed = TensorartConfig(name="tams", base_url="http://tams.example.com", allow_insecure=True)
    assert TensorartProvider(allowed).name == "tams"


@pytest.mark.parametrize(
    "body",
    [b'{"job": {"id": "1", "pad": "' + b"x" * 4096 + b'"}}', b"[" * 200_000 + b"]" * 200_000],
)
async def test_oversized_or_absurdly_deep_answers_are_bad_payloads(
    server: LoopbackServer, body: bytes
) -> None:
    server.script("GET", "/v1/jobs/1", Reply(body=body))
    config = tams_config(server.url, token=TOKEN).model_copy(update={"max_body_bytes": 1024})
    if body.startswith(b"["):
        config = config.model_copy(update={"max_body_bytes": 1_000_000})
    provider = TensorartProvider(config)
    try:
        (result,) = await provider.fetch(["1"])
    finally:
        await provider.aclose()
    assert isinstance(result, FetchError) and result.category is FetchCategory.BAD_PAYLOAD
