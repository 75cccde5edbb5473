"""The tree under measurement, with bytecode as a user's install has it.

pip compiles a package when it installs it, and a virtualenv writes bytecode
on the first run: a user's ``jobtui`` starts from ``.pyc`` files. An editable
install run with ``PYTHONDONTWRITEBYTECODE=1`` never writes them, and every
start would compile every ``jobtui`` module (≈0.3 s CPU), which no user pays.
So the processes a bench starts run a tree compiled beforehand (``compileall``).

``BENCH_BYTECODE=0`` measures the other way: the tree's ``__pycache__``
folders are removed and the processes write none (the figures before this
was measured so).
"""

from __future__ import annotations

import compileall
import os
import shutil
from pathlib import Path

__all__ = ["BYTECODE_ENV", "TREE_ENV", "prepare", "tree"]

BYTECODE_ENV = "BENCH_BYTECODE"
TREE_ENV = "BENCH_DASHBOARD_TREE"
"""A folder holding another ``jobtui/`` (``git archive HEAD~1 jobtui | tar -x -C DIR``):
the processes under measurement run that code, for a baseline in the same run."""


def tree() -> Path:
    """The ``jobtui`` package folder the measured processes import."""
    other = os.environ.get(TREE_ENV, "").strip()
    if other:
        return Path(other) / "jobtui"
    import jobtui

    return Path(jobtui.__file__).parent


def with_bytecode() -> bool:
    """Whether the measured processes start from compiled modules (the default)."""
    return os.environ.get(BYTECODE_ENV, "1").strip() not in ("0", "no", "false")


def prepare(env: dict[str, str]) -> dict[str, str]:
    """Compile (or strip) the measured tree; ``env`` for its processes, updated."""
    package = tree()
    other = os.environ.get(TREE_ENV, "").strip()
    if other:
        # A baseline: the process (and whatever it starts) imports jobtui from there.
        env["PYTHONPATH"] = other
    if with_bytecode():
        compileall.compile_dir(package, quiet=1)
        return env
    for folder in package.rglob("__pycache__"):
        shutil.rmtree(folder, ignore_errors=True)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env
