"""Plain data that travels between units: articles and their chunks, and a stored article's summary."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from typing_extensions import TypedDict  # pydantic reads typing's TypedDict only from Python 3.12


@dataclass(frozen=True)
class Article:
    """One news article, as loaded from a file, a record, a page or a feed entry."""

    id: str
    title: str
    text: str
    source: str  # outlet or origin (site name, feed title, file name)
    url: str = ""  # canonical URL, or file:// path for local files
    published: str = ""  # ISO 8601 date or datetime, "" when unknown
    lang: str = ""  # ISO 639-1 code, detected when not given
    author: str = ""
    content_hash: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    """A passage of an article; ``start``/``end`` are character offsets into ``Article.text``."""

    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int
    metadata: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        return asdict(self)


class ArticleSummary(TypedDict):
    """One stored article as ``Store.articles()`` lists it (``newsbot articles``, ``/api/articles``)."""

    id: str
    title: str
    source: str
    url: str
    published: str  # ISO date, "" when unknown
    lang: str
    chunks: int  # how many chunks of it the store holds
