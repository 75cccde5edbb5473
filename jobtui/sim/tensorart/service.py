"""Tensor.Art TAMS jobs: ``CREATED → PENDING → WAITING → RUNNING → SUCCESS/FAILED/CANCELED``.

Endpoints (under ``/tensorart``), all behind ``Authorization``: a Bearer
``TOKEN``, or a ``TAMS-SHA256-RSA`` signature by app ``APP_ID`` (see
``tensorart_auth``):

- ``GET /v1/jobs/{jobId}`` — ``{"job": {...}}``;
- ``DELETE /v1/jobs/{jobId}`` — cancel, ``{"jobId": ...}``;
- ``POST /v1/jobs`` (``requestId`` + ``stages``), ``POST /v1/jobs/workflow``
  (``requestId`` + ``params``, a node graph) and ``POST /v1/jobs/workflow/template``
  (``requestId`` + ``templateId`` + ``fields.fieldAttrs``) — create, ``{"job": {...}}``;
  a repeated ``requestId`` returns the job it created first.

Errors are gRPC-gateway bodies ``{code, message, details}`` (``code`` the gRPC code).
"""

from __future__ import annotations

import random
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from jobtui.sim.api import ProviderSim, SimRequest, SimResponse, World, json_response
from jobtui.sim.lifecycle import seed_position
from jobtui.sim.media import media_response, scene, signature
from jobtui.sim.tensorart.auth import (
    SCHEME,
    AuthRejected,
    SignatureChecker,
    app_private_key_pem,
    app_public_key,
)
from jobtui.sim.tensorart.jobs import CDN, STATES, TensorartJob, job_json, plan_job

__all__ = ["APP_ID", "TOKEN", "TensorartSim"]

TOKEN = "sim-tensorart-token"
"""The Bearer token the simulated Tensor.Art accepts."""

APP_ID = "sim-tams-app"
"""The app whose signatures it verifies (key pair: ``tensorart_auth.app_private_key_pem``)."""

# gRPC status codes, as gRPC-gateway puts them in error bodies.
_INVALID_ARGUMENT = 3
_FAILED_PRECONDITION = 9
_UNIMPLEMENTED = 12
_GRPC_BY_STATUS = {400: 3, 401: 16, 403: 7, 404: 5, 429: 8, 500: 13, 502: 14, 503: 14}

_SHOWCASE: tuple[tuple[str, str | None, int], ...] = (
    # (outcome, failure code, step to be in), so a first screen shows every state.
    ("SUCCESS", None, 0),
    ("SUCCESS", None, 1),
    ("SUCCESS", None, 2),
    ("SUCCESS", None, 3),
    ("SUCCESS", None, 4),
    ("FAILED", "TRANSITORY_ERROR", 4),
    ("FAILED", "FATAL_ERROR", 4),
    ("CANCELED", None, 4),
    ("SUCCESS", None, 2),
    ("FAILED", "TRANSITORY_ERROR", 3),
)
_STAGE_TYPES = frozenset(
    {
        "INPUT_INITIALIZE",
        "DIFFUSION",
        "VIDEO_DIFFUSION",
        "IMAGE_TO_UPSCALER",
        "IMAGE_TO_ADETAILER",
        "IMAGE_TO_INPAINT",
        "IMAGE_TO_OUTPAINT",
    }
)
_PATH_SAFE = "/-._~!$&'()*+,;=:@"


def _error(status: int, message: str, code: int | None = None) -> SimResponse:
    grpc = code if code is not None else _GRPC_BY_STATUS.get(status, 2)
    return json_response(status, {"code": grpc, "message": message, "details": []})


class _BadRequest(Exception):
    """A create request the API refuses with 400; the message is returned."""


