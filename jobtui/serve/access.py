"""Who may open the served dashboard: the start-up token and the websocket's Origin.

The token is the only secret: it is printed once, in the URL ``jobtui serve``
shows at start, and compared in constant time. The Origin check stops a page
from another site, open in the same browser, from driving the dashboard
through the user's browser (cross-site websocket hijacking): browsers always
send ``Origin`` on a websocket handshake, so a foreign one is refused. A
client that sends none is not a browser (a script, a test): it has no
ambient authority to abuse, and the token alone admits it.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["LOOPBACK_NAMES", "Origins", "is_loopback", "new_token", "token_matches"]

TOKEN_BYTES = 24
"""Random bytes in a token (32 URL-safe characters): not guessable over a network."""

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
"""The names a browser may use for a loopback-bound server (``ssh -L`` opens ``localhost``)."""

_WILDCARDS = ("", "0.0.0.0", "::")


def new_token() -> str:
    """A fresh random token for one run of ``jobtui serve``."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_matches(given: str | None, token: str) -> bool:
    """Whether ``given`` is ``token``, compared in constant time (no timing oracle)."""
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a bind address or name) is only reachable from this machine."""
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    """``host`` as it appears in a URL (an IPv6 address in brackets)."""
    name = host.strip("[]")
    return f"[{name}]" if ":" in name else name


def origin_of(url: str) -> str:
    """The origin of ``url`` as browsers write it: ``scheme://host[:port]``, lower case."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return ""
    host = _url_host(parts.hostname or "")
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + ("" if port in (None, default) else f":{port}")


@dataclass(frozen=True)
class Origins:
    """The browser origins that may open the websocket of a server on ``host``:``port``.

    A loopback server answers to every loopback name on its port (a tunnel
    opened with ``ssh -L 8765:127.0.0.1:8765`` shows as ``localhost:8765``);
    a server on one address answers to that address; one on every address
    (``0.0.0.0``) cannot know its names, so the Origin must then match the
    ``Host`` the browser connected to.
    """

    host: str
    port: int

    @property
    def allowed(self) -> frozenset[str]:
        """The exact origins admitted (empty for a wildcard bind: see ``permits``)."""
        if self.host in _WILDCARDS:
            return frozenset()
        names = LOOPBACK_NAMES if is_loopback(self.host) else ()
        hosts = {_url_host(self.host), *names}
        return frozenset(f"http://{name}:{self.port}" for name in hosts)

    def permits(self, origin: str | None, request_host: str | None) -> bool:
        """Whether a websocket handshake with this ``Origin`` header may proceed.

        ``None`` (no header: not a browser) is admitted; the token still applies.
        """
        if origin is None:
            return True
        seen = origin_of(origin)
        if not seen:
            return False
        if self.host in _WILDCARDS:
            return request_host is not None and seen == origin_of(f"http://{request_host}")
        return seen in self.allowed

    def page_host(self, request_host: str | None) -> str:
        """The ``host:port`` the page's websocket URL should name.

        The one the browser used, when it is an admitted origin (so its Origin
        will match); the bind address otherwise.
        """
        if request_host and self.permits(f"http://{request_host}", request_host):
            return request_host
        return f"{_url_host(self.host) if self.host not in _WILDCARDS else '127.0.0.1'}:{self.port}"


def served_url(host: str, port: int, token: str) -> str:
    """The URL to open: the served address with the token (the one line that shows it)."""
    shown = "127.0.0.1" if host in _WILDCARDS else _url_host(host)
    return f"http://{shown}:{port}/?token={token}"
