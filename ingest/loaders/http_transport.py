"""An httpx transport over an httpcore pool with a network backend of the caller's.

httpx's own ``HTTPTransport`` takes no network backend, so the URL loader, which checks every
address it connects to, brings its own transport instead of replacing that one's private pool.
Imported only when a URL is fetched (httpx is not needed to start the command line).
"""
from __future__ import annotations

from collections.abc import Iterator

import httpcore
import httpx


def _mapped(exc: Exception, request: httpx.Request | None = None) -> httpx.TransportError:
    """httpcore's error as the httpx error a client of httpx expects."""
    message = str(exc)
    if isinstance(exc, httpcore.ConnectTimeout):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, httpcore.TimeoutException):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, httpcore.ConnectError):
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, httpcore.NetworkError):
        return httpx.ReadError(message, request=request)
    if isinstance(exc, httpcore.RemoteProtocolError):
        return httpx.RemoteProtocolError(message, request=request)
    return httpx.TransportError(message, request=request)


class _Body(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response, request: httpx.Request):
        self._response, self._request = response, request

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_stream()
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise _mapped(exc, self._request) from exc

    def close(self) -> None:
        self._response.close()


class BackendTransport(httpx.BaseTransport):
    """Every connection of this transport is opened by ``backend`` (an ``httpcore`` network backend)."""

    def __init__(self, backend: httpcore.NetworkBackend):
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                             network_backend=backend)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host,
                             port=request.url.port, target=request.url.raw_path),
            headers=request.headers.raw, content=request.stream, extensions=request.extensions)
        try:
            response = self._pool.handle_request(core_request)
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError,
                httpcore.UnsupportedProtocol) as exc:
            raise _mapped(exc, request) from exc
        return httpx.Response(status_code=response.status, headers=response.headers,
                              stream=_Body(response, request), extensions=response.extensions)

    def close(self) -> None:
        self._pool.close()
