"""The store interface every backend satisfies, and ``open_store`` choosing one by location.

Callers (the CLI, the engine, the dashboard) depend on ``JobStore``, not on
the SQLite class, so a second backend (PostgreSQL, issue #15) can stand in
without touching them. A location is a file path (SQLite) or a
``postgresql://`` / ``postgres://`` URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol, Self, runtime_checkable

from jobtui.model import JobState
from jobtui.store.bus import ChangeBatch, Lease, Request
from jobtui.store.claims import ProviderBlock, TokenGrant
from jobtui.store.location import URL_SCHEMES, is_url, mask_url
from jobtui.store.pages import JobOutline
from jobtui.store.records import PollOutcome, StoreError, Transition, WatchedJob

__all__ = ["URL_SCHEMES", "JobStore", "is_url", "mask_url", "open_store"]


@runtime_checkable
class JobStore(Protocol):
    """What the rest of jobtui asks of a store (see ``jobtui.store.database.Store``)."""

    origin: str
    pushes_changes: bool
    """True when ``wait_for_change`` is woken by other processes' writes (PostgreSQL
    NOTIFY); False when it can only probe (SQLite: followers probe ``data_version``)."""
    shared_polling: bool
    """Whether pollers on this store share each provider by default (claims, a shared
    budget) rather than one process holding its lease (see ``jobtui.store.claims``)."""

    @property
    def problem(self) -> str | None:
        """Why the store cannot be reached right now (None while it can; SQLite: always None)."""

    @property
    def schema_version(self) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc_info: object) -> None: ...
    def add_jobs(
        self,
        entries: Iterable[tuple[str, str, str, str | None]],
        *,
        added_at: datetime | None = None,
        relabel: bool = False,
    ) -> int: ...
    def set_label(self, provider: str, job_id: str, label: str | None) -> bool: ...
    def remove_jobs(self, provider: str, ids: Sequence[str]) -> int: ...
    def save_outcomes(
        self,
        outcomes: Sequence[PollOutcome],
        requests: Mapping[tuple[str, datetime], int] | None = None,
    ) -> list[Transition]: ...
    def list_jobs(
        self,
        provider: str | None = None,
        state: JobState | None = None,
        *,
        include_raw: bool = True,
        lean: bool = False,
    ) -> list[WatchedJob]: ...
    def job_outline(self) -> list[JobOutline]: ...
    def get_job(
        self, provider: str, job_id: str, *, raw_limit: int | None = None
    ) -> WatchedJob | None: ...
    def transitions(self, provider: str, job_id: str) -> list[Transition]: ...
    def transitions_since(self, since: datetime | None = None) -> list[Transition]: ...
    def record_requests(self, counts: Mapping[tuple[str, datetime], int]) -> None: ...
    def request_counts(self, since: datetime | None = None) -> dict[str, int]: ...
    def count_jobs(self) -> int: ...
    def get_jobs(self, keys: Iterable[tuple[str, str]]) -> list[WatchedJob]: ...
    def data_version(self) -> int: ...
    def wait_for_change(self, timeout: float) -> bool: ...
    def latest_change(self) -> int: ...
    def changes_since(self, seq: int) -> ChangeBatch: ...
    def take_lease(
        self,
        provider: str,
        holder: str,
        *,
        pid: int,
        host: str,
        now: datetime,
        period: float,
        health: str | None = None,
    ) -> Lease | None: ...
    def renew_lease(
        self,
        provider: str,
        holder: str,
        *,
        now: datetime,
        period: float,
        hold_until: datetime | None,
        health: str | None,
    ) -> bool: ...
    def release_lease(
        self, provider: str, holder: str, *, hold_until: datetime | None, health: str | None
    ) -> None: ...
    def leases(self) -> dict[str, Lease]: ...
    def add_request(
        self,
        provider: str,
        op: str,
        *,
        job_ids: Sequence[str | None] = (None,),
        value: float | None = None,
        now: datetime | None = None,
    ) -> None: ...
    def pending_requests(self) -> int: ...
    def take_requests(self, providers: Sequence[str]) -> list[Request]: ...
    def claim_jobs(
        self,
        provider: str,
        holder: str,
        *,
        now: datetime,
        until: datetime,
        limit: int,
        ids: Sequence[str] = (),
    ) -> list[str]: ...
    def release_claims(
        self, provider: str, holder: str, ids: Sequence[str] | None = None
    ) -> int: ...
    def claims(self, provider: str, now: datetime) -> dict[str, str]: ...
    def next_claimable(self, provider: str, now: datetime) -> datetime | None: ...
    def take_tokens(
        self, provider: str, *, rate: float | None, burst: float, count: float = 1.0
    ) -> TokenGrant: ...
    def give_back_tokens(self, provider: str, count: float, *, burst: float) -> None: ...
    def block_provider(
        self, provider: str, *, state: str, until: datetime | None, reason: str | None
    ) -> None: ...
    def clear_block(self, provider: str, states: Sequence[str] | None = None) -> None: ...
    def provider_block(self, provider: str) -> ProviderBlock | None: ...


def open_store(
    location: str | Path, *, password: str | None = None, read_only: bool = False
) -> JobStore:
    """The store at ``location``: SQLite for a path, PostgreSQL for a ``postgresql://`` URL.

    ``password`` (PostgreSQL only) comes from the config's ``password_cmd``;
    without it libpq finds one itself (the URL, ``PGPASSWORD``, ``.pgpass``).
    ``read_only`` opens a PostgreSQL store as a viewer that creates, migrates
    and writes nothing. psycopg is imported only for a URL: SQLite users never
    load it, nor need it installed.
    """
    if is_url(location):
        assert isinstance(location, str)
        try:
            from jobtui.store.postgres import PostgresStore
        except ImportError:
            raise StoreError(
                f"{mask_url(location)}: PostgreSQL stores need psycopg:"
                " pip install 'jobtui[postgres]'"
            ) from None
        return PostgresStore(location, password=password, read_only=read_only)
    from jobtui.store.database import Store

    return Store(Path(location), read_only=read_only)
