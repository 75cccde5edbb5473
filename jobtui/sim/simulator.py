"""``Simulator``: the five provider simulations, one virtual clock, one HTTP server.

It runs either in the caller's event loop (``await start()``) or in a thread
of its own (``start_in_thread()``, for ``jobtui demo`` and synchronous code).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import threading
import time
from typing import Any

from jobtui.sim.api import ProviderSim, World
from jobtui.sim.clock import SimClock
from jobtui.sim.faults import Fault
from jobtui.sim.server import SimServer

__all__ = ["SIM_MODULES", "Simulator", "available_sims"]

SIM_MODULES: dict[str, str] = {
    "imageintelligence": "jobtui.sim.imageintelligence.service",
    "deepomatic": "jobtui.sim.deepomatic.service",
    "superai": "jobtui.sim.superai.service",
    "tensorart": "jobtui.sim.tensorart.service",
    "cognite": "jobtui.sim.cognite.service",
}
"""Where each kind's simulation lives; each module defines one ``ProviderSim`` subclass."""


def available_sims() -> dict[str, type[ProviderSim]]:
    """The ProviderSim class of every kind whose module is present, by kind."""
    found: dict[str, type[ProviderSim]] = {}
    for kind, module_name in SIM_MODULES.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue  # that simulation has not landed: the others still run
            raise
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, ProviderSim)
                and value is not ProviderSim
                and getattr(value, "kind", None) == kind
            ):
                found[kind] = value
                break
    return found


