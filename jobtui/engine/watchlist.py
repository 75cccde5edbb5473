"""The watch list: jobs in the store plus jobs declared in the config."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from jobtui.config.model import Config
from jobtui.model import JobKey
from jobtui.store import JobStore, WatchedJob

if TYPE_CHECKING:
    from jobtui.providers.base import Provider

__all__ = ["discover_jobs", "load_watch_list"]

log = logging.getLogger(__name__)


def _config_entries(config: Config) -> list[tuple[str, str, str, str | None]]:
    entries: list[tuple[str, str, str, str | None]] = []
    for declared in config.jobs:
        provider = config.providers.get(declared.provider)
        if provider is None:
            log.warning("[[jobs]] %s names no configured provider", declared.provider)
            continue
        entries.append((declared.provider, provider.kind, declared.id, declared.label))
    return entries


def load_watch_list(
    config: Config, store: JobStore, *, write: bool = True, lean: bool = False
) -> dict[JobKey, WatchedJob]:
    """Add the config's ``[[jobs]]`` to the store (labels kept) and read every watched job.

    ``write=False`` (a read-only viewer) only reads: the config's jobs show once a
    process that may write has added them.

    Snapshots come without their ``raw`` payloads: polling needs the normalized
    fields only, and the payloads are most of the bytes (about 1 s per 10,000
    jobs of 2 KB). Whoever shows a payload reads that job whole (``get_job``).
    ``lean`` leaves out the items too (the store's ``listing`` copy): what a job
    list and the poller need, for a screen that reads a job whole to show it.
    """
    entries = _config_entries(config) if write else []
    if entries:
        store.add_jobs(entries)
        set_label = getattr(store, "set_label", None)
        for provider, _, job_id, label in entries:
            if label is not None and set_label is not None:
                set_label(provider, job_id, label)
    listed = store.list_jobs(lean=True) if lean else store.list_jobs(include_raw=False)
    return {(j.provider, j.id): j for j in listed}


async def discover_jobs(
    providers: Mapping[str, Provider], store: JobStore
) -> set[JobKey]:
    """Ask providers that can list their jobs, and watch what they report.

    Returns the ``(provider, id)`` of every job reported (watched already or not).

    Providers are asked at once, each bounded by its own request timeout, so a
    hung provider delays the first polls by its timeout at most, not by the sum.
    """
    askable = {
        name: provider
        for name, provider in providers.items()
        if provider.supports_discover and provider.can_discover
    }
    found = await asyncio.gather(*(_discover_one(p) for p in askable.values()))
    reported: set[JobKey] = set()
    for (name, provider), ids in zip(askable.items(), found, strict=True):
        entries = [(name, provider.kind, job_id, None) for job_id in ids]
        if entries:
            await asyncio.to_thread(store.add_jobs, entries)
            reported.update((name, job_id) for job_id in ids)
    return reported


async def _discover_one(provider: Provider) -> list[str]:
    try:
        # Discovery may page through several requests: allow a few timeouts' worth.
        async with asyncio.timeout(3 * provider.config.timeout):
            return list(await provider.discover())
    except Exception as exc:
        log.warning("discovery at %s failed: %s", provider.name, type(exc).__name__)
        return []
