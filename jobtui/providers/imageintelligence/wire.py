"""Image Intelligence jobs, wire format (ask, detect, match and feedback share the envelope).

Faithful to the published schema and tolerant of what real answers did:
``status`` is a string or, in the legacy v1 API, an object ``{code,
message}``; ``createdAt`` is epoch milliseconds or (older examples) seconds;
``jobResults`` is an object (ask, match) or an array (detect); images are
listed in ``imageResults`` (v2), ``results`` (v1) or ``images``
(recognize). Unknown fields are kept, enum values stay plain text.
"""

from __future__ import annotations

from typing import Any

from jobtui.providers.wire import CamelWire, IdText

__all__ = [
    "IiImage",
    "IiJob",
    "StatusObject",
    "status_code",
]


class StatusObject(CamelWire):
    """The legacy v1 status: ``{"code": "COMPLETED_SUCCESSFULLY", "message": "..."}``."""

    code: str | None = None
    message: str | None = None


Status = str | StatusObject | None
"""A job or image status: plain text (v2) or an object (v1)."""


def status_code(status: Status) -> str | None:
    """The status word, whichever shape it came in."""
    if isinstance(status, StatusObject):
        return status.code
    return status


class IiImage(CamelWire):
    """One image of a job, with its own processing status."""

    id: IdText | None = None
    url: str | None = None
    proxy_url: str | None = None
    custom_id: str | None = None
    status: Status = None
    """COMPLETED_SUCCESSFULLY, IN_PROGRESS or one of the ``*_ERROR`` values (kept as text)."""
    objects: list[Any] | None = None
    """Detections on this image (detect jobs): ``{class, confidence, verdict}``."""
    confidence: Any = None


class IiJob(CamelWire):
    """The job object of ``GET /v2/{job_type}/{id}`` (and its v1 ancestors)."""

    id: IdText
    status: Status
    """IN_PROGRESS, COMPLETED_SUCCESSFULLY, COMPLETED_PARTIAL_ERROR, COMPLETED_ALL_ERROR."""
    created_at: Any = None
    """Epoch milliseconds (seconds in older answers)."""
    custom_id: str | None = None
    feed_id: str | None = None
    webhook_url: str | None = None
    question: str | None = None
    """Ask jobs: the yes/no question."""
    examples: Any = None
    job_results: Any = None
    """Object (ask: ``{image}``, match: ``{target, image, hitl}``) or array (detect)."""
    image_results: list[IiImage] | None = None
    """v2: one entry per image."""
    results: list[IiImage] | None = None
    """v1: one entry per image."""
    images: list[IiImage] | None = None
    """recognize: one entry per image, without status."""
