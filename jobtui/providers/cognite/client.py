"""Cognite Data Fusion vision jobs: ``GET /api/v1/projects/{project}/context/vision/{type}/{id}``.

``type`` is the ``job_type`` setting (``segment`` or ``extract``). Every
request carries the ``cdf-version`` header and a Bearer token: the static
``token`` secret, or one obtained by client credentials from ``token_url``
(see ``cognite_auth``). Error bodies are ``{"error": {code, message,
missing?, duplicated?}}``; the ``x-request-id`` answer header is kept in the
``FetchError`` for the detail view.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from jobtui.config import provider_secret
from jobtui.config.model import CogniteConfig
from jobtui.errors import ConfigError, FetchCategory, FetchError, PayloadError
from jobtui.model import Job
from jobtui.providers.base import HttpProvider
from jobtui.providers.cognite.auth import ClientCredentials, read_token_answer
from jobtui.providers.cognite.parse import JOB_TYPES, KIND, STATES, parse
from jobtui.providers.http import check_secure, request_json

__all__ = [
    "JOB_TYPES",
    "KIND",
    "STATES",
    "CogniteProvider",
    "describe_error",
    "parse",
]


def describe_error(body: object) -> str | None:
    """The human part of ``{"error": {"code", "message", "missing"?, "duplicated"?}}``."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    error: dict[str, Any] = body["error"]
    message = error.get("message")
    text = message.strip() if isinstance(message, str) else ""
    for key in ("missing", "duplicated"):
        found = error.get(key)
        if isinstance(found, list) and found:
            shown = ", ".join(_ref_text(ref) for ref in found[:3])
            more = f" and {len(found) - 3} more" if len(found) > 3 else ""
            text = f"{text} ({key}: {shown}{more})".strip()
    return text or None


def _ref_text(ref: object) -> str:
    if isinstance(ref, dict) and len(ref) == 1:
        return str(next(iter(ref.values())))
    return str(ref)


def api_root(config: CogniteConfig) -> str:
    """``base_url`` as configured, else the cluster's public host."""
    if config.base_url:
        return config.base_url.rstrip("/")
    if config.cluster:
        return f"https://{config.cluster}.cognitedata.com"
    raise ConfigError(
        "Cognite needs cluster (e.g. westeurope-1) or base_url",
        key=f"providers.{config.name}.cluster",
    )


