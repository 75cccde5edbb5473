"""Sharing one store between processes: follow its changes, hold leases, serve requests.

``StoreFollower`` keeps an engine's in-memory watch list in step with what
other processes write (``jobtui add``, another dashboard, the process that
polls). ``LeaseKeeper`` takes the leases of the providers nobody polls,
renews them, hands them back at exit, and says who polls the others.
Leases run on the wall clock (the one clock processes share), whatever
clock the engine schedules polls with.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from jobtui.engine.events import EventHub, JobChanged, JobRemoved
from jobtui.engine.poller import ProviderPoller
from jobtui.engine.writer import JobModel
from jobtui.model import POLLED_HERE, ProviderHealth
from jobtui.store import SHARED_HOLDER, JobStore, Lease, Request

__all__ = [
    "DEFAULT_FOLLOW_FLOOR",
    "DEFAULT_FOLLOW_INTERVAL",
    "DEFAULT_LEASE_PERIOD",
    "LeaseKeeper",
    "StoreFollower",
]

log = logging.getLogger(__name__)

DEFAULT_LEASE_PERIOD = 10.0
"""Seconds a lease lasts without renewal; renewed every third of it."""

DEFAULT_FOLLOW_INTERVAL = 0.2
"""Seconds between two cheap checks of whether another process wrote the store."""

DEFAULT_FOLLOW_FLOOR = 3.0
"""On a store that pushes changes (PostgreSQL), seconds between two checks made even
without a notification: a lost one (or a pooler that drops LISTEN) costs this, no more."""


_WAIT_SLICE = 0.25
"""Seconds one thread waits for a notification before the follower asks again."""

QUIET_FOLLOW_INTERVAL = 1.0
"""The longest spell between two checks, reached while nobody writes the jobs.

An idle viewer should cost next to nothing: the checks slow down (doubling
from ``interval``) while the store's jobs stay as they are, and the first
change brings them back to ``interval``. Lease heartbeats write the store but
not its jobs: they do not count as activity.
"""


def wall_now() -> datetime:
    """The wall clock, aware UTC: what leases are stamped with."""
    return datetime.now(UTC)


class StoreFollower:
    """Applies other processes' writes to the in-memory watch list, as events."""

    def __init__(
        self,
        store: JobStore,
        jobs: JobModel,
        hub: EventHub,
        pollers: Mapping[str, ProviderPoller],
        *,
        interval: float = DEFAULT_FOLLOW_INTERVAL,
        floor: float = DEFAULT_FOLLOW_FLOOR,
    ) -> None:
        self._store = store
        self._jobs = jobs
        self._hub = hub
        self._pollers = pollers
        self.interval = interval
        self.floor = floor
        self.cursor = 0
        """The last change number applied."""
        self._version: int | None = None
        self._wait = interval

    @property
    def next_check(self) -> float:
        """Seconds until the next check: ``interval`` after a change, growing while quiet."""
        return self._wait

    def _settle(self, changed: int) -> None:
        if changed:
            self._wait = self.interval
        else:
            self._wait = min(max(QUIET_FOLLOW_INTERVAL, self.interval), self._wait * 2)

    def mark(self) -> None:
        """Start from the store as it is now (call before reading the whole list)."""
        self.cursor = self._store.latest_change()
        self._version = self._store.data_version()

    def written(self) -> bool:
        """Whether another connection wrote since the last call (cheap, no file read)."""
        version = self._store.data_version()
        if version == self._version:
            self._settle(0)
            return False
        self._version = version
        return True

    async def wait(self) -> bool:
        """Until another process may have written; True when it did (then ``catch_up``).

        A store that pushes changes (PostgreSQL) is waited on in a thread, woken by
        its notifications and checked every ``floor`` seconds even without one;
        SQLite is probed every ``next_check`` seconds (``data_version`` costs
        microseconds): ``interval`` after a change, slower while nothing changes.
        """
        if not self._store.pushes_changes:
            await asyncio.sleep(self._wait)
            return self.written()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.floor
        # In short slices: a notification wakes the slice at once, and a cancelled
        # follower (the process leaving) leaves no thread waiting for long, which
        # asyncio.run would wait for at exit.
        while (left := deadline - loop.time()) > 0:
            if await asyncio.to_thread(self._store.wait_for_change, min(left, _WAIT_SLICE)):
                break
        return await asyncio.to_thread(self.written)

    async def catch_up(self) -> int:
        """Apply what others wrote since ``cursor``; returns how many jobs changed."""
        changed = await self._catch_up()
        self._settle(changed)
        return changed

    async def _catch_up(self) -> int:
        batch = await asyncio.to_thread(self._store.changes_since, self.cursor)
        if batch.reset:
            return await self._reload(batch.seq)
        self.cursor = batch.seq
        if not batch:
            return 0
        found = await asyncio.to_thread(self._store.get_jobs, batch.changed)
        present = {(job.provider, job.id) for job in found}
        for job in found:
            self._apply(job)
        gone = batch.removed | (batch.changed - present)
        for key in gone:
            self._drop(key)
        return len(found) + len(gone)

    async def _reload(self, seq: int) -> int:
        """Fell behind the kept changes: read the whole list and apply the difference."""
        listed = await asyncio.to_thread(self._store.list_jobs, include_raw=False)
        self.cursor = seq
        fresh = {(job.provider, job.id): job for job in listed}
        for key in set(self._jobs) - fresh.keys():
            self._drop(key)
        for job in fresh.values():
            self._apply(job)
        return len(fresh)

    def _apply(self, job: object) -> None:
        from jobtui.store import WatchedJob

        assert isinstance(job, WatchedJob)
        key = (job.provider, job.id)
        previous = self._jobs.get(key)
        if previous == job:
            return
        self._jobs[key] = job
        self._hub.publish(JobChanged(job, previous.state if previous is not None else None))
        poller = self._pollers.get(job.provider)
        if poller is not None:
            poller.wake()  # a job added elsewhere is polled at once by whoever holds it

    def _drop(self, key: tuple[str, str]) -> None:
        if self._jobs.pop(key, None) is not None:
            self._hub.publish(JobRemoved(*key))
        poller = self._pollers.get(key[0])
        if poller is not None:
            poller.forget(key[1])


