"""One provider's polling loop: due jobs, batches, budget, errors, health, holding back."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from jobtui.engine.clock import Clock
from jobtui.engine.events import EventHub, ProviderChanged
from jobtui.engine.ratelimit import TokenBucket
from jobtui.engine.schedule import Backoff, IntervalPolicy, ProviderHold
from jobtui.engine.writer import JobModel, StoreWriter
from jobtui.errors import NOT_FOUND_MESSAGE, FetchCategory, FetchError
from jobtui.model import HealthState, Job, JobState, ProviderHealth
from jobtui.store import PollOutcome, WatchedJob

if TYPE_CHECKING:
    from jobtui.providers.base import Provider

__all__ = ["NOT_FOUND_MESSAGE", "RETRYABLE", "PollResult", "ProviderPoller", "answer_for"]

log = logging.getLogger(__name__)

_TRANSIENT = {FetchCategory.SERVER, FetchCategory.NETWORK, FetchCategory.TIMEOUT}
_UNREACHABLE = {FetchCategory.NETWORK, FetchCategory.TIMEOUT}
RETRYABLE = frozenset(
    {
        FetchCategory.RATE_LIMITED,
        FetchCategory.SERVER,
        FetchCategory.NETWORK,
        FetchCategory.BAD_PAYLOAD,
    }
)
"""Failures worth a quick second try within one sweep (a 429, a 5xx, a cut-off answer)."""

PollResult = dict[str, Job | FetchError]
"""What one ``poll`` found: each polled id's job, or why it could not be fetched."""


_SHOWN_ID = 64
"""At most this much of a foreign id goes into a poll error (it is provider text)."""


def answer_for(provider: Provider, job_id: str, result: Job | FetchError) -> Job | FetchError:
    """``result`` as the answer for the watched ``job_id``, or why it is not.

    An answer about another job (after the provider's own reading of ids) is
    a bad payload of the watched job: its last good snapshot stays, and no
    other job is created or replaced. An answer naming the same job in
    another spelling (a UUID's case, ``007`` for 7) is kept under the watched id.
    """
    if not isinstance(result, Job):
        return result
    if not provider.answers_for(job_id, result):
        named = result.id if len(result.id) <= _SHOWN_ID else f"{result.id[:_SHOWN_ID]}…"
        return FetchError(
            FetchCategory.BAD_PAYLOAD,
            f"{provider.name}: answered for job {named}, not {job_id}",
            job_id=job_id,
        )
    return result if result.id == job_id else result.model_copy(update={"id": job_id})


def _batch_size(provider: Provider) -> int:
    configured = getattr(provider.config, "batch_size", None)
    size = configured if isinstance(configured, int) and configured > 0 else provider.batch_size
    return max(1, min(size, provider.batch_size)) if provider.batch_size > 1 else 1


