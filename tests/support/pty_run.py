"""Run ``jobtui`` in a real pseudo-terminal, as a user's shell would."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from collections.abc import Sequence
from pathlib import Path


class PtyChild:
    """A ``python -m jobtui …`` child on a pty of 120×40; the test holds the other end."""

    def __init__(
        self,
        argv: Sequence[str],
        tmp_path: Path,
        *,
        controlling: bool = False,
        with_config: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        config = tmp_path / "config.toml"
        if with_config and not config.exists():
            config.write_text("")
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        environment = {k: v for k, v in os.environ.items() if not k.startswith("JOBTUI_")}
        environment.update(
            TERM="xterm-256color",
            JOBTUI_STORE=str(tmp_path / "jobs.sqlite"),
            XDG_STATE_HOME=str(tmp_path / "state"),
            XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        )
        if with_config:
            environment["JOBTUI_CONFIG"] = str(config)
        environment.update(env or {})

        def become_session_leader() -> None:
            # The pty becomes the child's controlling terminal: closing our end
            # then sends it SIGHUP, as a dropped SSH session does.
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.process = subprocess.Popen(
            [sys.executable, "-m", "jobtui", *argv],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environment,
            # Without a controlling terminal there is no SIGHUP, only the hang-up.
            start_new_session=not controlling,
            preexec_fn=become_session_leader if controlling else None,
        )
        os.close(slave)
        self.seen = b""
        self._open = True

    def wait_for(self, text: bytes, deadline: float = 60) -> None:
        """Read the screen until ``text`` was drawn (fails naming what never showed)."""
        while text not in self.seen:
            if not select.select([self.master], [], [], deadline)[0]:
                raise AssertionError(f"{text!r} never drawn: {self.seen[-500:]!r}")
            try:
                self.seen += os.read(self.master, 65536)
            except OSError as exc:
                raise AssertionError(f"the terminal closed before {text!r}: {exc}") from exc

    def drain(self) -> None:
        """Read what is pending without blocking, so the child never stalls on output."""
        while self._open and select.select([self.master], [], [], 0)[0]:
            try:
                self.seen += os.read(self.master, 65536)
            except OSError:
                return

    def close_terminal(self) -> None:
        """Close our end: the child's terminal is gone."""
        if self._open:
            os.close(self.master)
            self._open = False

    def wait_exit(self, bound: float = 60) -> int:
        """The exit status; ``bound`` only catches a child that never ends."""
        try:
            return self.process.wait(timeout=bound)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"still running {bound:.0f} s after the hang-up") from exc

    def cleanup(self) -> None:
        """Kill the child if a test failed half-way, and close the terminal."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.close_terminal()
