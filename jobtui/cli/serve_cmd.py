"""``jobtui serve``: the dashboard in a browser, one dashboard process per browser tab.

Listens on loopback by default and prints one URL carrying a random token
made at start: open it in a browser on this machine, or through an SSH
tunnel (ssh -L 8765:127.0.0.1:8765 server) from another. Each tab runs
jobtui with this command's config and store, a viewer of the store like
any other process; one of them (or a jobtui poll) polls. SIGTERM or
SIGINT end every session and then the server. Needs the serve extra.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_PORT", "register", "run"]

DEFAULT_PORT = 8765
DEFAULT_MAX_SESSIONS = 4


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535 (0: any free port)")
    return value


def _sessions(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    parser = subparsers.add_parser(
        "serve",
        help="the dashboard in a browser (textual-serve; loopback, a token in the URL)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port to listen on (default: {DEFAULT_PORT}; 0: any free port)",
    )
    parser.add_argument(
        "--max-sessions",
        type=_sessions,
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help=f"browser sessions open at once (default: {DEFAULT_MAX_SESSIONS})",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT; returns the exit code."""
    import asyncio

    from jobtui.cli.dashboard_cmd import no_config_message
    from jobtui.config import load_config, store_target
    from jobtui.store import mask_url

    try:
        from jobtui.serve import ServeOptions, run_server
        from jobtui.serve.access import is_loopback
        from jobtui.serve.server import port_in_use_hint
    except ModuleNotFoundError as exc:
        if exc.name not in ("textual_serve", "aiohttp_jinja2"):
            raise
        print(
            "jobtui serve needs textual-serve: pip install 'jobtui[serve]'",
            file=sys.stderr,
        )
        return 2
    # Check what every session will load now, once, rather than in each browser tab.
    config = load_config(Path(args.config) if args.config else None)
    if config.path is None and not config.providers:
        print(no_config_message(args.config), file=sys.stderr)
        return 2
    store = store_target(args.store, config.store)
    options = ServeOptions(
        host=args.host,
        port=args.port,
        max_sessions=args.max_sessions,
        dashboard_argv=_dashboard_argv(args, config.path, store),
        # A database URL may hold a password: the environment, not the process list.
        environment={"JOBTUI_STORE": store} if isinstance(store, str) else {},
    )
    if not is_loopback(args.host):
        print(
            f"jobtui serve: warning: listening on {args.host} in plain HTTP: the token and the "
            "screen cross the network unencrypted. Prefer the default loopback address "
            "and an SSH tunnel (ssh -L).",
            file=sys.stderr,
        )

    def announce(url: str) -> None:
        # The one place the token is shown; nothing else prints or logs it.
        print(f"jobtui serve: open {url}", flush=True)
        print(
            f"  store {mask_url(str(store))}; at most {args.max_sessions} sessions; Ctrl-C stops",
            flush=True,
        )

    try:
        return asyncio.run(run_server(options, announce))
    except OSError as exc:
        print(
            f"jobtui serve: cannot listen on {args.host}:{args.port}: {port_in_use_hint(exc)}",
            file=sys.stderr,
        )
        return 2


def _dashboard_argv(
    args: argparse.Namespace, config_path: Path | None, store: str | Path
) -> list[str]:
    """The command line of one session: this Python, this config, this store."""
    argv = [sys.executable, "-m", "jobtui"]
    if config_path is not None:
        argv += ["--config", str(Path(config_path).absolute())]
    if not isinstance(store, str):
        argv += ["--store", str(Path(store).absolute())]
    if getattr(args, "no_mouse", False):
        argv.append("--no-mouse")
    if args.log_file:
        argv += ["--log-file", str(Path(args.log_file).absolute())]
    if args.debug:
        argv.append("--debug")
    argv.append("dashboard")
    return argv
