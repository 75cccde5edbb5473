"""Clipboard: OSC 52 bytes, tmux passthrough, the size cap, native tools, the driver path."""

from __future__ import annotations

import base64
import os
import shutil
import stat
import subprocess
from functools import partial
from pathlib import Path

import pytest
from textual.app import App

from jobtui.tui.terminal.clipboard import (
    ClipboardMethod,
    copy_text,
    driver_writer,
    is_remote,
    osc52_sequence,
)

from support.waiting import wait_until_sync

SSH = {"SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22", "PATH": "/nonexistent"}


def test_osc52_sequence_bytes() -> None:
    assert osc52_sequence("hello") == "\x1b]52;c;aGVsbG8=\x07"
    assert osc52_sequence("é") == "\x1b]52;c;w6k=\x07"


def test_tmux_passthrough_wraps_and_doubles_escapes() -> None:
    assert osc52_sequence("hello", tmux=True) == "\x1bPtmux;\x1b\x1b]52;c;aGVsbG8=\x07\x1b\\"


def test_over_ssh_the_terminal_gets_osc52_through_the_writer(tmp_path: Path) -> None:
    written: list[str] = []
    result = copy_text("job 269999729", written.append, env=SSH, state_dir=tmp_path)
    assert result.method is ClipboardMethod.OSC52
    assert written == [osc52_sequence("job 269999729")]
    assert result.message == "Copied 13 characters (terminal clipboard, OSC 52)"


def test_inside_tmux_the_sequence_is_wrapped(tmp_path: Path) -> None:
    written: list[str] = []
    env = {**SSH, "TMUX": "/tmp/tmux-0/default,1234,0"}
    result = copy_text("x", written.append, env=env, state_dir=tmp_path)
    assert result.method is ClipboardMethod.OSC52_TMUX
    assert written == ["\x1bPtmux;\x1b\x1b]52;c;eA==\x07\x1b\\"]


def test_too_big_for_osc52_goes_to_a_private_file(tmp_path: Path) -> None:
    written: list[str] = []
    text = "ü" * 40_000  # 80,000 bytes -> 106,668 base64 characters
    result = copy_text(text, written.append, env=SSH, state_dir=tmp_path / "state")
    assert result.method is ClipboardMethod.FILE
    assert written == []
    path = Path(result.detail)
    assert path.parent == tmp_path / "state"
    assert path.read_text(encoding="utf-8") == text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in result.message and "40,000 characters" in result.message


def test_just_under_the_cap_still_uses_osc52(tmp_path: Path) -> None:
    written: list[str] = []
    text = "a" * 75_000  # exactly 100,000 base64 characters
    result = copy_text(text, written.append, env=SSH, state_dir=tmp_path)
    assert result.method is ClipboardMethod.OSC52
    payload = written[0].removeprefix("\x1b]52;c;").removesuffix("\x07")
    assert base64.b64decode(payload).decode() == text


def _fake_tool(bin_dir: Path, name: str, sink: Path, exit_code: int = 0) -> None:
    bin_dir.mkdir(exist_ok=True)
    tool = bin_dir / name
    tool.write_text(f"#!/bin/sh\n/bin/cat > '{sink}'\nexit {exit_code}\n")
    tool.chmod(0o755)


def test_local_session_uses_a_native_tool(tmp_path: Path) -> None:
    sink = tmp_path / "clip"
    _fake_tool(tmp_path / "bin", "xclip", sink)
    env = {"DISPLAY": ":0", "PATH": str(tmp_path / "bin")}
    written: list[str] = []
    result = copy_text(
        "ünïcode ✓",
        written.append,
        env=env,
        state_dir=tmp_path,
        which=lambda name: shutil.which(name, path=env["PATH"]),
    )
    assert result.method is ClipboardMethod.NATIVE and result.detail == "xclip"
    assert sink.read_text(encoding="utf-8") == "ünïcode ✓"
    assert written == []
    assert result.message == "Copied 9 characters with xclip"


def test_wayland_tool_first_and_failing_tool_falls_back(tmp_path: Path) -> None:
    _fake_tool(tmp_path / "bin", "wl-copy", tmp_path / "wl", exit_code=1)
    _fake_tool(tmp_path / "bin", "xsel", tmp_path / "xsel")
    env = {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "PATH": str(tmp_path / "bin")}
    result = copy_text(
        "a", [].append, env=env, which=lambda name: shutil.which(name, path=env["PATH"])
    )
    assert (tmp_path / "wl").read_text() == "a"  # tried first
    assert result.detail == "xsel"


def test_over_ssh_native_tools_are_ignored(tmp_path: Path) -> None:
    sink = tmp_path / "clip"
    _fake_tool(tmp_path / "bin", "xclip", sink)
    env = {**SSH, "DISPLAY": "localhost:10.0", "PATH": str(tmp_path / "bin")}
    written: list[str] = []
    result = copy_text(
        "a", written.append, env=env, which=lambda name: shutil.which(name, path=env["PATH"])
    )
    assert result.method is ClipboardMethod.OSC52
    assert not sink.exists()


