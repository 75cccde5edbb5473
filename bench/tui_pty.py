"""The real ``jobtui`` process in a real pty: first paint, key-to-screen, idle cost, RSS.

    .venv/bin/python -m bench.tui_pty [--jobs 10000 100000] [--keys 20] [--idle 10]

For each size, a throwaway store is seeded with N jobs (``bench.tui_bigload``)
and ``jobtui --config C --store S`` starts in a 120x36 pty, first with an
empty config (no provider: nothing polls), then with providers that all point
at a closed loopback port (nothing reachable). Measured:

- first paint: from starting the process to the first job id on the screen
  (interpreter start, imports and the store read included), and how long
  the process stays busy after it (until it uses under 5 % CPU for 1 s);
  keys and idle figures are taken after that;
- key-to-screen: from writing a key to the pty to the first byte of the
  screen's answer, and to the last byte of the update it causes (the screen
  has settled when 50 ms pass without a byte),
  for cursor moves (``j``/``k``), filter typing (``/`` then a query) and sort
  (``s``); p50 and p95;
- idle: with every job finished, the process's CPU share (/proc/<pid>/stat)
  and the bytes it writes to the terminal per second; the same with active
  jobs whose providers are unreachable;
- peak RSS (VmHWM in /proc/<pid>/status) at the end of the run.

Then the same on a real-shaped store (``bench.realstore``: 5N jobs filled by
a real sweep of the simulator, kept between runs): first paint with no
provider and with the simulator's config and its ``[[jobs]]`` (providers
down: the simulator is gone), cursor keys, idle CPU and bytes with the
providers down and jobs active (the dashboard and its poller child), peak RSS.

Then, with the simulator in a child process (speed 1) and its jobs watched,
the same CPU and bytes/s while those jobs poll. Figures are for people; tests
never assert them.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from bench.bytecode import prepare
from bench.common import (
    MODES,
    Figure,
    Mode,
    SimProcess,
    family_cpu_seconds,
    median,
    percentile,
)
from bench.pty_terminal import PtyProcess
from bench.tui_bigload import PROVIDERS, seed

__all__ = ["run"]

SECTION = "dashboard (pty)"
QUIET = 0.05
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens on loopback


def _unreachable_config() -> dict[str, Any]:
    from jobtui.sim import CREDENTIALS

    providers: dict[str, Any] = {}
    for name, kind in PROVIDERS:
        table: dict[str, Any] = {"kind": kind, "base_url": f"{UNREACHABLE}/{kind}"}
        table.update(CREDENTIALS.get(kind, {}))
        if kind == "cognite":
            table["token_url"] = f"{UNREACHABLE}/cognite/oauth2/v2.0/token"
            table["scopes"] = [f"{UNREACHABLE}/cognite/.default"]
        table["allow_insecure"] = True
        providers[name] = table
    return {"providers": providers}


def _command(config: Path, store: Path) -> list[str]:
    script = Path(sys.executable).parent / "jobtui"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "jobtui"]
    return [*head, "--config", str(config), "--store", str(store)]


def _environment(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("JOBTUI_")}
    env.update(
        TERM="xterm-256color",
        COLORTERM="truecolor",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_DATA_HOME=str(home / "data"),
    )
    env.pop("NO_COLOR", None)
    env.pop("TEXTUAL", None)
    # The tree under measurement (``$BENCH_DASHBOARD_TREE`` or this one), compiled first.
    return prepare(env)


def _key_latencies(
    terminal: PtyProcess, keys: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Milliseconds from key to the first byte and to the settled screen, by kind of key."""
    found: dict[str, list[float]] = {"cursor": [], "filter": [], "sort": []}
    firsts: dict[str, list[float]] = {"cursor": [], "filter": [], "sort": []}

    def press(kind: str, data: bytes) -> None:
        first, last = terminal.key(data, QUIET)
        if first is not None and last is not None:
            firsts[kind].append(1000 * first)
            found[kind].append(1000 * last)

    for index in range(keys):
        press("cursor", b"j" if index % 3 else b"k")
    terminal.key(b"/", QUIET)
    for char in "state:failed provider:deepo job-0001"[:keys]:
        press("filter", char.encode())
    terminal.key(b"\x1b", QUIET)  # escape: clear the filter
    terminal.settle(0.5)
    for _ in range(keys):
        press("sort", b"s")
    return firsts, found


