"""super.AI jobs: SCHEDULED → IN_PROGRESS (sometimes SUSPENDED) → a final state, output apart.

Endpoints (under ``/superai``), all behind the ``API-KEY`` header:

- ``GET /v1/jobs/{id}`` (``id`` or ``uuid``) — the job object, no output;
- ``GET /v1/jobs/{id}/response`` — the output, once ``COMPLETED``;
- ``POST /v1/jobs/{id}/cancel`` — only while SCHEDULED, IN_PROGRESS or SUSPENDED;
- ``GET /v1/apps/{app}/jobs?page=0&size=500&statusIn=…&createdStartDate=…&sortBy=id&orderBy=desc``
  — ``{jobs, pages}``;
- ``POST /v1/apps/{app}/jobs`` with ``{inputs: [...], callbackUrl, metadata, tags}`` →
  ``{message, batchId}`` plus the job's ``uuid`` when one input was sent.

Errors are JSON with a ``message`` field.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from jobtui.sim.api import ProviderSim, SimRequest, SimResponse, World, json_response
from jobtui.sim.lifecycle import Plan, iso_offset, random_uuid, seed_position, spread, step_plan

__all__ = ["API_KEY", "SuperaiSim"]

API_KEY = "sim-superai-key"
"""The only ``API-KEY`` the simulated super.AI accepts."""

CANCELABLE = frozenset({"SCHEDULED", "IN_PROGRESS", "SUSPENDED"})
FINAL = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

_OUTCOMES = ("COMPLETED_SUSPENDED", "FAILED", "CANCELED", "EXPIRED", "COMPLETED")
_DATE_FILTERS = ("createdStartDate", "createdEndDate", "completedStartDate", "completedEndDate")
_ANSWERS = ("poodle", "beagle", "husky", "corgi", "dalmatian", "shiba inu")
_TAGS = ("poodle", "pink", "outdoor", "night", "batch-a", "priority")


@dataclass
class _Job:
    id: str
    uuid: str
    app_id: str
    batch_id: str
    plan: Plan
    input: dict[str, Any]
    tags: list[str]
    metadata: dict[str, Any] | None
    callback_url: str | None
    job_type: str
    output: dict[str, Any]
    correct: bool
    extra: dict[str, Any] = field(default_factory=dict)


class SuperaiSim(ProviderSim):
    """The simulated super.AI API."""

    kind: ClassVar[str] = "superai"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.jobs: dict[str, _Job] = {}
        self._by_uuid: dict[str, _Job] = {}
        self._ids = world.rng(self.kind, "#ids")
        self.app_id = random_uuid(self._ids)
        """The one app every simulated job belongs to."""
        self._next_id = 1_234_567 + self._ids.randrange(100_000)

    # -- jobs ---------------------------------------------------------------------------

    def _plan(self, rng: random.Random, created: float, outcome: str) -> Plan:
        scheduled = spread(rng) / 2
        working = spread(rng)
        if outcome == "EXPIRED":
            return step_plan(created, [("SCHEDULED", rng.uniform(600.0, 3000.0)), ("EXPIRED", 0)])
        if outcome == "CANCELED":
            return step_plan(
                created,
                [
                    ("SCHEDULED", scheduled),
                    ("IN_PROGRESS", working / 2),
                    ("SUSPENDED", rng.uniform(30.0, 900.0)),
                    ("CANCELED", 0),
                ],
            )
        if outcome == "COMPLETED_SUSPENDED":
            return step_plan(
                created,
                [
                    ("SCHEDULED", scheduled),
                    ("IN_PROGRESS", working / 2),
                    ("SUSPENDED", rng.uniform(30.0, 600.0)),
                    ("IN_PROGRESS", working / 2),
                    ("COMPLETED", 0),
                ],
            )
        steps = [("SCHEDULED", scheduled), ("IN_PROGRESS", working), (outcome, 0.0)]
        return step_plan(created, steps)

    def _make(self, created: float, outcome: str | None, body: dict[str, Any] | None) -> _Job:
        self._next_id += 1 + self._ids.randrange(5)
        job_id = str(self._next_id)
        rng = self.world.rng(self.kind, job_id)
        if outcome is None:
            roll = rng.random()
            outcome = (
                "EXPIRED"
                if roll < 0.05
                else "CANCELED"
                if roll < 0.1
                else "FAILED"
                if roll < 0.2
                else "COMPLETED_SUSPENDED"
                if roll < 0.35
                else "COMPLETED"
            )
        body = body or {}
        given_input = body.get("input")
        answer = rng.choice(_ANSWERS)
        image = f"data://12345/images/dogs/{answer.replace(' ', '-')}/{job_id}.jpeg"
        metadata = body.get("metadata")
        callback = body.get("callbackUrl")
        job = _Job(
            id=job_id,
            uuid=random_uuid(rng),
            app_id=self.app_id,
            batch_id=str(body.get("batchId") or random_uuid(rng)),
            plan=self._plan(rng, created, outcome),
            input=given_input if isinstance(given_input, dict) else {"image_url": image},
            tags=[tag for tag in body.get("tags", []) if isinstance(tag, str)]
            if isinstance(body.get("tags"), list)
            else rng.sample(_TAGS, k=rng.randint(0, 2)),
            metadata=metadata if isinstance(metadata, dict) else None,
            callback_url=callback if isinstance(callback, str) else None,
            job_type=rng.choice(("DEFAULT",) * 8 + ("CALIBRATION", "ONBOARDING")),
            output={
                "label": answer,
                "confidence": round(rng.uniform(0.6, 0.99), 4),
                "bounding_boxes": [
                    {
                        "label": answer,
                        "x": rng.randrange(0, 400),
                        "y": rng.randrange(0, 300),
                        "width": rng.randrange(40, 240),
                        "height": rng.randrange(40, 240),
                    }
                    for _ in range(rng.randint(0, 3))
                ],
            },
            correct=rng.random() < 0.9,
        )
        if rng.random() < 0.5:
            job.extra["baselineId"] = rng.randrange(100_000, 999_999)
        return job

    def _add(self, job: _Job) -> None:
        self.jobs[job.id] = job
        self._by_uuid[job.uuid] = job

    def seed_jobs(self, count: int) -> list[str]:
        """Jobs in every state: scheduled, running, suspended and all four endings."""
        now = self.world.now()
        created: list[str] = []
        for index in range(count):
            outcome = _OUTCOMES[index % len(_OUTCOMES)] if index < 40 else None
            job = self._make(now, outcome, None)
            rng = self.world.rng(self.kind, job.id + "#seed")
            job.plan = seed_position(job.plan, now, index // len(_OUTCOMES), rng)
            self._add(job)
            created.append(job.id)
        return created

    def create_job(self, body: object | None = None) -> str:
        """A new scheduled job starting now (``body``: one ``input`` object, optional)."""
        given = {"input": body} if isinstance(body, dict) else None
        job = self._make(self.world.now(), None, given)
        self._add(job)
        return job.id

    def config(self, base_url: str) -> dict[str, object]:
        """``[providers.superai]`` for the simulator."""
        return {"kind": self.kind, "base_url": base_url, "api_key": API_KEY}

    # -- HTTP ---------------------------------------------------------------------------

    def endpoint(self, request: SimRequest) -> str:
        """Stats name: ``GET /v1/jobs/{id}``, ``GET /v1/apps/{app}/jobs``, ..."""
        parts = request.path.strip("/").split("/")
        if len(parts) >= 3 and parts[:2] == ["v1", "jobs"]:
            return f"{request.method} /v1/jobs/{{id}}" + "".join(f"/{p}" for p in parts[3:])
        if len(parts) >= 3 and parts[:2] == ["v1", "apps"]:
            return f"{request.method} /v1/apps/{{app}}" + "".join(f"/{p}" for p in parts[3:])
        return super().endpoint(request)

    def handle(self, request: SimRequest) -> SimResponse:
        """Authenticate with ``API-KEY``, then route."""
        key = request.headers.get("api-key")
        if not key:
            return _error(401, "Missing API-KEY header")
        if key != API_KEY:
            return _error(401, "Invalid API key")
        parts = request.path.strip("/").split("/")
        if len(parts) in (3, 4) and parts[:2] == ["v1", "jobs"]:
            job = self.jobs.get(parts[2]) or self._by_uuid.get(parts[2])
            action = parts[3] if len(parts) == 4 else None
            if action not in (None, "response", "cancel"):
                return _error(404, "Not found")
            if job is None:
                return _error(404, f"Job {parts[2]} not found")
            if action is None:
                return self._only(request, "GET") or json_response(200, self._job_json(job))
            if action == "response":
                return self._only(request, "GET") or self._response(job)
            return self._only(request, "POST") or self._cancel(job)
        if len(parts) == 4 and parts[:2] == ["v1", "apps"] and parts[3] == "jobs":
            if parts[2] != self.app_id:
                return _error(404, f"App {parts[2]} not found")
            if request.method == "GET":
                return self._list(request)
            if request.method == "POST":
                return self._create(request)
            return _error(405, "Method not allowed")
        return _error(404, "Not found")

    @staticmethod
    def _only(request: SimRequest, method: str) -> SimResponse | None:
        return None if request.method == method else _error(405, "Method not allowed")

    def _job_json(self, job: _Job) -> dict[str, Any]:
        now = self.world.now()
        state = job.plan.state_at(now)
        finished = state in FINAL
        payload: dict[str, Any] = {
            "id": job.id,
            "completed": iso_offset(self.world.wall(job.plan.finished_at())) if finished else None,
            "created": iso_offset(self.world.wall(job.plan.created)),
            "callbackUrl": job.callback_url,
            "appId": job.app_id,
            "status": state,
            "input": job.input,
            "metadata": job.metadata,
            "tags": job.tags,
            "uuid": job.uuid,
            "correct": job.correct if state == "COMPLETED" else None,
            "jobType": job.job_type,
            "batchId": job.batch_id,
        }
        payload.update(job.extra)
        return payload

    def _response(self, job: _Job) -> SimResponse:
        state = job.plan.state_at(self.world.now())
        if state != "COMPLETED":
            return _error(404, f"Job {job.id} has no response (status {state})")
        return json_response(200, {"id": job.id, "uuid": job.uuid, "response": job.output})

    def _cancel(self, job: _Job) -> SimResponse:
        now = self.world.now()
        state = job.plan.state_at(now)
        if state not in CANCELABLE:
            return _error(409, f"Job {job.id} cannot be canceled in status {state}")
        job.plan = job.plan.cut(now, "CANCELED")
        return json_response(200, self._job_json(job))

    def _list(self, request: SimRequest) -> SimResponse:
        try:
            page = max(0, int(request.param("page") or 0))
            size = min(MAX_PAGE_SIZE, max(1, int(request.param("size") or DEFAULT_PAGE_SIZE)))
        except ValueError:
            return _error(400, "page and size must be integers")
        wanted = {
            status.strip()
            for value in request.query.get("statusIn", [])
            for status in value.split(",")
            if status.strip()
        }
        bounds = {name: _parse_date(request.param(name)) for name in _DATE_FILTERS}
        if any(value is False for value in bounds.values()):
            return _error(400, f"{', '.join(_DATE_FILTERS)} must be ISO 8601 dates")
        now = self.world.now()
        rows: list[tuple[_Job, str]] = []
        for job in self.jobs.values():
            state = job.plan.state_at(now)
            if wanted and state not in wanted:
                continue
            created = self.world.wall(job.plan.created)
            completed = self.world.wall(job.plan.finished_at()) if state in FINAL else None
            if not _within(created, bounds["createdStartDate"], bounds["createdEndDate"]):
                continue
            if (bounds["completedStartDate"] or bounds["completedEndDate"]) and not (
                completed is not None
                and _within(completed, bounds["completedStartDate"], bounds["completedEndDate"])
            ):
                continue
            rows.append((job, state))
        sort_by = request.param("sortBy") or "id"
        descending = (request.param("orderBy") or "asc").lower() == "desc"
        if sort_by == "created":
            rows.sort(key=lambda row: row[0].plan.created, reverse=descending)
        else:
            rows.sort(key=lambda row: int(row[0].id), reverse=descending)
        chunk = rows[page * size : (page + 1) * size]
        return json_response(
            200,
            {
                "jobs": [self._job_json(job) for job, _ in chunk],
                "pages": math.ceil(len(rows) / size),
            },
        )

    def _create(self, request: SimRequest) -> SimResponse:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "Request body must be JSON")
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            return _error(400, "inputs must be a non-empty list")
        batch_id = random_uuid(self._ids)
        jobs: list[_Job] = []
        for item in inputs:
            job = self._make(
                self.world.now(),
                None,
                {
                    "input": item,
                    "batchId": batch_id,
                    "tags": body.get("tags"),
                    "metadata": body.get("metadata"),
                    "callbackUrl": body.get("callbackUrl"),
                },
            )
            self._add(job)
            jobs.append(job)
        # As their client documents it: a confirmation, the batch id, the job's uuid if one.
        answer: dict[str, Any] = {
            "message": f"Successfully submitted {len(jobs)} job(s)",
            "batchId": batch_id,
        }
        if len(jobs) == 1:
            answer["uuid"] = jobs[0].uuid
        return json_response(200, answer)


def _error(status: int, message: str) -> SimResponse:
    return json_response(status, {"message": message})


def _within(moment: float, start: float | bool | None, end: float | bool | None) -> bool:
    """Whether ``moment`` lies between the optional bounds (inclusive)."""
    if isinstance(start, float) and moment < start:
        return False
    return not (isinstance(end, float) and moment > end)


def _parse_date(text: str | None) -> float | bool | None:
    """A Unix time from an ISO 8601 date; None when absent, False when invalid."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # a date without offset means UTC
    return parsed.timestamp()
