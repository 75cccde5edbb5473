"""Show a text in the user's pager or editor (``e`` on a job): which program, and running it.

The dashboard suspends itself around ``open_in_viewer``; this module only
picks the program and hands it a temporary file that is gone afterwards.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["open_in_viewer", "viewer_command"]

_FALLBACK = "less"


def viewer_command(environ: Mapping[str, str] | None = None) -> list[str]:
    """``$PAGER``, else ``$EDITOR``, else ``less``, split as a shell would (``less -R``)."""
    env = os.environ if environ is None else environ
    for name in ("PAGER", "EDITOR"):
        value = env.get(name, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError as exc:  # an unbalanced quote: say which variable
                raise ValueError(f"${name} cannot be parsed: {exc}") from exc
            if words:
                return words
    return [_FALLBACK]


def open_in_viewer(text: str, command: Sequence[str], *, suffix: str = ".json") -> int:
    """Write ``text`` to a private temporary file, run ``command`` on it, delete it.

    Blocks until the program exits and returns its exit code. OSError when
    the program cannot be started.
    """
    handle, name = tempfile.mkstemp(prefix="jobtui-", suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text if text.endswith("\n") else text + "\n")
        return subprocess.run([*command, str(path)], check=False).returncode
    finally:
        path.unlink(missing_ok=True)
