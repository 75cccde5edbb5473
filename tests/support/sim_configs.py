"""Provider configs pointing at a running simulator, built the way config.toml would be."""

from __future__ import annotations

from pydantic import SecretStr

from jobtui.config.model import PROVIDER_CONFIG_TYPES, SECRET_KEYS, ProviderConfig, SecretRef
from jobtui.sim import Simulator


def sim_config(sim: Simulator, kind: str, **overrides: object) -> ProviderConfig:
    """The simulator's ``[providers.<kind>]`` table as a validated config (secrets literal)."""
    table = dict(sim.provider_tables()[kind])
    table.update(overrides)
    secrets = {
        key: SecretRef(key=key, source="literal", literal=SecretStr(str(table.pop(key))))
        for key in SECRET_KEYS
        if key in table
    }
    return PROVIDER_CONFIG_TYPES[kind].model_validate({"name": kind, **table, "secrets": secrets})
