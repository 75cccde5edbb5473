"""The dashboard's poller in a process of its own.

Polling 10,000 jobs keeps a core busy: HTTP, parsing, store writes. On the
dashboard's event loop that work sits between a key and its frame (a cursor
key waited 160-450 ms). So the dashboard forks, before its screen starts, a
child that runs what ``jobtui poll`` runs, with the config already loaded
(no second parse, no secret command run twice). The child takes the leases;
the dashboard follows the store like any viewer, and its keys, refreshes,
pauses and cancels reach the child as requests, as they would reach any
process that polls. The child stops when the pipe from its parent closes:
at the dashboard's exit, or when the dashboard dies however it dies.
While the child lives the dashboard takes no free lease; if it ends early,
the dashboard's own engine takes the leases over after they expire. The
child begins once the dashboard's first rows are on screen (or after
``START_WAIT_SECONDS``): its start would otherwise compete with the first frame.

``JOBTUI_POLLER=loop`` keeps the poller on the dashboard's loop (as before);
so does any system without ``fork``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import time
from pathlib import Path
from typing import Any

__all__ = ["CHILD_NICENESS", "POLLER_ENV", "START_WAIT_SECONDS", "PollChild", "start_poll_child"]

log = logging.getLogger("jobtui.poll")

POLLER_ENV = "JOBTUI_POLLER"
"""``process`` (the default): poll in a child process; ``loop``: on the dashboard's loop."""

CHILD_NICENESS = 5
"""How much lower the child's CPU priority is than the dashboard's.

On a busy machine a key should reach the screen before the next batch of
answers is parsed: the kernel then lets the dashboard run first when both
want a core, and the poller takes what is left (a poll a few milliseconds
later changes nothing a person sees).
"""


START_WAIT_SECONDS = 3.0
"""How long the child waits for the dashboard's first rows before it starts anyway.

The child's start (opening the store, adding the config's jobs, reading every
job) would compete for the machine with the dashboard's first frame, the one
moment a person waits for. It starts once the first rows are on screen
(:meth:`PollChild.release`), or after this long whatever happens.
"""


class PollChild:
    """A forked poller, stopped by closing the pipe it watches."""

    def __init__(self, pid: int, stop_fd: int, release_fd: int | None = None) -> None:
        self.pid = pid
        self._stop_fd: int | None = stop_fd
        self._release_fd: int | None = release_fd
        self._status: int | None = None

    def release(self) -> None:
        """Let the child start polling now (the dashboard's first rows are on screen)."""
        if self._release_fd is None:
            return
        # A child that stopped waiting has closed its end: nothing to tell it then.
        with contextlib.suppress(OSError):
            os.write(self._release_fd, b"g")
        os.close(self._release_fd)
        self._release_fd = None

    def alive(self) -> bool:
        """Whether the child still runs (reaps it once it has ended)."""
        if self._status is not None:
            return False
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            self._status = -1
            return False
        if pid == 0:
            return True
        self._status = status
        log.warning("the dashboard's poller (pid %d) ended early", self.pid)
        return False

    def stop(self, timeout: float = 10.0) -> None:
        """Close the pipe and wait for the child to hand its leases back (then kill it)."""
        if self._stop_fd is not None:
            os.close(self._stop_fd)
            self._stop_fd = None
        if self._release_fd is not None:  # after the stop pipe: a waiting child then ends
            os.close(self._release_fd)
            self._release_fd = None
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                self._status = -signal.SIGKILL
                return
            time.sleep(0.02)


def start_poll_child(config: Any, store_option: str | Path | None) -> PollChild | None:
    """Fork the poller for the store ``--store`` / the config names; None when it stays here.

    Call it before any thread starts and before this process opens the store:
    the child opens its own.
    """
    if os.environ.get(POLLER_ENV, "process").strip().lower() == "loop":
        return None
    if not config.providers or not hasattr(os, "fork"):
        return None
    from jobtui.providers import import_clients

    # Both processes build these providers (the child polls, this one follows and
    # serves actions): imported before the fork, the child shares them.
    import_clients(provider.kind for provider in config.providers.values())
    read_end, write_end = os.pipe()
    release_read, release_write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(read_end)
        os.close(release_read)
        os.set_inheritable(write_end, False)
        os.set_inheritable(release_write, False)
        return PollChild(pid, write_end, release_write)
    # The child: never returns.
    code = 1
    try:
        os.close(write_end)
        os.close(release_write)
        os.setsid()  # no signals from the dashboard's terminal; the pipe says when to stop
        os.nice(CHILD_NICENESS)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)  # nothing of the child may reach the screen
        if _wait_for_release(release_read, read_end, START_WAIT_SECONDS):
            code = _run(config, store_option, read_end)
        else:
            code = 0  # the dashboard ended before its first rows: nothing to poll for
    except BaseException:
        log.exception("the dashboard's poller failed")
    finally:
        logging.shutdown()
        os._exit(code)


def _wait_for_release(release_fd: int, stop_fd: int, timeout: float) -> bool:
    """Wait for the dashboard's go (or ``timeout``); False when the dashboard is gone."""
    try:
        ready, _, _ = select.select([release_fd, stop_fd], [], [], timeout)
        # The stop pipe's end: the dashboard quit (or died) meanwhile.
        return not (stop_fd in ready and os.read(stop_fd, 1) == b"")
    finally:
        os.close(release_fd)


def _run(config: Any, store_option: str | Path | None, stop_fd: int) -> int:
    import asyncio

    from jobtui.cli.poll_cmd import _poll, shared_mode
    from jobtui.cli.storeopen import open_configured
    from jobtui.config import store_target
    from jobtui.store import mask_url

    # The same store, with the same password source, as the dashboard opens.
    store = open_configured(store_option, config.store, config.store_password)
    try:
        target = store_target(store_option, config.store)
        return asyncio.run(_poll(config, store, mask_url(target), stop_fd, shared=shared_mode()))
    finally:
        store.close()
