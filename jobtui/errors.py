"""The errors jobtui raises on purpose, each carrying what a user needs to act."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

__all__ = [
    "NOT_FOUND_MESSAGE",
    "ConfigError",
    "FetchCategory",
    "FetchError",
    "JobtuiError",
    "PayloadError",
]


class JobtuiError(Exception):
    """Base of every error jobtui raises deliberately."""


class ConfigError(JobtuiError):
    """A configuration problem, located by file, line and key.

    ``str()`` gives ``config.toml:7: providers.deepo.poll_interval: message``,
    leaving out whichever parts are unknown.
    """

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.message = message
        self.file = Path(file) if file is not None else None
        self.line = line
        self.key = key
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        if self.key:
            where += f"{self.key}: "
        return where + self.message


class PayloadError(JobtuiError):
    """A payload that is not the provider's job object.

    The message names the provider and the offending field.
    """

    def __init__(self, provider: str, field: str, message: str) -> None:
        self.provider = provider
        self.field = field
        self.message = message
        super().__init__(f"{provider}: {field}: {message}")


class FetchCategory(StrEnum):
    """Why a request to a provider failed; the engine reacts per category."""

    AUTH = "auth"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    SERVER = "server"
    NETWORK = "network"
    TIMEOUT = "timeout"
    BAD_PAYLOAD = "bad_payload"
    CLIENT = "client"
    """A 4xx other than auth, not-found and rate-limit: the request itself was refused."""


class FetchError(JobtuiError):
    """A failed fetch of one job (or of a whole batch) from a provider.

    ``message`` is human and never contains a secret. ``retry_after`` is in
    seconds when the provider sent ``Retry-After``.
    """

    def __init__(
        self,
        category: FetchCategory,
        message: str,
        *,
        job_id: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        self.category = category
        self.message = message
        self.job_id = job_id
        self.status_code = status_code
        self.retry_after = retry_after
        self.request_id = request_id
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = self.message
        if self.status_code is not None and str(self.status_code) not in text:
            text = f"HTTP {self.status_code}: {text}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def for_job(self, job_id: str) -> FetchError:
        """The same failure attributed to one job of a batch."""
        return FetchError(
            self.category,
            self.message,
            job_id=job_id,
            status_code=self.status_code,
            retry_after=self.retry_after,
            request_id=self.request_id,
        )


NOT_FOUND_MESSAGE = "not found at provider"
"""The poll error of a job its provider answers 404 for (the engine marks it unknown)."""
