"""Cognite vision jobs in the simulator: their files, batches and results, and the job object.

A job's files are processed in batches. It is ``Queued``, then ``Running`` while
batches finish one by one, and ends when the last one does: ``Completed`` if at
least one batch succeeded, else ``Failed``. What a ``GET`` shows:

- ``Queued``: every requested file, as the create answer lists them (with
  results for a batch that already finished: "even Queued may list items");
- ``Running`` and after: the files of finished, successful batches with their
  ``segments`` (segment jobs) or ``predictions`` (extract jobs); failed batches
  in ``failedItems`` with their error and files.

Times are epoch milliseconds; ``statusTime`` moves with every change.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jobtui.sim.lifecycle import Plan, spread, step_plan

__all__ = [
    "BATCH_ERRORS",
    "FEATURES",
    "Batch",
    "CogniteJob",
    "FileRef",
    "job_json",
    "plan_job",
    "revision",
]

FEATURES: dict[str, str] = {
    "TextDetection": "textPredictions",
    "AssetTagDetection": "assetTagPredictions",
    "PeopleDetection": "peoplePredictions",
    "IndustrialObjectDetection": "industrialObjectPredictions",
    "PersonalProtectiveEquipmentDetection": "personalProtectiveEquipmentPredictions",
}
"""Extract features and the prediction list each one fills."""

BATCH_ERRORS: tuple[str, ...] = (
    "Could not decode image",
    "File not found or access denied",
    "Unsupported mime type: application/pdf",
    "Internal error while processing the batch",
)

_TAGS = ("21PT1017", "23-VA-9110", "PV-4402", "45-FT-92139B", "11-XV-7053")
_WORDS = ("PUMP", "DANGER", "HIGH VOLTAGE", "P-101", "VALVE 7", "NO ENTRY")
_OBJECTS = ("valve", "gauge", "pipe", "pump", "tank")
_PPE = ("helmet", "protective_eyewear", "hearing_protection", "high_visibility_vest")
_SITES = ("pump-station-07", "compressor-b", "offshore-p12", "substation-3")


@dataclass(frozen=True)
class FileRef:
    """A file as jobs name it: its id, and the other ids it was given by."""

    file_id: int
    external_id: str | None = None
    instance: tuple[str, str] | None = None
    """``(space, externalId)`` when the file is a data-modeling instance."""

    def json(self) -> dict[str, Any]:
        """``{fileId, fileExternalId?, fileInstanceId?}``."""
        body: dict[str, Any] = {"fileId": self.file_id}
        if self.external_id is not None:
            body["fileExternalId"] = self.external_id
        if self.instance is not None:
            body["fileInstanceId"] = {"space": self.instance[0], "externalId": self.instance[1]}
        return body


@dataclass(frozen=True)
class Batch:
    """Files processed together; ``done`` is seconds after creation, ``error`` None if it worked."""

    files: tuple[int, ...]
    done: float
    error: str | None


@dataclass
class CogniteJob:
    """Everything about one simulated vision job."""

    id: int
    job_type: str
    """``segment`` or ``extract``."""
    plan: Plan
    files: tuple[FileRef, ...]
    batches: tuple[Batch, ...]
    results: tuple[Any, ...]
    """Per file: a ``segments`` list (segment jobs) or a ``predictions`` object (extract)."""
    extra: dict[str, Any]
    """``prompt`` (segment) or ``parameters`` (extract), echoed in every answer when set."""


def _file_ref(rng: random.Random) -> FileRef:
    file_id = rng.randrange(10**14, 9 * 10**15)
    roll = rng.random()
    name = f"{rng.choice(_SITES)}/IMG_{rng.randrange(10000):04d}.jpg"
    if roll < 0.55:
        return FileRef(file_id, external_id=name)
    if roll < 0.8:
        return FileRef(file_id)
    return FileRef(file_id, instance=("site-images", name))


def _box(rng: random.Random, name: str = "boundingBox") -> dict[str, Any]:
    x, y = rng.uniform(0.0, 0.7), rng.uniform(0.0, 0.7)
    return {
        name: {
            "xMin": round(x, 4),
            "yMin": round(y, 4),
            "xMax": round(min(1.0, x + rng.uniform(0.05, 0.3)), 4),
            "yMax": round(min(1.0, y + rng.uniform(0.05, 0.3)), 4),
        }
    }


def _vertex(
    rng: random.Random, cx: float, cy: float, radius: float, angle: float
) -> dict[str, Any]:
    """A polygon corner on a circle around ``(cx, cy)``, clamped to the image."""
    return {
        "x": round(min(1.0, max(0.0, cx + radius * math.cos(angle))), 4),
        "y": round(min(1.0, max(0.0, cy + radius * math.sin(angle))), 4),
        "confidence": None if rng.random() < 0.7 else round(rng.uniform(0.5, 1.0), 3),
    }


def _segments(rng: random.Random) -> list[dict[str, Any]]:
    segments: list[tuple[float, dict[str, Any]]] = []
    for _ in range(rng.randint(0, 4)):
        polygons = []
        for _ in range(rng.randint(1, 2)):
            cx, cy, radius = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.03, 0.2)
            corners = rng.randint(4, 8)
            vertices = [
                _vertex(rng, cx, cy, radius, 2 * math.pi * k / corners) for k in range(corners)
            ]
            confidence = None if rng.random() < 0.6 else round(rng.uniform(0.4, 1.0), 3)
            polygons.append({"vertices": vertices, "confidence": confidence})
        score = round(rng.uniform(0.3, 0.99), 2)
        segments.append((score, {"score": score, "polygons": polygons}))
    segments.sort(key=lambda pair: -pair[0])
    return [segment for _, segment in segments]


def _prediction(rng: random.Random, feature: str) -> dict[str, Any]:
    confidence = round(rng.uniform(0.3, 0.99), 2)
    if feature == "TextDetection":
        return {"confidence": confidence, "text": rng.choice(_WORDS), **_box(rng, "textRegion")}
    if feature == "AssetTagDetection":
        return {
            "assetRef": {"id": rng.randrange(10**14, 9 * 10**15)},
            "confidence": confidence,
            "text": rng.choice(_TAGS),
            **_box(rng, "textRegion"),
        }
    label = {
        "PeopleDetection": "person",
        "IndustrialObjectDetection": rng.choice(_OBJECTS),
    }.get(feature) or rng.choice(_PPE)
    return {"label": label, "confidence": confidence, **_box(rng)}


def _predictions(rng: random.Random, features: Sequence[str]) -> dict[str, Any]:
    return {
        FEATURES[feature]: [_prediction(rng, feature) for _ in range(rng.randint(0, 3))]
        for feature in features
    }


def plan_job(
    job_id: int,
    job_type: str,
    rng: random.Random,
    created: float,
    *,
    outcome: str | None = None,
    files: Sequence[FileRef] | None = None,
    features: Sequence[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> CogniteJob:
    """Draw a job's life; ``outcome``: ``clean``, ``partial`` or ``failed`` (else drawn)."""
    if outcome is None:
        roll = rng.random()
        outcome = "failed" if roll < 0.12 else "partial" if roll < 0.3 else "clean"
    refs = tuple(files) if files else tuple(_file_ref(rng) for _ in range(rng.randint(1, 10)))
    if job_type == "extract":
        chosen = list(features or rng.sample(tuple(FEATURES), k=rng.randint(1, 3)))
        results: tuple[Any, ...] = tuple(_predictions(rng, chosen) for _ in refs)
        if extra is None:
            extra = {}
            if "AssetTagDetection" in chosen and rng.random() < 0.6:
                extra["parameters"] = {
                    "assetTagDetectionParameters": {
                        "assetSubtreeIds": [],
                        "partialMatch": False,
                        "threshold": 0.4,
                    }
                }
    else:
        results = tuple(_segments(rng) for _ in refs)
        if extra is None:
            extra = {"prompt": _prompt(rng)} if rng.random() < 0.5 else {}

    size = rng.randint(1, 3)
    groups = [
        tuple(range(start, min(start + size, len(refs)))) for start in range(0, len(refs), size)
    ]
    failing = set(range(len(groups))) if outcome == "failed" else set()
    if outcome == "partial":
        if len(groups) == 1:
            # One batch cannot half-fail: split it, or the job could not be partial.
            groups = [(index,) for index in groups[0]] if len(groups[0]) > 1 else groups
        if len(groups) > 1:
            failing = set(rng.sample(range(len(groups)), k=rng.randint(1, len(groups) - 1)))

    queued = spread(rng) * 0.5
    running = spread(rng)
    early = len(groups) > 1 and rng.random() < 0.25  # a batch done before the status moves
    batches = []
    for position, group in enumerate(groups):
        if position == len(groups) - 1:
            done = queued + running
        elif position == 0 and early:
            done = queued * rng.uniform(0.5, 0.95)
        else:
            done = queued + running * rng.uniform(0.05, 0.95)
        error = rng.choice(BATCH_ERRORS) if position in failing else None
        batches.append(Batch(group, done, error))
    batches.sort(key=lambda batch: batch.done)
    final = "Failed" if len(failing) == len(groups) else "Completed"
    plan = step_plan(created, [("Queued", queued), ("Running", running), (final, 0.0)])
    return CogniteJob(job_id, job_type, plan, refs, tuple(batches), results, extra)


