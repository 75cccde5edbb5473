"""Shared polling in the store: claims on due jobs, a provider's budget, its hold.

Several pollers share one provider when each due job is *claimed* by exactly
one of them before it is polled: a claim names the poller (``claimed_by``)
and lapses at ``claim_until``, so the jobs of a poller that dies go to the
others after one lease period. The answer is written only while the claim
is still the writer's (``PollOutcome.claimed_by``), and the write clears it.

A provider's ``rate_limit`` is the team's budget, kept in one ``buckets`` row
per provider: tokens refill at ``rate`` per second up to ``burst`` and are
taken in the same transaction that checks them. The row also carries the
provider's *block*: a Retry-After, the back-off of a provider found down, or
an auth failure, seen by every poller before its next request.

The statements are plain SQL; ``jobtui.store.database.Store`` runs them in
``BEGIN IMMEDIATE`` transactions (SQLite's one writer at a time makes each
claim and each take atomic), a PostgreSQL store in its own statements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from jobtui.model import JobState

__all__ = [
    "BLOCK_AUTH",
    "BLOCK_DOWN_STATES",
    "BLOCK_RATE",
    "SHARED_HOLDER",
    "TERMINAL_STATES",
    "ProviderBlock",
    "TokenGrant",
    "bucket_wait",
]

SHARED_HOLDER = "*shared*"
"""The lease holder of a provider polled by a shared pool (never a process's own id)."""

BLOCK_RATE = "rate_limited"
"""A block from a Retry-After: quiet until ``until``."""
BLOCK_AUTH = "auth_failed"
"""A block from refused credentials: no request until someone retries."""
BLOCK_DOWN_STATES = ("unreachable", "degraded")
"""Blocks of a provider found down: the next probe is due at ``until``."""

TERMINAL_STATES = tuple(state.value for state in JobState if state.terminal)
"""States whose jobs are never due again (unless someone asks for them by id)."""


@dataclass(frozen=True, slots=True)
class ProviderBlock:
    """Why and until when no poller of a shared pool may send a provider requests."""

    state: str  # rate_limited, unreachable, degraded, auth_failed
    until: datetime | None  # None: until someone retries (auth)
    reason: str | None

    def live(self, now: datetime) -> bool:
        """Whether the block still holds at ``now``."""
        return self.until is None or self.until > now


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """The answer of ``take_tokens``: taken (``wait == 0``), or how long to wait and why."""

    wait: float
    block: ProviderBlock | None = None

    @property
    def granted(self) -> bool:
        """Whether the tokens were taken."""
        return self.wait <= 0


def bucket_wait(tokens: float, elapsed: float, *, rate: float, burst: float, count: float) -> float:
    """Seconds until ``count`` tokens are there, from a row's ``tokens`` ``elapsed`` s ago."""
    available = min(burst, tokens + max(0.0, elapsed) * rate)
    if available >= count:
        return 0.0
    return (count - available) / rate if rate > 0 else math.inf


# -- SQLite statements (PostgreSQL spells the same ideas its own way) ----------

_ACTIVE = "state NOT IN ({})".format(", ".join(f"'{state}'" for state in TERMINAL_STATES))

CLAIM_DUE = f"""
UPDATE jobs SET claimed_by = :holder, claim_until = :until
WHERE provider = :provider AND id IN (
    SELECT id FROM jobs
    WHERE provider = :provider AND {_ACTIVE}
      AND (next_poll_at IS NULL OR next_poll_at <= :now)
      AND (claim_until IS NULL OR claim_until <= :now)
    ORDER BY next_poll_at IS NOT NULL, next_poll_at
    LIMIT :limit
)
RETURNING id
"""
"""Claim up to ``limit`` due, unclaimed active jobs (never polled first, then the oldest due)."""

CLAIM_IDS = """
UPDATE jobs SET claimed_by = ?, claim_until = ?
WHERE provider = ? AND id IN ({marks})
  AND (claim_until IS NULL OR claim_until <= ? OR claimed_by = ?)
RETURNING id
"""
"""Claim named jobs (a refresh asked for them), whatever their state, unless another holds them."""

NEXT_CLAIMABLE = f"""
SELECT min(CASE
    WHEN claim_until IS NOT NULL AND claim_until > :now
        THEN max(claim_until, COALESCE(next_poll_at, ''))
    ELSE COALESCE(next_poll_at, '')
END)
FROM jobs WHERE provider = :provider AND {_ACTIVE}
"""
"""The earliest moment an active job can be claimed ('' : one can be now)."""

RELEASE_CLAIMS = """
UPDATE jobs SET claimed_by = NULL, claim_until = NULL
WHERE provider = ? AND claimed_by = ?
"""

NEW_BUCKET = """
INSERT INTO buckets (provider, tokens, stamp) VALUES (?, ?, ?)
ON CONFLICT (provider) DO NOTHING
"""

TAKE_TOKENS = """
UPDATE buckets SET
    tokens = min(:burst, tokens + max(0.0, :now - stamp) * :rate) - :count,
    stamp = max(stamp, :now)
WHERE provider = :provider
  AND (block_state IS NULL OR (blocked_until IS NOT NULL AND blocked_until <= :nowtext))
  AND min(:burst, tokens + max(0.0, :now - stamp) * :rate) >= :count
RETURNING tokens
"""
"""Refill and take in one statement; no row back: not enough tokens, or blocked."""

READ_BUCKET = """
SELECT tokens, stamp, blocked_until, block_state, block_reason FROM buckets WHERE provider = ?
"""

GIVE_BACK = """
UPDATE buckets SET tokens = min(?, tokens + ?) WHERE provider = ?
"""

BLOCK = """
INSERT INTO buckets (provider, tokens, stamp, blocked_until, block_state, block_reason)
VALUES (:provider, 0.0, :now, :until, :state, :reason)
ON CONFLICT (provider) DO UPDATE SET
    blocked_until = excluded.blocked_until,
    block_state = excluded.block_state,
    block_reason = excluded.block_reason
WHERE buckets.block_state IS NULL
   OR excluded.block_state = 'auth_failed'
   OR (buckets.block_state != 'auth_failed'
       AND (buckets.blocked_until <= excluded.blocked_until OR buckets.blocked_until <= :nowtext))
"""
"""Block a provider: an auth failure replaces any block; a timed one keeps the later end."""

CLEAR_BLOCK = """
UPDATE buckets SET blocked_until = NULL, block_state = NULL, block_reason = NULL
WHERE provider = ?
"""
