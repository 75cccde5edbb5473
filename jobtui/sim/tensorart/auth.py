"""Tensor.Art authentication as the simulator enforces it: Bearer tokens and signed requests.

A signed request carries ``Authorization: TAMS-SHA256-RSA app_id=…,nonce_str=…,
timestamp=…,signature=…``; the signature is SHA256withRSA (PKCS#1 v1.5), base64,
over ``METHOD\\nPATH_WITH_QUERY\\nTIMESTAMP\\nNONCE\\nBODY`` where the path starts at
``/v1/`` (the simulator's ``/tensorart`` prefix is not signed). The simulator holds
the public key of each app it knows; the private key is generated once per process
and handed out through the provider's config table.

Beyond the signature itself, a timestamp must be within ``MAX_SKEW`` seconds of
real time and a nonce may be used once: what makes a captured header worthless.
"""

from __future__ import annotations

import base64
import binascii
import functools
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "MAX_SKEW",
    "SCHEME",
    "AuthRejected",
    "SignatureChecker",
    "app_private_key_pem",
    "app_public_key",
    "parse_signed_header",
    "signed_message",
]

SCHEME = "TAMS-SHA256-RSA"
"""The ``Authorization`` scheme of signed requests."""

MAX_SKEW = 300.0
"""Seconds a signed timestamp may differ from real time (the nonce memory spans this too)."""

_FIELDS = ("app_id", "nonce_str", "timestamp", "signature")


class AuthRejected(Exception):
    """A request the simulated Tensor.Art refuses with 401; the message is safe to return."""


@functools.cache
def _app_key() -> rsa.RSAPrivateKey:
    # One key per process: generating a 2048-bit key costs ~0.1 s, and every simulator
    # (and ``jobtui.sim.CREDENTIALS``) in the process must agree on it.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def app_private_key_pem() -> str:
    """The simulated app's private key, PKCS#8 PEM (what a user pastes as ``private_key``)."""
    return (
        _app_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode("ascii")
    )


def app_public_key() -> rsa.RSAPublicKey:
    """The public half the simulator verifies signatures with."""
    return _app_key().public_key()


def signed_message(method: str, path_with_query: str, timestamp: str, nonce: str, body: str) -> str:
    """The exact text a signature covers."""
    return f"{method.upper()}\n{path_with_query}\n{timestamp}\n{nonce}\n{body}"


def parse_signed_header(value: str) -> dict[str, str]:
    """The four fields of a ``TAMS-SHA256-RSA`` header value (after the scheme word).

    Raises ``AuthRejected`` when a field is missing or repeated. The signature is
    base64 and may end in ``=``: only the first ``=`` of each field separates.
    """
    fields: dict[str, str] = {}
    for part in value.split(","):
        name, equals, content = part.strip().partition("=")
        if not equals:
            raise AuthRejected("malformed authorization header")
        if name in fields:
            raise AuthRejected(f"repeated field in authorization header: {name}")
        fields[name] = content.strip()
    missing = [name for name in _FIELDS if not fields.get(name)]
    if missing:
        raise AuthRejected(f"missing in authorization header: {', '.join(missing)}")
    return fields


@dataclass(frozen=True)
class _Seen:
    at: float
    key: tuple[str, str]


class SignatureChecker:
    """Verifies signed requests against known apps' public keys; remembers used nonces."""

    def __init__(
        self,
        apps: Mapping[str, rsa.RSAPublicKey],
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._apps = dict(apps)
        self._wall = wall
        self._nonces: set[tuple[str, str]] = set()
        self._order: deque[_Seen] = deque()

    def check(self, header: str, method: str, paths_with_query: Sequence[str], body: bytes) -> str:
        """Verify one request's ``TAMS-SHA256-RSA`` header value; returns the app id.

        ``paths_with_query``: the spellings of the request path the client may have
        signed (as sent, or percent-decoded); one must verify. Raises ``AuthRejected``
        with the reason on any failure.
        """
        fields = parse_signed_header(header)
        app_id = fields["app_id"]
        key = self._apps.get(app_id)
        if key is None:
            raise AuthRejected("unknown app_id")
        try:
            stamp = int(fields["timestamp"])
        except ValueError:
            raise AuthRejected("timestamp must be unix seconds") from None
        now = self._wall()
        if abs(now - stamp) > MAX_SKEW:
            raise AuthRejected("timestamp expired")
        try:
            signature = base64.b64decode(fields["signature"], validate=True)
            text = body.decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise AuthRejected("signature verification failed") from None
        for path in dict.fromkeys(paths_with_query):
            message = signed_message(
                method, path, fields["timestamp"], fields["nonce_str"], text
            ).encode("utf-8")
            try:
                key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                continue
            break
        else:
            raise AuthRejected("signature verification failed")
        self._remember(app_id, fields["nonce_str"], now)
        return app_id

    def _remember(self, app_id: str, nonce: str, now: float) -> None:
        # Forget nonces older than the skew window: a replay that old fails on its timestamp.
        while self._order and now - self._order[0].at > 2 * MAX_SKEW:
            self._nonces.discard(self._order.popleft().key)
        key = (app_id, nonce)
        if key in self._nonces:
            raise AuthRejected("nonce already used")
        self._nonces.add(key)
        self._order.append(_Seen(now, key))
