"""The configuration: ``config.toml`` loaded, validated and located, secrets by reference.

This package's face: ``load_config`` (``loader``), the XDG paths (``paths``),
the secret readers (``secrets``); the typed models are in ``model``.
"""

from __future__ import annotations

from jobtui.config.loader import load_config
from jobtui.config.paths import config_path, state_dir, store_location, store_path, store_target
from jobtui.config.secrets import (
    SECRET_CMD_TIMEOUT,
    missing_credentials,
    provider_secret,
    resolve_secret,
)
from jobtui.errors import ConfigError

__all__ = [
    "SECRET_CMD_TIMEOUT",
    "ConfigError",
    "config_path",
    "load_config",
    "missing_credentials",
    "provider_secret",
    "resolve_secret",
    "state_dir",
    "store_location",
    "store_path",
    "store_target",
]
