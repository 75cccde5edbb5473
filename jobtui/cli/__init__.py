"""The ``jobtui`` command line.

Each command lives in its own module under ``jobtui.cli`` and exposes
``register(subparsers)``; this module wires them up, handles the global
options, and turns deliberate errors into exit codes (DESIGN.md "Public
contracts"): 0 ok, 1 a watched job ended badly, 2 usage or config error,
3 timeout. Textual is imported only by the commands that open a screen, so
headless commands start fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from jobtui import __version__
from jobtui.errors import ConfigError, JobtuiError

__all__ = ["EXIT_CONFIG", "EXIT_FAILED", "EXIT_OK", "EXIT_TIMEOUT", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_TIMEOUT = 3

# Command modules, in the order their commands appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "jobtui.cli.dashboard_cmd",
    "jobtui.cli.demo_cmd",
    "jobtui.cli.sim_cmd",
    "jobtui.cli.jobs_cmd",
    "jobtui.cli.status_cmd",
    "jobtui.cli.config_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, every command registered."""
    parser = argparse.ArgumentParser(
        prog="jobtui",
        description="A terminal dashboard for asynchronous vision-AI jobs.",
    )
    parser.add_argument("--version", action="version", version=f"jobtui {__version__}")
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default: $JOBTUI_CONFIG or the XDG path)"
    )
    parser.add_argument(
        "--store", metavar="PATH", help="store file (default: $JOBTUI_STORE or the XDG state dir)"
    )
    parser.add_argument("--debug", action="store_true", help="log debug details")
    parser.add_argument(
        "--no-mouse", action="store_true", help="dashboard: do not capture the mouse (slow links)"
    )
    parser.add_argument("--log-file", metavar="PATH", help="write the log to this file")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # a command that has not landed yet is simply absent
            raise
        module.register(subparsers)
    return parser


def _configure_logging(debug: bool, log_file: str | None) -> None:
    level = logging.DEBUG if debug else logging.WARNING
    handler: logging.Handler
    handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("jobtui")
    root.handlers[:] = [handler]
    root.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.debug, args.log_file)
    handler = getattr(args, "handler", None)
    if handler is None:
        # No command: the dashboard, when it has landed.
        args = parser.parse_args([*(argv or sys.argv[1:]), "dashboard"])
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return EXIT_CONFIG
    try:
        return int(handler(args))
    except ConfigError as exc:
        print(f"jobtui: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except JobtuiError as exc:
        print(f"jobtui: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
