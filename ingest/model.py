"""Plain data that travels between units: articles and their chunks, a stored article's summary, and
the filters of a search."""
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


class ChunkMetadata(TypedDict, total=False):
    """What a chunk carries beside its text, as stored in Chroma (values are str, int, float or bool)
    and read back with every search result (``Passage.metadata``)."""

    article_id: str
    title: str
    source: str  # outlet or origin
    url: str
    published: str  # ISO date or datetime, "" when unknown
    published_ts: int  # seconds since the epoch (UTC); 0 when undated
    lang: str
    author: str
    article_hash: str  # the article's content hash: a changed article is re-chunked
    article_chunks: int  # how many chunks the whole article has
    start: int  # character offsets into the article's text
    end: int
    index: int  # the chunk's place in its article


@dataclass(frozen=True)
class Chunk:
    """A passage of an article; ``start``/``end`` are character offsets into ``Article.text``."""

    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int
    metadata: ChunkMetadata = field(default_factory=lambda: ChunkMetadata(), compare=False)

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


@dataclass(frozen=True)
class Filters:
    """Metadata filters of a search, applied to both dense and lexical search (the store
    translates them for each, :mod:`ingest.filters`)."""

    source: tuple[str, ...] = ()
    since: str = ""  # ISO date, inclusive
    until: str = ""  # ISO date, inclusive (whole day)
    lang: str = ""
    as_of: str = ""  # ISO date: dated articles published after it are left out, undated ones kept

    @classmethod
    def from_dict(cls, d: dict | None) -> "Filters":
        d = d or {}
        src = d.get("source") or ()
        if isinstance(src, str):
            src = (src,)
        return cls(source=tuple(s for s in src if s), since=d.get("since") or "", until=d.get("until") or "",
                   lang=d.get("lang") or "")

    def is_empty(self) -> bool:
        return not (self.source or self.since or self.until or self.lang or self.as_of)

    def to_dict(self) -> dict:
        d = {"source": list(self.source), "since": self.since, "until": self.until, "lang": self.lang}
        if self.as_of:
            d["as_of"] = self.as_of
        return d
