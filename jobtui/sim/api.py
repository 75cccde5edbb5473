"""The interface every provider simulation implements, and the world they share.

A ``ProviderSim`` answers the HTTP requests of one provider kind (the server
strips the ``/<kind>`` prefix before handing a ``SimRequest`` over). Job state
is computed lazily from a per-job lifecycle plan and ``World.now()``, so a
frozen clock freezes every job and advancing the clock moves them all.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl

__all__ = [
    "ProviderSim",
    "SimRequest",
    "SimResponse",
    "World",
    "json_response",
]

_FIXED_SEGMENT = re.compile(r"[a-z][a-z_-]*|v\d+(\.\d+)?|")


@dataclass(frozen=True)
class SimRequest:
    """One HTTP request as a provider simulation sees it."""

    method: str
    """Upper-case HTTP method."""
    path: str
    """Path after the ``/<kind>`` prefix, e.g. ``/v2/ask/abc`` (no query string)."""
    query: dict[str, list[str]] = field(default_factory=dict)
    """Query parameters; repeated names keep every value in order."""
    headers: dict[str, str] = field(default_factory=dict)
    """Headers with lower-case names."""
    body: bytes = b""
    """The raw request body."""

    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError on bad JSON (or an empty body)."""
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"invalid JSON body: {error}") from None

    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (last value wins)."""
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            return {}
        return dict(parse_qsl(text, keep_blank_values=True))

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class SimResponse:
    """One HTTP response produced by a provider simulation."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra headers; the server adds Content-Length (and Content-Type if missing)."""


def json_response(
    status: int, payload: object, headers: Mapping[str, str] | None = None
) -> SimResponse:
    """A JSON response with ``Content-Type: application/json``."""
    merged = {"content-type": "application/json"}
    if headers:
        merged.update({name.lower(): value for name, value in headers.items()})
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return SimResponse(status, body, merged)


class World:
    """What all provider simulations share: the virtual clock and the seed."""

    def __init__(
        self,
        seed: int = 0,
        now: Callable[[], float] | None = None,
        epoch: float = 1_767_225_600.0,
    ) -> None:
        self.seed = seed
        """The world's seed: same seed, same jobs."""
        self.epoch = epoch
        """The Unix time of virtual second 0 (timestamps in bodies are ``epoch + now()``)."""
        self._now = now if now is not None else (lambda: 0.0)
        self.origin: Callable[[], str] = lambda: "http://127.0.0.1"
        """The simulator's own ``scheme://host:port`` (set by the server), for media URLs."""

    def now(self) -> float:
        """Virtual seconds since the simulator started (frozen at speed 0)."""
        return self._now()

    def wall(self, virtual: float | None = None) -> float:
        """The Unix time of a virtual instant (default: now), for timestamps in bodies."""
        return self.epoch + (self.now() if virtual is None else virtual)

    def media_url(self, kind: str, path: str) -> str:
        """The URL where the simulator serves one of ``kind``'s images (``/_media/...``)."""
        return f"{self.origin()}/_media/{kind}/{path.lstrip('/')}"

    def rng(self, kind: str, job_id: str) -> random.Random:
        """A random generator determined by the seed, the provider kind and the job id."""
        digest = hashlib.blake2b(
            f"{self.seed}\x00{kind}\x00{job_id}".encode(), digest_size=8
        ).digest()
        return random.Random(int.from_bytes(digest, "big"))


class ProviderSim(ABC):
    """One provider's simulated API: its jobs, its endpoints and its config table."""

    kind: ClassVar[str]
    """The provider kind, also the URL prefix (``/<kind>``)."""

    def __init__(self, world: World) -> None:
        self.world = world

    @abstractmethod
    def seed_jobs(self, count: int) -> list[str]:
        """Create ``count`` jobs at random points of their lifecycles (deterministic per seed)."""

    @abstractmethod
    def create_job(self, body: object | None = None) -> str:
        """Create a job starting now (``body``: the create request's JSON, if any)."""

    @abstractmethod
    def handle(self, request: SimRequest) -> SimResponse:
        """Answer any request under this provider's prefix, auth and errors included."""

    @abstractmethod
    def config(self, base_url: str) -> dict[str, object]:
        """The ``[providers.<name>]`` table for config.toml (kind, base_url, credentials)."""

    def endpoint(self, request: SimRequest) -> str:
        """The endpoint name counted in ``/_sim/stats``, e.g. ``GET /v2/ask/{id}``.

        The default replaces every path segment that does not look like a fixed
        word (lower-case letters and dashes, or a version such as ``v0.7``) by
        ``{id}``, so that per-job paths count as one endpoint.
        """
        parts = [
            part if _FIXED_SEGMENT.fullmatch(part) else "{id}" for part in request.path.split("/")
        ]
        return f"{request.method} {'/'.join(parts)}"

    def jobs_asked(self, request: SimRequest) -> list[str]:
        """The ids of the jobs ``request`` asks about (counted in ``/_sim/stats?detail=1``).

        The default takes the path segments that name a job this simulation knows.
        """
        jobs = getattr(self, "jobs", None)
        if not isinstance(jobs, Mapping):
            return []
        return [part for part in request.path.split("/") if part and part in jobs]

    def media(self, request: SimRequest) -> SimResponse:
        """Serve one image this simulation names (``request.path`` is after ``/_media/<kind>``).

        The default knows no images: 404.
        """
        return SimResponse(404, b"no such image", {"content-type": "text/plain"})

    def fault_response(self, status: int, message: str) -> SimResponse:
        """The body of an injected fault (429, 500, 503) in this provider's error shape."""
        return json_response(status, {"message": message})

    def job_ids(self) -> list[str]:
        """Every job id this simulation knows, in creation order.

        The default lists the keys of a ``jobs`` mapping attribute, if there is one.
        """
        jobs = getattr(self, "jobs", None)
        if isinstance(jobs, Mapping):
            return [str(job_id) for job_id in jobs]
        return []
