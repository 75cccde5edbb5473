"""Polling one provider as a member of a shared pool: claim due jobs, spend the team's budget.

In shared mode several processes (on one machine or many) poll the same
provider. Each of this process's workers, in turn: waits until the store
says a job can be claimed, takes one token of the provider's shared bucket
(the team's ``rate_limit``, which also carries the provider's block), claims
up to one request's worth of due jobs (a Deepomatic batch: 100), sends the
request, and writes the answers with the claim, which the write clears. A
claim lapses after one and a half lease periods, so a poller that dies leaves
its jobs to the others within two. What one member learns about the provider (a Retry-After, the
provider being down, refused credentials) becomes the block every member
sees before its next request.

The job's schedule (``next_poll_at``) lives in the store already; the
per-job interval growth is read back from it (``next_poll_at - polled_at``),
so whichever member polls a job next continues its back-off.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
from datetime import UTC, datetime, timedelta

from jobtui.engine.poller import ProviderPoller
from jobtui.errors import FetchError
from jobtui.model import HealthState, Job
from jobtui.store import JobStore, PollOutcome, ProviderBlock
from jobtui.store.claims import BLOCK_AUTH, BLOCK_DOWN_STATES, BLOCK_RATE

__all__ = ["CLAIM_SPAN", "SHARED_RATE_SHARE", "SharedPoller", "shared_burst", "shared_rate"]

log = logging.getLogger(__name__)

CLAIM_SPAN = 1.5
"""A claim lasts this many lease periods: long enough for a token, the request and
the write on a loaded machine (a claim that lapses mid-request gets the job asked
twice), short enough that a dead poller's jobs go to the others within two periods."""

_SEND_WITHIN = 0.5
"""Lease periods after claiming within which its request may still leave: a claim
that waited longer for the budget is handed back unsent, leaving a whole period
for the request and the write."""


SHARED_RATE_SHARE = 0.9
"""Share of ``rate_limit`` the shared bucket hands out. A token is taken a little
before its request reaches the provider, and on a busy machine that delay varies
(a poller's loop parsing a 100-job answer holds the next send back): requests
spaced 50 ms apart at the bucket arrive bunched. 10 % under the limit absorbs
that, so no one-second window at the provider sees more than ``rate_limit`` + 2."""


def shared_rate(rate: float | None) -> float | None:
    """The shared bucket's refill rate for a provider's ``rate_limit`` (None: no limit)."""
    return None if rate is None else rate * SHARED_RATE_SHARE


def shared_burst(rate: float | None) -> float:
    """The shared bucket's depth: 50 ms of the rate, at least one request.

    Any one second then sees at most ``rate + burst`` requests across every
    poller (21 for a ``rate_limit`` of 20).
    """
    return 1.0 if rate is None else max(1.0, rate * 0.05)


def _wall() -> datetime:
    return datetime.now(UTC)