def _prompt(rng: random.Random) -> dict[str, Any]:
    x, y = round(rng.uniform(0.2, 0.8), 2), round(rng.uniform(0.2, 0.8), 2)
    return {
        "points": [{"x": x, "y": y, "label": 1}],
        "boundingBox": {
            "xMin": round(max(0.0, x - 0.2), 2),
            "yMin": round(max(0.0, y - 0.2), 2),
            "xMax": round(min(1.0, x + 0.2), 2),
            "yMax": round(min(1.0, y + 0.2), 2),
        },
    }


def _ms(unix: float) -> int:
    return int(unix * 1000)


def revision(job: CogniteJob, now: float) -> tuple[int, int]:
    """What the job object depends on at ``now``: its step and how many batches finished.

    Two instants with the same revision give the same object, so its encoding can be
    reused (result bodies run to kilobytes of floats, slow to encode).
    """
    elapsed = now - job.plan.created
    return job.plan.index_at(now), sum(1 for batch in job.batches if batch.done <= elapsed)


def job_json(
    job: CogniteJob, now: float, epoch: float, *, echo_inputs: bool = False
) -> dict[str, Any]:
    """The job object at virtual time ``now`` (``epoch``: Unix time of virtual 0).

    ``echo_inputs``: list every requested file even past ``Queued`` (the create answer).
    """
    plan = job.plan
    index = plan.index_at(now)
    status = plan.steps[index].state
    elapsed = now - plan.created
    finished = [batch for batch in job.batches if batch.done <= elapsed]
    done_results = {
        position: job.results[position]
        for batch in finished
        if batch.error is None
        for position in batch.files
    }
    key = "segments" if job.job_type == "segment" else "predictions"
    items: list[dict[str, Any]] = []
    if status == "Queued" or echo_inputs:
        for position, ref in enumerate(job.files):
            item = ref.json()
            if position in done_results:
                item[key] = done_results[position]
            items.append(item)
    else:
        for position in sorted(done_results):
            items.append({**job.files[position].json(), key: done_results[position]})
    failed = [
        {"errorMessage": batch.error, "items": [job.files[p].json() for p in batch.files]}
        for batch in finished
        if batch.error is not None
    ]
    changed = max([plan.steps[index].at, *(batch.done for batch in finished)])
    started = plan.created if status == "Queued" else plan.started(1)
    body: dict[str, Any] = {
        "status": status,
        "createdTime": _ms(epoch + plan.created),
        "startTime": _ms(epoch + started),
        "statusTime": _ms(epoch + plan.created + changed),
        "jobId": job.id,
        "items": items,
        **job.extra,
    }
    error = failed[0]["errorMessage"] if status == "Failed" and failed else None
    if job.job_type == "segment" or error is not None:
        body["errorMessage"] = error
    if failed:
        body["failedItems"] = failed
    return body
