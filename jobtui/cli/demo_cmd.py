"""``jobtui demo``: the simulator, a throwaway store and the dashboard, nothing to configure.

Everything lives in a temporary directory (config, store, prefs) and the
simulator runs in a thread of this process on a free loopback port; quitting
stops both and deletes the directory, so a demo leaves nothing behind. A new
job is submitted to the simulator every few seconds so the screen stays alive.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
from pathlib import Path
from typing import Any

from jobtui.cli.arguments import count, rate, speed
from jobtui.cli.dashboard_cmd import add_mouse_option, require_terminal

__all__ = ["register", "run"]

SUBMIT_EVERY = 4.0
"""Seconds between two jobs submitted by the demo (at simulator speed 1)."""


def register(subparsers: Any) -> None:
    """Add the ``demo`` command."""
    parser = subparsers.add_parser(
        "demo",
        help="try the dashboard on simulated providers (nothing to configure)",
        description="Start the simulator and open the dashboard on it; q quits and cleans up.",
    )
    parser.add_argument("--jobs", type=count, default=40, help="jobs seeded per provider")
    parser.add_argument(
        "--faults", type=rate, default=0.0, help="share of requests that fail (0 to 1)"
    )
    parser.add_argument("--speed", type=speed, default=1.0, help="simulated time speed factor")
    parser.add_argument(
        "--images",
        choices=("halfcell", "sixel", "kitty", "off"),
        default=None,
        help="how the Preview tab draws pictures, as [ui] images (default: halfcell)",
    )
    add_mouse_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit code."""
    from jobtui.config import load_config
    from jobtui.engine import Engine
    from jobtui.sim import Simulator
    from jobtui.store import Store
    from jobtui.tui.app import make_app
    from jobtui.tui.terminal.hangup import end_after_hangup

    if not require_terminal():
        return 2
    hung_up = False
    with tempfile.TemporaryDirectory(prefix="jobtui-demo-") as directory:
        root = Path(directory)
        sim = Simulator(jobs=args.jobs, faults=args.faults, speed=args.speed, port=0)
        sim.start_in_thread()
        store: Store | None = None
        try:
            config_path = root / "config.toml"
            # The simulator's config holds its fake credentials: keep it private anyway.
            descriptor = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(sim.config_toml(store_jobs=True))
                if args.images is not None:
                    handle.write(f'\n[ui]\nimages = "{args.images}"\n')
            config = load_config(config_path)
            store = Store(root / "store.sqlite")
            engine = Engine(config, store)
            app = make_app(config, store, engine=engine, prefs_path=root / "prefs.toml")
            providers = {name: provider.kind for name, provider in config.providers.items()}

            async def submit_jobs() -> None:
                # A steady trickle of new jobs, so there is always something moving.
                chooser = random.Random()
                while True:
                    await asyncio.sleep(SUBMIT_EVERY / max(args.speed, 0.25))
                    name = chooser.choice(sorted(providers))
                    job_id = await asyncio.to_thread(sim.create_job, providers[name])
                    await engine.add_jobs(name, [job_id], "demo")

            if providers:
                app.run_in_background(submit_jobs)
            mouse = config.ui.mouse and not getattr(args, "no_mouse", False)
            result = int(app.run(mouse=mouse) or 0)
            hung_up = app.hung_up
        finally:
            sim.stop_in_thread()
            if store is not None:
                store.close()
    if hung_up:
        end_after_hangup(result)  # the temporary directory is gone already
    return result
