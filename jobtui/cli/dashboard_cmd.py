"""``jobtui`` (no command) and ``jobtui dashboard``: open the dashboard."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_mouse_option", "register", "run"]


def add_mouse_option(parser: argparse.ArgumentParser) -> None:
    """``--no-mouse``: no mouse reporting, for slow links (every movement is a message)."""
    parser.add_argument(
        "--no-mouse",
        action="store_true",
        # SUPPRESS keeps a global --no-mouse from being reset by this parser's default.
        default=argparse.SUPPRESS,
        help="do not capture the mouse (for slow SSH links)",
    )


def register(subparsers: Any) -> None:
    """Add the ``dashboard`` command."""
    parser = subparsers.add_parser(
        "dashboard",
        help="open the dashboard (what `jobtui` with no command does)",
        description="Open the dashboard on the configured providers and the store.",
    )
    add_mouse_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Open the dashboard; returns the exit code."""
    from jobtui.cli.poll_cmd import lease_period
    from jobtui.config import load_config, state_dir, store_path
    from jobtui.engine import Engine
    from jobtui.store import Store
    from jobtui.tui.app import make_app

    config = load_config(Path(args.config) if args.config else None)
    store = Store(store_path(args.store))
    try:
        engine = Engine(config, store, lease_period=lease_period())
        app = make_app(config, store, engine=engine, prefs_path=state_dir() / "prefs.toml")
        mouse = config.ui.mouse and not getattr(args, "no_mouse", False)
        result = app.run(mouse=mouse)
        return int(result or 0)
    finally:
        store.close()
