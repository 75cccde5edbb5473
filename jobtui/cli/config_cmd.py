"""``jobtui config init|check|path``: write a starter config, validate one, locate the files.

``check`` reads every secret the way a provider would (environment variable,
file or command): one that cannot be read here is a warning, since it may
exist only where jobtui runs; ``--strict`` turns every warning into an error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from jobtui.config.starter import STARTER_PROVIDERS
from jobtui.errors import ConfigError

if TYPE_CHECKING:
    from jobtui.config.model import Config

__all__ = ["check_problems", "register", "run_check", "run_init", "run_path"]

EXIT_OK = 0
EXIT_CONFIG = 2
_SUFFIX_OF_SOURCE = {"literal": "", "env": "_env", "file": "_file", "cmd": "_cmd"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``config`` command and its ``init``, ``check`` and ``path`` actions."""
    config = subparsers.add_parser(
        "config",
        help="write, check or locate the config file",
        description="Write a starter config, validate one (reading its secrets), or print "
        "where the config and the store are.",
    )
    actions = config.add_subparsers(
        dest="config_action", metavar="{init,check,path}", required=True
    )

    init = actions.add_parser("init", help="write a starter config (secrets from env variables)")
    init.add_argument("--force", action="store_true", help="overwrite an existing config file")
    init.add_argument(
        "--provider",
        action="append",
        choices=list(STARTER_PROVIDERS),
        metavar="KIND",
        help="include only this provider kind (repeatable; default: all five)",
    )
    init.set_defaults(handler=run_init)

    check = actions.add_parser("check", help="validate the config and read its secrets")
    check.add_argument("--strict", action="store_true", help="treat every warning as an error")
    check.set_defaults(handler=run_check)

    path = actions.add_parser(
        "path", help="print the config path, then the store path (one a line)"
    )
    path.set_defaults(handler=run_path)


def run_init(args: argparse.Namespace) -> int:
    """Write the starter config; refuse to replace an existing file without ``--force``."""
    from jobtui.config import config_path
    from jobtui.config.starter import starter_toml

    path = config_path(args.config)
    text = starter_toml(args.provider)
    if path.exists() and not args.force:
        raise ConfigError("already exists (use --force to overwrite it)", file=path)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if args.force:
            _replace(path, text)
        else:
            _create(path, text)
    except FileExistsError:
        raise ConfigError("already exists (use --force to overwrite it)", file=path) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot write: {exc.strerror or type(exc).__name__}", file=path
        ) from None
    print(f"wrote {path}")
    print("next: edit it, set the environment variables it names, run `jobtui config check`")
    return EXIT_OK


def _create(path: Path, text: str) -> None:
    # O_EXCL: a file appearing since the exists() check is never overwritten.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _replace(path: Path, text: str) -> None:
    # A temporary file renamed over the old one: never a half-written config.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def check_problems(config: Config, text: str) -> list[str]:
    """Warnings of ``config`` plus what reading its secrets finds, each located."""
    from jobtui.config import missing_credentials, resolve_secret
    from jobtui.config.lines import KeyLines
    from jobtui.config.problems import format_key

    found: list[KeyLines] = []

    def line_of(path: tuple[str | int, ...]) -> int | None:
        # Mapped on the first problem only: a clean 10,000-job config needs no lines.
        if not found:
            found.append(KeyLines(text))
        return found[0].line_of(path)

    problems = list(config.warnings)
    problems += placeholder_problems(config, text, line_of)
    for name, provider in config.providers.items():
        missing = missing_credentials(provider)
        if missing:
            path: tuple[str | int, ...] = ("providers", name)
            where = ConfigError(
                missing, file=config.path, line=line_of(path), key=format_key(path)
            )
            problems.append(str(where))
        for key, ref in provider.secrets.items():
            path = ("providers", name, key + _SUFFIX_OF_SOURCE[ref.source])
            try:
                resolve_secret(ref, format_key(path))
            except ConfigError as exc:
                located = ConfigError(
                    exc.message, file=config.path, line=line_of(path), key=exc.key
                )
                problems.append(str(located))
    store_ref = config.store_password
    if store_ref is not None:
        path = ("store", "password" + _SUFFIX_OF_SOURCE[store_ref.source])
        try:
            resolve_secret(store_ref, format_key(path))
        except ConfigError as exc:
            located = ConfigError(exc.message, file=config.path, line=line_of(path), key=exc.key)
            problems.append(str(located))
    return problems


PLACEHOLDER = "your-"
"""What marks a value ``config init`` wrote for the user to replace."""


def placeholder_problems(
    config: Config, text: str, line_of: Callable[[tuple[str | int, ...]], int | None]
) -> list[str]:
    """Every provider value still holding a ``your-…`` placeholder from ``config init``."""
    import tomllib

    from jobtui.config.problems import format_key

    if PLACEHOLDER not in text:
        return []  # nothing to find: no second parse of a long config
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []  # the loader has said so already
    found: list[str] = []
    tables = document.get("providers", {})
    for name, table in tables.items() if isinstance(tables, dict) else ():
        if not isinstance(table, dict):
            continue
        for key, value in table.items():
            values = value if isinstance(value, list) else [value]
            if any(isinstance(item, str) and PLACEHOLDER in item for item in values):
                path: tuple[str | int, ...] = ("providers", name, key)
                problem = ConfigError(
                    f"still the placeholder from `jobtui config init`: {value!r} (replace it)",
                    file=config.path,
                    line=line_of(path),
                    key=format_key(path),
                )
                found.append(str(problem))
    return found


def run_check(args: argparse.Namespace) -> int:
    """Validate the config, read its secrets, print the problems and a summary."""
    from jobtui.config import config_path, load_config

    path = config_path(args.config)
    if not path.exists():
        raise ConfigError("no such file (`jobtui config init` writes a starter)", file=path)
    config = load_config(path)
    problems = check_problems(config, path.read_text(encoding="utf-8"))
    label = "error" if args.strict else "warning"
    for problem in problems:
        print(f"jobtui: {label}: {problem}", file=sys.stderr)
    if args.strict and problems:
        print(f"jobtui: {len(problems)} problem(s) with --strict", file=sys.stderr)
        return EXIT_CONFIG
    providers = ", ".join(
        name if name == cfg.kind else f"{name} ({cfg.kind})"
        for name, cfg in config.providers.items()
    )
    summary = f"{path}: OK, {_count(len(config.providers), 'provider')}"
    summary += f" ({providers})" if providers else ""
    summary += f", {_count(len(config.jobs), 'job')}"
    if config.store is not None:
        from jobtui.store import mask_url

        summary += f", store {mask_url(config.store)}"
    if problems:
        summary += f", {_count(len(problems), 'warning')}"
    print(summary)
    return EXIT_OK


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def run_path(args: argparse.Namespace) -> int:
    """Print the config file, then the store file, one bare path a line (for scripts).

    A note on stderr says when the config does not exist yet.
    """
    from jobtui.config import config_path, store_location
    from jobtui.config.paths import from_env
    from jobtui.store import is_url, mask_url

    config = config_path(args.config)
    print(config)
    chosen = args.store or from_env("JOBTUI_STORE")
    # A PostgreSQL URL is printed as given, its password masked (never a mangled path).
    print(mask_url(chosen) if chosen and is_url(chosen) else store_location(args.store))
    if not config.exists():
        print("jobtui: no config there yet (`jobtui config init` writes one)", file=sys.stderr)
    return EXIT_OK
