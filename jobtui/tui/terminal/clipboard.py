"""Copying text to the user's clipboard, locally, over SSH and inside tmux.

Order of attempts:

1. Local session (no ``SSH_CONNECTION``/``SSH_TTY``) with a clipboard tool on
   ``PATH`` (``wl-copy`` under Wayland, ``xclip``/``xsel`` under X11,
   ``pbcopy`` on macOS): the tool gets the text on stdin. No size limit.
2. Otherwise OSC 52: the terminal itself sets the clipboard, which works
   over SSH. Inside tmux (``$TMUX``) the sequence is wrapped in a DCS
   passthrough so tmux hands it to the outer terminal (tmux needs
   ``allow-passthrough on``, or ``set-clipboard on`` which reads plain OSC 52).
   Terminals cap OSC 52 payloads (often at ~100 kB); beyond
   :data:`OSC52_MAX_BASE64` bytes of base64, the text goes to a file instead.
3. That file (``clipboard.txt`` in the state directory, mode 0600), whose path
   is returned so the UI can say where the text went.

The OSC sequence must reach the terminal through Textual's driver (writing to
stdout directly would interleave with Textual's own output): pass
:func:`driver_writer` of the app, or any ``write(str)`` in tests.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import platformdirs
from textual.app import App

__all__ = [
    "NATIVE_TOOLS",
    "OSC52_MAX_BASE64",
    "ClipboardMethod",
    "CopyResult",
    "copy_text",
    "driver_writer",
    "is_remote",
    "osc52_sequence",
    "read_tmux_option",
]

OSC52_MAX_BASE64 = 100_000
"""Largest base64 payload sent by OSC 52; bigger copies go to a file."""

NATIVE_TOOLS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wl-copy", ("wl-copy",)),
    ("xclip", ("xclip", "-selection", "clipboard")),
    ("xsel", ("xsel", "--clipboard", "--input")),
    ("pbcopy", ("pbcopy",)),
)
"""Clipboard tools tried in order on a local session: (executable, command)."""

_TOOL_TIMEOUT = 3.0


class ClipboardMethod(StrEnum):
    """How the text reached the clipboard (or where it went instead)."""

    NATIVE = "native"
    OSC52 = "osc52"
    OSC52_TMUX = "osc52-tmux"
    TMUX_BLOCKED = "tmux-blocked"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class CopyResult:
    """The outcome of one copy."""

    method: ClipboardMethod
    detail: str = ""
    """The tool used, or the file written."""
    size: int = 0
    """Characters copied."""

    @property
    def message(self) -> str:
        """A one-line toast text saying what happened."""
        size = f"{self.size:,} characters"
        if self.method is ClipboardMethod.NATIVE:
            return f"Copied {size} with {self.detail}"
        if self.method is ClipboardMethod.OSC52:
            return f"Copied {size} (terminal clipboard, OSC 52)"
        if self.method is ClipboardMethod.OSC52_TMUX:
            return f"Copied {size} (terminal clipboard through tmux{self.detail})"
        if self.method is ClipboardMethod.TMUX_BLOCKED:
            return (
                f"Nothing copied: this tmux passes no clipboard sequence to the terminal. "
                f"Add `set -g allow-passthrough on` (or `set -g set-clipboard on`) to "
                f"~/.tmux.conf, then `tmux source ~/.tmux.conf` ({size} not sent)"
            )
        return f"Too large for the terminal clipboard: {size} written to {self.detail}"


def is_remote(env: Mapping[str, str]) -> bool:
    """True inside an SSH session, where local clipboard tools reach the wrong machine."""
    return bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY") or env.get("SSH_CLIENT"))


def osc52_sequence(text: str, *, tmux: bool = False) -> str:
    """The OSC 52 "set clipboard" sequence for ``text``, DCS-wrapped for tmux if asked.

    Inside a tmux passthrough every ESC of the inner sequence is doubled.
    """
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    sequence = f"\x1b]52;c;{payload}\x07"
    if tmux:
        return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence


def driver_writer(app: App[Any]) -> Callable[[str], None]:
    """A ``write(str)`` that sends raw text to the terminal through the app's driver.

    ``App.copy_to_clipboard`` does the same through the private ``_driver``; there is
    no public API for raw output in Textual 8.2.8. Writes are dropped when the app
    has no driver (not running).
    """

    def write(data: str) -> None:
        driver = app._driver
        if driver is not None:
            driver.write(data)

    return write


def _native_copy(
    text: str, env: Mapping[str, str], which: Callable[[str], str | None]
) -> str | None:
    """Try each local tool in turn; the name of the one that worked, or None."""
    wayland = bool(env.get("WAYLAND_DISPLAY"))
    x11 = bool(env.get("DISPLAY"))
    for name, command in NATIVE_TOOLS:
        if name == "wl-copy" and not wayland:
            continue
        if name in ("xclip", "xsel") and not x11:
            continue
        executable = which(name)
        if executable is None:
            continue
        try:
            completed = subprocess.run(
                [executable, *command[1:]],
                input=text.encode("utf-8"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=_TOOL_TIMEOUT,
                check=False,
                env=dict(env),
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if completed.returncode == 0:
            return name
    return None


def _write_file(text: str, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "clipboard.txt"
    # Created 0600 from the start: copied payloads may be private.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    path.chmod(0o600)
    return path


def copy_text(
    text: str,
    write: Callable[[str], None],
    *,
    env: Mapping[str, str] | None = None,
    state_dir: Path | None = None,
    which: Callable[[str], str | None] = shutil.which,
    max_base64: int = OSC52_MAX_BASE64,
    tmux_option: Callable[[str], str | None] | None = None,
) -> CopyResult:
    """Put ``text`` on the clipboard by the best available way; says which it used.

    ``write`` sends raw data to the terminal (see :func:`driver_writer`); ``env``
    defaults to ``os.environ``; ``state_dir`` is where an oversized copy is saved;
    ``tmux_option`` reads a tmux option (default: asks the tmux server), so that a
    tmux that would drop the sequence is said, not reported as a copy.
    """
    environment = os.environ if env is None else env
    if not is_remote(environment):
        tool = _native_copy(text, environment, which)
        if tool is not None:
            return CopyResult(ClipboardMethod.NATIVE, tool, len(text))
    encoded_size = 4 * ((len(text.encode("utf-8")) + 2) // 3)
    if encoded_size > max_base64:
        directory = state_dir or platformdirs.user_state_path("jobtui")
        path = _write_file(text, directory)
        return CopyResult(ClipboardMethod.FILE, str(path), len(text))
    tmux = bool(environment.get("TMUX"))
    if not tmux:
        write(osc52_sequence(text))
        return CopyResult(ClipboardMethod.OSC52, "", len(text))
    ask = tmux_option or (lambda name: read_tmux_option(name, environment))
    passthrough, set_clipboard = ask("allow-passthrough"), None
    if passthrough in ("on", "all"):
        write(osc52_sequence(text, tmux=True))
        return CopyResult(ClipboardMethod.OSC52_TMUX, ", passthrough on", len(text))
    set_clipboard = ask("set-clipboard")
    # Only "on" lets an application's OSC 52 in: "external" (tmux's default) sends
    # tmux's own copies out but drops an application's, buffer and forwarding both.
    if set_clipboard == "on":
        write(osc52_sequence(text))  # tmux reads plain OSC 52 itself and forwards it
        return CopyResult(ClipboardMethod.OSC52_TMUX, ", set-clipboard on", len(text))
    if passthrough is None and set_clipboard is None:
        # tmux could not be asked: send the wrapped form and say it depends on tmux.
        write(osc52_sequence(text, tmux=True))
        return CopyResult(
            ClipboardMethod.OSC52_TMUX, "; needs `set -g allow-passthrough on`", len(text)
        )
    return CopyResult(ClipboardMethod.TMUX_BLOCKED, "", len(text))


def read_tmux_option(name: str, env: Mapping[str, str]) -> str | None:
    """A global tmux option's value (``tmux show-options -gv``), or None if tmux cannot say."""
    try:
        done = subprocess.run(
            ["tmux", "show-options", "-gv", name],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
            env=dict(env),  # the tmux of the session being copied from
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
