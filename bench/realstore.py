"""A store filled the way a user fills it: real sweeps of the simulator.

    .venv/bin/python -m bench.realstore OUT_DIR [--per-provider 2000] [--speed 5]

Starts ``jobtui sim`` (``--jobs N`` per provider, jobs at every point of their
lives), writes the config it prints (``[[jobs]]`` included) to
``OUT_DIR/config.toml`` and fills ``OUT_DIR/store.sqlite`` by one
``Engine.sweep(all_jobs=True)``: what ``jobtui status --all`` does, rate limits
lifted. ``OUT_DIR/config-empty.toml`` has no providers, for a dashboard over
the same store with nothing polling.

Building takes a minute or more: ``cached(per_provider, speed)`` builds once
per set of parameters into ``bench/.cache/`` (or ``$JOBTUI_BENCH_CACHE``) and
``fresh_copy`` hands each bench run its own copy, with the providers pointing
at a closed loopback port (the simulator is gone: providers down).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import time
from pathlib import Path

from bench.common import SimProcess
from bench.sweep import config_text

__all__ = ["build", "cached", "fresh_copy"]

CACHE_ENV = "JOBTUI_BENCH_CACHE"
FORMAT = 1
"""Bumped whenever what ``build`` writes changes: older cached stores are not reused."""
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens on loopback


async def _sweep(config_file: Path, store_file: Path) -> int:
    from jobtui.config import load_config
    from jobtui.engine import Engine
    from jobtui.store import Store

    config = load_config(config_file)
    store = Store(store_file)
    engine = Engine(config, store, discover=False)
    try:
        await engine.load()
        await engine.sweep(all_jobs=True)
        return len(engine.jobs())
    finally:
        await engine.aclose()
        store.close()


def build(out: Path, per_provider: int, speed: float = 5.0) -> tuple[Path, Path, int]:
    """(config with ``[[jobs]]``, store, jobs stored) in ``out``, by one real sweep."""
    out.mkdir(parents=True, exist_ok=True)
    config_file = out / "config.toml"
    store_file = out / "store.sqlite"
    with SimProcess(out, jobs=per_provider, speed=speed, cpu=0) as sim:
        config_file.write_text(config_text(sim.config_text(), 1000.0, 16))
        config_file.chmod(0o600)
        count = asyncio.run(_sweep(config_file, store_file))
    (out / "config-empty.toml").write_text("")
    return config_file, store_file, count


def cache_dir() -> Path:
    """Where built stores are kept between bench runs."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    return Path(configured) if configured else Path(__file__).parent / ".cache"


def cached(per_provider: int, speed: float = 5.0) -> Path:
    """The folder of a store built with these parameters (built now if not kept yet)."""
    folder = cache_dir() / f"realstore-v{FORMAT}-{per_provider}-per-provider-speed-{speed:g}"
    if not (folder / "built").exists():
        building = folder.with_name(f"{folder.name}.building-{os.getpid()}")
        shutil.rmtree(building, ignore_errors=True)
        _, _, count = build(building, per_provider, speed)
        (building / "built").write_text(f"{count}\n")
        shutil.rmtree(folder, ignore_errors=True)
        building.rename(folder)
    return folder


def fresh_copy(
    dest: Path, per_provider: int, speed: float = 5.0
) -> tuple[Path, Path, Path, list[str]]:
    """A copy of the cached store in ``dest``: (config, config without providers, store, ids).

    The config is the one ``jobtui sim`` printed (its ``[[jobs]]`` blocks as
    written there), its providers pointed at a closed loopback port: a
    dashboard over it has providers configured and down.
    """
    import tomllib

    source = cached(per_provider, speed)
    dest.mkdir(parents=True, exist_ok=True)
    printed = source / "sim-config.toml"
    text = (printed if printed.exists() else source / "config.toml").read_text()
    text = re.sub(r"http://127\.0\.0\.1:\d+", CLOSED, text)
    text = re.sub(r"(?m)^store = .*$", "", text)  # the bench names the store itself
    config = dest / "config.toml"
    config.write_text(text)
    config.chmod(0o600)
    empty = dest / "config-empty.toml"
    empty.write_text("")
    store = dest / "store.sqlite"
    shutil.copyfile(source / "store.sqlite", store)
    ids = [str(job["id"]) for job in tomllib.loads(text).get("jobs", [])]
    return config, empty, store, ids


def main() -> None:
    """Build the store and print what it holds."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-provider", type=int, default=2000)
    parser.add_argument("--speed", type=float, default=5.0)
    args = parser.parse_args()
    started = time.perf_counter()
    _, store_file, count = build(args.out, args.per_provider, args.speed)
    size = store_file.stat().st_size / 1e6
    print(f"{count} jobs, {size:.1f} MB store, {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