class LeaseKeeper:
    """Which providers this process polls: takes free leases, renews them, releases them."""

    def __init__(
        self,
        store: JobStore,
        pollers: Mapping[str, ProviderPoller],
        *,
        period: float = DEFAULT_LEASE_PERIOD,
        paused: Callable[[str], bool] = lambda name: False,
        may_take: Callable[[], bool] = lambda: True,
        shared: bool = False,
    ) -> None:
        self._store = store
        self._pollers = pollers
        self.period = period
        self._paused = paused
        self._may_take = may_take
        """False while free leases are left to another process (a dashboard's own poller)."""
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.holder = f"{self.pid}@{self.host}/{uuid.uuid4().hex[:12]}"
        """This process's own name on leases and claims (unique; pid@host first, for people)."""
        self.shared = shared
        self.lease_holder = SHARED_HOLDER if shared else self.holder
        """Whom the leases of the providers this process polls name: in shared mode the
        pool (every member renews it, and no lone poller takes the provider meanwhile)."""
        self.tasks: dict[str, asyncio.Task[None]] = {}
        """The providers this process polls, each with its poller's task."""
        self.others: dict[str, Lease] = {}
        """Live leases of other processes, as last read."""
        self._health_seen: dict[str, tuple[tuple[str, int, str], ProviderHealth | None]] = {}

    @property
    def held(self) -> list[str]:
        """The providers whose lease this process holds."""
        return list(self.tasks)

    def polled_by(self, name: str) -> str | None:
        """``POLLED_HERE``, ``pid@host`` of the holder, or None when nobody polls ``name``."""
        if name in self.tasks:
            return POLLED_HERE
        lease = self.others.get(name)
        if lease is not None and lease.live(wall_now()):
            return _holder_text(lease)
        return None

    def health_of(self, name: str) -> ProviderHealth | None:
        """The holder's last published health of ``name`` when another process polls it."""
        lease = self.others.get(name)
        if lease is None or lease.health is None or not lease.live(wall_now()):
            return None
        # Asked every second by a dashboard; the text changes only with the holder's counters.
        cached = self._health_seen.get(name)
        if cached is not None and cached[0] == (lease.health, lease.pid, lease.host):
            return cached[1]
        try:
            health: ProviderHealth | None = ProviderHealth.model_validate_json(lease.health)
        except ValueError:
            health = None
        if health is not None:
            health = health.model_copy(update={"polled_by": _holder_text(lease)})
        self._health_seen[name] = ((lease.health, lease.pid, lease.host), health)
        return health

    def _health_json(self, name: str) -> str:
        poller = self._pollers[name]
        health = poller.health
        if self._paused(name):
            health = health.model_copy(update={"paused": True})
        return health.model_copy(update={"polled_by": None}).model_dump_json()

    async def round(self) -> list[str]:
        """Renew what is held, take what is free; returns the providers newly taken."""
        return await asyncio.to_thread(self._round)

    def _round(self) -> list[str]:
        now = wall_now()
        taken: list[str] = []
        for name in list(self.tasks):
            poller = self._pollers[name]
            if not self._store.renew_lease(
                name,
                self.lease_holder,
                now=now,
                period=self.period,
                hold_until=poller.bucket.blocked_until,
                health=self._health_json(name),
            ):
                # Renewed too late (the process stalled) and another took it over.
                log.warning("lost the lease of %s to another process", name)
                self.tasks.pop(name).cancel()
                poller.set_polled_by(None)
        leases = self._store.leases()
        may_take = self._may_take()
        for name, poller in self._pollers.items():
            if name in self.tasks or not may_take:
                continue
            lease = leases.get(name)
            if lease is not None and lease.live(now) and lease.holder != self.lease_holder:
                continue
            got = self._store.take_lease(
                name,
                self.lease_holder,
                pid=self.pid,
                host=self.host,
                now=now,
                period=self.period,
                health=self._health_json(name),
            )
            if got is None:
                continue
            if got.hold_until is not None and got.hold_until > now:
                # The provider asked the previous holder for quiet: keep it.
                poller.bucket.block_until(got.hold_until)
            taken.append(name)
        self.others = {
            name: lease
            for name, lease in self._store.leases().items()
            if lease.holder != self.lease_holder and lease.live(now)
        }
        return taken

    async def release(self) -> None:
        """Hand every lease back at once (a clean exit): another process polls next."""
        for name in list(self.tasks):
            task = self.tasks.pop(name, None)
            if task is None:
                continue  # released meanwhile (run() ending and aclose() both release)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            poller = self._pollers[name]
            poller.set_polled_by(None)
            if self.shared:
                # The pool's lease stays with the members still polling; it lapses
                # one period after the last one stops renewing it.
                continue
            try:
                await asyncio.to_thread(
                    self._store.release_lease,
                    name,
                    self.holder,
                    hold_until=poller.bucket.blocked_until,
                    health=self._health_json(name),
                )
            except Exception:
                log.exception("releasing the lease of %s failed", name)
            else:
                log.info("released the lease of %s", name)

    def now(self) -> datetime:
        """The wall clock leases and request answers are compared on."""
        return wall_now()

    def take_for_sweep(self, names: list[str]) -> tuple[list[str], list[str]]:
        """Take the leases of ``names`` for a one-off sweep (blocking).

        Returns (taken, polled elsewhere): a provider whose lease another live
        process (or a shared pool) holds is left to it. A sweep always takes a
        lease of its own: a one-off poll outside the pool's claims must not run
        beside the pool.
        """
        taken: list[str] = []
        remote: list[str] = []
        now = wall_now()
        for name in names:
            if name in self.tasks and not self.shared:
                taken.append(name)
                continue
            if name in self.tasks:
                remote.append(name)  # the pool polls it: ask it, like any holder
                continue
            got = self._store.take_lease(
                name, self.holder, pid=self.pid, host=self.host, now=now, period=self.period
            )
            if got is None:
                remote.append(name)
                continue
            if got.hold_until is not None and got.hold_until > now:
                self._pollers[name].bucket.block_until(got.hold_until)
            taken.append(name)
        return taken, remote

    def release_names(self, names: list[str]) -> None:
        """Hand back leases taken by ``take_for_sweep`` (blocking); polling ones stay."""
        for name in names:
            if name in self.tasks:
                continue
            poller = self._pollers[name]
            self._store.release_lease(
                name,
                self.holder,
                hold_until=poller.bucket.blocked_until,
                health=self._health_json(name),
            )

    def take_requests(self) -> list[Request]:
        """Consume what viewers asked of the providers this process polls (blocking)."""
        return self._store.take_requests(self.held)


def _holder_text(lease: Lease) -> str:
    """Who polls, for a person: ``pid@host``, or the shared pool (with its latest member)."""
    if lease.holder == SHARED_HOLDER:
        return f"a shared pool ({lease.pid}@{lease.host}…)"
    return f"{lease.pid}@{lease.host}"