class TensorartSim(ProviderSim):
    """The simulated Tensor.Art TAMS API."""

    kind: ClassVar[str] = "tensorart"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.jobs: dict[str, TensorartJob] = {}
        self._by_request: dict[str, str] = {}
        ids = world.rng(self.kind, "#ids")
        # Snowflake-like ids: increasing 64-bit numbers, never consecutive.
        self._next_id = 1_813_792_398_476_169_216 + ids.randrange(10**15)
        self._signatures = SignatureChecker({APP_ID: app_public_key()})

    # -- jobs ---------------------------------------------------------------------------

    def _new_id(self) -> str:
        self._next_id += 4_096 + (self._next_id * 7_919) % 1_048_576
        return str(self._next_id)

    def seed_jobs(self, count: int) -> list[str]:
        """Jobs at every point of the lifecycle: the first ten walk through each state."""
        now = self.world.now()
        created: list[str] = []
        for index in range(count):
            job_id = self._new_id()
            rng = self.world.rng(self.kind, job_id)
            if index < len(_SHOWCASE):
                outcome, code, step = _SHOWCASE[index]
                job = plan_job(job_id, rng, now, outcome=outcome, failure_code=code)
                if step < len(STATES):
                    job = self._with_phase(job, step, rng)
                position = step
            else:
                job = plan_job(job_id, rng, now)
                position = 3 * len(job.plan.steps) + index  # past the walk: anywhere
            placed = self.world.rng(self.kind, job_id + "#seed")
            job.plan = seed_position(job.plan, now, position, placed)
            self.jobs[job_id] = job
            created.append(job_id)
        return created

    def _with_phase(self, job: TensorartJob, step: int, rng: random.Random) -> TensorartJob:
        """Redraw until the plan spends time in ``step`` (a skipped WAITING shows nothing)."""
        while job.plan.steps[step + 1].at - job.plan.steps[step].at <= 0:
            job = plan_job(
                job.id,
                rng,
                job.plan.created,
                outcome=job.plan.steps[-1].state,
                failure_code=job.failure[0],
            )
        return job

    def create_job(self, body: object | None = None) -> str:
        """A new job starting now; returns its id.

        ``body`` None: a random job. Otherwise a validated create request, with
        ``"_route"`` naming its endpoint (``""`` for ``/v1/jobs``, ``"workflow"``,
        ``"workflow/template"``), which decides the job's shape.
        """
        job_id = self._new_id()
        rng = self.world.rng(self.kind, job_id)
        options = _options(body) if isinstance(body, dict) else {}
        self.jobs[job_id] = plan_job(job_id, rng, self.world.now(), **options)
        return job_id

    def config(self, base_url: str) -> dict[str, object]:
        """``[providers.tensorart]``: signed requests with the simulator's app key."""
        return {
            "kind": self.kind,
            "base_url": base_url,
            "app_id": APP_ID,
            "private_key": app_private_key_pem(),
            "allow_insecure": True,
        }

    # -- HTTP ---------------------------------------------------------------------------

    def fault_response(self, status: int, message: str) -> SimResponse:
        """Injected faults in gRPC-gateway shape."""
        return _error(status, message)

    def handle(self, request: SimRequest) -> SimResponse:
        """Authenticate, then route to get, cancel or create."""
        refusal = self._authenticate(request)
        if refusal is not None:
            return refusal
        parts = request.path.strip("/").split("/")
        if parts[:2] != ["v1", "jobs"]:
            return _error(404, "Not Found")
        rest = parts[2:]
        if rest in ([], ["workflow"], ["workflow", "template"]):
            if request.method != "POST":
                return _error(405, "Method Not Allowed", _UNIMPLEMENTED)
            return self._create(request, "/".join(rest))
        if len(rest) == 1:
            job = self.jobs.get(rest[0])
            if request.method == "GET":
                if job is None:
                    return _error(404, "job not found")
                return json_response(200, {"job": self._job_json(job)})
            if request.method == "DELETE":
                return self._cancel(job)
            return _error(405, "Method Not Allowed", _UNIMPLEMENTED)
        return _error(404, "Not Found")

    def endpoint(self, request: SimRequest) -> str:
        """Stats name: per-job paths as ``/v1/jobs/{id}``."""
        parts = request.path.strip("/").split("/")
        if len(parts) == 3 and parts[:2] == ["v1", "jobs"] and parts[2] != "workflow":
            return f"{request.method} /v1/jobs/{{id}}"
        return super().endpoint(request)

    def _authenticate(self, request: SimRequest) -> SimResponse | None:
        header = request.headers.get("authorization", "").strip()
        scheme, _, credentials = header.partition(" ")
        if not header:
            return _error(401, "missing authorization header")
        if scheme.lower() == "bearer":
            if credentials.strip() != TOKEN:
                return _error(401, "invalid api key")
            return None
        if scheme != SCHEME:
            return _error(401, "unsupported authorization scheme")
        pairs = [(name, value) for name, values in request.query.items() for value in values]
        # The server hands path and query over decoded; the client signed them as sent,
        # so try the usual spellings (the plain one first: ids and paths are ASCII words).
        path = quote(request.path, safe=_PATH_SAFE)
        queries = {urlencode(pairs), urlencode(pairs, quote_via=quote)} if pairs else {""}
        paths = [
            spelling + (f"?{query}" if query else "")
            for query in sorted(queries)
            for spelling in (path, request.path)
        ]
        try:
            self._signatures.check(credentials, request.method, paths, request.body)
        except AuthRejected as refused:
            return _error(401, str(refused))
        return None

    def _job_json(self, job: TensorartJob) -> dict[str, Any]:
        body = job_json(job, self.world.now(), self.world.epoch)
        _sign_urls(body, self.world.media_url(self.kind, ""), self._url_secret())
        return body

    def _url_secret(self) -> str:
        return f"tensorart-cdn-{self.world.seed}"

    def media(self, request: SimRequest) -> SimResponse:
        """A result image, as the CDN serves a signed URL: refused once it has expired.

        Expiry follows the virtual clock, so advancing it really expires the URLs
        (403 with the object store's ``Request has expired``).
        """
        parts = request.path.strip("/").split("/")
        expires_text, sig = request.param("expires"), request.param("sig")
        if len(parts) != 2 or expires_text is None or sig is None or not expires_text.isdigit():
            return _cdn_error(403, "AccessDenied", "Request is missing a signature.")
        expires = int(expires_text)
        if sig != signature(self._url_secret(), request.path, expires):
            return _cdn_error(403, "SignatureDoesNotMatch", "The request signature does not match.")
        if self.world.wall() > expires:
            return _cdn_error(403, "AccessDenied", "Request has expired.")
        job = self.jobs.get(parts[0])
        name, _, extension = parts[1].partition(".")
        output = next((o for o in job.outputs if o.id == name), None) if job else None
        if job is None or output is None or output.kind != "image" or extension != output.format:
            return _cdn_error(404, "NoSuchKey", "The specified key does not exist.")
        return media_response(
            scene(f"{self.world.seed}/{job.id}/{output.id}", output.width, output.height)
        )

    def _cancel(self, job: TensorartJob | None) -> SimResponse:
        if job is None:
            return _error(404, "job not found")
        now = self.world.now()
        state = job.plan.state_at(now)
        if state in ("SUCCESS", "FAILED"):
            return _error(400, f"job already finished: {state}", _FAILED_PRECONDITION)
        if state != "CANCELED":
            job.plan = job.plan.cut(now, "CANCELED")
        return json_response(200, {"jobId": job.id})

    def _create(self, request: SimRequest, route: str) -> SimResponse:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "invalid request body: not JSON", _INVALID_ARGUMENT)
        try:
            request_id = _validate(body, route)
        except _BadRequest as refused:
            return _error(400, str(refused), _INVALID_ARGUMENT)
        job_id = self._by_request.get(request_id)
        if job_id is None:
            assert isinstance(body, dict)
            job_id = self.create_job({**body, "_route": route})
            self._by_request[request_id] = job_id
        return json_response(200, {"job": self._job_json(self.jobs[job_id])})


