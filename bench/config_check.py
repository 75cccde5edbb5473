"""``jobtui config check`` on the real-shaped store's config (10,000 ``[[jobs]]``).

    .venv/bin/python -m bench.config_check [--per-provider 2000] [--rounds 5]

The config is the one ``jobtui sim --jobs N`` printed (``bench.realstore``),
owner-only (no permission warnings). Each round starts the real command and
reports its wall time and its CPU (user + system, from ``getrusage`` of the
children). The tree under measurement is compiled first (``bench.bytecode``);
``BENCH_DASHBOARD_TREE`` runs another tree, for a baseline.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bytecode import prepare
from bench.common import median

__all__ = ["check_once"]


def check_once(config: Path, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``jobtui --config C config check``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "jobtui", "--config", str(config), "config", "check"],
        env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    """Print the medians and every round."""
    from bench.realstore import fresh_copy

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--per-provider", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    env = prepare({k: v for k, v in os.environ.items() if not k.startswith("JOBTUI_")})
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config, _, _, ids = fresh_copy(workdir / "real", args.per_provider)
        rounds = [check_once(config, env, workdir) for _ in range(args.rounds)]
    walls = [wall for wall, _ in rounds]
    cpus = [cpu for _, cpu in rounds]
    print(f"  config check, {len(ids):,} [[jobs]]: wall {median(walls):.3f} s, "
          f"CPU {median(cpus):.3f} s (medians of {len(rounds)}; load {os.getloadavg()[0]:.1f})")
    print("    wall " + " ".join(f"{w:.3f}" for w in walls))
    print("    CPU  " + " ".join(f"{c:.3f}" for c in cpus))


if __name__ == "__main__":
    main()
