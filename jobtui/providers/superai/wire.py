"""super.AI jobs, wire format (``GET /v1/jobs/{id}``, ``GET /v1/apps/{app}/jobs``).

The job object carries no output: that comes from ``/v1/jobs/{id}/response``
and is attached by the provider under ``RESPONSE_KEY``. ``uuid`` may stand
in for ``id``. Times are ISO 8601 with an offset. Unknown fields are kept and
``status`` stays plain text (newer projects add ``POST PROCESSING`` & co).
"""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from jobtui.providers.wire import CamelWire, IdText

__all__ = [
    "JobList",
    "SuperaiJob",
]


class SuperaiJob(CamelWire):
    """The job object: ``id`` or ``uuid`` is required, everything else optional."""

    id: IdText | None = None
    uuid: IdText | None = None
    status: str | None = None
    """SCHEDULED, IN_PROGRESS, SUSPENDED, COMPLETED, FAILED, CANCELED, EXPIRED, or newer words."""
    created: Any = None
    completed: Any = None
    """Only once finished (also when failed or canceled)."""
    callback_url: str | None = None
    app_id: str | None = None
    input: Any = None
    metadata: Any = None
    tags: list[Any] | None = None
    correct: Any = None
    job_type: str | None = None
    batch_id: Any = None

    @model_validator(mode="after")
    def _has_an_id(self) -> SuperaiJob:
        if not self.id and not self.uuid:
            raise ValueError("a job needs id or uuid")
        return self


class JobList(CamelWire):
    """One page of ``GET /v1/apps/{app}/jobs``: ``{jobs, pages}``."""

    jobs: list[Any]
    pages: int | None = None
