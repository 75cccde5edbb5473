"""The PostgreSQL store's statements, grouped by what they serve.

Kept apart from the class so a reader (or a later feature) finds every
statement in one place: the watch list, poll results, reading, the bus
(change numbers, leases, requests) and notifications.
"""

from __future__ import annotations

from datetime import UTC, datetime

CHANGE_LOCK = 0x6A6F6263  # "jobc": held from numbering a write's changes to its commit
"""Advisory lock serializing the transactions that number changes.

Identity values are handed out at insert time, not at commit: without the
lock a write numbered 10 could commit after one numbered 11, and a reader
that saw 11 would never ask for 10. Taken as late as possible in a write.
"""

CHANNEL = "jobtui_changes"
"""The NOTIFY channel; the payload is the newest change number, never job data."""

RELEASED = datetime(1970, 1, 1, tzinfo=UTC)
"""``leases.expires_at`` of a released lease (before any real time)."""

# -- the watch list ------------------------------------------------------------

ADD_JOBS = (
    # One statement for any number of jobs (one round trip, however far the server);
    # RETURNING counts the new ones. A key given twice is added once.
    "INSERT INTO jobs (provider, id, kind, label, added_at)"
    " SELECT provider, id, kind, label, %s"
    " FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS t(provider, id, kind, label)"
    " ON CONFLICT (provider, id) DO NOTHING RETURNING 1"
)
RELABEL = "UPDATE jobs SET label = %s WHERE provider = %s AND id = %s"
REMOVE_JOBS = "DELETE FROM jobs WHERE provider = %s AND id = ANY(%s) RETURNING id"

# -- poll results ----------------------------------------------------------------

CURRENT_STATES = (
    # FOR UPDATE: two processes writing the same job record its transitions in turn.
    "SELECT id, state, state_seen FROM jobs WHERE provider = %s AND id = ANY(%s)"
    " ORDER BY id FOR UPDATE"
)
UPDATE_JOB = """
UPDATE jobs SET
    kind = COALESCE(%s, kind),
    state = COALESCE(%s, state),
    state_seen = state_seen OR %s,
    raw_status = CASE WHEN %s THEN %s ELSE raw_status END,
    snapshot = COALESCE(%s, snapshot),
    raw = CASE WHEN %s THEN %s ELSE raw END,
    listing = COALESCE(%s, listing),
    next_poll_at = %s,
    poll_error = %s,
    polled_at = %s
WHERE provider = %s AND id = %s
"""
ADD_TRANSITIONS = (
    "INSERT INTO transitions (provider, id, at, from_state, to_state, raw_status)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
)
ADD_REQUEST_COUNTS = (
    "INSERT INTO request_counts (provider, minute, count) VALUES (%s, %s, %s)"
    " ON CONFLICT (provider, minute) DO UPDATE SET count = request_counts.count + excluded.count"
)

# -- reading ---------------------------------------------------------------------

_WHOLE = (
    "CASE WHEN raw IS NULL THEN snapshot"
    # The snapshot is a JSON object without "raw": the payload goes in before its "}".
    " ELSE left(snapshot, -1) || ',\"raw\":' || raw || '}' END"
)
_COLUMNS = "provider, kind, id, label, added_at, {}, state, next_poll_at, poll_error, polled_at"

JOB_COLUMNS = _COLUMNS.format(_WHOLE)
"""The columns ``watched_jobs`` expects, each snapshot whole."""
JOB_COLUMNS_WITHOUT_RAW = _COLUMNS.format("snapshot")
JOB_COLUMNS_LEAN = _COLUMNS.format("COALESCE(listing, snapshot)")
JOB_COLUMNS_RAW_UP_TO = _COLUMNS.format(
    f"CASE WHEN length(snapshot) + COALESCE(length(raw), 0) <= %s THEN {_WHOLE} ELSE snapshot END"
)
TRANSITION_COLUMNS = "provider, id, at, from_state, to_state, raw_status"

# -- the bus -----------------------------------------------------------------------

NUMBER_CHANGES = (
    "INSERT INTO changes (provider, job_id, op, origin)"
    " SELECT provider, job_id, %s, %s FROM unnest(%s::text[], %s::text[]) AS t(provider, job_id)"
    " RETURNING seq"
)
TRIM_CHANGES = "DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - %s"
CHANGES_AFTER = "SELECT seq, provider, job_id, op, origin FROM changes WHERE seq > %s ORDER BY seq"
DATA_VERSION = (
    # Two index lookups: moves with every numbered write and every request left.
    "SELECT (SELECT COALESCE(max(seq), 0) FROM changes),"
    " (SELECT COALESCE(max(seq), 0) FROM requests)"
)

LEASE_COLUMNS = "provider, holder, pid, host, heartbeat, expires_at, hold_until, health"
TAKE_LEASE = f"""
INSERT INTO leases (provider, holder, pid, host, heartbeat, expires_at, health)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (provider) DO UPDATE SET
    holder = excluded.holder,
    pid = excluded.pid,
    host = excluded.host,
    heartbeat = excluded.heartbeat,
    expires_at = excluded.expires_at,
    health = COALESCE(excluded.health, leases.health)
WHERE leases.holder = excluded.holder OR leases.expires_at <= %s
RETURNING {LEASE_COLUMNS}
"""
"""Take a free or expired lease, or renew one's own: one statement, one row lock."""
RENEW_LEASE = (
    "UPDATE leases SET heartbeat = %s, expires_at = %s, hold_until = %s, health = %s"
    " WHERE provider = %s AND holder = %s AND expires_at > %s"
)
RELEASE_LEASE = (
    "UPDATE leases SET expires_at = %s, hold_until = %s, health = %s"
    " WHERE provider = %s AND holder = %s"
)

ADD_REQUEST = (
    "INSERT INTO requests (provider, op, job_id, value, created_at) VALUES (%s, %s, %s, %s, %s)"
)
TAKE_REQUESTS = (
    "DELETE FROM requests WHERE provider = ANY(%s) RETURNING seq, provider, op, job_id, value"
)

MAY_WRITE = (
    "SELECT bool_and(has_table_privilege(t, 'INSERT, UPDATE, DELETE'))"
    " FROM unnest(ARRAY['jobs', 'changes', 'leases', 'requests']) AS t"
)
"""Whether the role may write every table a poller or a viewer's actions write."""

NOTIFY = "SELECT pg_notify(%s, %s)"
LISTEN = f"LISTEN {CHANNEL}"
