"""http(s) URLs: an article page (HTML) or a feed, told apart by content type and content."""
from __future__ import annotations

import time
from urllib.parse import urlparse

from ..errors import InputError
from ..model import Article
from ..settings import Settings
from .common import decode_text
from .feed import articles_from_feed, looks_like_feed
from .html import article_from_html


def _refusal(host: str, address: str) -> str:
    """Why ``address`` (an IP of ``host``) must not be fetched when private addresses are blocked."""
    import ipaddress

    if ipaddress.ip_address(address.split("%")[0]).is_global:
        return ""
    return (f"refused: {host} is a loopback or private address "
            "(set NEWSBOT_ALLOW_PRIVATE_URLS=1 to allow)")


class _PrivateAddress(Exception):
    pass


class _DeadlineStream:
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
        import httpcore

        return self._stream.read(max_bytes, self._timeout(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        import httpcore

        self._stream.write(buffer, self._timeout(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        import httpcore

        tls = self._stream.start_tls(ssl_context, server_hostname, self._timeout(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _GuardedBackend:
    """httpcore's network backend for one fetch: resolves each host once, refuses private
    addresses when asked, connects to the very address it checked (a DNS answer that changes
    between check and connection cannot slip through) and ends every socket operation by the
    fetch's deadline, so a server trickling bytes cannot stretch the fetch."""

    def __init__(self, deadline: float, block_private: bool):
        import httpcore

        self._inner = httpcore.SyncBackend()
        self._deadline = deadline
        self._block_private = block_private

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None):
        import socket

        import httpcore

        left = self._deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the fetch's deadline has passed")
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from None
        addresses = [info[4][0] for info in infos]
        if self._block_private:
            reason = next((r for r in (_refusal(host, a) for a in addresses) if r), "")
            if reason:
                raise _PrivateAddress(reason)
        stream = self._inner.connect_tcp(addresses[0], port, left if timeout is None else min(timeout, left),
                                         local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, *args, **kwargs):
        import httpcore

        raise httpcore.ConnectError("refused: articles are fetched over TCP only, to checked addresses")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _transport(deadline: float, block_private: bool):
    from .http_transport import BackendTransport

    return BackendTransport(_GuardedBackend(deadline, block_private))


def request(source: str, settings: Settings, headers: dict | None = None) -> tuple[int, bytes, dict, str]:
    """(HTTP status, body, response headers with lower-case names, final URL) of a GET, limited
    in size and, redirects and slow servers included, to ``settings.fetch_timeout`` seconds in
    all. A status of 400 or more is an :class:`InputError`; 304 (a conditional request whose
    resource did not change) comes back with an empty body.

    With ``settings.block_private_urls`` every connection, redirects included, is refused when
    it would reach a loopback or private address.
    """
    import httpx

    deadline = time.monotonic() + settings.fetch_timeout
    try:
        # Proxies from the environment serve the command line; a server fetching visitors' URLs
        # connects itself, to addresses it has checked.
        with httpx.Client(timeout=settings.fetch_timeout, follow_redirects=True,
                          trust_env=not settings.block_private_urls,
                          transport=_transport(deadline, settings.block_private_urls),
                          headers={"User-Agent": "newsbot/0.1 (+article ingestion)", **(headers or {})}) as client:
            with client.stream("GET", source) as resp:
                got = {k.lower(): v for k, v in resp.headers.items()}
                if resp.status_code == 304:
                    return 304, b"", got, str(resp.url)
                if resp.status_code >= 400:
                    raise InputError(source, f"HTTP {resp.status_code} {resp.reason_phrase}")
                body = bytearray()
                for part in resp.iter_bytes():
                    body.extend(part)
                    if len(body) > settings.max_file_bytes:
                        raise InputError(source, f"response larger than {settings.max_file_bytes} bytes")
                return resp.status_code, bytes(body), got, str(resp.url)
    except _PrivateAddress as exc:
        raise InputError(source, str(exc)) from None
    except httpx.TimeoutException:
        raise InputError(source, f"timed out after {settings.fetch_timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise InputError(source, f"cannot fetch ({type(exc).__name__}: {exc})") from None


def fetch(source: str, settings: Settings) -> tuple[bytes, str, str]:
    """(body, content type, final URL) of a GET: :func:`request` without the status."""
    _status, body, headers, url = request(source, settings)
    return body, headers.get("content-type", ""), url


def load(source: str, settings: Settings, report) -> list[Article]:
    body, ctype, final_url = fetch(source, settings)
    if not body.strip():
        raise InputError(source, "empty response")
    ctype = ctype.lower()
    if any(t in ctype for t in ("rss", "atom", "/xml")) or looks_like_feed(body):
        return articles_from_feed(body, source, report)
    if "html" in ctype or body.lstrip()[:1] == b"<":
        return [article_from_html(decode_text(source, body), source, fallback_url=final_url,
                                  fallback_source=urlparse(final_url).hostname or source)]
    raise InputError(source, f"unsupported content type '{ctype or 'unknown'}' (expected HTML or RSS/Atom)")
