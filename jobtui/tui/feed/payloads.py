"""Whole snapshots for the detail pane, of jobs the list holds without their payloads.

The dashboard lists jobs with ``raw`` left out (most of the bytes, and of
the start-up time). When the detail pane shows such a job, its snapshot is
read whole from the store off the event loop; this remembers the last few,
tied to the very snapshot object they complete, so a job that has since
been polled again (a new snapshot, with its own payload) is never shown
with an older one.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

from jobtui.model import Job, JobKey
from jobtui.store import WatchedJob

__all__ = ["PAYLOADS_KEPT", "PayloadCache"]


PAYLOADS_KEPT = 32
"""How many fetched payloads are kept: enough to go back and forth between jobs."""


class PayloadCache:
    """Fetched whole snapshots, least recently used first out."""

    def __init__(self, size: int = PAYLOADS_KEPT) -> None:
        self._size = size
        self._whole: OrderedDict[JobKey, tuple[Job, Job]] = OrderedDict()

    @staticmethod
    def lacks_payload(watched: WatchedJob) -> bool:
        """Whether ``watched`` has a snapshot whose payload was left out."""
        return watched.job is not None and watched.job.raw is None

    def complete(self, watched: WatchedJob) -> WatchedJob | None:
        """``watched`` with its payload when it is known here; None when it must be fetched.

        A job that needs no fetch (no snapshot, or a payload already) comes back as is.
        """
        if not self.lacks_payload(watched):
            return watched
        key = (watched.provider, watched.id)
        found = self._whole.get(key)
        if found is None or found[0] is not watched.job:
            return None
        self._whole.move_to_end(key)
        return dataclasses.replace(watched, job=found[1])

    def remember(self, key: JobKey, stripped: Job, whole: Job) -> None:
        """Keep ``whole`` as the full form of the snapshot object ``stripped``."""
        self._whole[key] = (stripped, whole)
        self._whole.move_to_end(key)
        while len(self._whole) > self._size:
            self._whole.popitem(last=False)
