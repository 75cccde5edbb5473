"""Hostile provider strings reach the terminal as visible text, never as escape sequences.

A scripted super.AI answers with a job whose status, tags and metadata carry
Rich markup, ANSI CSI, OSC 52 (clipboard write), OSC 8 (hyperlink), a C1 CSI,
a bidi override and a very long line; another job's poll fails with the same
text as the server's error message. The real ``jobtui status`` command and the
real dashboard run in a pseudo-terminal, and the bytes they write are checked:
no escape sequence from the payload, and the payload text shown literally.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from fcntl import ioctl
from pathlib import Path

import pytest

from jobtui.store import Store

from support.scripted_server import Reply, ScriptedServer, serve

MARK = "PAYLOADMARK"
PIECES: dict[str, str] = {
    "csi": "\x1b[38;5;201mCSIPAYLOAD\x1b[0m",
    "osc52": "\x1b]52;c;ZXZpbC1jbGlwYm9hcmQ=\x07",
    "osc8": "\x1b]8;;https://evil.example/b\x1b\\OSC8\x1b]8;;\x1b\\",
    "c1": "\x9b38;5;202mC1PAYLOAD \x85",
    "bidi": "\u202eREVERSED\u202c",
    "markup": "[bold]B[/bold] [link=https://evil.example/a]L[/link]",
}
"""Each hostile piece leads a job's strings of its own, so no column cuts it away."""
HOSTILE = " ".join(PIECES.values())
LONG = HOSTILE + "W" * 5000
"""A very long line: it must be cut or wrapped, never break the layout or the terminal."""

JOB_IDS = {name: str(4242100 + n) for n, name in enumerate(PIECES)}
BAD_ID = "4242002"
SCREEN = (160, 48)


def job_answer(job_id: str, piece: str) -> dict[str, object]:
    """A super.AI job whose every provider-written string is hostile, ``piece`` first."""
    text = f"{MARK} {piece} {HOSTILE}"
    return {
        "id": job_id,
        "completed": None,
        "created": "2026-11-23T08:00:00+00:00",
        "callbackUrl": None,
        "appId": "app-1",
        "status": text,
        "input": {"image_url": text},
        "metadata": {"note": LONG},
        "tags": [text],
        "uuid": "2fe0135d-0af6-438e-9067-4a242227f5c6",
        "correct": None,
        "jobType": text,
        "batchId": None,
    }


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with serve() as scripted:
        for name, job_id in JOB_IDS.items():
            scripted.script(
                "GET", f"/v1/jobs/{job_id}", Reply(200, job_answer(job_id, PIECES[name]))
            )
        scripted.script("GET", f"/v1/jobs/{BAD_ID}", Reply(500, {"message": f"{MARK} {HOSTILE}"}))
        yield scripted


@pytest.fixture
def setup(server: ScriptedServer, tmp_path: Path) -> tuple[Path, Path]:
    """The config and store of the dashboard: a poll every 5 s, so the screen stays still."""
    return make_setup(server, tmp_path, poll_interval=5)


@pytest.fixture
def status_setup(server: ScriptedServer, tmp_path: Path) -> tuple[Path, Path]:
    """The config and store of ``status``: it tries the job answered with a 500 again,
    three times, after back-offs drawn up to min(1 s, poll_interval) doubled each time;
    a short interval keeps those waits short (the same requests, the same output)."""
    return make_setup(server, tmp_path, poll_interval=0.05)


def make_setup(
    server: ScriptedServer, tmp_path: Path, *, poll_interval: float
) -> tuple[Path, Path]:
    """A config naming ``server`` as a super.AI provider, and a store watching every job."""
    config = tmp_path / "config.toml"
    config.write_text(
        "[providers.hostile]\n"
        'kind = "superai"\n'
        f'base_url = "{server.url}"\n'
        'api_key = "terminal-safety-key-0001"\n'
        f"poll_interval = {poll_interval}\n"
    )
    config.chmod(0o600)
    store_path = tmp_path / "jobs.sqlite"
    with Store(store_path) as store:
        store.add_jobs(
            [
                ("hostile", "superai", job_id, f"{MARK} {PIECES[name]}")
                for name, job_id in JOB_IDS.items()
            ]
            + [("hostile", "superai", BAD_ID, None)]
        )
    return config, store_path


def run_in_pty(
    argv: list[str],
    env: dict[str, str],
    until: bytes,
    keys: list[bytes],
    limit: float = 60.0,
    done: Callable[[bytes], bool] | None = None,
    finish: bytes = b"",
) -> bytes:
    """Run ``argv`` on a pseudo-terminal and return every byte it wrote.

    Once ``until`` was written, ``keys`` are typed one by one, each after the
    app answered the one before; then, once ``done(output)`` holds, ``finish``.
    """
    leader, follower = pty.openpty()
    ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", SCREEN[1], SCREEN[0], 0, 0))
    process = subprocess.Popen(
        argv, stdin=follower, stdout=follower, stderr=follower, env=env, start_new_session=True
    )
    os.close(follower)
    output = bytearray()
    give_up = time.monotonic() + limit  # a bound for a hung child, not a timing assertion

    def read(timeout: float) -> bool:
        """Read what the child wrote within ``timeout``; False once the terminal closed."""
        if not select.select([leader], [], [], timeout)[0]:
            return True
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            return False
        output.extend(chunk)
        return bool(chunk)

    def answered() -> None:
        """Wait until the app drew something after the last key and then fell quiet."""
        before = len(output)
        while len(output) == before and time.monotonic() < give_up and process.poll() is None:
            if not read(0.2):
                return
        # A frame can arrive in several writes: read on until none follows promptly.
        while time.monotonic() < give_up and select.select([leader], [], [], 0.25)[0]:
            if not read(0):
                return

    pending = list(keys)
    typed = False
    try:
        while time.monotonic() < give_up:
            if not read(0.2):
                break
            if not typed and until in output:
                typed = True
                for key in pending:
                    os.write(leader, key)
                    answered()
                if done is None and finish:
                    os.write(leader, finish)
            if typed and done is not None and done(bytes(output)):
                done = None
                if finish:
                    os.write(leader, finish)
            if process.poll() is not None and not select.select([leader], [], [], 0.1)[0]:
                break
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        os.close(leader)
    return bytes(output)


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBTUI_")}
    env.update(
        TERM="xterm-256color",
        COLORTERM="truecolor",
        LANG="C.UTF-8",
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
        NO_PROXY="*",
    )
    env.pop("NO_COLOR", None)
    return env


