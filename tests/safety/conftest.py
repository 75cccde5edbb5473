"""Fixtures of the hostile-input suites: a frozen simulator behind a fault proxy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobtui.sim import Simulator

from support.fault_proxy import FaultProxy


@pytest.fixture
def proxy(sim: Simulator) -> Iterator[FaultProxy]:
    """A fault proxy in front of the module's ``sim`` fixture."""
    server = FaultProxy(("127.0.0.1", sim.port))
    server.start()
    yield server
    server.stop()
