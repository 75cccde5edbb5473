"""Tensor.Art TAMS job objects → ``Job``: the pure half of the provider.

Reading choices the published schema leaves open, decided here once:

- **Progress** (``workflowFinishItem.progress``, ``processingImages[].progress``)
  may be a fraction (0–1) or a percentage (0–100). The scale is decided per
  payload: if any progress value in it exceeds 1, all are percentages,
  otherwise all are fractions. So ``62`` reads as 62 %, ``0.62`` as 62 %, and
  a lone ``1`` as done. Values below 0, above 100 or not finite are dropped.
- **Queue**: ``queueRank`` is taken as the 1-based place in the queue and
  ``queueLen`` as the queue's length, both as sent ("queue 3/17").
- **expiredIn** on result URLs may be a duration or an instant. A protobuf
  duration (``"3600s"``) or a number below 10^9 is a duration in seconds,
  counted from when the answer was made ("expires in 1h"); a larger number is
  an epoch instant (seconds or milliseconds, see ``to_utc``) and ISO text an
  instant too ("expires 2026-11-22 15:04 UTC"). Anything else is shown as sent.
- **Times**: ``ctime``/``mtime`` of the job when a deployment sends them, else
  of its ``workflowFinishItem``, become ``created_at``/``updated_at``; a
  terminal job's ``mtime`` is also its ``finished_at``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from jobtui.errors import PayloadError
from jobtui.model import Job, JobItem, JobState, format_duration
from jobtui.providers.base import to_utc
from jobtui.providers.parsing import read_object
from jobtui.providers.tensorart.wire import (
    Image,
    TensorartJob,
    TensorartJobEnvelope,
    WorkflowFinishItem,
)

__all__ = [
    "KIND",
    "NODE_STATES",
    "STATES",
    "expiry_text",
    "parse",
]

KIND = "tensorart"

STATES: dict[str, JobState] = {
    "CREATED": JobState.QUEUED,
    "PENDING": JobState.QUEUED,
    "WAITING": JobState.QUEUED,
    "RUNNING": JobState.RUNNING,
    "SUCCESS": JobState.SUCCEEDED,
    "FAILED": JobState.FAILED,
    "CANCELED": JobState.CANCELED,
}
"""Job status → state (DESIGN.md). ``DEFAULT`` and anything new is ``unknown``."""

NODE_STATES: dict[str, JobState] = {
    "DEFAULT": JobState.QUEUED,
    "INIT": JobState.QUEUED,
    "RUNNING": JobState.RUNNING,
    "SUCCESS": JobState.SUCCEEDED,
    "FAILED": JobState.FAILED,
}
"""Workflow node status → item state."""

_FAILURE_CODES: dict[str, str] = {
    "TRANSITORY_ERROR": "transitory error, resubmitting may work",
    "FATAL_ERROR": "fatal error",
}

_EPOCH_FLOOR = 1e9
"""Numbers from here up are epoch instants (2001-09-09 in seconds), below it durations."""


def parse(payload: object, *, provider: str | None = None, job_type: str | None = None) -> Job:
    """Normalize a ``{"job": {...}}`` answer; raises ``PayloadError`` for anything else.

    ``job_type`` is accepted for a uniform signature and ignored: Tensor.Art
    has one kind of job.
    """
    name = provider or KIND

    def build(raw: dict[str, Any]) -> Job:
        if "job" not in raw:
            raise PayloadError(name, "job", "missing")
        return _to_job(TensorartJobEnvelope.model_validate(raw).job, raw, name)

    return read_object(name, payload, build)


def _to_job(job: TensorartJob, raw: object, name: str) -> Job:
    status = job.status
    state = STATES.get(status or "DEFAULT", JobState.UNKNOWN)
    workflow = _workflow(job)
    scale = _progress_scale(job)
    created = to_utc(job.ctime) or to_utc(workflow.ctime if workflow else None)
    updated = to_utc(job.mtime) or to_utc(workflow.mtime if workflow else None)

    progress: float | None = None
    if state is JobState.RUNNING:
        progress = _fraction(workflow.progress if workflow else None, scale)
        if progress is None:
            progress = _mean(_fraction(p.progress, scale) for p in _running_images(job))
    elif state is JobState.SUCCEEDED:
        progress = 1.0

    position = length = None
    # Only a waiting job has a place in the queue; a stale block on a later state is ignored.
    if job.waiting_info is not None and state in (JobState.QUEUED, JobState.UNKNOWN):
        position = _count(job.waiting_info.queue_rank)
        length = _count(job.waiting_info.queue_len)

    error = _error(job) if state is JobState.FAILED else None
    items = (*_output_items(job, scale), *_node_items(workflow, scale))
    return Job(
        kind=KIND,
        provider=name,
        id=job.id,
        state=state,
        raw_status=status,
        created_at=created,
        updated_at=updated,
        finished_at=updated if state.terminal else None,
        progress=progress,
        queue_position=position,
        queue_length=length,
        summary=_summary(job, state, progress, workflow, position, length, error),
        error=error,
        items=items,
        raw=raw,
    )


def _workflow(job: TensorartJob) -> WorkflowFinishItem | None:
    if job.running_info is not None and job.running_info.workflow_finish_item is not None:
        return job.running_info.workflow_finish_item
    if job.success_info is not None:
        return job.success_info.workflow_finish_item
    return None


def _running_images(job: TensorartJob) -> list[Any]:
    if job.running_info is None or not job.running_info.processing_images:
        return []
    return list(job.running_info.processing_images)


def _progress_values(job: TensorartJob) -> Iterable[float | None]:
    for info in (job.running_info, job.success_info):
        if info is not None and info.workflow_finish_item is not None:
            item = info.workflow_finish_item
            yield item.progress
            for node in (item.nodes or {}).values():
                yield node.progress
    for image in _running_images(job):
        yield image.progress


def _progress_scale(job: TensorartJob) -> float:
    """100 when the payload speaks percentages, 1 when it speaks fractions."""
    for value in _progress_values(job):
        if value is not None and math.isfinite(value) and 1.0 < value <= 100.0:
            return 100.0
    return 1.0


def _fraction(value: float | None, scale: float) -> float | None:
    if value is None or not math.isfinite(value) or value < 0 or value > scale:
        return None
    return value / scale


def _percent(fraction: float) -> str:
    # Floor, so a job shows 100 % only when done; the epsilon absorbs 0.29 * 100 = 28.999….
    return f"{math.floor(fraction * 100 + 1e-9)}%"


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _count(text: str | None) -> int | None:
    """A numeric string as a non-negative int, or None when it is not one."""
    if text is None:
        return None
    try:
        number = float(text.strip())
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0 or number != int(number):
        return None
    return int(number)


def _error(job: TensorartJob) -> str:
    info = job.failed_info
    reason = (info.reason or "").strip() if info else ""
    code = (info.code or "") if info else ""
    if code and code != "DEFAULT":
        return f"{code}: {reason}" if reason else code
    return reason or "failed without a reason"


def _summary(
    job: TensorartJob,
    state: JobState,
    progress: float | None,
    workflow: WorkflowFinishItem | None,
    position: int | None,
    length: int | None,
    error: str | None,
) -> str:
    if state is JobState.FAILED:
        info = job.failed_info
        reason = (info.reason or "").strip() if info else ""
        kind = _FAILURE_CODES.get(info.code or "") if info else None
        if kind:
            return f"{kind}: {reason}" if reason else kind
        return reason or "failed"
    if state is JobState.CANCELED:
        return "canceled"
    if state is JobState.SUCCEEDED:
        return _outputs_text(job)
    if state is JobState.RUNNING:
        parts = ["RUNNING"]
        if progress is not None:
            parts.append(_percent(progress))
        if workflow is not None and workflow.step:
            parts.append(f"step {_number_text(workflow.step)}")
        return " ".join(parts)
    if position is not None:
        return f"queue {position}/{length}" if length is not None else f"queue {position}"
    if state is JobState.QUEUED and job.status:
        return job.status.lower()
    return f"status {job.status}" if job.status else "no status"


def _outputs_text(job: TensorartJob) -> str:
    info = job.success_info
    images = len(info.images or []) if info else 0
    videos = len(info.videos or []) if info else 0
    parts = [_plural(images, "image")] if images else []
    if videos:
        parts.append(_plural(videos, "video"))
    return ", ".join(parts) if parts else "no outputs"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _output_items(job: TensorartJob, scale: float) -> Iterable[JobItem]:
    info = job.success_info
    if info is not None:
        for noun, outputs in (("image", info.images), ("video", info.videos)):
            for index, output in enumerate(outputs or (), start=1):
                yield JobItem(
                    id=output.id or f"{noun}-{index}",
                    label=_output_label(noun, output),
                    state=JobState.SUCCEEDED,
                    url=output.url or None,
                )
    for index, processing in enumerate(_running_images(job), start=1):
        image = processing.resource_image
        fraction = _fraction(processing.progress, scale)
        label = "image in progress"
        if fraction is not None:
            label += f" {_percent(fraction)}"
        yield JobItem(
            id=(image.id if image else None) or f"processing-{index}",
            label=label,
            state=JobState.RUNNING,
            url=(image.url if image else None) or None,
        )


def _output_label(noun: str, output: Image) -> str:
    parts = [noun]
    meta = output.meta.image if output.meta else None
    if meta is not None:
        if meta.width and meta.height:
            parts.append(f"{meta.width}×{meta.height}")
        if meta.format:
            parts.append(meta.format)
    label = " ".join(parts)
    expiry = expiry_text(output.expired_in)
    return f"{label}, {expiry}" if expiry else label


def expiry_text(value: str | None) -> str | None:
    """Say when a result URL expires, from ``expiredIn`` (see the module notes)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    duration = text[:-1] if text.endswith("s") else None
    try:
        number = float(duration if duration is not None else text)
    except ValueError:
        instant = to_utc(text)
        if instant is not None:
            return f"expires {instant:%Y-%m-%d %H:%M} UTC"
        return f"expires in {text}"
    if not math.isfinite(number) or number < 0:
        return f"expires in {text}"
    if duration is None and number >= _EPOCH_FLOOR:
        instant = to_utc(number)
        if instant is not None:
            return f"expires {instant:%Y-%m-%d %H:%M} UTC"
        return f"expires in {text}"
    return f"expires in {format_duration(number)}"


