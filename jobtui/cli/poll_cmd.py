"""``jobtui poll``: the poller alone, in the foreground, with no screen.

It takes the lease of every configured provider nobody else polls, keeps
their jobs fresh in the store, and follows what other processes add or
remove; dashboards, ``watch`` and ``ls`` on the same store show its results.
SIGTERM or SIGINT (Ctrl-C) stop it cleanly: the leases are handed back at
once, so another process can take over without waiting for them to expire.
Run it under a service manager (``docs/jobtui-poll.service``) on a server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

__all__ = ["lease_period", "register", "run"]

log = logging.getLogger("jobtui.poll")

LEASE_PERIOD_ENV = "JOBTUI_LEASE_PERIOD"
"""Seconds a lease lasts without renewal (default 10); shorter for tests and demos."""


def lease_period() -> float:
    """The lease period from ``$JOBTUI_LEASE_PERIOD``, else the default."""
    import os

    from jobtui.engine.sharing import DEFAULT_LEASE_PERIOD

    text = os.environ.get(LEASE_PERIOD_ENV, "").strip()
    try:
        value = float(text) if text else DEFAULT_LEASE_PERIOD
    except ValueError:
        return DEFAULT_LEASE_PERIOD
    return value if value > 0 else DEFAULT_LEASE_PERIOD


def register(subparsers: Any) -> None:
    """Add the ``poll`` command."""
    parser = subparsers.add_parser(
        "poll",
        help="poll the providers for every process on the store (no screen)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Poll until SIGTERM or SIGINT; returns 0."""
    from jobtui.cli.storeopen import open_configured
    from jobtui.config import load_config, store_target
    from jobtui.store import mask_url

    config = load_config(Path(args.config) if args.config else None)
    # The config's ``store`` counts here as everywhere (it used to be ignored).
    target = store_target(args.store, config.store)
    store = open_configured(target, config.store, config.store_password)
    try:
        return asyncio.run(_poll(config, store, mask_url(target)))
    finally:
        store.close()


async def _poll(config: Any, store: Any, where: str, stop_fd: int | None = None) -> int:
    """Poll until SIGTERM or SIGINT (or, with ``stop_fd``, until that pipe's writer closes)."""
    from jobtui.engine import Engine

    engine = Engine(config, store, lease_period=lease_period())
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stopping.set)
    if stop_fd is not None:
        # The end of the pipe: the process that started this one is gone or done.
        loop.add_reader(stop_fd, stopping.set)
    log.info("jobtui poll starting on %s (pid %d)", where, _pid())
    runner = asyncio.create_task(engine.run())
    stopper = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        engine.stop()
        await asyncio.gather(runner, return_exceptions=True)
        await engine.aclose()
        stopper.cancel()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(number)
        if stop_fd is not None:
            loop.remove_reader(stop_fd)
    if runner.done() and not runner.cancelled() and runner.exception() is not None:
        log.error("the poller stopped: %s", runner.exception())
        return 1
    log.info("jobtui poll stopped, leases released")
    return 0


def _pid() -> int:
    import os

    return os.getpid()
