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
import os
import sys
from collections.abc import Sequence

from jobtui import __version__
from jobtui.errors import ConfigError, JobtuiError
from jobtui.textsafe import visible

__all__ = [
    "COMMANDS",
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "build_parser",
    "command_word",
    "main",
]

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
    "jobtui.cli.errors_cmd",
    "jobtui.cli.stats_cmd",
    "jobtui.cli.poll_cmd",
    "jobtui.cli.serve_cmd",
    "jobtui.cli.config_cmd",
)


COMMANDS: dict[str, str] = {
    "dashboard": "jobtui.cli.dashboard_cmd",
    "demo": "jobtui.cli.demo_cmd",
    "sim": "jobtui.cli.sim_cmd",
    "add": "jobtui.cli.jobs_cmd",
    "rm": "jobtui.cli.jobs_cmd",
    "ls": "jobtui.cli.jobs_cmd",
    "status": "jobtui.cli.status_cmd",
    "watch": "jobtui.cli.status_cmd",
    "errors": "jobtui.cli.errors_cmd",
    "stats": "jobtui.cli.stats_cmd",
    "poll": "jobtui.cli.poll_cmd",
    "serve": "jobtui.cli.serve_cmd",
    "config": "jobtui.cli.config_cmd",
}
"""The module that registers each command: a command named on the command line gets
a parser with its own module only, so ``jobtui config check`` does not import the
store, the job model or the dashboard's query language that other commands need."""


def _add_global_options(parser: argparse.ArgumentParser, *, version: bool = True) -> None:
    if version:
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
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="dashboard: show everything, write nothing (no polling, no actions that change jobs)",
    )
    parser.add_argument("--log-file", metavar="PATH", help="write the log to this file")


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The argument parser with the commands of ``modules`` (default: every command)."""
    parser = argparse.ArgumentParser(
        prog="jobtui",
        description="A terminal dashboard for asynchronous vision-AI jobs.",
    )
    _add_global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # a command that has not landed yet is simply absent
            raise
        module.register(subparsers)
    return parser


def command_word(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names after the global options; None when there is none.

    Read with the global options alone (prefixes and ``--opt=value`` included);
    anything unusual (``-h``, ``--version``, an option argparse refuses) is None,
    and the caller builds the whole parser, whose messages stay the judge.
    """
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    _add_global_options(parser, version=False)
    try:
        _, rest = parser.parse_known_args(list(argv))
    except (argparse.ArgumentError, SystemExit):
        return None
    return rest[0] if rest and not rest[0].startswith("-") else None


def _parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    module = COMMANDS.get(command_word(argv) or "")
    return build_parser((module,)) if module in COMMAND_MODULES else build_parser()


class _SafeFormatter(logging.Formatter):
    """Log lines with control and bidi characters from provider text shown as escapes.

    A provider message is data: in a log file read with ``less -R`` or ``cat`` an
    ESC would drive the terminal. Line breaks stay (tracebacks need them); provider
    messages reach the log as one line already (``providers.http`` joins them).
    """

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record, its tracebacks keeping their line breaks."""
        return visible(super().format(record), keep="\n")


def _open_log_file(path: str) -> logging.Handler:
    """A handler appending to ``path``, created with mode 0600 when new (never world-readable)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    os.close(descriptor)
    return logging.FileHandler(path, encoding="utf-8")


def _configure_logging(debug: bool, log_file: str | None) -> None:
    """Send the ``jobtui`` logger tree to ``log_file`` (or stderr).

    A log file records INFO and up (provider health changes, auth failures,
    retries); ``--debug`` adds DEBUG. Without a file, stderr only gets warnings:
    INFO lines there would scroll over command output.
    """
    level = logging.DEBUG if debug else logging.INFO if log_file else logging.WARNING
    handler: logging.Handler
    handler = _open_log_file(log_file) if log_file else logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("jobtui")
    root.handlers[:] = [handler]
    root.setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = _parser_for(arguments)
    args = parser.parse_args(arguments)
    try:
        _configure_logging(args.debug, args.log_file)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        print(f"jobtui: cannot open the log file {args.log_file}: {reason}", file=sys.stderr)
        return EXIT_CONFIG
    handler = getattr(args, "handler", None)
    if handler is None:
        # No command: the dashboard, when it has landed.
        # No command word: the parser is the whole one already.
        args = parser.parse_args([*arguments, "dashboard"])
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
