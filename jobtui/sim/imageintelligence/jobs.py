"""Image Intelligence jobs: how they are drawn and how they read at any instant.

A job's images each finish at their own time (one by one), some with an
``*_ERROR`` status; the job stays ``IN_PROGRESS`` until the last one is done,
then ends ``COMPLETED_SUCCESSFULLY``, ``COMPLETED_PARTIAL_ERROR`` or
``COMPLETED_ALL_ERROR`` according to its images.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from jobtui.sim.api import World
from jobtui.sim.lifecycle import Plan, random_uuid, spread, step_plan

__all__ = ["IMAGE_ERRORS", "IiImage", "IiJob", "job_json", "make_job"]

IMAGE_ERRORS = (
    "IMAGE_DOWNLOAD_ERROR",
    "INVALID_IMAGE_FORMAT_ERROR",
    "UNKNOWN_ERROR",
    "DETECTION_ENGINE_ERROR",
    "MODEL_SERVICE_ERROR",
)
_QUESTIONS = (
    "Is my garage door open?",
    "Is there a person at the front door?",
    "Is the parking spot taken?",
    "Is the shelf empty?",
    "Is anyone wearing a hard hat?",
)
_CLASSES = ("person", "car", "truck", "bicycle", "dog", "cat")
_EXAMPLES = "https://publicly.available.domain.net"
_FEEDS = ("Camera_123456", "Camera_223344", "Dock_East", "Lobby_2")


@dataclass
class IiImage:
    """One image of a job and its fate."""

    id: str
    url: str
    proxy_url: str
    custom_id: str | None
    done_after: float
    """Seconds after the job's creation when this image's result arrives."""
    status: str
    """Its final status: COMPLETED_SUCCESSFULLY or an *_ERROR value."""
    objects: list[dict[str, Any]]
    confidence: float


@dataclass
class IiJob:
    """One ask, detect or match job."""

    id: str
    job_type: str
    plan: Plan
    images: list[IiImage]
    question: str
    examples: dict[str, list[str]] | None
    target: dict[str, Any] | None
    custom_id: str | None
    feed_id: str | None
    webhook_url: str | None


def make_job(
    job_id: str,
    rng: random.Random,
    created: float,
    job_type: str,
    outcome: str | None,
    body: dict[str, Any] | None,
) -> IiJob:
    """Draw a job: its images, when each finishes and how; ``outcome`` forces an ending.

    ``outcome`` is ``ok``, ``partial`` or ``all`` (every image failed); None draws one.
    ``body`` is a create request whose fields (images, question, ...) are kept.
    """
    body = body or {}
    given = body.get("images") if isinstance(body.get("images"), list) else None
    count = len(given) if given else rng.choice((1, 1, 2, 2, 3, 4, 6, 8))
    if outcome is None:
        roll = rng.random()
        outcome = "all" if roll < 0.06 else "partial" if roll < 0.3 else "ok"
    if outcome == "partial" and not given:
        count = max(count, 2)
    duration = spread(rng)
    feed = _str(body, "feedId") or rng.choice(_FEEDS)
    images: list[IiImage] = []
    failing: set[int] = set()
    if outcome == "all":
        failing = set(range(count))
    elif outcome == "partial":
        # At least one image fails, at least one succeeds (a single image cannot be partial).
        order = list(range(count))
        rng.shuffle(order)
        failing = set(order[: max(1, int(count * rng.uniform(0.1, 0.5)))][: count - 1])
    for position in range(count):
        spec = given[position] if given and isinstance(given[position], dict) else {}
        image_id = random_uuid(rng)
        url = _str(spec, "url") or (
            f"https://publicly.available.domain.net/{feed}/image-{position + 1:03d}.jpg"
        )
        label = rng.choice(_CLASSES)
        confidence = round(rng.uniform(0.55, 0.999), 10)
        images.append(
            IiImage(
                id=image_id,
                url=url,
                proxy_url=f"https://api.quickpix.io/images/{random_uuid(rng)}",
                custom_id=_str(spec, "customId")
                or (f"{feed.lower()}-{position + 1:03d}" if rng.random() < 0.7 else None),
                done_after=duration * (position + rng.random()) / count,
                status=rng.choice(IMAGE_ERRORS)
                if position in failing
                else "COMPLETED_SUCCESSFULLY",
                objects=[{"class": label, "confidence": confidence, "verdict": True}],
                confidence=confidence,
            )
        )
    final = max(image.done_after for image in images)
    failed = sum(1 for image in images if image.status != "COMPLETED_SUCCESSFULLY")
    final_state = (
        "COMPLETED_SUCCESSFULLY"
        if failed == 0
        else "COMPLETED_ALL_ERROR"
        if failed == count
        else "COMPLETED_PARTIAL_ERROR"
    )
    plan = step_plan(created, [("IN_PROGRESS", final), (final_state, 0.0)])
    question = _str(body, "question") or rng.choice(_QUESTIONS)
    examples = body.get("examples") if isinstance(body.get("examples"), dict) else None
    if examples is None and job_type == "ask" and rng.random() < 0.5:
        examples = {
            answer: [f"{_EXAMPLES}/{answer}-image-00{k}.jpg" for k in (1, 2)]
            for answer in ("yes", "no")
        }
    target = body.get("target") if isinstance(body.get("target"), dict) else None
    if target is None and job_type == "match":
        target = {
            "class": "person",
            "customId": f"target-{rng.randrange(1000):03d}",
            "images": [
                f"https://publicly.available.domain.net/person-00{k}.jpg" for k in (1, 2, 3)
            ],
        }
    return IiJob(
        id=job_id,
        job_type=job_type,
        plan=plan,
        images=images,
        question=question,
        examples=examples,
        target=target,
        custom_id=_str(body, "customId") or random_uuid(rng),
        feed_id=feed,
        webhook_url=_str(body, "webhookUrl"),
    )


def job_json(job: IiJob, world: World) -> dict[str, Any]:
    """The job as ``GET /v2/<type>/{id}`` answers it at the world's current time."""
    now = world.now()
    elapsed = now - job.plan.created
    state = job.plan.state_at(now)
    image_results: list[dict[str, Any]] = []
    done: list[IiImage] = []
    for image in job.images:
        entry = _image_ref(image)
        finished = image.done_after <= elapsed
        if job.job_type == "detect" and finished and image.status == "COMPLETED_SUCCESSFULLY":
            entry["objects"] = image.objects
        entry["status"] = image.status if finished else "IN_PROGRESS"
        image_results.append(entry)
        if finished and image.status == "COMPLETED_SUCCESSFULLY":
            done.append(image)
    payload: dict[str, Any] = {"id": job.id, "jobResults": _job_results(job, done)}
    payload["imageResults"] = image_results
    if job.job_type == "ask":
        payload["question"] = job.question
        if job.examples is not None:
            payload["examples"] = job.examples
    payload["createdAt"] = int(world.wall(job.plan.created) * 1000)
    payload["status"] = state
    if job.custom_id is not None:
        payload["customId"] = job.custom_id
    if job.feed_id is not None:
        payload["feedId"] = job.feed_id
    if job.webhook_url is not None:
        payload["webhookUrl"] = job.webhook_url
    return payload


def _image_ref(image: IiImage) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": image.id, "url": image.url, "proxyUrl": image.proxy_url}
    if image.custom_id is not None:
        entry["customId"] = image.custom_id
    return entry


def _job_results(job: IiJob, done: list[IiImage]) -> Any:
    """``jobResults`` in each job type's shape, from the images finished so far."""
    if job.job_type == "detect":
        return [
            {
                "class": image.objects[0]["class"],
                "image": {**_image_ref(image), "confidence": image.confidence},
                "hitl": image.confidence < 0.8,
            }
            for image in done
        ]
    if job.job_type == "match":
        results: dict[str, Any] = {"target": job.target}
        if done:
            best = max(done, key=lambda image: image.confidence)
            results["image"] = _image_ref(best)
            results["hitl"] = best.confidence < 0.8
        return results
    if done:
        return {"image": _image_ref(done[0])}
    return {}


def _str(mapping: dict[str, Any], key: str) -> str | None:
    """``mapping[key]`` when it is a non-empty string, else None."""
    value = mapping.get(key)
    return value if isinstance(value, str) and value else None
