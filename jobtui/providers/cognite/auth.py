"""Cognite tokens by OAuth 2.0 client credentials, from the project's OIDC provider.

CDF issues no tokens itself: ``token_url`` (Entra ID, Auth0, Keycloak, …)
gets a form-encoded ``grant_type=client_credentials`` request with the
client id, secret and space-joined scopes, and answers
``{"access_token", "expires_in", …}``.
"""

from __future__ import annotations

import math

from jobtui.errors import FetchCategory, FetchError

__all__ = [
    "DEFAULT_LIFETIME",
    "ClientCredentials",
    "read_token_answer",
]

DEFAULT_LIFETIME = 3600.0
"""Seconds a token is trusted when the answer gives no ``expires_in`` (then a 401 refreshes it)."""


class ClientCredentials:
    """What a client-credentials token request needs; ``repr`` hides the secret."""

    def __init__(
        self, token_url: str, client_id: str, client_secret: str, scopes: tuple[str, ...]
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = scopes

    def __repr__(self) -> str:
        return f"ClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def form(self) -> dict[str, str]:
        """The form fields of the token request."""
        fields = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        if self.scopes:
            fields["scope"] = " ".join(self.scopes)
        return fields


def read_token_answer(body: object) -> tuple[str, float]:
    """``(access_token, lifetime in seconds)`` from a token endpoint's JSON answer.

    Raises ``FetchError`` (auth) when the answer holds no token; the message
    names the OAuth error code when there is one, never the body.
    """
    if not isinstance(body, dict):
        raise FetchError(FetchCategory.AUTH, "token endpoint answered without a JSON object")
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        code = body.get("error")
        detail = f": {code}" if isinstance(code, str) and code.isascii() and len(code) < 64 else ""
        raise FetchError(FetchCategory.AUTH, f"token endpoint gave no access_token{detail}")
    return token, _lifetime(body.get("expires_in"))


def _lifetime(value: object) -> float:
    """``expires_in`` in seconds (some providers send it as text); the default when unusable."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return DEFAULT_LIFETIME
    try:
        seconds = float(value)
    except ValueError:
        return DEFAULT_LIFETIME
    return seconds if math.isfinite(seconds) and seconds > 0 else DEFAULT_LIFETIME
