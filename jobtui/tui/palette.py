"""The dashboard's entries in the command palette (ctrl+p): every key's action, and columns.

Each action shows its keys as the user has them (after ``[ui.keys]``) and
its action id; actions that do not apply right now (cancel where it is not
supported) are left out, as they are from the key hints.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from textual.app import SystemCommand

from jobtui.tui.host import DashboardHost
from jobtui.tui.joblist.columns import COLUMNS
from jobtui.tui.keys import KEY_SPECS
from jobtui.tui.screens.dashboard import DashboardScreen

__all__ = ["dashboard_commands", "serve_hint"]

_LISTED_BY_TEXTUAL = ("quit", "quit_now")
"""Textual lists its own "Quit"; ctrl+c is only a second key for it."""


def dashboard_commands(app: DashboardHost, screen: DashboardScreen) -> Iterator[SystemCommand]:
    """The palette entries for the dashboard ``screen`` of the app ``app``."""
    for spec in KEY_SPECS:
        if spec.id in _LISTED_BY_TEXTUAL:
            continue
        action_name = spec.action.split("(", 1)[0]
        if spec.scope == "screen" and not screen.check_action(action_name, ()):
            continue
        keys = " ".join(app.key_display(key) for key in app.keys[spec.id].split(","))
        target = screen.job_list if spec.scope == "joblist" else screen
        yield SystemCommand(
            spec.description,
            f"{keys} · {spec.id}",
            # After the palette has closed, so the action sees the dashboard's focus.
            partial(screen.app.call_later, target.run_action, spec.action),
        )
    shown = screen.job_list.columns
    for column in COLUMNS.values():
        if column.name == "state":
            continue
        verb = "Hide" if column.name in shown else "Show"
        yield SystemCommand(
            f"{verb} the {column.title} column",
            "Job list columns are remembered in prefs.toml",
            partial(app.toggle_column, column.name),
        )
    yield SystemCommand(
        "Serve this dashboard in a browser",
        "How to run jobtui serve on this config (a URL with a token; loopback)",
        partial(screen.app.notify, serve_hint(app.config.path), title="jobtui serve", timeout=30),
    )


def serve_hint(config_path: Path | None) -> str:
    """The command line that serves this dashboard to a browser, and how to reach it."""
    config = f" --config {shlex.quote(str(config_path))}" if config_path is not None else ""
    return (
        f"In a shell: jobtui{config} serve\n"
        "then open the URL it prints. From another machine: "
        "ssh -L 8765:127.0.0.1:8765 THIS-HOST first, and open the URL there."
    )
