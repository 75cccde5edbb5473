"""``make demo`` installs the runtime only: the test and dev extras are not needed to look."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_make_demo_installs_no_extras(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # A dry run in a copy with no venv: what would make do on a fresh clone?
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    plan = subprocess.run(
        ["make", "-n", "demo"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert plan.returncode == 0, plan.stderr
    installs = [line for line in plan.stdout.splitlines() if "pip install" in line]
    assert any("-e ." in line for line in installs), plan.stdout
    assert not any("[test" in line or "dev]" in line for line in installs), installs
    assert "jobtui demo" in plan.stdout