def _validate(body: object, route: str) -> str:
    """Check a create request as the API does; returns its ``requestId``."""
    if not isinstance(body, dict):
        raise _BadRequest("invalid request body: expected an object")
    request_id = body.get("requestId")
    if not isinstance(request_id, str) or not request_id.strip():
        raise _BadRequest("requestId is required")
    if route == "":
        _validate_stages(body.get("stages"))
    elif route == "workflow":
        params = body.get("params")
        if not isinstance(params, dict) or not params:
            raise _BadRequest("params is required: a map of node id to node")
        for node_id, node in params.items():
            if not isinstance(node, dict) or not isinstance(node.get("classType"), str):
                raise _BadRequest(f"params.{node_id}.classType is required")
    else:
        template = body.get("templateId")
        if not isinstance(template, str) or not template.isdigit():
            raise _BadRequest("templateId is required")
        fields = body.get("fields")
        attrs = fields.get("fieldAttrs") if isinstance(fields, dict) else None
        if not isinstance(attrs, list):
            raise _BadRequest("fields.fieldAttrs is required")
        for position, attr in enumerate(attrs):
            if not isinstance(attr, dict) or not all(
                isinstance(attr.get(key), str) for key in ("nodeId", "fieldName")
            ):
                raise _BadRequest(f"fields.fieldAttrs[{position}]: nodeId and fieldName required")
    return request_id


