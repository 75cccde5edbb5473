"""The SQLite store: watched jobs, their last good snapshot, and state transitions.

One file in WAL mode, shared by every jobtui process of a user: the dashboard
writes while ``jobtui ls`` or ``jobtui add`` run beside it (readers never
wait for the writer; writers wait up to ``BUSY_TIMEOUT_MS`` for each other).
Each write is one transaction, so a process killed at any moment leaves
every job either as it was or as it became, never half-written. The layout
and its migrations live in ``jobtui.store.schema``, the records and their
row codecs in ``jobtui.store.records``, the ``Store`` in ``jobtui.store.database``.

Timestamps are stored as UTC ISO-8601 text with microseconds (readable with
the ``sqlite3`` shell, ordered as text) and come back timezone-aware in UTC.
Snapshots are the ``Job`` as JSON, ``raw`` included. Nothing secret reaches
the store: providers keep credentials out of ``Job``.
"""

from jobtui.store.bus import ChangeBatch, Lease, Request
from jobtui.store.claims import SHARED_HOLDER, ProviderBlock, TokenGrant
from jobtui.store.database import BUSY_TIMEOUT_MS, Store
from jobtui.store.interface import JobStore, is_url, mask_url, open_store
from jobtui.store.records import PollOutcome, StoreError, Transition, WatchedJob

__all__ = [
    "BUSY_TIMEOUT_MS",
    "SHARED_HOLDER",
    "ChangeBatch",
    "JobStore",
    "Lease",
    "PollOutcome",
    "ProviderBlock",
    "Request",
    "Store",
    "StoreError",
    "TokenGrant",
    "Transition",
    "WatchedJob",
    "is_url",
    "mask_url",
    "open_store",
]
