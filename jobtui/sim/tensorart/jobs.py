"""Tensor.Art jobs in the simulator: how one is planned, and its ``job`` object at any instant.

A job walks ``CREATED → PENDING → WAITING → RUNNING`` and ends ``SUCCESS``,
``FAILED`` or ``CANCELED`` (a cancellation cuts the plan). Skipped phases have
zero duration (a job refused at dispatch goes from PENDING straight to FAILED).
Everything about a job is drawn once from its seeded generator; the answer at a
given virtual instant is computed from the plan, so it is the same on every run.

Wire choices the published schema leaves open, made once here: progress values
are fractions (0–1); ``queueRank``/``queueLen``, ``expiredIn`` and the
``ctime``/``mtime`` of a workflow are numeric strings (uint64 in the API, which
gRPC-gateway sends as text), instants being epoch milliseconds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jobtui.sim.lifecycle import Plan, spread, step_plan

__all__ = [
    "CDN",
    "FAILURES",
    "OUTCOMES",
    "STATES",
    "Output",
    "TensorartJob",
    "job_json",
    "plan_job",
]

STATES: tuple[str, ...] = ("CREATED", "PENDING", "WAITING", "RUNNING")
"""The non-final states, in order (every plan has these four steps, some of zero length)."""

OUTCOMES: tuple[str, ...] = ("SUCCESS", "FAILED", "CANCELED")
"""Final states."""

FAILURES: dict[str, tuple[str, ...]] = {
    "TRANSITORY_ERROR": (
        "GPU worker lost during generation, please retry",
        "Generation timed out",
        "Service is busy, please try again later",
        "Out of GPU memory",
    ),
    "FATAL_ERROR": (
        "Model not found: 600423083519508503",
        "Prompt rejected by content moderation",
        "Invalid parameter: width must be a multiple of 64",
        "Workflow node 10 (LoraLoader): lora not found",
    ),
}
"""Failure codes and the reasons the simulator gives with them."""

_WORKFLOWS: tuple[tuple[tuple[str, ...], str], ...] = (
    # (node ids in execution order, the output kind of the last node)
    (("4", "6", "7", "5", "3", "8", "9"), "image"),
    (("4", "10", "6", "7", "5", "3", "8", "12", "9"), "image"),
    (("1", "2", "3", "4", "5", "6"), "video"),
    (("11", "14", "30", "27", "3", "8", "9"), "image"),
)
_SIZES: tuple[tuple[int, int], ...] = ((512, 768), (768, 1024), (1024, 1024), (832, 1216))
_URL_LIFETIME = 6 * 3600.0
"""Result URLs stay valid this long after the job succeeds."""
CDN = "https://tams-sim-output.tensorart.invalid"
"""Where result URLs point before the service signs them for its own media endpoint."""


@dataclass(frozen=True)
class Output:
    """One image or video the job produces."""

    id: str
    kind: str
    """``image`` or ``video``."""
    format: str
    width: int
    height: int


@dataclass
class TensorartJob:
    """Everything about one simulated job; the state at an instant comes from ``plan``."""

    id: str
    plan: Plan
    credits: float
    outputs: tuple[Output, ...]
    nodes: tuple[str, ...]
    """Workflow node ids in execution order; empty for a stage (non-workflow) job."""
    node_ends: tuple[float, ...]
    """Fraction of the full run at which each node finishes (increasing, the last is 1)."""
    run_total: float
    """Seconds the RUNNING phase takes when nothing interrupts it."""
    queue_rank: int
    """Place in the queue when WAITING begins; it counts down to 1."""
    queue_behind: int
    """Jobs queued behind this one when WAITING begins."""
    failure: tuple[str, str]
    """``(code, reason)`` shown if the job ends FAILED."""
    workflow_id: str


def _uint64(rng: random.Random) -> str:
    return str(rng.randrange(10**17, 10**18 * 9))


def plan_job(
    job_id: str,
    rng: random.Random,
    created: float,
    *,
    outcome: str | None = None,
    failure_code: str | None = None,
    nodes: Sequence[str] | None = None,
    workflow: bool | None = None,
    images: int | None = None,
    size: tuple[int, int] | None = None,
    video: bool | None = None,
) -> TensorartJob:
    """Draw a job's whole life from ``rng`` (arguments fix what a create request asked for)."""
    if outcome is None:
        roll = rng.random()
        outcome = "FAILED" if roll < 0.18 else "CANCELED" if roll < 0.25 else "SUCCESS"
    if failure_code is None:
        failure_code = rng.choice(tuple(FAILURES))
    failure = (failure_code, rng.choice(FAILURES[failure_code]))
    shape_nodes, shape_output = rng.choice(_WORKFLOWS)
    if workflow is None:
        workflow = rng.random() < 0.75
    node_ids: tuple[str, ...] = ()
    if workflow:
        node_ids = tuple(nodes) if nodes else shape_nodes
    if video is None:
        video = workflow and shape_output == "video" and not nodes
    width, height = size or rng.choice(_SIZES)
    count = images if images is not None else rng.choice((1, 1, 1, 2, 4))
    outputs: list[Output] = []
    if video:
        outputs.append(Output(_uint64(rng), "video", "mp4", width, height))
        count = rng.choice((0, 1))  # a cover frame, sometimes
    outputs += [Output(_uint64(rng), "image", "png", width, height) for _ in range(count)]

    weights = [
        rng.uniform(0.2, 1.0) if i % 3 else rng.uniform(0.02, 0.1) for i in range(len(node_ids))
    ]
    total = sum(weights) or 1.0
    ends: list[float] = []
    acc = 0.0
    for weight in weights:
        acc += weight / total
        ends.append(min(1.0, acc))
    if ends:
        ends[-1] = 1.0

    created_for = rng.uniform(0.3, 2.0)
    pending = rng.uniform(0.5, 8.0)
    waiting = spread(rng) if rng.random() < 0.8 else 0.0
    # Videos take longer, still within about an hour.
    run_total = min(3600.0, spread(rng) * (1.5 if video else 1.0))
    running = run_total
    if outcome == "FAILED":
        if failure_code == "FATAL_ERROR" and rng.random() < 0.5:
            waiting = running = 0.0  # refused at dispatch: bad parameters never queue
        else:
            running = run_total * rng.uniform(0.05, 0.95)
    elif outcome == "CANCELED":
        if rng.random() < 0.5:
            running = 0.0
            waiting *= rng.uniform(0.1, 0.9)  # the user gave up while it queued
        else:
            running = run_total * rng.uniform(0.05, 0.95)
    plan = step_plan(
        created,
        [
            ("CREATED", created_for),
            ("PENDING", pending),
            ("WAITING", waiting),
            ("RUNNING", running),
            (outcome, 0.0),
        ],
    )
    unit = 1.0 if rng.random() < 0.5 else 0.5
    credits = round(
        unit * max(1, len(outputs)) * rng.choice((1, 2, 3, 5, 8)) * (4 if video else 1), 2
    )
    return TensorartJob(
        id=job_id,
        plan=plan,
        credits=credits,
        outputs=tuple(outputs),
        nodes=node_ids,
        node_ends=tuple(ends),
        run_total=run_total,
        queue_rank=rng.randint(1, 60),
        queue_behind=rng.randint(0, 40),
        failure=failure,
        workflow_id=_uint64(rng),
    )


