"""The Engine: the watch list, one poller per provider, the store, and events."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from jobtui.config.model import Config
from jobtui.engine.clock import Clock, SystemClock
from jobtui.engine.events import EventHub, JobChanged, JobRemoved, Subscriber
from jobtui.engine.poller import RETRYABLE, ProviderPoller, answer_for
from jobtui.engine.shared import SharedPoller
from jobtui.engine.sharing import (
    DEFAULT_FOLLOW_FLOOR,
    DEFAULT_FOLLOW_INTERVAL,
    DEFAULT_LEASE_PERIOD,
    LeaseKeeper,
    StoreFollower,
)
from jobtui.engine.watchlist import discover_jobs, load_watch_list
from jobtui.engine.writer import JobModel, StoreWriter
from jobtui.errors import ConfigError, FetchCategory, FetchError, JobtuiError
from jobtui.model import POLLED_HERE, HealthState, Job, JobKey, ProviderHealth
from jobtui.store import JobStore, PollOutcome, Request, WatchedJob

if TYPE_CHECKING:
    from jobtui.providers.base import Provider

__all__ = ["Engine"]

log = logging.getLogger(__name__)


def _create_providers(config: Config) -> tuple[dict[str, Provider], dict[str, str]]:
    from jobtui.providers import create_provider

    providers: dict[str, Provider] = {}
    broken: dict[str, str] = {}
    for name, provider_config in config.providers.items():
        try:
            providers[name] = create_provider(provider_config)
        except JobtuiError as exc:
            broken[name] = str(exc)
    return providers, broken


class Engine:
    """Keeps every watched job fresh within each provider's budget.

    Each provider polls in its own task; results reach the store through one
    writer and subscribers through coalesced event batches. The engine knows
    nothing of any user interface.

    Several processes share a store: while ``run()`` goes, the engine polls
    only the providers whose lease it holds (it takes the free ones) and
    follows the store for the rest; what other processes write (jobs added,
    removed, polled) reaches ``jobs()`` and the subscribers like its own
    results. Commands for a provider another process polls (refresh, retry,
    pause, interval changes) go to that process as requests in the store.

    ``lean`` reads the start-up rows without items (a dashboard reads a job
    whole to show it); ``may_poll``, when it says False, leaves free leases
    to another process (a dashboard's own poller child) and only follows.
    """

    def __init__(
        self,
        config: Config,
        store: JobStore,
        *,
        clock: Clock | None = None,
        providers: Mapping[str, Provider] | None = None,
        tick: float = 0.1,
        rng: random.Random | None = None,
        discover: bool = True,
        lease_period: float = DEFAULT_LEASE_PERIOD,
        follow_interval: float = DEFAULT_FOLLOW_INTERVAL,
        follow_floor: float = DEFAULT_FOLLOW_FLOOR,
        read_only: bool = False,
        lean: bool = False,
        may_poll: Callable[[], bool] | None = None,
        shared: bool | None = None,
    ) -> None:
        self.config = config
        self.read_only = read_only
        """A viewer only: follows the store, never polls, takes no lease, writes nothing."""
        self._lean = lean
        """Start-up rows without items (``Store.list_jobs(lean=True)``): for a dashboard."""
        self.store = store
        self.shared = store.shared_polling if shared is None else shared
        """Whether this process polls as a member of a shared pool (claims, the team's
        budget) rather than alone under each provider's lease. None: the store's default."""
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.paused = False
        self.interval_scale = 1.0
        self._discover = discover and not read_only
        self._rng = rng if rng is not None else random.Random()
        self._jobs: JobModel = {}
        self._hub = EventHub(tick)
        self._writer = StoreWriter(store, self._jobs, self._hub)
        broken: dict[str, str] = {}
        if providers is None:
            providers, broken = _create_providers(config)
        self._providers = dict(providers)
        self._pollers = {
            name: ProviderPoller(
                provider,
                self._jobs,
                self._writer,
                self._hub,
                self.clock,
                rng=self._rng,
                scale=lambda: self.interval_scale,
                paused=lambda name=name: self._is_paused(name),  # type: ignore[misc]
            )
            for name, provider in self._providers.items()
        }
        self._remote_paused: set[str] = set()
        """Providers paused by a request of another process (this one polls them)."""
        self._leases = LeaseKeeper(
            store,
            self._pollers,
            period=lease_period,
            paused=self._is_paused,
            may_take=may_poll if may_poll is not None else (lambda: True),
            shared=self.shared,
        )
        self._follower = StoreFollower(
            store,
            self._jobs,
            self._hub,
            self._pollers,
            interval=follow_interval,
            floor=follow_floor,
        )
        self._running = False
        self._taking = False
        self._background: set[asyncio.Task[None]] = set()
        self._broken = {
            name: ProviderHealth(
                provider=name,
                kind=config.providers[name].kind,
                state=HealthState.AUTH_FAILED,
                last_error=message,
                paused=True,
            )
            for name, message in broken.items()
        }
        self._loaded = False
        self._stored = False
        self._loading = False
        self._load_lock = asyncio.Lock()
        self._stored_lock = asyncio.Lock()
        self._stop = asyncio.Event()

    # -- reading -----------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Receive coalesced event batches, at most one per tick; returns unsubscribe."""
        return self._hub.subscribe(callback)

    def jobs(self) -> Mapping[JobKey, WatchedJob]:
        """The in-memory watch list, in step with the store."""
        return self._jobs

    def health(self) -> Mapping[str, ProviderHealth]:
        """Each configured provider's health, with who polls it (``polled_by``).

        For a provider another process polls, the health that process last
        published in the store (its state, errors and counters).
        """
        result = dict(self._broken)
        for name, poller in self._pollers.items():
            remote = self._leases.health_of(name) if self._running else None
            # The poller's own health says POLLED_HERE while this process holds the lease.
            result[name] = remote if remote is not None else poller.health
        return result

    def polls_here(self, name: str) -> bool:
        """Whether this process sends ``name``'s requests (holds its lease, or not sharing)."""
        return not self._running or name in self._leases.tasks

    def _is_paused(self, name: str) -> bool:
        return self.paused or name in self._remote_paused

    @property
    def busy(self) -> int:
        """Requests in flight plus pending store writes: 0 when only time can bring news."""
        in_flight = sum(p.in_flight for p in self._pollers.values())
        return in_flight + int(self._writer.busy) + int(self._loading) + int(self._taking)

    @property
    def writes(self) -> int:
        """Store transactions written by polls so far."""
        return self._writer.transactions

    # -- lifecycle ---------------------------------------------------------

    async def load(self) -> None:
        """Read the watch list (store + config, then discovery) once."""
        async with self._load_lock:
            if self._loaded:
                return
            self._loading = True
            try:
                await self.load_stored()
                if self._discover:
                    await self._add_discovered()
                self._loaded = True
                log.info(
                    "watching %d jobs at providers: %s",
                    len(self._jobs),
                    ", ".join(self._pollers) or "none",
                )
            finally:
                self._loading = False

    async def load_stored(self) -> Mapping[JobKey, WatchedJob]:
        """Read the stored watch list (store + config's ``[[jobs]]``) once; returns ``jobs()``.

        Snapshots are read without their ``raw`` payloads (``Store.get_job``
        gives one job whole). A screen can show this before discovery, which
        waits on the network, is done: ``load()`` adds the discovered jobs after.
        """
        async with self._stored_lock:
            if not self._stored:
                self._loading = True
                try:
                    # Numbered before the read: a change made while reading is applied
                    # again after, never missed.
                    await asyncio.to_thread(self._follower.mark)
                    loaded = await asyncio.to_thread(
                        load_watch_list,
                        self.config,
                        self.store,
                        write=not self.read_only,
                        lean=self._lean,
                    )
                finally:
                    self._loading = self._load_lock.locked()
                for key, job in loaded.items():
                    # A job added while the store was read is newer than what was read.
                    if key not in self._jobs:
                        self._jobs[key] = job
                        self._hub.publish(JobChanged(job, None))
                self._stored = True
        return self._jobs

    async def _add_discovered(self) -> None:
        reported = await discover_jobs(self._providers, self.store)
        new = reported - self._jobs.keys()
        for provider in sorted({provider for provider, _ in new}):
            listed = await asyncio.to_thread(
                self.store.list_jobs, provider=provider, include_raw=False
            )
            for job in listed:
                key = (job.provider, job.id)
                if key in new and key not in self._jobs:
                    self._jobs[key] = job
                    self._hub.publish(JobChanged(job, None))

    async def run(self) -> None:
        """Poll the providers whose lease this process gets, follow the store, until ``stop()``."""
        # The stop flag is cleared when a run ends, never when one begins: a stop()
        # issued while run() was still loading (or not yet scheduled) must not be lost.
        tasks: list[asyncio.Task[None]] = []
        try:
            await self.load()
            if self._stop.is_set():
                return
            self._running = True
            self._taking = True
            try:
                await self._lease_round()
            finally:
                self._taking = False
            tasks = [
                asyncio.create_task(self._keep_leases(), name="leases"),
                asyncio.create_task(self._follow(), name="follow"),
            ]
            await self._stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._leases.release()
            self._running = False
            self._stop.clear()
            self._hub.flush()

    async def _lease_round(self) -> None:
        if self.read_only:
            return  # a viewer polls nothing: whoever holds the leases does
        taken = await self._leases.round()
        # Every poller starts in the same turn: none waits for another's start-up.
        for name in taken:
            log.info("polling %s (took its lease)", name)
            poller = self._pollers[name]
            poller.set_polled_by(POLLED_HERE)
            runner = (
                SharedPoller(
                    poller, self.store, self._leases.holder, period=self._leases.period
                ).run()
                if self.shared
                else poller.run()
            )
            self._leases.tasks[name] = asyncio.create_task(runner, name=f"poll:{name}")
        if taken:
            # Requests left for the previous holder are this process's now.
            await self._serve_requests()

    async def _keep_leases(self) -> None:
        while True:
            await asyncio.sleep(self._leases.period / 3)
            try:
                await self._lease_round()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("keeping the leases failed")

    async def _follow(self) -> None:
        failing = False
        while True:
            try:
                if await self._follower.wait():
                    await self._follower.catch_up()
                    await self._serve_requests()
                failing = False
            except asyncio.CancelledError:
                raise
            except Exception:
                # A store out of reach fails every check: say it once, then wait it out.
                if not failing:
                    log.exception("following the store failed")
                failing = True
                await asyncio.sleep(self._follower.interval)

    async def _serve_requests(self) -> None:
        if not self._leases.tasks:
            return
        for request in await asyncio.to_thread(self._leases.take_requests):
            self._apply_request(request)

    def _apply_request(self, request: Request) -> None:
        poller = self._pollers.get(request.provider)
        if poller is None:
            return
        log.info("request from another process: %s %s", request.op, request.provider)
        if request.op == "refresh":
            poller.refresh(None if request.job_id is None else [request.job_id])
        elif request.op == "retry":
            poller.retry()
        elif request.op == "pause":
            self._remote_paused.add(request.provider)
        elif request.op == "resume":
            self._remote_paused.discard(request.provider)
            poller.wake()
        elif request.op == "scale" and request.value:
            self._scale(request.value)
        elif request.op == "cancel" and request.job_id is not None:
            self._cancel_for_another(request.provider, request.job_id)

    def _ask(self, provider: str, op: str, **fields: object) -> None:
        """Leave a request for whoever polls ``provider`` (a store write, off the loop)."""
        if self.read_only:
            log.warning("read-only: not asking the poller of %s to %s", provider, op)
            return
        self._background_call(self.store.add_request, provider, op, **fields)

    def _background_call(
        self, call: Callable[..., object], *args: object, **fields: object
    ) -> None:
        """Run a store write in a thread, off the loop; a failure is logged, not raised."""

        async def write() -> None:
            try:
                await asyncio.to_thread(call, *args, **fields)
            except Exception:
                log.exception("writing to the store failed (%s)", getattr(call, "__name__", call))

        task = asyncio.get_running_loop().create_task(write())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise JobtuiError("this dashboard is read-only (--read-only): it changes nothing")

    def stop(self) -> None:
        """Make ``run()`` return."""
        self._stop.set()

    async def aclose(self) -> None:
        """Stop, hand the leases back, and close every provider's HTTP client."""
        self.stop()
        await self._leases.release()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._hub.flush()
        for provider in self._providers.values():
            try:
                await provider.aclose()
            except Exception:
                log.exception("closing %s failed", provider.name)

    async def sweep(
        self,
        *,
        all_jobs: bool = False,
        providers: Collection[str] | None = None,
        retries: int = 0,
        max_wait: float = 5.0,
    ) -> None:
        """Poll every active job (every job with ``all_jobs``) once, as fast as budgets allow.

        With ``retries``, a job hit by a passing failure (429, 5xx, a cut-off
        answer) is tried again up to that many times, after the wait the
        provider asked for (``Retry-After``) or the back-off, when that wait is
        at most ``max_wait`` seconds: a one-shot ``status`` should not leave a
        job unknown because of one unlucky request.
        """
        await self.load()
        wanted: dict[str, list[str]] = {}
        for name in self._pollers:
            if providers is not None and name not in providers:
                continue
            ids = [
                job_id
                for (owner, job_id), job in self._jobs.items()
                if owner == name and (all_jobs or not job.state.terminal)
            ]
            if ids:
                wanted[name] = ids
        # A provider another process polls is asked through the store, not polled twice;
        # the others are polled here under their lease, handed back after.
        taken, remote = await asyncio.to_thread(self._leases.take_for_sweep, list(wanted))
        try:
            rounds = [
                _sweep_provider(self._pollers[name], wanted[name], self.clock, retries, max_wait)
                for name in taken
            ]
            await asyncio.gather(
                *rounds,
                self._mark_broken(all_jobs, providers),
                self._ask_and_wait({name: wanted[name] for name in remote}),
            )
        finally:
            await asyncio.to_thread(self._leases.release_names, taken)
        self._hub.flush()

    async def _ask_and_wait(self, wanted: Mapping[str, list[str]]) -> None:
        """Ask the processes polling ``wanted`` to refresh those jobs; wait for the answers.

        Bounded by three lease periods: a holder that died meanwhile loses its
        lease by then, and the jobs still waiting are polled here instead.
        """
        if not wanted:
            return
        asked = self._leases.now()
        for name, ids in wanted.items():
            await asyncio.to_thread(self.store.add_request, name, "refresh", job_ids=ids)
        waiting = {(name, job_id) for name, ids in wanted.items() for job_id in ids}
        deadline = asyncio.get_running_loop().time() + 3 * self._leases.period
        while waiting and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(self._follower.interval)
            for job in await asyncio.to_thread(self.store.get_jobs, waiting):
                key = (job.provider, job.id)
                if job.polled_at is not None and job.polled_at >= asked:
                    previous = self._jobs.get(key)
                    self._jobs[key] = job
                    self._hub.publish(JobChanged(job, previous.state if previous else None))
                    waiting.discard(key)
        if not waiting:
            return
        left: dict[str, list[str]] = {}
        for name, job_id in waiting:
            left.setdefault(name, []).append(job_id)
        taken, _ = await asyncio.to_thread(self._leases.take_for_sweep, list(left))
        try:
            await asyncio.gather(
                *(
                    _sweep_provider(self._pollers[name], left[name], self.clock, 0, 0.0)
                    for name in taken
                )
            )
        finally:
            await asyncio.to_thread(self._leases.release_names, taken)

    async def _mark_broken(self, all_jobs: bool, providers: Collection[str] | None) -> None:
        """Give jobs no poller can reach the reason as ``poll_error``.

        Their provider could not be built (a secret missing, say) or is no
        longer in the config: without this their rows would show no error at all.
        """
        now = self.clock.now()
        outcomes = []
        for (owner, job_id), job in self._jobs.items():
            if owner in self._pollers or (providers is not None and owner not in providers):
                continue
            if job.state.terminal and not all_jobs:
                continue
            broken = self._broken.get(owner)
            reason = broken.last_error if broken is not None else None
            reason = reason or f"no provider named {owner!r} in the config"
            outcomes.append(PollOutcome(owner, job_id, now, job.next_poll_at, error=reason))
        await self._writer.save(outcomes)

    # -- control -----------------------------------------------------------

    def refresh(self, keys: Iterable[JobKey] | None = None) -> None:
        """Poll these jobs now (None: every job, terminal ones included)."""
        if keys is None:
            for name, poller in self._pollers.items():
                if self.polls_here(name):
                    poller.refresh()
                else:
                    self._ask(name, "refresh")
            return
        by_provider: dict[str, list[str]] = {}
        for provider, job_id in keys:
            by_provider.setdefault(provider, []).append(job_id)
        for provider, ids in by_provider.items():
            if provider not in self._pollers:
                continue
            if self.polls_here(provider):
                self._pollers[provider].refresh(ids)
            else:
                self._ask(provider, "refresh", job_ids=ids)

    def retry_provider(self, name: str) -> None:
        """Clear an auth failure or back-off and poll the provider again."""
        if name in self._pollers:
            if self.polls_here(name):
                self._pollers[name].retry()
                if self.shared:
                    # The whole pool waits on the provider's shared block: lift it.
                    self._background_call(self.store.clear_block, name)
            else:
                self._ask(name, "retry")

    def pause(self) -> None:
        """Stop sending requests until ``resume()`` (asks other pollers too)."""
        self.paused = True
        self._tell_others("pause")

    def resume(self) -> None:
        """Start polling again."""
        self.paused = False
        self._tell_others("resume")
        for poller in self._pollers.values():
            poller.wake()

    def scale_intervals(self, factor: float) -> None:
        """Multiply every poll interval by ``factor`` (bounded to 1/8..8)."""
        self._scale(factor)
        self._tell_others("scale", value=factor)

    def _scale(self, factor: float) -> None:
        self.interval_scale = min(8.0, max(0.125, self.interval_scale * factor))
        for poller in self._pollers.values():
            poller.wake()

    def _tell_others(self, op: str, **fields: object) -> None:
        for name in self._pollers:
            if not self.polls_here(name) and self._leases.polled_by(name) is not None:
                self._ask(name, op, **fields)

    # -- watch list --------------------------------------------------------

    async def add_jobs(self, provider: str, ids: Sequence[str], label: str | None = None) -> int:
        """Watch ``ids`` at ``provider``; returns how many were new."""
        self._refuse_if_read_only()
        provider_config = self.config.providers.get(provider)
        if provider_config is None:
            raise ConfigError(f"no provider named {provider!r} in the config")
        await self.load()
        entries = [(provider, provider_config.kind, job_id, label) for job_id in ids]
        added = await asyncio.to_thread(self.store.add_jobs, entries, added_at=self.clock.now())
        for job_id in ids:
            if (provider, job_id) in self._jobs:
                continue
            watched = await asyncio.to_thread(self.store.get_job, provider, job_id)
            if watched is not None:
                self._jobs[(provider, job_id)] = watched
                self._hub.publish(JobChanged(watched, None))
        if provider in self._pollers:
            self._pollers[provider].wake()
        return int(added)

    async def remove_jobs(self, keys: Iterable[JobKey]) -> int:
        """Stop watching these jobs; returns how many were removed."""
        self._refuse_if_read_only()
        by_provider: dict[str, list[str]] = {}
        for provider, job_id in keys:
            by_provider.setdefault(provider, []).append(job_id)
        removed = 0
        for provider, ids in by_provider.items():
            removed += await asyncio.to_thread(self.store.remove_jobs, provider, ids)
            for job_id in ids:
                if self._jobs.pop((provider, job_id), None) is not None:
                    self._hub.publish(JobRemoved(provider, job_id))
                if provider in self._pollers:
                    self._pollers[provider].forget(job_id)
        return removed

    # -- cancel ------------------------------------------------------------

    def can_cancel(self, provider: str) -> bool:
        """Whether jobs of ``provider`` can be canceled from here."""
        found = self._providers.get(provider)
        return bool(found is not None and found.supports_cancel)

    async def cancel(self, provider: str, job_id: str) -> None:
        """Ask the provider to cancel a job, then record its new state.

        When another live process polls ``provider``, the cancel goes to it
        through the store's request table (it alone speaks to that provider, under
        its budget); this process sees the new state like any other change. With
        no live holder it goes to the provider directly.
        """
        self._refuse_if_read_only()
        found = self._providers.get(provider)
        if found is None or not found.supports_cancel:
            raise FetchError(FetchCategory.CLIENT, f"{provider} jobs cannot be canceled here")
        if not self.polls_here(provider) and self._leases.polled_by(provider) is not None:
            await asyncio.to_thread(self.store.add_request, provider, "cancel", job_ids=[job_id])
            return
        await self._cancel_here(provider, job_id)

    def _cancel_for_another(self, provider: str, job_id: str) -> None:
        """A viewer's cancel, done here (the holder) off the request loop."""

        async def cancel() -> None:
            try:
                await self._cancel_here(provider, job_id)
            except Exception:
                log.exception("cancel of %s %s asked by another process failed", provider, job_id)
                # The viewer sees no error of its own: a fresh poll shows the job as it is.
                self.refresh([(provider, job_id)])

        task = asyncio.get_running_loop().create_task(cancel())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _cancel_here(self, provider: str, job_id: str) -> None:
        found = self._providers[provider]
        job = await found.cancel(job_id)
        # An answer about another job is not this job's new state: poll it instead.
        answer = None if job is None else answer_for(found, job_id, job)
        if isinstance(answer, Job) and (provider, job_id) in self._jobs:
            now = self.clock.now()
            later = None if answer.state.terminal else now + timedelta(seconds=1)
            await self._writer.save([PollOutcome(provider, job_id, now, later, job=answer)])
        else:
            self.refresh([(provider, job_id)])


async def _sweep_provider(
    poller: ProviderPoller, ids: list[str], clock: Clock, retries: int, max_wait: float
) -> None:
    """One provider's part of a sweep: one poll, then bounded retries of passing failures."""
    found = await poller.poll(ids)
    for _ in range(retries):
        if _provider_down(found.values()):
            return  # retrying each job of a provider that is down only delays the answer
        waits: dict[str, float] = {}
        for job_id, result in found.items():
            if isinstance(result, FetchError) and result.category in RETRYABLE:
                wait = poller.retry_wait(job_id)
                if wait is not None and wait <= max_wait:
                    waits[job_id] = wait
        if not waits:
            return
        await clock.sleep(max(waits.values()))
        found = await poller.poll(list(waits))


def _provider_down(results: Iterable[Job | FetchError]) -> bool:
    """Whether a poll got nothing through: every request refused, unreachable or timed out."""
    down = {FetchCategory.AUTH, FetchCategory.NETWORK, FetchCategory.TIMEOUT}
    return all(isinstance(r, FetchError) and r.category in down for r in results)
