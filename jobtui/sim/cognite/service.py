"""Cognite Data Fusion vision jobs: ``Queued → Running → Completed/Failed``, behind OIDC tokens.

Endpoints (under ``/cognite``):

- ``POST /oauth2/v2.0/token`` — the project's identity provider (client credentials,
  form-encoded; see ``cognite_auth``);
- ``GET /api/v1/projects/{project}/context/vision/segment/{jobId}`` and
  ``…/extract/{jobId}`` — one job;
- ``POST /api/v1/projects/{project}/context/vision/segment`` (``items``, optional
  ``prompt``) and ``…/extract`` (``items``, ``features``, optional ``parameters``) —
  create; the answer is the new ``Queued`` job listing its files.

API calls need ``Authorization: Bearer <token>`` from the token endpoint and the project
``PROJECT``. Segmentation is a beta feature: its calls need ``cdf-version: beta`` (or
``alpha``, ``YYYYMMDD-beta``, ``YYYYMMDD-alpha``); extract is generally available, so
the header is optional there. Every answer carries ``x-request-id``;
errors are ``{"error": {"code", "message", "missing"?, "duplicated"?}}``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, ClassVar

from jobtui.sim.api import ProviderSim, SimRequest, SimResponse, World, json_response
from jobtui.sim.cognite.auth import TokenIssuer
from jobtui.sim.cognite.jobs import FEATURES, CogniteJob, FileRef, job_json, plan_job, revision
from jobtui.sim.lifecycle import seed_position
from jobtui.sim.media import media_response, segmented

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "PROJECT", "TOKEN_PATH", "CogniteSim"]

PROJECT = "sim-project"
"""The one CDF project the simulator hosts."""
CLIENT_ID = "sim-cognite-client"
"""The client id the simulated identity provider knows."""
CLIENT_SECRET = "sim-cognite-secret"
"""That client's secret."""
TOKEN_PATH = "/oauth2/v2.0/token"
"""The token endpoint, under the ``/cognite`` prefix."""

MAX_ITEMS = 100
"""Files per create request."""

_PREVIEW = re.compile(r"(\d{8}-)?(alpha|beta)")
_RELEASE = re.compile(r"\d{8}")
_JOB_TYPES = ("segment", "extract")
_SHOWCASE: tuple[tuple[str, int], ...] = (
    # (outcome, step to be in): every state, and partial results, on a first screen.
    ("clean", 0),
    ("clean", 1),
    ("clean", 2),
    ("partial", 1),
    ("partial", 2),
    ("failed", 2),
    ("failed", 1),
)


def _error(status: int, message: str, **extra: Any) -> SimResponse:
    return json_response(status, {"error": {"code": status, "message": message, **extra}})


