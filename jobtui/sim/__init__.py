"""An embedded simulator of the five provider APIs, served over real HTTP on loopback.

``Simulator`` runs every simulation behind one server (``/<kind>`` prefixes);
``CREDENTIALS`` holds the fake keys it accepts, by kind. The simulation speaks
each provider's wire format and imports nothing of jobtui but the model.

``CREDENTIALS`` is built on first access: it holds the Tensor.Art private key,
and generating a 2048-bit RSA key is too slow to pay on every ``import``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from jobtui.sim.api import World
from jobtui.sim.simulator import Simulator, available_sims

__all__ = ["CREDENTIALS", "Simulator"]

if TYPE_CHECKING:
    CREDENTIALS: dict[str, dict[str, object]]
    """The fake credentials the simulator accepts, by kind (built on first access)."""

_NOT_CREDENTIALS = frozenset({"kind", "base_url", "allow_insecure"})


_PLACEHOLDER = "http://sim.invalid"


@functools.cache
def _credentials() -> dict[str, dict[str, object]]:
    # Each simulation's config table carries its credentials: keep those keys, leaving out
    # values derived from where the simulator listens (a token URL, a scope).
    found: dict[str, dict[str, object]] = {}
    for kind, cls in available_sims().items():
        table = cls(World()).config(_PLACEHOLDER)
        found[kind] = {
            key: value
            for key, value in table.items()
            if key not in _NOT_CREDENTIALS and _PLACEHOLDER not in str(value)
        }
    return found


def __getattr__(name: str) -> object:
    # PEP 562: ``CREDENTIALS`` (the fake credentials the simulator accepts, by kind, e.g.
    # ``{"deepomatic": {"api_key": …}}``) is computed when first read, then cached.
    if name == "CREDENTIALS":
        return _credentials()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
