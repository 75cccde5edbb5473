"""Tensor.Art TAMS wire format: the ``GET /v1/jobs/{jobId}`` answer as published.

The models follow the documented schema field by field and stay tolerant:
unknown fields are kept (``extra="allow"``), enum-like fields are plain
strings so a status added tomorrow is data rather than an error, and every
block is optional because only the info block matching the job's status is
sent. A field of the wrong *shape* (an object where a list belongs, a number
where the status word belongs) is a validation error, which ``parse`` turns
into a ``PayloadError``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from jobtui.providers.wire import CamelWire, IdText

__all__ = [
    "RATE_LIMIT",
    "Image",
    "ImageMeta",
    "ProcessingImage",
    "RunningInfo",
    "SuccessInfo",
    "TensorartJob",
    "TensorartJobEnvelope",
    "WorkflowFinishItem",
    "WorkflowNode",
]

RATE_LIMIT = 5.0
"""Requests per second Tensor.Art documents (the default ``rate_limit`` of its providers)."""


def _scalar_text(value: object) -> object:
    """Numeric strings (``queueRank``) and timestamps arrive as text or numbers."""
    if isinstance(value, bool):
        raise ValueError("expected a string or a number")
    if isinstance(value, int | float):
        return str(value)
    return value


ScalarText = Annotated[str, BeforeValidator(_scalar_text)]
"""A number or timestamp the API sends as a string (a bare number is accepted)."""


class ImageMeta(CamelWire):
    """``meta.image``: the output's format and size."""

    format: str | None = None
    width: int | None = None
    height: int | None = None


class ImageMetaBlock(CamelWire):
    """``meta``: wraps ``image``."""

    image: ImageMeta | None = None


class Image(CamelWire):
    """An output image or video (``successInfo.images[]``, ``resourceImage``)."""

    id: IdText | None = None
    url: str | None = None
    expired_in: ScalarText | None = None
    """When the URL stops working: a duration or an instant, see ``tensorart.expiry_text``."""
    meta: ImageMetaBlock | None = None


class ProcessingImage(CamelWire):
    """``runningInfo.processingImages[]``: an image being generated."""

    resource_image: Image | None = None
    progress: float | None = None


class WorkflowNode(CamelWire):
    """One node of a workflow run (node id → this, in ``nodes``)."""

    status: str | None = None
    """DEFAULT, INIT, RUNNING, SUCCESS or FAILED (kept as text)."""
    progress: float | None = None
    output_ui: Any = None


class WorkflowFinishItem(CamelWire):
    """``workflowFinishItem``: the workflow run behind the job."""

    status: str | None = None
    progress: float | None = None
    step: float | None = None
    id: IdText | None = None
    ctime: ScalarText | None = None
    mtime: ScalarText | None = None
    nodes: dict[str, WorkflowNode] | None = None
    finished_nodes: Any = None
    """Documented only as "object": a map keyed by node id, or a list of ids."""


class WaitingInfo(CamelWire):
    """``waitingInfo`` (WAITING): the job's place in the queue, as numeric strings."""

    queue_rank: ScalarText | None = None
    queue_len: ScalarText | None = None


class FailedInfo(CamelWire):
    """``failedInfo`` (FAILED): why, and whether resubmitting may help."""

    reason: str | None = None
    code: str | None = None
    """DEFAULT, TRANSITORY_ERROR (resubmitting may work) or FATAL_ERROR."""


class RunningInfo(CamelWire):
    """``runningInfo`` (RUNNING)."""

    processing_images: list[ProcessingImage] | None = None
    workflow_finish_item: WorkflowFinishItem | None = None


class SuccessInfo(CamelWire):
    """``successInfo`` (SUCCESS): the final outputs."""

    images: list[Image] | None = None
    videos: list[Image] | None = None
    workflow_finish_item: WorkflowFinishItem | None = None


class TensorartJob(CamelWire):
    """The ``job`` object."""

    id: IdText
    status: str | None = None
    """The status word; absent means the zero value ``DEFAULT``."""
    credits: float | None = None
    waiting_info: WaitingInfo | None = None
    failed_info: FailedInfo | None = None
    running_info: RunningInfo | None = None
    success_info: SuccessInfo | None = None
    ctime: ScalarText | None = None
    """Not in the published schema; read when a deployment sends it."""
    mtime: ScalarText | None = None
    """Not in the published schema; read when a deployment sends it."""


class TensorartJobEnvelope(CamelWire):
    """The whole response body: ``{"job": {...}}``."""

    job: TensorartJob = Field(...)
