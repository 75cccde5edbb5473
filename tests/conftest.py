"""Shared fixtures."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import textual._wait
import textual.constants
from textual.css.stylesheet import Stylesheet

from jobtui.sim import Simulator

from support.pgserver import PostgresServer, find_bin_dir, missing_server

BACKENDS = ("sqlite", "postgresql")
"""The store backends every store test runs against (the ``store_location`` fixture)."""


@pytest.fixture(autouse=True)
def _no_animations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps a test starts in its own process do not animate: a fade or scroll ends at once.

    A test waits for the state a key leads to; an animation only adds its duration
    to each key. Processes a test starts (in a pty, ``jobtui serve``) keep the default.
    """
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")


IDLE_STEP = 0.005
"""Seconds Pilot sleeps between two looks at whether the app went idle (Textual: 0.02)."""
IDLE_CPU = IDLE_STEP / 20
"""CPU seconds within one step under which the app counts as idle: 5 % of a CPU, as in Textual."""


@pytest.fixture(autouse=True)
def _short_idle_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pilot looks whether the app went idle every 5 ms, not every 20 ms.

    Each ``pilot.press`` waits for idle twice per key, each ``pilot.pause`` once,
    and a wait always lasts at least one step: at 20 ms the sleeping, not the app,
    was most of a key's cost (a query typed letter by letter took seconds). The
    wait still ends only once the app used under 5 % of a CPU for a whole step,
    and the tests go on to wait for the state they assert, not for the pause.
    """
    monkeypatch.setattr(textual._wait, "SLEEP_GRANULARITY", IDLE_STEP)
    monkeypatch.setattr(textual._wait, "SLEEP_IDLE", IDLE_CPU)


_CSS_RULES: dict[tuple[object, ...], Any] = {}
"""Rules parsed from CSS, for every app the test process starts (see ``_css_parsed_once``)."""


@pytest.fixture(scope="session", autouse=True)
def _css_parsed_once() -> Iterator[None]:
    """Every Pilot app of the process shares its parsed CSS with the apps before it.

    Textual keeps the rules it parsed per ``Stylesheet``, and each app has its own:
    every app a test starts parsed the same CSS (Textual's widgets' and ours) again,
    a third of starting it, and the suite starts a thousand. Parsing is a pure
    function of the CSS, where it was read from, its scope and the theme's
    variables; the shared cache is keyed by all of them, so an app with another
    theme parses its own.
    """
    parse_rules = Stylesheet._parse_rules

    def shared_parse_rules(
        self: Stylesheet,
        css: str,
        read_from: Any,
        is_default_rules: bool = False,
        tie_breaker: int = 0,
        scope: str = "",
    ) -> Any:
        key = (css, read_from, is_default_rules, tie_breaker, scope,
               tuple(self._variables.items()))  # fmt: skip
        rules = _CSS_RULES.get(key)
        if rules is None:
            rules = parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
            _CSS_RULES[key] = rules
        return rules

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Stylesheet, "_parse_rules", shared_parse_rules)
        yield


@pytest.fixture
async def start_sim() -> AsyncIterator[Callable[..., Simulator]]:
    """A factory: ``sim = start_sim(jobs=5, speed=0)`` → a Simulator serving on a free port.

    In an async test it serves from the test's own loop (listening at once, accepting
    at the loop's next turn), so talk to it with async clients there: a blocking call
    would stall the very loop that serves it. In a sync test it serves from a thread.
    Stopped at teardown.
    """
    started: list[tuple[Simulator, bool]] = []

    def factory(**kwargs: Any) -> Simulator:
        kwargs.setdefault("port", 0)
        sim = Simulator(**kwargs)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            sim.start_in_thread()
            started.append((sim, True))
        else:
            sim.start_soon()
            started.append((sim, False))
        return sim

    yield factory
    for sim, threaded in reversed(started):
        if threaded:
            sim.stop_in_thread()
        else:
            await sim.stop()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this session (this xdist worker), removed at the end.

    Without the server binaries the tests that need it skip saying what to
    install; with ``CI`` set they fail instead: CI must run them.
    """
    reason = missing_server()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """The URL of an empty database of this test's own (dropped after)."""
    name = pg_server.fresh_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture(params=BACKENDS)
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a store for this test lives: a fresh SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "jobs.sqlite"
    url: str = request.getfixturevalue("pg_url")
    return url