def _ms(unix: float) -> str:
    return str(int(unix * 1000))


def _image_json(job: TensorartJob, output: Output, expires: float) -> dict[str, Any]:
    extension = "mp4" if output.kind == "video" else output.format
    return {
        "id": output.id,
        "url": f"{CDN}/{job.id}/{output.id}.{extension}?expires={int(expires)}",
        "expiredIn": _ms(expires),
        "meta": {
            "image": {"format": output.format, "width": output.width, "height": output.height}
        },
    }


def _node_json(status: str, progress: float) -> dict[str, Any]:
    return {"status": status, "progress": round(progress, 4)}


def _workflow_json(
    job: TensorartJob, fraction: float, status: str, ctime: float, mtime: float, expires: float
) -> dict[str, Any]:
    """``workflowFinishItem`` when ``fraction`` of the full run is done."""
    nodes: dict[str, Any] = {}
    finished: dict[str, Any] = {}
    start = 0.0
    current = 0
    for position, (node_id, end) in enumerate(zip(job.nodes, job.node_ends, strict=True)):
        if fraction >= end:
            node = _node_json("SUCCESS", 1.0)
            if position == len(job.nodes) - 1:
                images = [_image_json(job, o, expires) for o in job.outputs if o.kind == "image"]
                node["outputUi"] = {"images": images}
            nodes[node_id] = node
            finished[node_id] = node
            current = position + 1
        elif fraction > start or (position == current and status == "RUNNING"):
            nodes[node_id] = _node_json("RUNNING", (fraction - start) / max(end - start, 1e-9))
        else:
            nodes[node_id] = _node_json("INIT", 0.0)
        start = end
    return {
        "status": status,
        "progress": round(min(1.0, fraction), 4),
        "step": min(current + 1, len(job.nodes)) if status == "RUNNING" else len(job.nodes),
        "id": job.workflow_id,
        "ctime": _ms(ctime),
        "mtime": _ms(mtime),
        "nodes": nodes,
        "finishedNodes": finished,
    }


