"""A token bucket per provider: the request budget the engine must not exceed."""

from __future__ import annotations

import asyncio
from datetime import datetime

from jobtui.engine.clock import Clock

__all__ = ["TokenBucket"]


class TokenBucket:
    """``rate`` requests per second on average, bursts up to ``burst``.

    Time comes from the injected clock. ``block_until`` holds every request
    back until a moment the provider named (``Retry-After``). A ``rate`` of
    None means no limit (only ``block_until`` applies).
    """

    def __init__(self, rate: float | None, clock: Clock, *, burst: float | None = None) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else (max(1.0, rate) if rate else 1.0)
        self._clock = clock
        self._tokens = self.burst
        self._stamp = clock.now()
        self._blocked_until: datetime | None = None
        # Waiters queue in arrival order so no request starves.
        self._lock = asyncio.Lock()
        self._queued = 0  # requests inside acquire's lock or waiting for it

    @property
    def blocked_until(self) -> datetime | None:
        """When requests may resume after a provider asked to wait."""
        return self._blocked_until

    def block_until(self, moment: datetime) -> None:
        """Send nothing before ``moment`` (keeps the later of two blocks)."""
        if self._blocked_until is None or moment > self._blocked_until:
            self._blocked_until = moment

    def clear_block(self) -> None:
        """Forget a pending block (the user asked to retry now)."""
        self._blocked_until = None

    def _refill(self) -> None:
        now = self._clock.now()
        elapsed = (now - self._stamp).total_seconds()
        self._stamp = now
        if self.rate is not None and elapsed > 0:
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)

    def wait_time(self) -> float:
        """Seconds until one request may go (0 when one may go now)."""
        self._refill()
        wait = 0.0
        if self._blocked_until is not None:
            wait = max(0.0, (self._blocked_until - self._clock.now()).total_seconds())
        if self.rate is not None and self._tokens < 1.0:
            wait = max(wait, (1.0 - self._tokens) / self.rate)
        return wait

    def try_take(self) -> bool:
        """Take one token if a request may go now."""
        if self.wait_time() > 0:
            return False
        if self.rate is not None:
            self._tokens -= 1.0
        return True

    async def acquire(self) -> None:
        """Wait until one request may go, then take its token."""
        if not self._queued and self.try_take():
            # Nobody queued and a token at hand: no lock to enter, no suspension.
            return
        self._queued += 1
        try:
            async with self._lock:
                while not self.try_take():
                    await self._clock.sleep(self.wait_time())
        finally:
            self._queued -= 1
