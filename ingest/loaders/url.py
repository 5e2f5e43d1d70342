"""http(s) URLs: an article page (HTML) or a feed, told apart by content type and content."""
from __future__ import annotations

import time
from urllib.parse import urlparse

from ..errors import InputError
from ..model import Article
from ..settings import IngestSettings
from .common import decode_text
from .feed import articles_from_feed, looks_like_feed
from .html import article_from_html


def request(source: str, settings: IngestSettings, headers: dict | None = None) -> tuple[int, bytes, dict, str]:
    """(HTTP status, body, response headers with lower-case names, final URL) of a GET, limited
    in size and, redirects and slow servers included, to ``settings.fetch_timeout`` seconds in
    all. A status of 400 or more is an :class:`InputError`; 304 (a conditional request whose
    resource did not change) comes back with an empty body.

    With ``settings.block_private_urls`` every connection, redirects included, is refused when
    it would reach a loopback or private address.
    """
    import httpx

    from .guarded_http import PrivateAddress, guarded_transport

    deadline = time.monotonic() + settings.fetch_timeout
    try:
        # Proxies from the environment serve the command line; a server fetching visitors' URLs
        # connects itself, to addresses it has checked.
        with httpx.Client(timeout=settings.fetch_timeout, follow_redirects=True,
                          trust_env=not settings.block_private_urls,
                          transport=guarded_transport(deadline, settings.block_private_urls),
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
    except PrivateAddress as exc:
        raise InputError(source, str(exc)) from None
    except httpx.TimeoutException:
        raise InputError(source, f"timed out after {settings.fetch_timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise InputError(source, f"cannot fetch ({type(exc).__name__}: {exc})") from None


def fetch(source: str, settings: IngestSettings) -> tuple[bytes, str, str]:
    """(body, content type, final URL) of a GET: :func:`request` without the status."""
    _status, body, headers, url = request(source, settings)
    return body, headers.get("content-type", ""), url


def load(source: str, settings: IngestSettings, report) -> list[Article]:
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
