"""``jobtui stats``: per-provider figures over a window, from the store (no network)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from jobtui.cli.errors_cmd import by_job, since_of
from jobtui.cli.formats import add_format_option, chosen_format, print_table_rows, write_rows
from jobtui.config.model import Config
from jobtui.insights.stats import ProviderStats, percentile, provider_stats
from jobtui.store import JobStore

__all__ = [
    "TABLE_HEADERS", "gather_stats", "rate_limits_of", "register", "run_stats", "table_rows",
]  # fmt: skip

EXIT_OK = 0
DEFAULT_WINDOW = "24h"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``stats`` command."""
    stats = subparsers.add_parser(
        "stats",
        help="per-provider figures: states, throughput, queue/run times, budget",
        description=(
            "Per provider over the window: jobs by state, finished per hour, queue and run"
            " time p50/p95 (from the stored transitions), failure rate, requests sent vs the"
            " rate_limit budget, Tensor.Art credits."
        ),
    )
    stats.add_argument(
        "--since", metavar="D", default=DEFAULT_WINDOW, help="the window (default: 24h)"
    )
    add_format_option(stats)
    stats.set_defaults(handler=run_stats)


def rate_limits(config_path: str | None) -> dict[str, float | None]:
    """Each configured provider's budget in requests/s: its ``rate_limit`` or the kind's default."""
    from jobtui.config import load_config

    return rate_limits_of(load_config(Path(config_path) if config_path else None))


def rate_limits_of(config: Config) -> dict[str, float | None]:
    """``rate_limits`` of a loaded config (the dashboard's stats pane reads the same)."""
    # The constant, not the client's class: the dashboard's first frame shows these
    # gauges, and the client would import httpx for them.
    from jobtui.providers.tensorart.wire import RATE_LIMIT

    defaults = {"tensorart": RATE_LIMIT}
    return {
        name: provider.rate_limit or defaults.get(provider.kind)
        for name, provider in config.providers.items()
    }


def gather_stats(
    store: JobStore, since: datetime, now: datetime, limits: Mapping[str, float | None]
) -> list[ProviderStats]:
    """The figures ``jobtui stats`` prints, read from ``store`` (blocking: off the loop)."""
    jobs = store.list_jobs(include_raw=False)
    # Credits live in the payload: read it back for Tensor.Art only.
    kinds = {j.provider for j in jobs if j.kind == "tensorart"}
    with_raw = {(j.provider, j.id): j for p in kinds for j in store.list_jobs(provider=p)}
    jobs = [with_raw.get((j.provider, j.id), j) for j in jobs]
    history = by_job(store.transitions_since(None))
    requests = store.request_counts(since)
    return provider_stats(
        jobs, history, since=since, now=now, requests=requests, rate_limits=limits
    )


def run_stats(args: argparse.Namespace) -> int:
    """Print one row per provider."""
    from jobtui.cli.jobs_cmd import configured_store_settings
    from jobtui.cli.storeopen import open_configured

    now = datetime.now(UTC)
    since = since_of(args.since, now)
    assert since is not None  # the option has a default
    limits = rate_limits(args.config)
    with open_configured(args.store, *configured_store_settings(args.config)) as store:
        table = gather_stats(store, since, now, limits)
    rows = [stats.as_json() for stats in table]
    write_rows(rows, chosen_format(args), sys.stdout, table=lambda: _table(table))
    return EXIT_OK


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f}s"
    if value < 3600:
        return f"{value / 60:.1f}m"
    return f"{value / 3600:.1f}h"


def _p50_p95(values: list[float]) -> str:
    return f"{_seconds(percentile(values, 0.5))}/{_seconds(percentile(values, 0.95))}"


TABLE_HEADERS = (
    "PROVIDER", "STATES", "DONE/H", "QUEUE P50/P95", "RUN P50/P95", "FAILED", "REQUESTS",
    "CREDITS",
)  # fmt: skip
"""The table's columns (the dashboard's stats pane shows the same)."""


def table_rows(table: Sequence[ProviderStats]) -> list[tuple[str, ...]]:
    """One row of ``TABLE_HEADERS`` cells per provider."""
    rows: list[tuple[str, ...]] = []
    for s in table:
        states = " ".join(f"{k}:{v}" for k, v in sorted(s.states.items()) if v)
        rate = "-" if s.failure_rate is None else f"{s.failure_rate:.0%}"
        budget = s.budget
        used = f"{s.requests:,}" + (f"/{budget:,.0f}" if budget else "")
        rows.append(
            (
                s.provider,
                states,
                f"{s.finished_per_hour:.1f}",
                _p50_p95(s.queue_times),
                _p50_p95(s.run_times),
                rate,
                used,
                "-" if s.credits is None else f"{s.credits:g}",
            )
        )
    return rows


def _table(table: list[ProviderStats]) -> None:
    if not table:
        print("no jobs")
        return
    print_table_rows(TABLE_HEADERS, table_rows(table), sys.stdout)