def _validate_stages(stages: object) -> None:
    if not isinstance(stages, list) or not stages:
        raise _BadRequest("stages is required")
    types: list[str] = []
    for position, stage in enumerate(stages):
        kind = stage.get("type") if isinstance(stage, dict) else None
        if kind not in _STAGE_TYPES:
            raise _BadRequest(f"stages[{position}].type: unknown stage type {kind!r}")
        assert isinstance(stage, dict) and isinstance(kind, str)
        types.append(kind)
        if kind == "INPUT_INITIALIZE":
            count = _field(stage, "inputInitialize", "count")
            if count is not None and not _int_in(count, 1, 4):
                raise _BadRequest("inputInitialize.count must be between 1 and 4")
        if kind == "DIFFUSION":
            for name in ("width", "height"):
                value = _field(stage, "diffusion", name)
                if value is not None and not (_int_in(value, 512, 1536) and value % 64 == 0):
                    raise _BadRequest(f"diffusion.{name} must be 512-1536, a multiple of 64")
            steps = _field(stage, "diffusion", "steps")
            if steps is not None and not _int_in(steps, 1, 60):
                raise _BadRequest("diffusion.steps must be between 1 and 60")
    if "DIFFUSION" not in types and "VIDEO_DIFFUSION" not in types:
        raise _BadRequest("stages: a DIFFUSION stage is required")


def _field(stage: dict[str, Any], block: str, name: str) -> Any:
    inner = stage.get(block)
    return inner.get(name) if isinstance(inner, dict) else None


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _options(body: dict[str, Any]) -> dict[str, Any]:
    """What a (validated) create request fixes about the job it makes."""
    route = body.get("_route")
    options: dict[str, Any] = {}
    if route == "":
        options["workflow"] = False
        stages = [stage for stage in body.get("stages") or () if isinstance(stage, dict)]
        for stage in stages:
            count = _field(stage, "inputInitialize", "count")
            if isinstance(count, int):
                options["images"] = count
            width, height = (
                _field(stage, "diffusion", "width"),
                _field(stage, "diffusion", "height"),
            )
            if isinstance(width, int) and isinstance(height, int):
                options["size"] = (width, height)
        options["video"] = any(stage.get("type") == "VIDEO_DIFFUSION" for stage in stages)
    elif route == "workflow":
        options["workflow"] = True
        options["nodes"] = [str(node_id) for node_id in body.get("params") or {}]
    elif route == "workflow/template":
        options["workflow"] = True
    return options


def _cdn_error(status: int, code: str, message: str) -> SimResponse:
    """An object-store error document (the CDN behind result URLs speaks XML, not JSON)."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return SimResponse(status, body.encode(), {"content-type": "application/xml"})


def _sign_urls(node: object, base: str, secret: str) -> None:
    """Point every result ``url`` at the simulator's CDN, signed with its expiry."""
    if isinstance(node, list):
        for item in node:
            _sign_urls(item, base, secret)
        return
    if not isinstance(node, dict):
        return
    url = node.get("url")
    if isinstance(url, str) and url.startswith(CDN + "/"):
        path, _, query = url.removeprefix(CDN).partition("?expires=")
        if query.isdigit():
            sig = signature(secret, path, int(query))
            node["url"] = f"{base}{path.lstrip('/')}?expires={query}&sig={sig}"
    for value in node.values():
        if isinstance(value, dict | list):
            _sign_urls(value, base, secret)