def _painted(terminal: PtyProcess, what: str) -> float:
    first = terminal.wait_for(b"job-0", timeout=120)
    if first is None:
        tail = bytes(terminal.output[-400:])
        raise RuntimeError(f"no job list painted in 120 s ({what}); the terminal shows {tail!r}")
    return first


def _dashboard(
    workdir: Path, count: int, keys: int, idle: float, calm: float = 1.0
) -> list[Figure]:
    from jobtui.model import JobState
    from jobtui.store import Store

    label = f"{count:,} jobs"
    no_providers = workdir / "empty.toml"
    no_providers.write_text("")
    unreachable = workdir / "unreachable.toml"
    unreachable.write_text(tomli_w.dumps(_unreachable_config()))
    # Owner-only, as a config holding literal secrets must be: else a warning toast
    # comes and goes on the screen while the bench watches it.
    unreachable.chmod(0o600)
    env = _environment(workdir)
    figures: list[Figure] = []

    # Paint and keys with no provider configured: nothing polls, so every byte on the
    # terminal after a key is that key's doing.
    mixed = workdir / f"mixed-{count}.sqlite"
    with Store(mixed) as store:
        seed(store, count)
    with PtyProcess(_command(no_providers, mixed), env, workdir) as terminal:
        first = _painted(terminal, "no providers")
        busy = terminal.calm(window=calm)
        firsts, latencies = _key_latencies(terminal, keys)
        rss = terminal.peak_rss_mb()
    target = "<= 1.5 s" if count <= 10_000 else None
    figures.append(Figure(SECTION, f"process start -> first job list, {label}", first, "s",
                          target, first <= 1.5 if target else None))
    figures.append(Figure(SECTION, f"busy after first paint, {label}", busy, "s",
                          detail={"until": "CPU under 5 % for 1 s"}))
    for kind, values in latencies.items():
        p95 = percentile(values, 0.95)
        early = percentile(firsts[kind], 0.95)
        figures.append(Figure(SECTION, f"key {kind} p95, first byte, {label}", early, "ms",
                              detail={"p50": median(firsts[kind]), "samples": firsts[kind]}))
        figures.append(Figure(SECTION, f"key {kind} p50, settled, {label}", median(values), "ms",
                              detail={"samples": values}))
        figures.append(Figure(SECTION, f"key {kind} p95, settled, {label}", p95, "ms",
                              "<= 50 ms", None if math.isnan(p95) else p95 <= 50))
    rss_target = "<= 300 MB" if count <= 10_000 else None
    figures.append(Figure(SECTION, f"peak RSS, {label}", rss, "MB", rss_target,
                          rss <= 300 if rss_target else None))

    # Providers configured but down (a laptop offline): active jobs keep failing.
    with PtyProcess(_command(unreachable, mixed), env, workdir) as terminal:
        _painted(terminal, "unreachable providers")
        terminal.calm(window=calm, timeout=8)
        cpu, rate = terminal.watch(idle)
    figures.append(Figure(SECTION, f"CPU, providers unreachable, {label}", cpu, "%",
                          detail={"seconds": idle}))
    figures.append(Figure(SECTION, f"bytes to terminal, providers unreachable, {label}", rate,
                          "B/s", detail={"seconds": idle}))
    mixed.unlink()

    # Idle: every job finished, so nothing is due and nothing should be drawn.
    finished = workdir / f"finished-{count}.sqlite"
    with Store(finished) as store:
        seed(store, count, JobState.SUCCEEDED)
    with PtyProcess(_command(unreachable, finished), env, workdir) as terminal:
        _painted(terminal, "finished jobs")
        terminal.calm(window=calm)
        cpu, rate = terminal.watch(idle)
    figures.append(Figure(SECTION, f"idle CPU (all finished), {label}", cpu, "%", "<= 1 %",
                          cpu <= 1.0, {"seconds": idle}))
    figures.append(Figure(SECTION, f"idle bytes to terminal (all finished), {label}", rate,
                          "B/s", detail={"seconds": idle}))
    finished.unlink()
    return figures


