"""RSS and Atom feeds (feedparser): one article per entry; an entry without text is reported."""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..model import Article
from ..settings import IngestSettings
from .common import make_article, paragraphs_from_lines, stable_id


def load(source: str, settings: IngestSettings, report) -> list[Article]:
    return articles_from_feed(Path(source).read_bytes(), source, report)


def looks_like_feed(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


def articles_from_feed(data: bytes, where: str, report) -> list[Article]:
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.entries:
        reason = f"not a readable RSS/Atom feed ({parsed.get('bozo_exception')})" if parsed.get("bozo") else "feed has no entries"
        raise InputError(where, reason)
    feed_title = parsed.feed.get("title") or Path(where).name
    lang = (parsed.feed.get("language") or "")[:2]
    out = []
    for n, e in enumerate(parsed.entries):
        link = e.get("link") or ""
        html = ""
        if e.get("content"):
            html = e.content[0].get("value", "")
        html = html or e.get("summary", "") or e.get("description", "")
        text = _html_to_text(html)
        label = f"{where} entry {n + 1}" + (f" ({link})" if link else "")
        if not text.strip():
            report(InputError(label, "entry has no text"))
            continue
        try:
            out.append(make_article(
                id=stable_id("url", link) if link else stable_id("entry", where, e.get("id") or e.get("title", "") or str(n)),
                title=e.get("title", ""), text=text, source=feed_title, url=link,
                published=e.get("published_parsed") or e.get("updated_parsed") or e.get("published") or "",
                lang=lang, author=e.get("author", "")))
        except InputError as err:
            report(err)
    if not out:
        raise InputError(where, "no entry of the feed has text")
    return out


def _html_to_text(html: str) -> str:
    """Text of an entry's HTML fragment, paragraphs kept as blank-line-separated blocks."""
    if "<" not in html:
        return html
    import trafilatura

    text = trafilatura.extract(f"<html><body><article>{html}</article></body></html>", favor_recall=True,
                               include_comments=False)
    if text:
        return paragraphs_from_lines(text)
    from lxml import html as lxml_html

    try:
        return lxml_html.fromstring(html).text_content()
    except Exception:
        return re.sub(r"<[^>]+>", " ", html)
