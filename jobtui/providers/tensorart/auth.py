"""Tensor.Art request signing (``TAMS-SHA256-RSA``).

The string to sign is ``METHOD\\nPATH_WITH_QUERY\\nTIMESTAMP\\nNONCE\\nBODY``
(the body empty for GET), signed SHA256withRSA with PKCS#1 v1.5 padding and
base64-encoded. The path is the documented one, starting at ``/v1/``: a path
prefix in ``base_url`` (a proxy, the simulator's ``/tensorart``) is not signed,
because the service never sees it.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "SCHEME",
    "RequestSigner",
    "SigningKeyError",
    "string_to_sign",
]

SCHEME = "TAMS-SHA256-RSA"
"""The ``Authorization`` scheme of signed requests."""


class SigningKeyError(ValueError):
    """The configured ``private_key`` is not a usable RSA private key (the key is never quoted)."""


def string_to_sign(method: str, path_with_query: str, timestamp: int, nonce: str, body: str) -> str:
    """The exact text Tensor.Art verifies."""
    return f"{method.upper()}\n{path_with_query}\n{timestamp}\n{nonce}\n{body}"


class RequestSigner:
    """Signs requests for one TAMS application with its RSA private key.

    The key is parsed once; ``repr`` shows the app id only.
    """

    def __init__(
        self,
        app_id: str,
        private_key_pem: str,
        *,
        now: Callable[[], float] = time.time,
        nonce: Callable[[], str] = lambda: secrets.token_hex(16),
    ) -> None:
        self.app_id = app_id
        self._key = _load_key(private_key_pem)
        self._now = now
        self._nonce = nonce

    def __repr__(self) -> str:
        return f"RequestSigner(app_id={self.app_id!r})"

    def authorization(self, method: str, path_with_query: str, body: str = "") -> str:
        """The ``Authorization`` header value for one request."""
        timestamp = int(self._now())
        nonce = self._nonce()
        message = string_to_sign(method, path_with_query, timestamp, nonce, body)
        signature = self._key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        encoded = base64.b64encode(signature).decode("ascii")
        return (
            f"{SCHEME} app_id={self.app_id},nonce_str={nonce},"
            f"timestamp={timestamp},signature={encoded}"
        )


def _load_key(pem: str) -> rsa.RSAPrivateKey:
    text = pem.strip()
    if "-----BEGIN" not in text:
        # Consoles often hand out the bare base64 body of a PKCS#8 key.
        text = "-----BEGIN PRIVATE KEY-----\n" + text + "\n-----END PRIVATE KEY-----"
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # The library's message may quote key material: say what is wrong, not what it saw.
        raise SigningKeyError("private_key is not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyError("private_key is not an RSA key")
    return key
