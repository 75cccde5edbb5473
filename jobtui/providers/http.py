"""The HTTP machinery every provider shares.

One ``httpx.AsyncClient`` per provider (``make_client``) and one way to ask
for JSON (``request_json``) that turns every failure into a ``FetchError``
with the category the engine acts on. What this module guards against:

- answers too large (the body is streamed and dropped at ``max_bytes``),
  nested too deep (checked before ``json.loads`` can hit the recursion
  limit), not UTF-8, not JSON (an HTML error page from a proxy), or empty;
- redirects: never followed, because the ``Authorization`` or API-key
  header would travel to whatever origin the ``Location`` names;
- plain ``http://`` to a host other than loopback (``check_secure``);
- secrets echoed by a server in its error text (``redact``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import re
import ssl
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.util import find_spec
from itertools import accumulate
from pathlib import Path
from weakref import WeakKeyDictionary

import httpx

from jobtui import __version__
from jobtui.config.model import ProviderConfig
from jobtui.errors import ConfigError, FetchCategory, FetchError

__all__ = [
    "HTTP2_AVAILABLE",
    "MAX_JSON_DEPTH",
    "TRANSPORT",
    "Describe",
    "check_secure",
    "decode_json",
    "default_transport",
    "describe_error",
    "json_depth_exceeds",
    "make_client",
    "request_json",
    "retry_after_seconds",
]

Describe = Callable[[object], str | None]
"""Reads a provider's own error message out of an error body (None when it has none)."""

MAX_JSON_DEPTH = 200
"""Deeper JSON is refused: no provider nests that deep, and ``json.loads`` would recurse."""

HTTP2_AVAILABLE = find_spec("h2") is not None
"""``h2`` is installed: the httpx transport (``JOBTUI_HTTP=httpx``) then negotiates HTTP/2."""

TRANSPORT = "httpx" if os.environ.get("JOBTUI_HTTP") == "httpx" else "aiohttp"
"""Which transport ``make_client`` gives a client: ``"aiohttp"`` (the default, several
times faster per request, see ``jobtui.providers.transport``) or ``"httpx"`` (httpcore,
with HTTP/2 when ``h2`` is installed), chosen by the environment variable
``JOBTUI_HTTP=httpx``. The httpx one is used too when aiohttp cannot be imported."""

_USER_AGENT = f"jobtui/{__version__}"
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_THREAD_DECODE_BYTES = 1024 * 1024
"""Bodies larger than this are parsed in a worker thread, off the event loop."""
_MESSAGE_LIMIT = 300
"""Characters of a provider's error message kept in a ``FetchError``."""
_MEMO_LIMIT = 100_000
"""Entries a client's memo holds before it starts again (jobs come and go)."""


class _ClientMemo:
    """What a client's requests to the same paths can reuse."""

    def __init__(self) -> None:
        self.urls: dict[str, httpx.URL] = {}
        """A path as the absolute URL httpx merged it to (two URL parses a request)."""
        self.answers: dict[str, tuple[bytes, object]] = {}
        """Per GET path: a digest of the last answer's bytes and its decoded value."""

    def url(self, path: str) -> httpx.URL | str:
        """The absolute URL of ``path`` when a request has been sent there, else ``path``."""
        return self.urls.get(path, path)

    def sent(self, path: str, url: httpx.URL) -> None:
        """``path`` went to ``url`` (httpx's merge of the base URL and the path): later
        requests pass it whole, and httpx, given an absolute URL, merges nothing."""
        if len(self.urls) >= _MEMO_LIMIT:
            self.urls.clear()
        self.urls[path] = url

    def remember(self, path: str, digest: bytes, value: object) -> None:
        if len(self.answers) >= _MEMO_LIMIT:
            self.answers.clear()
        self.answers[path] = (digest, value)


_MEMOS: WeakKeyDictionary[httpx.AsyncClient, _ClientMemo] = WeakKeyDictionary()


def _memo(client: httpx.AsyncClient) -> _ClientMemo:
    found = _MEMOS.get(client)
    if found is None:
        found = _MEMOS[client] = _ClientMemo()
    return found