class CogniteSim(ProviderSim):
    """The simulated Cognite vision API and the identity provider in front of it."""

    kind: ClassVar[str] = "cognite"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.jobs: dict[str, CogniteJob] = {}
        self._bodies: dict[str, tuple[tuple[int, int], SimResponse]] = {}
        """Each job's latest answer and the revision it shows (see ``cognite_jobs.revision``)."""
        ids = world.rng(self.kind, "#ids")
        self._next_id = 2_318_790_512_553_474 + ids.randrange(10**12)
        self._request_ids = world.rng(self.kind, "#request-ids")
        self.tokens = TokenIssuer(
            CLIENT_ID, CLIENT_SECRET, world.now, world.rng(self.kind, "#tokens")
        )

    # -- jobs ---------------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1 + self._next_id % 97
        return self._next_id

    def seed_jobs(self, count: int) -> list[str]:
        """Segment jobs at every point of the lifecycle (the default config polls segment)."""
        now = self.world.now()
        created: list[str] = []
        for index in range(count):
            job_id = self._new_id()
            rng = self.world.rng(self.kind, str(job_id))
            if index < len(_SHOWCASE):
                outcome, position = _SHOWCASE[index]
                job = plan_job(job_id, "segment", rng, now, outcome=outcome)
            else:
                job = plan_job(job_id, "segment", rng, now)
                position = 3 * len(job.plan.steps) + index  # past the walk: anywhere
            placed = self.world.rng(self.kind, f"{job_id}#seed")
            job.plan = seed_position(job.plan, now, position, placed)
            self.jobs[str(job_id)] = job
            created.append(str(job_id))
        return created

    def create_job(self, body: object | None = None) -> str:
        """A new job starting now; returns its id.

        ``body`` None: a random segment job. Otherwise a (validated) create request,
        with ``"_type": "extract"`` for an extract job: the type is in the URL, not
        the body, of a real request.
        """
        job_id = self._new_id()
        rng = self.world.rng(self.kind, str(job_id))
        options: dict[str, Any] = {}
        job_type = "segment"
        if isinstance(body, dict):
            job_type = "extract" if body.get("_type") == "extract" else "segment"
            options["files"] = [_file_for(item) for item in body.get("items") or ()]
            if job_type == "extract":
                options["features"] = list(body.get("features") or ())
                parameters = body.get("parameters")
                options["extra"] = {"parameters": parameters} if parameters is not None else {}
            else:
                prompt = body.get("prompt")
                options["extra"] = {"prompt": prompt} if prompt is not None else {}
        job = plan_job(job_id, job_type, rng, self.world.now(), **options)
        self.jobs[str(job_id)] = job
        return str(job_id)

    def config(self, base_url: str) -> dict[str, object]:
        """``[providers.cognite]``: client credentials against the simulated identity provider."""
        return {
            "kind": self.kind,
            "base_url": base_url,
            "project": PROJECT,
            "token_url": base_url.rstrip("/") + TOKEN_PATH,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scopes": [base_url.rstrip("/") + "/.default"],
            "allow_insecure": True,
        }

    # -- HTTP ---------------------------------------------------------------------------

    def fault_response(self, status: int, message: str) -> SimResponse:
        """Injected faults in CDF's error shape, with a request id like every answer."""
        return self._stamp(_error(status, message))

    def handle(self, request: SimRequest) -> SimResponse:
        """Route to the token endpoint or the vision API; stamp ``x-request-id``."""
        if request.path.rstrip("/") == TOKEN_PATH:
            return self._stamp(self.tokens.token_endpoint(request))
        return self._stamp(self._api(request))

    def endpoint(self, request: SimRequest) -> str:
        """Stats name: the project and job id as placeholders."""
        if request.path.rstrip("/") == TOKEN_PATH:
            return f"{request.method} {TOKEN_PATH}"
        parts = request.path.strip("/").split("/")
        if parts[:3] == ["api", "v1", "projects"] and len(parts) >= 4:
            parts[3] = "{project}"
            if len(parts) == 8:
                parts[7] = "{jobId}"
            return f"{request.method} /{'/'.join(parts)}"
        return super().endpoint(request)

    def _stamp(self, response: SimResponse) -> SimResponse:
        response.headers["x-request-id"] = f"{self._request_ids.getrandbits(64):016x}"
        return response

    def _api(self, request: SimRequest) -> SimResponse:
        scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not self.tokens.valid(token.strip()):
            return _error(401, "Unauthorized")
        parts = request.path.strip("/").split("/")
        if parts[:3] != ["api", "v1", "projects"] or len(parts) < 4:
            return _error(404, "Not Found")
        if parts[3] != PROJECT:
            return _error(
                403, "Resource not found. This may also be due to insufficient access rights."
            )
        route = parts[4:]
        if route == ["files", "downloadlink"]:
            if request.method != "POST":
                return _error(405, f"Method {request.method} not allowed")
            return self._download_links(request)
        if len(route) < 3 or route[:2] != ["context", "vision"] or route[2] not in _JOB_TYPES:
            return _error(404, "Not Found")
        refused = _check_version(request.headers.get("cdf-version"), route[2])
        if refused is not None:
            return refused
        job_type = route[2]
        if len(route) == 3:
            if request.method != "POST":
                return _error(405, f"Method {request.method} not allowed")
            return self._create(request, job_type)
        if len(route) == 4:
            if request.method != "GET":
                return _error(405, f"Method {request.method} not allowed")
            return self._get(route[3], job_type)
        return _error(404, "Not Found")

    def _file(self, wanted: object) -> tuple[FileRef, list[list[tuple[float, float]]]] | None:
        """The file an ``items[]`` entry names, with its polygons from the latest segment job."""
        if not isinstance(wanted, dict):
            return None
        instance = wanted.get("instanceId")
        found: tuple[FileRef, list[list[tuple[float, float]]]] | None = None
        for job in self.jobs.values():
            for ref, result in zip(job.files, job.results, strict=False):
                if not (
                    wanted.get("id") == ref.file_id
                    or (
                        wanted.get("externalId") is not None
                        and wanted.get("externalId") == ref.external_id
                    )
                    or (
                        isinstance(instance, dict)
                        and ref.instance is not None
                        and (instance.get("space"), instance.get("externalId")) == ref.instance
                    )
                ):
                    continue
                shapes: list[list[tuple[float, float]]] = []
                if job.job_type == "segment":
                    for segment in result:
                        for polygon in segment["polygons"]:
                            shapes.append([(v["x"], v["y"]) for v in polygon["vertices"]])
                found = (ref, shapes)
        return found

    def _download_links(self, request: SimRequest) -> SimResponse:
        """``POST /files/downloadlink``: where to download each file (a URL needing no token)."""
        try:
            body = request.json()
        except ValueError as error:
            return _error(400, str(error))
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            return _error(400, "items must be a non-empty list")
        answered: list[dict[str, Any]] = []
        missing: list[object] = []
        for item in items:
            found = self._file(item)
            if found is None:
                missing.append(item)
                continue
            ref = found[0]
            link = {
                **ref.json(),
                "downloadUrl": self.world.media_url(self.kind, f"files/{ref.file_id}.png"),
            }
            link["id"] = link.pop("fileId")
            answered.append(link)
        if missing:
            return _error(400, "Files not found", missing=missing)
        return json_response(200, {"items": answered})

    def media(self, request: SimRequest) -> SimResponse:
        """A file's picture: gray plant scenery with its segments painted where the job says."""
        parts = request.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "files" and parts[1].endswith(".png"):
            name = parts[1].removesuffix(".png")
            found = self._file({"id": int(name)}) if name.isdigit() else None
            if found is not None:
                return media_response(segmented(f"{self.world.seed}/{name}", found[1]))
        return SimResponse(404, b"file not found", {"content-type": "text/plain"})

    def _get(self, raw_id: str, job_type: str) -> SimResponse:
        if not raw_id.isdigit():
            return _error(400, f"Invalid job id: {raw_id[:40]!r}, expected an integer")
        key = str(int(raw_id))
        job = self.jobs.get(key)
        if job is None or job.job_type != job_type:
            return _error(404, "Job not found", missing=[{"jobId": int(raw_id)}])
        now = self.world.now()
        current = revision(job, now)
        cached = self._bodies.get(key)
        if cached is None or cached[0] != current:
            cached = (current, json_response(200, job_json(job, now, self.world.epoch)))
            self._bodies[key] = cached
        answer = cached[1]
        # A copy: the caller stamps its own headers on it.
        return SimResponse(answer.status, answer.body, dict(answer.headers))

    def _create(self, request: SimRequest, job_type: str) -> SimResponse:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "Invalid JSON in request body")
        if not isinstance(body, dict):
            return _error(400, "Expected a JSON object")
        problem = _check_items(body.get("items"))
        if isinstance(problem, SimResponse):
            return problem
        if job_type == "extract":
            features = body.get("features")
            if not isinstance(features, list) or not features:
                return _error(400, "features: must contain at least one feature")
            unknown = [f for f in features if not isinstance(f, str) or f not in FEATURES]
            if unknown:
                return _error(400, f"features: unknown feature {unknown[0]!r}")
            if "parameters" in body and not isinstance(body["parameters"], dict):
                return _error(400, "parameters: expected an object")
        elif "prompt" in body and not isinstance(body["prompt"], dict):
            return _error(400, "prompt: expected an object")
        job_id = self.create_job({**body, "_type": job_type})
        now = self.world.now()
        return json_response(
            200, job_json(self.jobs[job_id], now, self.world.epoch, echo_inputs=True)
        )


