"""``jobtui poll``: the poller alone, in the foreground, with no screen.

It takes the lease of every configured provider nobody else polls, keeps
their jobs fresh in the store, and follows what other processes add or
remove; dashboards, ``watch`` and ``ls`` on the same store show its results.
SIGTERM or SIGINT (Ctrl-C) stop it cleanly: the leases are handed back at
once, so another process can take over without waiting for them to expire.
Run it under a service manager (``docs/jobtui-poll.service``) on a server.

With ``--shared`` (the default on a PostgreSQL store), several ``jobtui poll``
share each provider: every due job is claimed by one of them per round, and
the provider's ``rate_limit`` is the budget of them all together.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

__all__ = ["lease_period", "register", "run", "shared_mode"]

log = logging.getLogger("jobtui.poll")

LEASE_PERIOD_ENV = "JOBTUI_LEASE_PERIOD"
"""Seconds a lease lasts without renewal (default 10); shorter for tests and demos."""

SHARED_ENV = "JOBTUI_SHARED_POLLING"
"""``1`` or ``0``: poll as a member of a shared pool, or alone (default: the store's)."""


def shared_mode(flag: bool | None = None) -> bool | None:
    """Shared polling asked by ``flag`` (a command's option), else ``$JOBTUI_SHARED_POLLING``.

    None leaves it to the store: shared on PostgreSQL, alone on a SQLite file.
    """
    import os

    if flag is not None:
        return flag
    text = os.environ.get(SHARED_ENV, "").strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    return None


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
    parser.add_argument(
        "--shared",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="share each provider with the other pollers on the store (claims, one budget);"
        " default: shared on PostgreSQL, alone on a SQLite file",
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
        shared = shared_mode(getattr(args, "shared", None))
        return asyncio.run(_poll(config, store, mask_url(target), shared=shared))
    finally:
        store.close()


async def _poll(
    config: Any,
    store: Any,
    where: str,
    stop_fd: int | None = None,
    shared: bool | None = None,
) -> int:
    """Poll until SIGTERM or SIGINT (or, with ``stop_fd``, until that pipe's writer closes)."""
    from jobtui.engine import Engine

    engine = Engine(config, store, lease_period=lease_period(), shared=shared)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stopping.set)
    if stop_fd is not None:
        # The end of the pipe: the process that started this one is gone or done.
        loop.add_reader(stop_fd, stopping.set)
    mode = "shared with the other pollers" if engine.shared else "one poller per provider"
    log.info("jobtui poll starting on %s (pid %d, %s)", where, _pid(), mode)
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
    if engine.shared:
        log.info("jobtui poll stopped, claims handed back (the pool's lease stays with the others)")
    else:
        log.info("jobtui poll stopped, leases released")
    return 0


def _pid() -> int:
    import os

    return os.getpid()