def test_is_remote() -> None:
    assert is_remote({"SSH_TTY": "/dev/pts/1"})
    assert is_remote({"SSH_CONNECTION": "a b c d"})
    assert not is_remote({"DISPLAY": ":0"})


async def test_driver_writer_reaches_the_textual_driver(tmp_path: Path) -> None:
    app: App[None] = App()
    async with app.run_test():
        driver = app._driver
        assert driver is not None
        sent: list[str] = []
        original = driver.write
        driver.write = sent.append  # type: ignore[method-assign]
        try:
            result = copy_text("hi", driver_writer(app), env=SSH, state_dir=tmp_path)
        finally:
            driver.write = original  # type: ignore[method-assign]
    # copy_text writes at once, through the driver: nothing to wait for.
    assert result.method is ClipboardMethod.OSC52
    assert sent == ["\x1b]52;c;aGk=\x07"]


def test_tmux_without_passthrough_says_nothing_was_copied(tmp_path: Path) -> None:
    written: list[str] = []
    options = {"allow-passthrough": "off", "set-clipboard": "off"}
    result = copy_text("abc", written.append, env={"TMUX": "/tmp/t,1,0", "SSH_TTY": "/dev/pts/1"},
                       state_dir=tmp_path, tmux_option=options.get)  # fmt: skip
    assert written == []
    assert "Nothing copied" in result.message
    assert "set -g allow-passthrough on" in result.message
    assert "set-clipboard" in result.message


def test_tmux_with_set_clipboard_on_gets_plain_osc52(tmp_path: Path) -> None:
    written: list[str] = []
    options = {"allow-passthrough": "off", "set-clipboard": "on"}
    result = copy_text("abc", written.append, env={"TMUX": "/tmp/t,1,0", "SSH_TTY": "/dev/pts/1"},
                       state_dir=tmp_path, tmux_option=options.get)  # fmt: skip
    assert written == [osc52_sequence("abc")]
    assert "set-clipboard on" in result.message


def test_tmux_defaults_drop_an_application_copy_and_we_say_so(tmp_path: Path) -> None:
    # tmux's defaults: set-clipboard external sends tmux's own copies to the terminal
    # but ignores an application's OSC 52 (no buffer, nothing forwarded).
    written: list[str] = []
    options = {"allow-passthrough": "off", "set-clipboard": "external"}
    result = copy_text("abc", written.append, env={"TMUX": "/tmp/t,1,0", "SSH_TTY": "/dev/pts/1"},
                       state_dir=tmp_path, tmux_option=options.get)  # fmt: skip
    assert written == []
    assert "Nothing copied" in result.message
    assert "set -g allow-passthrough on" in result.message


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize(("mode", "accepted"), [("external", False), ("on", True)])
def test_real_tmux_takes_an_application_osc52_only_with_set_clipboard_on(
    tmp_path: Path, mode: str, accepted: bool
) -> None:
    # The rule above, checked against tmux itself: a private server of this test's own.
    socket = str(tmp_path / "tmux.sock")
    tmux = ["tmux", "-S", socket, "-f", "/dev/null"]
    env = {k: v for k, v in os.environ.items() if k != "TMUX"}
    run = partial(subprocess.run, env=env, capture_output=True, text=True, timeout=30)
    try:
        run([*tmux, "new-session", "-d", "-x", "80", "-y", "10", "sleep 60"], check=True)
        run([*tmux, "set-option", "-g", "set-clipboard", mode], check=True)
        # A title set after the copy: tmux parses a pane's output in order, so once the
        # title shows, the copy before it has been read (and taken, or dropped).
        script = f"printf '{osc52_sequence('hello')}\\033]2;copied\\007'; sleep 30"
        run([*tmux, "new-window", "-d", "-n", "w", script], check=True)
        wait_until_sync(
            lambda: "copied" in run([*tmux, "list-panes", "-a", "-F", "#{pane_title}"]).stdout,
            "the pane's output read by tmux",
        )
        buffers = run([*tmux, "list-buffers", "-F", "#{buffer_sample}"]).stdout.split()
        assert buffers == (["hello"] if accepted else []), buffers
    finally:
        run([*tmux, "kill-server"])


def test_tmux_with_passthrough_gets_the_wrapped_sequence(tmp_path: Path) -> None:
    written: list[str] = []
    result = copy_text("abc", written.append, env={"TMUX": "/tmp/t,1,0", "SSH_TTY": "/dev/pts/1"},
                       state_dir=tmp_path, tmux_option={"allow-passthrough": "on"}.get)  # fmt: skip
    assert written == [osc52_sequence("abc", tmux=True)]
    assert result.message.startswith("Copied 3 characters")
