"""Where the dashboard's jobs come from and go to: the engine when it runs, else the store.

Without an engine the dashboard still shows the store and can add and
remove jobs in it; with one, every change goes through the engine so its
in-memory model and the store stay in step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from jobtui.config.model import Config
from jobtui.model import JobKey
from jobtui.store import JobStore, Transition, WatchedJob
from jobtui.tui.feed.enginelink import EngineLike
from jobtui.tui.feed.firstpage import FirstPage, first_page

__all__ = ["WatchList"]


class WatchList:
    """Reads and writes of watched jobs for the dashboard."""

    def __init__(self, config: Config, store: JobStore, engine: EngineLike | None) -> None:
        self.config = config
        self.store = store
        self.engine = engine

    async def load(self) -> list[WatchedJob]:
        """Every watched job as the list shows it (``raw`` None, no items; see ``whole_job``).

        With an engine, its own start-up read is taken, so the store is listed once;
        the engine's discovery, which waits on the network, goes on after.
        """
        if self.engine is not None:
            return list((await self.engine.load_stored()).values())
        return await asyncio.to_thread(self.store.list_jobs, lean=True)

    async def first_page(
        self, sort_column: str, reverse: bool, rows: int
    ) -> tuple[FirstPage, list[WatchedJob]] | None:
        """The first ``rows`` jobs of the list sorted so, and the counts of every job.

        From the store's outline (one narrow query) and those jobs read by key:
        what the first screen shows while ``load`` reads the rest. None when the
        outline cannot order by ``sort_column``, or when the store holds no more
        than a page (then the whole read is as quick, and its jobs are not read twice).
        """
        outline = await asyncio.to_thread(self.store.job_outline)
        page = await asyncio.to_thread(first_page, outline, sort_column, reverse, rows)
        if page is None or page.total <= rows:
            return None
        jobs = await asyncio.to_thread(self.store.get_jobs, page.keys)
        return page, jobs

    def whole_job(self, key: JobKey, *, raw_limit: int | None = None) -> WatchedJob | None:
        """One job with its snapshot's payload (blocking; see ``Store.get_job`` for the limit).

        Without a limit it may parse megabytes: call it off the event loop.
        """
        return self.store.get_job(*key, raw_limit=raw_limit)

    def transitions(self, key: JobKey) -> list[Transition]:
        """A job's state history (empty when the store cannot say)."""
        try:
            return self.store.transitions(*key)
        except Exception:  # the history is a nicety: it must never break the screen
            return []

    async def add(
        self, provider: str, ids: Sequence[str], label: str | None
    ) -> tuple[int, list[WatchedJob]]:
        """Watch ``ids`` at ``provider``: how many were new, and the jobs as now stored."""
        keys = [(provider, job_id) for job_id in ids]
        if self.engine is not None:
            added = await self.engine.add_jobs(provider, ids, label)
            known = self.engine.jobs()
            return added, [known[key] for key in keys if key in known]
        provider_config = self.config.providers.get(provider)
        if provider_config is None:
            raise ValueError(f"no provider named {provider!r} in the config")
        entries = [(provider, provider_config.kind, job_id, label) for job_id in ids]
        added = await asyncio.to_thread(self.store.add_jobs, entries)
        found = await asyncio.to_thread(lambda: [self.store.get_job(*key) for key in keys])
        return added, [job for job in found if job is not None]

    async def remove(self, keys: Iterable[JobKey]) -> int:
        """Stop watching ``keys``; returns how many were watched."""
        keys = list(keys)
        if self.engine is not None:
            return await self.engine.remove_jobs(keys)
        by_provider: dict[str, list[str]] = {}
        for provider, job_id in keys:
            by_provider.setdefault(provider, []).append(job_id)
        removed = 0
        for provider, ids in by_provider.items():
            removed += await asyncio.to_thread(self.store.remove_jobs, provider, ids)
        return removed
