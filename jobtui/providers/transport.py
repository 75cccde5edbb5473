"""An httpx transport on aiohttp: the providers keep httpx's API, the bytes move faster.

httpx's own transport (httpcore) costs ~2–5 ms of CPU per request on a
small machine, which made the poller slower on loopback than one GET after
another (BENCHMARKS.md). aiohttp's HTTP/1.1 client does the same work in C
(its parser and ``yarl``) for a fraction of that. ``AioTransport`` hands each
``httpx.Request`` to one ``aiohttp.ClientSession`` and gives back an
``httpx.Response`` whose body streams, so everything ``jobtui.providers.http``
guarantees holds on it:

- the body is streamed, still encoded (``auto_decompress=False``): httpx
  decodes gzip/deflate chunk by chunk, so the size cap stops a gzip bomb;
- redirects are never followed (``allow_redirects=False``; httpx's own
  ``follow_redirects=False`` stays the rule above it);
- TLS is verified with the same context httpx builds from ``verify``
  (a CA bundle path, ``False``, or the system store plus ``SSL_CERT_FILE``);
- proxies come from the environment (``HTTP_PROXY``/``HTTPS_PROXY``/
  ``NO_PROXY``): httpx leaves them to a transport it did not build, so the
  transport looks them up, once per origin (aiohttp's ``trust_env`` would do
  it in a worker thread on every request, with a ``.netrc`` read besides:
  two thread hops a request, the largest cost of a sweep after the socket);
- the pool, connect and read timeouts of each request apply (a request body
  is a few KB written to the socket buffer, so there is no separate write
  phase to bound);
- cookies are httpx's business: the session keeps none of its own.

aiohttp failures come out as the ``httpx`` exceptions ``request_json``
already turns into ``FetchError`` categories.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, suppress

import aiohttp
import httpx
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

__all__ = ["AioTransport"]

_Timeouts = tuple[float | None, float | None, float | None]
_Proxy = tuple[URL | None, aiohttp.BasicAuth | None]
"""A proxy and its credentials (from ``HTTP_PROXY``), sent as ``Proxy-Authorization``."""


@contextmanager
def _mapped_errors() -> Iterator[None]:
    """aiohttp's exceptions as the httpx ones callers of an httpx client expect."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(str(exc) or "connect timed out") from exc
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise httpx.ReadTimeout(str(exc) or "read timed out") from exc
    except (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError) as exc:
        raise httpx.ProxyError(str(exc)) from exc
    except aiohttp.ClientConnectorError as exc:  # refused, DNS, TLS handshake/certificate
        raise httpx.ConnectError(str(exc)) from exc
    except aiohttp.ServerDisconnectedError as exc:
        raise httpx.RemoteProtocolError(str(exc) or "server disconnected") from exc
    except aiohttp.ClientResponseError as exc:  # an answer aiohttp's parser refuses
        raise httpx.RemoteProtocolError(exc.message or "malformed answer") from exc
    except aiohttp.ClientPayloadError as exc:
        raise httpx.ReadError(str(exc)) from exc
    except aiohttp.InvalidURL as exc:
        raise httpx.UnsupportedProtocol(str(exc)) from exc
    except aiohttp.ClientError as exc:
        raise httpx.NetworkError(f"{type(exc).__name__}: {exc}") from exc


class _Body(httpx.AsyncByteStream):
    """An aiohttp response body as httpx streams it: chunks as they arrive."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors():
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # Release, not close: a fully read body gives the connection back to the pool.
        self._response.release()


class AioTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` over one ``aiohttp.ClientSession``.

    ``ssl_context`` is what httpx builds from ``verify`` (``httpx.create_ssl_context``);
    ``max_connections`` bounds the pool, idle connections close after
    ``keepalive_expiry`` seconds. The session is opened on the first request,
    inside the running event loop, as aiohttp requires.
    """

    def __init__(
        self,
        ssl_context: ssl.SSLContext,
        *,
        max_connections: int = 100,
        keepalive_expiry: float = 30.0,
    ) -> None:
        self._ssl = ssl_context
        self._max_connections = max_connections
        self._keepalive = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[_Timeouts, aiohttp.ClientTimeout] = {}
        self._proxies: dict[tuple[str, str | None, int | None], _Proxy] = {}

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            keepalive_timeout=self._keepalive,
            ssl=self._ssl,
        )
        return aiohttp.ClientSession(
            connector=connector,
            # Proxies are looked up by ``_proxy``; no ``.netrc`` credentials (nor does httpx).
            trust_env=False,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            # httpx already sets User-Agent, Accept and Accept-Encoding.
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
        )

    def _timeout(self, request: httpx.Request) -> aiohttp.ClientTimeout:
        phases = request.extensions.get("timeout", {})
        key = (phases.get("pool"), phases.get("connect"), phases.get("read"))
        found = self._timeouts.get(key)
        if found is None:
            pool, connect, read = key
            # aiohttp's ``connect`` spans waiting for a pooled connection and opening it.
            both = None if pool is None or connect is None else pool + connect
            found = aiohttp.ClientTimeout(
                total=None, connect=both, sock_connect=connect, sock_read=read
            )
            self._timeouts[key] = found
        return found

    def _proxy(self, url: URL) -> _Proxy:
        """The environment's proxy for ``url``'s origin (``NO_PROXY`` heeded), looked up once.

        Like httpx, which reads the environment when a client is made, a proxy
        set after a client's first request to an origin is not seen by it.
        """
        key = (url.scheme, url.host, url.port)
        found = self._proxies.get(key)
        if found is None:
            found = (None, None)
            with suppress(LookupError):  # no proxy for this scheme, or bypassed
                found = get_env_proxy_for_url(url)
            self._proxies[key] = found
        return found

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the session; the answer's body streams."""
        session = self._session
        if session is None:
            session = self._session = self._open()
        body = await request.aread()
        headers = request.headers.multi_items()
        # Already encoded by httpx: yarl must not encode it a second time.
        url = URL(str(request.url), encoded=True)
        proxy, proxy_auth = self._proxy(url)
        with _mapped_errors():
            response = await session.request(
                request.method,
                url,
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=self._timeout(request),
                server_hostname=request.extensions.get("sni_hostname"),
                proxy=proxy,
                # None unless HTTP_PROXY has credentials (aiohttp 3.14 then warns that
                # proxy_auth is deprecated; its proxy_headers reach a CONNECT only).
                proxy_auth=proxy_auth,
            )
        extensions: dict[str, object] = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("ascii", "replace")
        return httpx.Response(
            response.status,
            headers=list(response.raw_headers),
            stream=_Body(response),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
