"""No secret, and no token issued from one, ever lands anywhere but the request that needs it.

Canaries: every secret the simulator accepts (``CREDENTIALS``: API keys, client
secrets, the Tensor.Art private key line by line) and every access token the
simulator issued during the test (read off the token answers by a recording
proxy). Places checked: the store file and its -wal/-shm, the log file written
with ``--debug``, stdout/stderr of every command, ``--json`` output, a
dashboard screenshot, log records and exception text in-process, and the
``repr`` of the config and of the providers. A second config with wrong
canary secrets drives the failed-authentication paths and their messages.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobtui.config import load_config
from jobtui.config.model import SECRET_KEYS
from jobtui.engine import Engine, ManualClock
from jobtui.providers import create_provider
from jobtui.sim import CREDENTIALS, Simulator
from jobtui.store import Store
from jobtui.tui.app import make_app

from support.fault_proxy import FaultProxy, Forwarded
from support.pilot_until import until
from support.scripted_server import Recorded, Reply

TOKEN_FIELDS = ("accessToken", "access_token", "token", "refreshToken", "refresh_token", "id_token")


class RecordingProxy(FaultProxy):
    """Forwards everything and keeps the simulator's answers, to learn the issued tokens."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        super().__init__(upstream)
        self.answers: list[tuple[Recorded, Forwarded]] = []

    def _forward(self, request: Recorded) -> Forwarded:
        answer = super()._forward(request)
        with self._lock:
            self.answers.append((request, answer))
        return answer

    def issued_tokens(self) -> set[str]:
        """Every token the simulator's token endpoints handed out."""
        found: set[str] = set()
        for request, answer in list(self.answers):
            if "token" not in request.path or answer.status != 200:
                continue
            try:
                body = json.loads(answer.body)
            except ValueError:
                continue
            if isinstance(body, dict):
                found.update(
                    v for k, v in body.items() if k in TOKEN_FIELDS and isinstance(v, str) and v
                )
        return found


def secret_canaries(credentials: dict[str, dict[str, object]]) -> dict[str, str]:
    """name → text that must never appear; a PEM key counts line by line."""
    canaries: dict[str, str] = {}
    for kind, table in credentials.items():
        for key in SECRET_KEYS:
            value = table.get(key)
            if not isinstance(value, str):
                continue
            if "-----BEGIN" in value:
                for n, line in enumerate(value.splitlines()):
                    if line and not line.startswith("-----"):
                        canaries[f"{kind}.{key} line {n}"] = line
            else:
                canaries[f"{kind}.{key}"] = value
    return canaries


def leaks(data: bytes | str, canaries: dict[str, str]) -> list[str]:
    """The canaries found in ``data``, also in JSON-escaped form."""
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    found = []
    for name, value in canaries.items():
        escaped = json.dumps(value)[1:-1]
        if value in text or escaped in text:
            found.append(name)
    return found


def store_bytes(store_path: Path) -> bytes:
    """The store file and its WAL and shared-memory companions."""
    data = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        part = Path(f"{store_path}{suffix}")
        if part.exists():
            data += part.read_bytes()
    return data


@dataclass
class World:
    sim: Simulator
    proxy: RecordingProxy


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    sim = Simulator(jobs=3, seed=21, speed=0)
    sim.start_in_thread()
    proxy = RecordingProxy(("127.0.0.1", sim.port))
    proxy.start()
    yield World(sim, proxy)
    proxy.stop()
    sim.stop_in_thread()


def write_config(world: World, path: Path, credentials: dict[str, dict[str, object]]) -> Path:
    """The simulator's own config, pointed at the proxy, with ``credentials`` swapped in."""
    text = world.sim.config_toml().replace(world.sim.url, world.proxy.url)
    for kind, table in CREDENTIALS.items():
        for key, value in table.items():
            new = credentials[kind][key]
            if new != value:
                text = text.replace(json.dumps(value), json.dumps(new))
    path.write_text(text)
    path.chmod(0o600)
    return path


def wrong_credentials() -> dict[str, dict[str, object]]:
    """Unique, wrong secrets for every provider: the failed-auth canaries."""
    wrong: dict[str, dict[str, object]] = {}
    for kind, table in CREDENTIALS.items():
        wrong[kind] = dict(table)
        for key in SECRET_KEYS:
            if key not in table:
                continue
            if key == "private_key":
                body = "\n".join(f"Q2FuYXJ5V3Jvbmd{kind[:4]}{n:02d}" + "A" * 40 for n in range(6))
                wrong[kind][key] = (
                    f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
                )
            else:
                wrong[kind][key] = f"canary-wrong-{kind}-{key}-7f3a9c"
    return wrong