def _running_start(plan: Plan) -> float:
    """Virtual time RUNNING begins; a plan cut short before it (canceled while queued) has
    no RUNNING step, and only RUNNING and SUCCESS bodies use this instant."""
    running = STATES.index("RUNNING")
    if running < len(plan.steps) and plan.steps[running].state == "RUNNING":
        return plan.started(running)
    return plan.finished_at()


def job_json(job: TensorartJob, now: float, epoch: float) -> dict[str, Any]:
    """The ``job`` object at virtual time ``now`` (``epoch``: Unix time of virtual 0)."""
    plan = job.plan
    index = plan.index_at(now)
    state = plan.steps[index].state
    body: dict[str, Any] = {"id": job.id, "status": state, "credits": job.credits}
    running_start = _running_start(plan)
    if state == "WAITING":
        waited = now - plan.started(index)
        length = plan.steps[index + 1].at - plan.steps[index].at
        done = min(1.0, waited / length) if length > 0 else 1.0
        rank = max(1, math.ceil(job.queue_rank * (1.0 - done)))
        # Jobs keep arriving behind this one while it moves up.
        behind = job.queue_behind + int(done * job.queue_rank * 0.6)
        body["waitingInfo"] = {"queueRank": str(rank), "queueLen": str(rank + behind)}
    elif state == "RUNNING":
        fraction = min(1.0, (now - running_start) / job.run_total) if job.run_total else 1.0
        info: dict[str, Any] = {
            "processingImages": [
                {
                    # No URL until the image exists: proto3 JSON leaves empty fields out.
                    "resourceImage": {
                        "id": output.id,
                        "meta": {
                            "image": {
                                "format": output.format,
                                "width": output.width,
                                "height": output.height,
                            }
                        },
                    },
                    "progress": round(fraction, 4),
                }
                for output in job.outputs
                if output.kind == "image"
            ]
        }
        if job.nodes:
            info["workflowFinishItem"] = _workflow_json(
                job, fraction, "RUNNING", epoch + running_start, epoch + now, 0.0
            )
        body["runningInfo"] = info
    elif state == "SUCCESS":
        finished = plan.finished_at()
        expires = epoch + finished + _URL_LIFETIME
        success: dict[str, Any] = {
            "images": [_image_json(job, o, expires) for o in job.outputs if o.kind == "image"],
            "videos": [_image_json(job, o, expires) for o in job.outputs if o.kind == "video"],
        }
        if job.nodes:
            success["workflowFinishItem"] = _workflow_json(
                job, 1.0, "SUCCESS", epoch + running_start, epoch + finished, expires
            )
        body["successInfo"] = success
    elif state == "FAILED":
        code, reason = job.failure
        body["failedInfo"] = {"reason": reason, "code": code}
    return body
