"""Where jobtui's files are: the config file and the store, by flag, environment or XDG."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from jobtui.errors import ConfigError

APP_NAME = "jobtui"


def from_env(name: str) -> str | None:
    """A non-empty environment variable, stripped; None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def config_path(override: str | Path | None = None) -> Path:
    """The config file: ``override`` > ``$JOBTUI_CONFIG`` > the XDG config dir's ``config.toml``."""
    chosen = override if override not in (None, "") else from_env("JOBTUI_CONFIG")
    if chosen is not None:
        return Path(chosen).expanduser()
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def state_dir() -> Path:
    """The XDG state directory of jobtui (the store, preferences); not created here."""
    return platformdirs.user_state_path(APP_NAME)


def store_location(
    override: str | Path | None = None, configured: Path | None = None
) -> Path:
    """Where the store is (as ``store_path``) without creating anything."""
    chosen = override if override not in (None, "") else from_env("JOBTUI_STORE")
    if chosen is not None:
        return Path(chosen).expanduser()
    if configured is not None:
        return configured
    return state_dir() / "jobs.sqlite"


def store_path(override: str | Path | None = None, configured: Path | None = None) -> Path:
    """The store file: ``override`` > ``$JOBTUI_STORE`` > the config's ``store`` (``configured``)
    > ``state_dir()/jobs.sqlite``.

    Its directory is created (mode 0700 when new); ``ConfigError`` if it cannot be.
    """
    path = store_location(override, configured)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"cannot create the store directory {path.parent}: {reason}") from None
    return path


def _is_url(location: str | Path) -> bool:
    # The same test as jobtui.store.interface.is_url (config sits below store).
    return isinstance(location, str) and location.lower().startswith(
        ("postgresql://", "postgres://")
    )


def store_target(
    override: str | Path | None = None, configured: str | Path | None = None
) -> str | Path:
    """The store to open, chosen as ``store_path`` chooses: a ``postgresql://`` URL
    (``--store``, ``$JOBTUI_STORE`` or the config's ``store``) comes back as the text
    given; a file path as ``store_path`` gives it (its directory created).
    """
    chosen = override if override not in (None, "") else from_env("JOBTUI_STORE")
    if chosen is not None:
        if _is_url(str(chosen)):
            return str(chosen)
        return store_path(chosen)
    if configured is not None and _is_url(str(configured)):
        return str(configured)
    return store_path(None, None if configured is None else Path(configured))
