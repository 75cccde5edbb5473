"""A store filled the way a user fills it: real sweeps of the simulator.

    .venv/bin/python -m bench.realstore OUT_DIR [--per-provider 2000] [--speed 5]

Starts ``jobtui sim`` (``--jobs N`` per provider, jobs at every point of their
lives), writes the config it prints (``[[jobs]]`` included) to
``OUT_DIR/config.toml`` and fills ``OUT_DIR/store.sqlite`` by one
``Engine.sweep(all_jobs=True)``: what ``jobtui status --all`` does, rate limits
lifted. ``OUT_DIR/config-empty.toml`` has no providers, for a dashboard over
the same store with nothing polling.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from bench.common import SimProcess
from bench.sweep import config_text

__all__ = ["build"]


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