def _real_targets(count: int) -> tuple[float, float, float | None]:
    """Targets over a real-shaped store of ``count`` jobs, in seconds and MB.

    (first paint with no provider, first paint with the simulator's config,
    peak RSS; None: no target). 10,000 jobs is what a user has; 100,000 is
    the "fast on real data" ceiling: first paint <= 3 s, no RSS target.
    """
    if count <= 10_000:
        return 0.8, 1.0, 150.0
    return 3.0, 3.0, None


def _real_shaped(workdir: Path, per_provider: int, keys: int, idle: float) -> list[Figure]:
    """First paint, keys, idle with providers down and RSS over a store filled by real sweeps."""
    from bench.realstore import fresh_copy

    env = _environment(workdir)
    config, empty, store, ids = fresh_copy(workdir / f"real-{per_provider}", per_provider)
    count = len(ids)
    paint_target, config_paint_target, rss_target = _real_targets(count)
    label = f"real-shaped store, {count:,} jobs"
    painted = f"Jobs ({count:,}".encode()
    figures: list[Figure] = []

    with PtyProcess(_command(empty, store), env, workdir) as terminal:
        first = terminal.wait_for(painted, timeout=120)
        if first is None:
            raise RuntimeError(f"no job list painted ({label}, no providers)")
        # CPU to the first paint: what a loaded machine's wall time hides.
        first_cpu = family_cpu_seconds(terminal.pid)
        terminal.calm()
        firsts, latencies = _key_latencies(terminal, keys)
        rss = terminal.peak_rss_mb()
    figures.append(Figure(SECTION, f"first job list, no providers, {label}", first, "s",
                          f"<= {paint_target:g} s", first <= paint_target))
    figures.append(Figure(SECTION, f"CPU to first job list, no providers, {label}", first_cpu,
                          "s"))
    cursor = latencies["cursor"]
    p95 = percentile(cursor, 0.95)
    # The cursor's own frame: the detail pane follows it in a later one.
    figures.append(Figure(SECTION, f"key cursor p95, first byte, {label}",
                          percentile(firsts["cursor"], 0.95), "ms",
                          detail={"p50": median(firsts["cursor"]), "samples": firsts["cursor"]}))
    figures.append(Figure(SECTION, f"key cursor p50, settled, {label}", median(cursor), "ms"))
    figures.append(Figure(SECTION, f"key cursor p95, settled, {label}", p95, "ms", "<= 50 ms",
                          None if math.isnan(p95) else p95 <= 50,
                          {"p50": median(cursor), "samples": cursor}))
    figures.append(Figure(SECTION, f"peak RSS, no providers, {label}", rss, "MB",
                          None if rss_target is None else f"<= {rss_target:g} MB",
                          None if rss_target is None else rss <= rss_target))

    config_store = store.with_name("store-config.sqlite")
    shutil.copyfile(store, config_store)
    with PtyProcess(_command(config, config_store), env, workdir) as terminal:
        first = terminal.wait_for(painted, timeout=120)
        if first is None:
            raise RuntimeError(f"no job list painted ({label}, providers down)")
        first_cpu = family_cpu_seconds(terminal.pid)
        terminal.calm(timeout=60)
        terminal.settle(2.0, timeout=30)
        cpu, rate = terminal.watch(idle)
        rss = terminal.peak_rss_mb()
    figures.append(Figure(SECTION, f"first job list, sim config and [[jobs]], {label}", first,
                          "s", f"<= {config_paint_target:g} s", first <= config_paint_target))
    figures.append(Figure(SECTION, f"CPU to first job list, sim config, {label}", first_cpu,
                          "s", detail={"counts": "the dashboard and its poller child"}))
    figures.append(Figure(SECTION, f"idle CPU, providers down, jobs active, {label}", cpu, "%",
                          "<= 0.5 %", cpu <= 0.5,
                          {"seconds": idle, "counts": "the dashboard and its poller child"}))
    figures.append(Figure(SECTION, f"idle bytes to terminal, providers down, {label}", rate,
                          "B/s", detail={"seconds": idle}))
    figures.append(Figure(SECTION, f"peak RSS, providers down, {label}", rss, "MB",
                          None if rss_target is None else f"<= {rss_target:g} MB",
                          None if rss_target is None else rss <= rss_target))
    config_store.unlink()
    store.unlink()  # 400 MB at 100k: gone before the next store is copied
    return figures


