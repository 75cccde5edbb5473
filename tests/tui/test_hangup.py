"""The dashboard leaves when its terminal goes away instead of spinning on it."""

from __future__ import annotations

import asyncio
import os
import pty
import signal
from pathlib import Path

from jobtui.tui.terminal.hangup import install_hangup_handler, terminal_hung_up


def test_an_open_terminal_has_not_hung_up() -> None:
    master, slave = pty.openpty()
    try:
        assert not terminal_hung_up(slave)
    finally:
        os.close(master)
        os.close(slave)


def test_a_terminal_whose_other_end_closed_has_hung_up() -> None:
    master, slave = pty.openpty()
    os.close(master)
    try:
        assert terminal_hung_up(slave)
    finally:
        os.close(slave)


def test_a_closed_descriptor_counts_as_gone() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    os.close(write_end)
    assert terminal_hung_up(read_end)


async def test_sighup_calls_leave_and_the_handler_can_be_removed() -> None:
    left = asyncio.Event()
    remove = install_hangup_handler(left.set)
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        await asyncio.wait_for(left.wait(), timeout=5)
    finally:
        remove()
    assert left.is_set()


def test_the_dashboard_exits_when_its_terminal_closes(tmp_path: Path) -> None:
    import select
    import subprocess
    import sys

    config = tmp_path / "config.toml"
    config.write_text("")
    master, slave = pty.openpty()
    env = dict(
        os.environ,
        TERM="xterm-256color",
        JOBTUI_CONFIG=str(config),
        JOBTUI_STORE=str(tmp_path / "jobs.sqlite"),
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "jobtui"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,  # no controlling terminal: no SIGHUP, only the hang-up
    )
    os.close(slave)
    seen = b""
    try:
        while b"Jobs" not in seen:  # the dashboard is up
            if not select.select([master], [], [], 30)[0]:
                raise AssertionError(f"no dashboard drawn: {seen[-500:]!r}")
            seen += os.read(master, 65536)
        os.close(master)
        assert child.wait(timeout=30) == 0  # a bound for a hung child, not a timing check
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