class ProviderPoller:
    """Keeps one provider's jobs fresh; runs as its own task so it never delays another."""

    def __init__(
        self,
        provider: Provider,
        jobs: JobModel,
        writer: StoreWriter,
        hub: EventHub,
        clock: Clock,
        *,
        rng: random.Random,
        scale: Callable[[], float] = lambda: 1.0,
        paused: Callable[[], bool] = lambda: False,
    ) -> None:
        self.provider = provider
        self.name = provider.name
        config = provider.config
        self.policy = IntervalPolicy(config.poll_interval, config.max_interval)
        self.backoff = Backoff(
            base=min(1.0, config.poll_interval), cap=config.max_interval, rng=rng
        )
        # Probes of a provider that is down start at one poll interval apart.
        self.hold = ProviderHold(
            Backoff(
                base=config.poll_interval,
                cap=max(config.poll_interval, config.max_interval),
                rng=rng,
            )
        )
        self.bucket = TokenBucket(config.rate_limit or provider.default_rate_limit, clock)
        self.batch_size = _batch_size(provider)
        self.semaphore = asyncio.Semaphore(config.max_concurrency)
        self.max_concurrency = config.max_concurrency
        self._jobs = jobs
        self._writer = writer
        self._hub = hub
        self._clock = clock
        self._scale = scale
        self._paused = paused
        self._intervals: dict[str, float] = {}
        self._failures: dict[str, int] = {}
        self._forced: set[str] = set()
        self._held_back: set[str] = set()
        """Jobs given the provider's error without a request while it is held."""
        self._wake = asyncio.Event()
        self.in_flight = 0
        """Requests sent and not yet answered (a test or a status line reads it)."""
        self.health = ProviderHealth(provider=self.name, kind=provider.kind)

    # -- control -----------------------------------------------------------

    def wake(self) -> None:
        """Look for due jobs now (a refresh, new jobs, a resume)."""
        self._wake.set()

    def refresh(self, ids: Collection[str] | None = None) -> None:
        """Poll these jobs (None: all of this provider's, terminal included) at once.

        A provider held back is probed at once (with one of these jobs); the
        rest follow when the probe gets through.
        """
        if ids is None:
            ids = [job_id for (name, job_id) in self._jobs if name == self.name]
        self._forced.update(ids)
        if ids:
            self._probe_now()
        self.wake()

    def retry(self) -> None:
        """Forget an auth failure or back-off and poll again (a held provider: probe now)."""
        self.bucket.clear_block()
        if self.hold.held:
            self._probe_now()
            self.wake()
            return
        # Jobs waiting out their own back-off go now too.
        self._forced.update(self._failures)
        self._failures.clear()
        self._set_health(state=HealthState.OK, next_retry_at=None, paused=False)
        self.wake()

    def set_polled_by(self, by: str | None) -> None:
        """Say in the health who polls this provider (the engine's leases decide)."""
        self._set_health(polled_by=by)

    def forget(self, job_id: str) -> None:
        """Drop per-job scheduling state of a removed job."""
        self._intervals.pop(job_id, None)
        self._failures.pop(job_id, None)
        self._forced.discard(job_id)
        self._held_back.discard(job_id)

    def _probe_now(self) -> None:
        if self.hold.held:
            now = self._clock.now()
            self.hold.probe_now(now)
            self._set_health(next_retry_at=self.hold.until)

    # -- scheduling --------------------------------------------------------

    def due_ids(self, now: datetime) -> list[str]:
        """Ids to poll now: forced ones, and active jobs whose time has come."""
        due: list[str] = []
        for (name, job_id), watched in self._jobs.items():
            if name != self.name:
                continue
            scheduled = watched.next_poll_at is None or watched.next_poll_at <= now
            if job_id in self._forced or (scheduled and not watched.state.terminal):
                due.append(job_id)
        return due

    def next_deadline(self) -> datetime | None:
        """The earliest scheduled poll among this provider's active jobs."""
        earliest: datetime | None = None
        for (name, _), watched in self._jobs.items():
            if name != self.name or watched.state.terminal or watched.next_poll_at is None:
                continue
            if earliest is None or watched.next_poll_at < earliest:
                earliest = watched.next_poll_at
        return earliest

    def probe_candidate(self) -> str | None:
        """The job whose poll tests a held provider.

        One the user asked for first; then the active job due soonest that is
        not failing on its own (a job whose every poll gets a 5xx must not
        keep the provider held); then any active job.
        """
        mine = [
            (job_id, watched) for (name, job_id), watched in self._jobs.items() if name == self.name
        ]
        forced = sorted(job_id for job_id, _ in mine if job_id in self._forced)
        if forced:
            return forced[0]
        active = [(job_id, w) for job_id, w in mine if not w.state.terminal]
        if not active:
            return None
        least = self._clock.now() - timedelta(days=36500)

        def rank(item: tuple[str, WatchedJob]) -> tuple[bool, datetime, str]:
            job_id, watched = item
            return (job_id in self._failures, watched.next_poll_at or least, job_id)

        return min(active, key=rank)[0]

    async def run(self) -> None:
        """Poll due jobs until cancelled; while the provider is held, only probes go."""
        while True:
            if self._paused() or self.health.state is HealthState.AUTH_FAILED:
                await self._wait(None)
                continue
            now = self._clock.now()
            if not self.hold.held:
                ids = self.due_ids(now)
                if not ids:
                    await self._wait(self.next_deadline())
                    continue
            try:
                if self.hold.held:
                    ids = await self._next_probe(now)
                if ids:
                    await self.poll(ids)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A store failure must not end polling; try again after one interval.
                log.exception("polling %s failed", self.name)
                await self._wait(self._clock.now() + timedelta(seconds=self.policy.poll_interval))

    async def _next_probe(self, now: datetime) -> list[str]:
        """The probe to send now, or after marking what fell due, waiting for its time."""
        if not self.hold.due(now):
            # What fell due meanwhile carries the provider's error, written once per hold.
            fresh = [i for i in self.due_ids(now) if i not in self._held_back]
            if fresh:
                await self._hold_back(fresh, now)
            await self._wait(self.hold.until)
            return []
        candidate = self.probe_candidate()
        if candidate is None:
            await self._wait(None)  # nothing to probe with until a job arrives
            return []
        return [candidate]

    async def _wait(self, deadline: datetime | None) -> None:
        waits: set[asyncio.Task[object]] = {asyncio.create_task(self._wake.wait())}
        if deadline is not None:
            seconds = (deadline - self._clock.now()).total_seconds()
            waits.add(asyncio.create_task(self._clock.sleep(seconds)))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
            self._wake.clear()

    # -- polling -----------------------------------------------------------

    async def poll(self, ids: Sequence[str]) -> PollResult:
        """Fetch ``ids`` once, in batches, within the provider's concurrency and budget.

        A provider held back gets one request first, for ``ids[0]`` (the
        probe); the others go only if it got through. Batches not sent because
        the provider is (or became) held carry its error, without a request.
        """
        self._forced.difference_update(ids)
        found: PollResult = {}
        rest = list(ids)
        if self.hold.held and rest:
            found.update(await self._poll_batch(rest[:1], probe=True))
            rest = rest[1:]
            # Released by the probe: the rest go below, not again from the forced set.
            self._forced.difference_update(rest)
        batches = deque(
            rest[start : start + self.batch_size] for start in range(0, len(rest), self.batch_size)
        )

        async def work() -> None:
            # Stop taking batches once the provider is held: each would fail the same way.
            while batches and not self.hold.held:
                found.update(await self._poll_batch(batches.popleft()))

        workers = min(self.max_concurrency, len(batches))
        await asyncio.gather(*(work() for _ in range(workers)))
        skipped = [job_id for batch in batches for job_id in batch]
        if skipped:
            found.update(await self._hold_back(skipped, self._clock.now()))
        return found

    async def _hold_back(self, ids: Sequence[str], now: datetime) -> PollResult:
        """Give ``ids`` the held provider's error without sending a request."""
        reason = self.health.last_error or "provider unreachable"
        category = (
            FetchCategory.NETWORK
            if self.hold.state is HealthState.UNREACHABLE
            else FetchCategory.SERVER
        )
        fresh = [job_id for job_id in ids if job_id not in self._held_back]
        self._held_back.update(fresh)
        await self._writer.save(
            [PollOutcome(self.name, job_id, now, self.hold.until, error=reason) for job_id in fresh]
        )
        return {job_id: FetchError(category, reason, job_id=job_id) for job_id in ids}

    def retry_wait(self, job_id: str) -> float | None:
        """Seconds until a failed job's next try is due (None: it has no failure pending)."""
        if self.hold.held and job_id in self._held_back and self.hold.until is not None:
            return max(0.0, (self.hold.until - self._clock.now()).total_seconds())
        if job_id not in self._failures:
            return None
        watched = self._jobs.get((self.name, job_id))
        if watched is None or watched.next_poll_at is None:
            return None
        return max(0.0, (watched.next_poll_at - self._clock.now()).total_seconds())

    async def _poll_batch(self, ids: list[str], *, probe: bool = False) -> PollResult:
        async with self.semaphore:
            if self.health.state is not HealthState.AUTH_FAILED:
                await self.bucket.acquire()
            if self.health.state is HealthState.AUTH_FAILED:
                # Known bad credentials: record why without spending a request.
                reason = self.health.last_error or "authentication failed"
                now = self._clock.now()
                await self._writer.save(
                    [PollOutcome(self.name, i, now, now, error=reason) for i in ids]
                )
                failure = FetchError(FetchCategory.AUTH, reason)
                return {i: failure for i in ids}
            if self.hold.held and not probe:
                # The provider was found down while this batch waited for its turn.
                return await self._hold_back(ids, self._clock.now())
            results, latency = await self._fetch_timed(ids)
        now = self._clock.now()
        outcomes = [self._outcome(i, r, now) for i, r in zip(ids, results, strict=True)]
        self._note_reach(ids, results, now, probe=probe)
        self._update_health(results, latency, now)
        await self._writer.save(outcomes, request=(self.name, now))
        return dict(zip(ids, results, strict=True))

    async def _fetch_timed(self, ids: list[str]) -> tuple[list[Job | FetchError], float]:
        """The answers for ``ids`` and the seconds they took, counted in flight meanwhile."""
        started = time.perf_counter()
        self.in_flight += 1
        try:
            results = await self._fetch(ids)
        finally:
            self.in_flight -= 1
        return results, time.perf_counter() - started

    async def _fetch(self, ids: list[str]) -> list[Job | FetchError]:
        try:
            raw = await self.provider.fetch(ids)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The contract says fetch never raises; if it does, the jobs carry it.
            log.exception("%s fetch raised", self.name)
            raw = [FetchError(FetchCategory.CLIENT, f"provider error: {type(exc).__name__}")]
        results: list[Job | FetchError] = []
        for index in range(len(ids)):
            item = raw[index] if index < len(raw) else None
            if isinstance(item, Job | FetchError):
                results.append(item)
            elif item is None and raw and isinstance(raw[0], FetchError) and len(raw) == 1:
                results.append(raw[0].for_job(ids[index]))
            else:
                results.append(FetchError(FetchCategory.CLIENT, "provider gave no answer"))
        pairs = zip(ids, results, strict=True)
        return [answer_for(self.provider, job_id, result) for job_id, result in pairs]

    def _outcome(self, job_id: str, result: Job | FetchError, now: datetime) -> PollOutcome:
        key = (self.name, job_id)
        previous = self._jobs.get(key)
        scale = self._scale()
        if isinstance(result, Job):
            self._failures.pop(job_id, None)
            old = previous.job if previous is not None else None
            changed = old is None or (old.state, old.raw_status, old.progress) != (
                result.state,
                result.raw_status,
                result.progress,
            )
            interval = self.policy.next_interval(
                result.state,
                self._intervals.get(job_id),
                changed=changed,
                queue_position=result.queue_position,
                scale=scale,
            )
            if interval is None:
                self._intervals.pop(job_id, None)
                return PollOutcome(self.name, job_id, now, None, job=result)
            self._intervals[job_id] = interval
            later = now + timedelta(seconds=interval)
            return PollOutcome(self.name, job_id, now, later, job=result)
        return self._error_outcome(job_id, result, now, scale)

    def _error_outcome(
        self, job_id: str, error: FetchError, now: datetime, scale: float
    ) -> PollOutcome:
        category = error.category
        if category is FetchCategory.AUTH:
            return PollOutcome(self.name, job_id, now, now, error=str(error))
        if category is FetchCategory.NOT_FOUND:
            later = now + timedelta(seconds=self.policy.max_interval * scale)
            return PollOutcome(
                self.name, job_id, now, later, error=NOT_FOUND_MESSAGE, mark_state=JobState.UNKNOWN
            )
        attempt = self._failures.get(job_id, 0)
        self._failures[job_id] = attempt + 1
        if error.retry_after is not None:
            wait = max(0.0, error.retry_after)
            self.bucket.block_until(now + timedelta(seconds=wait))
        elif category in _TRANSIENT or category is FetchCategory.RATE_LIMITED:
            wait = self.backoff.delay(attempt)
        else:
            # Bad payload or refused request: keep the snapshot, try again later.
            wait = min(self.policy.max_interval, self.policy.poll_interval * 2**attempt) * scale
        log.info(
            "%s: job %s failed (%s, attempt %d), retrying in %.1fs: %s",
            self.name,
            job_id,
            category.value,
            attempt + 1,
            wait,
            error,
        )
        return PollOutcome(self.name, job_id, now, now + timedelta(seconds=wait), error=str(error))

    # -- holding back ------------------------------------------------------

    def _note_reach(
        self, ids: Sequence[str], results: Sequence[Job | FetchError], now: datetime, *, probe: bool
    ) -> None:
        """Feed one request's results to the hold; release the provider when one got through."""
        down = [
            r
            for r in results
            if isinstance(r, FetchError) and r.category in _TRANSIENT and r.retry_after is None
        ]
        if not results or len(down) < len(results):
            # Anything but silence or a bare 5xx means the provider answers (a Retry-After
            # is the rate-limit hold's business, kept by the token bucket).
            if self.hold.answered():
                self._release(answered=ids)
            return
        unreachable = all(r.category in _UNREACHABLE for r in down)
        if self.hold.failed(ids, now, probe=probe, unreachable=unreachable):
            log.info(
                "%s: holding back all polls, %s; next probe at %s",
                self.name,
                "probe failed" if probe else "provider not answering",
                self.hold.until,
            )

    def _release(self, answered: Collection[str]) -> None:
        """The provider answers again: what was held back, or failed meanwhile, goes now."""
        waiting = (self._held_back | self._failures.keys()).difference(answered)
        self._forced.update(job_id for job_id in waiting if (self.name, job_id) in self._jobs)
        self._held_back.clear()
        log.info("%s: answering again, polling resumes", self.name)
        self.wake()

    # -- health ------------------------------------------------------------

    def _update_health(
        self, results: Sequence[Job | FetchError], latency: float, now: datetime
    ) -> None:
        errors = [r for r in results if isinstance(r, FetchError)]
        categories = {e.category for e in errors}
        request_failed = (
            bool(errors)
            and len(errors) == len(results)
            and bool(categories & (_TRANSIENT | {FetchCategory.AUTH, FetchCategory.RATE_LIMITED}))
        )
        requests = self.health.requests + 1
        failures = self.health.failures + (1 if request_failed else 0)
        retry_at = self.bucket.blocked_until
        next_retry_at: datetime | None = None
        if FetchCategory.AUTH in categories:
            # Stays paused (no next retry) until the user retries or the config changes.
            state, paused = HealthState.AUTH_FAILED, True
        elif retry_at is not None and retry_at > now:
            state, paused, next_retry_at = HealthState.RATE_LIMITED, False, retry_at
        elif self.hold.held:
            state, paused, next_retry_at = self.hold.state, False, self.hold.until
        elif request_failed and categories <= _UNREACHABLE:
            state, paused = HealthState.UNREACHABLE, False
        elif categories & _TRANSIENT:
            state, paused = HealthState.DEGRADED, False
        else:
            state, paused = HealthState.OK, False
        last_error = str(errors[0]) if errors else self.health.last_error
        self._set_health(
            state=state,
            paused=paused,
            last_error=last_error,
            last_latency=latency,
            next_retry_at=next_retry_at,
            requests=requests,
            failures=failures,
        )

    def _set_health(self, **changes: object) -> None:
        before = self.health
        self.health = before.model_copy(update=changes)
        # Counters too: the hub delivers at most one ProviderChanged per provider per tick.
        visible = (
            "state", "last_error", "next_retry_at", "paused", "requests", "failures", "polled_by"
        )  # fmt: skip
        if any(getattr(before, f) != getattr(self.health, f) for f in visible):
            self._hub.publish(ProviderChanged(self.health))
        if before.state is not self.health.state:
            # INFO, auth failures too: the screen already says so, and stderr (WARNING and
            # up without --log-file) must stay clean under the dashboard and `status`.
            # Messages reaching health were redacted by the provider layer (screen-safe).
            log.info(
                "%s: health %s -> %s%s",
                self.name,
                before.state.value,
                self.health.state.value,
                f": {self.health.last_error}"
                if self.health.last_error and self.health.state is not HealthState.OK
                else "",
            )
