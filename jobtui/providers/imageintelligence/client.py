"""Image Intelligence jobs: ``GET /v2/{job_type}/{id}`` with a Bearer token.

``job_type`` is the setting (``ask`` by default; ``detect``, ``match`` and
``feedback`` share the envelope). The token comes from ``POST
/v2/oauth/token`` with ``client_id`` and the ``client_secret`` secret (see
``imageintelligence_auth``): cached in memory, renewed 30 s before its
``expiresAt`` and once more when the API answers 401. Discovery lists the
jobs of ``feed_id`` with ``GET /v2/{job_type}?feedId=`` (a plain array, no
paging). There is no cancel. Error bodies have no schema: their text is kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from jobtui.config import provider_secret
from jobtui.config.model import ImageIntelligenceConfig
from jobtui.errors import ConfigError, FetchCategory, FetchError, PayloadError
from jobtui.model import Job
from jobtui.providers.base import HttpProvider
from jobtui.providers.http import check_secure, request_json
from jobtui.providers.imageintelligence.auth import TOKEN_PATH, ClientSecret, read_token_answer
from jobtui.providers.imageintelligence.parse import (
    IMAGE_STATES,
    JOB_TYPES,
    KIND,
    STATES,
    parse,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "IMAGE_STATES",
    "JOB_TYPES",
    "KIND",
    "STATES",
    "ImageIntelligenceProvider",
    "parse",
]

DEFAULT_BASE_URL = "https://api.imageintelligence.com"
"""The public host; the documented paths start at ``/v2``."""

REFRESH_MARGIN = 30.0
"""Seconds before ``expiresAt`` at which a cached token is renewed."""


class ImageIntelligenceProvider(HttpProvider):
    """Polls Image Intelligence jobs of one job type; discovers a feed's jobs."""

    kind: ClassVar[str] = KIND
    supports_discover: ClassVar[bool] = True

    config: ImageIntelligenceConfig

    def __init__(
        self,
        config: ImageIntelligenceConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        root = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        check_secure(config, root, "base_url")
        super().__init__(config, root, transport)
        # expiresAt is a wall-clock instant, so the token's age is judged by the wall clock.
        self._now = now
        self._credentials: ClientSecret | None = None
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()
        self.tokens_fetched = 0
        """How many tokens the API issued to this provider (for health and tests)."""

    @property
    def can_discover(self) -> bool:
        """Discovery needs ``feed_id``."""
        return bool(self.config.feed_id)

    def parse(self, payload: object) -> Job:
        """Normalize a job object."""
        return parse(payload, provider=self.name)

    def job_path(self, job_id: str) -> str:
        """The documented path of one job of the configured type."""
        return f"/v2/{self.config.job_type}/{quote(job_id, safe='')}"

    async def fetch(self, ids: Sequence[str]) -> list[Job | Any]:
        """One request per id (the API has no batch status call)."""
        return [await self._fetch_one(job_id) for job_id in ids]

    async def _fetch_one(self, job_id: str) -> Job | FetchError:
        try:
            payload = await self._authorized("GET", self.job_path(job_id), job_id=job_id)
            return self.parse_known(job_id, payload)
        except FetchError as exc:
            return exc.for_job(job_id)
        except PayloadError as exc:
            return FetchError(FetchCategory.BAD_PAYLOAD, str(exc), job_id=job_id)

    async def discover(self) -> list[str]:
        """The ids of every job of ``feed_id`` (the search answers one array)."""
        if not self.config.feed_id:
            return []
        body = await self._authorized(
            "GET", f"/v2/{self.config.job_type}", params={"feedId": self.config.feed_id}
        )
        if not isinstance(body, list):
            raise FetchError(FetchCategory.BAD_PAYLOAD, "job search did not answer an array")
        ids = [str(job["id"]) for job in body if isinstance(job, dict) and job.get("id")]
        return list(dict.fromkeys(ids))

    async def _authorized(
        self,
        method: str,
        path: str,
        *,
        job_id: str | None = None,
        params: dict[str, str] | None = None,
    ) -> object:
        """Send with the cached token; on a 401, renew it once and send again."""
        token = await self._bearer()
        try:
            return await self._send(method, path, token, job_id, params)
        except FetchError as exc:
            if exc.status_code != 401:
                raise
        # The token was refused before its expiry (revoked, or the clocks disagree).
        token = await self._bearer(rejected=token)
        return await self._send(method, path, token, job_id, params)

    async def _send(
        self,
        method: str,
        path: str,
        token: str,
        job_id: str | None,
        params: dict[str, str] | None,
    ) -> object:
        return await request_json(
            self._http(),
            method,
            path,
            headers={"Authorization": f"Bearer {token}"},
            params=params,
            job_id=job_id,
            max_bytes=self.config.max_body_bytes,
            redact=self._redactions(),
        )

    async def _bearer(self, *, rejected: str | None = None) -> str:
        """A token valid for more than 30 s; ``rejected`` is one the API just refused.

        A burst of 401s with the same token costs one token request, not one each.
        """
        async with self._token_lock:
            fresh = self._token is not None and self._token_expires - self._now() > REFRESH_MARGIN
            if not fresh or (rejected is not None and rejected == self._token):
                self._token, self._token_expires = await self._issue_token()
            assert self._token is not None
            return self._token

    async def _issue_token(self) -> tuple[str, float]:
        credentials = self._load_credentials()
        try:
            body = await request_json(
                self._http(),
                "POST",
                TOKEN_PATH,
                json_body=credentials.body(),
                max_bytes=1024 * 1024,
                redact=self._redactions(),
            )
        except FetchError as exc:
            # A refusal by the token endpoint means the credentials are wrong: say so, once.
            category = exc.category
            if exc.status_code in (400, 401, 403):
                category = FetchCategory.AUTH
                message = "token request refused: check client_id and client_secret"
            else:
                message = f"token request failed: {exc.message}"
            raise FetchError(
                category,
                message,
                status_code=exc.status_code,
                retry_after=exc.retry_after,
                request_id=exc.request_id,
            ) from None
        self.tokens_fetched += 1
        return read_token_answer(body, self._now())

    def _load_credentials(self) -> ClientSecret:
        if self._credentials is None:
            cfg = self.config
            try:
                secret = provider_secret(cfg, "client_secret")
            except ConfigError as exc:
                raise FetchError(FetchCategory.AUTH, str(exc)) from None
            if not cfg.client_id or not secret:
                raise FetchError(
                    FetchCategory.AUTH, "no credentials: set client_id and client_secret"
                )
            self._credentials = ClientSecret(cfg.client_id, secret)
        return self._credentials

    def _redactions(self) -> tuple[str, ...]:
        secrets = [self._token or ""]
        if self._credentials is not None:
            secrets.append(self._credentials.secret)
        return tuple(s for s in secrets if s)

    async def aclose(self) -> None:
        """Close the HTTP client and forget the token."""
        self._token = None
        await super().aclose()
