"""super.AI jobs: ``GET /v1/jobs/{id}``, the output apart, cancel, and an app's job list.

Auth is the static ``API-KEY`` header. The job object has no output: once a
job is ``COMPLETED`` the provider fetches ``GET /v1/jobs/{id}/response``
once (it is kept in memory for later polls) and attaches it to the job's
raw payload under ``RESPONSE_KEY``. ``cancel`` is ``POST
/v1/jobs/{id}/cancel``. With ``app_id`` set, ``discover`` pages through
``GET /v1/apps/{app_id}/jobs`` (``page``/``pages``). Errors carry
``message``. The documented host is ``https://api.super.ai``; the SDK's
``https://api.prod-eu.super.ai`` can be set as ``base_url``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from jobtui.config.model import SuperaiConfig
from jobtui.errors import FetchCategory, FetchError, PayloadError
from jobtui.model import Job, JobState
from jobtui.providers.base import ApiKeyProvider
from jobtui.providers.http import check_secure, request_json
from jobtui.providers.superai.parse import (
    CANCELABLE,
    KIND,
    RESPONSE_ERROR_KEY,
    RESPONSE_KEY,
    STATES,
    parse,
)
from jobtui.providers.superai.wire import JobList

__all__ = [
    "CANCELABLE",
    "DEFAULT_BASE_URL",
    "KIND",
    "RESPONSE_ERROR_KEY",
    "RESPONSE_KEY",
    "STATES",
    "SuperaiProvider",
    "parse",
]

DEFAULT_BASE_URL = "https://api.super.ai"
"""The documented host; the paths start at ``/v1``."""

PAGE_SIZE = 500
"""Jobs per page of the app job list."""

MAX_PAGES = 200
"""Pages read by one discovery at most (100,000 jobs)."""

_KEPT_OUTPUTS = 2048
"""Outputs remembered, so a re-polled finished job does not fetch its output again."""

_TRANSIENT = frozenset(
    {
        FetchCategory.AUTH,
        FetchCategory.RATE_LIMITED,
        FetchCategory.SERVER,
        FetchCategory.NETWORK,
        FetchCategory.TIMEOUT,
    }
)
"""Output failures worth polling the job again for; others are noted on the job."""


class SuperaiProvider(ApiKeyProvider):
    """Polls, cancels and discovers super.AI jobs."""

    kind: ClassVar[str] = KIND
    supports_cancel: ClassVar[bool] = True
    supports_discover: ClassVar[bool] = True

    config: SuperaiConfig

    def __init__(
        self, config: SuperaiConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        root = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        check_secure(config, root, "base_url")
        super().__init__(config, root, transport)
        self._outputs: OrderedDict[str, object] = OrderedDict()

    @property
    def can_discover(self) -> bool:
        """Discovery needs ``app_id``."""
        return bool(self.config.app_id)

    def parse(self, payload: object) -> Job:
        """Normalize a job object (with its output when attached)."""
        return parse(payload, provider=self.name)

    def answered_ids(self, job: Job) -> tuple[str, ...]:
        """The job's ``id`` and its ``uuid``: a job may be watched by either."""
        raw_uuid = job.raw.get("uuid") if isinstance(job.raw, dict) else None
        return (job.id, raw_uuid) if isinstance(raw_uuid, str) and raw_uuid else (job.id,)

    def job_path(self, job_id: str) -> str:
        """The documented path of one job (``id`` or ``uuid``)."""
        return f"/v1/jobs/{quote(job_id, safe='')}"

    async def fetch(self, ids: Sequence[str]) -> list[Job | Any]:
        """One request per id, plus one for the output of a newly completed job."""
        return [await self._fetch_one(job_id) for job_id in ids]

    async def _fetch_one(self, job_id: str) -> Job | FetchError:
        try:
            payload = await self._call("GET", self.job_path(job_id), job_id)
            job = self.parse_known(job_id, payload)
            if job.state is JobState.SUCCEEDED and isinstance(payload, dict):
                payload = {**payload, **await self._output(job_id)}
                job = self.parse(payload)
            return job
        except FetchError as exc:
            return exc.for_job(job_id)
        except PayloadError as exc:
            return FetchError(FetchCategory.BAD_PAYLOAD, str(exc), job_id=job_id)

    async def _output(self, job_id: str) -> dict[str, object]:
        """``{RESPONSE_KEY: output}``, fetched once per job; or the reason it is missing."""
        if job_id in self._outputs:
            self._outputs.move_to_end(job_id)
            return {RESPONSE_KEY: self._outputs[job_id]}
        try:
            output = await self._call("GET", f"{self.job_path(job_id)}/response", job_id)
        except FetchError as exc:
            if exc.category in _TRANSIENT:
                raise
            # The output is not coming (gone, refused, unreadable): show the job without it.
            return {RESPONSE_ERROR_KEY: f"output unavailable: {exc}"}
        self._outputs[job_id] = output
        if len(self._outputs) > _KEPT_OUTPUTS:
            self._outputs.popitem(last=False)
        return {RESPONSE_KEY: output}

    async def cancel(self, job_id: str) -> Job | None:
        """``POST /v1/jobs/{id}/cancel`` (SCHEDULED, IN_PROGRESS or SUSPENDED jobs only).

        Returns the canceled job when the answer carries it; ``FetchError`` on refusal.
        """
        try:
            body = await self._call("POST", f"{self.job_path(job_id)}/cancel", job_id)
        except FetchError as exc:
            raise exc.for_job(job_id) from None
        try:
            return self.parse(body)
        except PayloadError:
            return None

    async def discover(self) -> list[str]:
        """Every job id of ``app_id``, newest first, page by page."""
        app_id = self.config.app_id
        if not app_id:
            return []
        ids: list[str] = []
        path = f"/v1/apps/{quote(app_id, safe='')}/jobs"
        for page in range(MAX_PAGES):
            params = {
                "page": str(page),
                "size": str(PAGE_SIZE),
                "sortBy": "id",
                "orderBy": "desc",
            }
            body = await self._call("GET", path, None, params=params)
            try:
                listing = JobList.model_validate(body)
            except ValidationError:
                raise FetchError(
                    FetchCategory.BAD_PAYLOAD, f"{self.name}: job list has no jobs array"
                ) from None
            for entry in listing.jobs:
                if isinstance(entry, dict):
                    found = entry.get("id") or entry.get("uuid")
                    if isinstance(found, str | int) and not isinstance(found, bool):
                        ids.append(str(found))
            if not listing.jobs or listing.pages is None or page + 1 >= listing.pages:
                break
        return list(dict.fromkeys(ids))

    async def _call(
        self,
        method: str,
        path: str,
        job_id: str | None,
        *,
        params: dict[str, str] | None = None,
    ) -> object:
        key = self._key()
        return await request_json(
            self._http(),
            method,
            path,
            headers={"API-KEY": key},
            params=params,
            job_id=job_id,
            max_bytes=self.config.max_body_bytes,
            redact=(key,),
        )
