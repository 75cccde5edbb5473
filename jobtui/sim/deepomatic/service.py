"""Deepomatic v0.7 tasks: ``pending`` → ``success`` (classification or detection) / ``error``.

Endpoints (under ``/deepomatic``), all behind ``X-API-KEY``:

- ``GET /v0.7/tasks/{id}`` and ``/v0.7/tasks/{id}/`` — one task;
- ``GET /v0.7/tasks/?task_ids=A&task_ids=B&offset=0&limit=100`` (slash optional) —
  ``{count, next, previous, results}``;
- ``POST /v0.7/recognition/versions/{id}/inference``,
  ``/v0.7/recognition/public/{name}/inference`` and ``/v0.7/networks/{id}/inference``
  (JSON ``inputs``, or a multipart upload) — ``{"task_id": ...}``.

Errors are Django-REST style ``{"detail": "..."}``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

from jobtui.sim.api import ProviderSim, SimRequest, SimResponse, World, json_response
from jobtui.sim.lifecycle import Plan, iso_micro_z, seed_position, spread, step_plan

__all__ = ["API_KEY", "DeepomaticSim"]

API_KEY = "sim-deepomatic-key"
"""The only ``X-API-KEY`` the simulated Deepomatic accepts."""

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

_LABELS: tuple[tuple[int, str], ...] = (
    (207, "golden retriever"),
    (208, "labrador retriever"),
    (281, "tabby cat"),
    (285, "egyptian cat"),
    (409, "analog clock"),
    (436, "station wagon"),
    (511, "convertible"),
    (717, "pickup truck"),
    (779, "school bus"),
    (817, "sports car"),
    (920, "traffic light"),
    (950, "orange"),
)
_ERRORS: tuple[str, ...] = (
    "Could not download image: 404 Client Error: Not Found for url",
    "Cannot decode image: unsupported format",
    "Worker timed out while processing the task",
    "Image too large: 8192x8192 exceeds 4096x4096",
)


@dataclass
class _Task:
    id: str
    plan: Plan
    data: dict[str, Any]
    error: str
    dates: tuple[str, str] | None = None
    """(date_created, date the task leaves pending), formatted once: a task's plan is fixed."""


