"""A throwaway PostgreSQL server for the tests: ``initdb`` + ``pg_ctl`` from the machine's binaries.

One server per test session (per xdist worker), in a private directory under
``/tmp``: a unix socket in that directory and a free loopback port. Each test
gets a database of its own (``fresh_database``), so tests stay independent.

``initdb`` refuses to run as root, and CI runs as root: then the server runs as
the ``postgres`` system user (``runuser -u postgres``), which owns the data
directory. Without the binaries the tests that need the server skip with one
line saying what to install, or fail when ``CI`` is set: CI must run them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["INSTALL_HINT", "PostgresServer", "find_bin_dir", "missing_server"]

INSTALL_HINT = (
    "PostgreSQL tests need the server binaries (initdb, pg_ctl): "
    "apt-get install postgresql (or set JOBTUI_PG_BIN to their directory)"
)

SUPERUSER = "postgres"
"""The server's superuser (and, as root, the system user running it)."""

PASSWORD_ROLE = "ana"
"""A role that must give a password over TCP (the URL secrets tests)."""


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path))


def find_bin_dir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are: the newest /usr/lib/postgresql/*/bin, or PATH."""
    override = os.environ.get("JOBTUI_PG_BIN")
    if override:
        return Path(override) if (Path(override) / "initdb").exists() else None
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    return None


def missing_server() -> str | None:
    """Why the PostgreSQL tests cannot run here (None when they can)."""
    return INSTALL_HINT if find_bin_dir() is None else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A server in ``root`` (data, socket, log), started by ``start()``, removed by ``stop()``."""

    bin_dir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="jobtui-pg-")))
    port: int = 0
    _as_user: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sockets(self) -> Path:
        return self.root / "run"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as_user, *argv],
            check=False,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )

    def start(self) -> None:
        """``initdb`` a cluster and start it; raises RuntimeError with the server's log."""
        self.sockets.mkdir()
        if os.geteuid() == 0:
            # initdb refuses root: the postgres user runs the server and owns its files.
            user = pwd.getpwnam(SUPERUSER)
            for path in (self.root, self.sockets):
                os.chown(path, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", SUPERUSER, "--"]
        made = self._run(
            str(self.bin_dir / "initdb"),
            "-D", str(self.data), "-U", SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--no-sync", "--locale=C",
        )  # fmt: skip
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{made.stdout}\n{made.stderr}")
        hba = (
            "local all all trust\n"
            f"host all {SUPERUSER} 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        (self.data / "pg_hba.conf").write_text(hba)
        last = ""
        for _ in range(5):  # a free port may be taken between the probe and the start
            self.port = _free_port()
            options = (
                f"-k {self.sockets} -p {self.port} -c listen_addresses=127.0.0.1"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                " -c max_connections=200 -c shared_buffers=16MB"
            )
            started = self._run(
                str(self.bin_dir / "pg_ctl"), "start", "-w", "-t", "60",
                "-D", str(self.data), "-l", str(self.log), "-o", options,
            )  # fmt: skip
            if started.returncode == 0:
                self._prepare()
                return
            last = self.log.read_text() if self.log.exists() else started.stderr
        raise RuntimeError(f"pg_ctl start failed:\n{last}")

    def _prepare(self) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN SUPERUSER PASSWORD 's3cret-pw'")

    def stop(self) -> None:
        """Stop the server at once and delete its directory."""
        if self.data.exists():
            self._run(str(self.bin_dir / "pg_ctl"), "stop", "-m", "immediate", "-D", str(self.data))
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, *, user: str = SUPERUSER) -> str:
        """A URL reaching ``database`` through the unix socket, as ``user`` (no password)."""
        return f"postgresql://{user}@/{database}?host={self.sockets}&port={self.port}"

    def tcp_url(self, database: str, *, user: str, password: str | None = None) -> str:
        """A URL reaching ``database`` over loopback TCP (where roles give passwords)."""
        secret = "" if password is None else f":{password}"
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def fresh_database(self) -> str:
        """Create an empty database; returns its name."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, ending whatever sessions still use it."""
        import psycopg

        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(self.url("postgres"), autocommit=True) as conn,
        ):
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
