"""One dashboard process per browser session, and the cap on how many run at once.

textual-serve's ``AppService`` speaks the web driver's protocol with the
child (length-prefixed data and meta packets on its stdin/stdout); this
subclass changes how the child is started and stopped. It is started without
a shell, from an argument list (paths with spaces or quotes stay whole), in
a session of its own, so a Ctrl-C typed at ``jobtui serve`` reaches only
``serve``, which then ends its children in order: a ``quit`` message first,
which lets the dashboard hand back its provider leases, then SIGTERM and
SIGKILL for one that does not leave in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import signal
from asyncio.subprocess import Process
from collections.abc import Awaitable, Callable, Sequence

from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

__all__ = ["QUIT_GRACE", "DashboardSession", "SessionSlots"]

log = logging.getLogger("jobtui.serve")

QUIT_GRACE = 5.0
"""Seconds a dashboard gets to leave after ``quit`` before it is terminated."""

KILL_GRACE = 2.0
"""Seconds between SIGTERM and SIGKILL for a dashboard that ignored ``quit``."""


class DashboardSession(AppService):
    """The dashboard process behind one browser websocket."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        write_bytes: Callable[[bytes], Awaitable[None]],
        write_str: Callable[[str], Awaitable[None]],
        close: Callable[[], Awaitable[None]],
        environment: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            shlex.join(argv),
            write_bytes=write_bytes,
            write_str=write_str,
            close=close,
            download_manager=DownloadManager(),
        )
        self.argv = tuple(argv)
        self._extra_environment = dict(environment or {})
        self._ended = False

    @property
    def pid(self) -> int | None:
        """The dashboard's process id, once started."""
        return self._process.pid if self._process is not None else None

    @property
    def finished(self) -> asyncio.Task[None] | None:
        """The task relaying the dashboard's output; done when the process has left."""
        return self._task

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width=width, height=height)
        environment.update(self._extra_environment)
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process:
        process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width=width, height=height),
            start_new_session=True,
        )
        assert process.stdin is not None
        self._process = process
        self._stdin = process.stdin
        return process

    async def end(self, grace: float = QUIT_GRACE) -> None:
        """Make the dashboard leave, and wait until it has; safe to call twice."""
        process = self._process
        if process is None or self._ended:
            return
        self._ended = True
        if process.returncode is None:
            with contextlib.suppress(Exception):
                await self.send_meta({"type": "quit"})
            if not await _exited(process, grace):
                _signal_group(process, signal.SIGTERM)
                if not await _exited(process, KILL_GRACE):
                    _signal_group(process, signal.SIGKILL)
                    await process.wait()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        log.info("session of pid %d ended (exit %s)", process.pid, process.returncode)


async def _exited(process: Process, within: float) -> bool:
    try:
        await asyncio.wait_for(process.wait(), within)
    except TimeoutError:
        return False
    return True


def _signal_group(process: Process, number: signal.Signals) -> None:
    """Signal the dashboard's process group (it leads one: ``start_new_session``)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, number)


class SessionSlots:
    """The open sessions, at most ``limit`` of them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: set[DashboardSession] = set()

    def __len__(self) -> int:
        return len(self._open)

    @property
    def full(self) -> bool:
        """Whether a new session would be one too many."""
        return len(self._open) >= self.limit

    def take(self, session: DashboardSession) -> bool:
        """Count ``session`` in, unless every slot is taken (then False)."""
        if self.full:
            return False
        self._open.add(session)
        return True

    def release(self, session: DashboardSession) -> None:
        """Count ``session`` out (it has ended)."""
        self._open.discard(session)

    async def end_all(self, grace: float = QUIT_GRACE) -> None:
        """End every open session at once and wait for all of them."""
        await asyncio.gather(
            *(session.end(grace) for session in list(self._open)), return_exceptions=True
        )
