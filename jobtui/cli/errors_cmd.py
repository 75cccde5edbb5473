"""``jobtui errors``: the failed jobs in the store, grouped by cause (no network)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from jobtui.cli.formats import add_format_option, chosen_format, print_table_rows, write_rows
from jobtui.errors import JobtuiError
from jobtui.insights.failures import FailureGroup, group_failures
from jobtui.insights.window import parse_duration
from jobtui.store import Transition

__all__ = ["register", "run_errors", "since_of"]

EXIT_OK = 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``errors`` command."""
    errors = subparsers.add_parser(
        "errors",
        help="failures grouped by cause (from the store, no network)",
        description=(
            "Group the failed and partial jobs by signature: provider kind, the provider's"
            " error code, and the message with ids, URLs, numbers and quoted values masked."
        ),
    )
    errors.add_argument("--provider", metavar="P", help="only this provider")
    errors.add_argument("--since", metavar="D", help="only failures seen in the last D (2h, 1d)")
    add_format_option(errors)
    errors.set_defaults(handler=run_errors)


def since_of(text: str | None, now: datetime) -> datetime | None:
    """The start of the ``--since`` window, or None for no window."""
    if text is None:
        return None
    try:
        return now - parse_duration(text)
    except ValueError as exc:
        raise JobtuiError(f"--since: {exc}") from None


def by_job(transitions: list[Transition]) -> dict[tuple[str, str], list[Transition]]:
    """Transitions keyed by (provider, id), each list oldest first."""
    keyed: dict[tuple[str, str], list[Transition]] = {}
    for transition in transitions:
        keyed.setdefault((transition.provider, transition.id), []).append(transition)
    return keyed


def run_errors(args: argparse.Namespace) -> int:
    """Print the failure groups, largest first."""
    from jobtui.cli.jobs_cmd import configured_store_settings
    from jobtui.cli.storeopen import open_configured

    now = datetime.now(UTC)
    since = since_of(args.since, now)
    with open_configured(args.store, *configured_store_settings(args.config)) as store:
        jobs = store.list_jobs(provider=args.provider, include_raw=False)
        history = by_job(store.transitions_since(None))
    groups = group_failures(jobs, history, provider=args.provider, since=since)
    rows = [group.as_json() for group in groups]
    write_rows(rows, chosen_format(args), sys.stdout, table=lambda: _table(groups, now))
    return EXIT_OK


def _when(moment: datetime | None, now: datetime) -> str:
    from jobtui.cli.output import ago

    return ago(moment, now) if moment is not None else "-"


def _table(groups: list[FailureGroup], now: datetime) -> None:
    if not groups:
        print("no failures")
        return
    print_table_rows(
        ("COUNT", "SIGNATURE", "PROVIDERS", "FIRST", "LAST", "EXAMPLES"),
        (
            (
                str(g.count),
                str(g.signature),
                ",".join(sorted(g.providers)),
                _when(g.first_seen, now),
                _when(g.last_seen, now),
                " ".join(g.examples),
            )
            for g in groups
        ),
        sys.stdout,
    )
