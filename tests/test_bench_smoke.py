"""`python -m bench --smoke` runs every section end to end and writes results.json.

Only the structure is checked: the figures are for people, never asserted.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from support.data import REPO_ROOT

ROOT = REPO_ROOT
SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "simulator": ("simulator", ()),
    "sweep": (
        "sweep",
        (
            "engine sweep (status --all)",
            "(a) sequential httpx, 1 GET/job",
            "(b) simulator ceiling, raw GETs",
            "engine / (a) sequential",
            "requests per sweep: deepomatic",
        ),
    ),
    "freshness": ("freshness", ("polls per job-hour, finished jobs",)),
    "dashboard_headless": ("dashboard (headless)", ()),
    "dashboard_pty": (
        "dashboard (pty)",
        (
            "process start -> first job list, 200 jobs",
            "peak RSS, 200 jobs",
            "idle CPU (all finished), 200 jobs",
        ),
    ),
    "serve": (
        "dashboard (served)",
        (
            "served / pty, first job list",
            "peak RSS of a session, 200 jobs",
        ),
    ),
    "graphics": (
        "graphics",
        ("sixel encode 600x360, ours", "queries written at start, jobtui"),
    ),
}
"""Each section as ``--only`` names it: the section its figures carry, and figures it must have."""


def test_every_section_of_the_bench_is_smoke_tested() -> None:
    from bench.__main__ import _sections

    assert set(_sections()) == set(SECTIONS)


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_bench_smoke_writes_the_section(section: str, tmp_path: Path) -> None:
    # One section per test, so that the sections run side by side on the suite's workers.
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--only", section, "--out", str(out)],
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
    shown, expected = SECTIONS[section]
    assert figures, f"section {section} measured nothing"
    assert {figure["section"] for figure in figures} == {shown}
    for figure in figures:
        assert set(figure) == {"section", "name", "value", "unit", "target", "met", "detail"}
        assert figure["value"] is None or math.isfinite(figure["value"])
        assert figure["met"] in (True, False, None)
        assert (figure["met"] is None) or figure["target"]
    names = {figure["name"] for figure in figures}
    missing = [name for name in expected if name not in names]
    assert not missing, f"section {section} lacks {missing}"
    # The table printed on stdout carries every figure.
    assert done.stdout.count("\n| ") >= len(figures)


def test_bench_results_are_json_with_nan_as_null(tmp_path: Path) -> None:
    from bench.common import Figure

    figure = Figure("sweep", "nothing measured", math.nan, "s")
    data = figure.as_json()
    assert data["value"] is None
    assert json.loads(json.dumps(data))["value"] is None
