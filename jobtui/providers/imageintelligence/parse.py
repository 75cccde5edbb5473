"""Image Intelligence job objects → ``Job``: the pure half of the provider.

Reading choices:

- ``createdAt`` is the only time the API gives; it goes through ``to_utc``
  (a value below 10^11 is seconds, as in the older examples).
- Each image is one ``JobItem``; an ``*_ERROR`` image is failed with the enum
  (and the legacy status message, when there is one) as its error.
- The summary says the outcome once the job is done — the question and its
  yes/no answer, what matched, what was detected — and otherwise how many
  images are done.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from jobtui.model import Job, JobItem, JobState
from jobtui.providers.base import to_utc
from jobtui.providers.imageintelligence.wire import IiImage, IiJob, StatusObject, status_code
from jobtui.providers.parsing import read_object

__all__ = [
    "IMAGE_STATES",
    "JOB_TYPES",
    "KIND",
    "STATES",
    "image_state",
    "images_done",
    "parse",
]

KIND = "imageintelligence"
JOB_TYPES: tuple[str, ...] = ("ask", "detect", "match", "feedback")
"""The job endpoints sharing the envelope (setting ``job_type``)."""

STATES: dict[str, JobState] = {
    "IN_PROGRESS": JobState.RUNNING,
    "COMPLETED_SUCCESSFULLY": JobState.SUCCEEDED,
    "COMPLETED_PARTIAL_ERROR": JobState.PARTIAL,
    "COMPLETED_ALL_ERROR": JobState.FAILED,
}
"""Job status → state (DESIGN.md); anything else is ``unknown``."""

IMAGE_STATES: dict[str, JobState] = {
    "IN_PROGRESS": JobState.RUNNING,
    "COMPLETED_SUCCESSFULLY": JobState.SUCCEEDED,
}
"""Image status → state; any ``*_ERROR`` is failed, anything else unknown."""


def image_state(status: str | None, job_state: JobState) -> JobState:
    """One image's state from its status word; the result tree and the summary both use it.

    recognize answers list images without a status: they share the job's state
    (a partly failed job says nothing about which image failed: unknown).
    """
    if status is None:
        return job_state if job_state is not JobState.PARTIAL else JobState.UNKNOWN
    if status.endswith("_ERROR"):
        return JobState.FAILED
    return IMAGE_STATES.get(status, JobState.UNKNOWN)


def images_done(states: Sequence[JobState]) -> str:
    """``2 of 4 images done, 1 failed``: the one count the summary and the result tree show.

    Done counts every finished image, failed ones included (as ``watch`` counts
    jobs), so the two numbers never contradict each other.
    """
    done = sum(1 for state in states if state.terminal)
    failed = sum(1 for state in states if state is JobState.FAILED)
    return f"{done} of {len(states)} images done" + (f", {failed} failed" if failed else "")


def parse(payload: object, *, provider: str | None = None) -> Job:
    """Normalize a job object of any job type; raises ``PayloadError`` for anything else."""
    name = provider or KIND
    return read_object(name, payload, lambda raw: _to_job(IiJob.model_validate(raw), raw, name))


def _to_job(job: IiJob, raw: object, name: str) -> Job:
    status = status_code(job.status)
    state = STATES.get(status or "", JobState.UNKNOWN)
    images = _images(job)
    items = [_image_item(index, image, state) for index, image in enumerate(images, start=1)]
    failed = [item for item in items if item.state is JobState.FAILED]
    finished = [item for item in items if item.state.terminal]

    error: str | None = None
    if state in (JobState.FAILED, JobState.PARTIAL):
        message = job.status.message if isinstance(job.status, StatusObject) else None
        error = message or next((item.error for item in failed if item.error), None)
        error = error or status
    if state is JobState.SUCCEEDED:
        progress: float | None = 1.0
    elif items and state is JobState.RUNNING:
        progress = len(finished) / len(items)
    else:
        progress = None
    created = to_utc(job.created_at)
    return Job(
        kind=KIND,
        provider=name,
        id=job.id,
        state=state,
        raw_status=status,
        created_at=created,
        progress=progress,
        summary=_summary(job, state, items, error),
        error=error,
        items=tuple(items),
        raw=raw,
    )


def _image_item(index: int, image: IiImage, job_state: JobState) -> JobItem:
    status = status_code(image.status)
    state = image_state(status, job_state)
    error = None
    if state is JobState.FAILED:
        message = image.status.message if isinstance(image.status, StatusObject) else None
        error = f"{status}: {message}" if message else status
    label = _image_name(image)
    found = _objects_text(image.objects or [])
    return JobItem(
        id=image.id or image.custom_id or f"image-{index}",
        label=f"{label}: {found}" if found else label,
        state=state,
        error=error,
        url=image.url or image.proxy_url,
    )


def _image_name(image: IiImage | dict[str, Any]) -> str:
    """The customId, else the file name of the image URL."""
    if isinstance(image, dict):
        custom, url = image.get("customId"), image.get("url")
    else:
        custom, url = image.custom_id, image.url
    if isinstance(custom, str) and custom:
        return custom
    if isinstance(url, str) and url:
        tail = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        return tail or url
    return "image"


def _objects_text(objects: Sequence[Any]) -> str:
    """``person 0.99`` for the best object, ``+N`` for the others."""
    scored = [(_score(o), _label(o)) for o in objects if isinstance(o, dict)]
    if not scored:
        return ""
    best_score, best_label = max(scored, key=lambda pair: -1.0 if pair[0] is None else pair[0])
    text = best_label if best_score is None else f"{best_label} {best_score:.2f}"
    return f"{text} +{len(scored) - 1}" if len(scored) > 1 else text


def _label(entry: dict[str, Any]) -> str:
    for key in ("class", "identityId", "label"):
        value = entry.get(key)
        if isinstance(value, str) and value:
            return value
    return "object"


def _score(entry: object) -> float | None:
    value = entry.get("confidence") if isinstance(entry, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _summary(job: IiJob, state: JobState, items: list[JobItem], error: str | None) -> str:
    if state is JobState.FAILED:
        return error or "all images failed"
    outcome = _outcome(job) if state.terminal else None
    failed = sum(1 for item in items if item.state is JobState.FAILED)
    counts = images_done([item.state for item in items])
    if outcome:
        return f"{outcome} ({failed} of {len(items)} images failed)" if failed else outcome
    if items:
        return f"{job.question}: {counts}" if job.question and not state.terminal else counts
    return (status_code(job.status) or "no status").lower().replace("_", " ")


def _outcome(job: IiJob) -> str | None:
    """What the finished job found, in its job type's words."""
    results = job.job_results
    if isinstance(results, list):
        return _found_text([r for r in results if isinstance(r, dict)])
    if isinstance(results, dict):
        image = results.get("image")
        target = results.get("target")
        if isinstance(target, dict):
            what = _label(target)
            if isinstance(image, dict):
                return f"{what} matched in {_image_name(image)}"
            return f"no match for {what}"
        if job.question:
            if isinstance(image, dict):
                return f"{job.question} yes: {_image_name(image)}"
            return f"{job.question} no"
    # v1 answers carry their findings on each image only.
    objects = [o for image in _images(job) for o in image.objects or () if isinstance(o, dict)]
    return _found_text(objects) if objects else None


def _images(job: IiJob) -> list[IiImage]:
    return job.image_results or job.results or job.images or []


def _found_text(results: list[dict[str, Any]]) -> str | None:
    """``2 found: person, car, best 1.00`` (match results name their target)."""
    if not results:
        return None
    matched = [r["target"] for r in results if isinstance(r.get("target"), dict)]
    names = [_label(t) for t in matched] or [_label(r) for r in results]
    shown = ", ".join(dict.fromkeys(names[:3]))
    scores = [s for r in results if (s := _score({**r, **_image_dict(r)})) is not None]
    best = f", best {max(scores):.2f}" if scores else ""
    verb = "matched" if matched else "found"
    return f"{len(results)} {verb}: {shown}{best}"


def _image_dict(result: dict[str, Any]) -> dict[str, Any]:
    """A detect result's confidence sits inside its ``image``."""
    image = result.get("image")
    if isinstance(image, dict) and "confidence" in image and "confidence" not in result:
        return {"confidence": image["confidence"]}
    return {}
