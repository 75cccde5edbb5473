"""Notifications: the exact bytes of OSC 9 / OSC 777 (and tmux's passthrough), and notify_cmd."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from jobtui.cli import main
from jobtui.tui.terminal.notify import Notifier, notify_argv, osc9, osc777, tmux_wrap

from support.engine_sim import write_config


def test_osc9_and_osc777_bytes_are_what_terminals_expect() -> None:
    assert osc9("2 jobs finished") == "\x1b]9;2 jobs finished\x07"
    assert osc9("Job finished: deepo 42") == "\x1b]9;Job finished: deepo 42\x07"
    # "4;…" would be a ConEmu/Windows Terminal progress report, not a message.
    assert osc9("4;3 done") == "\x1b]9; 4;3 done\x07"
    assert osc777("Job finished", "deepo 42: failed") == (
        "\x1b]777;notify;Job finished;deepo 42: failed\x07"
    )
    # Field separators and control characters from provider text cannot break out.
    assert osc777("a;b", "x\x1b]0;pwned\x07\ny;z") == "\x1b]777;notify;a,b;x]0,pwned / y,z\x07"


def test_tmux_passthrough_doubles_every_escape() -> None:
    wrapped = tmux_wrap(osc9("done"))
    assert wrapped == "\x1bPtmux;\x1b\x1b]9;done\x07\x1b\\"
    written: list[str] = []
    notifier = Notifier(
        ["osc9", "osc777", "bell"], write=written.append, env={"TMUX": "/tmp/t,1,0"}
    )
    notifier.announce("Job finished", "deepo 42: failed", failures=1)
    assert written == [
        "\x07"
        "\x1bPtmux;\x1b\x1b]9;Job finished: deepo 42: failed\x07\x1b\\"
        "\x1bPtmux;\x1b\x1b]777;notify;Job finished;deepo 42: failed\x07\x1b\\"
    ]
    plain: list[str] = []
    Notifier(["toast", "osc9"], write=plain.append, env={}).announce("T", "m", failures=0)
    assert plain == ["\x1b]9;T: m\x07"]


def script(tmp_path: Path) -> tuple[list[str], Path]:
    """A real program recording its arguments, as a user's notify_cmd would run."""
    record = tmp_path / "argv.json"
    program = tmp_path / "record.py"
    program.write_text(
        f"import json, sys\nopen({str(record)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    return [sys.executable, str(program), "--urgent"], record


def wait_for_lines(path: Path, count: int, what: str) -> list[Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_text().splitlines()
            if len(lines) >= count:
                return [json.loads(line) for line in lines]
        time.sleep(0.05)
    raise AssertionError(f"{what} never ran")


def test_notify_cmd_runs_without_a_shell_with_the_summary_as_arguments(tmp_path: Path) -> None:
    command, record = script(tmp_path)
    title, message = "Job finished", "deepo 42: failed; $(rm -rf ~) `x`"
    assert notify_argv(command, title, message) == [*command, title, message]
    Notifier(["command"], command, write=None, env={}).announce(title, message)
    assert wait_for_lines(record, 1, "notify_cmd") == [["--urgent", title, message]]


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBTUI_CONFIG", raising=False)
    monkeypatch.delenv("JOBTUI_STORE", raising=False)


def test_watch_notify_runs_the_command_when_jobs_finish(
    start_sim: Any, tmp_path: Path, capsys: Any
) -> None:
    sim = start_sim(jobs=3, seed=4, speed=0)
    sim.clock.advance(10 * 24 * 3600.0)  # every seeded job has ended
    config = write_config(tmp_path / "config.toml", sim, only=("deepomatic",))
    command, record = script(tmp_path)
    text = config.read_text()
    ui = '[ui]\nnotify = "all"\nnotify_via = ["command", "osc9"]\n'
    ui += f"notify_cmd = {json.dumps(command)}\n"
    config.write_text(text + "\n" + ui)  # after the top-level keys (jobs = [...])
    argv = ["--config", str(config), "--store", str(tmp_path / "s.sqlite")]
    code = main([*argv, "watch", "--notify", "--until-done", "--timeout", "60"])
    out, err = capsys.readouterr()
    assert code in (0, 1), (code, err)
    assert out.count("->") == 3, out
    [call] = wait_for_lines(record, 1, "watch --notify's notify_cmd")
    assert call[0] == "--urgent" and call[1].startswith("3 jobs finished"), call
    assert "deepomatic" in call[2]
    assert "\x1b]9;" not in err  # stderr is no terminal here: no escape sequences


async def test_the_dashboard_sends_its_finish_notice_to_the_terminal_through_tmux(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The path a remote user relies on: a job ends, the dashboard writes OSC 9/777 wrapped
    # for tmux to its terminal (and rings), once for the round, beside the toast.
    from datetime import UTC

    from jobtui.model import JobState
    from jobtui.tui.app import make_app
    from jobtui.tui.feed.enginelink import collect_changes

    from support.tui_data import FrozenClock, open_store, shell_config, watched
    from support.waiting import wait_until

    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,1,0")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    store = open_store(tmp_path / "store.sqlite")
    config = shell_config(notify="all", notify_via=("toast", "osc9", "osc777", "bell"))
    app = make_app(config, store, FrozenClock(), None, ascii_only=False, tz=UTC,
                   prefs_path=tmp_path / "prefs.toml")  # fmt: skip
    written: list[str] = []

    class Ended:
        def __init__(self, job_id: str, state: JobState) -> None:
            self.job = watched("deepo", job_id, state)
            self.previous_state = JobState.RUNNING

    async with app.run_test(size=(80, 24)) as pilot:
        await app.loaded.wait()
        app.terminal_write = written.append
        changes = collect_changes([Ended("42", JobState.FAILED)])
        app.dashboard.apply_changes(changes)
        app.announce(changes)
        await wait_until(pilot, lambda: bool(written), "the notice on the terminal")
        notice = "".join(written)
        assert notice.count("\x1bPtmux;\x1b\x1b]9;") == 1, notice
        assert notice.count("\x1bPtmux;\x1b\x1b]777;notify;") == 1, notice
        assert "deepo 42" in notice and notice.startswith("\x07")
        await wait_until(pilot, lambda: any("finished" in n.title for n in app._notifications),
                         "the toast beside it")  # fmt: skip
    store.close()
