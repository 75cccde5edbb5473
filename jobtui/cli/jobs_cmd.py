"""``jobtui add``, ``rm`` and ``ls``: the watch list, kept in the store.

None of them talks to a provider: ``add`` and ``rm`` change the store (a
running dashboard shares the file), ``ls`` prints what the store holds, the
same rows ``status`` prints after a refresh.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from jobtui.cli.formats import add_format_option, chosen_format, write_rows
from jobtui.cli.output import STATE_NAMES, job_row, print_table, select_rows
from jobtui.cli.views import add_view_option, apply_view
from jobtui.config.model import SecretRef
from jobtui.config.problems import KeyProblem
from jobtui.errors import ConfigError, JobtuiError
from jobtui.model import JobState
from jobtui.store import JobStore
from jobtui.textsafe import visible

__all__ = ["job_ids", "register", "run_add", "run_ls", "run_rm"]

EXIT_OK = 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``add``, ``rm`` and ``ls`` commands."""
    ids_help = "job ids at the provider; - reads more from stdin, one per line"
    add = subparsers.add_parser(
        "add",
        help="watch jobs",
        description="Watch jobs of a configured provider; `-` reads ids from stdin.",
    )
    add.add_argument("provider", metavar="PROVIDER", help="a provider name from the config")
    add.add_argument("ids", metavar="ID", nargs="+", help=ids_help)
    add.add_argument("--label", metavar="L", help="a label shown beside these jobs")
    add.set_defaults(handler=run_add)

    rm = subparsers.add_parser(
        "rm",
        help="stop watching jobs",
        description="Stop watching jobs (and forget their history).",
    )
    rm.add_argument("provider", metavar="PROVIDER", help="the provider name the jobs are under")
    rm.add_argument("ids", metavar="ID", nargs="+", help=ids_help)
    rm.set_defaults(handler=run_rm)

    ls = subparsers.add_parser(
        "ls",
        help="list the watched jobs from the store (no network)",
        description="List the watched jobs as last stored; `--json` prints the rows of `status`.",
    )
    ls.add_argument("--json", action="store_true", help="print a JSON array of job rows")
    ls.add_argument("--provider", metavar="P", help="only this provider")
    ls.add_argument("--state", metavar="S", choices=STATE_NAMES, help="only jobs in state S")
    add_format_option(ls, with_json=False)
    add_view_option(ls)
    ls.set_defaults(handler=run_ls)


def job_ids(values: Iterable[str], stdin: TextIO) -> list[str]:
    """The ids given, ``-`` replaced by the lines of ``stdin``; blanks dropped, repeats once."""
    ids: list[str] = []
    for value in values:
        if value == "-":
            ids.extend(line.strip() for line in stdin)
        else:
            ids.append(value.strip())
    return list(dict.fromkeys(job_id for job_id in ids if job_id))


def _open_store(args: argparse.Namespace) -> JobStore:
    from jobtui.cli.storeopen import open_configured

    location, password = configured_store_settings(args.config)
    return open_configured(args.store, location, password)


def configured_store(option: str | None) -> Path | str | None:
    """The ``store`` a config names, read leniently: ``ls`` and ``rm`` need the store alone.

    A config named explicitly (``--config``, ``$JOBTUI_CONFIG``) that does not exist is
    a mistake, not a reason to fall back on the default store: ``ConfigError`` (exit 2).
    A config that does not parse is the other commands' business.
    """
    return configured_store_settings(option)[0]


def configured_store_settings(option: str | None) -> tuple[Path | str | None, SecretRef | None]:
    """``configured_store`` with the store's password reference (``[store] password_cmd``)."""
    import tomllib

    from jobtui.config import config_path
    from jobtui.config.loader import store_settings
    from jobtui.config.paths import from_env

    path = config_path(option)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if option or from_env("JOBTUI_CONFIG"):
            raise ConfigError("no such file", file=path) from None
        return None, None
    except OSError:
        return None, None
    try:
        store = tomllib.loads(data.decode("utf-8")).get("store")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None, None
    try:
        return store_settings(store, path)
    except KeyProblem:
        return None, None


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def _ids_or_fail(args: argparse.Namespace) -> list[str]:
    ids = job_ids(args.ids, sys.stdin)
    if not ids:
        where = " (stdin held none)" if "-" in args.ids else ""
        raise JobtuiError(f"no job ids given{where}")
    return ids


def run_add(args: argparse.Namespace) -> int:
    """Watch the ids at a configured provider; the provider's kind comes from the config."""
    from jobtui.config import load_config

    config = load_config(Path(args.config) if args.config else None)
    provider = config.providers.get(args.provider)
    if provider is None:
        known = ", ".join(sorted(config.providers)) or "none"
        raise ConfigError(
            f"no provider named {args.provider!r} (configured: {known})", file=config.path
        )
    ids = _ids_or_fail(args)
    with _open_store(args) as store:
        # Asked for a label, the jobs already watched get it too.
        added = store.add_jobs(
            ((args.provider, provider.kind, job_id, args.label) for job_id in ids), relabel=True
        )
    line = f"watching {_plural(added, 'new job')} at {visible(args.provider)}"
    if added < len(ids):
        line += f" ({len(ids) - added:,} already watched)"
    print(line)
    return EXIT_OK


def run_rm(args: argparse.Namespace) -> int:
    """Stop watching the ids; ids that were not watched are reported, not an error."""
    ids = _ids_or_fail(args)
    with _open_store(args) as store:
        removed = store.remove_jobs(args.provider, ids)
    line = f"stopped watching {_plural(removed, 'job')} at {visible(args.provider)}"
    if removed < len(ids):
        line += f" ({len(ids) - removed:,} not watched)"
    print(line)
    return EXIT_OK


def run_ls(args: argparse.Namespace) -> int:
    """Print the stored jobs as a table, or as the JSON array ``status --json`` prints."""
    state = JobState(args.state) if args.state else None
    with _open_store(args) as store:
        jobs = store.list_jobs(provider=args.provider, state=state, include_raw=False)
    rows = select_rows(jobs, args.provider, args.state)
    if args.view:
        from jobtui.config import load_config

        rows = apply_view(load_config(Path(args.config) if args.config else None), args.view, rows)
    write_rows(
        [job_row(j) for j in rows],
        chosen_format(args),
        sys.stdout,
        table=lambda: print_table(rows, datetime.now(UTC), sys.stdout),
    )
    return EXIT_OK
