"""Image Intelligence tokens: ``POST /v2/oauth/token`` with a JSON body.

Not form-encoded OAuth: the body is ``{"clientId", "clientSecret"}`` and the
answer ``{accessToken, expiresAt, issuedAt, ...}`` with ``expiresAt`` in
epoch **milliseconds** (wall clock). Tokens live 24 h; jobtui keeps them in
memory only.
"""

from __future__ import annotations

from jobtui.errors import FetchCategory, FetchError
from jobtui.providers.base import to_utc

__all__ = [
    "DEFAULT_LIFETIME",
    "TOKEN_PATH",
    "ClientSecret",
    "read_token_answer",
]

TOKEN_PATH = "/v2/oauth/token"
"""The token endpoint, under ``base_url``."""

DEFAULT_LIFETIME = 3600.0
"""Seconds a token is trusted when the answer has no usable ``expiresAt`` (a 401 renews it)."""


class ClientSecret:
    """The client id and secret of a token request; ``repr`` hides the secret."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self._client_secret = client_secret

    def __repr__(self) -> str:
        return f"ClientSecret(client_id={self.client_id!r})"

    @property
    def secret(self) -> str:
        """The secret itself, for redaction of error messages."""
        return self._client_secret

    def body(self) -> dict[str, str]:
        """The JSON body of the token request."""
        return {"clientId": self.client_id, "clientSecret": self._client_secret}


def read_token_answer(body: object, now: float) -> tuple[str, float]:
    """``(accessToken, expiry as epoch seconds)`` from the token endpoint's answer.

    ``now`` (epoch seconds) stands in for a missing or unreadable ``expiresAt``.
    Raises ``FetchError`` (auth) when there is no token; never quotes the body.
    """
    if not isinstance(body, dict):
        raise FetchError(FetchCategory.AUTH, "token endpoint answered without a JSON object")
    token = body.get("accessToken")
    if not isinstance(token, str) or not token:
        raise FetchError(FetchCategory.AUTH, "token endpoint gave no accessToken")
    expires = to_utc(body.get("expiresAt"))
    if expires is None:
        return token, now + DEFAULT_LIFETIME
    return token, expires.timestamp()