def _polling(workdir: Path, per_provider: int, idle: float) -> list[Figure]:
    """CPU and bytes/s while the simulator's jobs are polled (speed 1, default intervals)."""
    env = _environment(workdir)
    with SimProcess(workdir, jobs=per_provider, speed=1.0, cpu=0) as sim:
        data = tomllib.loads(sim.config_text())
        jobs = len(data.get("jobs", []))
        config = workdir / "sim.toml"
        config.write_text(sim.config_text())
        config.chmod(0o600)
        store_file = workdir / "polling.sqlite"
        # Any seeded id on screen means the list is painted (sorting decides which).
        needles = [str(job["id"]).encode() for job in data.get("jobs", [])]
        with PtyProcess(_command(config, store_file), env, workdir) as terminal:
            if terminal.wait_for(needles, timeout=120) is None:
                tail = bytes(terminal.output[-400:])
                raise RuntimeError(f"no simulated job painted in 120 s; the screen shows {tail!r}")
            terminal.settle(0.5, timeout=5)
            cpu, rate = terminal.watch(idle)
            rss = terminal.peak_rss_mb()
    label = f"{jobs:,} jobs polling"
    return [
        Figure(SECTION, f"CPU, {label}", cpu, "%", detail={"seconds": idle}),
        Figure(SECTION, f"bytes to terminal, {label}", rate, "B/s", detail={"seconds": idle}),
        Figure(SECTION, f"peak RSS, {label}", rss, "MB"),
    ]


def run(mode: Mode) -> list[Figure]:
    """The section as ``python -m bench`` runs it."""
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for count in mode.tui_sizes:
            figures += _dashboard(
                workdir, count, mode.tui_keys, mode.idle_seconds, mode.calm_window
            )
        for per_provider in mode.real_per_provider:
            figures += _real_shaped(workdir, per_provider, mode.tui_keys, mode.idle_seconds)
        figures += _polling(workdir, mode.poll_per_provider, mode.idle_seconds)
    return figures


def main() -> None:
    """Print the figures."""
    full = MODES["full"]
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=list(full.tui_sizes))
    parser.add_argument("--keys", type=int, default=full.tui_keys)
    parser.add_argument("--idle", type=float, default=full.idle_seconds)
    parser.add_argument("--poll-per-provider", type=int, default=full.poll_per_provider)
    parser.add_argument("--real-per-provider", type=int, nargs="+",
                        default=list(full.real_per_provider),
                        help="jobs per provider of each real-shaped store (0: skip them)")
    parser.add_argument("--only-real", action="store_true",
                        help="only the real-shaped store's figures")
    args = parser.parse_args()
    mode = Mode(**{**full.__dict__, "tui_sizes": tuple(args.jobs), "tui_keys": args.keys,
                   "idle_seconds": args.idle, "poll_per_provider": args.poll_per_provider,
                   "real_per_provider": tuple(n for n in args.real_per_provider if n > 0)})
    if args.only_real:
        with tempfile.TemporaryDirectory() as tmp:
            for per_provider in mode.real_per_provider:
                for figure in _real_shaped(Path(tmp), per_provider, mode.tui_keys,
                                           mode.idle_seconds):
                    verdict = "" if figure.met is None else (" met" if figure.met else " MISSED")
                    target = f"  (target {figure.target}{verdict})" if figure.target else ""
                    print(f"  {figure.name:70s} {figure.value:12,.2f} {figure.unit}{target}")
        return
    for figure in run(mode):
        print(f"  {figure.name:45s} {figure.value:12,.2f} {figure.unit}")


if __name__ == "__main__":
    main()