def _node_items(workflow: WorkflowFinishItem | None, scale: float) -> Iterable[JobItem]:
    if workflow is None:
        return
    finished = _finished_node_ids(workflow.finished_nodes)
    nodes = workflow.nodes or {}
    for node_id in [*nodes, *(n for n in finished if n not in nodes)]:
        node = nodes.get(node_id)
        status = node.status if node is not None else None
        state = NODE_STATES.get(status or "DEFAULT", JobState.UNKNOWN)
        if node is None or (node_id in finished and state is not JobState.FAILED):
            # A node listed as finished is done even when its own status lags.
            state = JobState.SUCCEEDED
        parts = [f"node {node_id}"]
        if status:
            parts.append(status)
        fraction = _fraction(node.progress, scale) if node is not None else None
        if fraction is not None and state is JobState.RUNNING:
            parts.append(_percent(fraction))
        if node_id in finished:
            parts.append("(finished)")
        yield JobItem(id=f"node:{node_id}", label=" ".join(parts), state=state)


def _finished_node_ids(value: object) -> set[str]:
    """``finishedNodes`` is documented only as an object: take its keys, or list entries."""
    if isinstance(value, dict):
        return {str(key) for key in value}
    if isinstance(value, list):
        return {str(entry) for entry in value if isinstance(entry, str | int)}
    return set()