class SharedPoller:
    """Runs one provider's ``ProviderPoller`` as a member of a shared pool."""

    def __init__(
        self, poller: ProviderPoller, store: JobStore, holder: str, *, period: float
    ) -> None:
        self.poller = poller
        self.store = store
        self.holder = holder
        """This process's name on its claims."""
        self.period = period
        self.rate = shared_rate(poller.bucket.rate)
        self.burst = shared_burst(self.rate)
        self._probe = asyncio.Lock()
        self._pace = asyncio.Lock()

    async def run(self) -> None:
        """Poll with ``max_concurrency`` workers until cancelled; then hand back the claims."""
        workers = [
            asyncio.create_task(self._worker(), name=f"shared:{self.poller.name}:{n}")
            for n in range(self.poller.max_concurrency)
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            try:
                await asyncio.to_thread(self.store.release_claims, self.poller.name, self.holder)
            except Exception:
                log.exception("handing back the claims on %s failed", self.poller.name)

    async def _worker(self) -> None:
        poller = self.poller
        while True:
            try:
                if poller._paused() or poller.health.state is HealthState.AUTH_FAILED:
                    # Look again at the shared block now and then: a retry elsewhere lifts it.
                    await poller._wait(_wall() + timedelta(seconds=self.period / 3))
                    await self._check_block()
                    continue
                await self._turn()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("shared polling of %s failed", poller.name)
                await poller._wait(_wall() + timedelta(seconds=poller.policy.poll_interval))

    async def _turn(self) -> None:
        """One request's worth: wait for a claimable job, a token, claim, fetch, write."""
        poller = self.poller
        name = poller.name
        forced = self._take_forced()
        if not forced:
            now = _wall()
            when = await asyncio.to_thread(self.store.next_claimable, name, now)
            if when is None or when > now:
                await poller._wait(when)
                return
        if poller.hold.held:
            # Held down: one probe at a time from this process, one job each.
            async with self._probe:
                await self._send(forced[:1], limit=1, probe=True)
                poller._forced.update(forced[1:])
            return
        await self._send(forced, limit=poller.batch_size, probe=False)

    def _take_forced(self) -> list[str]:
        forced = self.poller._forced
        taken = sorted(forced)[: self.poller.batch_size]
        forced.difference_update(taken)
        return taken

    async def _send(self, forced: list[str], *, limit: int, probe: bool) -> None:
        poller = self.poller
        name = poller.name
        # One worker at a time claims and waits for the budget: claims never pile up
        # waiting for tokens (they would lapse), while requests still overlap.
        async with self._pace:
            claimed_at = _wall()
            ids = await asyncio.to_thread(
                self.store.claim_jobs,
                name,
                self.holder,
                now=claimed_at,
                until=claimed_at + timedelta(seconds=self.period * CLAIM_SPAN),
                limit=max(limit, len(forced)),
                ids=forced,
            )
            if not ids:
                return  # another member was quicker
            # The token is taken last, just before the request leaves: the provider
            # sees requests spaced as the bucket spaced them.
            if not await self._take_token():
                poller._forced.update(forced)
                await asyncio.to_thread(self.store.release_claims, name, self.holder, ids)
                return
        if (_wall() - claimed_at).total_seconds() > self.period * _SEND_WITHIN:
            # The budget kept us waiting until the claim is about to lapse: another
            # member may take these jobs any moment, so this request must not go.
            await asyncio.to_thread(self.store.give_back_tokens, name, 1.0, burst=self.burst)
            await asyncio.to_thread(self.store.release_claims, name, self.holder, ids)
            return
        results, latency = await poller._fetch_timed(ids)
        now = poller._clock.now()
        outcomes = [
            self._outcome(job_id, result, now) for job_id, result in zip(ids, results, strict=True)
        ]
        was_held = poller.hold.held
        poller._note_reach(ids, results, now, probe=probe or was_held)
        poller._update_health(results, latency, now)
        await self._share(results, now, was_held=was_held)
        await poller._writer.save(outcomes, request=(name, now))

    def _outcome(self, job_id: str, result: Job | FetchError, now: datetime) -> PollOutcome:
        poller = self.poller
        watched = poller._jobs.get((poller.name, job_id))
        if (
            job_id not in poller._intervals
            and watched is not None
            and watched.next_poll_at is not None
            and watched.polled_at is not None
        ):
            # Another member polled it last: continue the interval it left in the store.
            gap = (watched.next_poll_at - watched.polled_at).total_seconds()
            if gap > 0:
                poller._intervals[job_id] = gap
        outcome = poller._outcome(job_id, result, now)
        return dataclasses.replace(outcome, claimed_by=self.holder)

    async def _take_token(self) -> bool:
        """Wait for a token of the shared bucket; False when the credentials are refused."""
        poller = self.poller
        while True:
            grant = await asyncio.to_thread(
                self.store.take_tokens, poller.name, rate=self.rate, burst=self.burst
            )
            if grant.granted:
                return True
            if grant.block is not None:
                self._adopt(grant.block)
                if grant.block.state == BLOCK_AUTH:
                    return False
            wait = grant.wait if math.isfinite(grant.wait) else self.period / 3
            await asyncio.sleep(min(wait, self.period / 3))

    def _adopt(self, block: ProviderBlock) -> None:
        """Show another member's block in this process's health."""
        poller = self.poller
        if block.state == BLOCK_AUTH:
            poller._set_health(
                state=HealthState.AUTH_FAILED,
                paused=True,
                last_error=block.reason or poller.health.last_error,
                next_retry_at=None,
            )
        elif block.until is not None:
            known = {state.value: state for state in HealthState}
            state = known.get(block.state, HealthState.DEGRADED)
            poller._set_health(
                state=state,
                next_retry_at=block.until,
                last_error=block.reason or poller.health.last_error,
            )

    async def _check_block(self) -> None:
        """Lift a local auth failure once the shared block is gone (someone retried)."""
        poller = self.poller
        if poller.health.state is not HealthState.AUTH_FAILED:
            return
        block = await asyncio.to_thread(self.store.provider_block, poller.name)
        if block is None or block.state != BLOCK_AUTH:
            poller.retry()

    async def _share(
        self, results: list[Job | FetchError], now: datetime, *, was_held: bool
    ) -> None:
        """Turn what this request taught about the provider into the pool's block."""
        poller = self.poller
        name = poller.name
        store = self.store
        reason = poller.health.last_error
        if poller.health.state is HealthState.AUTH_FAILED:
            await asyncio.to_thread(
                store.block_provider, name, state=BLOCK_AUTH, until=None, reason=reason
            )
            return
        waits = [
            r.retry_after
            for r in results
            if isinstance(r, FetchError) and r.retry_after is not None
        ]
        if waits:
            until = now + timedelta(seconds=max(0.0, max(waits)))
            await asyncio.to_thread(
                store.block_provider, name, state=BLOCK_RATE, until=until, reason=reason
            )
        if poller.hold.held and poller.hold.until is not None:
            await asyncio.to_thread(
                store.block_provider,
                name,
                state=poller.hold.state.value,
                until=poller.hold.until,
                reason=reason,
            )
        elif was_held:
            # Our probe got through: the provider answers again, for everyone.
            await asyncio.to_thread(store.clear_block, name, BLOCK_DOWN_STATES)
