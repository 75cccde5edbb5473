"""Image Intelligence v2: ask, detect and match jobs whose images finish one by one.

Endpoints (under ``/imageintelligence``):

- ``POST /v2/oauth/token`` with JSON ``{clientId, clientSecret}`` → an access token
  that expires after 24 h of simulated time;
- ``GET /v2/{ask|detect|match}/{id}`` — the job (shared envelope);
- ``GET /v2/{ask|detect|match}?customId=&feedId=&before=&after=`` — a plain array;
- ``POST /v2/{ask|detect|match}`` — create a job (``images[1..64]``).

Everything but the token endpoint needs ``Authorization: Bearer <accessToken>``.
Error bodies are plain text: the service documents no error schema.
"""

from __future__ import annotations

from typing import Any, ClassVar

from jobtui.sim.api import ProviderSim, SimRequest, SimResponse, World, json_response
from jobtui.sim.imageintelligence.jobs import IMAGE_ERRORS, IiJob, job_json, make_job
from jobtui.sim.lifecycle import random_uuid, seed_position
from jobtui.sim.media import media_response, photo

_NAMED_HOSTS: dict[str, str] = {
    "https://publicly.available.domain.net/": "public/",
    "https://api.quickpix.io/images/": "proxy/",
}
"""The made-up hosts of seeded image URLs, and where the simulator serves them instead."""

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "IMAGE_ERRORS",
    "TOKEN_LIFETIME",
    "ImageIntelligenceSim",
]

CLIENT_ID = "sim-imageintelligence-client"
"""The client id the simulated token endpoint accepts."""
CLIENT_SECRET = "sim-imageintelligence-secret"
"""The client secret the simulated token endpoint accepts."""
TOKEN_LIFETIME = 24 * 3600.0
"""Simulated seconds an access token stays valid."""

JOB_TYPES = ("ask", "detect", "match")
MAX_IMAGES = 64
MAX_CREATE_BYTES = 8 * 1024 * 1024
NOT_FOUND = "No job found with the given ID"
SCOPE = (
    "ask:read ask:create detect:read detect:create match:read match:create "
    "feedback:read feedback:create"
)
"""Space-delimited scopes, in the style of the service's token example."""
_FIELD_LIMITS = {"customId": 64, "feedId": 64, "webhookUrl": 512}


