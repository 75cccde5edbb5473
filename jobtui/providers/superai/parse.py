"""super.AI job objects → ``Job``: the pure half of the provider.

Reading choices:

- The job's output is not in the job object: the provider fetches
  ``/v1/jobs/{id}/response`` once the job is ``COMPLETED`` and attaches the
  answer under ``RESPONSE_KEY`` (``RESPONSE_ERROR_KEY`` when it could not be
  had). ``parse`` reads it from there, so a stored payload re-parses alike.
- The output becomes one ``JobItem`` and the summary is its first answer
  ("poodle 0.93"); before that, the job type and tags.
- ``completed`` is the end of any finished job (failed and canceled too).
"""

from __future__ import annotations

import math
from typing import Any

from jobtui.model import Job, JobItem, JobState
from jobtui.providers.base import to_utc
from jobtui.providers.parsing import read_object
from jobtui.providers.superai.wire import SuperaiJob

__all__ = [
    "CANCELABLE",
    "KIND",
    "RESPONSE_ERROR_KEY",
    "RESPONSE_KEY",
    "STATES",
    "answer_text",
    "parse",
]

KIND = "superai"

RESPONSE_KEY = "_jobtui_response"
"""Key under which the provider attaches the body of ``/v1/jobs/{id}/response`` to the job."""

RESPONSE_ERROR_KEY = "_jobtui_response_error"
"""Key under which the provider notes why the output could not be fetched."""

STATES: dict[str, JobState] = {
    "SCHEDULED": JobState.QUEUED,
    "IN_PROGRESS": JobState.RUNNING,
    "SUSPENDED": JobState.PAUSED,
    "COMPLETED": JobState.SUCCEEDED,
    "FAILED": JobState.FAILED,
    "EXPIRED": JobState.FAILED,
    "CANCELED": JobState.CANCELED,
}
"""Job status → state (DESIGN.md); anything else (``POST PROCESSING``, …) is ``unknown``."""

CANCELABLE = frozenset({"SCHEDULED", "IN_PROGRESS", "SUSPENDED"})
"""The statuses a job can be canceled from."""

_ANSWER_KEYS = ("label", "answer", "value", "class", "category", "text", "result")
_SCORE_KEYS = ("confidence", "score", "probability")


def parse(payload: object, *, provider: str | None = None) -> Job:
    """Normalize a job object (with its attached output); raises ``PayloadError`` otherwise."""
    name = provider or KIND
    return read_object(
        name, payload, lambda raw: _to_job(SuperaiJob.model_validate(raw), raw, name)
    )


def _to_job(job: SuperaiJob, raw: dict[str, Any], name: str) -> Job:
    state = STATES.get(job.status or "", JobState.UNKNOWN)
    job_id = job.id or job.uuid
    assert job_id is not None  # the wire model insists on one of them
    finished = to_utc(job.completed)
    error = f"job {job.status.lower()}" if state is JobState.FAILED and job.status else None
    items: list[JobItem] = []
    answer: str | None = None
    if RESPONSE_KEY in raw:
        answer = answer_text(raw[RESPONSE_KEY])
        items.append(
            JobItem(
                id="response",
                label=answer or "output",
                state=JobState.SUCCEEDED,
                url=_input_url(job.input),
            )
        )
    elif isinstance(raw.get(RESPONSE_ERROR_KEY), str):
        items.append(
            JobItem(
                id="response",
                label="output",
                state=JobState.UNKNOWN,
                error=raw[RESPONSE_ERROR_KEY],
                url=_input_url(job.input),
            )
        )
    return Job(
        kind=KIND,
        provider=name,
        id=job_id,
        state=state,
        raw_status=job.status,
        created_at=to_utc(job.created),
        finished_at=finished if state.terminal else None,
        updated_at=finished,
        progress=1.0 if state is JobState.SUCCEEDED else None,
        summary=answer or _describe(job, state, error),
        error=error,
        items=tuple(items),
        raw=raw,
    )


def _describe(job: SuperaiJob, state: JobState, error: str | None) -> str:
    """Job type and tags, after the status when it says more than the state column."""
    tags = [str(tag) for tag in job.tags or () if isinstance(tag, str | int | float)]
    parts = []
    if job.job_type and job.job_type != "DEFAULT":
        parts.append(f"{job.job_type.lower()} job")
    if tags:
        parts.append("tags: " + ", ".join(tags[:5]))
    if error:
        parts.insert(0, error)
    elif state is JobState.UNKNOWN and job.status:
        parts.insert(0, job.status.lower())
    return " · ".join(parts) or (job.status or "no status").lower().replace("_", " ")


def _input_url(value: object) -> str | None:
    if isinstance(value, dict):
        for key in ("image_url", "imageUrl", "url"):
            found = value.get(key)
            if isinstance(found, str) and found:
                return found
    return None


def answer_text(output: object, depth: int = 0) -> str | None:
    """The first answer in an output of any project type: ``poodle 0.93``, ``yes``, ``42``."""
    if depth > 8:
        return None
    if isinstance(output, dict):
        if "response" in output and depth == 0:
            return answer_text(output["response"], depth + 1)
        score = next((_number(output.get(key)) for key in _SCORE_KEYS if key in output), None)
        for key in _ANSWER_KEYS:
            if key in output:
                found = answer_text(output[key], depth + 1)
                if found:
                    return f"{found} {score:.2f}" if score is not None else found
        for value in output.values():
            found = answer_text(value, depth + 1)
            if found:
                return found
        return None
    if isinstance(output, list):
        return next((t for item in output[:20] if (t := answer_text(item, depth + 1))), None)
    if isinstance(output, bool):
        return "yes" if output else "no"
    if isinstance(output, int | float):
        return f"{output:g}" if math.isfinite(output) else None
    if isinstance(output, str):
        text = " ".join(output.split())
        return (text[:80] + "…" if len(text) > 80 else text) or None
    return None


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None
