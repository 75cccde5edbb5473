"""Shared polling on PostgreSQL: claims on due jobs, the team's budget, the provider's block.

The same ideas as the SQLite store (``jobtui.store.claims``), in PostgreSQL's
own terms: due jobs are claimed with ``UPDATE … WHERE (provider, id) IN
(SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING id``, so pollers on many
machines never wait for nor take each other's rows; a provider's bucket is
refilled and taken in one ``UPDATE … RETURNING``. Every time a claim or a
bucket is compared with is the database server's clock, the one clock all the
pollers' machines share (their own may drift apart).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from jobtui.store.claims import TERMINAL_STATES, ProviderBlock, TokenGrant, bucket_wait

if TYPE_CHECKING:
    from jobtui.store.postgres.connection import Connection

__all__ = ["SHARING_TABLES", "SharedPollingOnPostgres", "add_sharing"]

SHARING_TABLES = (
    "ALTER TABLE jobs ADD COLUMN claimed_by text",
    "ALTER TABLE jobs ADD COLUMN claim_until timestamptz",
    """
    CREATE TABLE buckets (
        provider      text PRIMARY KEY,
        tokens        double precision NOT NULL,
        stamp         timestamptz NOT NULL,
        blocked_until timestamptz,
        block_state   text,
        block_reason  text
    )
    """,
    "CREATE INDEX jobs_due ON jobs (provider, next_poll_at)",
)
"""Schema 6: claims on jobs, one bucket row per provider polled in shared mode."""


def add_sharing(conn: Connection) -> None:
    """Create the schema-6 additions (a fresh store, or the step from version 5)."""
    for statement in SHARING_TABLES:
        conn.execute(statement)


_ACTIVE = "state <> ALL(%(terminal)s)"

CLAIM_DUE = f"""
UPDATE jobs SET claimed_by = %(holder)s, claim_until = clock_timestamp() + %(period)s
WHERE (provider, id) IN (
    SELECT provider, id FROM jobs
    WHERE provider = %(provider)s AND {_ACTIVE}
      AND (next_poll_at IS NULL OR next_poll_at <= clock_timestamp())
      AND (claim_until IS NULL OR claim_until <= clock_timestamp())
    ORDER BY next_poll_at NULLS FIRST
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
RETURNING id
"""

CLAIM_IDS = """
UPDATE jobs SET claimed_by = %(holder)s, claim_until = clock_timestamp() + %(period)s
WHERE (provider, id) IN (
    SELECT provider, id FROM jobs
    WHERE provider = %(provider)s AND id = ANY(%(ids)s)
      AND (claim_until IS NULL OR claim_until <= clock_timestamp() OR claimed_by = %(holder)s)
    FOR UPDATE SKIP LOCKED
)
RETURNING id
"""

CLAIMS = """
SELECT id, claimed_by FROM jobs
WHERE provider = %s AND claimed_by IS NOT NULL AND claim_until > %s
"""

RELEASE_CLAIMS = """
UPDATE jobs SET claimed_by = NULL, claim_until = NULL
WHERE provider = %s AND claimed_by = %s
"""

NEXT_CLAIMABLE = f"""
SELECT count(*), min(CASE
    WHEN claim_until > clock_timestamp()
        THEN greatest(claim_until, COALESCE(next_poll_at, 'epoch'))
    ELSE COALESCE(next_poll_at, 'epoch')
END), clock_timestamp()
FROM jobs WHERE provider = %(provider)s AND {_ACTIVE}
"""

NEW_BUCKET = """
INSERT INTO buckets (provider, tokens, stamp) VALUES (%s, %s, clock_timestamp())
ON CONFLICT (provider) DO NOTHING
"""

_REFILLED = (
    "least(%(burst)s, tokens"
    " + greatest(0, extract(epoch FROM t.now - stamp)::double precision) * %(rate)s)"
)

TAKE_TOKENS = f"""
WITH t AS (SELECT clock_timestamp() AS now)
UPDATE buckets SET tokens = {_REFILLED} - %(count)s, stamp = greatest(stamp, t.now)
FROM t
WHERE provider = %(provider)s
  AND (block_state IS NULL OR (blocked_until IS NOT NULL AND blocked_until <= t.now))
  AND {_REFILLED} >= %(count)s
RETURNING tokens
"""
"""Refill and take in one statement; no row back: not enough tokens, or blocked."""

READ_BUCKET = """
SELECT tokens, extract(epoch FROM clock_timestamp() - stamp)::double precision,
       blocked_until, block_state, block_reason, clock_timestamp()
FROM buckets WHERE provider = %s
"""

GIVE_BACK = "UPDATE buckets SET tokens = least(%s, tokens + %s) WHERE provider = %s"

BLOCK = """
INSERT INTO buckets AS b (provider, tokens, stamp, blocked_until, block_state, block_reason)
VALUES (%(provider)s, 0, clock_timestamp(), %(until)s, %(state)s, %(reason)s)
ON CONFLICT (provider) DO UPDATE SET
    blocked_until = excluded.blocked_until,
    block_state = excluded.block_state,
    block_reason = excluded.block_reason
WHERE b.block_state IS NULL
   OR excluded.block_state = 'auth_failed'
   OR (b.block_state <> 'auth_failed'
       AND (b.blocked_until <= excluded.blocked_until OR b.blocked_until <= clock_timestamp()))
"""

CLEAR_BLOCK = """
UPDATE buckets SET blocked_until = NULL, block_state = NULL, block_reason = NULL
WHERE provider = %s AND (%s::text[] IS NULL OR block_state = ANY(%s::text[]))
"""

READ_BLOCK = "SELECT blocked_until, block_state, block_reason FROM buckets WHERE provider = %s"


def _block(until: datetime | None, state: str | None, reason: str | None) -> ProviderBlock | None:
    return None if state is None else ProviderBlock(state=state, until=until, reason=reason)


class SharedPollingOnPostgres:
    """The shared-polling methods of ``PostgresStore`` (see ``jobtui.store.JobStore``)."""

    shared_polling = True
    """A team's store: pollers share each provider unless told to poll alone."""

    if TYPE_CHECKING:

        def _writing(self) -> AbstractContextManager[Connection]: ...
        def _reading(self) -> AbstractContextManager[Connection]: ...

    def claim_jobs(
        self,
        provider: str,
        holder: str,
        *,
        now: datetime,
        until: datetime,
        limit: int,
        ids: Sequence[str] = (),
    ) -> list[str]:
        """Claim ``ids`` (any state), then due jobs up to ``limit``, for ``until - now``.

        Rows another transaction is claiming are skipped, not waited for; the
        server's clock starts the claim.
        """
        period = until - now
        claimed: list[str] = []
        with self._writing() as conn:
            if ids:
                rows = conn.execute(
                    CLAIM_IDS,
                    {"holder": holder, "period": period, "provider": provider, "ids": list(ids)},
                ).fetchall()
                claimed.extend(str(row[0]) for row in rows)
            room = limit - len(claimed)
            if room > 0:
                rows = conn.execute(
                    CLAIM_DUE,
                    {
                        "holder": holder,
                        "period": period,
                        "provider": provider,
                        "terminal": list(TERMINAL_STATES),
                        "limit": room,
                    },
                ).fetchall()
                claimed.extend(str(row[0]) for row in rows)
        return claimed

    def release_claims(self, provider: str, holder: str, ids: Sequence[str] | None = None) -> int:
        """Hand back ``holder``'s claims on ``ids`` (None: all of ``provider``'s) unpolled."""
        with self._writing() as conn:
            if ids is None:
                cursor = conn.execute(RELEASE_CLAIMS, (provider, holder))
            else:
                cursor = conn.execute(
                    RELEASE_CLAIMS.rstrip() + " AND id = ANY(%s)", (provider, holder, list(ids))
                )
            return max(cursor.rowcount, 0)

    def claims(self, provider: str, now: datetime) -> dict[str, str]:
        """The claims on ``provider``'s jobs that last beyond ``now``: job id → holder."""
        with self._reading() as conn:
            rows = conn.execute(CLAIMS, (provider, now)).fetchall()
        return {str(job_id): str(holder) for job_id, holder in rows}

    def next_claimable(self, provider: str, now: datetime) -> datetime | None:
        """When an active job of ``provider`` can next be claimed (``now``: at once)."""
        with self._reading() as conn:
            row = conn.execute(
                NEXT_CLAIMABLE, {"provider": provider, "terminal": list(TERMINAL_STATES)}
            ).fetchone()
        if row is None or not row[0]:
            return None
        earliest: datetime | None = row[1]
        server_now: datetime = row[2]
        if earliest is None or earliest <= server_now:
            return now
        # The server's clock decided; the caller waits on its own by the same span.
        return now + (earliest - server_now)

    def take_tokens(
        self, provider: str, *, rate: float | None, burst: float, count: float = 1.0
    ) -> TokenGrant:
        """Take ``count`` tokens of ``provider``'s shared budget, or say how long to wait."""
        with self._writing() as conn:
            conn.execute(NEW_BUCKET, (provider, burst))
            row = conn.execute(
                TAKE_TOKENS,
                {
                    "provider": provider,
                    "burst": burst,
                    "rate": rate if rate is not None else 0.0,
                    "count": 0.0 if rate is None else count,
                },
            ).fetchone()
            if row is not None:
                return TokenGrant(0.0)
            found = conn.execute(READ_BUCKET, (provider,)).fetchone()
        assert found is not None  # created above, never deleted
        tokens, elapsed, until, state, reason, server_now = found
        block = _block(until, state, reason)
        if block is not None and block.live(server_now):
            wait = math.inf if block.until is None else (block.until - server_now).total_seconds()
            return TokenGrant(max(wait, 1e-3), block)
        wait = bucket_wait(
            float(tokens), float(elapsed), rate=rate or 0.0, burst=burst, count=count
        )
        return TokenGrant(max(wait, 1e-3))

    def give_back_tokens(self, provider: str, count: float, *, burst: float) -> None:
        """Return tokens taken for a request that was not sent."""
        with self._writing() as conn:
            conn.execute(GIVE_BACK, (burst, count, provider))

    def block_provider(
        self, provider: str, *, state: str, until: datetime | None, reason: str | None
    ) -> None:
        """Stop every poller of ``provider`` until ``until`` (None: until cleared)."""
        with self._writing() as conn:
            conn.execute(
                BLOCK, {"provider": provider, "until": until, "state": state, "reason": reason}
            )

    def clear_block(self, provider: str, states: Sequence[str] | None = None) -> None:
        """Lift ``provider``'s block (only one in ``states``, when given)."""
        wanted = None if states is None else list(states)
        with self._writing() as conn:
            conn.execute(CLEAR_BLOCK, (provider, wanted, wanted))

    def provider_block(self, provider: str) -> ProviderBlock | None:
        """``provider``'s block as stored (live or not), or None."""
        with self._reading() as conn:
            row = conn.execute(READ_BLOCK, (provider,)).fetchone()
        return None if row is None else _block(row[0], row[1], row[2])
