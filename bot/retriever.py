"""Hybrid retrieval: dense search in Chroma fused with BM25 by reciprocal rank fusion (RRF).

Filters (source, date range, language) apply to both searches (the store translates them once,
``ingest/filters.py``). The head of the fused list is
ranked a third time by each passage's best single sentence (dense similarity to the store's
sentence vectors, see ``ingest/sentences.py``) and that ranking is fused in too; then copies of the same story from
several outlets are collapsed, and an optional cross-encoder reorders the top. With a time scope
(``bot/news_time.py``) articles after ``as_of`` are left out and the rankings of a publication
window are fused in too.
``bot.langchain_retriever.HybridRetriever`` exposes the same search as a LangChain ``BaseRetriever``
(a module of its own: LangChain's retriever machinery takes a third of a second to import, which
``newsbot ask`` does not need).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Protocol

from ingest.lexical import LexicalSnapshot, fold
from ingest.sentences import sentence_spans
from ingest.store import Store

from .answer_types import Filters, Passage
from .news_time import TimePolicy, TimeScope


@dataclass(frozen=True)
class SearchConfig:
    """Knobs of :class:`HybridSearch`; the defaults are tuned on PIAF dev (see docs/answers.md)."""

    depth: int = 50  # candidates taken from each of dense and BM25
    rrf_k: int = 10  # RRF constant: smaller trusts the top ranks of each list more
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    sentence_weight: float = 1.5  # weight of the third RRF list: candidates ranked by their best sentence
    sentence_candidates: int = 15  # how many fused candidates are ranked by sentence
    duplicate_jaccard: float = 0.8  # word 5-gram overlap above which two passages are the same text
    rerank_candidates: int = 20


@dataclass(frozen=True)
class Retrieval:
    """What one search hands the answerer: the passages, best first, and ``idf(stem)``, the rarity of
    a stemmed word in the BM25 index the search read (so answering never goes back to the store)."""

    passages: list[Passage]
    idf: Callable[[str], float]


def fuse_rrf(rankings: list[list[str]], weights: list[float] | None = None, k: int = 10) -> dict[str, float]:
    """Reciprocal rank fusion: each id scores ``sum(weight / (k + rank))`` over the rankings it is in."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, cid in enumerate(ranking, 1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
    return scores


_SHINGLE_RE = re.compile(r"\w+")


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    toks = _SHINGLE_RE.findall(fold(text))
    return {tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1))}


def collapse_duplicates(passages: list[Passage], threshold: float = 0.8) -> list[Passage]:
    """Drop passages whose text nearly repeats a better-ranked one (the same wire story in several
    outlets); the kept passage lists the dropped chunk ids in ``duplicates``."""
    kept: list[tuple[Passage, set]] = []
    for p in passages:
        sh = _shingles(p.text)
        for q, qsh in kept:
            if q.article_id != p.article_id and len(sh & qsh) / max(1, len(sh | qsh)) >= threshold:
                q.duplicates.append(p.chunk_id)
                break
        else:
            kept.append((p, sh))
    return [p for p, _ in kept]


class Reranker(Protocol):
    def rerank(self, query: str, passages: list[Passage]) -> list[Passage]: ...


class CrossEncoderReranker:
    """Reorders passages by a sentence-transformers ``CrossEncoder`` (name or local path).

    Loaded from the local cache or path only: no model is downloaded at query time.
    """

    def __init__(self, model: str):
        from ingest.optional import require_sentence_transformers

        require_sentence_transformers(f"reranker '{model}'")
        from sentence_transformers import CrossEncoder

        try:
            self._model = CrossEncoder(model, device="cpu", local_files_only=True)
        except Exception as exc:
            from ingest.errors import ModelUnavailableError

            raise ModelUnavailableError(
                f"reranker '{model}' cannot be loaded offline ({type(exc).__name__}); "
                "use a local path or unset NEWSBOT_RERANKER") from exc

    def rerank(self, query: str, passages: list[Passage]) -> list[Passage]:
        if not passages:
            return passages
        scores = self._model.predict([(query, p.text) for p in passages], show_progress_bar=False)
        order = sorted(range(len(passages)), key=lambda i: -float(scores[i]))
        return [passages[i] for i in order]


