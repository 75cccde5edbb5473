"""``python -m bench`` (``make bench``): every benchmark, one table, ``bench/results.json``.

    .venv/bin/python -m bench                 # quick mode (under 5 minutes on 2 cores)
    BENCH_FULL=1 .venv/bin/python -m bench    # full mode: 2,000 jobs per provider, 100k rows
    .venv/bin/python -m bench --smoke --out /tmp/r.json   # seconds; for the smoke test
    .venv/bin/python -m bench --only sweep freshness

A section that fails (a part not landed, a crash) is reported with its error
and the others still run; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import MODES, Figure, Mode

RESULTS = Path(__file__).resolve().parent / "results.json"


def _sections() -> dict[str, Callable[[Mode], list[Figure]]]:
    # Imported lazily so that one broken section cannot stop the others from loading.
    def lazy(module: str) -> Callable[[Mode], list[Figure]]:
        def run(mode: Mode) -> list[Figure]:
            imported = __import__(f"bench.{module}", fromlist=["run"])
            result: list[Figure] = imported.run(mode)
            return result

        return run

    return {
        "simulator": lazy("sim_throughput"),
        "sweep": lazy("sweep"),
        "freshness": lazy("freshness"),
        "dashboard_headless": lazy("tui_bigload"),
        "dashboard_pty": lazy("tui_pty"),
        "serve": lazy("serve_session"),
        "graphics": lazy("graphics"),
    }


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": list(load),
    }


def _cell(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit in ("x", "fraction"):
        return f"{value:.2f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def table(figures: list[Figure], errors: dict[str, str]) -> str:
    """The figures as a Markdown table (errors as rows of their own)."""
    lines = [
        "| section | figure | value | unit | target | met |",
        "|---|---|---:|---|---|---|",
    ]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        lines.append(
            f"| {f.section} | {f.name} | {_cell(f.value, f.unit)} | {f.unit} "
            f"| {f.target or ''} | {met} |"
        )
    for section, error in errors.items():
        lines.append(f"| {section} | **failed**: {error} | | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections; print the table and write the results file."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--smoke", action="store_true", help="tiny sizes: checks the bench runs")
    size.add_argument("--full", action="store_true", help="full sizes (also: BENCH_FULL=1)")
    parser.add_argument("--only", nargs="+", metavar="SECTION", choices=sorted(_sections()))
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    args = parser.parse_args(argv)
    name = "smoke" if args.smoke else "full" if args.full or os.environ.get("BENCH_FULL") else (
        "quick"
    )
    mode = MODES[name]
    sections = {k: v for k, v in _sections().items() if not args.only or k in args.only}
    started = time.perf_counter()
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    timings: dict[str, float] = {}
    print(f"jobtui bench, {name} mode: {', '.join(sections)}", file=sys.stderr, flush=True)
    for section, run in sections.items():
        began = time.perf_counter()
        try:
            found = run(mode)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            errors[section] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            found = []
        timings[section] = time.perf_counter() - began
        figures += found
        print(f"  {section}: {timings[section]:.1f} s", file=sys.stderr, flush=True)
    results = {
        "mode": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "mode_settings": mode.__dict__,
        "seconds": time.perf_counter() - started,
        "section_seconds": timings,
        "errors": errors,
        "figures": [f.as_json() for f in figures],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=list) + "\n")
    print(table(figures, errors))
    print(f"\n{name} mode, {results['seconds']:.0f} s; results in {args.out}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
