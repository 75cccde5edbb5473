"""What every provider module offers, and the pieces they share.

A provider module holds three things: pydantic models of its wire format,
a pure ``parse(payload, provider=...) -> Job``, and a ``Provider`` subclass
that talks HTTP (auth included) and turns every failure into a ``FetchError``.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from jobtui.config import provider_secret
from jobtui.config.model import ProviderConfig
from jobtui.errors import ConfigError, FetchCategory, FetchError
from jobtui.model import Job

if TYPE_CHECKING:
    # Only for annotations: a process that parses stored payloads (``to_utc``)
    # imports no HTTP client; the first request imports it (``_http``).
    import httpx

__all__ = [
    "ApiKeyProvider",
    "HttpProvider",
    "Provider",
    "to_utc",
]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)

_SECONDS_CUTOFF = 10**11
"""Epoch values below this are seconds, above it milliseconds (10^11 s is year 5138)."""


def to_utc(value: object) -> datetime | None:
    """Read a provider timestamp as an aware UTC datetime, or None.

    Accepts epoch milliseconds or seconds (a value below 10^11 is seconds),
    numeric strings, and ISO 8601 text with ``Z`` or an offset (naive text is
    taken as UTC). Anything unreadable is None: a bad timestamp must never
    make a whole job unreadable.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return to_utc(float(text))
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number) or number < 0:
            return None
        seconds = number if number < _SECONDS_CUTOFF else number / 1000.0
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


class Provider(ABC):
    """One configured provider: HTTP access to its jobs.

    Instances own one ``httpx.AsyncClient`` (created lazily, closed by
    ``aclose``). Every public coroutine returns or raises only ``FetchError``
    for provider trouble; nothing else escapes.
    """

    kind: ClassVar[str]
    """The provider kind."""
    batch_size: ClassVar[int] = 1
    """How many ids one ``fetch`` call handles in a single request at most (1: no batching)."""
    supports_cancel: ClassVar[bool] = False
    """Whether ``cancel`` is offered."""
    supports_discover: ClassVar[bool] = False
    """Whether ``discover`` can list jobs (it also needs its setting, see ``can_discover``)."""
    default_rate_limit: ClassVar[float | None] = None
    """Requests per second when the config sets none (Tensor.Art documents 5)."""
    numeric_ids: ClassVar[bool] = False
    """Whether the provider reads job ids as integers (then ``007`` and ``7`` are one job)."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self._parsed: dict[str, tuple[object, Job]] = {}

    @property
    def name(self) -> str:
        """The configured provider name."""
        return self.config.name

    @property
    def can_discover(self) -> bool:
        """True when ``discover`` has what it needs in the config."""
        return False

    def id_key(self, job_id: str) -> str:
        """``job_id`` as the provider tells ids apart: UUIDs in any case, integers as numbers.

        Two ids with the same key name the same job; any other difference
        (leading zeros of a string id, other characters) makes them two jobs.
        """
        text = job_id.strip()
        if self.numeric_ids and text.isascii() and text.isdigit():
            return str(int(text))
        if _UUID.fullmatch(text):
            return text.lower()
        return text

    def answered_ids(self, job: Job) -> tuple[str, ...]:
        """The ids an answer names for its job (super.AI names an ``id`` and a ``uuid``)."""
        return (job.id,)

    def answers_for(self, job_id: str, job: Job) -> bool:
        """Whether ``job`` (an answer to a request for ``job_id``) is that job."""
        key = self.id_key(job_id)
        return any(self.id_key(named) == key for named in self.answered_ids(job))

    @abstractmethod
    def parse(self, payload: object) -> Job:
        """Normalize one job payload (pure; raises ``PayloadError``)."""

    def parse_known(self, job_id: str, payload: object) -> Job:
        """``parse(payload)`` for ``job_id``, its last result again when ``payload`` is the
        very object parsed then (``request_json`` gives the same object for an unchanged
        answer): an unchanged job costs no validation. One entry per job."""
        last = self._parsed.get(job_id)
        if last is not None and last[0] is payload:
            return last[1]
        job = self.parse(payload)
        self._parsed[job_id] = (payload, job)
        return job

    @abstractmethod
    async def fetch(self, ids: Sequence[str]) -> list[Job | Any]:
        """Fetch the jobs ``ids``: one ``Job`` or ``FetchError`` per id, in order."""

    async def cancel(self, job_id: str) -> Job | None:
        """Ask the provider to cancel a job; returns the job when the answer carries it."""
        raise NotImplementedError(f"{self.kind} jobs cannot be canceled")

    async def discover(self) -> list[str]:
        """List job ids the provider knows for the configured app or feed."""
        raise NotImplementedError(f"{self.kind} cannot list jobs")

    async def aclose(self) -> None:  # noqa: B027 - optional hook: not every provider holds a client
        """Close the HTTP client."""


class HttpProvider(Provider):
    """A provider that talks HTTP to one root URL through one lazily made ``httpx`` client.

    Subclasses work out and check their ``root`` (``check_secure``) before calling
    ``__init__``; the client is made at the first request, so building a provider
    sends nothing, and ``aclose`` may be called any number of times.
    """

    def __init__(
        self,
        config: ProviderConfig,
        root: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(config)
        self.root = root
        """Where every request's path starts (no trailing slash)."""
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        """The shared client, made on first use."""
        if self._client is None:
            from jobtui.providers.http import make_client

            self._client = make_client(self.config, self.root, self._transport)
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP client (a later request makes a new one)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class ApiKeyProvider(HttpProvider):
    """An HTTP provider authenticated by one ``api_key`` secret sent as a header."""

    _api_key: str | None = None
    """The secret once read (a class default so subclasses need no ``__init__`` of their own)."""

    def _key(self) -> str:
        """The ``api_key`` secret, read at the first request; ``FetchError`` (auth) when unset."""
        if self._api_key is None:
            try:
                key = provider_secret(self.config, "api_key")
            except ConfigError as exc:
                raise FetchError(FetchCategory.AUTH, str(exc)) from None
            if not key:
                raise FetchError(FetchCategory.AUTH, "no credentials: set api_key")
            self._api_key = key
        return self._api_key