def _check_version(header: str | None, job_type: str) -> SimResponse | None:
    """``cdf-version``: segmentation is a beta feature and needs ``beta`` or ``alpha``;
    extract is generally available, so the header is optional there (but must be valid)."""
    version = (header or "").strip()
    if job_type == "segment" and not _PREVIEW.fullmatch(version):
        return _error(
            400,
            "Vision segmentation is a beta feature: set the header cdf-version: beta (or alpha)",
        )
    if version and not (_PREVIEW.fullmatch(version) or _RELEASE.fullmatch(version)):
        return _error(400, f"Invalid cdf-version header: {version[:40]!r}")
    return None


def _check_items(items: object) -> SimResponse | None:
    """Refuse a create request's ``items`` as CDF does: shape, size, duplicates."""
    if not isinstance(items, list) or not items:
        return _error(400, "items: must contain at least one file")
    if len(items) > MAX_ITEMS:
        return _error(400, f"items: at most {MAX_ITEMS} files per job")
    seen: set[str] = set()
    duplicated: list[Any] = []
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            return _error(400, f"items[{position}]: expected an object")
        given = [key for key in ("fileId", "fileExternalId", "fileInstanceId") if key in item]
        if len(given) != 1:
            return _error(
                400,
                f"items[{position}]: exactly one of fileId, fileExternalId, fileInstanceId",
            )
        value = item[given[0]]
        valid = {
            "fileId": isinstance(value, int) and not isinstance(value, bool) and value > 0,
            "fileExternalId": isinstance(value, str) and bool(value),
            "fileInstanceId": isinstance(value, dict)
            and isinstance(value.get("space"), str)
            and isinstance(value.get("externalId"), str),
        }[given[0]]
        if not valid:
            return _error(400, f"items[{position}].{given[0]}: invalid value")
        key = f"{given[0]}={value!r}"
        if key in seen:
            duplicated.append({given[0]: value})
        seen.add(key)
    if duplicated:
        return _error(400, "Duplicate files in items", duplicated=duplicated)
    return None


def _file_for(item: object) -> FileRef:
    """The file a (validated) create item names; files named otherwise get a stable id."""
    assert isinstance(item, dict)
    if "fileId" in item:
        return FileRef(int(item["fileId"]))
    if "fileExternalId" in item:
        external = str(item["fileExternalId"])
        return FileRef(_stable_id(external), external_id=external)
    instance = item["fileInstanceId"]
    space, external = str(instance["space"]), str(instance["externalId"])
    return FileRef(_stable_id(f"{space}\x00{external}"), instance=(space, external))


def _stable_id(name: str) -> int:
    digest = hashlib.blake2b(name.encode(), digest_size=7).digest()
    return 10**14 + int.from_bytes(digest, "big") % (8 * 10**15)