class HybridSearch:
    """Dense + BM25 search over one :class:`Store`, fused by reciprocal rank."""

    def __init__(self, store: Store, config: SearchConfig | None = None,
                 reranker: Reranker | None = None, time_policy: TimePolicy | None = None):
        self.store = store
        self.config = config or SearchConfig()
        self.reranker = reranker
        self.time_policy = time_policy or TimePolicy()

    def search(self, query: str, k: int = 5, filters: Filters | None = None,
               time: TimeScope | None = None) -> list[Passage]:
        """The passages of :meth:`retrieve` (evaluation and the baselines read only those)."""
        return self.retrieve(query, k, filters, time).passages

    def retrieve(self, query: str, k: int = 5, filters: Filters | None = None,
                 time: TimeScope | None = None) -> Retrieval:
        """The ``k`` best passages for ``query``, and the idf of the BM25 index they were found in;
        with a ``time`` scope, nothing published after its ``as_of`` and the articles of its period
        (or of the days before ``as_of``) favoured."""
        cfg = self.config
        filters = filters or Filters()
        lexical = self.store.lexical_snapshot()  # one BM25 snapshot for every search and the idf
        dated = time is not None and lexical.has_dates  # an undated store has nothing after as_of
        if dated:
            filters = self.time_policy.cutoff(filters, time)
        depth = max(cfg.depth, k)
        vec = self.store.embedder.embed_query(query)
        passages: dict[str, Passage] = {}
        rankings: list[list[str]] = []
        weights: list[float] = []
        searches = [(filters, cfg.dense_weight, cfg.lexical_weight)]
        if dated:
            searches += [(f, w * cfg.dense_weight, w * cfg.lexical_weight)
                         for f, w in self.time_policy.windows(filters, time)]
        for n, (flt, dense_weight, lexical_weight) in enumerate(searches):
            dense_ids, lexical_ids = self._candidates(query, vec, depth, flt, lexical, passages, first=n == 0)
            rankings += [dense_ids, lexical_ids]
            weights += [dense_weight, lexical_weight]
        for cid, s in fuse_rrf(rankings, weights, cfg.rrf_k).items():
            passages[cid].score = s
        ranked = sorted(passages.values(), key=lambda p: p.score, reverse=True)
        if cfg.sentence_weight and ranked:
            ranked = self._fuse_sentence_ranking(vec, ranked)
        ranked = self.time_policy.prefer_latest(ranked, time, cfg.rrf_k)
        ranked = collapse_duplicates(ranked[: max(k * 3, cfg.rerank_candidates)], cfg.duplicate_jaccard)
        if self.reranker is not None:
            head = self.reranker.rerank(query, ranked[: cfg.rerank_candidates])
            ranked = head + ranked[cfg.rerank_candidates:]
        return Retrieval(ranked[:k], lexical.idf)

    def _candidates(self, query: str, vec, depth: int, filters: Filters, snapshot: LexicalSnapshot,
                    passages: dict[str, Passage], first: bool) -> tuple[list[str], list[str]]:
        """Dense and BM25 (in ``snapshot``) rankings of chunk ids under ``filters``; new passages are
        added to ``passages``, and the first search's ranks and scores are recorded on them."""
        dense = self.store.dense_search(vec, depth, filters)
        lexical = self.store.lexical_search(query, depth, filters, snapshot)
        for rank, (ch, sim) in enumerate(dense, 1):
            p = passages.setdefault(ch.id, Passage(ch.id, ch.text, ch.metadata))
            p.dense_score = sim
            if first:
                p.dense_rank = rank
        missing = [cid for cid, _ in lexical if cid not in passages]
        for ch in self.store.get_chunks(missing):
            passages[ch.id] = Passage(ch.id, ch.text, ch.metadata)
        for rank, (cid, score) in enumerate(lexical, 1):
            if cid in passages and first:
                passages[cid].lexical_rank = rank
                passages[cid].lexical_score = score
        return [ch.id for ch, _ in dense], [cid for cid, _ in lexical if cid in passages]

    def _fuse_sentence_ranking(self, query_vector, ranked: list[Passage]) -> list[Passage]:
        """Rank the head of ``ranked`` by each passage's best sentence (dense similarity to the
        query) and fuse that ranking in by RRF; passages keep their sentence similarities."""
        cfg = self.config
        head = ranked[: cfg.sentence_candidates]
        sims = self.store.sentences.similarities(query_vector, [(p.chunk_id, p.text) for p in head])
        best: dict[str, float] = {}
        for p in head:
            sim = sims.get(p.chunk_id)
            if sim is None or not len(sim):
                continue
            p.sentences = [(a, b, float(x)) for (a, b), x in zip(sentence_spans(p.text), sim)]
            best[p.chunk_id] = float(sim.max())
        for rank, p in enumerate(sorted((p for p in head if p.chunk_id in best), key=lambda p: -best[p.chunk_id]), 1):
            p.score += cfg.sentence_weight / (cfg.rrf_k + rank)
        return sorted(head, key=lambda p: p.score, reverse=True) + ranked[cfg.sentence_candidates:]
