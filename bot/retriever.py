"""Hybrid retrieval: dense search in Chroma fused with BM25 by reciprocal rank fusion.

Filters (source, date range, language) apply to both searches. ``HybridRetriever`` exposes the
same search as a LangChain ``BaseRetriever`` for use in other chains.
"""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ingest.chunking import published_timestamp
from ingest.store import Store

from .model import Filters, Passage

RRF_K = 60


def chroma_where(filters: Filters) -> dict | None:
    """The Chroma ``where`` clause of ``filters`` (None when there is nothing to filter)."""
    clauses: list[dict] = []
    if filters.source:
        clauses.append({"source": {"$in": list(filters.source)}} if len(filters.source) > 1 else {"source": filters.source[0]})
    if filters.lang:
        clauses.append({"lang": filters.lang})
    if filters.since:
        clauses.append({"published_ts": {"$gte": published_timestamp(filters.since)}})
    if filters.until:
        clauses.append({"published_ts": {"$gt": 0}})
        clauses.append({"published_ts": {"$lt": _end_of_day(filters.until)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _end_of_day(date: str) -> int:
    ts = published_timestamp(date)
    return ts + 86400 if len(date) <= 10 else ts + 1


def lexical_allowed(filters: Filters):
    """Predicate on a chunk's metadata that matches :func:`chroma_where`."""
    if filters.is_empty():
        return None
    since = published_timestamp(filters.since) if filters.since else None
    until = _end_of_day(filters.until) if filters.until else None
    sources = set(filters.source)

    def allowed(meta: dict) -> bool:
        if sources and meta.get("source") not in sources:
            return False
        if filters.lang and meta.get("lang") != filters.lang:
            return False
        ts = int(meta.get("published_ts") or 0)
        if since is not None and ts < since:
            return False
        if until is not None and not (0 < ts < until):
            return False
        return True

    return allowed


class HybridSearch:
    """Dense + BM25 search over one :class:`Store`, fused by reciprocal rank."""

    def __init__(self, store: Store, depth: int = 30):
        self.store = store
        self.depth = depth

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Passage]:
        filters = filters or Filters()
        depth = max(self.depth, k)
        vec = self.store.embedder.embed_query(query)
        dense = self.store.dense_search(vec, depth, chroma_where(filters))
        lexical = self.store.lexical().search(query, depth, lexical_allowed(filters))
        passages: dict[str, Passage] = {}
        for rank, (ch, sim) in enumerate(dense, 1):
            passages[ch.id] = Passage(ch.id, ch.text, ch.metadata, dense_rank=rank, dense_score=sim)
        missing = [cid for cid, _ in lexical if cid not in passages]
        for ch in self.store.get_chunks(missing):
            passages[ch.id] = Passage(ch.id, ch.text, ch.metadata)
        for rank, (cid, score) in enumerate(lexical, 1):
            if cid in passages:
                passages[cid].lexical_rank = rank
                passages[cid].lexical_score = score
        for p in passages.values():
            p.score = sum(1.0 / (RRF_K + r) for r in (p.dense_rank, p.lexical_rank) if r is not None)
        ranked = sorted(passages.values(), key=lambda p: p.score, reverse=True)
        return ranked[:k]


class HybridRetriever(BaseRetriever):
    """LangChain retriever over :class:`HybridSearch`; documents carry scores and offsets in metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: Any
    k: int = 5
    filters: Filters = Filters()

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [passage_to_document(p) for p in self.search.search(query, self.k, self.filters)]


def passage_to_document(p: Passage) -> Document:
    meta = dict(p.metadata, chunk_id=p.chunk_id, score=p.score, dense_rank=p.dense_rank, lexical_rank=p.lexical_rank)
    return Document(page_content=p.text, metadata=meta, id=p.chunk_id)
