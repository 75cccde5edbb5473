"""The simulated OIDC provider in front of Cognite: client-credentials tokens that expire.

``POST …/oauth2/v2.0/token`` takes a form-encoded ``grant_type=client_credentials``
request (client id and secret in the form, or HTTP Basic as OAuth 2.0 allows) with a
``scope`` ending in ``/.default``, and answers as Entra ID does:
``{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
"access_token": …}``. Refusals are OAuth error bodies (``{"error", "error_description"}``).
Tokens expire on the simulator's virtual clock, so a test moves past expiry by
advancing it.
"""

from __future__ import annotations

import base64
import binascii
import random
from collections.abc import Callable
from urllib.parse import unquote_plus

from jobtui.sim.api import SimRequest, SimResponse, json_response

__all__ = ["TOKEN_LIFETIME", "TokenIssuer"]

TOKEN_LIFETIME = 3599
"""Seconds an issued token is valid (Entra ID's usual ``expires_in``)."""


def _oauth_error(status: int, error: str, description: str) -> SimResponse:
    return json_response(
        status,
        {"error": error, "error_description": description},
        {"cache-control": "no-store", "pragma": "no-cache"},
    )


class TokenIssuer:
    """Issues and checks Bearer tokens for one client id and secret."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        now: Callable[[], float],
        rng: random.Random,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._now = now
        self._rng = rng
        self._tokens: dict[str, float] = {}
        self.issued = 0
        """How many tokens were issued (tests read it)."""

    def valid(self, token: str) -> bool:
        """Whether ``token`` was issued here and has not expired."""
        expires = self._tokens.get(token)
        return expires is not None and self._now() < expires

    def token_endpoint(self, request: SimRequest) -> SimResponse:
        """Answer a token request."""
        if request.method != "POST":
            return _oauth_error(405, "invalid_request", "The token endpoint only accepts POST.")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _oauth_error(
                400,
                "invalid_request",
                "The request body must be application/x-www-form-urlencoded.",
            )
        form = request.form()
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = _basic_credentials(request.headers.get("authorization", ""))
        if basic is not None:
            client_id, secret = basic
        grant = form.get("grant_type")
        if not grant:
            return _oauth_error(400, "invalid_request", "The request must contain grant_type.")
        if grant != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", f"The grant type {grant!r} is not supported."
            )
        if not client_id or not secret:
            return _oauth_error(
                401, "invalid_client", "The request must contain client_id and client_secret."
            )
        if client_id != self._client_id or secret != self._client_secret:
            # Never say which of the two was wrong.
            return _oauth_error(401, "invalid_client", "Invalid client credentials.")
        scopes = (form.get("scope") or "").split()
        if not scopes:
            return _oauth_error(400, "invalid_request", "The request must contain scope.")
        if not all(scope.endswith("/.default") for scope in scopes):
            return _oauth_error(
                400, "invalid_scope", "Client credentials need a scope ending in /.default."
            )
        return json_response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "ext_expires_in": TOKEN_LIFETIME,
                "access_token": self._issue(),
            },
            {"cache-control": "no-store", "pragma": "no-cache"},
        )

    def _issue(self) -> str:
        now = self._now()
        # Drop expired tokens so a long run does not accumulate them.
        for token in [token for token, expires in self._tokens.items() if expires <= now]:
            del self._tokens[token]
        token = f"simcdf.{self._rng.getrandbits(128):032x}"
        self._tokens[token] = now + TOKEN_LIFETIME
        self.issued += 1
        return token


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        text = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = text.partition(":")
    if not colon:
        return None
    # RFC 6749 §2.3.1: both halves are form-urlencoded before joining.
    return unquote_plus(client_id), unquote_plus(secret)