def check_secure(cfg: ProviderConfig, url: str, key: str) -> None:
    """Refuse plain ``http://`` to a non-loopback host unless ``allow_insecure`` is set.

    For ``https://`` the ``verify`` CA bundle must load. ``key`` names the setting
    the URL came from, for the ``ConfigError``.
    """
    where = f"providers.{cfg.name}.{key}"
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise ConfigError("is not a valid URL", key=where) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError("must be an http:// or https:// URL", key=where)
    host = parsed.host
    loopback = host in _LOOPBACK_HOSTS or host.startswith("127.")
    if parsed.scheme == "http" and not loopback and not cfg.allow_insecure:
        raise ConfigError(
            "plain http:// would send credentials in clear text; use https:// "
            "or set allow_insecure = true",
            key=where,
        )
    if parsed.scheme == "https":
        # Load the CA bundle now: a bad ``verify`` path is a config error at start-up,
        # not an exception out of the first fetch.
        _verify(cfg)


def _verify(cfg: ProviderConfig) -> ssl.SSLContext | bool:
    """``verify`` as httpx wants it: a CA bundle path becomes a context of its own."""
    if isinstance(cfg.verify, bool):
        return cfg.verify
    path = Path(cfg.verify).expanduser()
    try:
        if path.is_dir():
            return ssl.create_default_context(capath=str(path))
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"cannot load CA bundle {path}: {exc.strerror or type(exc).__name__}",
            key=f"providers.{cfg.name}.verify",
        ) from None


