"""Deepomatic tasks: batch ``GET /v0.7/tasks?task_ids=…``, single ``GET /v0.7/tasks/{id}``.

The only provider with a batch status call: one request refreshes up to 100
tasks (``batch_size``), following the page's ``next`` link until it is null.
Any id the batch answer leaves out is then fetched on its own, so a task the
batch index has not caught up with still gets a real answer (or a real 404).
``next`` is followed on the configured origin only: its path and query are
reused, its host never (the API key must not travel elsewhere, nor over
plain http when a proxy rewrote the scheme). Auth is the static
``X-API-KEY`` header. Errors are Django-REST ``{"detail": "..."}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from jobtui.config.model import DeepomaticConfig
from jobtui.errors import FetchCategory, FetchError, PayloadError
from jobtui.model import Job
from jobtui.providers.base import ApiKeyProvider
from jobtui.providers.deepomatic.parse import KIND, STATES, parse
from jobtui.providers.deepomatic.wire import TaskPage
from jobtui.providers.http import check_secure, request_json

__all__ = [
    "BATCH_LIMIT",
    "DEFAULT_BASE_URL",
    "KIND",
    "STATES",
    "DeepomaticProvider",
    "parse",
]

DEFAULT_BASE_URL = "https://api.deepomatic.com"
"""The public host; the documented paths start at ``/v0.7``."""

BATCH_LIMIT = 100
"""Task ids per batch request at most (the API's page ``limit``)."""

TASKS_PATH = "/v0.7/tasks"


class DeepomaticProvider(ApiKeyProvider):
    """Polls Deepomatic tasks in batches (the API offers no cancel, no list)."""

    kind: ClassVar[str] = KIND
    numeric_ids: ClassVar[bool] = True  # Deepomatic task ids are integers (strings in the docs)
    batch_size: ClassVar[int] = BATCH_LIMIT

    config: DeepomaticConfig

    def __init__(
        self, config: DeepomaticConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        root = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        check_secure(config, root, "base_url")
        super().__init__(config, root, transport)
        self._origin = httpx.URL(self.root)
        self.batch_requests = 0
        """Batch page requests sent (for health and tests)."""

    def parse(self, payload: object) -> Job:
        """Normalize a task object."""
        return parse(payload, provider=self.name)

    @property
    def chunk_size(self) -> int:
        """Ids per batch: the ``batch_size`` setting, at most the API's limit."""
        return max(1, min(self.config.batch_size, BATCH_LIMIT))

    async def fetch(self, ids: Sequence[str]) -> list[Job | Any]:
        """Batch requests of up to ``chunk_size`` ids, then single requests for the left-outs."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Job | FetchError] = {}
        for start in range(0, len(wanted), self.chunk_size):
            chunk = wanted[start : start + self.chunk_size]
            try:
                found.update(await self._fetch_batch(chunk))
            except FetchError as exc:
                # The whole request failed: every id of it shares the failure.
                found.update({job_id: exc.for_job(job_id) for job_id in chunk})
        for job_id in wanted:
            if job_id not in found:
                found[job_id] = await self._fetch_single(job_id)
        return [found[job_id] for job_id in ids]

    async def _fetch_batch(self, chunk: list[str]) -> dict[str, Job | FetchError]:
        """Every page of one batch; tasks by id, only those asked for."""
        asked = {self.id_key(job_id): job_id for job_id in chunk}
        found: dict[str, Job | FetchError] = {}
        url: str | httpx.URL = TASKS_PATH
        params: dict[str, str | list[str]] | None = {
            "task_ids": chunk,
            "offset": "0",
            "limit": str(len(chunk)),
        }
        # A page holds at least one task, so more pages than ids means a looping `next`.
        for _ in range(len(chunk) + 1):
            body = await self._get(url, params=params)
            self.batch_requests += 1
            try:
                page = TaskPage.model_validate(body)
            except ValidationError:
                raise FetchError(
                    FetchCategory.BAD_PAYLOAD, f"{self.name}: batch answer is not a task page"
                ) from None
            for entry in page.results:
                self._take(entry, asked, found)
            if not page.next or not page.results:
                break
            url, params = self._next_url(page.next), None
        return found

    def _take(
        self, entry: object, asked: dict[str, str], found: dict[str, Job | FetchError]
    ) -> None:
        """Keep one task of a batch page (a bad one spoils only itself).

        ``asked`` maps each id's key (``id_key``) to the id as watched: a task
        the page names ``7`` answers for a watched ``007``.
        """
        raw_id = entry.get("id") if isinstance(entry, dict) else None
        named = str(raw_id) if isinstance(raw_id, str | int) and raw_id is not True else None
        job_id = None if named is None else asked.get(self.id_key(named))
        try:
            job = self.parse(entry)
        except PayloadError as exc:
            if job_id is not None:
                found[job_id] = FetchError(FetchCategory.BAD_PAYLOAD, str(exc), job_id=job_id)
            return
        watched = asked.get(self.id_key(job.id))
        if watched is not None:
            found[watched] = job

    def _next_url(self, link: str) -> httpx.URL:
        """``next`` on the configured origin: its path and query, never its host or scheme."""
        try:
            target = httpx.URL(link)
        except httpx.InvalidURL:
            raise FetchError(FetchCategory.BAD_PAYLOAD, "batch next link is not a URL") from None
        return self._origin.copy_with(path=target.path, query=target.query or None)

    async def _fetch_single(self, job_id: str) -> Job | FetchError:
        try:
            payload = await self._get(f"{TASKS_PATH}/{quote(job_id, safe='')}", job_id=job_id)
            return self.parse_known(job_id, payload)
        except FetchError as exc:
            return exc.for_job(job_id)
        except PayloadError as exc:
            return FetchError(FetchCategory.BAD_PAYLOAD, str(exc), job_id=job_id)

    async def _get(
        self,
        url: str | httpx.URL,
        *,
        params: dict[str, str | list[str]] | None = None,
        job_id: str | None = None,
    ) -> object:
        key = self._key()
        return await request_json(
            self._http(),
            "GET",
            str(url),
            headers={"X-API-KEY": key},
            params=params,
            job_id=job_id,
            max_bytes=self.config.max_body_bytes,
            redact=(key,),
        )
