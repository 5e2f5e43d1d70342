"""``NewsBot``: the single entry point of the CLI, the web chat, the REST API and the evaluation.

Models and indexes are loaded once, when the bot is built, and handed in. A question goes:
follow-up rewrite (with the chat history) → time scope (``as_of``, the period the question
names) → hybrid search → answerer (extractive, or an LLM with verified citations and an
extractive fallback) → time phrases of the cited passages resolved to dates.
"""
from __future__ import annotations

import time
from datetime import date
from typing import Iterator

from ingest.embedders import make_embedder
from ingest.settings import Settings
from ingest.store import Store

from .answerers import Answerer, ExtractiveAnswerer
from .followup import Turn, recent_turns, standalone_question
from .model import Answer, Filters
from .questions import question_language
from .retriever import CrossEncoderReranker, HybridSearch
from .timeq import date_citations, parse_as_of, question_time

__all__ = ["NewsBot", "Turn"]


def store_idf(store: Store):
    """The rarity of a stemmed word in ``store``'s current BM25 index (read once per question)."""
    return store.lexical().idf


def default_answerer(store: Store, reader: bool = False) -> Answerer:
    """The reader when asked for and its model is installed, else the hand-weighted scorer."""
    from .reader import Reader, ReadingAnswerer

    if reader and Reader.available():
        return ReadingAnswerer(idf_source=lambda: store_idf(store))
    return ExtractiveAnswerer(idf_source=lambda: store_idf(store))


class NewsBot:
    def __init__(self, store: Store, search: HybridSearch | None = None, answerer: Answerer | None = None,
                 settings: Settings | None = None):
        self.settings = settings or Settings()
        self.store = store
        self.search = search or HybridSearch(store)
        self.answerer = answerer or default_answerer(store)

    @classmethod
    def from_settings(cls, settings: Settings) -> "NewsBot":
        embedder = make_embedder(settings.embedder, settings.model_load_timeout)
        store = Store(settings.store, embedder, chroma_url=settings.chroma_url)
        reranker = CrossEncoderReranker(settings.reranker) if settings.reranker else None
        search = HybridSearch(store, reranker=reranker)
        answerer: Answerer = default_answerer(store, settings.reader)
        if settings.llm_base_url:
            from .llm import LLMAnswerer

            answerer = LLMAnswerer.from_settings(settings, fallback=answerer, embedder=embedder)
        return cls(store, search=search, answerer=answerer, settings=settings)

    def _language(self, question: str, history: list[Turn] | None) -> str:
        """The answer's language: the question's, else the conversation's, else English."""
        lang = question_language(question)
        if not lang:
            earlier = [question_language(t.question) for t in (history or [])]
            lang = next((x for x in reversed(earlier) if x), "en")
        return lang

    def _prepare(self, question: str, history: list[Turn] | None, filters: Filters | None, k: int,
                 as_of: str | date | None):
        t0 = time.perf_counter()
        lang = self._language(question, history)
        rewrite = getattr(self.answerer, "rewrite", None)
        query = standalone_question(question, history, rewrite)
        scope = question_time(query, parse_as_of(as_of))
        passages = self.search.search(query, k=k, filters=filters, time=scope)
        return query, lang, passages, scope, time.perf_counter() - t0

    def ask(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
            k: int = 5, as_of: str | date | None = None) -> Answer:
        """The answer to ``question`` asked as of ``as_of`` (``YYYY-MM-DD``; today by default)."""
        answer = None
        for event in self.stream(question, history=history, filters=filters, k=k, tokens=False, as_of=as_of):
            if event["type"] == "answer":
                answer = event["answer"]
        return answer

    def stream(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
               k: int = 5, tokens: bool = True, as_of: str | date | None = None) -> Iterator[dict]:
        """Yield ``{"type": "token", "text": ...}`` events (and ``{"type": "notice", "text": ...}`` when
        the LLM is unavailable or a citation was dropped), then ``{"type": "answer", "answer": Answer}``.
        Only the latest turns of ``history`` are read (see :func:`recent_turns`)."""
        history = recent_turns(history)
        query, lang, passages, scope, retrieve_s = self._prepare(question, history, filters, k, as_of)
        t1 = time.perf_counter()
        answer = None
        stream_answer = getattr(self.answerer, "stream_answer", None)
        if stream_answer is not None:
            for event in stream_answer(question if query == question else query, passages, lang):
                if event["type"] == "answer":
                    answer = event["answer"]
                elif tokens or event["type"] == "notice":
                    yield event
        else:
            earlier = tuple(t.answer for t in history or () if t.answer) if query != question else ()
            answer = self.answerer.answer(query, passages, lang=lang, avoid=earlier) if earlier \
                else self.answerer.answer(query, passages, lang=lang)
            if tokens:
                words = answer.answer.split(" ")
                for i, word in enumerate(words):
                    yield {"type": "token", "text": word + (" " if i < len(words) - 1 else "")}
        answer.question = question
        answer.passages = passages
        answer.as_of = scope.as_of.isoformat()
        date_citations(answer.citations, passages)
        if query != question:
            answer.query = query
        answer.timings.update({"retrieve_ms": round(retrieve_s * 1000, 1),
                               "answer_ms": round((time.perf_counter() - t1) * 1000, 1)})
        yield {"type": "answer", "answer": answer}
