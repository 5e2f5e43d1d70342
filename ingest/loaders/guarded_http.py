"""The URL loader's HTTP: every connection resolved once, refused when it would reach a
loopback or private address (when asked), and ended by the fetch's deadline.

httpx's own ``HTTPTransport`` takes no network backend, so this module brings its own transport
(:class:`BackendTransport`) over an httpcore pool with the guarded backend. Imported only when a
URL is fetched (httpx is not needed to start the command line).
"""
from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterator

import httpcore
import httpx


def _refusal(host: str, address: str) -> str:
    """Why ``address`` (an IP of ``host``) must not be fetched when private addresses are blocked."""
    if ipaddress.ip_address(address.split("%")[0]).is_global:
        return ""
    return (f"refused: {host} is a loopback or private address "
            "(set NEWSBOT_ALLOW_PRIVATE_URLS=1 to allow)")


class PrivateAddress(Exception):
    """A connection to a loopback or private address was refused (its message says which)."""


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the fetch's deadline."""

    def __init__(self, stream, deadline: float):
        self._stream = stream
        self._deadline = deadline

    def _timeout(self, timeout: float | None, error) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise error("the fetch's deadline has passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._timeout(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._timeout(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        tls = self._stream.start_tls(ssl_context, server_hostname, self._timeout(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend for one fetch: resolves each host once, refuses private
    addresses when asked, connects to the very address it checked (a DNS answer that changes
    between check and connection cannot slip through) and ends every socket operation by the
    fetch's deadline, so a server trickling bytes cannot stretch the fetch."""

    def __init__(self, deadline: float, block_private: bool):
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline
        self._block_private = block_private

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None):
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the fetch's deadline has passed")
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from None
        addresses = [str(info[4][0]) for info in infos]
        if self._block_private:
            reason = next((r for r in (_refusal(host, a) for a in addresses) if r), "")
            if reason:
                raise PrivateAddress(reason)
        stream = self._inner.connect_tcp(addresses[0], port, left if timeout is None else min(timeout, left),
                                         local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, *args, **kwargs):
        raise httpcore.ConnectError("refused: articles are fetched over TCP only, to checked addresses")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)




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


def guarded_transport(deadline: float, block_private: bool) -> BackendTransport:
    """The transport of one fetch that must end by ``deadline`` (``time.monotonic()``)."""
    return BackendTransport(_GuardedBackend(deadline, block_private))
