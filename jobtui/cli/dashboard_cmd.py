"""``jobtui`` (no command) and ``jobtui dashboard``: open the dashboard."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_mouse_option", "register", "require_terminal", "run"]


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
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show everything, write nothing (no polling, no actions that change jobs)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Open the dashboard; returns the exit code."""
    from jobtui.cli.poll_cmd import lease_period, shared_mode
    from jobtui.cli.pollchild import start_poll_child
    from jobtui.cli.storeopen import open_configured
    from jobtui.config import load_config, state_dir
    from jobtui.engine import Engine
    from jobtui.tui.app import make_app
    from jobtui.tui.terminal.hangup import end_after_hangup

    if not require_terminal():
        return 2
    config = load_config(Path(args.config) if args.config else None)
    if config.path is None and not config.providers:
        print(no_config_message(args.config), file=sys.stderr)
        return 2
    read_only = bool(getattr(args, "read_only", False))
    # Forked first: before this process opens the store or starts a thread. A
    # read-only dashboard polls nothing, so it has no poller of its own.
    child = None if read_only else start_poll_child(config, args.store)
    hung_up = False
    try:
        store = open_configured(
            args.store, config.store, config.store_password, read_only=read_only
        )
        try:
            if not read_only and not getattr(store, "writable", True):
                # A role that may only read (README: the read-only role): a viewer only.
                read_only = True
            engine = Engine(
                config,
                store,
                lease_period=lease_period(),
                read_only=read_only,
                # Lean rows: the list shows no items, the detail pane reads its job whole.
                lean=True,
                # The child discovers and polls; this engine follows it, and takes
                # over (once the leases expire) only if the child ends early.
                discover=child is None,
                may_poll=None if child is None else (lambda: not child.alive()),
                shared=shared_mode(),
            )
            app = make_app(
                config,
                store,
                engine=engine,
                prefs_path=state_dir() / "prefs.toml",
                read_only=read_only,
            )
            if child is not None:
                app.when_rows_shown(child.release)
            mouse = config.ui.mouse and not getattr(args, "no_mouse", False)
            result = int(app.run(mouse=mouse) or 0)
            hung_up = app.hung_up
        finally:
            store.close()
    finally:
        if child is not None:
            child.stop()
    if hung_up:
        end_after_hangup(result)
    return result


def no_config_message(override: str | None) -> str:
    """What a first start without a config says: where it is expected, and what to try."""
    from jobtui.config import config_path

    return (
        f"jobtui: no config at {config_path(override)} yet.\n"
        "  jobtui config init   writes a starter config there to edit (then: jobtui config check)\n"
        "  jobtui demo          tries the dashboard on simulated providers, nothing to configure"
    )


def require_terminal() -> bool:
    """True when there is a terminal to draw on; otherwise say what to use instead.

    A Textual driver named in ``$TEXTUAL_DRIVER`` (``jobtui serve``'s web
    driver) draws on its own channel, not a terminal: then none is needed.
    """
    from jobtui.tui.terminal.hangup import NO_TERMINAL, driven_over_pipes, has_terminal

    if has_terminal() or driven_over_pipes():
        return True
    print(NO_TERMINAL, file=sys.stderr)
    return False
