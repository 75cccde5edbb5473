"""jobtui on a PostgreSQL store: real processes, a real dashboard, passwords, read-only viewers.

The server is the tests' own (``tests/support/pgserver.py``); the providers
are the simulator's over loopback. Nothing waits by sleeping: each step
waits for its condition with a deadline.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from jobtui.cli import EXIT_CONFIG, EXIT_OK, main
from jobtui.config import load_config
from jobtui.engine import Engine
from jobtui.sim import Simulator
from jobtui.store import open_store
from jobtui.store.postgres import PostgresStore
from jobtui.tui.app import make_app
from jobtui.tui.screens.help import help_text

from support.engine_sim import write_config
from support.pgserver import PASSWORD_ROLE, PostgresServer
from support.waiting import wait_until, wait_until_settled

StartSim = Callable[..., Simulator]
TART = "tensorart"
PERIOD = 1.5
STEADY = {"poll_interval": 0.5, "max_interval": 0.5, "rate_limit": 1000.0}
PASSWORD = "s3cret-pw"  # the password of PASSWORD_ROLE on the tests' server


@pytest.fixture(autouse=True)
def _environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("JOBTUI_LEASE_PERIOD", str(PERIOD))
    for name in ("JOBTUI_CONFIG", "JOBTUI_STORE", "PGPASSWORD", "PGPASSFILE"):
        monkeypatch.delenv(name, raising=False)


def jobtui(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobtui", *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_add_then_ls_json_through_real_processes(
    start_sim: StartSim, tmp_path: Path, pg_url: str
) -> None:
    sim = start_sim(jobs=2, seed=3, speed=0)
    config = write_config(tmp_path / "config.toml", sim, only=(TART,), jobs=False)
    added = jobtui("--config", str(config), "--store", pg_url, "add", TART, "a1", "a2",
                   "--label", "from-pipeline")  # fmt: skip
    assert added.returncode == EXIT_OK, added.stderr
    listed = jobtui("--config", str(config), "--store", pg_url, "ls", "--json")
    assert listed.returncode == EXIT_OK, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(row["provider"], row["id"], row["label"]) for row in rows] == [
        (TART, "a1", "from-pipeline"), (TART, "a2", "from-pipeline"),
    ]  # fmt: skip
    removed = jobtui("--config", str(config), "--store", pg_url, "rm", TART, "a1")
    assert removed.returncode == EXIT_OK, removed.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT id FROM jobs").fetchall() == [("a2",)]
        kinds = conn.execute("SELECT op FROM changes ORDER BY seq").fetchall()
    assert [op for (op,) in kinds] == ["add", "add", "rm"]  # one number per job written


@pytest.mark.parametrize(
    ("notify", "floor"),
    [
        # Notifications on, a floor far beyond the deadline: only a NOTIFY can show it.
        (True, 600.0),
        # Never LISTENing: the one-second floor's check finds it.
        (False, 1.0),
    ],
    ids=["pushed", "polling-floor"],
)
async def test_a_dashboard_on_postgres_shows_a_job_another_process_added(
    start_sim: StartSim, tmp_path: Path, pg_url: str, notify: bool, floor: float
) -> None:
    sim = start_sim(jobs=2, seed=4, speed=0)
    config_path = write_config(tmp_path / "config.toml", sim, only=(TART,), defaults=STEADY)
    config = load_config(config_path)
    store = PostgresStore(pg_url, notify=notify)
    engine = Engine(config, store, lease_period=PERIOD, follow_floor=floor)
    app = make_app(config, store, engine=engine, prefs_path=tmp_path / "prefs.toml",
                   ascii_only=True)  # fmt: skip
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until(pilot, app.loaded.is_set, "the dashboard loaded", 60)
            await wait_until(pilot, lambda: engine.busy == 0 and engine.writes > 0, "polled", 60)
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "jobtui", "--config", str(config_path),
                "--store", pg_url, "add", TART, "elsewhere-1", "--label", "added elsewhere",
            )  # fmt: skip
            assert await process.wait() == 0
            await wait_until(
                pilot,
                lambda: (row := app.model.row((TART, "elsewhere-1"))) is not None
                and row.watched.label == "added elsewhere",
                "the job added by another process on screen",
                # Under the floor when pushed: the notification, not the check, brought it.
                20.0,
            )
    finally:
        await engine.aclose()
        store.close()


async def test_a_read_only_dashboard_shows_everything_and_writes_nothing(
    start_sim: StartSim, tmp_path: Path, store_location: str | Path
) -> None:
    sim = start_sim(jobs=2, seed=5, speed=0)
    config_path = write_config(tmp_path / "config.toml", sim, only=(TART,), defaults=STEADY)
    config = load_config(config_path)
    with open_store(store_location) as writer:
        writer.add_jobs([(TART, TART, "seen-1", "old"), (TART, TART, "seen-2", None)])
    store = open_store(store_location, read_only=True)
    engine = Engine(config, store, lease_period=PERIOD, read_only=True)
    app = make_app(config, store, engine=engine, prefs_path=tmp_path / "prefs.toml",
                   ascii_only=True, read_only=True)  # fmt: skip
    try:
        before = (store.latest_change(), store.data_version())
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until(pilot, app.loaded.is_set, "the dashboard loaded", 60)
            await wait_until(pilot, lambda: app.model.row((TART, "seen-2")) is not None, "rows")
            await wait_until_settled(pilot)
            hints = " ".join(hint for _, hint in app.dashboard.status_bar._hints)
            for writing in ("refresh", "add", "cancel", "pause"):
                assert writing not in hints
            assert "filter" in hints
            for key in ("r", "R", "p", "plus", "minus", "a", "delete", "x", "space", "r"):
                await pilot.press(key)
            await wait_until_settled(pilot)
            # A job another process adds still shows.
            with open_store(store_location) as writer:
                writer.add_jobs([(TART, TART, "later", None)])
            await wait_until(pilot, lambda: app.model.row((TART, "later")) is not None, "later")
        shown = help_text(app.keys, app.key_display, read_only=True).plain
        assert "Add jobs" not in shown and "Filter the jobs" in shown
    finally:
        await engine.aclose()
        store.close()
    with open_store(store_location) as check:
        # Nothing but the other process's write: no lease taken, no request left.
        assert check.latest_change() == before[0] + 1
        assert check.leases() == {} and check.pending_requests() == 0
        assert {job.id for job in check.list_jobs()} == {"seen-1", "seen-2", "later"}


# -- passwords ----------------------------------------------------------------------


def database_of(pg_url: str) -> str:
    return pg_url.split("/")[3].split("?")[0]


def ls(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([*argv, "ls", "--format", "json"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_pgpassword_reaches_libpq(
    pg_server: PostgresServer,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = pg_server.tcp_url(database_of(pg_url), user=PASSWORD_ROLE)
    code, _, err = ls(["--store", url], capsys)
    assert code == EXIT_CONFIG and "password" in err  # none given: refused
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    code, out, err = ls(["--store", url], capsys)
    assert code == EXIT_OK, err
    assert json.loads(out) == []


def test_a_pgpass_file_reaches_libpq(
    pg_server: PostgresServer,
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = database_of(pg_url)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_server.port}:{database}:{PASSWORD_ROLE}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    code, _, err = ls(["--store", pg_server.tcp_url(database, user=PASSWORD_ROLE)], capsys)
    assert code == EXIT_OK, err


def test_password_cmd_in_the_config(
    pg_server: PostgresServer,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = pg_server.tcp_url(database_of(pg_url), user=PASSWORD_ROLE)
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\nlocation = "{url}"\npassword_cmd = ["printf", "{PASSWORD}"]\n')
    code, out, err = ls(["--config", str(config)], capsys)
    assert code == EXIT_OK, err
    config.write_text(f'[store]\nlocation = "{url}"\npassword_cmd = ["printf", "wrong-one-77"]\n')
    code, out, err = ls(["--config", str(config)], capsys)
    assert code == EXIT_CONFIG
    assert "wrong-one-77" not in out + err and "password authentication failed" in err
    checked = main(["--config", str(config), "config", "check"])
    captured = capsys.readouterr()
    assert checked in (EXIT_OK, EXIT_CONFIG)
    assert "wrong-one-77" not in captured.out + captured.err


def test_a_wrong_password_in_the_url_is_never_printed(
    pg_server: PostgresServer,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "p%40ss-wrong-42"  # percent-encoded: "p@ss-wrong-42"
    url = pg_server.tcp_url(database_of(pg_url), user=PASSWORD_ROLE, password=secret)
    code, out, err = ls(["--store", url], capsys)
    assert code == EXIT_CONFIG
    for shown in (secret, "p@ss-wrong-42", "ss-wrong-42"):
        assert shown not in out + err
    assert f"{PASSWORD_ROLE}:***@127.0.0.1" in err
    # The log file, too: a poller started on it logs the masked URL only.
    log = tmp_path / "poll.log"
    config = tmp_path / "config.toml"
    config.write_text("")
    code = main(["--config", str(config), "--store", url, "--log-file", str(log), "poll"])
    captured = capsys.readouterr()
    assert code == EXIT_CONFIG
    everything = captured.out + captured.err + (log.read_text() if log.exists() else "")
    assert "ss-wrong-42" not in everything


def test_a_right_password_in_the_url_works_and_is_masked_where_shown(
    pg_server: PostgresServer,
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = pg_server.tcp_url(database_of(pg_url), user=PASSWORD_ROLE, password=PASSWORD)
    code, _, err = ls(["--store", url], capsys)
    assert code == EXIT_OK, err
    monkeypatch.setenv("JOBTUI_STORE", url)
    assert main(["--config", str(tmp_path / "c.toml"), "config", "path"]) == EXIT_OK
    out = capsys.readouterr().out
    assert PASSWORD not in out and f"{PASSWORD_ROLE}:***@" in out
    assert os.environ["JOBTUI_STORE"] == url


async def test_the_sidebar_says_when_the_store_is_out_of_reach_and_when_it_is_back(
    start_sim: StartSim, tmp_path: Path, pg_url: str
) -> None:
    sim = start_sim(jobs=2, seed=6, speed=0)
    config_path = write_config(tmp_path / "config.toml", sim, only=(TART,), defaults=STEADY)
    config = load_config(config_path)
    database = database_of(pg_url)
    store = PostgresStore(pg_url)
    engine = Engine(config, store, lease_period=PERIOD)
    app = make_app(config, store, engine=engine, prefs_path=tmp_path / "prefs.toml",
                   ascii_only=True)  # fmt: skip

    def details() -> str:
        return str(app.dashboard.sidebar.query_one("#provider-health").render())

    admin = psycopg.connect(pg_url.replace(f"/{database}?", "/postgres?"), autocommit=True)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until(pilot, app.loaded.is_set, "the dashboard loaded", 60)
            await wait_until(pilot, lambda: store._listener.waiting, "the follower listening")
            # No new connection may reach the database, and the open ones are cut.
            admin.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS false")
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database,),
            )
            await wait_until(
                pilot, lambda: "store unreachable" in details(), "the sidebar's warning", 30,
                detail=details,
            )  # fmt: skip
            admin.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")
            await wait_until(
                pilot, lambda: "store unreachable" not in details(), "the warning gone", 60,
                detail=details,
            )  # fmt: skip
    finally:
        admin.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")
        admin.close()
        await engine.aclose()
        store.close()


def test_poll_on_postgres_takes_the_leases_and_hands_them_back_at_sigterm(
    start_sim: StartSim, tmp_path: Path, pg_url: str
) -> None:
    import signal
    from datetime import UTC, datetime

    from support.waiting import wait_until_sync

    sim = start_sim(jobs=2, seed=7, speed=0)
    config = write_config(tmp_path / "config.toml", sim, only=(TART,), defaults=STEADY)
    poller = subprocess.Popen(
        [sys.executable, "-m", "jobtui", "--config", str(config), "--store", pg_url, "poll"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        with open_store(pg_url) as store:

            def lease_live() -> bool:
                lease = store.leases().get(TART)
                return lease is not None and lease.live(datetime.now(UTC))

            wait_until_sync(lease_live, "the poller holding the lease", 60)
            wait_until_sync(
                lambda: all(job.polled_at for job in store.list_jobs()), "every job polled", 60
            )
            poller.send_signal(signal.SIGTERM)
            assert poller.wait(timeout=60) == 0
            assert store.leases()[TART].expires_at is None  # released, not left to expire
    finally:
        if poller.poll() is None:
            poller.kill()
            poller.wait()
        assert poller.stderr is not None
        poller.stderr.close()
