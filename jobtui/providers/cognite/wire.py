"""Cognite Data Fusion vision jobs, wire format (segment and extract jobs share it).

Faithful to the published schema and tolerant: unknown fields are kept,
``status`` is plain text, every block but ``jobId`` is optional, and times
are read leniently (a bad timestamp must not make a job unreadable).
"""

from __future__ import annotations

from typing import Any

from jobtui.providers.wire import CamelWire, IdText

__all__ = [
    "FailedBatch",
    "FileInstanceId",
    "FileRef",
    "Polygon",
    "Segment",
    "Vertex",
    "VisionItem",
    "VisionJob",
]


class Vertex(CamelWire):
    """A polygon corner in image-relative coordinates."""

    x: float | None = None
    y: float | None = None
    confidence: float | None = None


class Polygon(CamelWire):
    """One polygon of a segment; ``confidence`` may be null."""

    vertices: list[Vertex] | None = None
    confidence: float | None = None


class Segment(CamelWire):
    """A segment found in a file, with its score."""

    score: float | None = None
    polygons: list[Polygon] | None = None


class FileInstanceId(CamelWire):
    """A file addressed as a data-modeling instance."""

    space: str | None = None
    external_id: str | None = None


class FileRef(CamelWire):
    """A file by any of its three ids (any may be missing)."""

    file_id: IdText | None = None
    file_external_id: str | None = None
    file_instance_id: FileInstanceId | None = None


class VisionItem(FileRef):
    """One processed file: ``segments`` (segment jobs) or ``predictions`` (extract jobs)."""

    segments: list[Segment] | None = None
    predictions: dict[str, Any] | None = None
    """Prediction kind (``assetTagPredictions``, ``textPredictions``, …) → list of predictions."""


class FailedBatch(CamelWire):
    """A batch of files that failed together, with the batch's error."""

    error_message: str | None = None
    items: list[FileRef] | None = None


class VisionJob(CamelWire):
    """The job object of ``GET /context/vision/{segment|extract}/{jobId}``."""

    job_id: IdText
    status: str | None = None
    """Queued, Running, Completed or Failed (kept as text)."""
    created_time: Any = None
    """Epoch milliseconds."""
    start_time: Any = None
    """Epoch milliseconds."""
    status_time: Any = None
    """Epoch milliseconds of the last status change."""
    items: list[VisionItem] | None = None
    failed_items: list[FailedBatch] | None = None
    error_message: str | None = None
    parameters: dict[str, Any] | None = None
    """Extract jobs: the parameters they ran with."""
