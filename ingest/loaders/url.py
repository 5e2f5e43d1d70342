"""http(s) URLs: an article page (HTML) or a feed, told apart by content type and content."""
from __future__ import annotations

from urllib.parse import urlparse

from ..errors import InputError
from ..model import Article
from ..settings import Settings
from .common import decode_text
from .feed import articles_from_feed, looks_like_feed
from .html import article_from_html


def private_address_reason(url: str) -> str:
    """Why ``url`` must not be fetched when private addresses are blocked ("" when it may be).

    A server that fetches URLs typed by visitors must not reach its own loopback or private
    network (internal services, cloud metadata endpoints).
    """
    import ipaddress
    import socket

    host = urlparse(url).hostname
    if not host:
        return "no host in the URL"
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return ""  # the fetch itself reports the unknown host
    for info in infos:
        if not ipaddress.ip_address(info[4][0].split("%")[0]).is_global:
            return (f"refused: {host} is a loopback or private address "
                    "(set NEWSBOT_ALLOW_PRIVATE_URLS=1 to allow)")
    return ""


class _PrivateAddress(Exception):
    pass


def fetch(source: str, settings: Settings) -> tuple[bytes, str, str]:
    """(body, content type, final URL) of a GET, limited in time and size.

    With ``settings.block_private_urls`` every request, redirects included, is checked first.
    """
    import httpx

    def check(request) -> None:
        reason = private_address_reason(str(request.url))
        if reason:
            raise _PrivateAddress(reason)

    hooks = {"request": [check]} if settings.block_private_urls else {}
    try:
        with httpx.Client(timeout=settings.fetch_timeout, follow_redirects=True, event_hooks=hooks,
                          headers={"User-Agent": "newsbot/0.1 (+article ingestion)"}) as client:
            with client.stream("GET", source) as resp:
                if resp.status_code >= 400:
                    raise InputError(source, f"HTTP {resp.status_code} {resp.reason_phrase}")
                body = bytearray()
                for part in resp.iter_bytes():
                    body.extend(part)
                    if len(body) > settings.max_file_bytes:
                        raise InputError(source, f"response larger than {settings.max_file_bytes} bytes")
                return bytes(body), resp.headers.get("content-type", ""), str(resp.url)
    except _PrivateAddress as exc:
        raise InputError(source, str(exc)) from None
    except httpx.TimeoutException:
        raise InputError(source, f"timed out after {settings.fetch_timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise InputError(source, f"cannot fetch ({type(exc).__name__}: {exc})") from None


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