def make_client(
    cfg: ProviderConfig,
    base_url: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The one client of a provider.

    Timeouts on every phase (connecting gets at most 10 s of the budget),
    keep-alive sized to the provider's concurrency, HTTP/2 when ``h2`` is
    installed, proxies and CA bundle from the environment (``trust_env``),
    TLS per ``verify``, and redirects never followed.
    """
    timeout = httpx.Timeout(cfg.timeout, connect=min(cfg.timeout, 10.0))
    limits = httpx.Limits(
        max_connections=cfg.max_concurrency * 2,
        max_keepalive_connections=cfg.max_concurrency,
        keepalive_expiry=30.0,
    )
    verify = _verify(cfg)
    if transport is None:
        transport = default_transport(verify, limits)
    client = httpx.AsyncClient(
        base_url=base_url.rstrip("/"),
        timeout=timeout,
        limits=limits,
        http2=HTTP2_AVAILABLE,
        verify=verify,
        trust_env=True,
        follow_redirects=False,
        headers={"User-Agent": _USER_AGENT, "Accept": "application/json"},
        transport=transport,
    )
    # httpx reads every answer for cookies through urllib's request and response
    # views (~0.3 ms a request); an answer setting none is skipped. The jar is
    # otherwise httpx's own, so a cookie a provider sets still goes back to it.
    client._cookies = _Cookies(client.cookies)
    return client


class _Cookies(httpx.Cookies):
    """httpx's cookie jar, without the work of reading an answer that sets no cookie."""

    def extract_cookies(self, response: httpx.Response) -> None:
        """Store the cookies of ``response`` (it has a ``Set-Cookie`` header)."""
        # The jar (http.cookiejar) reads Set-Cookie and the obsolete Set-Cookie2 only.
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def default_transport(
    verify: ssl.SSLContext | bool, limits: httpx.Limits, kind: str | None = None
) -> httpx.AsyncBaseTransport | None:
    """The transport of ``kind`` (default ``TRANSPORT``); None means httpx's own.

    The aiohttp one gets the TLS context httpx would build from ``verify`` (CA
    bundle, ``SSL_CERT_FILE`` from the environment), so both verify alike.
    """
    if (kind or TRANSPORT) != "aiohttp":
        return None
    try:
        from jobtui.providers.transport import AioTransport
    except ImportError:  # aiohttp missing: httpx's own transport still works
        return None
    return AioTransport(
        _ssl_context(verify),
        max_connections=limits.max_connections or 100,
        keepalive_expiry=limits.keepalive_expiry or 30.0,
    )


_CONTEXTS: dict[tuple[bool, str | None, str | None], ssl.SSLContext] = {}


def _ssl_context(verify: ssl.SSLContext | bool) -> ssl.SSLContext:
    """The TLS context of ``verify``; the system one is built once per process.

    Loading the CA store takes ~0.1 s, once per provider before; a CA bundle of
    ``verify`` already is its own context. ``SSL_CERT_FILE``/``SSL_CERT_DIR`` are
    part of the key, so a changed environment still gets its own.
    """
    if isinstance(verify, ssl.SSLContext):
        return verify
    key = (verify, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    found = _CONTEXTS.get(key)
    if found is None:
        found = _CONTEXTS[key] = httpx.create_ssl_context(verify=verify, trust_env=True)
    return found


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds from ``now`` (delta-seconds or HTTP date); None if unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


_ESCAPES = re.compile(r"\\.", re.DOTALL)
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when JSON ``text`` nests arrays/objects deeper than ``limit``.

    Brackets inside strings do not nest: escapes are dropped, then every
    other ``"``-separated part is string content. What remains is reduced to
    its brackets in C (``bytes.translate``) before the one Python-level pass,
    so a 16 MB answer costs a fraction of its ``json.loads``.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    unescaped = _ESCAPES.sub("", text) if "\\" in text else text
    outside = "".join(unescaped.split('"')[0::2])
    steps = outside.encode("utf-8", "replace").translate(_BRACKET_STEPS, _NOT_BRACKETS)
    if steps.count(2) <= limit:
        return False
    return max(accumulate(step - 1 for step in steps)) > limit


def decode_json(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> object:
    """A JSON body as Python values; ``ValueError`` saying why when it is not usable JSON."""
    if not body.strip():
        raise ValueError("empty answer")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("answer is not UTF-8") from None
    if text.lstrip()[:1] == "<":
        raise ValueError("answer is HTML or XML, not JSON")
    if json_depth_exceeds(text, max_depth):
        raise ValueError(f"answer nests deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"answer nests deeper than {max_depth} levels") from None
    except ValueError:
        raise ValueError("answer is not JSON") from None


def describe_error(body: object) -> str | None:
    """The usual places providers put their message: ``detail``, ``message``, ``error``.

    ``error`` may be a string or an object with ``message``; the first
    non-empty text wins.
    """
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    candidates = [
        body.get("detail"),
        body.get("message"),
        error.get("message") if isinstance(error, dict) else error,
        body.get("error_description"),
    ]
    for found in candidates:
        if isinstance(found, str) and found.strip():
            return found.strip()
    return None


def _text_message(body: bytes) -> str | None:
    """The first line of a short plain-text error body (Image Intelligence sends those)."""
    try:
        text = body.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    if not text or text.startswith("<") or text[:1] in "{[":
        return None
    return text.splitlines()[0]


_MIN_REDACTED = 6
"""Shorter secrets are not masked in place: "k" would turn "[link" into "[lin***"."""
_HIDDEN = "(provider message hidden: it may contain a credential)"


def _clean(prefix: str, message: str, redact: Collection[str]) -> str:
    """``prefix`` (our own words) and the provider's ``message``: one line, bounded, with
    every secret the server may have echoed removed.

    Secrets of ``_MIN_REDACTED`` characters or more are masked where they occur. A
    shorter one cannot be masked without mangling ordinary words, yet must never be
    shown either, so a message containing one is dropped whole.
    """
    # Longest first: a header value ("Bearer tok…") goes before the token inside it.
    for secret in sorted({s for s in redact if s}, key=len, reverse=True):
        if len(secret) >= _MIN_REDACTED:
            message = message.replace(secret, "***")
        elif secret in message:
            message = _HIDDEN
            break
    message = " ".join(f"{prefix}{message}".split())
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 1] + "…"
    return message


def _category(status: int) -> FetchCategory:
    if status in (401, 403):
        return FetchCategory.AUTH
    if status in (404, 410):
        return FetchCategory.NOT_FOUND
    if status == 429:
        return FetchCategory.RATE_LIMITED
    if status == 408:
        return FetchCategory.TIMEOUT
    if status >= 500:
        return FetchCategory.SERVER
    return FetchCategory.CLIENT


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str | list[str]] | None = None,
    json_body: object = None,
    data: Mapping[str, str] | None = None,
    job_id: str | None = None,
    describe: Describe | None = None,
    max_bytes: int = 16 * 1024 * 1024,
    max_depth: int = MAX_JSON_DEPTH,
    request_id_header: str = "x-request-id",
    redact: Collection[str] = (),
) -> object:
    """Send one request and return its JSON body (None for 204); failures are ``FetchError``.

    ``describe`` reads the provider's own message from an error body
    (default ``describe_error``). Every message passes
    through ``redact``: a server echoing a key must not put it on screen.

    A GET without ``params`` answered with the very bytes of the client's last
    answer from that path returns the same value as then, not decoded again:
    most polls of a job find it unchanged, and ``Provider.parse_known`` then
    reuses its ``Job`` too. The value is shared, so callers must not change it.
    """
    # Whatever credential this request carries is redacted too: a server echoing its
    # Authorization header (Cognite, Tensor.Art tokens) must not put it in a job's error.
    redact = (*redact, *_sent_credentials(headers, data))
    request_id: str | None = None
    memo = _memo(client)
    try:
        async with client.stream(
            method,
            memo.url(path),
            headers=headers,
            params=params,
            json=json_body,
            data=data,
        ) as response:
            if params is None:
                memo.sent(path, response.request.url)
            request_id = response.headers.get(request_id_header) or None
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(max_bytes, job_id, response.status_code, request_id)
            body = bytearray()
            # Decoded chunks: the cap also stops a small gzip that inflates to gigabytes.
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise _too_large(max_bytes, job_id, response.status_code, request_id)
    except httpx.TimeoutException:
        raise FetchError(FetchCategory.TIMEOUT, "request timed out", job_id=job_id) from None
    except httpx.HTTPError as exc:
        raise FetchError(
            FetchCategory.NETWORK, f"network error: {type(exc).__name__}", job_id=job_id
        ) from None
    status = response.status_code
    raw = bytes(body)
    if 200 <= status < 300:
        if status == 204 or (not raw.strip() and method.upper() != "GET"):
            return None
        try:
            if len(raw) > _THREAD_DECODE_BYTES:
                # Parsing megabytes takes long enough to stall every other poll and the UI.
                return await asyncio.to_thread(decode_json, raw, max_depth)
            if method != "GET" or params is not None:
                return decode_json(raw, max_depth)
            # 16 bytes of BLAKE2b: equal digests are equal answers (a collision is 2^-128).
            digest = hashlib.blake2b(raw, digest_size=16).digest()
            known = memo.answers.get(path)
            if known is not None and known[0] == digest:
                return known[1]
            value = decode_json(raw, max_depth)
            memo.remember(path, digest, value)
            return value
        except ValueError as exc:
            raise FetchError(
                FetchCategory.BAD_PAYLOAD,
                str(exc),
                job_id=job_id,
                status_code=status,
                request_id=request_id,
            ) from None
    if 300 <= status < 400:
        location = httpx.URL(response.headers.get("location", ""))
        target = f" to {location.copy_with(query=None, fragment=None)}" if location.host else ""
        raise FetchError(
            FetchCategory.CLIENT,
            _clean(f"HTTP {status}: ", f"redirected{target}, not followed", redact),
            job_id=job_id,
            status_code=status,
            request_id=request_id,
        )
    try:
        payload: object = decode_json(raw, max_depth)
    except ValueError:
        payload = None
    message = (
        (describe or describe_error)(payload)
        or _text_message(raw)
        or response.reason_phrase
        or "error"
    )
    raise FetchError(
        _category(status),
        _clean(f"HTTP {status}: ", message, redact),
        job_id=job_id,
        status_code=status,
        retry_after=retry_after_seconds(response.headers.get("retry-after")),
        request_id=request_id,
    )


_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key"})


def _sent_credentials(
    headers: Mapping[str, str] | None, data: Mapping[str, str] | None
) -> list[str]:
    """The credential values a request sends: auth headers (and their token part), secrets."""
    found: list[str] = []
    for name, value in (headers or {}).items():
        if name.lower() in _CREDENTIAL_HEADERS and value:
            found.append(value)
            scheme, _, credential = value.partition(" ")
            if credential and scheme.lower() in ("bearer", "basic", "token"):
                found.append(credential)
    for name, value in (data or {}).items():
        if "secret" in name.lower() or "password" in name.lower():
            found.append(value)
    return found


def _too_large(
    max_bytes: int, job_id: str | None, status: int, request_id: str | None
) -> FetchError:
    return FetchError(
        FetchCategory.BAD_PAYLOAD,
        f"answer larger than {max_bytes} bytes",
        job_id=job_id,
        status_code=status,
        request_id=request_id,
    )
