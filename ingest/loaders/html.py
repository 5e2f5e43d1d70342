"""HTML article pages: main text and metadata (title, date, author, site, canonical URL) by trafilatura."""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..model import Article
from ..settings import IngestSettings
from .common import decode_text, make_article, paragraphs_from_lines, stable_id


def load(source: str, settings: IngestSettings, report=None) -> list[Article]:
    data = Path(source).read_bytes()
    path = Path(source).resolve()
    return [article_from_html(decode_text(source, data), source, fallback_url=path.as_uri(),
                              fallback_source=path.name)]


def article_from_html(html: str, where: str, fallback_url: str, fallback_source: str) -> Article:
    """One article from an HTML page; ``where`` names the input in errors."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=fallback_url if fallback_url.startswith("http") else None,
                                      with_metadata=True, include_comments=False, include_tables=False,
                                      favor_precision=True)
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or not text.strip():
        raise InputError(where, "no article text found in the HTML page")
    title = getattr(doc, "title", None) or ""
    text = paragraphs_from_lines(text, title)
    url = getattr(doc, "url", None) or fallback_url
    site = getattr(doc, "sitename", None) or getattr(doc, "hostname", None) or fallback_source
    return make_article(id=stable_id("url", url), title=title, text=text,
                        source=site, url=url, published=getattr(doc, "date", None) or "",
                        lang=getattr(doc, "language", None) or "", author=getattr(doc, "author", None) or "")
