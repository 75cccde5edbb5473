"""``jobtui status`` and ``jobtui watch``: the engine without a screen.

``status`` refreshes the watched jobs once and prints them; ``watch`` keeps
refreshing and prints each state change. Both work with no TTY and with
providers down: a job that could not be fetched still has its row, carrying
the failure as ``poll_error``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from jobtui.cli.formats import add_format_option, chosen_format, write_rows
from jobtui.cli.output import STATE_NAMES, iso_utc, job_row, print_table, select_rows
from jobtui.cli.poll_cmd import lease_period
from jobtui.cli.views import add_view_option, apply_view
from jobtui.errors import NOT_FOUND_MESSAGE, ConfigError
from jobtui.model import HealthState, JobKey, JobState
from jobtui.store import JobStore, WatchedJob
from jobtui.textsafe import visible
from jobtui.tui.terminal.notify import Notifier

if TYPE_CHECKING:
    # Imported where used: the engine pulls in every provider and httpx, which
    # ``jobtui config check`` and ``jobtui jobs ls`` never need (every command
    # module is imported to build the parser).
    from jobtui.engine import Event, JobChanged, ProviderChanged

__all__ = ["register", "run_status", "run_watch"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_TIMEOUT = 3
EXIT_TERMINATED = 128 + signal.SIGTERM
"""``watch`` stopped by SIGTERM (the shell's convention for a signal)."""
BAD_ENDINGS = frozenset({JobState.FAILED, JobState.PARTIAL, JobState.CANCELED})
STATUS_RETRIES = 3
"""How many times ``status`` tries again a job hit by a passing failure."""
STATUS_MAX_WAIT = 5.0
"""The longest ``Retry-After`` (or back-off) ``status`` waits for, in seconds."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``status`` and ``watch`` commands."""
    status = subparsers.add_parser(
        "status",
        help="refresh the watched jobs once and print them",
        description=(
            "Poll the watched jobs once (finished ones too with --all), then print a table, "
            "or a JSON array with --json. Needs no terminal."
        ),
    )
    status.add_argument("--all", action="store_true", help="refresh finished jobs too")
    status.add_argument("--json", action="store_true", help="print a JSON array of job rows")
    status.add_argument("--provider", metavar="P", help="only this configured provider")
    status.add_argument("--state", metavar="S", choices=STATE_NAMES, help="only jobs in state S")
    add_format_option(status, with_json=False)
    add_view_option(status)
    status.set_defaults(handler=run_status)

    watch = subparsers.add_parser(
        "watch",
        help="keep refreshing and print each state change",
        description=(
            "Keep polling the watched jobs and print one line per state change (JSON lines "
            "with --json). With --until-done, exit once every job has finished or is unknown "
            "at its provider: 0 all succeeded, 1 one failed, ended partial or canceled, or is "
            "unknown at its provider; 3 when --timeout ran out (the jobs still active on stderr)."
        ),
    )
    watch.add_argument(
        "--until-done", action="store_true", help="exit when every watched job has finished"
    )
    watch.add_argument(
        "--timeout", metavar="S", type=float, help="give up after S seconds (exit code 3)"
    )
    watch.add_argument("--json", action="store_true", help="print changes as JSON lines")
    watch.add_argument("--provider", metavar="P", help="only this configured provider")
    add_view_option(watch)
    watch.add_argument(
        "--notify", action="store_true", help="announce finished jobs per [ui] notify_via"
    )
    watch.set_defaults(handler=run_watch)


def _open(args: argparse.Namespace) -> tuple[Any, JobStore]:
    from jobtui.cli.storeopen import open_configured
    from jobtui.config import load_config

    config = load_config(Path(args.config) if args.config else None)
    provider = getattr(args, "provider", None)
    if provider is not None and provider not in config.providers:
        raise ConfigError(f"no provider named {provider!r} in the config")
    return config, open_configured(args.store, config.store, config.store_password)


def run_status(args: argparse.Namespace) -> int:
    """Refresh once, then print a table or a JSON array."""
    config, store = _open(args)
    try:
        jobs = asyncio.run(_status(config, store, args))
    finally:
        store.close()
    rows = select_rows(jobs.values(), args.provider, args.state)
    if args.view:
        rows = apply_view(config, args.view, rows)
    from jobtui.engine import SystemClock

    write_rows(
        [job_row(j) for j in rows],
        chosen_format(args),
        sys.stdout,
        table=lambda: print_table(rows, SystemClock().now(), sys.stdout),
    )
    return EXIT_OK


async def _status(config: Any, store: JobStore, args: argparse.Namespace) -> dict[Any, WatchedJob]:
    from jobtui.engine import Engine

    # When another process polls a provider, the sweep asks it and waits for its answers.
    engine = Engine(config, store, lease_period=lease_period())
    try:
        providers = [args.provider] if args.provider else None
        # A passing 429 or 5xx gets a second chance within the command (waits of a few
        # seconds at most): a one-shot answer should not show a job unknown for bad luck.
        await engine.sweep(
            all_jobs=args.all, providers=providers, retries=STATUS_RETRIES, max_wait=STATUS_MAX_WAIT
        )
        return dict(engine.jobs())
    finally:
        await engine.aclose()


def _change_line(event: JobChanged, previous: JobState | None, as_json: bool) -> str:
    job = event.job
    at = iso_utc(job.polled_at or job.added_at)
    summary = job.job.summary if job.job is not None else (job.poll_error or "")
    if as_json:
        record = {
            "provider": job.provider,
            "id": job.id,
            "from": previous.value if previous else None,
            "to": job.state.value,
            "at": at,
            "summary": summary,
        }
        return json.dumps(record)
    start = previous.value if previous else "-"
    text = f"{at}  {job.provider}  {job.id}  {start} -> {job.state.value}  {summary}"
    return visible(text)


class _Progress:
    """Watch bookkeeping: last printed state per job, and when the watch is over."""

    def __init__(
        self,
        jobs: Mapping[JobKey, WatchedJob],
        provider: str | None,
        keys: frozenset[JobKey] | None = None,
    ) -> None:
        self.provider = provider
        self.keys = keys  # a view's jobs, as matched at the start (None: every job)
        self.states = {
            k: j.state
            for k, j in jobs.items()
            if provider in (None, j.provider) and (keys is None or k in keys)
        }
        self.missing = {
            k for k, j in jobs.items() if k in self.states and j.poll_error == NOT_FOUND_MESSAGE
        }
        """Jobs the provider does not know: over for the wait, and a failure."""
        self.done = asyncio.Event()

    def over(self) -> bool:
        """Every job ended, or is unknown at its provider (it never will end)."""
        return all(s.terminal or k in self.missing for k, s in self.states.items())

    def active(self) -> list[tuple[str, str]]:
        """The jobs still being waited for, in a stable order."""
        return sorted(k for k, s in self.states.items() if not s.terminal and k not in self.missing)

    def tally(self) -> tuple[int, int, int]:
        finished = sum(1 for s in self.states.values() if s.terminal)
        failed = sum(1 for s in self.states.values() if s in BAD_ENDINGS)
        return finished, failed, len(self.states)


_TROUBLE = frozenset({HealthState.AUTH_FAILED, HealthState.UNREACHABLE})


def _report_trouble(
    event: ProviderChanged, troubles: dict[str, HealthState], live: bool, err: TextIO
) -> None:
    """Say once on stderr when a provider stops answering: its jobs will not move meanwhile."""
    health = event.health
    if health.state not in _TROUBLE:
        troubles.pop(health.provider, None)
        return
    if troubles.get(health.provider) is health.state:
        return
    troubles[health.provider] = health.state
    clear = "\r\x1b[K" if live else ""
    reason = visible(health.last_error or health.state.value)
    err.write(f"{clear}jobtui: {health.provider}: {health.state.value}: {reason}\n")
    err.flush()


def _notifier(config: Any, err: TextIO) -> Notifier:
    """``[ui] notify_via`` for a headless watch: sequences go to stderr when it is a terminal."""
    import os

    def write(text: str) -> None:
        err.write(text)
        err.flush()

    return Notifier(
        config.ui.notify_via,
        config.ui.notify_cmd,
        write=write if err.isatty() else None,
        env=os.environ,
    )


def _announce(notifier: Notifier, jobs: Sequence[WatchedJob], mode: str) -> None:
    """One notification for the jobs that just finished (``[ui] notify`` chooses which)."""
    if mode == "none":
        return
    bad = [j for j in jobs if j.state in BAD_ENDINGS]
    chosen = list(jobs) if mode == "all" else bad
    if not chosen:
        return
    if len(chosen) == 1:
        title = "Job finished"
    else:
        title = f"{len(chosen):,} jobs finished" + (f", {len(bad):,} failed" if bad else "")
    lines = [f"{j.provider} {j.id}: {j.state.value}" for j in chosen[:3]]
    if len(chosen) > 3:
        lines.append(f"and {len(chosen) - 3:,} more")
    notifier.announce(title, "; ".join(visible(line) for line in lines), failures=len(bad))


def run_watch(args: argparse.Namespace) -> int:
    """Keep refreshing; print each state change; exit 0, 1 or 3 (see DESIGN.md)."""
    config, store = _open(args)
    try:
        return asyncio.run(_watch(config, store, args, sys.stdout, sys.stderr))
    finally:
        store.close()


async def _watch(
    config: Any, store: JobStore, args: argparse.Namespace, out: TextIO, err: TextIO
) -> int:
    if args.provider:
        # Only the chosen provider is polled: the others' budgets are not spent for nothing.
        chosen = {args.provider: config.providers[args.provider]}
        config = config.model_copy(update={"providers": chosen})
    from jobtui.engine import Engine, JobChanged, ProviderChanged

    engine = Engine(config, store, lease_period=lease_period())
    await engine.load()
    keys = None
    if getattr(args, "view", None):
        matched = apply_view(config, args.view, list(engine.jobs().values()))
        keys = frozenset((j.provider, j.id) for j in matched)
    progress = _Progress(engine.jobs(), args.provider, keys)
    # The live line is for a person at a terminal: never in JSON output, pipes or logs.
    live = not args.json and out.isatty() and err.isatty()

    def show() -> None:
        if live:
            finished, failed, total = progress.tally()
            err.write(f"\r\x1b[K{finished:,} of {total:,} done, {failed:,} failed")
            err.flush()

    troubles: dict[str, HealthState] = {}
    notifier = _notifier(config, err) if getattr(args, "notify", False) else None

    finished: list[WatchedJob] = []

    def on_events(batch: Sequence[Event]) -> None:
        for event in batch:
            if isinstance(event, ProviderChanged):
                if args.provider in (None, event.health.provider):
                    _report_trouble(event, troubles, live, err)
                continue
            if not isinstance(event, JobChanged):
                continue
            key = (event.job.provider, event.job.id)
            if args.provider not in (None, event.job.provider):
                continue
            if progress.keys is not None and key not in progress.keys:
                continue
            before = progress.states.get(key)
            progress.states[key] = event.job.state
            if event.job.poll_error == NOT_FOUND_MESSAGE:
                if key not in progress.missing:
                    progress.missing.add(key)
                    if live:
                        err.write("\r\x1b[K")
                    err.write(f"jobtui: {visible(key[0])} {visible(key[1])}: {NOT_FOUND_MESSAGE}\n")
                    err.flush()
            else:
                progress.missing.discard(key)
            if before is not None and before == event.job.state:
                continue
            if live:
                err.write("\r\x1b[K")
            out.write(_change_line(event, before, args.json) + "\n")
            out.flush()
            if event.job.state.terminal:
                finished.append(event.job)
        if notifier is not None and finished:
            _announce(notifier, finished, config.ui.notify)
        finished.clear()
        show()
        if args.until_done and progress.over():
            progress.done.set()

    unsubscribe = engine.subscribe(on_events)
    show()
    if args.until_done and progress.over():
        progress.done.set()
    runner = asyncio.create_task(engine.run())
    # SIGTERM (a CI step cancelled, a service stopped) ends the watch cleanly: the
    # leases it holds are handed back at once instead of expiring.
    terminated = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, terminated.set)
    waits = {asyncio.create_task(progress.done.wait()), asyncio.create_task(terminated.wait())}
    try:
        done_tasks, _ = await asyncio.wait(
            waits, timeout=args.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if terminated.is_set():
            return EXIT_TERMINATED
        timed_out = not done_tasks
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        for task in waits:
            task.cancel()
        unsubscribe()
        await engine.aclose()
        await runner
        if live:
            err.write("\n")
    if timed_out:
        _report_timeout(progress, args.timeout, err)
        return EXIT_TIMEOUT
    failed = any(s in BAD_ENDINGS for s in progress.states.values()) or bool(progress.missing)
    return EXIT_FAILED if failed else EXIT_OK


_NAMED = 10
"""How many still-active jobs a timeout names (the count says how many more)."""


def _report_timeout(progress: _Progress, timeout: float | None, err: TextIO) -> None:
    """Say on stderr how many jobs are still active at the timeout, and which."""
    active = progress.active()
    count = len(active)
    names = ", ".join(f"{visible(p)} {visible(i)}" for p, i in active[:_NAMED])
    more = f" and {count - _NAMED:,} more" if count > _NAMED else ""
    noun = "job is" if count == 1 else "jobs are"
    err.write(f"jobtui: timed out after {timeout:g} s; {count:,} {noun} still active: ")
    err.write(f"{names}{more}\n")
    err.flush()