class Simulator:
    """All provider simulations behind one loopback HTTP server.

    Args:
        jobs: jobs seeded per provider, at random points of their lifecycles.
        seed: same seed, same world (ids, lifecycles, faults).
        faults: share of provider requests that misbehave (0 to 1).
        speed: simulated seconds per real second; 0 freezes time.
        host, port: where to listen (port 0: a free port).
        slow_delay: real seconds a "slow answer" fault waits.
        epoch: Unix time of virtual second 0 (default: when the simulator is made).
    """

    def __init__(
        self,
        jobs: int = 40,
        seed: int = 0,
        faults: float = 0.0,
        speed: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        slow_delay: float = 2.0,
        epoch: float | None = None,
    ) -> None:
        if jobs < 0:
            raise ValueError("jobs must be 0 or more")
        if speed < 0:
            raise ValueError("speed must be 0 or more")
        self.seed = seed
        self._speed = speed
        self.host = host
        # Frozen while seeding, so seeding is exact; time starts running at start().
        self.clock = SimClock(0.0)
        self.world = World(seed, self.clock.now, time.time() if epoch is None else epoch)
        self._lock = threading.Lock()
        # Media URLs in payloads name this server; they are only rendered once it is bound.
        self.world.origin = lambda: self.url
        self._sims: dict[str, ProviderSim] = {
            kind: cls(self.world) for kind, cls in available_sims().items()
        }
        for sim in self._sims.values():
            sim.seed_jobs(jobs)
        self._server = SimServer(
            self._sims,
            self.clock,
            self._lock,
            faults=faults,
            seed=seed,
            slow_delay=slow_delay,
            host=host,
            port=port,
        )
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = False
        self._starting: asyncio.Task[None] | None = None

    @property
    def speed(self) -> float:
        """Simulated seconds per real second (the clock's, once started)."""
        return self.clock.speed if self._started else self._speed

    @property
    def kinds(self) -> list[str]:
        """The simulated provider kinds."""
        return list(self._sims)

    def sim(self, kind: str) -> ProviderSim:
        """The simulation of one kind (KeyError if absent)."""
        return self._sims[kind]

    async def start(self) -> None:
        """Start serving in the running loop; time starts running at ``speed``."""
        await self._server.start()
        if not self._started:
            self._started = True
            self.clock.set_speed(self._speed)

    def start_soon(self) -> None:
        """Listen now and start serving as soon as the running loop runs (no await needed).

        The socket is bound and listening on return, so ``url`` is final and clients
        may connect at once: their connections are accepted at the loop's next turn.
        """
        self._server.bind()
        self._starting = asyncio.get_running_loop().create_task(self.start())

    async def stop(self) -> None:
        """Stop serving and close every connection."""
        if self._starting is not None:
            starting, self._starting = self._starting, None
            await starting
        await self._server.stop()

    def start_in_thread(self) -> None:
        """Serve from a thread with its own loop; returns once listening."""
        if self._thread is not None:
            raise RuntimeError("the simulator is already running in a thread")
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as error:  # reported to the starting thread below
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=serve, name="jobtui-sim", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            self._loop = None
            raise failure[0]

    def stop_in_thread(self) -> None:
        """Stop the thread started by ``start_in_thread`` (no-op if not running)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = None
        self._loop = None

    @property
    def port(self) -> int:
        """The listening port."""
        return self._server.port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def base_url(self, kind: str) -> str:
        """The ``base_url`` of one provider: ``url + "/" + kind``."""
        return f"{self.url}/{kind}"

    def job_ids(self, kind: str) -> list[str]:
        """Every job id of one kind, in creation order."""
        with self._lock:
            return self._sims[kind].job_ids()

    def create_job(self, kind: str, body: object | None = None) -> str:
        """Create a job of ``kind`` starting now (thread-safe); returns its id."""
        with self._lock:
            return self._sims[kind].create_job(body)

    def inject_fault(self, kind: str, fault: str, *, retry_after: int = 1, count: int = 1) -> None:
        """Make the next ``count`` requests to ``kind`` fail with ``fault`` (thread-safe).

        ``fault`` is one of ``FAULT_KINDS`` (``"429"``, ``"503"``, ``"500"``, ``"502"``,
        ``"slow"``, ``"truncated"``); 429 and 503 carry ``Retry-After: retry_after``.
        """
        if kind not in self._sims:
            raise KeyError(kind)
        self._server.faults.force(kind, Fault(fault, retry_after), count)

    def stats(self, *, detail: bool = False) -> dict[str, Any]:
        """Request counts (the same data as ``GET /_sim/stats``, ``?detail=1`` with ``detail``)."""
        body = self._server.stats.snapshot()
        if detail:
            body["detail"] = self._server.stats.detail()
        return body

    def provider_tables(self) -> dict[str, dict[str, object]]:
        """Each provider's config table (named after its kind).

        Every table says ``allow_insecure = true``: the simulator speaks plain HTTP, and
        the config must work unedited even when it listens on a non-loopback address.
        """
        tables: dict[str, dict[str, object]] = {}
        for kind, sim in self._sims.items():
            table = dict(sim.config(self.base_url(kind)))
            table.setdefault("allow_insecure", True)
            tables[kind] = table
        return tables

    def config_toml(self, store_jobs: bool = True, store: str | None = None) -> str:
        """A complete config.toml for every simulated provider, plus ``[[jobs]]`` if asked.

        ``store`` names the store the config uses, so the simulator's fake jobs
        stay out of the user's real one.
        """
        lines = [
            f"# jobtui simulator at {self.url} (seed {self.seed}); fake credentials only.",
            "# Use it as: jobtui --config THIS_FILE",
        ]
        if store is not None:
            lines += ["# A throwaway store: the simulated jobs never reach your own.", ""]
            lines.append(f"store = {_toml_value(store)}")
        for kind, table in self.provider_tables().items():
            lines += ["", f"[providers.{kind}]"]
            lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
        if store_jobs:
            for kind in self._sims:
                for job_id in self.job_ids(kind):
                    lines += ["", "[[jobs]]", f"provider = {_toml_value(kind)}"]
                    lines.append(f"id = {_toml_value(job_id)}")
        return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    """A TOML literal for the simple values a provider table holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # A JSON string with non-ASCII escaped is a valid TOML basic string.
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to the simulator config")
