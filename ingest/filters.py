"""A search's :class:`~ingest.model.Filters` in the two forms the store needs: the ``where`` clause
of a Chroma query and a predicate on the filter metadata of a BM25 chunk
(:data:`~ingest.lexical.FILTER_KEYS`). Both are written here, side by side, so that dense and
lexical search always keep the same chunks.

``published_ts`` 0 is an undated chunk (dates before 1970 are negative): never in a period
(``since``/``until``), always before ``as_of``.
"""
from __future__ import annotations

from typing import Callable

from .chunking import published_timestamp
from .model import Filters


def chroma_where(filters: Filters | None) -> dict | None:
    """The Chroma ``where`` clause of ``filters`` (None when there is nothing to filter)."""
    if filters is None:
        return None
    clauses: list[dict] = []
    if filters.source:
        clauses.append({"source": {"$in": list(filters.source)}} if len(filters.source) > 1 else {"source": filters.source[0]})
    if filters.lang:
        clauses.append({"lang": filters.lang})
    if filters.since:
        clauses.append({"published_ts": {"$gte": published_timestamp(filters.since)}})
    if filters.since or filters.until:
        clauses.append({"published_ts": {"$ne": 0}})
    if filters.until:
        clauses.append({"published_ts": {"$lt": _end_of_day(filters.until)}})
    if filters.as_of:
        end = _end_of_day(filters.as_of)
        clauses.append({"published_ts": {"$lt": end}} if end > 0 else
                       {"$or": [{"published_ts": {"$lt": end}}, {"published_ts": 0}]})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def lexical_allowed(filters: Filters | None) -> Callable[[dict], bool] | None:
    """The predicate on a chunk's metadata that keeps what :func:`chroma_where` keeps (None when
    there is nothing to filter)."""
    if filters is None or filters.is_empty():
        return None
    since = published_timestamp(filters.since) if filters.since else None
    until = _end_of_day(filters.until) if filters.until else None
    as_of = _end_of_day(filters.as_of) if filters.as_of else None
    sources = set(filters.source)
    lang = filters.lang

    def allowed(meta: dict) -> bool:
        if sources and meta.get("source") not in sources:
            return False
        if lang and meta.get("lang") != lang:
            return False
        ts = int(meta.get("published_ts") or 0)
        if (since is not None or until is not None) and ts == 0:
            return False
        if since is not None and ts < since:
            return False
        if until is not None and ts >= until:
            return False
        if as_of is not None and ts != 0 and ts >= as_of:
            return False
        return True

    return allowed


def _end_of_day(date: str) -> int:
    """The first second after ``date`` (a whole day for an ISO date, the second for a datetime)."""
    ts = published_timestamp(date)
    return ts + 86400 if len(date) <= 10 else ts + 1
