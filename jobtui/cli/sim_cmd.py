"""``jobtui sim``: the provider simulator in the foreground, its config on stdout.

The printed config (all simulated providers with their fake credentials, the
seeded jobs as ``[[jobs]]`` and a throwaway store of its own, deleted when the
simulator stops) works as ``--config`` for every other command without edits.
``--write-config PATH`` writes it to a file instead, readable by the owner only,
once the simulator listens. Logs go to stderr; ctrl+c (or SIGTERM) stops the
server cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from jobtui.cli.arguments import count, rate, speed

__all__ = ["register", "run"]

DEFAULT_PORT = 8765
"""Where ``jobtui sim`` listens unless told otherwise (a stable port for scripts)."""


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535 (0: any free port)")
    return value


def _speed(text: str) -> float:
    return speed(text, frozen_ok=True)


def register(subparsers: Any) -> None:
    """Add the ``sim`` command."""
    parser = subparsers.add_parser(
        "sim",
        help="run the provider simulator and print a config for it",
        description=(
            "Run the simulator of all five provider APIs on loopback and print a ready "
            "config for --config (its own throwaway store included); ctrl+c stops it."
        ),
    )
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--jobs", type=count, default=40, help="jobs seeded per provider")
    parser.add_argument("--seed", type=int, default=0, help="same seed, same world")
    parser.add_argument(
        "--faults", type=rate, default=0.0, help="share of requests that misbehave (0 to 1)"
    )
    parser.add_argument(
        "--speed", type=_speed, default=1.0, help="simulated seconds per real second (0: frozen)"
    )
    parser.add_argument(
        "--write-config",
        metavar="PATH",
        help="write the config to PATH (owner-only, once listening) instead of stdout",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns the exit code."""
    from jobtui.sim import Simulator

    sim = Simulator(
        jobs=args.jobs,
        seed=args.seed,
        faults=args.faults,
        speed=args.speed,
        host=args.host,
        port=args.port,
    )
    scratch = Path(tempfile.mkdtemp(prefix="jobtui-sim-"))
    try:
        return asyncio.run(_serve(sim, scratch / "store.sqlite", args.write_config))
    except OSError as error:
        print(f"jobtui sim: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, whole or not at all (rename into place)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, path)


async def _serve(sim: Any, store: Path, write_config: str | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await sim.start()
    try:
        text = sim.config_toml(store_jobs=True, store=str(store))
        if write_config:
            write_private(Path(write_config), text)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        print(
            f"jobtui sim: serving {', '.join(sim.kinds)} at {sim.url} "
            f"(seed {sim.seed}, speed {sim.speed:g}); ctrl+c stops",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await sim.stop()
    print("jobtui sim: stopped", file=sys.stderr, flush=True)
    return 0
