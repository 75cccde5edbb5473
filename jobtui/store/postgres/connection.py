"""Opening connections to a PostgreSQL store, and errors fit to print.

The URL goes to libpq as given, so everything libpq reads by itself works:
``PGPASSWORD``, ``~/.pgpass`` (``PGPASSFILE``), ``sslmode`` and the other URL
parameters. A password from the config (``password_cmd``) is handed over as
the ``password`` keyword only when there is one, never as an empty value that
would hide ``.pgpass``. Nothing printed carries the password: the URL shows
masked and psycopg's messages are scrubbed of it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import psycopg

from jobtui.store.location import mask_url
from jobtui.store.records import StoreError

__all__ = ["CONNECT_TIMEOUT", "Connection", "connect", "failure", "scrub"]

CONNECT_TIMEOUT = 10
"""Seconds to wait for a connection (libpq's ``connect_timeout``)."""

Connection = psycopg.Connection[tuple[Any, ...]]


def _secrets(url: str, password: str | None) -> list[str]:
    found = [password] if password else []
    try:
        parts = urlsplit(url)
        given = [parts.password or "", *parse_qs(parts.query).get("password", [])]
    except ValueError:
        given = []
    for secret in given:
        found += [secret, unquote(secret), quote(secret, safe="")]
    # Longest first: a password containing another is replaced whole.
    return sorted({secret for secret in found if secret}, key=len, reverse=True)


def scrub(message: str, url: str, password: str | None = None) -> str:
    """``message`` with the URL masked and every form of the password replaced by ``***``."""
    text = message.replace(url, mask_url(url))
    for secret in _secrets(url, password):
        text = text.replace(secret, "***")
    return text.strip()


def failure(
    url: str, exc: BaseException, password: str | None = None, what: str = ""
) -> StoreError:
    """A ``StoreError`` naming the store (masked) and the reason (scrubbed)."""
    reason = " ".join(scrub(str(exc), url, password).split()) or type(exc).__name__
    return StoreError(f"{mask_url(url)}: {what}{reason}")


def connect(url: str, password: str | None = None, *, read_only: bool = False) -> Connection:
    """An autocommit connection speaking UTC; ``StoreError`` (scrubbed) when it fails."""
    extra: dict[str, object] = {}
    if password is not None:
        extra["password"] = password
    try:
        conn: Connection = psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            application_name="jobtui",
            **extra,  # type: ignore[arg-type]
        )
    except psycopg.Error as exc:
        raise failure(url, exc, password, "cannot connect: ") from None
    try:
        # Every timestamptz comes back in UTC, as the SQLite store gives them.
        conn.execute("SET TIME ZONE 'UTC'")
        if read_only:
            # A read-only viewer cannot write by mistake: the server refuses it.
            conn.execute("SET default_transaction_read_only = on")
    except psycopg.Error as exc:
        conn.close()
        raise failure(url, exc, password, "cannot connect: ") from None
    return conn