class ImageIntelligenceSim(ProviderSim):
    """The simulated Image Intelligence API."""

    kind: ClassVar[str] = "imageintelligence"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.jobs: dict[str, IiJob] = {}
        self._ids = world.rng(self.kind, "#ids")
        self._tokens: dict[str, float] = {}
        """Access token → virtual time it expires."""
        self._issued = 0

    # -- jobs ---------------------------------------------------------------------------

    def _make(
        self, created: float, job_type: str, outcome: str | None, body: dict[str, Any] | None
    ) -> IiJob:
        job_id = random_uuid(self._ids)
        rng = self.world.rng(self.kind, job_id)
        return make_job(job_id, rng, created, job_type, outcome, body)

    def seed_jobs(self, count: int) -> list[str]:
        """Ask jobs at random points: in progress, succeeded, partial and all-error."""
        now = self.world.now()
        outcomes = ("ok", "partial", "ok", "all", "partial")
        created: list[str] = []
        for index in range(count):
            outcome = outcomes[index % len(outcomes)] if index < 20 else None
            job = self._make(now, "ask", outcome, None)
            rng = self.world.rng(self.kind, job.id + "#seed")
            job.plan = seed_position(job.plan, now, index // len(outcomes), rng)
            self.jobs[job.id] = job
            created.append(job.id)
        return created

    def create_job(self, body: object | None = None) -> str:
        """A new ask job starting now (``body``: a create request, optional)."""
        job = self._make(self.world.now(), "ask", None, body if isinstance(body, dict) else None)
        self.jobs[job.id] = job
        return job.id

    def config(self, base_url: str) -> dict[str, object]:
        """``[providers.imageintelligence]`` for the simulator."""
        return {
            "kind": self.kind,
            "base_url": base_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }

    # -- HTTP ---------------------------------------------------------------------------

    def fault_response(self, status: int, message: str) -> SimResponse:
        """Injected faults as plain text, like the service's other errors."""
        return _text(status, message)

    def endpoint(self, request: SimRequest) -> str:
        """Stats name: ``GET /v2/ask/{id}``, ``POST /v2/oauth/token``, ``GET /v2/ask``."""
        parts = request.path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "v2" and parts[1] in JOB_TYPES:
            return f"{request.method} /v2/{parts[1]}/{{id}}"
        return f"{request.method} /{'/'.join(parts)}"

    def _served(self, body: dict[str, Any]) -> dict[str, Any]:
        """The job with seeded image URLs pointing at the simulator (a user's own URLs kept)."""
        _point_at(body, self.world.media_url(self.kind, ""))
        return body

    def media(self, request: SimRequest) -> SimResponse:
        """An input image (``public/...``) or its proxied copy (``proxy/<id>``), same picture."""
        area, _, rest = request.path.strip("/").partition("/")
        if area == "public" and rest:
            return media_response(photo(f"{self.world.seed}/{rest}"))
        if area == "proxy" and rest:
            proxy = "https://api.quickpix.io/images/" + rest
            for job in self.jobs.values():
                for image in job.images:
                    if image.proxy_url == proxy:
                        seed = image.url.removeprefix("https://publicly.available.domain.net/")
                        return media_response(photo(f"{self.world.seed}/{seed}"))
        return _text(404, "Not Found")

    def handle(self, request: SimRequest) -> SimResponse:
        """Token endpoint without auth; everything else behind a valid Bearer token."""
        parts = request.path.strip("/").split("/")
        if parts == ["v2", "oauth", "token"]:
            if request.method != "POST":
                return _text(405, "Method Not Allowed")
            return self._token(request)
        unauthorized = self._check_token(request)
        if unauthorized is not None:
            return unauthorized
        if len(parts) >= 2 and parts[0] == "v2" and parts[1] in JOB_TYPES:
            job_type = parts[1]
            if len(parts) == 2:
                if request.method == "GET":
                    return self._search(job_type, request)
                if request.method == "POST":
                    return self._create(job_type, request)
                return _text(405, "Method Not Allowed")
            if len(parts) == 3 and request.method == "GET":
                job = self.jobs.get(parts[2])
                if job is None or job.job_type != job_type:
                    return _text(404, NOT_FOUND)
                return json_response(200, self._served(job_json(job, self.world)))
        if len(parts) == 3 and parts[:2] == ["v2", "feedback"] and request.method == "GET":
            return _text(404, NOT_FOUND)
        return _text(404, "Not Found")

    def _token(self, request: SimRequest) -> SimResponse:
        try:
            body = request.json()
        except ValueError:
            return _text(400, "Request body must be JSON: {clientId, clientSecret}")
        if not isinstance(body, dict) or "clientId" not in body or "clientSecret" not in body:
            return _text(400, "Missing clientId or clientSecret")
        if body.get("clientId") != CLIENT_ID or body.get("clientSecret") != CLIENT_SECRET:
            return _text(401, "Invalid client credentials")
        now = self.world.now()
        self._issued += 1
        token = f"iisim.{self._issued}.{random_uuid(self._ids).replace('-', '')}"
        self._tokens[token] = now + TOKEN_LIFETIME
        return json_response(
            200,
            {
                "accessToken": token,
                "expiresAt": int(self.world.wall(now + TOKEN_LIFETIME) * 1000),
                "issuedAt": int(self.world.wall(now) * 1000),
                "orgName": "jobtui simulator",
                "appName": "jobtui-sim",
                "scope": SCOPE,
            },
        )

    def _check_token(self, request: SimRequest) -> SimResponse | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _text(401, "Missing Authorization Bearer token")
        expires = self._tokens.get(token.strip())
        if expires is None:
            return _text(401, "Invalid access token")
        if self.world.now() >= expires:
            return _text(401, "Access token expired")
        return None

    def _search(self, job_type: str, request: SimRequest) -> SimResponse:
        custom_id, feed_id = request.param("customId"), request.param("feedId")
        try:
            before = int(request.param("before") or 0) or None
            after = int(request.param("after") or 0) or None
        except ValueError:
            return _text(400, "before and after must be UNIX timestamps in milliseconds")
        found: list[dict[str, Any]] = []
        for job in self.jobs.values():
            if job.job_type != job_type:
                continue
            if custom_id is not None and job.custom_id != custom_id:
                continue
            if feed_id is not None and job.feed_id != feed_id:
                continue
            created_ms = int(self.world.wall(job.plan.created) * 1000)
            if before is not None and created_ms >= before:
                continue
            if after is not None and created_ms <= after:
                continue
            found.append(self._served(job_json(job, self.world)))
        return json_response(200, found)

    def _create(self, job_type: str, request: SimRequest) -> SimResponse:
        if len(request.body) > MAX_CREATE_BYTES:
            return _text(413, "Request Entity Too Large")
        try:
            body = request.json()
        except ValueError:
            return _text(400, "Request body must be JSON")
        if not isinstance(body, dict):
            return _text(400, "Request body must be a JSON object")
        images = body.get("images")
        if not isinstance(images, list) or not 1 <= len(images) <= MAX_IMAGES:
            return _text(400, f"images must hold 1 to {MAX_IMAGES} images")
        for image in images:
            if not isinstance(image, dict) or not (
                isinstance(image.get("url"), str) or isinstance(image.get("blob"), str)
            ):
                return _text(400, "each image needs a url or a base64 blob")
        for field, limit in _FIELD_LIMITS.items():
            value = body.get(field)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                return _text(400, f"{field} must be a string of at most {limit} characters")
        if job_type == "ask":
            question = body.get("question")
            if not isinstance(question, str) or not question or len(question) > 256:
                return _text(400, "question is required (at most 256 characters)")
        job = self._make(self.world.now(), job_type, None, body)
        self.jobs[job.id] = job
        return json_response(200, self._served(job_json(job, self.world)))


def _text(status: int, message: str) -> SimResponse:
    headers = {"content-type": "text/plain; charset=utf-8"}
    return SimResponse(status, message.encode("utf-8"), headers)


def _point_at(node: object, base: str) -> None:
    """Rewrite ``url``/``proxyUrl`` values on the made-up hosts to ``base`` (in place)."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, str):
                node[index] = _moved(item, base)
            else:
                _point_at(item, base)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if isinstance(value, str) and key in ("url", "proxyUrl"):
            node[key] = _moved(value, base)
        elif isinstance(value, dict | list):
            _point_at(value, base)


def _moved(url: str, base: str) -> str:
    for host, area in _NAMED_HOSTS.items():
        if url.startswith(host):
            return base + area + url.removeprefix(host)
    return url