class CogniteProvider(HttpProvider):
    """Polls Cognite vision segment or extract jobs (the API offers no cancel, no list)."""

    kind: ClassVar[str] = KIND
    numeric_ids: ClassVar[bool] = True  # Cognite job ids are integers

    config: CogniteConfig

    def __init__(
        self,
        config: CogniteConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not config.project:
            raise ConfigError("Cognite needs project", key=f"providers.{config.name}.project")
        root = api_root(config)
        check_secure(config, root, "base_url")
        if config.token_url:
            check_secure(config, config.token_url, "token_url")
        super().__init__(config, root, transport)
        self._monotonic = monotonic
        self._static_token: str | None = None
        self._credentials: ClientCredentials | None = None
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()
        self.tokens_fetched = 0
        """How many tokens the OIDC provider issued to this provider (for health and tests)."""

    def parse(self, payload: object) -> Job:
        """Normalize a vision job object."""
        return parse(payload, provider=self.name, job_type=self.config.job_type)

    def job_path(self, job_id: str) -> str:
        """The documented path of one job."""
        project = quote(self.config.project, safe="")
        return (
            f"/api/v1/projects/{project}/context/vision/"
            f"{self.config.job_type}/{quote(job_id, safe='')}"
        )

    async def fetch(self, ids: Sequence[str]) -> list[Job | Any]:
        """One request per id (the API has no batch status call)."""
        return [await self._fetch_one(job_id) for job_id in ids]

    async def _fetch_one(self, job_id: str) -> Job | FetchError:
        try:
            payload = await self._get(job_id)
            return self.parse_known(job_id, payload)
        except FetchError as exc:
            return exc
        except PayloadError as exc:
            return FetchError(FetchCategory.BAD_PAYLOAD, str(exc), job_id=job_id)

    async def _get(self, job_id: str) -> object:
        try:
            token = await self._bearer()
            try:
                return await self._send(job_id, token)
            except FetchError as exc:
                if exc.status_code != 401 or self._credentials is None:
                    raise
            # A 401 with a token we believed valid: revoked, or the clock lied. Renew once.
            return await self._send(job_id, await self._bearer(rejected=token))
        except FetchError as exc:
            raise exc.for_job(job_id) from None

    async def _send(self, job_id: str, token: str) -> object:
        headers = {
            "Authorization": f"Bearer {token}",
            "cdf-version": self.config.cdf_version,
            "Accept": "application/json",
        }
        return await request_json(
            self._http(),
            "GET",
            self.job_path(job_id),
            headers=headers,
            job_id=job_id,
            describe=describe_error,
            max_bytes=self.config.max_body_bytes,
            request_id_header="x-request-id",
        )

    async def download_url(self, file_id: int) -> str:
        """A download link for one file (``POST /files/downloadlink``), fetched with this
        provider's token; the link itself needs no credential, so an image host never sees one.

        Raises ``FetchError`` (as ``fetch`` would report it) when the link cannot be had.
        """
        project = quote(self.config.project, safe="")
        body = await request_json(
            self._http(),
            "POST",
            f"/api/v1/projects/{project}/files/downloadlink",
            json_body={"items": [{"id": file_id}]},
            headers={
                "Authorization": f"Bearer {await self._bearer()}",
                "cdf-version": self.config.cdf_version,
                "Accept": "application/json",
            },
            describe=describe_error,
            max_bytes=1024 * 1024,
            request_id_header="x-request-id",
        )
        items = body.get("items") if isinstance(body, dict) else None
        link = items[0].get("downloadUrl") if isinstance(items, list) and items else None
        if not isinstance(link, str) or not link.lower().startswith(("http://", "https://")):
            raise FetchError(FetchCategory.BAD_PAYLOAD, "downloadlink answer has no downloadUrl")
        return link

    async def _bearer(self, *, rejected: str | None = None) -> str:
        """A token valid for more than 30 s: static, cached, or freshly issued.

        ``rejected`` is a token the API just refused: it is replaced unless a
        concurrent request already replaced it, so a burst of 401s costs one
        token request, not one each.
        """
        if self._static_token is None and self._credentials is None:
            self._load_credentials()
        if self._static_token is not None:
            return self._static_token
        async with self._token_lock:
            fresh = self._token is not None and self._token_expires - self._monotonic() > 30.0
            if not fresh or (rejected is not None and rejected == self._token):
                self._token, lifetime = await self._issue_token()
                self._token_expires = self._monotonic() + lifetime
            assert self._token is not None
            return self._token

    async def _issue_token(self) -> tuple[str, float]:
        assert self._credentials is not None
        try:
            body = await request_json(
                self._http(),
                "POST",
                self._credentials.token_url,
                data=self._credentials.form(),
                headers={"Accept": "application/json"},
                describe=_describe_oauth_error,
                max_bytes=1024 * 1024,
            )
        except FetchError as exc:
            # Any refusal by the token endpoint means the credentials do not work.
            category = exc.category
            if exc.status_code in (400, 401, 403):
                category = FetchCategory.AUTH
            raise FetchError(
                category,
                f"token request failed: {exc.message}",
                status_code=exc.status_code,
                retry_after=exc.retry_after,
            ) from None
        self.tokens_fetched += 1
        return read_token_answer(body)

    def _load_credentials(self) -> None:
        cfg = self.config
        try:
            token = provider_secret(cfg, "token")
            secret = None if token else provider_secret(cfg, "client_secret")
        except ConfigError as exc:
            raise FetchError(FetchCategory.AUTH, str(exc)) from None
        if token:
            self._static_token = token
        elif cfg.token_url and cfg.client_id and secret:
            self._credentials = ClientCredentials(cfg.token_url, cfg.client_id, secret, cfg.scopes)
        else:
            raise FetchError(
                FetchCategory.AUTH,
                "no credentials: set token, or token_url, client_id and client_secret",
            )


def _describe_oauth_error(body: object) -> str | None:
    """The OAuth ``error`` code only: descriptions can echo request details."""
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        code: str = body["error"]
        return code if code.isascii() and len(code) < 64 else None
    return None
