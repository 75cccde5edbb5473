"""Importing the simulator is cheap: its RSA key is made only when something needs it."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import jobtui.sim
from jobtui.sim.tensorart import auth as tensorart_auth
before = tensorart_auth._app_key.cache_info().currsize
credentials = jobtui.sim.CREDENTIALS
after = tensorart_auth._app_key.cache_info().currsize
assert jobtui.sim.CREDENTIALS is credentials
print(before, after, "BEGIN PRIVATE KEY" in str(credentials["tensorart"]["private_key"]))
"""


def test_import_makes_no_key_and_credentials_make_it_once() -> None:
    # A fresh interpreter: another test may already have built the key in this one.
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["0", "1", "True"]


def test_unknown_attributes_still_raise() -> None:
    import jobtui.sim

    try:
        jobtui.sim.NO_SUCH_NAME  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "NO_SUCH_NAME" in str(error)
    else:
        raise AssertionError("expected AttributeError")