def run_cli(
    tmp_path: Path, config: Path, store: Path, log: Path, *args: str, debug: bool = True
) -> tuple[int, str]:
    """One ``jobtui`` command with --log-file (and --debug); returns (exit code, stdout+stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBTUI_", "HTTP", "HTTPS"))}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
        NO_PROXY="*",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jobtui",
            "--config",
            str(config),
            "--store",
            str(store),
            *(["--debug"] if debug else []),
            "--log-file",
            str(log),
            *args,
        ],
        capture_output=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    return done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace")


def run_every_command(world: World, tmp_path: Path, config: Path) -> dict[str, str]:
    """status, ls, watch, config check, add, rm (with --json where offered); name → output."""
    store, log = tmp_path / "jobs.sqlite", tmp_path / "jobtui.log"
    new_id = world.sim.create_job("deepomatic")
    commands: list[tuple[str, ...]] = [
        ("config", "check"),
        ("status", "--json"),
        ("status",),
        ("status", "--all", "--json"),
        ("add", "deepomatic", new_id, "--label", "canary-job"),
        ("ls", "--json"),
        ("ls",),
        ("watch", "--json", "--timeout", "1"),
        ("rm", "deepomatic", new_id),
    ]
    outputs: dict[str, str] = {}
    for command in commands:
        _, output = run_cli(tmp_path, config, store, log, *command)
        outputs[" ".join(command)] = output
    outputs["log file"] = log.read_text(errors="replace") if log.exists() else ""
    outputs["store files"] = store_bytes(store).decode("utf-8", "replace")
    return outputs


def test_cli_commands_leak_no_secret_or_token(world: World, tmp_path: Path) -> None:
    config = write_config(world, tmp_path / "config.toml", CREDENTIALS)
    before = len(world.proxy.issued_tokens())
    outputs = run_every_command(world, tmp_path, config)
    tokens = world.proxy.issued_tokens()
    assert len(tokens) > before, "no token was issued: the token canaries test nothing"
    # The commands really worked: jobs were fetched, the log file was opened.
    rows = json.loads(outputs["status --json"])
    assert rows and all(row["poll_error"] is None for row in rows), rows
    assert (tmp_path / "jobtui.log").exists()
    canaries = secret_canaries(CREDENTIALS) | {f"token {t[:6]}…": t for t in tokens}
    found = {place: leaks(text, canaries) for place, text in outputs.items()}
    assert not {place: names for place, names in found.items() if names}


def test_failed_authentication_messages_leak_no_secret(world: World, tmp_path: Path) -> None:
    wrong = wrong_credentials()
    config = write_config(world, tmp_path / "config.toml", wrong)
    outputs = run_every_command(world, tmp_path, config)
    rows = json.loads(outputs["status --json"])
    # Every provider failed, with a message saying so.
    assert rows and all(row["poll_error"] for row in rows), rows
    canaries = secret_canaries(wrong)
    found = {place: leaks(text, canaries) for place, text in outputs.items()}
    assert not {place: names for place, names in found.items() if names}


def test_the_info_log_of_a_failing_status_run_is_written_private_and_clean(
    world: World, tmp_path: Path
) -> None:
    # Without --debug a log file still records INFO and up: here, auth failures.
    wrong = wrong_credentials()
    config = write_config(world, tmp_path / "config.toml", wrong)
    store, log = tmp_path / "jobs.sqlite", tmp_path / "jobtui.log"
    previous = os.umask(0o022)
    try:
        _, output = run_cli(tmp_path, config, store, log, "status", "--all", debug=False)
    finally:
        os.umask(previous)
    text = log.read_text(errors="replace")
    assert "auth_failed" in text, (text, output)
    assert " DEBUG " not in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    canaries = secret_canaries(wrong)
    assert not leaks(text, canaries)
    assert not leaks(output, canaries)


def test_the_info_log_of_a_working_status_run_is_clean(world: World, tmp_path: Path) -> None:
    config = write_config(world, tmp_path / "config.toml", CREDENTIALS)
    store, log = tmp_path / "jobs.sqlite", tmp_path / "jobtui.log"
    before = len(world.proxy.issued_tokens())
    code, output = run_cli(tmp_path, config, store, log, "status", "--all", debug=False)
    tokens = world.proxy.issued_tokens()
    assert code == 0, output
    assert len(tokens) > before, "no token was issued: the token canaries test nothing"
    canaries = secret_canaries(CREDENTIALS) | {f"token {t[:6]}…": t for t in tokens}
    text = log.read_text(errors="replace")
    assert "watching" in text and " INFO " in text, text
    assert not leaks(text, canaries)
    assert not leaks(output, canaries)


def test_leak_check_itself_finds_a_planted_secret() -> None:
    # The detector must be able to fail: plant each kind of canary and find it.
    canaries = secret_canaries(CREDENTIALS)
    assert len(canaries) >= 5
    assert leaks("nothing secret here", canaries) == []
    for name, value in canaries.items():
        assert name in leaks(f"prefix {value} suffix", canaries)
        assert name in leaks(json.dumps({"x": value}).encode(), canaries)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.mark.parametrize("credentials", ["right", "wrong"])
async def test_dashboard_screenshot_logs_and_reprs_leak_nothing(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, credentials: str
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    table = CREDENTIALS if credentials == "right" else wrong_credentials()
    config = load_config(write_config(world, tmp_path / "config.toml", table))
    store_path = tmp_path / "jobs.sqlite"
    store = Store(store_path)
    engine = Engine(config, store, clock=ManualClock(datetime.now(UTC)), tick=0.0, discover=False)
    app = make_app(config, store, engine=engine, prefs_path=tmp_path / "prefs.toml")
    collect = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(collect)
    root.setLevel(logging.DEBUG)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            await until(
                pilot,
                lambda: (
                    bool(engine.jobs())
                    and all(j.polled_at is not None for j in engine.jobs().values())
                ),
                "every job polled once",
            )
            await pilot.pause()
            screenshot = app.export_screenshot()
            wal_while_open = store_bytes(store_path)
        health = repr(dict(engine.health()))
        providers = [create_provider(p) for p in config.providers.values()]
        reprs = repr(config) + repr(providers) + str(config.model_dump())
        await engine.aclose()
        for provider in providers:
            await provider.aclose()
    finally:
        root.removeHandler(collect)
        root.setLevel(old_level)
        store.close()
    errors = [j.poll_error for j in engine.jobs().values()]
    if credentials == "right":
        assert not any(errors), errors
    else:
        assert all(errors), errors
    tokens = world.proxy.issued_tokens()
    canaries = secret_canaries(table) | {f"token {t[:6]}…": t for t in tokens}
    places = {
        "screenshot": screenshot,
        "store while open": wal_while_open.decode("utf-8", "replace"),
        "store closed": store_bytes(store_path).decode("utf-8", "replace"),
        "log records": "\n".join(collect.lines),
        "health": health,
        "reprs": reprs,
        "poll errors": repr(errors),
    }
    found = {place: leaks(text, canaries) for place, text in places.items()}
    assert not {place: names for place, names in found.items() if names}


@pytest.mark.parametrize("status", [400, 401, 500])
@pytest.mark.parametrize("kind", list(CREDENTIALS))
async def test_a_server_echoing_the_credentials_gets_them_redacted(
    world: World, tmp_path: Path, kind: str, status: int
) -> None:
    """The error message shown for a job must not repeat the key the server echoed back."""
    from jobtui.config.model import Config, WatchedJobConfig

    from support.sim_configs import sim_config

    job_id = world.sim.create_job(kind)

    def echo(genuine: Forwarded) -> Reply:
        request = world.proxy.faulted[-1]
        said = " ".join(f"{name}={value}" for name, value in request.headers.items())
        text = f"bad request: {said}"
        # Both shapes: top-level message, and Cognite's {"error": {"code", "message"}}.
        return Reply(status, {"message": text, "error": {"code": status, "message": text}})

    cfg = sim_config(world.sim, kind, base_url=f"{world.proxy.url}/{kind}")
    config = Config(providers={kind: cfg}, jobs=(WatchedJobConfig(provider=kind, id=job_id),))
    with Store(tmp_path / "jobs.sqlite") as store:
        engine = Engine(config, store, clock=ManualClock(), discover=False)
        world.proxy.arm(job_id, echo)
        try:
            await engine.sweep()
        finally:
            world.proxy.disarm()
            await engine.aclose()
        job = store.get_job(kind, job_id)
        health = engine.health()[kind]
    assert job is not None and job.poll_error, "the echo was never served"
    sent = world.proxy.polls(job_id)[-1].headers
    echoed = {
        v.split(" ", 1)[-1]: v
        for k, v in sent.items()
        if k in ("authorization", "api-key", "x-api-key")
    }
    canaries = secret_canaries(CREDENTIALS) | {f"sent {k}": k for k in echoed if len(k) >= 8}
    canaries |= {f"token {t[:6]}…": t for t in world.proxy.issued_tokens()}
    found = leaks(job.poll_error + " " + repr(health), canaries)
    assert not found, (found, job.poll_error)
    assert "bad request: host=" in job.poll_error, "the echo did not reach the message"


@pytest.mark.parametrize(
    ("headers", "data", "secret"),
    [
        (
            {"Authorization": "Bearer tensorart-static-token-5150"},
            None,
            "tensorart-static-token-5150",
        ),
        ({"Authorization": "Basic dXNlcjpwYXNzd29yZDE="}, None, "dXNlcjpwYXNzd29yZDE="),
        ({"X-API-KEY": "deepo-key-123456"}, None, "deepo-key-123456"),
        (None, {"client_secret": "oidc-secret-98765", "grant_type": "x"}, "oidc-secret-98765"),
    ],
)
async def test_request_json_redacts_whatever_credential_it_sent(
    headers: dict[str, str] | None, data: dict[str, str] | None, secret: str
) -> None:
    """Found here: Cognite and Tensor.Art tokens echoed by a server reached ``poll_error``."""
    import httpx

    from jobtui.errors import FetchError
    from jobtui.providers.http import request_json

    from support.scripted_server import serve

    def echo(request: Recorded) -> Reply:
        said = " ".join(request.headers.values()) + " " + request.body.decode()
        return Reply(400, {"error": {"message": f"rejected {said}"}})

    with serve() as server:
        server.handle("POST", "/x", echo)
        async with httpx.AsyncClient(base_url=server.url) as client:
            with pytest.raises(FetchError) as caught:
                await request_json(client, "POST", "/x", headers=headers, data=data)
    message = str(caught.value)
    assert "rejected" in message
    assert secret not in message, message
