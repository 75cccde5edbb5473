"""Stand-in for the shared HTTP machinery while ``providers/http.py`` is being written.

Only what the Tensor.Art and Cognite providers need: a client, a JSON
request with a size cap that maps every failure to ``FetchError``, and
secret lookup. Remove once ``http.py`` and ``config.provider_secret`` land.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from jobtui.config_model import ProviderConfig
from jobtui.errors import ConfigError, FetchCategory, FetchError

__all__ = [
    "check_secure",
    "make_client",
    "provider_secret",
    "request_json",
    "retry_after_seconds",
]

Describe = Callable[[object], str | None]


def provider_secret(cfg: ProviderConfig, key: str) -> str | None:
    """Resolve ``cfg.secrets[key]``; ``ConfigError`` (without the value) when unreadable."""
    ref = cfg.secrets.get(key)
    if ref is None:
        return None
    where = f"providers.{cfg.name}.{key}"
    if ref.source == "literal" and ref.literal is not None:
        return ref.literal.get_secret_value()
    if ref.source == "env" and ref.env:
        value = os.environ.get(ref.env)
        if value is None:
            raise ConfigError(f"environment variable {ref.env} is not set", key=where)
        return value.strip()
    if ref.source == "file" and ref.file is not None:
        try:
            return Path(ref.file).expanduser().read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read {ref.file}: {exc.strerror}", key=where) from None
    if ref.source == "cmd" and ref.cmd:
        try:
            done = subprocess.run(ref.cmd, capture_output=True, text=True, timeout=10, check=True)
        except (OSError, subprocess.SubprocessError):
            raise ConfigError(f"command {ref.cmd[0]} failed", key=where) from None
        return done.stdout.strip()
    raise ConfigError("secret reference is incomplete", key=where)


_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def check_secure(cfg: ProviderConfig, url: str, key: str) -> None:
    """Refuse plain ``http://`` to a non-loopback host unless ``allow_insecure`` is set."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https"):
        raise ConfigError("must be an http:// or https:// URL", key=f"providers.{cfg.name}.{key}")
    host = parsed.host
    loopback = host in _LOOPBACK_HOSTS or host.startswith("127.")
    if parsed.scheme == "http" and not loopback and not cfg.allow_insecure:
        raise ConfigError(
            "plain http:// would send credentials in clear text; use https:// "
            "or set allow_insecure = true",
            key=f"providers.{cfg.name}.{key}",
        )


def make_client(
    cfg: ProviderConfig, base_url: str, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    """One client per provider: timeouts, TLS setting, no redirects followed."""
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/"),
        timeout=cfg.timeout,
        verify=cfg.verify,
        transport=transport,
        follow_redirects=False,
        trust_env=transport is None,
    )


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


_CATEGORIES: Mapping[int, FetchCategory] = {
    401: FetchCategory.AUTH,
    403: FetchCategory.AUTH,
    404: FetchCategory.NOT_FOUND,
    429: FetchCategory.RATE_LIMITED,
}


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    job_id: str | None = None,
    describe: Describe | None = None,
    max_bytes: int = 16 * 1024 * 1024,
    request_id_header: str | None = None,
) -> object:
    """Send one request and return its JSON body; every failure is a ``FetchError``."""
    try:
        async with client.stream(method, path, headers=headers, data=data) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(
                        FetchCategory.BAD_PAYLOAD,
                        f"answer larger than {max_bytes} bytes",
                        job_id=job_id,
                        status_code=response.status_code,
                    )
    except httpx.TimeoutException:
        raise FetchError(FetchCategory.TIMEOUT, "request timed out", job_id=job_id) from None
    except httpx.HTTPError as exc:
        raise FetchError(
            FetchCategory.NETWORK, f"network error: {type(exc).__name__}", job_id=job_id
        ) from None
    request_id = response.headers.get(request_id_header) if request_id_header else None
    try:
        payload: object = json.loads(bytes(body)) if body else None
    except (ValueError, RecursionError):
        payload = None
        if response.is_success:
            raise FetchError(
                FetchCategory.BAD_PAYLOAD,
                "answer is not JSON",
                job_id=job_id,
                status_code=response.status_code,
                request_id=request_id,
            ) from None
    if response.is_success:
        return payload
    status = response.status_code
    category = _CATEGORIES.get(status) or (
        FetchCategory.SERVER if status >= 500 else FetchCategory.CLIENT
    )
    if status == 503:
        category = FetchCategory.SERVER
    message = (describe(payload) if describe else None) or response.reason_phrase or "error"
    raise FetchError(
        category,
        f"HTTP {status}: {message}",
        job_id=job_id,
        status_code=status,
        retry_after=retry_after_seconds(response.headers.get("retry-after")),
        request_id=request_id,
    )