class DeepomaticSim(ProviderSim):
    """The simulated Deepomatic API."""

    kind: ClassVar[str] = "deepomatic"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.jobs: dict[str, _Task] = {}
        ids = world.rng(self.kind, "#ids")
        self._next_id = 269_999_729 + ids.randrange(1_000_000)

    # -- jobs ---------------------------------------------------------------------------

    def _new_id(self) -> str:
        self._next_id += 1 + (self._next_id * 7919) % 13  # not consecutive, still ordered
        return str(self._next_id)

    def _make(self, job_id: str, created: float, outcome: str | None) -> _Task:
        rng = self.world.rng(self.kind, job_id)
        if outcome is None:
            outcome = "error" if rng.random() < 0.15 else "success"
        pending = rng.uniform(0.2, 3.0) if rng.random() < 0.3 else spread(rng)
        plan = step_plan(created, [("pending", pending), (outcome, 0.0)])
        detection = rng.random() < 0.35
        return _Task(job_id, plan, _outputs(rng, detection), rng.choice(_ERRORS))

    def seed_jobs(self, count: int) -> list[str]:
        """Tasks at random points: pending, success and error all present."""
        now = self.world.now()
        created: list[str] = []
        for index in range(count):
            job_id = self._new_id()
            outcome = "error" if (index // 2) % 4 == 3 else "success"
            task = self._make(job_id, now, outcome if index < 24 else None)
            rng = self.world.rng(self.kind, job_id + "#seed")
            task.plan = seed_position(task.plan, now, index, rng)
            self.jobs[job_id] = task
            created.append(job_id)
        return created

    def create_job(self, body: object | None = None) -> str:
        """A new pending task starting now."""
        job_id = self._new_id()
        self.jobs[job_id] = self._make(job_id, self.world.now(), None)
        return job_id

    def config(self, base_url: str) -> dict[str, object]:
        """``[providers.deepomatic]`` for the simulator."""
        return {"kind": self.kind, "base_url": base_url, "api_key": API_KEY}

    # -- HTTP ---------------------------------------------------------------------------

    def fault_response(self, status: int, message: str) -> SimResponse:
        """Injected faults in Django-REST shape."""
        return json_response(status, {"detail": message})

    def handle(self, request: SimRequest) -> SimResponse:
        """Authenticate, then route to tasks, batch or inference."""
        key = request.headers.get("x-api-key")
        if not key:
            return json_response(401, {"detail": "Authentication credentials were not provided."})
        if key != API_KEY:
            return json_response(401, {"detail": "Invalid API key."})
        parts = request.path.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "v0.7" and parts[1] == "tasks":
            if request.method != "GET":
                return _not_allowed(request.method)
            if len(parts) == 2:
                return self._batch(request)
            if len(parts) == 3:
                task = self.jobs.get(parts[2])
                if task is None:
                    return json_response(404, {"detail": "Not found."})
                return json_response(200, self._task_json(task))
        if (
            len(parts) == 5
            and parts[:2] == ["v0.7", "recognition"]
            and parts[2] in ("versions", "public")
            and parts[4] == "inference"
        ) or (len(parts) == 4 and parts[:2] == ["v0.7", "networks"] and parts[3] == "inference"):
            if request.method != "POST":
                return _not_allowed(request.method)
            return self._inference(request)
        return json_response(404, {"detail": "Not found."})

    def endpoint(self, request: SimRequest) -> str:
        """Stats name: the batch and single-task endpoints counted apart."""
        parts = request.path.strip("/").split("/")
        if parts[:2] == ["v0.7", "tasks"]:
            return (
                f"{request.method} /v0.7/tasks/"
                if len(parts) == 2
                else (f"{request.method} /v0.7/tasks/{{id}}")
            )
        return super().endpoint(request)

    def _task_json(self, task: _Task) -> dict[str, Any]:
        state = task.plan.state_at(self.world.now())
        if task.dates is None:
            task.dates = (
                iso_micro_z(self.world.wall(task.plan.created)),
                iso_micro_z(self.world.wall(task.plan.finished_at())),
            )
        created, finished = task.dates
        return {
            "id": task.id,
            "status": state,
            "error": task.error if state == "error" else None,
            "date_created": created,
            "date_updated": created if state == "pending" else finished,
            "data": task.data if state == "success" else None,
            "subtasks": None,
        }

    def jobs_asked(self, request: SimRequest) -> list[str]:
        """The task ids of a batch (``task_ids``), else the one in the path."""
        if "task_ids" not in request.query:
            return super().jobs_asked(request)
        asked = (part.strip() for value in request.query["task_ids"] for part in value.split(","))
        return list(dict.fromkeys(job_id for job_id in asked if job_id))

    def _batch(self, request: SimRequest) -> SimResponse:
        wanted: list[str] = []
        seen: set[str] = set()
        for value in request.query.get("task_ids", []):
            for job_id in value.split(","):
                job_id = job_id.strip()
                if job_id and job_id not in seen:
                    seen.add(job_id)
                    wanted.append(job_id)
        try:
            offset = max(0, int(request.param("offset") or 0))
            limit = min(MAX_LIMIT, max(1, int(request.param("limit") or DEFAULT_LIMIT)))
        except ValueError:
            return json_response(400, {"detail": "offset and limit must be integers."})
        if "task_ids" in request.query:
            tasks = [self.jobs[job_id] for job_id in wanted if job_id in self.jobs]
        else:
            tasks = list(self.jobs.values())
        page = tasks[offset : offset + limit]

        def link(new_offset: int) -> str:
            query: list[tuple[str, str | int]] = [("task_ids", job_id) for job_id in wanted]
            query += [("limit", limit), ("offset", new_offset)]
            host = request.headers.get("host", "127.0.0.1")
            return f"http://{host}/{self.kind}{request.path}?{urlencode(query)}"

        return json_response(
            200,
            {
                "count": len(tasks),
                "next": link(offset + limit) if offset + limit < len(tasks) else None,
                "previous": link(max(0, offset - limit)) if offset > 0 else None,
                "results": [self._task_json(task) for task in page],
            },
        )

    def _inference(self, request: SimRequest) -> SimResponse:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            # Their client uploads local image files as multipart: accept any non-empty upload.
            if not request.body:
                return json_response(400, {"inputs": ["This field is required."]})
            return json_response(200, {"task_id": self.create_job(None)})
        try:
            body = request.json()
        except ValueError:
            return json_response(400, {"detail": "JSON parse error."})
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            return json_response(400, {"inputs": ["This field is required."]})
        return json_response(200, {"task_id": self.create_job(body)})


def _not_allowed(method: str) -> SimResponse:
    return json_response(405, {"detail": f'Method "{method}" not allowed.'})


def _outputs(rng: random.Random, detection: bool) -> dict[str, Any]:
    """A ``data`` object: classification labels, or detections with ``roi.bbox``."""
    chosen = rng.sample(_LABELS, k=rng.randint(2, 5))
    threshold = 0.025 if not detection else 0.5
    predicted: list[dict[str, Any]] = []
    discarded: list[dict[str, Any]] = []
    for position, (label_id, name) in enumerate(chosen):
        score = round(rng.uniform(0.6, 0.99) if position == 0 else rng.uniform(0.001, 0.6), 9)
        entry: dict[str, Any] = {
            "threshold": threshold,
            "label_id": label_id,
            "score": score,
            "label_name": name,
        }
        if detection:
            xmin, ymin = round(rng.uniform(0.0, 0.6), 4), round(rng.uniform(0.0, 0.6), 4)
            entry["roi"] = {
                "region_id": position + 1,
                "bbox": {
                    "xmin": xmin,
                    "ymin": ymin,
                    "xmax": round(min(1.0, xmin + rng.uniform(0.1, 0.4)), 4),
                    "ymax": round(min(1.0, ymin + rng.uniform(0.1, 0.4)), 4),
                },
            }
        (predicted if score >= threshold else discarded).append(entry)
    predicted.sort(key=lambda item: -float(item["score"]))
    return {"outputs": [{"labels": {"predicted": predicted, "discarded": discarded}}]}
