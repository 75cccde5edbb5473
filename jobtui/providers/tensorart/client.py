"""Tensor.Art TAMS workflow jobs: ``GET /v1/jobs/{jobId}`` to watch, ``DELETE`` to cancel.

Auth is a Bearer ``token``, or RSA-signed requests when ``app_id`` and the
``private_key`` secret are configured (see ``tensorart_auth``). The host is
per application, so ``base_url`` is required. Tensor.Art documents 5
requests per second per app, the default rate limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from jobtui.config import provider_secret
from jobtui.config.model import TensorartConfig
from jobtui.errors import ConfigError, FetchCategory, FetchError, PayloadError
from jobtui.model import Job
from jobtui.providers.base import HttpProvider
from jobtui.providers.http import check_secure, request_json
from jobtui.providers.tensorart.auth import RequestSigner, SigningKeyError
from jobtui.providers.tensorart.parse import KIND, NODE_STATES, STATES, expiry_text, parse
from jobtui.providers.tensorart.wire import RATE_LIMIT

__all__ = [
    "KIND",
    "NODE_STATES",
    "STATES",
    "TensorartProvider",
    "describe_error",
    "expiry_text",
    "parse",
]


def describe_error(body: object) -> str | None:
    """The human part of a gRPC-gateway error body ``{code, message, details}``."""
    if not isinstance(body, dict):
        return None
    message = body.get("message")
    return (message.strip() or None) if isinstance(message, str) else None


class TensorartProvider(HttpProvider):
    """Polls and cancels Tensor.Art jobs."""

    kind: ClassVar[str] = KIND
    numeric_ids: ClassVar[bool] = True  # Tensor.Art job ids are uint64 carried as strings
    supports_cancel: ClassVar[bool] = True
    default_rate_limit: ClassVar[float | None] = RATE_LIMIT

    config: TensorartConfig

    def __init__(
        self, config: TensorartConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        if not config.base_url:
            raise ConfigError(
                "Tensor.Art needs base_url: the host shown in the TAMS console, "
                "e.g. https://ap-east-1.tensorart.cloud",
                key=f"providers.{config.name}.base_url",
            )
        check_secure(config, config.base_url, "base_url")
        super().__init__(config, config.base_url, transport)
        self._signer: RequestSigner | None = None
        self._token: str | None = None

    def parse(self, payload: object) -> Job:
        """Normalize a ``{"job": {...}}`` answer."""
        return parse(payload, provider=self.name)

    async def fetch(self, ids: Sequence[str]) -> list[Job | Any]:
        """One ``GET /v1/jobs/{id}`` per id (the API has no batch call)."""
        return [await self._fetch_one(job_id) for job_id in ids]

    async def _fetch_one(self, job_id: str) -> Job | FetchError:
        try:
            payload = await self._call("GET", job_id)
            return self.parse_known(job_id, payload)
        except FetchError as exc:
            return exc
        except PayloadError as exc:
            return FetchError(FetchCategory.BAD_PAYLOAD, str(exc), job_id=job_id)

    async def cancel(self, job_id: str) -> Job | None:
        """``DELETE /v1/jobs/{id}``; the answer (``{jobId}``) carries no job."""
        await self._call("DELETE", job_id)
        return None

    def _path(self, job_id: str) -> str:
        return f"/v1/jobs/{quote(job_id, safe='')}"

    def _authorization(self, method: str, path: str) -> str:
        """Bearer when a token is configured, else a signature over the documented path."""
        if self._token is None and self._signer is None:
            self._load_credentials()
        if self._token is not None:
            return f"Bearer {self._token}"
        assert self._signer is not None
        return self._signer.authorization(method, path)

    def _load_credentials(self) -> None:
        try:
            token = provider_secret(self.config, "token")
            key = None if token else provider_secret(self.config, "private_key")
        except ConfigError as exc:
            raise FetchError(FetchCategory.AUTH, str(exc)) from None
        if token:
            self._token = token
            return
        if self.config.app_id and key:
            try:
                self._signer = RequestSigner(self.config.app_id, key)
            except SigningKeyError as exc:
                raise FetchError(FetchCategory.AUTH, str(exc)) from None
            return
        raise FetchError(FetchCategory.AUTH, "no credentials: set token, or app_id and private_key")

    async def _call(self, method: str, job_id: str) -> object:
        path = self._path(job_id)
        try:
            headers = {"Authorization": self._authorization(method, path)}
        except FetchError as exc:
            raise exc.for_job(job_id) from None
        return await request_json(
            self._http(),
            method,
            path,
            headers=headers,
            job_id=job_id,
            describe=describe_error,
            max_bytes=self.config.max_body_bytes,
        )
