"""`python -m bench --smoke` runs every section end to end and writes results.json.

Only the structure is checked: the figures are for people, never asserted.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from support.data import REPO_ROOT

ROOT = REPO_ROOT
SECTIONS = {
    "simulator",
    "sweep",
    "freshness",
    "dashboard (headless)",
    "dashboard (pty)",
}


def test_bench_smoke_writes_every_section(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())

    assert results["mode"] == "smoke"
    assert results["errors"] == {}
    assert results["machine"]["cpus"] >= 1
    assert results["machine"]["python"].startswith("3.")
    figures = results["figures"]
    assert {figure["section"] for figure in figures} == SECTIONS
    for figure in figures:
        assert set(figure) == {"section", "name", "value", "unit", "target", "met", "detail"}
        assert figure["value"] is None or math.isfinite(figure["value"])
        assert figure["met"] in (True, False, None)
        assert (figure["met"] is None) or figure["target"]
    names = {figure["name"] for figure in figures}
    for expected in (
        "engine sweep (status --all)",
        "(a) sequential httpx, 1 GET/job",
        "(b) simulator ceiling, raw GETs",
        "engine / (a) sequential",
        "requests per sweep: deepomatic",
        "polls per job-hour, finished jobs",
        "process start -> first job list, 200 jobs",
        "peak RSS, 200 jobs",
        "idle CPU (all finished), 200 jobs",
    ):
        assert expected in names
    # The table printed on stdout carries every figure.
    assert done.stdout.count("\n| ") >= len(figures)


def test_bench_results_are_json_with_nan_as_null(tmp_path: Path) -> None:
    from bench.common import Figure

    figure = Figure("sweep", "nothing measured", math.nan, "s")
    data = figure.as_json()
    assert data["value"] is None
    assert json.loads(json.dumps(data))["value"] is None
