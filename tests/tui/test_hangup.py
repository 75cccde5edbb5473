"""The dashboard leaves when its terminal goes away instead of spinning on it."""

from __future__ import annotations

import asyncio
import os
import pty
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from jobtui.tui.terminal.hangup import (
    NO_TERMINAL,
    HangupWatch,
    install_hangup_handler,
    terminal_hung_up,
)

from support.pty_run import PtyChild


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


class _Exits:
    """Records the hard exit a HangupWatch would take, instead of taking it."""

    def __init__(self) -> None:
        self.codes: list[int] = []
        self.called = threading.Event()

    def __call__(self, code: int) -> None:
        self.codes.append(code)
        self.called.set()


async def test_a_closed_terminal_is_noticed_while_the_loop_is_busy() -> None:
    master, slave = pty.openpty()
    left = threading.Event()
    exits = _Exits()
    watch = HangupWatch(left.set, (slave,), grace=0.2, hard_exit=exits)
    watch.start()
    try:
        os.close(master)
        # The loop never turns here (a long poll batch): the thread notices anyway.
        assert watch.hung_up.wait(30), "the hang-up was never noticed"
        # The app never left (its loop is stuck): the process ends itself.
        assert exits.called.wait(30), "no exit after the grace period"
        assert exits.codes == [129]
    finally:
        watch.stop()
        os.close(slave)
    await asyncio.wait_for(asyncio.to_thread(left.wait, 30), 35)  # the loop turns: asked to leave


async def test_sighup_is_heard_while_the_main_thread_computes() -> None:
    master, slave = pty.openpty()
    exits = _Exits()
    watch = HangupWatch(lambda: None, (slave,), grace=0.2, hard_exit=exits)
    watch.start()
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + 30
        while not watch.hung_up.is_set():  # busy Python code, the loop never turns
            assert time.monotonic() < deadline, "SIGHUP never reached the watch"
        assert exits.called.wait(30), "no exit after the grace period"
    finally:
        watch.stop()
        os.close(master)
        os.close(slave)


async def test_an_orderly_exit_stops_the_watch_without_exiting() -> None:
    master, slave = pty.openpty()
    exits = _Exits()
    watch = HangupWatch(lambda: None, (slave,), grace=0.1, hard_exit=exits)
    watch.start()
    watch.stop()
    os.close(master)  # after the stop: nobody is listening any more
    os.close(slave)
    assert not watch.hung_up.is_set()
    assert not exits.called.wait(0.3)


@pytest.mark.parametrize("how", ["close", "sighup"])
def test_a_busy_demo_leaves_when_its_terminal_goes(tmp_path: Path, how: str) -> None:
    # 2,500 jobs polled twenty-times fast: the loop is busy when the terminal goes.
    child = PtyChild(
        ["demo", "--jobs", "500", "--speed", "20"], tmp_path, controlling=how == "sighup"
    )
    try:
        child.wait_for(b"Jobs")
        child.wait_for(b"running")  # polling has begun
        child.drain()
        if how == "sighup":
            child.process.send_signal(signal.SIGHUP)
        else:
            child.close_terminal()
        # A bound for a child that never ends, not a timing check (bench measures it).
        assert child.wait_exit() in (0, 129)
    finally:
        child.cleanup()


def test_closing_a_controlling_terminal_ends_the_dashboard(tmp_path: Path) -> None:
    child = PtyChild([], tmp_path, controlling=True)
    try:
        child.wait_for(b"Jobs")
        child.close_terminal()  # the kernel sends SIGHUP to the session
        assert child.wait_exit() in (0, 129)
    finally:
        child.cleanup()


@pytest.mark.parametrize("argv", [[], ["dashboard"], ["demo", "--jobs", "1"]])
def test_without_a_terminal_the_dashboard_says_so_and_exits_2(
    tmp_path: Path, argv: list[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    out = tmp_path / "out"
    env = dict(os.environ, JOBTUI_CONFIG=str(config), JOBTUI_STORE=str(tmp_path / "s.sqlite"))
    with out.open("wb") as handle:  # jobtui </dev/null >out 2>&1
        done = subprocess.run(
            [sys.executable, "-m", "jobtui", *argv],
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
            timeout=60,  # a bound: before, it spun here forever
        )
    assert done.returncode == 2
    text = out.read_bytes()
    assert text.decode().strip() == NO_TERMINAL
    assert b"\x1b" not in text


def test_a_first_start_without_a_config_says_where_and_what_to_try(tmp_path: Path) -> None:
    child = PtyChild([], tmp_path, with_config=False)
    try:
        child.wait_for(b"jobtui demo")
        assert child.wait_exit() == 2
        child.drain()
        expected = str(tmp_path / "xdg-config" / "jobtui" / "config.toml").encode()
        assert expected in child.seen
        assert b"jobtui config init" in child.seen
    finally:
        child.cleanup()
