"""Opening the store a command uses, with the password the config names for it."""

from __future__ import annotations

from pathlib import Path

from jobtui.config.model import SecretRef
from jobtui.store import JobStore

__all__ = ["open_configured"]


def open_configured(
    option: str | Path | None,
    configured: Path | str | None,
    password: SecretRef | None = None,
    *,
    read_only: bool = False,
) -> JobStore:
    """The store ``--store`` / ``$JOBTUI_STORE`` / the config names, opened.

    For a PostgreSQL URL the config's password reference (``[store]
    password_cmd`` …) is resolved here, only then; without one libpq reads
    ``PGPASSWORD`` or ``.pgpass`` itself. A SQLite file never runs the command.
    """
    from jobtui.config import store_target
    from jobtui.config.secrets import resolve_secret
    from jobtui.store import is_url, open_store

    target = store_target(option, configured)
    secret = None
    if password is not None and is_url(target):
        secret = resolve_secret(password, password.key)
    return open_store(target, password=secret, read_only=read_only)
