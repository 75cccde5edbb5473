"""Desktop notifications that reach the user's own machine, even through SSH and tmux.

``notify-send`` on a server never reaches the laptop; an escape sequence
written to the terminal does, because the terminal emulator on the laptop
reads it. Two are widely understood:

- OSC 9 (``ESC ] 9 ; text BEL``): iTerm2, WezTerm, Windows Terminal, ConEmu,
  kitty, foot, Ghostty;
- OSC 777 (``ESC ] 777 ; notify ; title ; body BEL``): urxvt, foot, Ghostty,
  WezTerm, VTE terminals.

Inside tmux (``$TMUX`` set) each is wrapped in a DCS passthrough
(``ESC P tmux ; … ESC \\``, every inner ESC doubled) so tmux hands it on to
the outer terminal; tmux 3.3+ needs ``set -g allow-passthrough on``.
A ``command`` runs without a shell with the title and message as its last
two arguments. No Textual here: ``jobtui watch --notify`` uses it too.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Collection, Mapping, Sequence

__all__ = [
    "TERMINAL_METHODS",
    "Notifier",
    "notify_argv",
    "osc9",
    "osc777",
    "plain",
    "tmux_wrap",
]

TERMINAL_METHODS = frozenset({"bell", "osc9", "osc777"})
"""The ``notify_via`` methods that write to the terminal."""

_BEL = "\x07"
_MAX_TEXT = 240  # terminals show a line or two; a long list of ids helps nobody there
# Control characters (C0, DEL, C1) would end the sequence early or drive the terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def plain(text: str, *, limit: int = _MAX_TEXT) -> str:
    """``text`` on one line, control characters dropped, cut to ``limit`` characters."""
    flat = " / ".join(part.strip() for part in text.splitlines() if part.strip())
    flat = _CONTROL.sub("", flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def osc9(message: str) -> str:
    """The OSC 9 notification for ``message``.

    ConEmu and Windows Terminal read ``9;4;…`` as a progress report: a message
    starting with a digit and ``;`` gets a leading space so it stays a message.
    """
    text = plain(message)
    if re.match(r"\d+;", text):
        text = " " + text
    return f"\x1b]9;{text}{_BEL}"


def osc777(title: str, body: str) -> str:
    """The OSC 777 notification; ``;`` would split the fields, so it becomes ``,``."""
    return f"\x1b]777;notify;{plain(title).replace(';', ',')};{plain(body).replace(';', ',')}{_BEL}"


def tmux_wrap(sequence: str) -> str:
    """``sequence`` inside a tmux DCS passthrough, its ESCs doubled."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def notify_argv(command: Sequence[str], title: str, message: str) -> list[str]:
    """The argument vector of a ``notify_cmd``: the command, then title and message."""
    return [*command, plain(title), plain(message, limit=2000)]


class Notifier:
    """Announces a round of finished jobs by every terminal or command method asked for.

    ``write`` sends text to the terminal (None: no terminal, those methods are
    skipped); the toast is the caller's (the dashboard has one, ``watch`` none).
    """

    def __init__(
        self,
        via: Collection[str],
        command: Sequence[str] = (),
        *,
        write: Callable[[str], None] | None,
        env: Mapping[str, str],
        run: Callable[[list[str]], object] | None = None,
    ) -> None:
        self.via = frozenset(via)
        self.command = tuple(command)
        self._write = write
        self._tmux = bool(env.get("TMUX"))
        self._run = run or _spawn

    def sequences(self, title: str, message: str, *, failures: int = 0) -> str:
        """What goes to the terminal for one round (empty when nothing does)."""
        parts: list[str] = []
        if "bell" in self.via and failures:
            parts.append(_BEL)  # the bell rings for failures, as [ui] bell does
        if "osc9" in self.via:
            parts.append(osc9(f"{title}: {message}" if message else title))
        if "osc777" in self.via:
            parts.append(osc777(title, message))
        wrap = tmux_wrap if self._tmux else (lambda s: s)
        return "".join(p if p == _BEL else wrap(p) for p in parts)

    def announce(self, title: str, message: str, *, failures: int = 0) -> None:
        """Send one round: terminal sequences, then the command."""
        text = self.sequences(title, message, failures=failures)
        if text and self._write is not None:
            self._write(text)
        if "command" in self.via and self.command:
            self._run(notify_argv(self.command, title, message))


def _spawn(argv: list[str]) -> object:
    """Start ``argv`` without a shell and without waiting; a missing program is ignored."""
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return None