OSC = re.compile(rb"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")


def assert_no_payload_escapes(output: bytes) -> None:
    """No sequence the payload carried reached the terminal as a sequence."""
    assert b"\x1b[38;5;201mCSIPAYLOAD" not in output, "payload CSI passed through"
    assert b"\x1b]52" not in output, "OSC 52 clipboard write passed through"
    for osc in OSC.findall(output):
        assert b"evil" not in osc, f"payload OSC passed through: {osc!r}"
    assert "\x9b".encode() not in output and b"\x9b38;5;202m" not in output, "C1 CSI passed"
    assert "\u202e".encode() not in output, "bidi override passed through"
    assert "\x85".encode() not in output, "C1 NEL passed through"
    # Rich markup was not interpreted as a hyperlink either.
    assert b"evil.example/a\x1b" not in output


VISIBLE = (b"\\x1b[38;5", b"\\x1b]52;c", b"\\x1b]8;;", b"\\x9b38;5", b"\\u202e", b"[bold]b")
"""How each piece must look on screen (lower case: super.AI summaries lower-case the status)."""
OWN_CSI = re.compile(rb"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]")


def missing_pieces(output: bytes) -> list[bytes]:
    """The hostile pieces not (yet) on screen as visible text (the app's styling removed)."""
    text = OWN_CSI.sub(b"", output).lower()
    return [v for v in VISIBLE if v not in text]


def shown_literally(output: bytes) -> bool:
    """Every hostile piece was drawn as visible text."""
    return not missing_pieces(output)


def assert_shown_literally(output: bytes) -> None:
    """Each hostile piece is on screen as visible text (the app's own styling removed)."""
    missing = missing_pieces(output)
    assert not missing, f"not shown literally: {missing}"


def test_status_table_in_a_pty_shows_payload_literally(
    status_setup: tuple[Path, Path], tmp_path: Path
) -> None:
    config, store = status_setup
    argv = [
        sys.executable,
        "-m",
        "jobtui",
        "--config",
        str(config),
        "--store",
        str(store),
        "status",
    ]
    output = run_in_pty(argv, cli_env(tmp_path), until=b"\x00never", keys=[])
    assert MARK.encode() in output, output[-2000:]
    assert_no_payload_escapes(output)
    assert_shown_literally(output)


def test_status_json_and_piped_table_carry_no_raw_controls(
    status_setup: tuple[Path, Path], tmp_path: Path
) -> None:
    config, store = status_setup
    base = [sys.executable, "-m", "jobtui", "--config", str(config), "--store", str(store)]
    table = subprocess.run(
        [*base, "status"], capture_output=True, env=cli_env(tmp_path), timeout=120
    )
    assert MARK.encode() in table.stdout
    assert_no_payload_escapes(table.stdout + table.stderr)
    assert b"\x1b" not in table.stdout, "escape bytes in piped output"
    listed = subprocess.run([*base, "ls"], capture_output=True, env=cli_env(tmp_path), timeout=120)
    assert MARK.encode() in listed.stdout
    assert b"\x1b" not in listed.stdout + listed.stderr
    as_json = subprocess.run(
        [*base, "status", "--json"], capture_output=True, env=cli_env(tmp_path), timeout=120
    )
    rows = json.loads(as_json.stdout)
    # JSON is data: it keeps the exact text, escaped by JSON itself, never raw control bytes.
    assert b"\x1b" not in as_json.stdout
    assert any(
        HOSTILE.strip() in json.dumps(row, ensure_ascii=False) or MARK in json.dumps(row)
        for row in rows
    )


def test_dashboard_in_a_pty_writes_no_payload_escape(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    config, store = setup
    argv = [
        sys.executable,
        "-m",
        "jobtui",
        "--config",
        str(config),
        "--store",
        str(store),
        "dashboard",
    ]
    # Open the first job (enter), move to the second and open it, show the detail pane's tabs.
    keys = [b"\r", b"j", b"\r", b"k", b"\r", b"3", b"\t", b"\t"]
    output = run_in_pty(
        argv,
        cli_env(tmp_path),
        until=MARK.encode(),
        keys=keys,
        done=shown_literally,
        finish=b"q",
    )
    (tmp_path / "dashboard.pty").write_bytes(output)  # kept for diagnosing a failure
    assert MARK.encode() in output, "the dashboard never showed the hostile job"
    assert_no_payload_escapes(output)
    assert_shown_literally(output)


def test_the_detector_catches_raw_payload_bytes() -> None:
    with pytest.raises(AssertionError):
        assert_shown_literally(b"\x1b[1m" + MARK.encode() + b"\x1b[0m")
    # The checks must be able to fail: the raw payload, written as-is, trips them.
    with pytest.raises(AssertionError):
        assert_no_payload_escapes(HOSTILE.encode())
    with pytest.raises(AssertionError):
        assert_no_payload_escapes(b"ok \x1b]8;;https://evil.example/b\x1b\\x")
