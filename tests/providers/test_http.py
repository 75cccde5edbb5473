"""The shared HTTP machinery against a real loopback server: every failure has its category."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from jobtui.config.model import ProviderConfig
from jobtui.errors import ConfigError, FetchCategory, FetchError
from jobtui.providers import http as http_module
from jobtui.providers.http import (
    MAX_JSON_DEPTH,
    check_secure,
    decode_json,
    describe_error,
    json_depth_exceeds,
    make_client,
    request_json,
    retry_after_seconds,
)

from support.scripted_server import Reply, ScriptedServer, serve

SECRET = "s3cr3t-key-value"


def config(**fields: object) -> ProviderConfig:
    values: dict[str, object] = {"name": "p", "kind": "deepomatic", **fields}
    return ProviderConfig.model_validate(values)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serve() as running:
        yield running


@pytest.fixture
async def client(server: ScriptedServer) -> AsyncIterator[httpx.AsyncClient]:
    http = make_client(config(timeout=2.0), server.url)
    try:
        yield http
    finally:
        await http.aclose()


async def failure(client: httpx.AsyncClient, path: str = "/x", **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await request_json(client, "GET", path, job_id="j1", **kwargs)  # type: ignore[arg-type]
    return caught.value


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# --- success ---------------------------------------------------------------------------------


async def test_json_answer_with_query_and_headers(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    server.script("GET", "/x", Reply(body={"ok": [1, 2]}))
    body = await request_json(
        client, "GET", "/x", headers={"X-API-KEY": "k"}, params={"task_ids": ["a", "b"]}
    )
    assert body == {"ok": [1, 2]}
    (seen,) = server.requests
    assert seen.query == {"task_ids": ["a", "b"]}
    assert seen.headers["x-api-key"] == "k"
    assert seen.headers["user-agent"].startswith("jobtui/")


async def test_a_cookie_a_provider_sets_goes_back_to_it(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    # Answers without Set-Cookie skip the jar; one with it is stored as httpx stores it.
    server.script("GET", "/a", Reply(body={}))
    server.script("GET", "/b", Reply(body={}, headers={"Set-Cookie": "lb=node2; Path=/"}))
    server.script("GET", "/c", Reply(body={}))
    for path in ("/a", "/b", "/c", "/a"):
        await request_json(client, "GET", path)
    assert [seen.headers.get("cookie") for seen in server.requests] == [
        None, None, "lb=node2", "lb=node2"
    ]  # fmt: skip


async def test_an_unchanged_answer_is_not_decoded_again(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    running = Reply(body={"state": "running"})
    server.script("GET", "/j", running, running, Reply(body={"state": "done"}))
    server.script("GET", "/k", Reply(body={"state": "running"}))
    first = await request_json(client, "GET", "/j")
    again = await request_json(client, "GET", "/j")
    changed = await request_json(client, "GET", "/j")
    other = await request_json(client, "GET", "/k")
    assert again is first  # the same bytes from the same path: the same value
    assert changed == {"state": "done"}
    assert other == first and other is not first  # another path keeps its own


async def test_json_body_is_sent(server: ScriptedServer, client: httpx.AsyncClient) -> None:
    server.script("POST", "/t", Reply(body={"accessToken": "a"}))
    assert await request_json(client, "POST", "/t", json_body={"clientId": "c"}) == {
        "accessToken": "a"
    }
    assert server.requests[0].json() == {"clientId": "c"}
    assert server.requests[0].headers["content-type"] == "application/json"


async def test_no_content_is_none(server: ScriptedServer, client: httpx.AsyncClient) -> None:
    server.script("POST", "/c", Reply(204))
    assert await request_json(client, "POST", "/c") is None


async def test_gzip_answer_is_decoded(server: ScriptedServer, client: httpx.AsyncClient) -> None:
    server.script(
        "GET", "/x", Reply(body=gzip.compress(b'{"a": 1}'), headers={"Content-Encoding": "gzip"})
    )
    assert await request_json(client, "GET", "/x") == {"a": 1}


# --- status → category -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (400, FetchCategory.CLIENT),
        (401, FetchCategory.AUTH),
        (403, FetchCategory.AUTH),
        (404, FetchCategory.NOT_FOUND),
        (408, FetchCategory.TIMEOUT),
        (409, FetchCategory.CLIENT),
        (429, FetchCategory.RATE_LIMITED),
        (500, FetchCategory.SERVER),
        (502, FetchCategory.SERVER),
        (503, FetchCategory.SERVER),
    ],
)
async def test_status_categories(
    server: ScriptedServer, client: httpx.AsyncClient, status: int, category: FetchCategory
) -> None:
    server.script("GET", "/x", Reply(status, {"detail": "nope"}))
    error = await failure(client)
    assert (error.category, error.status_code, error.job_id) == (category, status, "j1")
    assert str(error) == f"HTTP {status}: nope"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"detail": "Authentication credentials were not provided."}, "Authentication"),
        ({"message": "Missing API-KEY header"}, "Missing API-KEY header"),
        ({"error": {"code": 400, "message": "Jobs not found"}}, "Jobs not found"),
        ({"error": "invalid_client"}, "invalid_client"),
        (b"No job found with the given ID", "No job found with the given ID"),
        (b"<html><body>Bad gateway</body></html>", "Not Found"),
        ({"code": 5}, "Not Found"),
    ],
)
async def test_the_providers_own_message(
    server: ScriptedServer, client: httpx.AsyncClient, body: object, message: str
) -> None:
    server.script("GET", "/x", Reply(404, body))
    error = await failure(client)
    assert error.category is FetchCategory.NOT_FOUND
    assert message in str(error)
    assert "<html>" not in str(error)


async def test_custom_describe_wins(server: ScriptedServer, client: httpx.AsyncClient) -> None:
    server.script("GET", "/x", Reply(400, {"message": "generic", "why": "specific"}))
    error = await failure(client, describe=lambda body: "from describe")
    assert str(error) == "HTTP 400: from describe"


async def test_request_id_is_kept(server: ScriptedServer, client: httpx.AsyncClient) -> None:
    server.script("GET", "/x", Reply(500, {"message": "boom"}, {"x-request-id": "req-42"}))
    error = await failure(client)
    assert error.request_id == "req-42"
    assert str(error) == "HTTP 500: boom (request id req-42)"


async def test_an_echoed_secret_is_redacted(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    server.script("GET", "/x", Reply(401, {"detail": f"key {SECRET} is not valid"}))
    error = await failure(client, redact=(SECRET,))
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert "key *** is not valid" in str(error)


async def test_secrets_from_six_characters_are_masked_in_place(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    server.script("GET", "/x", Reply(400, {"message": "see [link] abcdef for help"}))
    error = await failure(client, redact=("abcdef", "xyz12"))
    assert str(error) == "HTTP 400: see [link] *** for help"


async def test_a_message_echoing_a_short_secret_is_hidden_whole(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    server.script("GET", "/x", Reply(401, {"message": "key k is not valid, see [link]"}))
    error = await failure(client, redact=("k",))
    assert str(error) == "HTTP 401: (provider message hidden: it may contain a credential)"
    assert "[lin" not in repr(error)


async def test_a_short_token_sent_in_a_header_is_never_shown(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    server.script("GET", "/x", Reply(401, {"message": "token tok5 rejected"}))
    error = await failure(client, headers={"Authorization": "Bearer tok5"})
    assert "tok5" not in str(error) and "tok5" not in repr(error)
    assert "message hidden" in str(error)


async def test_a_long_secret_is_masked_even_beside_a_short_one(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    server.script("GET", "/x", Reply(401, {"message": f"key {SECRET} is not valid"}))
    error = await failure(client, redact=(SECRET, "zq"))
    assert str(error) == "HTTP 401: key *** is not valid"


async def test_a_long_message_is_cut_to_one_line(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    server.script("GET", "/x", Reply(500, {"message": "line one\nline two " + "x" * 1000}))
    error = await failure(client)
    assert "\n" not in str(error)
    assert len(str(error)) < 320


# --- Retry-After -----------------------------------------------------------------------------


async def test_retry_after_seconds_on_429(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    server.script("GET", "/x", Reply(429, {"message": "slow down"}, {"Retry-After": "7"}))
    error = await failure(client)
    assert (error.category, error.retry_after) == (FetchCategory.RATE_LIMITED, 7.0)


async def test_retry_after_http_date_on_503(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    server.script(
        "GET", "/x", Reply(503, b"busy", {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    )
    error = await failure(client)
    assert error.category is FetchCategory.SERVER
    assert error.retry_after is not None and error.retry_after > 365 * 86400


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    assert retry_after_seconds(value, now=now) == seconds


# --- bad payloads ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<!DOCTYPE html><html>login</html>", "HTML"),
        (b"\xff\xfe{not utf8", "not UTF-8"),
        (b"", "empty"),
        (b"   ", "empty"),
        (b"{'python': True}", "not JSON"),
        (b'{"a": 1', "not JSON"),
    ],
)
async def test_unusable_success_bodies_are_bad_payloads(
    server: ScriptedServer, client: httpx.AsyncClient, body: bytes, words: str
) -> None:
    server.script("GET", "/x", Reply(200, body))
    error = await failure(client)
    assert error.category is FetchCategory.BAD_PAYLOAD
    assert words in str(error)
    assert error.status_code == 200


async def test_declared_length_over_the_cap(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    server.script("GET", "/x", Reply(body={"blob": "x" * 5000}))
    error = await failure(client, max_bytes=4096)
    assert error.category is FetchCategory.BAD_PAYLOAD
    assert "larger than 4096 bytes" in str(error)


async def test_streamed_body_is_cut_at_the_cap(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    # 64 MB with no length announced: far more than socket buffers hold, so the
    # server can only finish if the client reads it all.
    chunks = (b" " * 65536 for _ in range(1024))
    server.script("GET", "/x", Reply(body=None, chunks=chunks))
    error = await failure(client, max_bytes=100_000)
    assert error.category is FetchCategory.BAD_PAYLOAD
    assert "larger than 100000 bytes" in str(error)
    assert server.streams_finished == 0


async def test_a_gzip_bomb_is_cut_at_the_cap(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    bomb = gzip.compress(b"[" + b" " * 8_000_000 + b"]")
    assert len(bomb) < 100_000
    server.script("GET", "/x", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    error = await failure(client, max_bytes=1_000_000)
    assert error.category is FetchCategory.BAD_PAYLOAD


async def test_deep_json_is_a_bad_payload(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    server.script("GET", "/x", Reply(body=nested(100_000)))
    error = await failure(client)
    assert error.category is FetchCategory.BAD_PAYLOAD
    assert "deeper than 200" in str(error)


async def test_json_at_the_depth_limit_is_fine(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    server.script("GET", "/x", Reply(body=nested(MAX_JSON_DEPTH)))
    assert isinstance(await request_json(client, "GET", "/x"), list)


async def test_a_large_answer_is_parsed_off_the_loop(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    tasks = [{"id": str(n), "label": "x" * 40, "nested": [[n]]} for n in range(30_000)]
    server.script("GET", "/x", Reply(body={"results": tasks}))
    body = await request_json(client, "GET", "/x")
    assert isinstance(body, dict) and body["results"][-1]["id"] == "29999"
    server.script("GET", "/deep", Reply(body=b" " * 2_000_000 + nested(300)))
    error = await failure(client, "/deep")
    assert error.category is FetchCategory.BAD_PAYLOAD


def test_depth_scan_ignores_brackets_in_strings() -> None:
    text = json.dumps({"a": "[" * 5000, "b": ["]" * 10, {"c": '\\"[[['}]})
    assert not json_depth_exceeds(text, 3)
    assert json_depth_exceeds(json.dumps([[[[1]]]]), 3)
    assert not json_depth_exceeds(json.dumps([[[1]], [[2]], [[3]]]), 3)
    assert decode_json(text.encode()) == json.loads(text)


def test_deep_json_never_reaches_the_parser_even_past_the_recursion_limit() -> None:
    with pytest.raises(ValueError, match="deeper than 200"):
        decode_json(b'{"a":' * 50_000 + b"1" + b"}" * 50_000)


# --- transport failures ----------------------------------------------------------------------


async def test_a_slow_answer_times_out(server: ScriptedServer) -> None:
    release = threading.Event()
    server.script("GET", "/x", Reply(body={}, hold=release))
    http = make_client(config(timeout=0.2), server.url)
    try:
        error = await failure(http)
    finally:
        release.set()
        await http.aclose()
    assert error.category is FetchCategory.TIMEOUT
    assert error.job_id == "j1"


async def test_a_closed_port_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = make_client(config(timeout=2.0), f"http://127.0.0.1:{port}")
    try:
        error = await failure(http)
    finally:
        await http.aclose()
    assert error.category is FetchCategory.NETWORK
    assert "ConnectError" in str(error)


async def test_redirects_are_not_followed(server: ScriptedServer) -> None:
    with serve() as elsewhere:
        elsewhere.script("GET", "/steal", Reply(body={"ok": True}))
        server.script(
            "GET", "/x", Reply(302, b"", {"Location": f"{elsewhere.url}/steal?token=abc"})
        )
        http = make_client(config(timeout=2.0), server.url)
        try:
            error = await failure(http, headers={"Authorization": f"Bearer {SECRET}"})
        finally:
            await http.aclose()
        assert elsewhere.requests == []
    assert (error.category, error.status_code) == (FetchCategory.CLIENT, 302)
    assert f"redirected to {elsewhere.url}/steal, not followed" in str(error)
    assert "token=abc" not in str(error)


# --- client factory, security, secrets -------------------------------------------------------


def test_client_settings() -> None:
    http = make_client(config(timeout=12.0, max_concurrency=3), "https://api.example.com/")
    assert http.follow_redirects is False
    assert http.trust_env is True
    assert str(http.base_url) == "https://api.example.com"
    assert http.timeout.read == 12.0 and http.timeout.connect == 10.0


def test_a_ca_bundle_path_is_loaded(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigError, match=r"providers\.p\.verify: cannot load CA bundle"):
        make_client(config(verify=str(missing)), "https://api.example.com")
    make_client(config(verify=False), "https://api.example.com")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.example.com", True),
        ("http://127.0.0.1:8080/x", True),
        ("http://127.1.2.3", True),
        ("http://localhost:9", True),
        ("http://[::1]:9", True),
        ("http://api.example.com", False),
        ("http://10.0.0.1", False),
        ("ftp://api.example.com", False),
        ("not a url", False),
    ],
)
def test_check_secure(url: str, allowed: bool) -> None:
    if allowed:
        check_secure(config(), url, "base_url")
    else:
        with pytest.raises(ConfigError, match=r"providers\.p\.base_url"):
            check_secure(config(), url, "base_url")


def test_allow_insecure_permits_plain_http() -> None:
    check_secure(config(allow_insecure=True), "http://api.example.com", "base_url")


def test_describe_error_shapes() -> None:
    assert describe_error({"detail": "d", "message": "m"}) == "d"
    assert describe_error({"error": {"message": "inner"}}) == "inner"
    assert describe_error({"error": "code"}) == "code"
    assert describe_error({"error": {"code": 1}}) is None
    assert describe_error(["detail"]) is None


# --- transports -------------------------------------------------------------------------------


def test_the_aiohttp_transport_is_the_default() -> None:
    from jobtui.providers.transport import AioTransport

    http = make_client(config(), "https://api.example.com")
    assert isinstance(http._transport, AioTransport)
    # Proxies are the transport's to read: httpx mounts none of its own beside it.
    assert all(mounted is None for mounted in http._mounts.values())


async def test_httpx_own_transport_still_serves(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_module, "TRANSPORT", "httpx")
    server.script("GET", "/x", Reply(body={"ok": 1}))
    http = make_client(config(timeout=2.0), server.url)
    try:
        assert isinstance(http._transport, httpx.AsyncHTTPTransport)
        assert await request_json(http, "GET", "/x") == {"ok": 1}
    finally:
        await http.aclose()


async def test_a_malformed_answer_is_a_network_error(
    server: ScriptedServer, client: httpx.AsyncClient
) -> None:
    # The server adds its own Content-Length: two that disagree are a protocol error.
    server.script("GET", "/x", Reply(200, b'{"a": 1', {"Content-Length": "500"}))
    error = await failure(client)
    assert error.category is FetchCategory.NETWORK
    assert "RemoteProtocolError" in str(error)
